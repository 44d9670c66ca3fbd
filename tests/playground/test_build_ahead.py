"""The next run's network is built while the learner is still deciding, not at the press of Train
(seeding, building and copying it was a third of the press, the window's longest pause as
training starts), and the run is the same, number for number, as one built at the press."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings

import engine
from playground.core.specs import LayerSpec
from playground.main_window import MainWindow

LONG = 120_000


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    def make(name: str) -> tuple[MainWindow, list]:
        window = MainWindow(settings=QSettings(str(tmp_path / f"{name}.ini"), QSettings.IniFormat))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        builds = []
        real = window.state.build_model
        monkeypatch.setattr(window.state, "build_model", lambda: builds.append(1) or real())
        return window, builds
    return make


def trained_weights(qtbot, window) -> list[np.ndarray]:
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        assert window.controller.start()
    return window.controller.run.snapshot.get_weights()


def test_the_press_of_train_takes_the_network_built_ahead_and_trains_the_same_run(qtbot, make_window):
    at_press, builds_at_press = make_window("at_press")
    at_press.state.set_settings(epochs=1, train_size=500, seed=3)
    expected = trained_weights(qtbot, at_press)  # no event loop ran since the change: built at the press
    assert builds_at_press == [1]

    ahead, builds = make_window("ahead")
    ahead.state.set_settings(epochs=1, train_size=500, seed=3)
    qtbot.waitUntil(lambda: builds == [1], timeout=10_000)  # once the design has settled
    engine.utils.set_random_seed(99)  # meanwhile the rest of the app draws random numbers of its own
    engine.backend.rng().random(10), np.random.random(10)
    got = trained_weights(qtbot, ahead)
    assert builds == [1]  # the press built nothing
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def test_a_design_changed_after_the_build_ahead_is_built_at_the_press(qtbot, make_window):
    window, builds = make_window("changed")
    window.state.set_settings(epochs=1, train_size=300)
    qtbot.waitUntil(lambda: builds == [1], timeout=10_000)
    window.state.set_layers([LayerSpec(24, "relu", 0.0)])
    trained_weights(qtbot, window)
    assert builds == [1, 1]
    assert window.controller.run.model.layers[1].units == 24  # Flatten, then the designed Dense


def test_building_ahead_leaves_the_apps_random_numbers_as_they_were(qtbot, make_window):
    window, builds = make_window("numbers")
    engine.utils.set_random_seed(11)
    undisturbed = engine.backend.rng().random(4), np.random.random(4)
    engine.utils.set_random_seed(11)
    window.state.set_settings(seed=5, train_size=300)
    qtbot.waitUntil(lambda: builds == [1], timeout=10_000)
    after_build_ahead = engine.backend.rng().random(4), np.random.random(4)
    for a, b in zip(undisturbed, after_build_ahead):
        np.testing.assert_array_equal(a, b)

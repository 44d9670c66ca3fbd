"""Button presses that cross the worker's signals in flight, and models that arrive from files."""
from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from PySide6.QtCore import QSettings

import engine
import playground.core.training_data as training_data
from engine.layers import Dense, Flatten
from playground.core.data_loading import load_sample_dataset
from playground.core.specs import TrainSettings
from playground.main_window import MainWindow
from playground.training.training_controller import PAUSED, STOPPING

LONG = 120_000


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_a_pause_that_lands_after_stop_does_not_revive_the_run(qtbot, window):
    controller = window.controller
    window.state.set_settings(epochs=3, train_size=2000)
    phases = []
    controller.phase_changed.connect(phases.append)
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        controller.start()
        controller.stop()
        controller._on_paused()  # a "paused" the worker queued just before it saw the Stop
        assert controller.phase == STOPPING
    assert finished.args == ["stopped"]
    assert PAUSED not in phases


def test_resume_right_after_pause_is_not_lost(qtbot, window):
    controller = window.controller
    window.state.set_settings(epochs=1, train_size=2000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        controller.start()
        controller.pause()
        controller.resume()  # before the worker even noticed the pause
    assert finished.args == ["completed"]


def test_evaluate_is_refused_while_training(qtbot, window):
    controller = window.controller
    window.state.set_settings(epochs=2, train_size=2000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        controller.start()
        threads = len(controller.threads())
        with qtbot.waitSignal(controller.message) as said:
            window.state.request_evaluation()
        assert "when it ends" in said.args[0]
        assert len(controller.threads()) == threads  # no second worker was started


def chapter_model(hidden_activation="relu"):
    model = engine.Sequential([Flatten(input_shape=(28, 28)), Dense(32, activation=hidden_activation),
                               Dense(10, activation="softmax")])
    model.compile("rmsprop", "categorical_crossentropy", ["accuracy"])
    return model


def test_a_loaded_model_is_continued_not_called_random(qtbot, window, tmp_path):
    path = tmp_path / "m.npz"
    chapter_model().save(path)
    with qtbot.waitSignal(window.state.evaluation_changed, timeout=LONG):
        assert window.load_model(path)
    assert window.controller.will_continue()
    assert window.training_panel.train_button.text() == "Continue: epochs 1–5"  # from the loaded weights
    window.state.set_settings(epochs=1)  # epochs are not part of the design: the run goes on
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        window.controller.start()
    assert "(from the loaded weights)" in window.training_panel.log_view.toPlainText()


def test_a_model_the_network_panel_cannot_show_does_not_pose_as_the_current_run(qtbot, window, tmp_path):
    window.state.set_settings(epochs=1, train_size=1000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        window.controller.start()
    assert window.controller.will_continue()
    odd = engine.Sequential([Flatten(input_shape=(28, 28)), Dense(16, activation="relu", use_bias=False),
                             Dense(10, activation="softmax")])  # no bias: not expressible in the panel
    path = tmp_path / "odd.npz"
    odd.save(path)
    with qtbot.waitSignal(window.state.evaluation_changed, timeout=LONG):
        assert window.load_model(path)
    assert window.state.model is not None and not window.controller.will_continue()


def test_loading_a_model_without_a_dataset_says_so(qtbot, window, tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    chapter_model().save(path)
    errors = []
    monkeypatch.setattr(window, "show_error", lambda title, text: errors.append(title) or False)
    window.state._dataset = None  # as if no dataset could be opened
    assert window.load_model(path) is False
    assert errors == ["No dataset"]


# ----- the data is prepared before Train is pressed ---------------------------------------------
def test_the_data_is_prepared_in_the_background_before_train(qtbot, window, monkeypatch):
    """Full MNIST as float32 takes ~0.4 s of fresh memory: the window prepares it while the learner
    is still designing, and Train then finds it ready (prepared once, not twice)."""
    cache, state = window.controller._cache, window.state
    qtbot.waitUntil(lambda: cache.holds(state.dataset, state.settings), timeout=10_000)
    calls = []
    real = training_data.prepare_data
    monkeypatch.setattr(training_data, "prepare_data", lambda *a: calls.append(a) or real(*a))
    before = cache.get(state.dataset, state.settings)
    assert calls == []  # ready: nothing to prepare
    state.set_settings(dataclasses.replace(state.settings, train_size=1000))
    qtbot.waitUntil(lambda: cache.holds(state.dataset, state.settings), timeout=10_000)
    assert len(calls) == 1 and len(cache.get(state.dataset, state.settings).x_train) == 1000
    assert cache.get(state.dataset, state.settings) is not before


def test_warm_requests_that_pile_up_prepare_only_the_newest(monkeypatch):
    gate, prepared = threading.Event(), []
    real = training_data.prepare_data

    def slow_prepare(dataset, settings):
        gate.wait(10)
        prepared.append(settings.train_size)
        return real(dataset, settings)

    monkeypatch.setattr(training_data, "prepare_data", slow_prepare)
    dataset, cache = load_sample_dataset(), training_data.PreparedDataCache()
    for size in (100, 200, 300, 400):  # the first starts at once; the others fold into the newest
        cache.warm(dataset, TrainSettings(train_size=size))
    gate.set()
    deadline = time.monotonic() + 10
    while not cache.holds(dataset, TrainSettings(train_size=400)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert prepared == [100, 400]
    assert len(cache.get(dataset, TrainSettings(train_size=400)).x_train) == 400

"""What a launch takes back from the last one (issue 11, section 3): the dataset that was open is
reopened, and the network trained before the app closed comes back with the same predictions.

Every test has its own settings file and its own data folder (``PLAYGROUND_DATA_DIR``): none
touches the user's."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from engine.datasets import mnist
from playground import app as app_module
from playground.core.data_loading import load_sample_dataset
from playground.core.specs import prepare_images
from playground.main_window import MainWindow
from playground.training.session_memory import DATASET_KEY, SessionMemory, last_model_path
from playground.training.state import LayerSpec
from playground.training.training_controller import IDLE

LONG = 120_000


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(folder))
    assert last_model_path() == folder / "last_model.npz"
    return folder


@pytest.fixture
def launch(qtbot, tmp_path, data_folder):
    """``launch()`` starts the app as ``neural-playground`` does, on this test's settings file; the
    previous window is closed first (as a restart does)."""
    windows = []

    def start(restore=True, reopen_dataset=True):
        if windows:
            windows[-1].close()
        window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
        qtbot.addWidget(window)
        window.show()
        window.memory = SessionMemory(window)
        if restore:
            with qtbot.waitSignal(window.memory.restored, timeout=LONG):
                window.memory.restore(reopen_dataset=reopen_dataset)
        windows.append(window)
        return window

    yield start
    for window in windows:
        window.close()


@pytest.fixture
def small_dataset(tmp_path):
    """600 + 100 digits of the sample, as Keras's mnist.npz lays them out."""
    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    path = tmp_path / "my_mnist.npz"
    np.savez(path, x_train=x_train[:600], y_train=y_train[:600], x_test=x_test[:100], y_test=y_test[:100])
    return path


def open_dataset(qtbot, window, path):
    with qtbot.waitSignal(window.file_loader.finished, timeout=LONG,
                          check_params_cb=lambda kind, ok: kind == "dataset") as read:
        assert window.open_dataset(path)
    assert read.args[1] is True


def train(qtbot, window, **settings):
    window.state.set_settings(**settings)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        window.training_panel.train_button.click()
    qtbot.waitUntil(lambda: window.controller.phase == IDLE and window.state.evaluation is not None, timeout=LONG)


# -- the dataset ----------------------------------------------------------------------------------
def test_the_dataset_opened_last_is_reopened_at_launch(launch, qtbot, small_dataset):
    first = launch()
    assert first.state.dataset.name.startswith("MNIST sample")
    open_dataset(qtbot, first, small_dataset)
    assert first.store.value(DATASET_KEY) == str(small_dataset.resolve())

    again = launch()  # a restart
    assert again.state.dataset.source == str(small_dataset.resolve()) or \
        os.path.samefile(again.state.dataset.source, small_dataset)
    assert len(again.state.dataset.x_train) == 600 and again.memory.notes == []


def test_the_sample_is_remembered_as_the_sample(launch, qtbot, small_dataset):
    first = launch()
    open_dataset(qtbot, first, small_dataset)
    assert first.use_sample_dataset()
    assert first.store.value(DATASET_KEY) is None
    again = launch()
    assert again.state.dataset.name.startswith("MNIST sample")


def test_a_dataset_that_is_gone_gets_a_note_and_the_sample_opens(launch, qtbot, small_dataset):
    first = launch()
    open_dataset(qtbot, first, small_dataset)
    first.close()
    small_dataset.unlink()

    again = launch()
    assert again.state.dataset.name.startswith("MNIST sample")
    note = again.statusBar().currentMessage()
    assert "dataset you had open last time is gone" in note and small_dataset.name in note
    assert "bundled sample is open" in note
    assert again.store.value(DATASET_KEY) is None  # said once, not at every launch


def test_a_dataset_that_became_unreadable_says_so_and_the_sample_stays(launch, qtbot, small_dataset):
    first = launch()
    open_dataset(qtbot, first, small_dataset)
    first.close()
    small_dataset.write_bytes(b"not an npz any more")
    again = launch()
    assert again.state.dataset.name.startswith("MNIST sample")
    assert small_dataset.name in again.last_message  # File > Open's own message
    assert again.store.value(DATASET_KEY) is None


def test_a_dataset_given_with_data_is_not_replaced_by_the_remembered_one(launch, qtbot, small_dataset):
    first = launch()
    open_dataset(qtbot, first, small_dataset)
    again = launch(reopen_dataset=False)  # neural-playground --data ... chose one
    assert again.state.dataset.name.startswith("MNIST sample")


# -- the trained network --------------------------------------------------------------------------
def test_the_network_trained_before_closing_comes_back_with_the_same_predictions(launch, qtbot, data_folder):
    first = launch()
    first.state.set_layers((LayerSpec(32, "relu"),))
    train(qtbot, first, epochs=1, train_size=600)
    digits = prepare_images(first.state.dataset.x_test[:50])
    before = first.state.model.predict(digits, verbose=0)
    first.close()
    assert (data_folder / "last_model.npz").is_file()
    assert not [p for p in data_folder.iterdir() if p.name.endswith(".tmp")]  # written atomically

    again = launch()
    state = again.state
    assert state.model is not None and state.trained and state.layers == (LayerSpec(32, "relu"),)
    np.testing.assert_array_equal(state.model.predict(digits, verbose=0), before)
    assert again.controller.will_continue()  # Continue trains it on
    assert "network you trained last time is back" in again.memory.notes[-1]  # shown in the status bar
    qtbot.waitUntil(lambda: state.evaluation is not None, timeout=LONG)  # and it is evaluated


def test_the_network_comes_back_on_the_dataset_reopened_with_it(launch, qtbot, small_dataset):
    first = launch()
    open_dataset(qtbot, first, small_dataset)
    first.state.set_layers((LayerSpec(16, "relu"),))
    train(qtbot, first, epochs=1)
    weights = first.state.model.get_weights()
    again = launch()
    assert len(again.state.dataset.x_train) == 600
    for ours, theirs in zip(again.state.model.get_weights(), weights):
        np.testing.assert_array_equal(ours, theirs)


def test_a_network_of_another_design_is_not_restored_and_the_note_says_where_it_is(launch, qtbot, data_folder):
    first = launch()
    first.state.set_layers((LayerSpec(32, "relu"),))
    train(qtbot, first, epochs=1, train_size=600)
    first.close()
    again = launch(restore=False)
    again.state.set_layers((LayerSpec(64, "tanh"),))  # e.g. a settings file from elsewhere
    with qtbot.waitSignal(again.memory.restored, timeout=LONG):
        again.memory.restore()
    assert again.state.model is None
    note = again.memory.notes[-1]
    assert "another design" in note and str(data_folder / "last_model.npz") in note


def test_closing_without_a_trained_network_leaves_none_to_restore(launch, qtbot, data_folder):
    first = launch()
    first.state.set_layers((LayerSpec(32, "relu"),))
    train(qtbot, first, epochs=1, train_size=600)
    first.controller.reset_weights()  # random weights again: nothing trained to keep
    first.close()
    assert not (data_folder / "last_model.npz").exists()
    again = launch()
    assert again.state.model is None and again.memory.notes == []


def test_a_damaged_network_file_is_set_aside_with_a_note(launch, qtbot, data_folder):
    data_folder.mkdir()
    (data_folder / "last_model.npz").write_bytes(b"PK\x03\x04 half a zip")
    window = launch()
    assert window.state.model is None
    assert not (data_folder / "last_model.npz").exists()
    assert (data_folder / "last_model.damaged.npz").exists()
    assert "could not be read" in window.memory.notes[-1]


# -- the entry point ------------------------------------------------------------------------------
@pytest.fixture
def user_settings_in_tmp(tmp_path):
    for fmt in (QSettings.NativeFormat, QSettings.IniFormat):
        QSettings.setPath(fmt, QSettings.UserScope, str(tmp_path / "user-config"))
    yield
    default = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    for fmt in (QSettings.NativeFormat, QSettings.IniFormat):
        QSettings.setPath(fmt, QSettings.UserScope, default)


def test_neural_playground_reopens_the_last_dataset(qtbot, monkeypatch, small_dataset, data_folder,
                                                    user_settings_in_tmp):
    shown = []
    monkeypatch.setattr(QApplication, "exec", lambda self: shown.extend(QApplication.topLevelWidgets()) or 0)
    assert app_module.main(["--data", str(small_dataset)]) == 0
    first = next(w for w in shown if isinstance(w, MainWindow) and w.isVisible())
    assert len(first.state.dataset.x_train) == 600
    first.close()
    shown.clear()
    assert app_module.main([]) == 0  # no --data: the last one comes back
    window = next(w for w in shown if isinstance(w, MainWindow) and w.isVisible())
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: len(window.state.dataset.x_train) == 600, timeout=LONG)
    window.close()
    assert load_sample_dataset().name.startswith("MNIST sample")

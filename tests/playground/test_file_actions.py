"""The File menu against hostile files and faults: messages in the app's words, nothing lost,
and files read off the UI thread (issue 12, items 11, 20 and 21)."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

import engine
import playground.core.data_loading as data_loading
from playground import app as app_module
from playground import file_actions
from playground.core import error_messages, model_files
from playground.main_window import MainWindow
from playground.training.file_loading_worker import FileLoader
from playground.training.state import CHAPTER_NETWORK, LayerSpec
from playground.widgets.theme import apply_theme

LONG = 120_000
DEVELOPER_SPEAK = ("allow_pickle", "pickle", "load_sample", "validate(", "expect_full", "PLAYGROUND_", "--data",
                   ".tmp", "Traceback", "Errno")


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)
    yield w
    apply_theme(False)


def finish(qtbot, window, kind, action) -> bool:
    """Run a File action that reads on a worker thread; wait until it is done; True if adopted."""
    with qtbot.waitSignal(window.file_loader.finished, timeout=LONG,
                          check_params_cb=lambda done, ok: done == kind) as blocker:
        assert action() is True  # the read started
    return blocker.args[1]


def speaks_the_apps_words(message: str) -> bool:
    return not any(word in message for word in DEVELOPER_SPEAK)


def chapter_model(units=16):
    model = engine.Sequential([engine.layers.Flatten(input_shape=(28, 28)),
                               engine.layers.Dense(units, activation="relu"),
                               engine.layers.Dense(10, activation="softmax")])
    model.compile("rmsprop", "categorical_crossentropy", ["accuracy"])
    return model


# -- item 11: what happened and what to do, in the app's words -------------------------------------
def test_random_bytes_opened_as_a_model_say_so_without_numpy_words(qtbot, window, tmp_path):
    noise = tmp_path / "noise.npz"
    noise.write_bytes(np.random.default_rng(0).bytes(5000))
    assert finish(qtbot, window, "model", lambda: window.load_model(noise)) is False
    message = window.last_message
    assert "“noise.npz” is not a model file saved by Neural Playground" in message
    assert "File > Load model…" in message and speaks_the_apps_words(message), message
    assert window.state.model is None


def test_saving_into_a_missing_folder_names_the_folder_not_a_temporary_file(qtbot, window, tmp_path):
    window.state.set_model(chapter_model(), trained=True)
    target = tmp_path / "no" / "such" / "folder" / "model.npz"
    assert window.save_model(target) is False
    message = window.last_message
    assert f"The folder {target.parent} does not exist" in message and "save again" in message
    assert speaks_the_apps_words(message), message
    assert not (tmp_path / "no").exists()
    boxes = window.findChildren(QMessageBox, "errorMessageBox")
    assert [box.text() for box in boxes] == [message]  # the box shown is this message, and only it


def test_the_engines_own_save_error_is_worded_for_the_app(qtbot, window, tmp_path, monkeypatch):
    """Even when the folder vanishes between the check and the write (the engine's temporary file)."""
    model = chapter_model()
    window.state.set_model(model, trained=True)

    def vanished(path):
        raise FileNotFoundError(2, "No such file or directory", str(tmp_path / "gone" / ".model.npz.x8d_tmp.tmp"))

    monkeypatch.setattr(model, "save", vanished)
    assert window.save_model(tmp_path / "model.npz") is False
    assert "does not exist" in window.last_message and speaks_the_apps_words(window.last_message)


def test_dataset_messages_drop_the_engines_programmer_hints(tmp_path):
    subset = tmp_path / "subset.npz"
    x, y = np.zeros((60, 28, 28), np.uint8), np.zeros(60, np.uint8)
    np.savez(subset, x_train=x, y_train=y, x_test=x, y_test=y)
    try:
        data_loading.load_dataset_file(subset)
    except Exception as exc:  # noqa: BLE001 - the engine may or may not take subsets
        message = error_messages.open_dataset_failed(subset, exc)
        assert speaks_the_apps_words(message) and "File > Open dataset…" in message, message
    engine_text = ValueError(f"{subset} is not a valid MNIST file: x_train has 60 images, but the full MNIST "
                             "has 60000 (for a subset, use validate(..., expect_full=False) or load_sample())")
    message = error_messages.open_dataset_failed(subset, engine_text)
    assert "“subset.npz” is not a valid MNIST file: x_train has 60 images, but the full MNIST has 60000." in message
    assert speaks_the_apps_words(message), message


def test_the_engines_reason_follows_the_apps_sentence_once():
    path = "/data/m.npz"
    engine_text = ValueError(f"{path} is a corrupt or incompatible model file: layer 2 has dtype S8, expected float32")
    assert error_messages.load_model_failed(path, engine_text).splitlines()[0] == (
        "“m.npz” is not a model file saved by Neural Playground, or it is damaged "
        "(layer 2 has dtype S8, expected float32).")


def test_plain_drops_nested_parentheses_and_sentences_meant_for_programmers():
    text = ("broken.npz is not a model file (unreadable archive: This file contains pickled (object) data. "
            "If you trust the file you can load it unsafely using the `allow_pickle=` keyword argument or "
            "`pickle.load()`.)")
    assert error_messages.plain(text) == "broken.npz is not a model file"
    assert error_messages.plain("Saved to a.npz (32 MB). Set PLAYGROUND_DATA_DIR to move it.") == \
        "Saved to a.npz (32 MB)."


# -- item 20: every exception from a hostile file becomes a message ---------------------------------
@pytest.mark.parametrize("error", [MemoryError(), RecursionError("maximum recursion depth exceeded"),
                                   TypeError("'NpyFile' object is not subscriptable"), KeyError("kernel"),
                                   OverflowError("cannot fit 'int' into an index-sized integer")])
def test_any_exception_while_loading_a_model_is_a_message(qtbot, window, tmp_path, monkeypatch, error):
    def hostile(path):
        raise error

    monkeypatch.setattr(engine.models, "load_model", hostile)
    (tmp_path / "evil.npz").write_bytes(b"PK")
    before = window.state.layers
    assert finish(qtbot, window, "model", lambda: window.load_model(tmp_path / "evil.npz")) is False
    assert "“evil.npz”" in window.last_message and speaks_the_apps_words(window.last_message)
    assert window.state.model is None and window.state.layers == before


@pytest.mark.parametrize("error", [MemoryError(), RecursionError(), TypeError("bad header")])
def test_any_exception_while_opening_a_dataset_is_a_message(qtbot, window, tmp_path, monkeypatch, error):
    def hostile(path):
        raise error

    monkeypatch.setattr(file_actions, "load_dataset_file", hostile)
    before = window.state.dataset
    assert finish(qtbot, window, "dataset", lambda: window.open_dataset(tmp_path / "evil.npz")) is False
    assert "“evil.npz”" in window.last_message and window.state.dataset is before


def test_a_npy_file_opened_as_a_model_or_dataset_is_a_message(qtbot, window, tmp_path):
    array = tmp_path / "array.npy"
    np.save(array, np.zeros(3))
    assert finish(qtbot, window, "model", lambda: window.load_model(array)) is False
    assert "“array.npy”" in window.last_message and speaks_the_apps_words(window.last_message)
    assert finish(qtbot, window, "dataset", lambda: window.open_dataset(array)) is False
    assert "“array.npy”" in window.last_message and speaks_the_apps_words(window.last_message)


def test_save_and_export_turn_any_exception_into_a_message(window, tmp_path, monkeypatch):
    model = chapter_model()
    window.state.set_model(model, trained=True)
    monkeypatch.setattr(model, "save", lambda path: (_ for _ in ()).throw(MemoryError()))
    assert window.save_model(tmp_path / "m.npz") is False and "not enough memory" in window.last_message
    monkeypatch.setattr(window.training_panel.plots, "export_png", lambda folder: (_ for _ in ()).throw(TypeError()))
    assert window.export_plots(tmp_path / "plots") == [] and "Choose another folder" in window.last_message


def test_data_with_a_hostile_file_falls_back_to_the_sample(qtbot, monkeypatch, tmp_path, capsys):
    def hostile(path):
        raise MemoryError()

    monkeypatch.setattr(data_loading, "load_dataset_file", hostile)
    shown = []
    monkeypatch.setattr(QApplication, "exec", lambda self: shown.extend(QApplication.topLevelWidgets()) or 0)
    assert app_module.main(["--data", str(tmp_path / "evil.npz")]) == 0
    windows = [w for w in shown if isinstance(w, MainWindow) and w.isVisible()]
    assert len(windows) == 1 and len(windows[0].state.dataset.x_train) == 6000
    assert "“evil.npz”" in windows[0].last_message and "The bundled sample is open instead." in windows[0].last_message
    assert "evil.npz" in capsys.readouterr().err
    windows[0].close()


# -- item 21: files are read off the UI thread and checked before they are adopted -------------------
def test_a_slow_dataset_file_does_not_freeze_the_window(qtbot, window, monkeypatch):
    started, release = threading.Event(), threading.Event()
    sample = window.state.dataset
    bigger = data_loading.load_sample_dataset()

    def slow(path):
        started.set()
        release.wait(60)  # a slow disk or network drive
        return bigger

    monkeypatch.setattr(file_actions, "load_dataset_file", slow)
    ticks = []
    timer = QTimer(window, interval=10, timeout=lambda: ticks.append(1))
    timer.start()
    assert window.open_dataset("slow.npz") is True  # returns at once: the read runs elsewhere
    assert started.wait(30) and window.file_loader.loading("dataset")
    qtbot.waitUntil(lambda: len(ticks) >= 3, timeout=LONG)  # the UI thread keeps running its events
    assert window.state.dataset is sample and "Opening slow.npz" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.file_loader.finished, timeout=LONG):
        release.set()
    assert window.state.dataset is bigger


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_opened_as_a_model_never_blocks_and_a_later_load_wins(qtbot, window, tmp_path):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)
    good = tmp_path / "good.npz"
    chapter_model(units=24).save(good)
    try:
        assert window.load_model(fifo) is True  # the engine may refuse it or block on it: never here
        qtbot.wait(20)
        with qtbot.waitSignal(window.file_loader.finished, timeout=LONG,
                              check_params_cb=lambda kind, ok: kind == "model" and ok):
            assert window.load_model(good) is True
        assert window.state.layers == (LayerSpec(24, "relu", 0.0),)
    finally:  # if the engine is still waiting on the FIFO, let it see the end of the file
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # no reader: the engine refused the FIFO without opening it
            pass


def test_a_model_whose_prediction_fails_is_refused_before_it_is_adopted(qtbot, window, tmp_path, monkeypatch):
    path = tmp_path / "odd.npz"
    chapter_model().save(path)
    real_load = engine.models.load_model

    def broken_predictions(p):
        model = real_load(p)
        model.predict = lambda x, **kw: np.zeros((len(x), 10), dtype=object)  # e.g. 'object' layer dtypes
        return model

    monkeypatch.setattr(engine.models, "load_model", broken_predictions)
    assert finish(qtbot, window, "model", lambda: window.load_model(path)) is False
    assert "cannot be used on these digits" in window.last_message
    assert window.state.model is None and window.state.layers == CHAPTER_NETWORK


def test_read_model_checks_a_prediction_on_two_test_digits():
    dataset = data_loading.load_sample_dataset()
    model = chapter_model()

    def raising(x, **kw):
        raise TypeError("Cannot cast array data from dtype('S8') to dtype('float32')")

    model.predict = raising
    with pytest.raises(model_files.ModelUnusable, match="fails to predict a digit"):
        model_files.check_model(model, dataset)
    assert model_files.check_model(chapter_model(), dataset).specs == (LayerSpec(16, "relu", 0.0),)


def test_the_newest_load_wins_and_a_superseded_result_is_dropped(qtbot):
    loader = FileLoader()
    first_may_finish = threading.Event()
    adopted = []
    loader.start("model", lambda: first_may_finish.wait(30) and "first", adopted.append, adopted.append)
    with qtbot.waitSignal(loader.finished, timeout=LONG):
        loader.start("model", lambda: "second", adopted.append, adopted.append)
    assert adopted == ["second"] and not loader.is_loading
    first_may_finish.set()
    qtbot.wait(50)
    assert adopted == ["second"]  # the first result arrived late and was dropped


def test_closing_the_window_during_a_read_adopts_nothing_afterwards(qtbot, window, monkeypatch):
    started, release = threading.Event(), threading.Event()
    sample = window.state.dataset

    def slow(path):
        started.set()
        release.wait(60)
        return data_loading.load_sample_dataset()

    monkeypatch.setattr(file_actions, "load_dataset_file", slow)
    window.show()
    assert window.open_dataset("slow.npz") is True and started.wait(30)
    window.close()  # returns at once: nothing waits for the read
    assert not window.file_loader.is_loading
    release.set()
    for thread in threading.enumerate():
        if thread.name == "load-dataset":
            thread.join(60)  # its result is posted to the UI thread before the thread ends
    qtbot.wait(20)  # ...and delivered here, where it is dropped
    assert window.state.dataset is sample and window.findChild(QMessageBox, "errorMessageBox") is None

"""The application shell: window, panels, menus, settings that survive restarts, file actions."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDockWidget, QMessageBox, QWidget

import engine
import playground
from playground import app as app_module
from playground.core import persistence, system_check
from playground.main_window import DOCKS, MainWindow, about_html
from playground.training.state import CHAPTER_NETWORK, AppState, LayerSpec, TrainSettings
from playground.widgets.theme import ERROR_RED_ON_DARK, ERROR_RED_ON_LIGHT, apply_theme, is_dark

LONG = 120_000
PANELS = ("dataPanel", "networkPanel", "optimizerPanel", "trainingPanel", "evaluatePanel", "drawPanel")
CONTRACT_WIDGETS = PANELS + ("lossPlot", "accuracyPlot", "trainButton", "pauseButton", "stopButton")


@pytest.fixture
def ini(tmp_path):
    return str(tmp_path / "settings.ini")


@pytest.fixture
def make_window(qtbot, ini):
    def make(**kwargs):
        kwargs.setdefault("settings", QSettings(ini, QSettings.IniFormat))
        w = MainWindow(**kwargs)
        qtbot.addWidget(w)
        return w

    yield make
    apply_theme(False)  # never leave a dark palette to the next test


@pytest.fixture
def user_settings_in_tmp(tmp_path):
    """Point the default (native) QSettings at a temp folder: tests never touch the user's."""
    for fmt in (QSettings.NativeFormat, QSettings.IniFormat):
        QSettings.setPath(fmt, QSettings.UserScope, str(tmp_path / "user-config"))
    yield tmp_path / "user-config"
    default = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")  # Qt's default
    for fmt in (QSettings.NativeFormat, QSettings.IniFormat):
        QSettings.setPath(fmt, QSettings.UserScope, default)


# -- construction ------------------------------------------------------------------------------
def test_window_constructs_with_no_arguments(qtbot, user_settings_in_tmp):
    w = playground.MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert w.state.dataset is not None and len(w.state.dataset.x_train) == 6000  # the bundled sample
    w.close()
    assert list(user_settings_in_tmp.rglob("*")), "settings were written to the redirected folder"


def test_a_missing_sample_opens_an_empty_window_that_says_why(make_window, monkeypatch):
    import playground.core.data_loading as data_loading

    def broken():
        raise OSError("assets/mnist_sample.npz is missing")

    monkeypatch.setattr(data_loading, "load_sample_dataset", broken)
    w = make_window()
    assert w.state.dataset is None and "mnist_sample.npz is missing" in w.last_message
    assert not w.training_panel.train_button.isEnabled()
    assert "No dataset loaded" in w.training_panel.reason_label.text()


def test_all_panels_are_docked_with_their_object_names(make_window):
    w = make_window()
    for name in CONTRACT_WIDGETS:
        assert w.findChild(QWidget, name) is not None, name
    docks = w.findChildren(QDockWidget)
    assert sorted(d.objectName() for d in docks) == sorted(name for _, name in DOCKS)
    view_menu = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == "View")
    view_actions = [a.text() for a in view_menu.actions()]
    for title, _ in DOCKS:
        assert title in view_actions
    assert w.dockWidgetArea(w.docks["Network"]) != w.dockWidgetArea(w.docks["Training"])
    assert w.tabifiedDockWidgets(w.docks["Data"])  # Data, Evaluate and Draw share a tab group


def test_about_names_the_credits():
    text = about_html()
    for credit in ("Yann LeCun", "Corinna Cortes", "Christopher J.C. Burges", "CC BY-SA 3.0",
                   "Deep Learning with R", "Chollet", "Allaire"):
        assert credit in text


def test_dark_theme_toggles_the_palette_and_the_plots(qtbot, make_window):
    w = make_window()
    plot = w.findChild(QWidget, "lossPlot")
    light_base = plot.backgroundBrush().color()
    assert light_base == w.palette().color(QPalette.Base)
    w.set_dark_theme(True)
    assert is_dark() and w.dark_action.isChecked()
    qtbot.waitUntil(lambda: plot.backgroundBrush().color().lightness() < 100)  # Qt posts the change
    w.set_dark_theme(False)
    assert not is_dark() and not w.dark_action.isChecked()
    qtbot.waitUntil(lambda: plot.backgroundBrush().color() == light_base)


def test_error_messages_take_the_red_of_the_current_theme(qtbot, make_window):
    w = make_window()
    w.state.set_layers([LayerSpec(0, "relu", 0.0)])  # units 0: the Network panel says why in red
    data = w.panels["Data"]
    data.slice_edit.setText("x_train[10**9]")  # an invalid slice: red message and a red border
    styled = [w.findChild(QWidget, "networkErrorLabel"), data.slice_error, data.slice_edit]
    assert all(ERROR_RED_ON_LIGHT in widget.styleSheet() for widget in styled)
    w.set_dark_theme(True)
    qtbot.waitUntil(lambda: all(ERROR_RED_ON_DARK in widget.styleSheet() for widget in styled))
    w.set_dark_theme(False)
    qtbot.waitUntil(lambda: all(ERROR_RED_ON_LIGHT in widget.styleSheet() for widget in styled))


# -- settings ------------------------------------------------------------------------------------
def test_settings_and_layout_persist_between_launches(make_window, ini):
    first = make_window()
    first.state.set_layers([LayerSpec(128, "tanh", 0.25), LayerSpec(32, "relu", 0.0)])
    first.state.set_settings(optimizer="adam", learning_rate=0.003, batch_size=64, epochs=7, seed=42)
    first.docks["Draw"].hide()
    first.set_dark_theme(True)
    first.close()
    second = make_window()
    assert second.state.layers == (LayerSpec(128, "tanh", 0.25), LayerSpec(32, "relu", 0.0))
    s = second.state.settings
    assert (s.optimizer, s.learning_rate, s.batch_size, s.epochs, s.seed) == ("adam", 0.003, 64, 7, 42)
    assert second.docks["Draw"].isHidden() and not second.docks["Network"].isHidden()
    assert second.dark_action.isChecked() and is_dark()


def test_garbage_settings_do_not_crash_and_keep_what_is_valid(make_window, ini):
    store = QSettings(ini, QSettings.IniFormat)
    store.setValue("window/geometry", "not a geometry")
    store.setValue("window/state", b"\x00garbage")
    store.setValue("view/dark_theme", "perhaps")
    store.setValue(persistence.LAYERS_KEY, '[{"units": "many"}]')
    store.setValue(persistence.SETTINGS_KEY,
                   '{"learning_rate": "fast", "batch_size": -4, "epochs": 3, "optimizer": "magic", "seed": 1.5}')
    store.setValue("files/last_folder", 12)
    store.sync()
    w = make_window()
    assert w.state.layers == CHAPTER_NETWORK
    assert w.state.settings == TrainSettings(epochs=3)  # the one good value
    assert w.state.training_errors() == []
    assert not w.dark_action.isChecked()
    for text in ("{not json", "[]", "null", '"x"', "[[[[["):
        state = AppState()
        persistence.restore_settings(state, text)
        persistence.restore_layers(state, text if text != "[]" else "[1]")
        assert state.settings == TrainSettings() and state.layers == CHAPTER_NETWORK


# -- file actions ----------------------------------------------------------------------------------
def finish(qtbot, window, kind, action) -> bool:
    """Run a File action that reads on a worker thread; wait until it is done; True if adopted."""
    with qtbot.waitSignal(window.file_loader.finished, timeout=LONG,
                          check_params_cb=lambda done, ok: done == kind) as blocker:
        assert action() is True  # the read started
    return blocker.args[1]


def test_open_dataset_keeps_the_old_one_on_a_corrupt_file(qtbot, make_window, tmp_path):
    w = make_window()
    before = w.state.dataset
    corrupt = tmp_path / "mnist.npz"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip file")
    assert finish(qtbot, w, "dataset", lambda: w.open_dataset(corrupt)) is False
    assert w.state.dataset is before
    assert "not a valid MNIST file" in w.last_message and "Open dataset" in w.last_message
    box = w.findChild(QMessageBox, "errorMessageBox")
    assert box is not None and box.isVisible() and box.text() == w.last_message
    assert finish(qtbot, w, "dataset", lambda: w.open_dataset(tmp_path / "missing.npz")) is False
    assert "does not exist" in w.last_message
    assert w.state.dataset is before


def test_open_dataset_loads_a_full_size_file(qtbot, make_window, tmp_path):
    w = make_window()
    sample = w.state.dataset
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.tile(sample.x_train, (10, 1, 1)), y_train=np.tile(sample.y_train, 10),
             x_test=np.tile(sample.x_test, (10, 1, 1)), y_test=np.tile(sample.y_test, 10))
    assert finish(qtbot, w, "dataset", lambda: w.open_dataset(path)) is True
    assert len(w.state.dataset.x_train) == 60000 and "60,000" in w.dataset_label.text()


def test_save_and_load_model_round_trip(qtbot, make_window, tmp_path):
    w = make_window()
    assert w.save_model(tmp_path / "nothing.npz") is False and "Train" in w.last_message
    w.state.set_layers([LayerSpec(32, "relu", 0.2)])
    w.state.set_settings(epochs=1, train_size=1000)
    with qtbot.waitSignal(w.training_finished, timeout=LONG):
        w.controller.start()
    path = tmp_path / "model.npz"
    assert w.save_model(path) is True and path.stat().st_size > 0
    saved = w.state.model.get_weights()

    other = make_window(settings=QSettings(str(tmp_path / "other.ini"), QSettings.IniFormat))
    assert other.state.layers == CHAPTER_NETWORK
    with qtbot.waitSignal(other.state.evaluation_changed, timeout=LONG):
        assert other.load_model(path) is True
    assert other.state.evaluation is not None and other.state.evaluation.accuracy > 0.5
    assert other.state.layers == (LayerSpec(32, "relu", 0.2),)  # the Network panel shows it
    for a, b in zip(saved, other.state.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with qtbot.waitSignal(other.training_finished, timeout=LONG):  # Train continues these weights
        other.controller.start()
    assert other.controller.run.label == "loaded model.npz"


def test_corrupt_or_incompatible_model_files_are_refused_with_a_message(qtbot, make_window, tmp_path):
    w = make_window()
    corrupt = tmp_path / "broken.npz"
    corrupt.write_bytes(b"\x00" * 100)
    assert finish(qtbot, w, "model", lambda: w.load_model(corrupt)) is False
    assert "not a model file" in w.last_message
    assert w.state.model is None
    small = engine.Sequential([engine.layers.Flatten(input_shape=(14, 14)), engine.layers.Dense(3)])
    small.save(tmp_path / "small.npz")
    assert finish(qtbot, w, "model", lambda: w.load_model(tmp_path / "small.npz")) is False
    assert "196 inputs and gives 3 outputs" in w.last_message
    assert w.state.model is None


def test_export_plots_writes_png_and_csv(qtbot, make_window, tmp_path):
    w = make_window()
    w.state.set_settings(epochs=1, train_size=1000, validation_split=0.2)
    with qtbot.waitSignal(w.training_finished, timeout=LONG):
        w.controller.start()
    paths = w.export_plots(tmp_path / "export")
    names = sorted(p.name for p in paths)
    assert names == ["accuracy.png", "loss.png", "training_batches.csv", "training_epochs.csv"]
    for p in paths:
        assert p.stat().st_size > 0
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == names  # no half-written leftovers
    assert (tmp_path / "export" / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    epochs = (tmp_path / "export" / "training_epochs.csv").read_text().splitlines()
    assert epochs[0] == "run,label,epoch_position,loss,accuracy,val_loss,val_accuracy"
    assert len(epochs) == 2 and epochs[1].startswith('1,"512 relu · rmsprop lr=0.001 · bs 128 · ')
    assert '1,000 digits",1,' in epochs[1]  # the run's label (what else it names belongs to the run list)
    batches = (tmp_path / "export" / "training_batches.csv").read_text().splitlines()
    assert len(batches) == 1 + 7  # 800 training digits / 128 = 7 batches


# -- the entry point ------------------------------------------------------------------------------
def test_main_parses_data_and_survives_a_bad_file(qtbot, monkeypatch, tmp_path, user_settings_in_tmp):
    assert app_module.parse_args(["--data", "x.npz"]).data == "x.npz"
    assert app_module.parse_args([]).data is None
    shown, frozen_with = [], []
    monkeypatch.setattr(QApplication, "exec", lambda self: shown.extend(QApplication.topLevelWidgets()) or 0)
    # main() freezes what lives once its window is up; here the freeze would pin this test process's garbage
    monkeypatch.setattr("playground.widgets.garbage_collection.gc.freeze", lambda: frozen_with.extend(
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()))
    bad = tmp_path / "bad.npz"
    bad.write_text("nope")
    assert app_module.main(["--data", str(bad)]) == 0
    windows = [w for w in shown if isinstance(w, MainWindow) and w.isVisible()]
    assert len(windows) == 1, "main() shows exactly one window"
    assert frozen_with == windows, "the window was up when main() froze what lives"
    assert "bad.npz" in windows[0].last_message and "bundled sample" in windows[0].last_message
    assert len(windows[0].state.dataset.x_train) == 6000
    windows[0].close()


# -- a Linux desktop without Qt's X11 libraries (issue 12, item 25) ---------------------------------
def _without(*missing):
    def load(name):
        if name in missing:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
    return load


def test_a_missing_xcb_library_is_named_with_the_apt_line_that_installs_it():
    desktop = {"DISPLAY": ":0"}
    problem = system_check.platform_problem("linux", desktop, _without("libxcb-cursor.so.0", "libxcb-icccm.so.4"))
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4\n" in problem
    assert "libxcb-keysyms1" in problem.splitlines()[-1]  # and the whole list, for a fresh machine
    assert system_check.platform_problem("linux", desktop, _without()) is None


def test_the_library_check_runs_only_where_qt_would_load_xcb():
    nothing = _without(*system_check.XCB_LIBRARIES)
    assert system_check.platform_problem("linux", {"QT_QPA_PLATFORM": "offscreen"}, nothing) is None
    assert system_check.platform_problem("linux", {"WAYLAND_DISPLAY": "wayland-0"}, nothing) is None
    assert system_check.platform_problem("darwin", {}, nothing) is None
    assert system_check.platform_problem("win32", {}, nothing) is None
    assert "libxcb1" in system_check.platform_problem("linux", {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}, nothing)
    assert "DISPLAY is not set" in system_check.platform_problem("linux", {}, _without())


def test_main_prints_the_hint_and_exits_before_qt_can_abort(monkeypatch, capsys):
    monkeypatch.setattr(system_check.sys, "platform", "linux")
    monkeypatch.setattr(system_check, "_loadable", lambda name, load=None: name != "libxcb-cursor.so.0")
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(app_module, "qt_is_running", lambda: False)  # as in a fresh process
    assert app_module.main([]) == app_module.CANNOT_START  # a second QApplication would raise instead
    err = capsys.readouterr().err
    assert "cannot open its window" in err and "sudo apt install libxcb-cursor0" in err


def test_the_window_offers_every_file_edit_and_training_action_and_the_runs_panel(make_window, qtbot, tmp_path):
    """What issue 11 adds is reachable from the window itself, not only from tests that build it."""
    from PySide6.QtGui import QAction

    from playground.core.run_history import RunHistory

    window = make_window(history=RunHistory(tmp_path / "runs.sqlite"))
    names = {action.objectName() for action in window.findChildren(QAction)}
    assert {"openDatasetFolderAction", "exportKerasAction", "importKerasAction",
            "undoAction", "redoAction"} <= names
    menus = [action.text().replace("&", "") for action in window.menuBar().actions()]
    assert menus[:3] == ["File", "Edit", "View"] and "Training" in menus
    assert window.docks["Runs"].objectName() == "runsDock"
    assert window.panels["Runs"].objectName() == "runsPanel"
    window.show()
    window.show_panel("Runs")
    assert window.workspace == "Inspect"
    qtbot.waitUntil(window.docks["Runs"].isVisible)

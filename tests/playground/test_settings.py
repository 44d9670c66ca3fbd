"""Settings: tests never touch the user's own files; what is saved comes back, within limits."""
from __future__ import annotations

import configparser
import os
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths

from engine.datasets import mnist
from playground.core import persistence
from playground.main_window import APP_NAME, ORGANISATION, MainWindow
from playground.training.state import CHAPTER_NETWORK, AppState, LayerSpec, TrainSettings
from tests.conftest import REAL_CONFIG_HOME, REAL_DATA_HOME, REAL_HOME


def _inside(path, folder) -> bool:
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def _snapshot(path: Path):
    """What the user's real file looks like now (None when there is none)."""
    return (path.stat().st_mtime_ns, path.read_bytes()) if path.is_file() else None


# -- the test session's own folders (issue 12, item 27) --------------------------------------------
def test_the_app_settings_and_data_folders_lie_in_the_sessions_temp_home(user_folders_in_tmp):
    import platformdirs

    home = user_folders_in_tmp
    app_settings = QSettings(ORGANISATION, APP_NAME).fileName()
    ini_settings = QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANISATION, APP_NAME).fileName()
    data_folders = [mnist.data_dir(), mnist.cache_path(), mnist.keras_cache_path(),
                    platformdirs.user_data_dir("neural-playground", appauthor=False),
                    platformdirs.user_config_dir("neural-playground", appauthor=False),
                    QStandardPaths.writableLocation(QStandardPaths.AppDataLocation),
                    QStandardPaths.writableLocation(QStandardPaths.GenericConfigLocation),
                    Path.home()]
    for path in [app_settings, ini_settings] + data_folders:
        assert _inside(path, home), path
        for real in (REAL_HOME, REAL_CONFIG_HOME, REAL_DATA_HOME):
            assert not _inside(path, real), f"{path} is in the user's {real}"
    assert QStandardPaths.isTestModeEnabled()


def test_a_window_with_default_settings_writes_only_into_the_temp_home(qtbot, user_folders_in_tmp):
    real_file = REAL_CONFIG_HOME / ORGANISATION / f"{APP_NAME}.conf"
    before = _snapshot(real_file)
    window = MainWindow()  # QSettings(ORGANISATION, APP_NAME): the file a user's launch would use
    qtbot.addWidget(window)
    window.state.set_settings(epochs=50)
    window.close()
    written = Path(window.store.fileName())
    assert written.is_file() and _inside(written, user_folders_in_tmp)
    assert "epochs" in written.read_text()
    assert _snapshot(real_file) == before, "the user's own settings file was changed"


# -- what is restored, and when it is written (issue 12, item 24) -----------------------------------
@pytest.fixture
def ini(tmp_path):
    return str(tmp_path / "settings.ini")


@pytest.fixture
def make_window(qtbot, ini):
    def make():
        window = MainWindow(settings=QSettings(ini, QSettings.IniFormat))
        qtbot.addWidget(window)
        return window

    return make


def _saved(ini) -> tuple[TrainSettings, tuple[LayerSpec, ...]]:
    """What the settings file on disk holds (read afresh: not QSettings' in-process cache)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini)
    state = AppState()
    for key, restore in ((persistence.SETTINGS_KEY, persistence.restore_settings),
                         (persistence.LAYERS_KEY, persistence.restore_layers)):
        group, name = key.split("/")
        if parser.has_option(group, name):
            restore(state, json.loads(parser.get(group, name)))  # Qt quotes the JSON text as a string
    return state.settings, state.layers


def test_a_change_is_written_soon_without_closing_so_a_crash_loses_nothing(qtbot, make_window, ini):
    window = make_window()
    window.state.set_layers([LayerSpec(64, "tanh", 0.0)])
    window.state.set_settings(epochs=7)
    assert _saved(ini)[0].epochs != 7  # not written at once: changes are gathered first
    qtbot.waitUntil(lambda: _saved(ini) == (window.state.settings, (LayerSpec(64, "tanh", 0.0),)), timeout=10_000)
    # no close(): the file already holds the design, as it would after a crash


def test_a_burst_of_changes_is_written_once(qtbot, make_window, ini, monkeypatch):
    window = make_window()
    writes = []
    real_save = window.save_settings
    monkeypatch.setattr(window, "save_settings", lambda: writes.append(1) or real_save())
    for epochs in range(2, 22):  # no event is processed in between, so the timer cannot fire
        window.state.set_settings(epochs=epochs)
    assert window.settings_writer.pending
    qtbot.waitUntil(lambda: not window.settings_writer.pending, timeout=10_000)
    assert len(writes) == 1 and _saved(ini)[0].epochs == 21


def test_closing_writes_at_once_and_later_changes_are_not_written(qtbot, make_window, ini):
    window = make_window()
    window.state.set_settings(epochs=9)
    window.close()
    assert _saved(ini)[0].epochs == 9 and not window.settings_writer.pending
    window.state.set_settings(epochs=3)
    assert not window.settings_writer.pending


def test_at_most_max_hidden_layers_are_restored_and_the_learner_is_told(make_window, ini):
    store = QSettings(ini, QSettings.IniFormat)
    store.setValue(persistence.LAYERS_KEY, json.dumps([{"units": 1, "activation": "relu", "dropout": 0.0}] * 20_000))
    store.sync()
    window = make_window()
    assert window.state.layers == (LayerSpec(1, "relu", 0.0),) * persistence.MAX_HIDDEN_LAYERS
    message = window.statusBar().currentMessage()
    assert "20,000 hidden layers" in message and f"at most {persistence.MAX_HIDDEN_LAYERS}" in message


def test_restore_caps_layers_and_ignores_huge_or_unreadable_text():
    state = AppState()
    note = persistence.restore_layers(state, json.dumps([{"units": 8, "activation": "relu"}] * 5000))
    assert len(state.layers) == persistence.MAX_HIDDEN_LAYERS and "5,000 hidden layers" in note
    state = AppState()
    assert "could not be read" in persistence.restore_layers(state, "[" * 10_000)
    huge = json.dumps({"epochs": 3, "padding": "x" * persistence.MAX_SAVED_TEXT})
    assert persistence.restore_settings(state, huge) == 0 and state.settings == TrainSettings()
    assert persistence.restore_layers(state, None) is None and state.layers == CHAPTER_NETWORK


def test_a_model_with_more_hidden_layers_than_the_cap_is_not_put_in_the_network_table():
    import engine
    from playground.core.data_loading import load_sample_dataset
    from playground.core.model_files import layer_specs_of

    dataset = load_sample_dataset()

    def model(hidden):
        return engine.Sequential([engine.layers.Flatten(input_shape=(28, 28))]
                                 + [engine.layers.Dense(2, activation="relu") for _ in range(hidden)]
                                 + [engine.layers.Dense(10, activation="softmax")])

    assert len(layer_specs_of(model(persistence.MAX_HIDDEN_LAYERS), dataset)) == persistence.MAX_HIDDEN_LAYERS
    assert layer_specs_of(model(persistence.MAX_HIDDEN_LAYERS + 1), dataset) is None


def test_settings_are_replaced_whole_never_rewritten_in_place(qtbot, make_window, ini):
    """QSettings writes a new file and renames it over the old one: a crash mid-write keeps the old."""
    window = make_window()
    window.close()
    before = os.stat(ini).st_ino
    other = make_window()
    other.state.set_settings(epochs=11)
    qtbot.waitUntil(lambda: _saved(ini)[0].epochs == 11, timeout=10_000)
    assert os.stat(ini).st_ino != before
    assert sorted(p.name for p in Path(ini).parent.iterdir()) == [Path(ini).name]  # no temporary file left

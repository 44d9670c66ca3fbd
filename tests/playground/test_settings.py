"""Settings: tests never touch the user's own files; what is saved comes back, within limits."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from engine.datasets import mnist
from playground.main_window import APP_NAME, ORGANISATION, MainWindow
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

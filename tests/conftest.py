import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists
import pytest

from engine import backend
from engine.utils import set_random_seed

# Where the user's own files live, read before any test changes the environment: tests compare
# against these to prove they never wrote there.
REAL_HOME = Path(os.path.expanduser("~"))
REAL_CONFIG_HOME = Path(os.environ.get("XDG_CONFIG_HOME") or REAL_HOME / ".config")
REAL_DATA_HOME = Path(os.environ.get("XDG_DATA_HOME") or REAL_HOME / ".local" / "share")

# Variables that name the user's folders (Linux XDG, macOS via HOME, Windows), all pointed into
# the session's temp folder; and the app's own overrides, removed so the defaults are exercised.
_FOLDER_VARIABLES = {
    "HOME": "home", "USERPROFILE": "home",
    "XDG_CONFIG_HOME": "home/.config", "XDG_DATA_HOME": "home/.local/share",
    "XDG_CACHE_HOME": "home/.cache", "XDG_STATE_HOME": "home/.local/state",
    "APPDATA": "home/AppData/Roaming", "LOCALAPPDATA": "home/AppData/Local",
}
_APP_OVERRIDES = ("PLAYGROUND_DATA_DIR", "KERAS_HOME")


@pytest.fixture(scope="session", autouse=True)
def user_folders_in_tmp(tmp_path_factory):
    """The whole test session sees a throw-away home: QSettings, QStandardPaths, platformdirs and
    the engine's data folder all resolve inside it, so no test writes the user's real settings,
    download cache or data (a test run once left epochs=50 in the user's settings file).

    Runs before any other fixture (session scope, autouse), so before pytest-qt's QApplication.
    Yields the fake home folder.
    """
    from PySide6.QtCore import QSettings, QStandardPaths

    root = tmp_path_factory.mktemp("user-folders")
    with pytest.MonkeyPatch.context() as patch:
        for name, relative in _FOLDER_VARIABLES.items():
            folder = root / relative
            folder.mkdir(parents=True, exist_ok=True)
            patch.setenv(name, str(folder))
        for name in _APP_OVERRIDES:
            patch.delenv(name, raising=False)
        QStandardPaths.setTestModeEnabled(True)
        for fmt in (QSettings.NativeFormat, QSettings.IniFormat):
            QSettings.setPath(fmt, QSettings.UserScope, str(root / _FOLDER_VARIABLES["XDG_CONFIG_HOME"]))
            QSettings.setPath(fmt, QSettings.SystemScope, str(root / "system-config"))
        yield root / "home"


@pytest.fixture(autouse=True)
def seeded_float32():
    """Every engine test starts in float32 with seed 0, and leaves float32 behind it."""
    backend.set_floatx("float32")
    set_random_seed(0)
    yield
    backend.set_floatx("float32")

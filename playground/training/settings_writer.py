"""Write the settings soon after they change, not only on a clean close (a crash loses nothing).

Every change (the design, the recipe, the theme, a dock moved or hidden, the window resized)
restarts a single-shot timer; when the changes pause for ``DELAY_MS`` the window's
``save_settings()`` runs once. QSettings itself writes the file atomically (a temporary file
renamed into place), so a crash mid-write leaves the previous settings intact.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer

DELAY_MS = 500


class SettingsWriter(QObject):
    """Debounced ``window.save_settings()``; ``write_now()`` on close writes once and stops."""

    def __init__(self, window, delay_ms: int = DELAY_MS):
        super().__init__(window)
        self.setObjectName("settingsWriter")
        self._window = window
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._write)

    @classmethod
    def watching(cls, window) -> SettingsWriter:
        """A writer that listens to everything the window saves."""
        writer = cls(window)
        for signal in (window.state.network_changed, window.state.settings_changed, window.dark_action.toggled):
            signal.connect(writer.schedule)
        for dock in window.docks.values():
            for signal in (dock.dockLocationChanged, dock.topLevelChanged, dock.visibilityChanged):
                signal.connect(writer.schedule)
        window.installEventFilter(writer)
        return writer

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def schedule(self, *_args) -> None:
        if not self._stopped:
            self._timer.start()  # restarts: one write when the changes pause

    def write_now(self) -> None:
        """Write at once (the window is closing) and ignore later changes."""
        self._timer.stop()
        self._stopped = True
        self._write()

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QEvent.Resize, QEvent.Move) and watched.isVisible():
            self.schedule()
        return False

    def _write(self) -> None:
        self._window.save_settings()
        store = self._window.store
        if store.status() != QSettings.NoError:
            self._window.statusBar().showMessage(
                f"Could not save your settings to {store.fileName()}: is the folder writable?", 15000)

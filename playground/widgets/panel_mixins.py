"""Behaviour several panels share: fitting a short dock, and locking while training runs."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel


class FitsShortDock:
    """Mixin for a panel shown in a dock's scroll area: it asks only for its minimum height.

    Word-wrapped labels give the layout a height-for-width, and QScrollArea would then size
    the panel to its *preferred* height, scrolling the whole panel in a short dock. With this
    the panel takes the height it is given and its inner views scroll instead.
    """

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt name)
        return self.minimumSizeHint().height()


class LocksWhileTraining:
    """Mixin for a panel whose settings cannot change while training runs (the running network
    was built from them). ``_lock_label(name)`` makes the "Locked while training." label and
    follows ``state.training_started`` / ``training_finished``; ``_sync_lock()`` shows the
    label and calls ``_set_locked(training)``, which the panel implements. Needs ``self.state``.
    """

    def _lock_label(self, object_name: str) -> QLabel:
        self.lock_label = QLabel("Locked while training.", self)
        self.lock_label.setObjectName(object_name)
        self.state.training_started.connect(self._sync_lock)
        self.state.training_finished.connect(self._sync_lock)
        return self.lock_label

    def _sync_lock(self, *_) -> None:
        training = self.state.is_training
        self.lock_label.setVisible(training)
        self._set_locked(training)

    def _set_locked(self, training: bool) -> None:
        raise NotImplementedError

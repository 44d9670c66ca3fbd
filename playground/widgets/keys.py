"""Keyboard shortcuts for a panel's buttons, that Help > Keyboard shortcuts can list.

``button_action(panel, button, "F5", "Train or continue", "trainAction")`` makes a ``QAction``
that clicks ``button`` (so a disabled button does nothing), is enabled exactly when the button
is, and carries its keys in the button's tooltip. The action is added to the panel, where its
keys work while the panel shows; a window that also puts it in a menu (``install_training_menu``)
makes them work from every panel. ``panel_shortcut`` is the same for keys that belong to one
panel only (they work while the focus is inside it).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QWidget


class _FollowEnabled(QObject):
    """Keeps an action enabled exactly when its button is."""

    def __init__(self, button: QAbstractButton, action: QAction):
        super().__init__(button)
        self._action = action
        action.setEnabled(button.isEnabled())
        button.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.EnabledChange:
            self._action.setEnabled(watched.isEnabled())
        return False


def keys_text(keys) -> str:
    return QKeySequence(keys).toString(QKeySequence.NativeText)


def button_action(panel: QWidget, button: QAbstractButton, keys, text: str, name: str) -> QAction:
    action = QAction(text, panel)
    action.setObjectName(name)
    action.setShortcut(QKeySequence(keys))
    action.setShortcutContext(Qt.WindowShortcut)
    action.triggered.connect(button.click)
    panel.addAction(action)
    _FollowEnabled(button, action)
    tip = button.toolTip()
    button.setToolTip(f"{tip} ({keys_text(keys)})" if tip else keys_text(keys))
    return action


def panel_shortcut(panel: QWidget, keys, what: str, slot) -> QShortcut:
    """A shortcut that works while the focus is inside ``panel``; ``what`` is its line in Help."""
    shortcut = QShortcut(QKeySequence(keys), panel, slot)
    shortcut.setContext(Qt.WidgetWithChildrenShortcut)
    shortcut.setWhatsThis(what)
    return shortcut

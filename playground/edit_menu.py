"""The Edit and Training menus: Undo and Redo with the platform's own keys; Train, Pause, Stop, Step.

``install_edit_menu(window, history)`` puts "&Edit" between File and View with ``undoAction``
(Ctrl+Z) and ``redoAction`` (Ctrl+Shift+Z, or Ctrl+Y where that is the platform's Redo) whose
texts name the step ("Undo Change learning rate to 0.01"), disabled when there is nothing to
undo or training runs. A text field keeps its own Ctrl+Z for its text, as everywhere, and the
Draw panel its own for strokes.
"""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from playground.training.undo import UndoHistory


def install_edit_menu(window: QMainWindow, history: UndoHistory) -> QMenu:
    """Build the Edit menu in ``window``'s menu bar (before View, if there is one); returns it."""
    menu = QMenu("&Edit", window)
    menu.setObjectName("editMenu")
    view = next((a for a in window.menuBar().actions() if a.text().replace("&", "") == "View"), None)
    window.menuBar().insertMenu(view, menu) if view is not None else window.menuBar().addMenu(menu)

    undo = QAction("&Undo", window, objectName="undoAction")
    undo.setShortcut(QKeySequence.Undo)
    undo.setWhatsThis("Undo the last change to the network or the recipe")
    undo.triggered.connect(history.undo)
    redo = QAction("&Redo", window, objectName="redoAction")
    redo.setShortcuts(QKeySequence.keyBindings(QKeySequence.Redo))  # Ctrl+Shift+Z, and Ctrl+Y on Windows
    redo.setWhatsThis("Redo the change last undone")
    redo.triggered.connect(history.redo)
    menu.addAction(undo)
    menu.addAction(redo)

    def follow() -> None:
        for action, verb, able, text in ((undo, "&Undo", history.can_undo, history.undo_text()),
                                         (redo, "&Redo", history.can_redo, history.redo_text())):
            action.setEnabled(able)
            action.setText(f"{verb} {text}" if text else verb)
            action.setToolTip(f"{verb.replace('&', '')} {text}".strip() if able or not text
                              else "Nothing is undone while training runs")

    history.changed.connect(follow)
    follow()
    return menu


def install_training_menu(window: QMainWindow) -> QMenu:
    """A "&Training" menu (before Help) with the Training panel's buttons and their keys (F5 Train,
    F6 Pause, Shift+F5 Stop, F10 Step, as a debugger's Run menu has them): in a menu they work
    whichever panel shows, even while the Training panel's tab is behind another."""
    menu = QMenu("&Training", window)
    menu.setObjectName("trainingMenu")
    help_menu = next((a for a in window.menuBar().actions() if a.text().replace("&", "") == "Help"), None)
    window.menuBar().insertMenu(help_menu, menu) if help_menu is not None else window.menuBar().addMenu(menu)
    menu.addActions(window.training_panel.key_actions)
    return menu

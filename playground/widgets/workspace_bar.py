"""The workspace bar at the top of the window, and the default arrangement of a workspace's docks.

``WorkspaceBar`` is a tool bar with one checkable action per workspace (``trainWorkspaceAction``...,
with its shortcut, Ctrl+1 to Ctrl+3); ``switched(name)`` asks the window to switch. ``arrange``
lays a window's docks out as a ``playground.core.workspaces.Workspace`` says: the first column in the
left dock area, the others in the right one, stacks split from top to bottom, tabs tabified, every
dock the workspace does not hold hidden.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar, QWidget

from playground.core.workspaces import WORKSPACES, Workspace


class WorkspaceBar(QToolBar):
    """``switched(name)`` when the learner picks a workspace; ``show_current(name)`` checks its action."""

    switched = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Workspaces", parent)
        self.setObjectName("workspaceBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.toggleViewAction().setVisible(False)  # never hidden from the window's context menu
        self.setContentsMargins(0, 0, 0, 0)  # in the menu bar's row, no taller than the menus
        self.layout().setContentsMargins(0, 0, 4, 0)
        self.layout().setSpacing(2)
        self.restyle()
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.actions_by_name: dict[str, QAction] = {}
        for workspace in WORKSPACES:
            action = QAction(f"{workspace.name} workspace", self)  # so the View menu and Help > Keyboard shortcuts say
            action.setIconText(workspace.name)  # the bar's button
            action.setObjectName(workspace.action_name)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(workspace.shortcut))
            action.setToolTip(workspace.tooltip)
            action.triggered.connect(lambda _=False, name=workspace.name: self.switched.emit(name))
            self.group.addAction(action)
            self.addAction(action)
            self.actions_by_name[workspace.name] = action

    def restyle(self) -> None:
        """Slim buttons, in the current theme's colours: a widget with a style sheet keeps the palette
        it was polished with, so the window calls this again after a theme switch."""
        self.setStyleSheet("")
        self.setStyleSheet("QToolBar { border: none; spacing: 2px; } QToolButton { padding: 0px 8px; }"
                           " QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
                           " border: none; border-radius: 3px; }")

    def show_current(self, name: str) -> None:
        self.actions_by_name[name].setChecked(True)


def arrange(window: QMainWindow, workspace: Workspace, docks: dict[str, QDockWidget]) -> None:
    """Lay ``docks`` (by title) out as ``workspace``'s default arrangement; hide the others."""
    workspace = workspace.present(docks)
    held = set(workspace.panels())
    for title, dock in docks.items():
        if title not in held:
            dock.hide()
    for title in held:  # shown first: Qt tabifies hidden docks in a window not yet shown into nothing
        docks[title].setFloating(False)
        docks[title].show()
    columns = []
    for index, column in enumerate(workspace.columns):
        firsts = [docks[stack.tabs[0]] for stack in column.stacks]
        if index < 2:
            window.addDockWidget(Qt.LeftDockWidgetArea if index == 0 else Qt.RightDockWidgetArea, firsts[0])
        else:  # a third column: beside the second, in the right area
            window.splitDockWidget(columns[-1], firsts[0], Qt.Horizontal)
        for above, below in zip(firsts, firsts[1:]):
            window.splitDockWidget(above, below, Qt.Vertical)
        for stack in column.stacks:
            for before, after in zip(stack.tabs, stack.tabs[1:]):
                window.tabifyDockWidget(docks[before], docks[after])
        columns.append(firsts[0])
    for column in workspace.columns:
        for stack in column.stacks:
            docks[stack.shown_first].raise_()
    resize(window, workspace, docks)


def resize(window: QMainWindow, workspace: Workspace, docks: dict[str, QDockWidget]) -> None:
    """Give the columns and stacks their shares of the window (Qt keeps each dock's minimum)."""
    workspace = workspace.present(docks)
    width, height = window.width(), window.height()
    fronts = [[docks[stack.shown_first] for stack in column.stacks] for column in workspace.columns]
    if len(fronts) > 1:
        window.resizeDocks([column[0] for column in fronts], [round(c.share * width) for c in workspace.columns],
                           Qt.Horizontal)
    for column, stacks in zip(workspace.columns, fronts):
        if len(stacks) > 1:
            window.resizeDocks(stacks, [round(s.share * height) for s in column.stacks], Qt.Vertical)

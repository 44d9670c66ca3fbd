"""Keep the two dock columns' shares of the window's width when the window is resized.

Qt hands a resized ``QMainWindow``'s width to its dock areas as it likes: growing a 1400-pixel
window to 1920 split it evenly between the columns, whatever they held before. A layout
should scale instead, so ``ColumnShares`` remembers the fraction of the width the left dock
area holds, re-applies it after every window resize, and takes a new fraction when the learner
drags the separator between the columns. When the window is too narrow for the share, the
right column first gets the width its widest panel needs (at 1024 pixels the Draw and Training
panels fit and the left column, whose Network table fits 360 pixels, gives way).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QScrollArea


MIN_SHARE = 0.25  # however wide the right column's panels, the left keeps this much


def scroll_bar_room(holder, panel) -> int:
    """The width of the vertical scroll bar a panel taller than its scroll area shows beside it."""
    if isinstance(holder, QScrollArea) and panel.minimumSizeHint().height() > holder.viewport().height() > 0:
        return holder.verticalScrollBar().sizeHint().width()
    return 0


class ColumnShares(QObject):
    """The left dock area's share of the width (``share``), kept through window resizes.

    ``share = None`` means "not known yet": the next resize measures it instead of applying it
    (after a restored layout, whose proportions are the learner's).
    """

    def __init__(self, window: QMainWindow, share: float | None):
        super().__init__(window)  # the window owns this helper; it holds no reference back (no cycle)
        self.share = share
        self._size = None  # the window size the share was last applied to
        window.installEventFilter(self)
        for dock in window.findChildren(QDockWidget):
            dock.installEventFilter(self)

    @property
    def _window(self) -> QMainWindow:
        return self.parent()

    def columns(self) -> tuple[QDockWidget, QDockWidget] | None:
        """A docked widget on show in the left and in the right area (None unless both exist)."""
        window = self._window

        def shown_in(area):  # a dock behind another's tab is "visible" but parked off-screen
            return next((d for d in window.findChildren(QDockWidget) if not d.isFloating() and d.isVisible()
                         and not d.visibleRegion().isEmpty() and window.dockWidgetArea(d) == area), None)

        left, right = shown_in(Qt.LeftDockWidgetArea), shown_in(Qt.RightDockWidgetArea)
        return (left, right) if left is not None and right is not None else None

    def measure(self) -> float | None:
        """The left column's current share of the two columns' width."""
        columns = self.columns()
        if columns is None:
            return None
        left, right = (dock.width() for dock in columns)
        return left / (left + right) if left + right > 0 else None

    def apply(self) -> None:
        """Give the columns ``share`` of their width again (now: after a resize or a layout reset)."""
        columns = self.columns()
        self._size = self._window.size()
        if columns is None:
            return
        if self.share is None:
            self.share = self.measure()
            return
        total = sum(dock.width() for dock in columns)
        low, high = self.needed_width(Qt.LeftDockWidgetArea), total - self.needed_width(Qt.RightDockWidgetArea)
        if low > high:  # both cannot fit with their vertical scroll bars: the panels' own widths first
            low = self.needed_width(Qt.LeftDockWidgetArea, scroll_bars=False)
            high = total - self.needed_width(Qt.RightDockWidgetArea, scroll_bars=False)
        left = min(max(round(self.share * total), low), high)  # when both cannot fit, the right column does
        left = max(left, round(MIN_SHARE * total))
        self._window.resizeDocks(list(columns), [left, total - left], Qt.Horizontal)

    def needed_width(self, area, scroll_bars: bool = True) -> int:
        """The width the widest panel docked in ``area`` needs (tabs behind others included), with
        the vertical scroll bar of a panel taller than its dock (unless ``scroll_bars`` is False)."""
        window, needed = self._window, 0
        for dock in window.findChildren(QDockWidget):
            if dock.isFloating() or dock.isHidden() or window.dockWidgetArea(dock) != area or dock.widget() is None:
                continue
            holder = dock.widget()
            panel = holder.widget() if isinstance(holder, QScrollArea) else holder
            frame = dock.width() - holder.width() if holder.width() else 0  # the dock's own margins
            bar = scroll_bar_room(holder, panel) if scroll_bars else 0
            needed = max(needed, panel.minimumSizeHint().width() + max(frame, 0) + bar)
        return needed

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Show and watched is self._window:
            QTimer.singleShot(0, self.apply)  # the first resize came before the docks were on show
        elif event.type() == QEvent.Type.Resize:
            if watched is self._window:
                self.apply()  # the window's layout has already placed the docks at the new size
            elif (self._window.size() == self._size and QApplication.mouseButtons() & Qt.MouseButton.LeftButton
                  and isinstance(watched, QDockWidget)):
                self.share = self.measure() or self.share  # the learner dragged the separator
        return False

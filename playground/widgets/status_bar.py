"""The window's status bar: a long message ends in "…" instead of running under the dataset's name.

``QStatusBar`` draws a temporary message (``showMessage``) across its whole width, under the
permanent widgets on the right (the dataset label). This one draws it only in the space left
of them, elided, with the full text as the tooltip. Everything else is ``QStatusBar``'s:
``showMessage``, ``currentMessage`` and ``clearMessage`` work as before.
"""
from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QStatusBar, QWidget

GAP = 12  # pixels between the message and the first permanent widget


class StatusBar(QStatusBar):
    """A ``QStatusBar`` whose messages keep out of its permanent widgets' space."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._permanent: list[QWidget] = []
        self.messageChanged.connect(self._on_message)

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802 (Qt name)
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch)

    def message_rect(self) -> QRect:
        """Where the message is drawn: from the left edge to just before the permanent widgets."""
        right = self.width() - GAP
        for widget in self._permanent:
            if widget.isVisible():
                right = min(right, widget.x() - GAP)
        return QRect(6, 0, max(0, right - 6), self.height())

    def shown_message(self) -> str:
        """The message as drawn: elided with "…" when it does not fit ``message_rect()``."""
        width = self.message_rect().width()
        return self.fontMetrics().elidedText(self.currentMessage(), Qt.TextElideMode.ElideRight, width)

    def _on_message(self, text: str) -> None:
        self.setToolTip(text if text and self.shown_message() != text else "")

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._on_message(self.currentMessage())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if not self.currentMessage():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawText(self.message_rect(), Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter
                         | Qt.TextFlag.TextSingleLine, self.shown_message())

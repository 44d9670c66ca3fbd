"""Keras's training log, which keeps showing the newest line unless the learner scrolled up.

``QPlainTextEdit.appendPlainText`` scrolls down only when the view is at the bottom *now*. When
something above the log appears (the NaN banner), the log gets shorter, the bottom moves away
from the view, and from then on new lines arrived out of sight. This log remembers instead
whether the learner is following the end (they were at the bottom the last time *they*, or the
log, scrolled) and keeps the end in view whenever the text or the view's size changes.
"""
from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget


class TrainingLog(QPlainTextEdit):
    """``trainingLog``: read-only, fixed-width, no wrapping, follows its end."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trainingLog")
        self.setReadOnly(True)
        self.setMaximumBlockCount(5000)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setPlaceholderText("Keras's training log appears here (Epoch 1/5 ...)")
        self.following = True
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._keep_following)

    def log(self, line: str) -> None:
        self.appendPlainText(line)
        self._keep_following()

    def at_end(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum()

    def _on_scrolled(self, value: int) -> None:
        self.following = value >= self.verticalScrollBar().maximum()

    def _keep_following(self, *_) -> None:
        if self.following:
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum())

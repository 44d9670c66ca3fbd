"""Ten bars, one per digit: the network's softmax output for the current drawing.

The last layer of the chapter's network is ``Dense(10, activation = "softmax")``: ten numbers
that are all positive and add up to 1, read as "how likely is it each digit". The predicted
digit is simply the tallest bar (``which.max`` in R, ``argmax`` in NumPy); it is drawn in the
palette's highlight colour with its percentage above it.

A small painted widget rather than a plot: it follows the palette (light or dark), needs no
axes, and redraws in well under a millisecond.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget


class ProbabilityChart(QWidget):
    """Bar chart of class probabilities; ``set_probabilities(None)`` shows empty slots."""

    def __init__(self, parent: QWidget | None = None, classes: int = 10):
        super().__init__(parent)
        self.setObjectName("probabilityChart")
        self.setMinimumSize(240, 110)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self._classes = classes
        self._probabilities: np.ndarray | None = None
        self._muted = False

    def sizeHint(self) -> QSize:
        return QSize(320, 120)

    def probabilities(self) -> np.ndarray | None:
        """The values on display (a copy), or None."""
        return None if self._probabilities is None else self._probabilities.copy()

    def top_class(self) -> int | None:
        """The index of the tallest bar (the prediction), or None when nothing is shown."""
        return None if self._probabilities is None else int(np.argmax(self._probabilities))

    def set_probabilities(self, probabilities, muted: bool = False) -> None:
        """Show these probabilities (length = number of classes); ``muted`` greys the top bar
        (used for an untrained network, whose "prediction" means nothing yet)."""
        if probabilities is None:
            self._probabilities = None
        else:
            p = np.nan_to_num(np.asarray(probabilities, dtype=np.float64).ravel(), nan=0.0)
            self._classes = len(p)
            self._probabilities = np.clip(p, 0.0, 1.0)
        self._muted = muted
        self.setToolTip(self._tooltip())
        self.update()

    def _tooltip(self) -> str:
        if self._probabilities is None:
            return "Softmax output: one probability per digit"
        return "\n".join(f"{digit}: {p:6.1%}" for digit, p in enumerate(self._probabilities))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        pal = self.palette()
        text_colour = pal.color(QPalette.WindowText)
        bar_colour = pal.color(QPalette.Mid)
        top_colour = pal.color(QPalette.Highlight)
        slot_colour = QColor(text_colour)
        slot_colour.setAlpha(28)

        fm = painter.fontMetrics()
        label_h = fm.height() + 4
        value_h = fm.height() + 2
        area = QRectF(self.rect()).adjusted(6, value_h + 2, -6, -label_h)
        n = self._classes
        slot = area.width() / n
        bar_w = slot * 0.64
        top = self.top_class()
        for digit in range(n):
            x = area.left() + digit * slot + (slot - bar_w) / 2
            painter.setPen(Qt.NoPen)
            painter.setBrush(slot_colour)
            painter.drawRoundedRect(QRectF(x, area.top(), bar_w, area.height()), 3, 3)
            if self._probabilities is not None:
                p = float(self._probabilities[digit])
                h = max(p * area.height(), 1.0 if p > 0 else 0.0)
                is_top = digit == top
                painter.setBrush(top_colour if is_top and not self._muted else bar_colour)
                painter.drawRoundedRect(QRectF(x, area.bottom() - h, bar_w, h), 3, 3)
                if is_top:
                    painter.setPen(text_colour)
                    label = QRectF(x - slot, area.bottom() - h - value_h - 1, bar_w + 2 * slot, value_h)
                    painter.drawText(label, Qt.AlignHCenter | Qt.AlignBottom, f"{p:.0%}")
            font = QFont(painter.font())
            font.setBold(digit == top)
            painter.setFont(font)
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(area.left() + digit * slot, area.bottom() + 2, slot, label_h),
                Qt.AlignHCenter | Qt.AlignTop,
                str(digit),
            )
        painter.end()

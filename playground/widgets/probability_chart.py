"""Ten bars, one per class: the network's softmax output for the current drawing.

The last layer of the chapter's network is ``Dense(10, activation = "softmax")``: ten numbers
that are all positive and add up to 1, read as "how likely is it each digit". The predicted
digit is simply the tallest bar (``which.max`` in R, ``argmax`` in NumPy); it is drawn in the
palette's highlight colour with its percentage above it.

Each bar is labelled with its class's name (``set_class_names``, from the dataset): the digits
"0" ... "9" for MNIST, under upright bars as always. Names too wide for a bar's slot
(Fashion-MNIST's "T-shirt/top", "Ankle boot") turn the chart on its side: one row per class,
the name on the left, the bar to its right and the top class's percentage after it.

A small painted widget rather than a plot: it follows the palette (light or dark), needs no
axes, and redraws in well under a millisecond.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

ROW_GAP = 2  # pixels between the rows of a chart on its side
MAX_NAME_SHARE = 0.45  # the names of a chart on its side take at most this share of its width
SLOT_SHARE = 28 / 255  # how much of the text colour an empty slot has (the rest is the background)


def mixed(colour: QColor, background: QColor, share: float) -> QColor:
    """The opaque colour that ``colour`` at opacity ``share`` looks like over ``background``."""
    return QColor(*(round(share * a + (1 - share) * b) for a, b in zip(colour.getRgb()[:3], background.getRgb()[:3])))


class ProbabilityChart(QWidget):
    """Bar chart of class probabilities; ``set_probabilities(None)`` shows empty slots."""

    def __init__(self, parent: QWidget | None = None, classes: int = 10):
        super().__init__(parent)
        self.setObjectName("probabilityChart")
        self.setMinimumSize(240, 110)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self._classes = classes
        self._names: tuple[str, ...] = tuple(str(i) for i in range(classes))
        self._probabilities: np.ndarray | None = None
        self._muted = False

    def sizeHint(self) -> QSize:
        return QSize(320, 120 if not self.on_its_side() else self._side_height())

    def probabilities(self) -> np.ndarray | None:
        """The values on display (a copy), or None."""
        return None if self._probabilities is None else self._probabilities.copy()

    def top_class(self) -> int | None:
        """The index of the tallest bar (the prediction), or None when nothing is shown."""
        return None if self._probabilities is None else int(np.argmax(self._probabilities))

    def class_names(self) -> tuple[str, ...]:
        """The label under (or beside) each bar."""
        return tuple(self._name(i) for i in range(self._classes))

    def set_class_names(self, names) -> None:
        """Label the bars with ``names`` (the dataset's ``label_names``: "0" ... "9" for MNIST)."""
        names = tuple(str(name) for name in names)
        if names != self._names:
            self._names = names
            self.setMinimumHeight(110 if not self.on_its_side() else self._side_height())
            self.setToolTip(self._tooltip())
            self.updateGeometry()
            self.update()

    def on_its_side(self, width: int | None = None) -> bool:
        """True when a name does not fit under its bar: rows of names and bars instead of columns."""
        width = self.width() if width is None else width
        slot = (max(width, self.minimumWidth()) - 12) / max(self._classes, 1)
        widest = max((self.fontMetrics().horizontalAdvance(self._name(i)) for i in range(self._classes)), default=0)
        return widest + 2 > slot

    def _side_height(self) -> int:
        return self._classes * (self.fontMetrics().height() + ROW_GAP) + 8

    def _name(self, index: int) -> str:
        return self._names[index] if index < len(self._names) else str(index)

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
            return "Softmax output: one probability per class"
        return "\n".join(f"{self._name(i)}: {p:6.1%}" for i, p in enumerate(self._probabilities))

    def _colours(self) -> tuple[QColor, QColor, QColor, QColor]:
        pal = self.palette()
        text_colour = pal.color(QPalette.WindowText)
        # the empty slots: the text colour at 11 % over the background, mixed here rather than
        # blended by the painter (translucent antialiased shapes made a paint 2 ms slower)
        slot_colour = mixed(text_colour, pal.color(QPalette.Window), SLOT_SHARE)
        return text_colour, pal.color(QPalette.Mid), pal.color(QPalette.Highlight), slot_colour

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        if self.on_its_side():
            self._paint_rows(painter)
        else:
            self._paint_columns(painter)
        painter.end()

    def _bold(self, painter: QPainter, bold: bool) -> None:
        font = QFont(painter.font())
        font.setBold(bold)
        painter.setFont(font)

    def _paint_columns(self, painter: QPainter) -> None:
        """Upright bars, each with its class's name under it (MNIST's digits)."""
        text_colour, bar_colour, top_colour, slot_colour = self._colours()
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
            self._bold(painter, digit == top)
            painter.setPen(text_colour)
            painter.drawText(
                QRectF(area.left() + digit * slot, area.bottom() + 2, slot, label_h),
                Qt.AlignHCenter | Qt.AlignTop,
                self._name(digit),
            )

    def _paint_rows(self, painter: QPainter) -> None:
        """The chart on its side: a row per class, its name (right-aligned), its bar, the top one's percentage."""
        text_colour, bar_colour, top_colour, slot_colour = self._colours()
        self._bold(painter, True)  # measured bold: the top class's name is drawn bold
        fm = painter.fontMetrics()
        area = QRectF(self.rect()).adjusted(6, 4, -6, -4)
        widest = max(fm.horizontalAdvance(self._name(i)) for i in range(self._classes))
        name_w = min(widest + 2, area.width() * MAX_NAME_SHARE)
        value_w = fm.horizontalAdvance("100%") + 6
        bars = QRectF(area.left() + name_w + 6, area.top(), max(area.width() - name_w - 6 - value_w, 4), area.height())
        row_h = area.height() / self._classes
        bar_h = min(max(row_h - ROW_GAP, 2), fm.height() * 1.2)
        top = self.top_class()
        for i in range(self._classes):
            y = area.top() + i * row_h
            bar_y = y + (row_h - bar_h) / 2
            painter.setPen(Qt.NoPen)
            painter.setBrush(slot_colour)
            painter.drawRoundedRect(QRectF(bars.left(), bar_y, bars.width(), bar_h), 3, 3)
            is_top = i == top
            if self._probabilities is not None:
                p = float(self._probabilities[i])
                w = max(p * bars.width(), 1.0 if p > 0 else 0.0)
                painter.setBrush(top_colour if is_top and not self._muted else bar_colour)
                painter.drawRoundedRect(QRectF(bars.left(), bar_y, w, bar_h), 3, 3)
                if is_top:
                    painter.setPen(text_colour)
                    painter.drawText(QRectF(bars.left() + w + 4, y, value_w, row_h), Qt.AlignLeft | Qt.AlignVCenter,
                                     f"{p:.0%}")
            self._bold(painter, is_top)
            painter.setPen(text_colour)
            name = painter.fontMetrics().elidedText(self._name(i), Qt.ElideRight, int(name_w))
            painter.drawText(QRectF(area.left(), y, name_w, row_h), Qt.AlignRight | Qt.AlignVCenter, name)

"""A square black canvas the learner draws a digit on with the mouse or a stylus (white ink).

The canvas keeps what was drawn as *strokes* (lists of points plus the pen width), not as
pixels: Undo simply drops the last stroke and paints the rest again. Strokes are rendered,
anti-aliased with round caps and joins, into a grey-level ``QImage`` the size of the canvas;
``image_array()`` hands that image to NumPy as float32 in [0, 1], ready for
``playground.core.drawing.to_mnist`` (the MNIST recipe) and then the network.

Black background, white ink: MNIST digits are light strokes on a dark field (chapter 2), and
the canvas keeps those colours whatever the desktop theme.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPainterPath, QPen, QTabletEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

CANVAS_SIZE = 280  # ten canvas pixels per MNIST pixel
DEFAULT_STROKE_WIDTH = 22.0  # about 2 MNIST pixels once the digit is scaled to 20 px tall


@dataclass
class Stroke:
    """One press-drag-release of the pen: its points (canvas pixels) and its width."""

    width: float
    points: list[QPointF] = field(default_factory=list)

    def path(self) -> QPainterPath:
        """A smooth path through the points: quadratic curves via the segment midpoints."""
        pts = self.points
        path = QPainterPath(pts[0])
        if len(pts) == 2:
            path.lineTo(pts[1])
        for i in range(1, len(pts) - 1):
            mid = (pts[i] + pts[i + 1]) / 2
            path.quadTo(pts[i], mid if i < len(pts) - 2 else pts[i + 1])
        return path


class DrawCanvas(QWidget):
    """Draw with the left mouse button or a pen; ``changed`` fires on every new bit of ink."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, size: int = CANVAS_SIZE):
        super().__init__(parent)
        self.setObjectName("drawCanvas")
        self.hint = "draw a digit here"  # shown faintly while the canvas is empty ("draw here" for other classes)
        self.setFixedSize(size, size)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Fixed)
        self.setCursor(Qt.CrossCursor)
        self.setFocusPolicy(Qt.ClickFocus)  # so Ctrl+Z (Undo) reaches the panel after drawing
        self.setAttribute(Qt.WA_OpaquePaintEvent)
        self.setToolTip("Draw a digit with the mouse or a pen: white ink on black, like MNIST")
        self.strokes: list[Stroke] = []
        self.stroke_width = DEFAULT_STROKE_WIDTH
        self._current: Stroke | None = None
        self._committed = self._blank()  # all finished strokes
        self._image = self._blank()  # finished strokes + the one being drawn

    def sizeHint(self) -> QSize:
        return QSize(self.width(), self.height())

    # ----- public API -------------------------------------------------------------------
    def image_array(self) -> np.ndarray:
        """What is on the canvas as float32 (H, W) in [0, 1]: 0 background, 1 full ink."""
        image = self._image
        bits = np.frombuffer(image.constBits(), dtype=np.uint8)
        rows = bits.reshape(image.height(), image.bytesPerLine())[:, : image.width()]
        return rows.astype(np.float32) / 255.0

    def is_empty(self) -> bool:
        return not self.strokes and self._current is None

    def clear(self) -> None:
        """Wipe every stroke."""
        self._current = None
        self.strokes.clear()
        self._repaint_all()

    def undo(self) -> None:
        """Remove the last stroke (does nothing on an empty canvas)."""
        if self.strokes:
            self.strokes.pop()
            self._repaint_all()

    def set_stroke_width(self, width: float) -> None:
        """Pen width in canvas pixels for the next strokes (earlier strokes keep theirs)."""
        self.stroke_width = float(width)

    # ----- pen input: mouse and tablet share begin/extend/end ---------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.LeftButton:
            self._begin(event.position())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is not None and event.buttons() & Qt.LeftButton:
            self._extend(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.LeftButton and self._current is not None:
            self._extend(event.position())
            self._end()
        event.accept()

    def tabletEvent(self, event: QTabletEvent) -> None:
        """A stylus draws like the mouse; accepting stops Qt from also sending mouse events."""
        kind = event.type()
        if kind == QEvent.TabletPress:
            self._begin(event.position())
        elif kind == QEvent.TabletMove and self._current is not None:
            self._extend(event.position())
        elif kind == QEvent.TabletRelease and self._current is not None:
            self._extend(event.position())
            self._end()
        event.accept()

    def _begin(self, pos: QPointF) -> None:
        self._current = Stroke(self.stroke_width, [QPointF(pos)])
        self._render_current()

    def _extend(self, pos: QPointF) -> None:
        last = self._current.points[-1]
        if (pos - last).manhattanLength() >= 1.0:  # ignore sub-pixel jitter
            self._current.points.append(QPointF(pos))
            self._render_current()

    def _end(self) -> None:
        self.strokes.append(self._current)
        self._current = None
        self._committed = self._image.copy()

    # ----- rendering --------------------------------------------------------------------
    def _blank(self) -> QImage:
        image = QImage(self.width(), self.height(), QImage.Format_Grayscale8)
        image.fill(0)
        return image

    def _render_current(self) -> None:
        self._image = self._committed.copy()
        self._paint_stroke(self._image, self._current)
        self.update()
        self.changed.emit()

    def _repaint_all(self) -> None:
        self._committed = self._blank()
        for stroke in self.strokes:
            self._paint_stroke(self._committed, stroke)
        self._image = self._committed.copy()
        self.update()
        self.changed.emit()

    @staticmethod
    def _paint_stroke(image: QImage, stroke: Stroke) -> None:
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing)
        pen = QPen(QColor(255, 255, 255), stroke.width, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
        painter.setPen(pen)
        if len(stroke.points) == 1:  # a click: a round dot
            painter.setBrush(QColor(255, 255, 255))
            painter.setPen(Qt.NoPen)
            r = stroke.width / 2
            painter.drawEllipse(QRectF(stroke.points[0].x() - r, stroke.points[0].y() - r, 2 * r, 2 * r))
        else:
            painter.drawPath(stroke.path())
        painter.end()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.drawImage(0, 0, self._image)
        if self.is_empty():  # a faint hint where to draw, never part of image_array()
            painter.setPen(QColor(120, 120, 120))
            painter.drawText(self.rect(), Qt.AlignCenter, self.hint)
        painter.end()

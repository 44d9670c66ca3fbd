"""Many digits at once: a wrapping grid of small images with a caption under each.

The Data panel shows a slice (``x_train[9:99]``, section 2.2.6) or a batch (section 2.2.7) as
a grid, captioned with each digit's index and label; the Evaluate panel shows the misclassified
test digits captioned "true 4 → 9 (87%)". Clicking a tile emits ``activated(key)``, where
``key`` is whatever the caller attached (e.g. a test-set index; by default its position).

The grid wraps to its width and asks for the height it needs, so put it in a ``QScrollArea``
with ``setWidgetResizable(True)``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from playground.widgets.digit_view import grey_image

SPACING = 6
CAPTION_GAP = 2


class DigitGrid(QWidget):
    """A grid of grey images; ``set_items(images, captions, keys, tooltips)`` fills it."""

    activated = Signal(object)  # the key given for that position (its position if none)

    def __init__(self, parent: QWidget | None = None, cell_size: int = 56, **qt_properties):
        super().__init__(parent, **qt_properties)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._cell = cell_size
        self._images: list[QImage] = []
        self._captions: list[str] = []
        self._keys: list = []
        self._tooltips: list[str] = []
        self._hover = -1
        self._pressed = -1
        self.placeholder = ""
        self.clickable = False  # True: a pointing-hand cursor says tiles can be clicked
        self._selected = -1
        self._tile_cache = None  # (cell size and font, the captions measured, tile size)

    # ----- data -------------------------------------------------------------------------
    def set_items(
        self,
        images: Sequence[np.ndarray] | np.ndarray,
        captions: Sequence[str] | None = None,
        keys: Sequence | None = None,
        tooltips: Sequence[str] | None = None,
    ) -> None:
        """Show ``images`` (a list of 2-D arrays or an (n, h, w) array) with optional texts."""
        self._images = [grey_image(image) for image in images]
        n = len(self._images)
        self._captions = [str(c) for c in captions] if captions is not None else [""] * n
        self._keys = list(keys) if keys is not None else list(range(n))
        self._tooltips = [str(t) for t in tooltips] if tooltips is not None else list(self._captions)
        if not len(self._captions) == len(self._keys) == len(self._tooltips) == n:
            raise ValueError("captions, keys and tooltips must have one entry per image")
        self._hover = self._pressed = self._selected = -1
        self._relayout()

    def clear(self) -> None:
        self.set_items([])

    def count(self) -> int:
        return len(self._images)

    def caption(self, position: int) -> str:
        return self._captions[position]

    def key(self, position: int):
        return self._keys[position]

    def set_selected(self, position: int) -> None:
        """Mark one tile (e.g. the digit shown large elsewhere); -1 marks none."""
        self._selected = position
        self.update()

    def selected(self) -> int:
        return self._selected

    def set_cell_size(self, pixels: int) -> None:
        """Side of the square each image is drawn into (28 px is MNIST's own size)."""
        self._cell = max(8, int(pixels))
        self._relayout()

    def cell_size(self) -> int:
        return self._cell

    # ----- geometry ---------------------------------------------------------------------
    def _caption_height(self) -> int:
        return self.fontMetrics().height() + CAPTION_GAP if any(self._captions) else 0

    def _tile_size(self) -> QSize:
        """Every tile's size: the cell, widened to the widest caption. Measuring hundreds of
        captions took ~15 ms of the UI thread per layout pass, so it is kept until the captions,
        the cell size or the font change."""
        key = (self._cell, self.font().key())
        cached = self._tile_cache
        if cached is None or cached[0] != key or cached[1] is not self._captions:
            metrics = self.fontMetrics()
            widest = max((metrics.horizontalAdvance(c) for c in self._captions), default=0)
            size = QSize(max(self._cell, widest + 4), self._cell + self._caption_height())
            cached = self._tile_cache = (key, self._captions, size)
        return QSize(cached[2])

    def columns(self) -> int:
        tile = self._tile_size()
        return max(1, (self.width() - SPACING) // (tile.width() + SPACING))

    def item_rect(self, position: int) -> QRect:
        """The tile of item ``position`` (image and caption) in widget coordinates."""
        tile, columns = self._tile_size(), self.columns()
        row, column = divmod(position, columns)
        used = min(columns, self.count()) * (tile.width() + SPACING) + SPACING
        x = max(0, (self.width() - used) // 2) + SPACING + column * (tile.width() + SPACING)  # centred
        return QRect(x, SPACING + row * (tile.height() + SPACING), tile.width(), tile.height())

    def item_at(self, pos: QPoint) -> int:
        """The position of the tile under ``pos``, or -1."""
        for i in range(self.count()):
            if self.item_rect(i).contains(pos):
                return i
        return -1

    def _needed_height(self) -> int:
        if not self._images:
            return self.fontMetrics().height() * 2 if self.placeholder else 0
        rows = -(-self.count() // self.columns())
        return SPACING + rows * (self._tile_size().height() + SPACING)

    def _relayout(self) -> None:
        self.setMinimumHeight(self._needed_height())
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        tile = self._tile_size()
        columns = min(max(self.count(), 1), 10)
        return QSize(SPACING + columns * (tile.width() + SPACING), max(self._needed_height(), tile.height()))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        tile = self._tile_size()
        return QSize(tile.width() + 2 * SPACING, 0)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.minimumHeight() != self._needed_height():
            self.setMinimumHeight(self._needed_height())

    # ----- mouse ------------------------------------------------------------------------
    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        position = self.item_at(event.position().toPoint())
        if position != self._hover:
            self._hover = position
            self.update()
        pointing = position >= 0 and self.clickable
        self.setCursor(Qt.CursorShape.PointingHandCursor if pointing else Qt.CursorShape.ArrowCursor)
        tip = self._tooltips[position] if position >= 0 else ""
        if tip:
            QToolTip.showText(event.globalPosition().toPoint(), tip, self)
        else:
            QToolTip.hideText()

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._hover = -1
        self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._pressed = self.item_at(event.position().toPoint()) if event.button() == Qt.MouseButton.LeftButton else -1

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        position = self.item_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and position >= 0 and position == self._pressed:
            self.activated.emit(self._keys[position])
        self._pressed = -1

    # ----- painting ---------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        palette = self.palette()
        if not self._images:
            if self.placeholder:
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        metrics = self.fontMetrics()
        for i, image in enumerate(self._images):
            tile = self.item_rect(i)
            if not tile.intersects(event.rect()):
                continue
            box = QRect(tile.x() + (tile.width() - self._cell) // 2, tile.y(), self._cell, self._cell)
            target = _fit(image.size(), box)
            if not image.isNull():
                painter.drawImage(target, image)
            marked = i in (self._hover, self._selected)
            border = QPalette.ColorRole.Highlight if marked else QPalette.ColorRole.Mid
            painter.setPen(QPen(palette.color(border), 3 if i == self._selected else 2 if marked else 1))
            painter.drawRect(target.adjusted(0, 0, -1, -1))
            if self._captions[i]:
                painter.setPen(palette.color(QPalette.ColorRole.WindowText))
                text_rect = QRect(tile.x(), box.bottom() + 1 + CAPTION_GAP, tile.width(), metrics.height())
                text = metrics.elidedText(self._captions[i], Qt.TextElideMode.ElideRight, tile.width())
                painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)


def _fit(image_size: QSize, box: QRect) -> QRect:
    """The largest rectangle with the image's aspect ratio, centred in ``box`` (whole pixels)."""
    if image_size.isEmpty():
        return QRect(box.x(), box.y(), box.width(), box.height())
    scale = min(box.width() / image_size.width(), box.height() / image_size.height())
    width, height = max(1, round(image_size.width() * scale)), max(1, round(image_size.height() * scale))
    return QRect(box.x() + (box.width() - width) // 2, box.y() + (box.height() - height) // 2, width, height)

"""One MNIST digit, big and with crisp pixels, that tells you each pixel's value under the mouse.

Section 2.2 of *Deep Learning with R* plots the fifth training digit with
``plot(as.raster(digit, max = 255))``: a 28 x 28 grid of grey levels, 0 (black background)
to 255 (white ink). ``DigitView`` paints the same grid scaled up by a whole number (so every
pixel stays a sharp square) and, on hover, names the pixel: "row 14, column 7: 253".
It shows any 2-D array, so crops such as ``x_train[4, 14:, 14:]`` work too.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget


def to_grey8(array: np.ndarray) -> np.ndarray:
    """Any 2-D image as uint8 grey levels: uint8 as is, floats in [0, 1] times 255, else min..max."""
    array = np.asarray(array)
    if array.dtype == np.uint8:
        return np.ascontiguousarray(array)
    values = array.astype(np.float64)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if array.dtype == np.bool_ or (low >= 0.0 and high <= 1.0):
        low, high = 0.0, 1.0
    elif array.dtype.kind in "iu" and low >= 0 and high <= 255:
        low, high = 0.0, 255.0
    scaled = (np.nan_to_num(values, nan=low) - low) / max(high - low, 1e-12)
    return np.ascontiguousarray(np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8))


def grey_image(array: np.ndarray) -> QImage:
    """A QImage (Grayscale8) that owns a copy of the pixels (Qt does not copy numpy memory)."""
    grey = to_grey8(array)
    height, width = grey.shape
    return QImage(grey.data, width, height, grey.strides[0], QImage.Format.Format_Grayscale8).copy()


def pixel_scale(image_size: QSize, area: QSize) -> float:
    """The largest whole-number zoom that fits (fractional only when the image must shrink)."""
    if image_size.isEmpty():
        return 1.0
    fit = min(area.width() / image_size.width(), area.height() / image_size.height())
    return float(int(fit)) if fit >= 1 else max(fit, 0.01)


class DigitView(QWidget):
    """Paints a 2-D grey image; ``hovered(row, column, value)`` fires as the mouse moves over it.

    ``hover_text`` holds the last read-out ("row 14, column 7: 253"; empty outside the image),
    which the Data panel shows under the view and which tests read.
    """

    hovered = Signal(int, int, object)  # (-1, -1, None) when the mouse leaves the image

    def __init__(self, parent: QWidget | None = None, **qt_properties):
        super().__init__(parent, **qt_properties)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._values: np.ndarray | None = None
        self._image = QImage()
        self._hover: tuple[int, int] | None = None
        self.hover_text = ""
        self.placeholder = "No image"
        self.alignment = Qt.AlignmentFlag.AlignCenter  # AlignTop: stick to the top edge

    # ----- data -------------------------------------------------------------------------
    def set_image(self, array: np.ndarray | None) -> None:
        """Show ``array`` (2-D: a digit, a crop, or any grey image); None clears the view."""
        if array is None:
            self._values, self._image = None, QImage()
        else:
            array = np.asarray(array)
            if array.ndim != 2:
                raise ValueError(f"DigitView shows 2-D images, got shape {array.shape}")
            self._values, self._image = array, grey_image(array) if array.size else QImage()
        self._set_hover(None)
        self.update()

    def values(self) -> np.ndarray | None:
        """The array being shown (unscaled)."""
        return self._values

    # ----- geometry ---------------------------------------------------------------------
    def image_rect(self) -> QRect:
        """Where the image is painted: centred, each pixel a whole number of screen pixels."""
        if self._image.isNull():
            return QRect()
        scale = pixel_scale(self._image.size(), self.contentsRect().size())
        width, height = round(self._image.width() * scale), round(self._image.height() * scale)
        area = self.contentsRect()
        top = area.y() if self.alignment & Qt.AlignmentFlag.AlignTop else area.y() + (area.height() - height) // 2
        return QRect(area.x() + (area.width() - width) // 2, top, width, height)

    def pixel_at(self, pos: QPointF) -> tuple[int, int] | None:
        """``(row, column)`` of the image pixel under the widget position ``pos``, or None."""
        rect = self.image_rect()
        if rect.isEmpty():
            return None
        column = int((pos.x() - rect.x()) * self._image.width() / rect.width())
        row = int((pos.y() - rect.y()) * self._image.height() / rect.height())
        inside = 0 <= row < self._image.height() and 0 <= column < self._image.width()
        return (row, column) if inside and pos.x() >= rect.x() and pos.y() >= rect.y() else None

    def pixel_center(self, row: int, column: int) -> QPointF:
        """The widget position of the middle of pixel ``(row, column)`` (used by tests)."""
        rect = self.image_rect()
        step_x, step_y = rect.width() / self._image.width(), rect.height() / self._image.height()
        return QPointF(rect.x() + (column + 0.5) * step_x, rect.y() + (row + 0.5) * step_y)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(280, 280)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(84, 84)

    # ----- hover ------------------------------------------------------------------------
    def _set_hover(self, pixel: tuple[int, int] | None) -> None:
        if pixel == self._hover:
            return
        self._hover = pixel
        if pixel is None:
            self.hover_text = ""
            self.hovered.emit(-1, -1, None)
        else:
            row, column = pixel
            value = self._values[row, column].item()
            shown = f"{value:.3g}" if isinstance(value, float) else str(value)
            self.hover_text = f"row {row}, column {column}: {shown}"
            self.hovered.emit(row, column, value)
        self.update()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        self._set_hover(self.pixel_at(event.position()))
        if self.hover_text:
            QToolTip.showText(event.globalPosition().toPoint(), self.hover_text, self)
        else:
            QToolTip.hideText()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._set_hover(None)
        super().leaveEvent(event)

    # ----- painting ---------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        palette = self.palette()
        rect = self.image_rect()
        if rect.isEmpty():
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.contentsRect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(rect, self._image)
        step = rect.width() / self._image.width()
        if step >= 8:  # a faint pixel grid once the pixels are big enough to count
            painter.setPen(QPen(QColor(128, 128, 128, 40), 1))
            for i in range(1, self._image.width()):
                x = round(rect.x() + i * step)
                painter.drawLine(x, rect.top(), x, rect.bottom())
            for i in range(1, self._image.height()):
                y = round(rect.y() + i * rect.height() / self._image.height())
                painter.drawLine(rect.left(), y, rect.right(), y)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if self._hover is not None:
            row, column = self._hover
            top_left = self.pixel_center(row, column)
            half_x = rect.width() / self._image.width() / 2
            half_y = rect.height() / self._image.height() / 2
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRect(round(top_left.x() - half_x), round(top_left.y() - half_y), round(2 * half_x), round(2 * half_y))

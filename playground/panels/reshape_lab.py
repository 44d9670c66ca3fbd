"""The Reshape lab: a real digit read out into 784 values and filled back, in either order.

Issue 9, section 3 (the book's section 2.3.4). At the top, the digit, the same order back
(the digit again) and the other order back (scrambled: ``t(digit)``). Below, the vector ``v``
and the two 28 x 28 grids it fills, row-major (``array_reshape(v, c(28, 28))``) and column-major
(``dim(v) <- c(28, 28)``); the slider fills them cell by cell and names the cell the latest value
went to in each order, in R's 1-based indices and NumPy's 0-based ones. The R and NumPy of every
step sit below, and ``t()`` on the book's small 3 x 2 matrix beside the two ways of reshaping it.

A thin view over ``playground.core.labs.reshape`` (no Qt there). The digit comes from the loaded
dataset (``state.dataset``), or the bundled sample when none is loaded.
"""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFontDatabase, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QPushButton, QRadioButton, QSizePolicy, QSlider, QSpinBox,
    QVBoxLayout, QWidget,
)

from engine.datasets import mnist
from playground.core.labs import reshape
from playground.core.labs.reshape import COLUMN_MAJOR, ORDER_NAMES, ROW_MAJOR
from playground.widgets import DigitView, hint_label, wrapped_label
from playground.widgets.digit_view import to_grey8

PLAY_STEP, PLAY_INTERVAL_MS = 7, 30  # cells per tick of Play: 784 cells in about 3.5 seconds
SMALL_DIGIT = 84
INTRO = ("Section 2.3.4. A digit is a 28 x 28 matrix; the network reads it as a vector of 784 values. "
         "Reshaping keeps the values and changes how they are read out and filled in: row by row "
         "(row-major: array_reshape(), NumPy's default, what Keras expects) or column by column "
         "(column-major: R's own dim<-). Read out one way and filled in the other, the digit is scrambled.")


def monospace_font():
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def code_table(rows: list[tuple[str, str]], header: tuple[str, str] = ("R, as the book writes it", "NumPy")) -> str:
    """Rich text: a two-column table of code, R beside NumPy."""
    cells = "".join(f"<tr><td style='padding-right:18px'><code>{html.escape(r)}</code></td>"
                    f"<td><code>{html.escape(p)}</code></td></tr>" for r, p in rows)
    head = f"<tr><th align='left' style='padding-right:18px'>{header[0]}</th><th align='left'>{header[1]}</th></tr>"
    return f"<table cellspacing='0'>{head}{cells}</table>"


def matrix_html(value: np.ndarray) -> str:
    """A small matrix as rich text, its numbers right-aligned in a grid."""
    def number(v) -> str:
        return str(int(v)) if float(v).is_integer() else f"{v:.3g}"
    rows = "".join("<tr>" + "".join(f"<td align='right' style='padding:1px 6px'>{number(v)}</td>" for v in row)
                   + "</tr>" for row in np.atleast_2d(value))
    return f"<table cellspacing='0' border='1' style='border-collapse:collapse'>{rows}</table>"


class FillGrid(QWidget):
    """A grid of cells, the filled ones in the digit's grey, the latest one outlined."""

    def __init__(self, parent: QWidget | None = None, **qt_properties):
        super().__init__(parent, **qt_properties)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(200)
        self._image = QImage()
        self._shape = (0, 0)
        self.current: tuple[int, int] | None = None
        self.values = np.zeros((0, 0))  # what is drawn, for tests: the values and which cells are filled
        self.filled = np.zeros((0, 0), dtype=bool)

    def set_cells(self, values: np.ndarray, filled: np.ndarray, current: tuple[int, int] | None) -> None:
        grey = to_grey8(values)
        rgba = np.zeros(values.shape + (4,), dtype=np.uint8)
        rgba[..., :3] = grey[..., None]
        rgba[..., 3] = np.where(filled, 255, 0)
        rgba = np.ascontiguousarray(rgba)
        height, width = values.shape
        self._image = QImage(rgba.data, width, height, rgba.strides[0], QImage.Format.Format_RGBA8888).copy()
        self._shape, self.current = values.shape, current
        self.values, self.filled = values, filled
        self.update()

    def grid_rect(self) -> QRectF:
        rows, cols = self._shape
        if not rows or not cols:
            return QRectF()
        cell = max(1, int(min((self.width() - 2) / cols, (self.height() - 2) / rows)))
        width, height = cell * cols, cell * rows
        return QRectF((self.width() - width) // 2, (self.height() - height) // 2, width, height)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(200, 200)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(112, 112)

    def paintEvent(self, event) -> None:  # noqa: N802
        rect = self.grid_rect()
        if rect.isEmpty():
            return
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(rect, palette.color(QPalette.ColorRole.Base))
        empty = QColor(palette.color(QPalette.ColorRole.Highlight))
        empty.setAlpha(40)  # the cells still to fill: tinted, so black ink-free pixels stand apart from them
        painter.fillRect(rect, empty)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(rect, self._image)
        rows, cols = self._shape
        step = rect.width() / cols
        if step >= 5:  # the empty cells, faintly, so the order of filling shows
            painter.setPen(QPen(QColor(128, 128, 128, 50), 1))
            for i in range(1, cols):
                painter.drawLine(round(rect.x() + i * step), round(rect.top()), round(rect.x() + i * step), round(rect.bottom()))
            for i in range(1, rows):
                painter.drawLine(round(rect.left()), round(rect.y() + i * step), round(rect.right()), round(rect.y() + i * step))
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if self.current is not None:
            row, col = self.current
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRect(QRectF(rect.x() + col * step - 1, rect.y() + row * step - 1, step + 2, step + 2))
        painter.end()


class VectorStrip(QWidget):
    """The vector ``v`` as a strip of grey levels, the values filled so far underlined."""

    def __init__(self, parent: QWidget | None = None, **qt_properties):
        super().__init__(parent, **qt_properties)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(26)
        self._image = QImage()
        self._size = 0
        self.count = 0

    def set_vector(self, vector: np.ndarray, count: int) -> None:
        grey = np.ascontiguousarray(to_grey8(vector.reshape(1, -1)))
        self._image = QImage(grey.data, grey.shape[1], 1, grey.strides[0], QImage.Format.Format_Grayscale8).copy()
        self._size, self.count = vector.size, count
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(400, 26)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(100, 26)

    def paintEvent(self, event) -> None:  # noqa: N802
        if not self._size:
            return
        painter = QPainter(self)
        palette = self.palette()
        strip = QRectF(0, 2, self.width(), self.height() - 10)
        painter.drawImage(strip, self._image)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawRect(strip.adjusted(0, 0, -1, -1))
        done = self.width() * self.count / self._size
        painter.fillRect(QRectF(0, self.height() - 6, done, 4), palette.color(QPalette.ColorRole.Highlight))
        if self.count:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawLine(round(done), 0, round(done), self.height())
        painter.end()


class ReshapeLab(QWidget):
    """The panel (objectName ``reshapeLab``); ``state`` gives the digits."""

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reshapeLab")
        self.state = state
        self._sample_images: np.ndarray | None = None
        self._sample_labels: np.ndarray | None = None
        self._digit = np.zeros((28, 28), dtype=np.uint8)
        self._vector = self._digit.reshape(-1)

        layout = QVBoxLayout(self)
        layout.addWidget(hint_label(INTRO))

        pick = QHBoxLayout()
        pick.addWidget(QLabel("digit <- train_images["))
        self.digit_spin = QSpinBox(objectName="reshapeDigit", minimum=1, maximum=10**9)
        self.digit_spin.setValue(reshape.BOOK_DIGIT)
        self.digit_spin.setToolTip("Which training digit, counted from 1 as R does")
        pick.addWidget(self.digit_spin)
        pick.addWidget(QLabel(",,]"))
        self.digit_caption = wrapped_label(objectName="reshapeDigitCaption")
        pick.addWidget(self.digit_caption, 1)
        layout.addLayout(pick)

        orders = QVBoxLayout()
        orders.setSpacing(2)
        orders.addWidget(QLabel("v is read out by"))
        self.order_group = QButtonGroup(self)
        self.order_buttons = {}
        for order in (ROW_MAJOR, COLUMN_MAJOR):
            r_code, numpy_code = reshape.flatten_code(784, order)
            button = QRadioButton(f"{r_code}   ({ORDER_NAMES[order]})", objectName=f"flatten{order}")
            button.setToolTip(f"NumPy: {numpy_code}")
            self.order_group.addButton(button)
            self.order_buttons[order] = button
            orders.addWidget(button)
        self.order_buttons[ROW_MAJOR].setChecked(True)
        layout.addLayout(orders)

        views = QHBoxLayout()
        self.digit_views = {}
        for key, caption in (("digit", "digit"), ("same", "same order back"), ("other", "other order back")):
            column = QVBoxLayout()
            view = DigitView(objectName=f"reshape_{key}View")
            view.setFixedSize(SMALL_DIGIT, SMALL_DIGIT)
            self.digit_views[key] = view
            label = QLabel(caption, alignment=Qt.AlignmentFlag.AlignCenter)
            column.addWidget(view, 0, Qt.AlignmentFlag.AlignHCenter)
            column.addWidget(label)
            views.addLayout(column)
        views.addStretch(1)
        layout.addLayout(views)
        self.round_trip_label = wrapped_label(objectName="roundTripText")
        layout.addWidget(self.round_trip_label)

        layout.addWidget(QLabel("<b>Cell by cell</b>: v fills 28 x 28 cells, in each order"))
        self.strip = VectorStrip(objectName="vectorStrip")
        layout.addWidget(self.strip)
        slide = QHBoxLayout()
        slide.addWidget(QLabel("cells filled"))
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="fillSlider", minimum=0, maximum=784, value=392)
        self.slider.setPageStep(28)
        slide.addWidget(self.slider, 1)
        self.count_label = QLabel(objectName="fillCount")
        self.count_label.setMinimumWidth(self.count_label.fontMetrics().horizontalAdvance("784 of 784"))
        slide.addWidget(self.count_label)
        self.play_button = QPushButton("Play", objectName="fillPlay", checkable=True)
        slide.addWidget(self.play_button)
        layout.addLayout(slide)

        grids = QGridLayout()
        self.grids, self.grid_captions, self.step_labels = {}, {}, {}
        for column, order in enumerate((ROW_MAJOR, COLUMN_MAJOR)):
            r_code, numpy_code = reshape.unflatten_code((28, 28), order)
            caption = wrapped_label(f"<b>{ORDER_NAMES[order]}</b><br><code>{html.escape(r_code)}</code>",
                                    alignment=Qt.AlignmentFlag.AlignCenter)
            caption.setToolTip(f"NumPy: {numpy_code}")
            self.grid_captions[order] = caption
            self.grids[order] = FillGrid(objectName=f"fillGrid{order}")
            self.step_labels[order] = QLabel(objectName=f"fillStep{order}", alignment=Qt.AlignmentFlag.AlignCenter)
            self.step_labels[order].setFont(monospace_font())
            grids.addWidget(caption, 0, column)
            grids.addWidget(self.grids[order], 1, column)
            grids.addWidget(self.step_labels[order], 2, column)
        layout.addLayout(grids)

        self.code_label = wrapped_label(objectName="reshapeCode", textFormat=Qt.TextFormat.RichText)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.code_label)

        layout.addWidget(wrapped_label("<b>t() is not a reshape</b>: the book's small matrix, transposed and reshaped"))
        first = reshape.matrix_steps()[0]
        book = wrapped_label(" ".join(first.r_code.split()), objectName="bookMatrixCode")
        book.setFont(monospace_font())
        book.setToolTip("NumPy: " + " ".join(first.numpy_code.split()))
        layout.addWidget(book)
        matrices = QGridLayout()
        matrices.setHorizontalSpacing(12)
        self.matrix_labels = []
        for index, step in enumerate(reshape.matrix_steps()):
            cell = QVBoxLayout()
            cell.setSpacing(2)
            top = QLabel(f"<code>{html.escape('x' if index == 0 else step.r_code)}</code>")
            top.setToolTip(f"NumPy: {step.numpy_code}")
            value = QLabel(matrix_html(step.value), textFormat=Qt.TextFormat.RichText)
            value.setFont(monospace_font())
            numpy = "x" if index == 0 else step.numpy_code
            note = hint_label(f"{step.note}. NumPy: {numpy}")
            for widget in (top, value, note):
                cell.addWidget(widget)
            cell.addStretch(1)
            matrices.addLayout(cell, index // 2, index % 2)
            self.matrix_labels.append(value)
        matrices.setColumnStretch(0, 1)
        matrices.setColumnStretch(1, 1)
        layout.addLayout(matrices)
        layout.addStretch(1)

        self.play_timer = QTimer(self, interval=PLAY_INTERVAL_MS)
        self.play_timer.timeout.connect(self._play_tick)
        self.play_button.toggled.connect(self._play)
        self.slider.valueChanged.connect(self._show_fill)
        self.digit_spin.valueChanged.connect(self._show_digit)
        self.order_group.buttonToggled.connect(lambda *_: self._show_digit())
        state.dataset_changed.connect(self._dataset_changed)
        self._dataset_changed()

    # ----- the model --------------------------------------------------------------------------------
    @property
    def order(self) -> str:
        """The order ``v`` is read out in."""
        return ROW_MAJOR if self.order_buttons[ROW_MAJOR].isChecked() else COLUMN_MAJOR

    def images(self) -> tuple[np.ndarray, np.ndarray | None, str]:
        """The training images, their labels (if any) and where they come from."""
        dataset = self.state.dataset
        if dataset is not None and len(dataset.x_train):
            return dataset.x_train, dataset.y_train, dataset.name
        if self._sample_images is None:
            try:
                (x_train, y_train), _ = mnist.load_sample()
                self._sample_images, self._sample_labels = x_train, y_train
            except (OSError, ValueError):
                self._sample_images, self._sample_labels = np.zeros((1, 28, 28), dtype=np.uint8), None
        return self._sample_images, self._sample_labels, "the bundled sample"

    def digit(self) -> np.ndarray:
        return self._digit

    # ----- updates ----------------------------------------------------------------------------------
    def _dataset_changed(self) -> None:
        images, _, _ = self.images()
        self.digit_spin.blockSignals(True)
        self.digit_spin.setMaximum(max(1, len(images)))
        self.digit_spin.blockSignals(False)
        self._show_digit()

    def _show_digit(self) -> None:
        images, labels, source = self.images()
        position = min(self.digit_spin.value(), len(images))
        digit = np.asarray(images[position - 1])
        while digit.ndim > 2 and digit.shape[-1] == 1:
            digit = digit[..., 0]
        if digit.ndim != 2:  # not an image the lab can draw: say so, show nothing
            self.digit_caption.setText(f"images of shape {digit.shape}: the lab draws 2-D images")
            return
        self._digit = digit
        label = f"a {int(labels[position - 1])}" if labels is not None else ""
        r_pick, numpy_pick = reshape.digit_code(position)
        self.digit_caption.setText(f"{label}   (NumPy: {numpy_pick})")
        self.digit_caption.setToolTip(f"Training digit {position} of {source}")
        order, other = self.order, COLUMN_MAJOR if self.order == ROW_MAJOR else ROW_MAJOR
        self._vector = reshape.flatten(digit, order)
        self.digit_views["digit"].set_image(digit)
        self.digit_views["same"].set_image(reshape.round_trip(digit, order, order))
        self.digit_views["other"].set_image(reshape.round_trip(digit, order, other))
        square = digit.shape[0] == digit.shape[1]
        self.round_trip_label.setText(reshape.round_trip_text(order, other, square))
        size = digit.size
        self.slider.setMaximum(size)
        shape = digit.shape
        rows = [(r_pick, numpy_pick), reshape.flatten_code(size, order),
                reshape.unflatten_code(shape, ROW_MAJOR, "x"), reshape.unflatten_code(shape, COLUMN_MAJOR, "x")]
        self.code_label.setText(code_table(rows))
        for grid_order, caption in self.grid_captions.items():
            r_code, numpy_code = reshape.unflatten_code(shape, grid_order)
            caption.setText(f"<b>{ORDER_NAMES[grid_order]}</b><br><code>{html.escape(r_code)}</code>")
            caption.setToolTip(f"NumPy: {numpy_code}")
        self._show_fill()

    def _show_fill(self) -> None:
        count = self.slider.value()
        shape, size = self._digit.shape, self._digit.size
        self.count_label.setText(f"{count} of {size}")
        self.strip.set_vector(self._vector, count)
        step = reshape.fill_step(count - 1, shape) if count else None
        for order, grid in self.grids.items():
            values, filled = reshape.partly_filled(self._vector, shape, order, count)
            current = (step.row_major if order == ROW_MAJOR else step.column_major) if step else None
            grid.set_cells(values, filled, current)
            self.step_labels[order].setText(step.text(order).replace("   (NumPy: ", "\nNumPy ")[:-1] if step else "(empty)")

    def _play(self, playing: bool) -> None:
        if playing:
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)
            self.play_timer.start()
        else:
            self.play_timer.stop()

    def _play_tick(self) -> None:
        value = min(self.slider.value() + PLAY_STEP, self.slider.maximum())
        self.slider.setValue(value)
        if value >= self.slider.maximum():
            self.play_button.setChecked(False)

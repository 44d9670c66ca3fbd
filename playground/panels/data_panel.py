"""The Data panel: MNIST's four tensors, looked at the way section 2.2 of the book does.

*Deep Learning with R*, section 2.2 ("Data representations for neural networks") inspects
``train_images`` with ``str()``, plots one digit, slices tensors (2.2.6) and cuts the data
into batches (2.2.7). This panel does each of those by hand on the loaded dataset:

* the four tensors summarised like ``str()`` (``tensor_text.describe``);
* one digit at a time, big, with its label and each pixel's value under the mouse;
* a slice box that takes the book's R (``train_images[10:99,,]``) or NumPy's slicing
  (``x_train[9:99]``), parsed safely by ``slicing.py``, and shows the result's shape and its
  digits with the same selection in the other language; a mistake clears the old result;
* a batch navigator: batch ``k`` of size ``b`` is samples ``b*k .. b*(k+1)-1``;
* the dataset's source, and a button that downloads the full MNIST (or Fashion-MNIST) on a worker thread;
* each label with its class's name when the dataset names its classes (Fashion-MNIST's "Ankle boot"),
  read from ``state.class_names`` (MNIST's classes are its digits: nothing is added).

Thin view over ``AppState``: it reads ``state.dataset``, calls ``state.set_dataset`` after a
download and reacts to ``dataset_changed`` and ``digit_requested`` (sent by the Evaluate panel).
Call ``shutdown()`` before the application closes (it also runs on ``aboutToQuit``).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup, QDockWidget, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
    QPushButton, QStackedWidget, QTabWidget, QVBoxLayout, QWidget,
)

from playground.core.slicing import SliceError, batch_count, batch_range, describe_batch, select, to_r
from playground.core.specs import label_name, names_are_digits
from playground.text import tensor_text
from playground.widgets import (
    DigitGrid, DigitView, FitsShortDock, NumberSpinBox, hint_label, scroll_area, wrapped_label,
)
from playground.widgets.dataset_source_bar import DatasetSourceBar
from playground.widgets.keys import panel_shortcut
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style

SLICE_EXAMPLES = ("x_train[4]", "x_train[9:99]", "x_train[:, 14:, 14:]", "x_train[10:100:2, ::2]", "y_train[:20]", "x_test[-1]")
R_SLICE_EXAMPLES = ("train_images[10:99,,]", "train_images[, 15:28, 15:28]", "train_labels[5]", "train_images[10:99]")
SLICE_HINT = "R counts from 1 and includes the end: train_images[10:99,,] is x_train[9:99]"
R_NAMES = ("train_images", "train_labels", "test_images", "test_labels")
MAX_GRID = 100  # images drawn for a slice
MAX_BATCH_GRID = 256  # images drawn for a batch
NEIGHBOURS = 40  # digits in the strip under the big one
INVALID_EDIT = "QLineEdit { border: 1px solid {red}; border-radius: 2px; }"


def batch_count_text(count: int) -> str:
    """``of 0 … 46 (47 batches)``, ``of 0 … 0 (1 batch)``: non-breaking spaces keep it on one line."""
    return f"of 0 … {count - 1:,} ({count:,} batch{'es' if count != 1 else ''})".replace(" ", "\u00a0")


def _set_bold(widget: QWidget, bold: bool) -> None:
    font = widget.font()
    font.setBold(bold)
    widget.setFont(font)


class DataPanel(FitsShortDock, QWidget):
    """Browse, slice and batch the MNIST tensors; download the full dataset."""

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.state = state
        self._split = "train"
        self._neighbours_shown = None
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        layout = QVBoxLayout(self)
        self.source_bar = DatasetSourceBar(state)
        layout.addWidget(self.source_bar)
        self.summary = QPlainTextEdit(objectName="tensorSummary", readOnly=True)
        self.summary.setFont(self._mono)
        self.summary.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.summary.setFixedHeight(self.summary.fontMetrics().lineSpacing() * 4 + 12)
        layout.addWidget(self.summary)
        self.tabs = QTabWidget(objectName="dataTabs")
        self.tabs.addTab(self._build_digit_tab(), "One digit")
        self.tabs.addTab(self._build_slice_tab(), "Slicing")
        self.tabs.addTab(self._build_batch_tab(), "Batches")
        self.tabs.setCornerWidget(self._build_split_chooser())
        layout.addWidget(self.tabs, 1)

        state.dataset_changed.connect(self.refresh)
        state.digit_requested.connect(self.show_digit)
        follow_theme(self, lambda: refresh_error_styles(self))
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # a click on the digit puts the arrow keys here
        panel_shortcut(self, Qt.Key.Key_Right, "Next digit (Data)", lambda: self.step_digit(+1))
        panel_shortcut(self, Qt.Key.Key_Left, "Previous digit (Data)", lambda: self.step_digit(-1))
        self.refresh()

    def step_digit(self, step: int) -> None:
        """The next (+1) or previous (-1) digit of the split, on the One digit tab."""
        index = min(max(self.digit_index.value() + step, 0), self.digit_index.maximum())
        self.tabs.setCurrentIndex(0)
        self.digit_index.setValue(index)

    # ----- building -----------------------------------------------------------------------
    def _build_split_chooser(self) -> QWidget:
        """Segmented "Training set | Test set" buttons in the tab bar's corner."""
        box = QWidget(objectName="splitChooser")
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 2)
        row.setSpacing(0)
        self.split_buttons = QButtonGroup(self)
        for split, text in (("train", "Training set"), ("test", "Test set")):
            button = QPushButton(text, objectName=f"split_{split}", checkable=True, checked=split == "train")
            button.setToolTip(f"Show digits from x_{split} / y_{split} in the One digit and Batches tabs")
            button.clicked.connect(lambda _=False, s=split: self.set_split(s))
            button.toggled.connect(lambda on, b=button: _set_bold(b, on))
            _set_bold(button, button.isChecked())
            self.split_buttons.addButton(button)
            row.addWidget(button)
        return box

    def _build_digit_tab(self) -> QWidget:
        tab = QWidget()
        row = QHBoxLayout(tab)
        self.digit_view = DigitView(objectName="digitView")
        self.digit_view.alignment = Qt.AlignmentFlag.AlignTop
        self.digit_view.setToolTip("Each pixel is a grey level from 0 (black background) to 255 (white ink); "
                                   "the book plots it with plot(as.raster(digit, max = 255)).")
        self.digit_view.hovered.connect(self._on_pixel_hovered)
        row.addWidget(self.digit_view, 1)
        side = QVBoxLayout()
        self.label_text = QLabel(objectName="digitLabel")
        font = self.label_text.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        self.label_text.setFont(font)
        self.class_name_text = wrapped_label(objectName="digitClassName", visible=False)  # a label's name, if not a digit
        font.setPointSizeF(font.pointSizeF() * 0.6)
        self.class_name_text.setFont(font)
        index_row = QHBoxLayout()
        self.digit_index = NumberSpinBox(whole=True, follows_range=True, objectName="digitIndex", accelerated=True)
        self.digit_index.validValueChanged.connect(self._show_current_digit)  # out of range: marked, not shown
        self.index_range = hint_label()
        for widget, stretch in ((QLabel("Index"), 0), (self.digit_index, 0), (self.index_range, 1)):
            index_row.addWidget(widget, stretch)
        self.digit_code = wrapped_label(objectName="digitCode")
        self.pixel_readout = wrapped_label(objectName="pixelReadout")
        for label in (self.digit_code, self.pixel_readout):
            label.setFont(self._mono)
        self.neighbours_label = hint_label()
        self.neighbours = DigitGrid(objectName="digitNeighbours", cell_size=28)
        self.neighbours.clickable = True
        self.neighbours.activated.connect(self.digit_index.setValue)
        side.addWidget(self.label_text)
        side.addWidget(self.class_name_text)
        side.addLayout(index_row)
        for widget in (self.digit_code, self.pixel_readout, self.neighbours_label):
            side.addWidget(widget)
        neighbours_scroll = scroll_area(self.neighbours)
        neighbours_scroll.setMinimumHeight(48)
        side.addWidget(neighbours_scroll, 1)
        row.addLayout(side, 1)
        return tab

    def _build_slice_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.slice_edit = QLineEdit(objectName="sliceEdit", placeholderText="x_train[9:99]", clearButtonEnabled=True)
        self.slice_edit.setFont(self._mono)
        self.slice_edit.textChanged.connect(self._update_slice)
        def links(examples):
            return " · ".join(f'<a href="{e}">{e}</a>' for e in examples)

        examples = wrapped_label(f"NumPy: {links(SLICE_EXAMPLES)}<br>R, as in the book: {links(R_SLICE_EXAMPLES)}",
                                 objectName="sliceExamples")
        examples.linkActivated.connect(self.slice_edit.setText)
        self.slice_error = wrapped_label(objectName="sliceError", visible=False)
        show_error_style(self.slice_error)  # the same red as the download errors
        self.slice_result = wrapped_label(objectName="sliceResult")
        self.slice_result.setFont(self._mono)
        self.slice_r_hint = hint_label(objectName="sliceRHint")
        self.slice_grid = DigitGrid(objectName="sliceGrid", cell_size=42)
        self.slice_values = QPlainTextEdit(objectName="sliceValues", readOnly=True)
        self.slice_values.setFont(self._mono)
        self.slice_pages = QStackedWidget()
        self.slice_pages.addWidget(scroll_area(self.slice_grid))
        self.slice_pages.addWidget(self.slice_values)
        for widget in (self.slice_edit, examples, self.slice_error, self.slice_result, self.slice_r_hint):
            layout.addWidget(widget)
        layout.addWidget(self.slice_pages, 1)
        return tab

    def _build_batch_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        self.batch_size = NumberSpinBox(whole=True, follows_range=True, objectName="batchNavSize", minimum=1,
                                        maximum=60000, value=128)
        self.batch_index = NumberSpinBox(whole=True, follows_range=True, objectName="batchNavIndex", minimum=0)
        self.batch_count_label = hint_label(objectName="batchCountHint")
        self.batch_count_label.setWordWrap(False)  # one line: never "(47 / batches)"
        index_row = QHBoxLayout()
        index_row.addWidget(self.batch_index)
        index_row.addWidget(self.batch_count_label, 1)
        form = QFormLayout(fieldGrowthPolicy=QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Batch", index_row)
        layout.addLayout(form)
        self.batch_range_label = wrapped_label(objectName="batchRange")
        self.batch_code = hint_label()
        self.batch_code.setFont(self._mono)
        self.batch_grid = DigitGrid(objectName="batchGrid", cell_size=36)
        layout.addWidget(self.batch_range_label)
        layout.addWidget(self.batch_code)
        layout.addWidget(scroll_area(self.batch_grid), 1)
        self.batch_size.validValueChanged.connect(self._update_batches)
        self.batch_index.validValueChanged.connect(self._update_batches)
        return tab

    # ----- the dataset and the split ---------------------------------------------------------
    def tensors(self) -> dict[str, np.ndarray]:
        ds = self.state.dataset
        return ds.tensors() if ds is not None else {}

    def _pair(self) -> tuple[np.ndarray, np.ndarray]:
        """Images and labels of the chosen split (empty arrays without a dataset)."""
        t = self.tensors()
        empty = (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))
        return (t[f"x_{self._split}"], t[f"y_{self._split}"]) if t else empty

    def label_text_of(self, value) -> str:
        """A label as captions show it: its class's name ("7" for MNIST, "Sneaker" for Fashion-MNIST)."""
        return label_name(self.state.class_names, value)

    def label_long_text(self, value) -> str:
        """A label as tooltips say it: the number, and its class's name when that is not the number."""
        name = self.label_text_of(value)
        return name if name == str(int(value)) else f"{int(value)} ({name})"

    def refresh(self) -> None:
        """Redraw everything from ``state.dataset`` (indices are clamped to the new sizes)."""
        self._neighbours_shown = None  # the class names may have changed with the data
        ds = self.state.dataset
        if ds is None:
            self.summary.setPlainText("")
        else:
            self.summary.setPlainText("\n".join(tensor_text.describe(n, a) for n, a in ds.tensors().items()))
            self.summary.setToolTip("The four tensors, described like R's str(): name, rank, dtype, shape, first values."
                                    "\nIn R, str() prints:\n" + "\n".join(
                f"{r}: {tensor_text.r_str(a)}   ({tensor_text.memory_size(a)})" for r, a in zip(R_NAMES, ds.tensors().values())))
        self._update_split()
        self._update_slice()

    def set_split(self, split: str) -> None:
        """Show digits from ``"train"`` or ``"test"`` in the One digit and Batches tabs."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        self._split = split
        self.findChild(QPushButton, f"split_{split}").setChecked(True)
        self._update_split()

    @property
    def split(self) -> str:
        return self._split

    def _update_split(self) -> None:
        n = len(self._pair()[0])
        self.digit_index.setMaximum(max(n - 1, 0))
        self.index_range.setText(f"of 0 … {n - 1:,}".replace(" ", "\u00a0") if n else "no digits")  # one line
        self.batch_size.setMaximum(max(n, 1))
        self._show_current_digit()
        self._update_batches()

    # ----- one digit ------------------------------------------------------------------------
    def show_digit(self, split: str, index: int) -> None:
        """Switch to ``split``, show digit ``index`` and bring the panel (and its dock) to the front."""
        if split not in ("train", "test"):
            return
        self.set_split(split)
        self.digit_index.setValue(index)
        self.tabs.setCurrentIndex(0)
        dock = self.parentWidget()
        while dock is not None and not isinstance(dock, QDockWidget):
            dock = dock.parentWidget()
        if dock is not None:
            dock.show()
            dock.raise_()

    def _show_current_digit(self) -> None:
        x, y = self._pair()
        if len(x) == 0:
            self.digit_view.set_image(None)
            self.label_text.setText("Label: –")
            self.class_name_text.setVisible(False)
            self.digit_code.setText("")
            self.neighbours.clear()
            self._neighbours_shown = None
            return
        i, name = self.digit_index.value(), f"x_{self._split}"
        self.digit_view.set_image(x[i])
        self.state.set_current_digit(x[i], f"{name}[{i}], label {self.label_long_text(y[i])}")  # the Inside panel follows it
        self.label_text.setText(f"Label: {int(y[i])}")
        self.class_name_text.setText(self.label_text_of(y[i]))
        self.class_name_text.setVisible(not names_are_digits(self.state.class_names))
        self.digit_code.setText(f"{name}[{i}]  ·  R: {to_r(f'{name}[{i}]', self.tensors())}")
        self._on_pixel_hovered()
        start = i // NEIGHBOURS * NEIGHBOURS
        stop = min(start + NEIGHBOURS, len(x))
        if self._neighbours_shown != (id(x), start, stop):  # rebuild only when the page changes
            self._neighbours_shown = (id(x), start, stop)
            self.neighbours.set_items(x[start:stop], captions=[self.label_text_of(v) for v in y[start:stop]],
                                      keys=list(range(start, stop)),
                                      tooltips=[f"{name}[{j}] · label {self.label_long_text(y[j])}" for j in range(start, stop)])
        self.neighbours.set_selected(i - start)
        self.neighbours_label.setText(f"{name}[{start}:{stop}]: click one to show it")

    def _on_pixel_hovered(self, *_pixel) -> None:
        self.pixel_readout.setText(self.digit_view.hover_text or "Hover over the digit to read a pixel (0-255)")

    # ----- slicing --------------------------------------------------------------------------
    def _update_slice(self) -> None:
        expr, tensors = self.slice_edit.text() or self.slice_edit.placeholderText(), self.tensors()
        try:
            selection = select(expr, tensors)
        except SliceError as exc:  # say what is wrong, and show nothing that could pass for its result
            self.slice_error.setText(str(exc))
            self.slice_error.setVisible(True)
            show_error_style(self.slice_edit, True, INVALID_EDIT)
            self.slice_result.setText("")
            self.slice_r_hint.setText(SLICE_HINT)
            self.slice_grid.clear()
            self.slice_values.setPlainText("")
            return
        self.slice_error.setVisible(False)
        show_error_style(self.slice_edit, False)
        other = "R" if selection.language == "NumPy" else "NumPy"
        lines = [f"In {other}: {selection.other_form}" if selection.other_form else f"({other} has no short form for this)"]
        self.slice_r_hint.setText("\n".join(lines + [selection.note or SLICE_HINT]))
        result = selection.result
        summary = f"{tensor_text.shape_and_dtype(result)} · {tensor_text.rank_name(result.ndim)}"
        self.slice_result.setText(summary + self._show_slice(selection.name, result, selection.ids, tensors))

    def _show_slice(self, name: str, result: np.ndarray, ids: np.ndarray, tensors: dict) -> str:
        """Draw a slice result (images as a grid, labels and pixel rows as text); returns a note."""
        labels = tensors["y" + name[1:]]
        images = name.startswith("x") and result.size and result.ndim in (2, 3)
        self.slice_pages.setCurrentIndex(0 if images else 1)
        if not images:
            self.slice_grid.clear()
            self.slice_values.setPlainText(tensor_text.values_text(result) if result.size else "(empty: no elements)")
            return ""
        if result.ndim == 2:  # one digit, or a crop of one, or a row of pixels from many
            first, last = int(ids.min()), int(ids.max())
            caption = (f"{name}[{first}] · label {self.label_long_text(labels[first])}" if first == last
                       else f"rows of digits {first}…{last}")
            self.slice_grid.set_cell_size(168)
            self.slice_grid.set_items([result], captions=[caption], keys=[first])
            return ""
        rows = ids[:MAX_GRID, 0, 0]
        self.slice_grid.set_cell_size(42)
        self.slice_grid.set_items(result[:MAX_GRID], captions=[f"{i}: {self.label_text_of(labels[i])}" for i in rows],
                                  keys=list(rows), tooltips=[f"{name}[{i}] · label {self.label_long_text(labels[i])}"
                                                             for i in rows])
        return f" · showing the first {MAX_GRID} of {len(result):,} images" if len(result) > MAX_GRID else ""

    # ----- batches (section 2.2.7) ----------------------------------------------------------
    def _update_batches(self) -> None:
        x, y = self._pair()
        if len(x) == 0:
            self.batch_grid.clear()
            self.batch_range_label.setText("No digits loaded")
            return
        size, name = self.batch_size.value(), f"x_{self._split}"
        count = batch_count(len(x), size)
        self.batch_index.setMaximum(count - 1)
        k = self.batch_index.value()
        start, stop = batch_range(len(x), size, k)
        self.batch_count_label.setText(batch_count_text(count))
        self.batch_range_label.setText(describe_batch(name, len(x), size, k))
        self.batch_code.setText(f"{name}[{start}:{stop}]   R: {to_r(f'{name}[{start}:{stop}]', self.tensors())}")
        end = min(stop, start + MAX_BATCH_GRID)
        self.batch_grid.set_items(x[start:end], captions=[self.label_text_of(v) for v in y[start:end]],
                                  keys=list(range(start, end)),
                                  tooltips=[f"{name}[{i}] · label {self.label_long_text(y[i])}" for i in range(start, end)])

    # ----- downloading (the bar does the work) -------------------------------------------------
    def start_download(self) -> None:
        """Fetch the full MNIST on a worker thread (see ``widgets.dataset_source_bar``)."""
        self.source_bar.start_download()

    def shutdown(self) -> None:
        """Cancel a running download and wait for its thread (call before the app closes)."""
        self.source_bar.shutdown()

"""The Network panel's layer table: its columns, and how it fits a narrow dock.

One row per layer between the fixed input and output rows; one column per setting a layer kind
can have (``COLUMN_OF``), shown only while some row has it, then ``summary()``'s Output shape and
Params. A convnet shows Layer, Output shape and Params first, so that a narrow dock scrolls
sideways to settings rather than to the shapes that are its lesson.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QHeaderView, QTableWidget

from playground.core.specs import ACTIVATIONS

COLUMNS = ("Layer", "Units", "Activation", "Dropout", "Kernel", "Strides", "Padding", "Output shape", "Params")
LAYER, UNITS, ACTIVATION, DROPOUT, WINDOW, STRIDES, PADDING, SHAPE, PARAMS = range(len(COLUMNS))
COLUMN_OF = {"units": UNITS, "filters": UNITS, "activation": ACTIVATION, "dropout": DROPOUT, "rate": DROPOUT,
             "kernel_size": WINDOW, "pool_size": WINDOW, "strides": STRIDES, "padding": PADDING}
CHOICES = {"activation": ACTIVATIONS, "padding": ("valid", "same")}  # settings chosen from a list
SETTING_COLUMNS = (UNITS, ACTIVATION, DROPOUT, WINDOW, STRIDES, PADDING)
SOMETIMES_SHOWN = (WINDOW, STRIDES, PADDING)  # only while a row has such a setting (not in chapter 2)
TIPS = {
    "units": "Units of this Dense layer: its output has one number per unit",
    "filters": "Filters of this Conv2D layer: its output has one channel per filter",
    "kernel_size": "The window each filter looks at: 3 or 3x3 for 3 x 3 pixels",
    "pool_size": "The window each output takes the maximum (or the average) of: 2 or 2x2",
    "strides": "How far the window moves each step: 1x1 looks at every position; empty: the window's size",
    "padding": "valid: only whole windows (the image shrinks); same: zero-pad so that it keeps its size",
    "activation": "Activation applied to this layer's output (relu in chapters 2 and 5)",
    "dropout": "A Dropout layer after this one zeroes this fraction of its outputs while training (0: none)",
    "rate": "The fraction of its inputs this Dropout layer zeroes while training",
}
INVALID_ALPHA = 110  # invalid cells: the error red, translucent so it shows on light and dark bases
MIN_ROWS_SHOWN = 4  # a short dock scrolls the table's rows, never the total below it


class LayerTable(QTableWidget):
    """The layer table: it asks for the height of all its rows and makes do with a few, shows
    only the columns some row uses (``unused``), and hides its ``optional_column`` when the
    other columns would not fit beside it."""

    optional_column = SHAPE  # for Dense rows (None, units): what Units already says

    def __init__(self, *args):
        super().__init__(*args)
        self.unused: set[int] = set()  # columns no row of the design has a setting in
        self.shapes_matter = False  # the design has image layers: Output shape always shows

    def sizeHint(self):  # noqa: N802 (Qt name)
        hint = super().sizeHint()
        hint.setHeight(self._height_for(self.rowCount()))
        return hint

    def minimumSizeHint(self):  # noqa: N802 (Qt name)
        hint = super().minimumSizeHint()
        hint.setHeight(self._height_for(min(self.rowCount(), MIN_ROWS_SHOWN)))
        return hint

    def _height_for(self, rows: int) -> int:
        scroll = self.horizontalScrollBar().sizeHint().height() if self.horizontalScrollBar().isVisible() else 0
        return (rows * self.verticalHeader().defaultSectionSize() + self.horizontalHeader().sizeHint().height()
                + 2 * self.frameWidth() + scroll)

    def natural_width(self, column: int) -> int:
        """The width ``column`` needs for its header and its widest cell."""
        return max(self.horizontalHeader().sectionSizeHint(column), self.sizeHintForColumn(column))

    def fit_columns(self) -> None:
        """Show the columns some row uses; the optional one only when every column fits at its
        natural width (a convnet's shapes always show: the table then scrolls sideways)."""
        shown = [column for column in range(self.columnCount()) if column not in self.unused]
        needed = sum(self.natural_width(column) for column in shown)
        narrow = needed > self.viewport().width() and not self.shapes_matter
        for column in range(self.columnCount()):
            hidden = column in self.unused or (column == self.optional_column and narrow)
            if hidden != self.isColumnHidden(column):
                self.setColumnHidden(column, hidden)
        # the Layer column takes the room left over; a table wider than its view stretches nothing
        # (a stretched column would be squeezed to what is left: "(None, 2...")
        shown_width = sum(self.natural_width(c) for c in range(self.columnCount()) if not self.isColumnHidden(c))
        overflowing = shown_width > self.viewport().width() and not self.isColumnHidden(self.optional_column)
        mode = QHeaderView.ResizeToContents if overflowing else QHeaderView.Stretch
        if self.horizontalHeader().sectionResizeMode(LAYER) != mode:
            self.horizontalHeader().setSectionResizeMode(LAYER, mode)
        units = self.horizontalHeaderItem(UNITS)
        if units is not None:
            units.setToolTip("Each layer's output shape is (None, units); widen the panel to see that column"
                             if self.isColumnHidden(self.optional_column) else "")

    def viewportEvent(self, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Resize:  # the dock's width, or the scroll bar came or went
            self.fit_columns()
        return super().viewportEvent(event)

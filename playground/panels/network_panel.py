"""Network panel: design the stack of Dense layers and see its shapes and parameter counts.

Chapter 2's network is ``layer_dense(units = 512, activation = "relu", input_shape = c(28 * 28))``
followed by ``layer_dense(units = 10, activation = "softmax")``: 407,050 parameters. Here the
learner edits the *hidden* layers (units, activation, dropout after the layer); the input row
is fixed by the data (28x28 images flattened to 784 numbers) and the output row by the ten
classes. The Output shape and Params columns are what ``model.summary()`` prints, computed
with plain arithmetic (a Dense layer holds ``inputs x units`` weights plus ``units`` biases),
so they update while you type. While training runs the table is locked: the running network
was built from this design. The pure helpers (parsing, ``layer_summary``, ``r_code``) are in
``playground.network_text``.

The panel only writes ``state.set_layers(...)``; invalid values (units 0, text, dropout 1) are
kept in the table as typed, marked red, and passed on so ``state.network_errors()`` can name
them: its words are the ones every panel shows. The R code waits until the design is valid.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.network_text import (
    byte_size, dropout_valid, layer_summary, parse_dropout, parse_units, r_code, units_valid,
)
from playground.number_text import number_text
from playground.state import ACTIVATIONS, MAX_UNITS, PRESETS, AppState, LayerSpec
from playground.theme import error_colour
from playground.widgets import FitsShortDock, LocksWhileTraining
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style

COLUMNS = ("Layer", "Units", "Activation", "Dropout", "Output shape", "Params")
UNITS, ACTIVATION, DROPOUT, SHAPE, PARAMS = 1, 2, 3, 4, 5
NEW_LAYER = LayerSpec(64, "relu", 0.0)
INVALID_ALPHA = 110  # invalid cells: the error red, translucent so it shows on light and dark bases
MIN_ROWS_SHOWN = 4  # a short dock scrolls the table's rows, never the total below it


class LayerTable(QTableWidget):
    """The layer table: it asks for the height of all its rows and makes do with a few, and
    hides its ``optional_column`` when the other columns would not fit beside it."""

    optional_column = SHAPE  # (None, units): what Units already says

    def sizeHint(self):  # noqa: N802 (Qt name)
        hint = super().sizeHint()
        hint.setHeight(self._height_for(self.rowCount()))
        return hint

    def minimumSizeHint(self):  # noqa: N802 (Qt name)
        hint = super().minimumSizeHint()
        hint.setHeight(self._height_for(min(self.rowCount(), MIN_ROWS_SHOWN)))
        return hint

    def _height_for(self, rows: int) -> int:
        return (rows * self.verticalHeader().defaultSectionSize() + self.horizontalHeader().sizeHint().height()
                + 2 * self.frameWidth())

    def natural_width(self, column: int) -> int:
        """The width ``column`` needs for its header and its widest cell."""
        return max(self.horizontalHeader().sectionSizeHint(column), self.sizeHintForColumn(column))

    def fit_columns(self) -> None:
        """Show the optional column only when every column fits at its natural width."""
        needed = sum(self.natural_width(column) for column in range(self.columnCount()))
        narrow = needed > self.viewport().width()
        if narrow != self.isColumnHidden(self.optional_column):
            self.setColumnHidden(self.optional_column, narrow)
            # the Layer column takes the room the hidden one leaves
            mode = QHeaderView.Stretch if narrow else QHeaderView.ResizeToContents
            self.horizontalHeader().setSectionResizeMode(0, mode)
            units = self.horizontalHeaderItem(UNITS)
            if units is not None:
                units.setToolTip("Each layer's output shape is (None, units); widen the panel to see that column"
                                 if narrow else "")

    def viewportEvent(self, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Resize:  # the dock's width, or the scroll bar came or went
            self.fit_columns()
        return super().viewportEvent(event)


class NetworkPanel(FitsShortDock, LocksWhileTraining, QWidget):
    """Layer table + presets + parameter total; writes ``state.set_layers``.

    In a narrow dock the Output shape column (always ``(None, units)``) gives way so the other
    columns keep their full width, and the R code wraps its long calls.
    """

    def __init__(self, state: AppState, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("networkPanel")
        self.state = state
        self._writing = False  # True while we push our own edit into state
        self._select_after_rebuild: int | None = None
        self._build_ui()
        state.network_changed.connect(self._on_network_changed)
        state.dataset_changed.connect(self._rebuild)
        self._rebuild()
        follow_theme(self, self._restyle)

    # ----- layout -----------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.preset_combo = QComboBox(self)
        self.preset_combo.setObjectName("presetCombo")
        self.preset_combo.addItems(list(PRESETS))
        self.preset_combo.setPlaceholderText("Custom design")
        self.preset_combo.setToolTip("Start from a ready-made design (chapter 2's is the first)")
        self.preset_combo.activated.connect(self._apply_preset)
        presets = QHBoxLayout()
        presets.addWidget(QLabel("Preset", self))
        presets.addWidget(self.preset_combo, 1)

        self.table = LayerTable(0, len(COLUMNS), self)
        self.table.setObjectName("layerTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(SHAPE, QHeaderView.Stretch)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._sync_buttons)

        self.add_button = self._button("Add layer", "addLayerButton", self._add)
        self.remove_button = self._button("Remove", "removeLayerButton", self._remove)
        self.up_button = self._button("Move up", "moveUpButton", lambda: self._move(-1))
        self.down_button = self._button("Move down", "moveDownButton", lambda: self._move(+1))
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("networkErrorLabel")
        self.error_label.setWordWrap(True)
        show_error_style(self.error_label)
        self.total_label = QLabel(self)
        self.total_label.setObjectName("totalParamsLabel")
        bold = QFont(self.total_label.font())
        bold.setBold(True)
        self.total_label.setFont(bold)
        hint = QLabel("A Dense layer has inputs x units weights plus one bias per unit.", self)
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # muted, still readable
        self._lock_label("networkLockLabel")
        self.code_label = QLabel(self)
        self.code_label.setObjectName("networkCodeLabel")
        self.code_label.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.code_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.code_label.setToolTip("The same network in R, as the book builds it")
        # never wider than the dock: the code wraps to the width it is given (see resizeEvent)
        self.code_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addLayout(presets)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.lock_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.total_label)
        layout.addWidget(hint)
        code_caption = QLabel("The same network in R, as the book writes it:", self)
        code_caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(code_caption)
        layout.addWidget(self.code_label)
        layout.addStretch(1)

    def _button(self, text: str, name: str, slot) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    # ----- reading the table ------------------------------------------------------------
    def _hidden_rows(self) -> range:
        return range(1, self.table.rowCount() - 1)

    def _read_layers(self) -> tuple[LayerSpec, ...]:
        """The hidden rows as LayerSpecs, invalid text included (so state can report it)."""
        layers = []
        for row in self._hidden_rows():
            units, dropout = self.table.item(row, UNITS).text(), self.table.item(row, DROPOUT).text()
            activation = self.table.cellWidget(row, ACTIVATION).currentText()
            layers.append(LayerSpec(parse_units(units), activation, parse_dropout(dropout)))
        return tuple(layers)

    def _write(self, layers, select: int | None = None) -> None:
        self._select_after_rebuild = select
        self.state.set_layers(layers)

    # ----- state -> table ---------------------------------------------------------------
    def _shape(self):
        ds = self.state.dataset
        return (ds.input_shape, ds.num_classes) if ds is not None else ((28, 28), 10)

    def _on_network_changed(self) -> None:
        if self._writing:
            self._refresh_derived()
        else:
            self._rebuild()

    def _rebuild(self) -> None:
        """Fill the table from ``state.layers`` (after a preset, a restore or a structural edit)."""
        layers = self.state.layers
        input_shape, classes = self._shape()
        self.table.blockSignals(True)
        self.table.clearContents()
        self.table.setRowCount(len(layers) + 2)
        flat = " x ".join(str(side) for side in input_shape)
        inputs = layer_summary((), input_shape)[0][1][1]  # 28 x 28 = 784
        self._fixed_row(0, f"Input {flat}", str(inputs), "–", "–")
        for row, spec in enumerate(layers, start=1):
            self.table.setItem(row, 0, self._item(f"Dense {row}", editable=False))
            self.table.setItem(row, UNITS, self._item(self._text(spec.units), editable=True))
            self.table.setItem(row, DROPOUT, self._item(self._text(spec.dropout), editable=True))
            self.table.setItem(row, SHAPE, self._item("", editable=False))
            self.table.setItem(row, PARAMS, self._item("", editable=False))
            self.table.setCellWidget(row, ACTIVATION, self._activation_combo(spec.activation))
        self._fixed_row(len(layers) + 1, "Output", str(classes), "softmax", "–")
        self.table.blockSignals(False)
        row = self._select_after_rebuild
        self._select_after_rebuild = None
        if row is not None and row in self._hidden_rows():
            self.table.selectRow(row)
        self._fit_table_height()
        self._refresh_derived()
        self._sync_lock()

    def _fit_table_height(self) -> None:
        """Every row without empty space below when there is room; down to a few rows (which then
        scroll) when the dock is short, so the total and the code below stay in view."""
        row_height = max(self.preset_combo.sizeHint().height(), self.fontMetrics().height()) + 4
        self.table.verticalHeader().setDefaultSectionSize(row_height)  # a combo fits in every row
        self.table.setMaximumHeight(self.table.sizeHint().height())
        self.table.updateGeometry()
        self.table.fit_columns()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._show_code()

    def _show_code(self) -> None:
        """The R code, wrapped to the characters that fit the panel's width."""
        input_shape, classes = self._shape()
        columns = None  # not laid out yet: no width to wrap to
        if self.isVisible():
            advance = QFontMetricsF(self.code_label.font()).horizontalAdvance("m" * 10) / 10  # fractional pixels
            columns = max(20, int(self.code_label.contentsRect().width() / advance))
        self.code_label.setText(r_code(self.state.layers, input_shape, classes, width=columns))

    @staticmethod
    def _text(value) -> str:
        return number_text(value) if isinstance(value, float) else str(value)  # exactly the rate used

    def _item(self, text: str, editable: bool) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        item.setFlags(flags | Qt.ItemIsEditable if editable else flags)
        if editable:
            item.setToolTip("Double-click to edit")
        return item

    def _fixed_row(self, row: int, name: str, units: str, activation: str, dropout: str) -> None:
        flat = " x ".join(str(side) for side in self._shape()[0])
        why = (f"Fixed by the data: each {flat} image is flattened to {units} inputs (a Flatten layer; "
               "the book reshapes the images with array_reshape)" if row == 0
               else "Fixed: a Dense layer with one unit per class")
        for column, text in enumerate((name, units, activation, dropout, "", "")):
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemIsEnabled)  # shown, not selectable or editable
            item.setToolTip(why)
            font = item.font()
            font.setItalic(True)
            item.setFont(font)
            self.table.setItem(row, column, item)

    def _activation_combo(self, activation: str) -> QComboBox:
        combo = QComboBox(self.table)
        combo.addItems(list(ACTIVATIONS))
        if activation not in ACTIVATIONS:  # e.g. restored from an old settings file
            combo.addItem(activation)
        combo.setCurrentText(activation)
        combo.setToolTip("Activation applied to this layer's output (relu in chapter 2)")
        combo.currentTextChanged.connect(self._push_table)
        return combo

    def _refresh_derived(self) -> None:
        """Output shapes, params, red cells, total, errors, preset name, R code."""
        layers = self.state.layers
        input_shape, classes = self._shape()
        dense = [row for row in layer_summary(layers, input_shape, classes) if row[0] != "Dropout"]
        self.table.blockSignals(True)
        for row, (_, shape, params) in enumerate(dense):
            self.table.item(row, SHAPE).setText(str(shape) if params is not None else "–")
            self.table.item(row, PARAMS).setText(f"{params:,}" if params is not None else "–")
            self.table.item(row, PARAMS).setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
        for row, spec in zip(self._hidden_rows(), layers):
            self._mark(self.table.item(row, UNITS), units_valid(spec.units), f"1 to {MAX_UNITS:,} units")
            self._mark(self.table.item(row, DROPOUT), dropout_valid(spec.dropout), "a rate of at least 0 and less than 1")
        self.table.blockSignals(False)
        params = [p for _, _, p in dense]
        if None in params:
            self.total_label.setText("Total params: –  (fix the layers marked red)")
        else:
            total = sum(params)
            self.total_label.setText(f"Total params: {total:,}  ({byte_size(4 * total)} of float32)")
        errors = self.state.network_errors()  # the one source of this text (the Training panel shows it too)
        self.error_label.setText("\n".join(errors))
        self.error_label.setVisible(bool(errors))
        matches = [i for i, preset in enumerate(PRESETS.values()) if preset == layers]
        self.preset_combo.setCurrentIndex(matches[0] if matches else -1)
        self._show_code()
        self.table.fit_columns()  # wider numbers may no longer leave room for Output shape
        self._sync_buttons()

    def _mark(self, item: QTableWidgetItem, ok: bool, expected: str) -> None:
        invalid = QColor(error_colour())
        invalid.setAlpha(INVALID_ALPHA)
        item.setData(Qt.BackgroundRole, None if ok else invalid)
        item.setToolTip("Double-click to edit" if ok else f"Invalid: expected {expected}")

    # ----- table -> state ---------------------------------------------------------------
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() in (UNITS, DROPOUT):
            self._push_table()

    def _push_table(self) -> None:
        self._writing = True
        try:
            self.state.set_layers(self._read_layers())
        finally:
            self._writing = False
        self._refresh_derived()

    def _apply_preset(self, index: int) -> None:
        self._write(PRESETS[self.preset_combo.itemText(index)])

    def _selected_row(self) -> int | None:
        rows = [index.row() for index in self.table.selectionModel().selectedRows()]
        return rows[0] if rows and rows[0] in self._hidden_rows() else None

    def _add(self) -> None:
        layers = list(self._read_layers())
        row = self._selected_row()
        at = row if row is not None else len(layers)  # after the selection, else before output
        layers.insert(at, NEW_LAYER)
        self._write(layers, select=at + 1)

    def _remove(self) -> None:
        row = self._selected_row()
        if row is not None:
            layers = list(self._read_layers())
            del layers[row - 1]
            self._write(layers, select=min(row, len(layers)) or None)

    def _move(self, step: int) -> None:
        row = self._selected_row()
        layers = list(self._read_layers())
        if row is None or not 0 <= row - 1 + step < len(layers):
            return
        i = row - 1
        layers[i], layers[i + step] = layers[i + step], layers[i]
        self._write(layers, select=row + step)

    def _sync_buttons(self) -> None:
        row = self._selected_row()
        editable = not self.state.is_training
        self.add_button.setEnabled(editable)
        self.remove_button.setEnabled(editable and row is not None)
        self.up_button.setEnabled(editable and row is not None and row > 1)
        self.down_button.setEnabled(editable and row is not None and row < len(self._hidden_rows()))

    def _restyle(self) -> None:
        """Light <-> dark: the error label and the invalid cells take the theme's red."""
        refresh_error_styles(self)
        self._refresh_derived()

    def _set_locked(self, training: bool) -> None:
        """No edits while training: the running network was built from this design."""
        triggers = QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed | QAbstractItemView.AnyKeyPressed
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers if training else triggers)
        for row in self._hidden_rows():
            self.table.cellWidget(row, ACTIVATION).setEnabled(not training)
        self.preset_combo.setEnabled(not training)
        self._sync_buttons()


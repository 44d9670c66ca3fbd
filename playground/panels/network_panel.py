"""Network panel: design the stack of layers and see its shapes and parameter counts.

Chapter 2's network is ``layer_dense(units = 512, activation = "relu", input_shape = c(28 * 28))``
followed by ``layer_dense(units = 10, activation = "softmax")``: 407,050 parameters; chapter 5's
small convnet stacks ``layer_conv_2d`` and ``layer_max_pooling_2d`` before a ``layer_flatten``
and a small dense classifier: 93,322. Here the learner edits the layers between the fixed input
row (the data's images: flattened to 784 numbers, or 28 x 28 x 1 images for a design that starts
with image layers) and the fixed output row (one unit per class, softmax). Each row shows only
the settings its kind has (units, filters, window, strides, padding, activation, dropout); the
Output shape and Params columns are what ``model.summary()`` prints, asked of the engine
(``playground.core.design``), so they update while you type. While training runs the table is locked:
the running network was built from this design.

The panel only writes ``state.set_layers(...)``; invalid values (units 0, text, dropout 1, a
kernel larger than its input, a Dense right after a Conv2D) are kept as typed, marked red on
their row, and passed on so ``state.network_errors()`` can name them: its words are the ones every
panel shows. The R and Python code wait until the design can be built.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core import design
from playground.panels.layer_table import (  # noqa: F401 (STRIDES...: the column names, for tests and views)
    ACTIVATION, CHOICES, COLUMN_OF, COLUMNS, DROPOUT, INVALID_ALPHA, LAYER, PADDING, PARAMS, SETTING_COLUMNS, SHAPE,
    SOMETIMES_SHOWN, STRIDES, TIPS, UNITS, WINDOW, LayerTable,
)
from playground.text.network_text import (
    byte_size, dropout_valid, parse_setting, python_code, r_code, setting_text, units_valid,
)
from playground.training.state import MAX_UNITS, PRESETS, AppState
from playground.widgets import FitsShortDock, LocksWhileTraining
from playground.widgets.theme import error_colour
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style


class NetworkPanel(FitsShortDock, LocksWhileTraining, QWidget):
    """Layer table + presets + kind chooser + parameter total + code; writes ``state.set_layers``.

    In a narrow dock the Output shape column of a Dense-only design (always ``(None, units)``)
    gives way so the other columns keep their full width, and the code wraps its long calls.
    """

    def __init__(self, state: AppState, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("networkPanel")
        self.state = state
        self._writing = False  # True while we push our own edit into state
        self._select_after_rebuild: int | None = None
        self._row_kinds: list[str] = []  # the kind of each design row shown in the table
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
        self.preset_combo.setToolTip("Start from a ready-made design (chapter 2's is the first, chapter 5's convnet the second)")
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
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.itemSelectionChanged.connect(self._sync_buttons)

        self.kind_combo = QComboBox(self)
        self.kind_combo.setObjectName("layerKindCombo")
        self.kind_combo.addItems(design.kinds())  # the engine's layers (Dense first: chapter 2's)
        self.kind_combo.setToolTip("The kind of layer Add layer adds")
        self.kind_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.kind_combo.setMinimumContentsLength(7)  # the list itself opens as wide as its longest name
        self.add_button = self._button("Add layer", "addLayerButton", self._add)
        self.add_button.setToolTip("Add a layer of the chosen kind after the selected one (else before the output)")
        self.remove_button = self._button("Remove", "removeLayerButton", self._remove)
        self.up_button = self._arrow(Qt.UpArrow, "Move up", "moveUpButton", lambda: self._move(-1))
        self.down_button = self._arrow(Qt.DownArrow, "Move down", "moveDownButton", lambda: self._move(+1))
        buttons = QHBoxLayout()
        buttons.addWidget(self.kind_combo)
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("networkErrorLabel")
        self.error_label.setWordWrap(True)
        show_error_style(self.error_label)
        self.total_label = QLabel(self)
        self.total_label.setObjectName("totalParamsLabel")
        self.total_label.setWordWrap(True)  # never wider than a narrow dock
        bold = QFont(self.total_label.font())
        bold.setBold(True)
        self.total_label.setFont(bold)
        self.hint_label = QLabel(self)
        self.hint_label.setWordWrap(True)
        self.hint_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # muted, still readable
        self._lock_label("networkLockLabel")
        self.code_label = QLabel(self)
        self.code_label.setObjectName("networkCodeLabel")
        self.code_label.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.code_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.code_label.setToolTip("The same network in Keras code, as the book builds it")
        # never wider than the dock: the code wraps to the width it is given (see resizeEvent)
        self.code_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.language_combo = QComboBox(self)
        self.language_combo.setObjectName("codeLanguageCombo")
        self.language_combo.addItems(["R", "Python"])
        self.language_combo.setToolTip("The book's R, or Keras in Python")
        self.language_combo.currentIndexChanged.connect(self._show_code)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addLayout(presets)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.lock_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.total_label)
        layout.addWidget(self.hint_label)
        caption = QHBoxLayout()
        caption.addWidget(self._muted("The same network in", self))
        caption.addWidget(self.language_combo)
        caption.addWidget(self._muted("as the book writes it:", self), 1)
        layout.addLayout(caption)
        layout.addWidget(self.code_label)
        layout.addStretch(1)

    @staticmethod
    def _muted(text: str, parent: QWidget) -> QLabel:
        label = QLabel(text, parent)
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        return label

    def _arrow(self, arrow, text: str, name: str, slot) -> QToolButton:
        """A small arrow button (the row of buttons must fit a narrow dock), named by its tooltip."""
        button = QToolButton(self)
        button.setObjectName(name)
        button.setArrowType(arrow)
        button.setText(text)
        button.setToolTip(f"{text}: the selected layer")
        button.setAccessibleName(text)
        button.setMinimumHeight(self.add_button.sizeHint().height())
        button.clicked.connect(slot)
        return button

    def _button(self, text: str, name: str, slot) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    # ----- reading the table ------------------------------------------------------------
    def _hidden_rows(self) -> range:
        return range(1, self.table.rowCount() - 1)

    def _read_layers(self) -> tuple:
        """The design rows as the table holds them, invalid text included (so state can report it)."""
        layers = []
        for row, kind, shown in zip(self._hidden_rows(), self._row_kinds, self.state.layers):
            if not design.settings_of(kind):  # nothing to read (Flatten), or a kind without columns: as it is
                layers.append(shown)
                continue
            values = {}
            defaults = design.values_of(design.layer_row(kind))
            for name in design.settings_of(kind):
                column = COLUMN_OF[name]
                if name in CHOICES:
                    values[name] = self.table.cellWidget(row, column).currentText()
                else:
                    values[name] = parse_setting(name, self.table.item(row, column).text(), defaults.get(name))
            layers.append(design.layer_row(kind, **values))
        return tuple(layers)

    def _write(self, layers, select: int | None = None) -> None:
        self._select_after_rebuild = select
        self.state.set_layers(layers)

    # ----- state -> table ---------------------------------------------------------------
    def _shape(self):
        return self.state.image_shape, self.state.classes

    def _on_network_changed(self) -> None:
        if self._writing:
            self._refresh_derived()
        else:
            self._rebuild()

    def _rebuild(self) -> None:
        """Fill the table from ``state.layers`` (after a preset, a restore or a structural edit)."""
        layers = self.state.layers
        image_shape, classes = self._shape()
        self._row_kinds = [row.kind for row in layers]
        self.table.blockSignals(True)
        self.table.clearContents()
        self.table.setRowCount(len(layers) + 2)
        input_shape = design.model_input_shape(layers, image_shape)
        flat = " x ".join(str(side) for side in input_shape)
        size = str(design.flat_size(image_shape)) if len(input_shape) == len(image_shape) else ""
        self._fixed_row(0, f"Input {flat}", size, "–", "–")
        for row, spec in enumerate(layers, start=1):
            self.table.setItem(row, LAYER, self._name_item(f"{spec.kind} {row}", spec.kind))
            values = design.values_of(spec)
            for column in range(1, len(COLUMNS)):
                self.table.setItem(row, column, self._item("", editable=False))
            for name, value in values.items():
                if name not in COLUMN_OF:  # a kind the app has no column for: shown with its defaults
                    continue
                column = COLUMN_OF[name]
                if name in CHOICES:
                    self.table.setCellWidget(row, column, self._choice_combo(name, value))
                else:
                    self.table.setItem(row, column, self._item(setting_text(name, value), editable=True, tip=TIPS[name]))
        self._fixed_row(len(layers) + 1, "Output", str(classes), "softmax", "–")
        self._sync_columns(layers)
        self.table.blockSignals(False)
        row = self._select_after_rebuild
        self._select_after_rebuild = None
        if row is not None and row in self._hidden_rows():
            self.table.selectRow(row)
        self._fit_table_height()
        self._refresh_derived()
        self._sync_lock()

    def _sync_columns(self, layers) -> None:
        """Only the columns the design's rows use, with headers that say what they hold here."""
        names = {name for row in layers for name in design.settings_of(row.kind)}
        self.table.unused = {column for column in SOMETIMES_SHOWN if column not in {COLUMN_OF[n] for n in names}}
        # images change shape layer by layer; flat rows are (None, units) or their input's width
        self.table.shapes_matter = any(row.kind in design.IMAGE_KINDS for row in layers)
        # a convnet shows summary()'s columns first (Layer, Output shape, Params), so that a narrow
        # dock scrolls to the settings rather than to the shapes; chapter 2's table keeps its order
        header = self.table.horizontalHeader()
        order = (LAYER, SHAPE, PARAMS, *SETTING_COLUMNS) if self.table.shapes_matter else tuple(range(len(COLUMNS)))
        for place, column in enumerate(order):
            if header.visualIndex(column) != place:
                header.moveSection(header.visualIndex(column), place)
        units = "Units /\nfilters" if "filters" in names else "Units"  # two short lines: a narrow column
        window = " /\n".join(w for w, n in (("Kernel", "kernel_size"), ("Pool", "pool_size")) if n in names) or "Kernel"
        for column, text in ((UNITS, units), (WINDOW, window)):
            self.table.horizontalHeaderItem(column).setText(text)

    def _fit_table_height(self) -> None:
        """Every row without empty space below when there is room; down to a few rows (which then
        scroll) when the dock is short, so the total and the code below stay in view."""
        row_height = max(self.preset_combo.sizeHint().height(), self.fontMetrics().height()) + 4
        self.table.verticalHeader().setDefaultSectionSize(row_height)  # a combo fits in every row
        self.table.fit_columns()
        self.table.setMaximumHeight(self.table.sizeHint().height())
        self.table.updateGeometry()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._show_code()

    def _show_code(self) -> None:
        """The R (or Python) code, wrapped to the characters that fit the panel's width."""
        image_shape, classes = self._shape()
        columns = None  # not laid out yet: no width to wrap to
        if self.isVisible():
            advance = QFontMetricsF(self.code_label.font()).horizontalAdvance("m" * 10) / 10  # fractional pixels
            columns = max(20, int(self.code_label.contentsRect().width() / advance))
        write = python_code if self.language_combo.currentText() == "Python" else r_code
        self.code_label.setText(write(self.state.layers, image_shape, classes, width=columns))

    def _item(self, text: str, editable: bool, tip: str = "") -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        item.setFlags(flags | Qt.ItemIsEditable if editable else flags)
        if editable:
            item.setToolTip(f"{tip}. Double-click to edit" if tip else "Double-click to edit")
            item.setData(Qt.UserRole, item.toolTip())
        return item

    def _name_item(self, text: str, kind: str) -> QTableWidgetItem:
        item = self._item(text, editable=False)
        settings = design.settings_of(kind)
        tip = f"A {kind} layer" + (f" ({', '.join(settings)})" if settings else " (nothing to set)")
        item.setToolTip(tip)
        item.setData(Qt.UserRole, tip)
        return item

    def _fixed_row(self, row: int, name: str, units: str, activation: str, dropout: str) -> None:
        image_shape = self._shape()[0]
        flat = " x ".join(str(side) for side in image_shape)
        if row != 0:
            why = "Fixed: a Dense layer with one unit per class"
        elif units:
            why = (f"Fixed by the data: each {flat} image is flattened to {units} inputs (a Flatten layer; "
                   "the book reshapes the images with array_reshape)")
        else:
            why = (f"Fixed by the data: each {flat} image with one grey channel, as the book's "
                   f"array_reshape(train_images, c(60000, {', '.join(map(str, image_shape))}, 1)) gives it")
        for column in range(len(COLUMNS)):
            text = {LAYER: name, UNITS: units, ACTIVATION: activation, DROPOUT: dropout}.get(column, "")
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemIsEnabled)  # shown, not selectable or editable
            item.setToolTip(why)
            font = item.font()
            font.setItalic(True)
            item.setFont(font)
            self.table.setItem(row, column, item)

    def _choice_combo(self, name: str, value: str) -> QComboBox:
        combo = QComboBox(self.table)
        combo.addItems(list(CHOICES[name]))
        if value not in CHOICES[name]:  # e.g. restored from an old settings file
            combo.addItem(str(value))
        combo.setCurrentText(str(value))
        combo.setToolTip(TIPS[name])
        combo.currentTextChanged.connect(self._push_table)
        return combo

    def _refresh_derived(self) -> None:
        """Output shapes, params, red cells, total, errors, preset name, code."""
        layers = self.state.layers
        image_shape, classes = self._shape()
        summary = design.summarise(layers, image_shape, classes)
        shown = [summary.input, *summary.rows, summary.output]
        self.table.blockSignals(True)
        for row, result in enumerate(shown):
            shape = str(result.output_shape) if result.output_shape is not None and result.params is not None else "–"
            self.table.item(row, SHAPE).setText(shape)
            self.table.item(row, PARAMS).setText(f"{result.params:,}" if result.params is not None else "–")
            self.table.item(row, PARAMS).setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
        for row, spec, result in zip(self._hidden_rows(), layers, summary.rows):
            blamed = design.blamed_setting(spec, result.error) if result.error else None
            for name in design.settings_of(spec.kind):
                item = self.table.item(row, COLUMN_OF[name])
                if name in CHOICES:
                    combo = self.table.cellWidget(row, COLUMN_OF[name])
                    self._mark_widget(combo, name, blamed != name and combo.currentText() in CHOICES[name],
                                      result.error or f"unknown {name} {combo.currentText()!r}")
                elif name == "units":
                    self._mark(item, units_valid(spec.units), f"expected 1 to {MAX_UNITS:,} units")
                elif name == "dropout":
                    self._mark(item, dropout_valid(spec.dropout), "expected a rate of at least 0 and less than 1")
                else:
                    self._mark(item, blamed != name, result.error)
            name = self.table.item(row, LAYER)
            settings = ", ".join(design.settings_of(spec.kind)) or "nothing to set"
            known = (f"output {result.output_shape}, {result.params:,} params" if result.params is not None
                     else "output and params unknown until the layers marked red are fixed")
            name.setData(Qt.UserRole, f"A {spec.kind} layer ({settings}): {known}")  # shapes scrolled out of view
            self._mark(name, not result.error or blamed is not None, result.error)
        self._mark(self.table.item(len(shown) - 1, LAYER), not summary.output.error, summary.output.error)
        self.table.blockSignals(False)
        if summary.total is None:
            self.total_label.setText("Total params: –  (fix the layers marked red)")
        else:
            frozen = f", {summary.non_trainable:,} not trained" if summary.non_trainable else ""
            self.total_label.setText(f"Total params: {summary.total:,}  ({byte_size(4 * summary.total)} of float32{frozen})")
        kinds = {spec.kind for spec in layers}
        self.hint_label.setText(" ".join(hint for kind, hint in HINTS if kind in kinds or kind == "Dense"))
        errors = self.state.network_errors()  # the one source of this text (the Training panel shows it too)
        self.error_label.setText("\n".join(errors))
        self.error_label.setVisible(bool(errors))
        matches = [i for i, preset in enumerate(PRESETS.values()) if design.normalised(preset) == layers]
        self.preset_combo.setCurrentIndex(matches[0] if matches else -1)
        self._show_code()
        self.table.fit_columns()  # wider numbers may no longer leave room for Output shape
        self._sync_buttons()

    def _mark(self, item: QTableWidgetItem, ok: bool, why: str | None) -> None:
        """Red, with why in its tooltip, while the cell is what stops the design; else as made."""
        invalid = QColor(error_colour())
        invalid.setAlpha(INVALID_ALPHA)
        item.setData(Qt.BackgroundRole, None if ok else invalid)
        item.setToolTip((item.data(Qt.UserRole) or "") if ok else f"Invalid: {why}")

    @staticmethod
    def _mark_widget(combo: QComboBox, name: str, ok: bool, why: str | None) -> None:
        show_error_style(combo, not ok)  # red text
        combo.setToolTip(TIPS[name] if ok else f"Invalid: {why}")

    # ----- table -> state ---------------------------------------------------------------
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() not in (LAYER, SHAPE, PARAMS) and item.row() in self._hidden_rows():
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
        layers.insert(at, design.layer_row(self.kind_combo.currentText()))
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
        self.kind_combo.setEnabled(editable)
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
            for column in (ACTIVATION, PADDING):
                widget = self.table.cellWidget(row, column)
                if widget is not None:
                    widget.setEnabled(not training)
        self.preset_combo.setEnabled(not training)
        self._sync_buttons()


HINTS = (  # what the Params column counts, for the kinds in the design
    ("Dense", "A Dense layer has inputs x units weights plus one bias per unit."),
    ("Conv2D", "A Conv2D layer has kernel height x width x input channels x filters weights plus one bias per filter."),
    ("BatchNormalization", "BatchNormalization keeps 4 numbers per channel, 2 of them not trained."),
)

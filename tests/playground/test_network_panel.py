"""Network panel: the layer table drives state.layers; shapes and params match the engine."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit

import engine
from engine import examples
from engine.layers import Dense, Dropout, Flatten
from playground.panels.network_panel import ACTIVATION, DROPOUT, PARAMS, SHAPE, UNITS, NetworkPanel
from playground.text.network_text import byte_size, layer_summary, r_code
from playground.training.state import CHAPTER_NETWORK, MAX_UNITS, PRESETS, AppState, Dataset, LayerSpec


@pytest.fixture
def panel(qtbot):
    state = AppState()
    widget = NetworkPanel(state)
    qtbot.addWidget(widget)
    return widget


def engine_model(layers, input_shape=(28, 28), classes=10):
    model = engine.Sequential([Flatten(input_shape=input_shape)])
    for spec in layers:
        model.add(Dense(spec.units, activation=spec.activation))
        if spec.dropout > 0:
            model.add(Dropout(spec.dropout))
    model.add(Dense(classes, activation="softmax"))
    return model


def edit(panel, row, column, text):
    panel.table.item(row, column).setText(text)  # what committing an edit does


DESIGNS = [
    CHAPTER_NETWORK,
    (),
    (LayerSpec(64, "relu"),),
    (LayerSpec(256, "tanh", 0.2), LayerSpec(128, "sigmoid"), LayerSpec(64, "relu", 0.5)),
    (LayerSpec(1, "linear"),),
    (LayerSpec(MAX_UNITS, "elu"),),
]


@pytest.mark.parametrize("layers", DESIGNS)
def test_arithmetic_matches_engine_summary(layers):
    model = engine_model(layers)
    ours = layer_summary(layers)
    theirs = [(kind, shape, params) for _, kind, shape, params in model.summary_rows()]
    assert ours == theirs
    assert sum(p for _, _, p in ours) == model.count_params()


def test_chapter_network_is_the_default(panel):
    assert panel.objectName() == "networkPanel" and panel.table.objectName() == "layerTable"
    assert panel.table.rowCount() == 3  # input, 512 relu, output
    assert panel.table.item(0, UNITS).text() == "784"
    assert "28 x 28" in panel.table.item(0, 0).text()
    assert panel.table.item(1, UNITS).text() == "512"
    assert panel.table.cellWidget(1, ACTIVATION).currentText() == "relu"
    assert panel.table.item(1, SHAPE).text() == "(None, 512)"
    assert panel.table.item(1, PARAMS).text() == "401,920"
    assert panel.table.item(2, PARAMS).text() == "5,130"
    assert panel.table.item(2, ACTIVATION).text() == "softmax"
    assert "407,050" in panel.total_label.text()
    assert panel.preset_combo.currentText() == "Chapter 2: dense 512"  # the issue names the presets
    assert panel.error_label.isHidden()
    assert 'layer_dense(units = 512, activation = "relu", input_shape = c(28 * 28))' in panel.code_label.text()


def test_fixed_rows_are_not_editable(panel):
    for row in (0, panel.table.rowCount() - 1):
        for column in range(panel.table.columnCount()):
            flags = panel.table.item(row, column).flags()
            assert not flags & panel.table.item(row, column).flags().ItemIsEditable


def test_units_activation_and_dropout_edits_reach_state(panel, qtbot):
    with qtbot.waitSignal(panel.state.network_changed):
        edit(panel, 1, UNITS, "256")
    assert panel.state.layers == (LayerSpec(256, "relu", 0.0),)
    assert "203,530" in panel.total_label.text()  # 784*256+256 + 256*10+10
    assert panel.table.item(1, SHAPE).text() == "(None, 256)"
    panel.table.cellWidget(1, ACTIVATION).setCurrentText("tanh")
    edit(panel, 1, DROPOUT, "0.25")
    assert panel.state.layers == (LayerSpec(256, "tanh", 0.25),)
    assert panel.preset_combo.currentIndex() == -1  # no preset matches: "Custom design"
    assert "layer_dropout(rate = 0.25)" in panel.code_label.text()


def test_typing_in_a_cell_commits_on_enter(panel, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    for text, units in (("128", 128), ("many", "many")):
        item = panel.table.item(1, UNITS)
        panel.table.setCurrentItem(item)
        panel.table.editItem(item)
        editors = [e for e in panel.table.viewport().findChildren(QLineEdit) if e.isVisible()]
        assert len(editors) == 1  # the open editor (a closed one may await deletion, hidden)
        editor = editors[0]
        editor.selectAll()
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key_Return)  # the delegate commits on the next event-loop turn
        qtbot.waitUntil(lambda: panel.state.layers[0].units == units, timeout=2000)
    assert "got 'many'" in panel.error_label.text() and panel.error_label.isVisible()


@pytest.mark.parametrize(
    "column, text, expected",
    [
        (UNITS, "0", "units must be between 1 and 8192, got 0"),
        (UNITS, "-5", "got -5"),
        (UNITS, str(MAX_UNITS + 1), f"got {MAX_UNITS + 1}"),
        (UNITS, "abc", "got 'abc'"),
        (UNITS, "12.5", "got 12.5"),
        (DROPOUT, "1", "dropout must be in [0, 1), got 1.0"),
        (DROPOUT, "-0.1", "dropout must be in [0, 1)"),
        (DROPOUT, "half", "got 'half'"),
    ],
)
def test_invalid_entries_are_kept_marked_and_reported(panel, column, text, expected):
    edit(panel, 1, column, text)
    assert panel.table.item(1, column).text() == text  # kept, not silently clamped
    assert panel.state.network_errors()  # state knows, so Train disables itself
    assert panel.state.training_errors()
    assert not panel.error_label.isHidden()
    assert expected in panel.error_label.text()
    assert panel.table.item(1, column).background().color().red() > 150  # red cell
    assert "Invalid" in panel.table.item(1, column).toolTip()
    if column == UNITS:
        assert panel.table.item(1, PARAMS).text() == "–"
        assert "fix the layers" in panel.total_label.text()
    edit(panel, 1, column, "512" if column == UNITS else "0")  # fixing it clears everything
    assert panel.state.network_errors() == []
    assert panel.error_label.isHidden()
    assert panel.table.item(1, column).background().style().name == "NoBrush"


def test_add_remove_and_move_buttons(panel):
    table = panel.table
    assert not panel.remove_button.isEnabled()  # nothing selected
    panel.add_button.click()  # no selection: appended before the output row
    assert panel.state.layers == (LayerSpec(512, "relu"), LayerSpec(64, "relu"))
    assert table.rowCount() == 4 and table.item(2, PARAMS).text() == f"{512 * 64 + 64:,}"
    table.selectRow(1)
    panel.add_button.click()  # inserted after the selected layer, and selected
    assert [s.units for s in panel.state.layers] == [512, 64, 64]
    edit(panel, 2, UNITS, "32")
    assert [s.units for s in panel.state.layers] == [512, 32, 64]
    table.selectRow(2)
    assert panel.up_button.isEnabled() and panel.down_button.isEnabled()
    panel.up_button.click()
    assert [s.units for s in panel.state.layers] == [32, 512, 64]
    assert not panel.up_button.isEnabled()  # the moved row stays selected, now first
    panel.down_button.click()
    panel.down_button.click()
    assert [s.units for s in panel.state.layers] == [512, 64, 32]
    assert not panel.down_button.isEnabled()
    panel.remove_button.click()
    assert [s.units for s in panel.state.layers] == [512, 64]
    table.selectRow(1)
    panel.remove_button.click()
    panel.remove_button.click()
    assert panel.state.layers == ()
    assert table.rowCount() == 2 and "7,850" in panel.total_label.text()  # logistic regression


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_set_state_and_match_engine_params(panel, name):
    panel.preset_combo.setCurrentText(name)
    panel.preset_combo.activated.emit(panel.preset_combo.currentIndex())
    assert panel.state.layers == PRESETS[name]
    assert panel.table.rowCount() == len(PRESETS[name]) + 2
    if all(isinstance(spec, LayerSpec) for spec in PRESETS[name]):
        total = engine_model(PRESETS[name]).count_params()
    else:  # the book's section 5.1 convnet, as engine/examples.py builds it
        total = examples.convnet().count_params()
        assert total == 93_322
    assert f"Total params: {total:,}" in panel.total_label.text()


def test_follows_state_changes_from_elsewhere(panel, qtbot):
    panel.state.set_layers((LayerSpec(100, "sigmoid", 0.3), LayerSpec(50, "tanh")))
    assert panel.table.rowCount() == 4
    assert panel.table.item(1, UNITS).text() == "100"
    assert panel.table.item(1, DROPOUT).text() == "0.3"
    assert panel.table.cellWidget(2, ACTIVATION).currentText() == "tanh"
    assert panel.preset_combo.currentIndex() == -1
    panel.state.set_layers(PRESETS["Small: 64 relu"])
    assert panel.preset_combo.currentText() == "Small: 64 relu"


def test_unknown_activation_from_settings_is_shown_and_reported(panel):
    panel.state.set_layers((LayerSpec(32, "swish"),))
    assert panel.table.cellWidget(1, ACTIVATION).currentText() == "swish"
    assert "unknown activation 'swish'" in panel.error_label.text()


def test_input_row_follows_the_dataset(panel):
    x = np.zeros((5, 8, 8), dtype=np.uint8)
    y = np.zeros(5, dtype=np.uint8)
    panel.state.set_dataset(Dataset("tiny", "test", x, y, x, y, num_classes=3))
    assert panel.table.item(0, UNITS).text() == "64"
    assert panel.table.item(2, UNITS).text() == "3"
    total = engine_model(CHAPTER_NETWORK, input_shape=(8, 8), classes=3).count_params()
    assert f"{total:,}" in panel.total_label.text()


def test_editing_is_locked_while_training(panel):
    panel.table.selectRow(1)
    panel.state.set_training(True)
    assert panel.table.editTriggers() == QAbstractItemView.NoEditTriggers
    assert not panel.table.cellWidget(1, ACTIVATION).isEnabled()
    assert not any(b.isEnabled() for b in (panel.add_button, panel.remove_button, panel.preset_combo))
    assert not panel.lock_label.isHidden()
    panel.state.set_training(False, "completed")
    assert panel.table.editTriggers() != QAbstractItemView.NoEditTriggers
    assert panel.table.cellWidget(1, ACTIVATION).isEnabled()
    assert panel.add_button.isEnabled() and panel.remove_button.isEnabled()
    assert panel.lock_label.isHidden()


def test_r_code_for_logistic_regression_puts_input_shape_on_the_output_layer():
    assert r_code(()) == (
        "model <- keras_model_sequential() %>%\n"
        '  layer_dense(units = 10, activation = "softmax", input_shape = c(28 * 28))'
    )


@pytest.mark.parametrize("column, text",
                         [(UNITS, "abc"), (UNITS, "0"), (UNITS, "12.5"), (DROPOUT, "x"), (DROPOUT, "1")])
def test_an_invalid_cell_never_reaches_the_r_code(panel, column, text):
    edit(panel, 1, column, text)
    code = panel.code_label.text()
    assert "layer_dense" not in code and f"= {text}" not in code  # no `units = abc`, no `rate = 1`
    assert code.startswith("# ") and "fix the layers marked red" in code.lower()
    edit(panel, 1, column, "512" if column == UNITS else "0")
    assert 'layer_dense(units = 512, activation = "relu"' in panel.code_label.text()


@pytest.mark.parametrize("column, text, typed", [(DROPOUT, "x", "got 'x'"), (DROPOUT, "half", "got 'half'"),
                                                 (UNITS, "abc", "got 'abc'")])
def test_every_panel_quotes_what_was_typed_from_one_message(qtbot, column, text, typed):
    from playground.panels.training_panel import TrainingPanel
    from playground.training.training_controller import TrainingController

    x, y = np.zeros((20, 28, 28), dtype=np.uint8), np.arange(20, dtype=np.uint8) % 10
    panel = NetworkPanel(AppState(Dataset("tiny", "test", x, y, x, y)))
    qtbot.addWidget(panel)
    training = TrainingPanel(panel.state, TrainingController(panel.state))
    qtbot.addWidget(training)
    edit(panel, 1, column, text)
    message = panel.state.network_errors()[0]  # the one source of the design's error text
    assert typed in message and "nan" not in message
    assert panel.error_label.text() == message
    assert message in training.reason_label.text() and "nan" not in training.reason_label.text()


@pytest.mark.parametrize("n_bytes, text", [(0, "0 bytes"), (850, "850 bytes"), (3_220, "3.2 KB"), (31_400, "31 KB"),
                                           (1_628_200, "1.6 MB"), (9_960_000, "10 MB"), (80_000_000, "80 MB"),
                                           (2.5e9, "2.5 GB")])
def test_byte_sizes_read_like_a_file_manager(n_bytes, text):
    assert byte_size(n_bytes) == text


def test_the_total_says_how_much_memory_the_weights_take(panel):
    assert "(1.6 MB of float32)" in panel.total_label.text()  # 407,050 x 4 bytes
    panel.state.set_layers(())
    assert panel.total_label.text() == "Total params: 7,850  (31 KB of float32)"  # never "0.0 MB"


def test_long_r_calls_wrap_after_a_comma_with_the_arguments_lined_up():
    code = r_code((LayerSpec(512, "relu"),), width=50)
    assert code.splitlines() == [
        "model <- keras_model_sequential() %>%",
        '  layer_dense(units = 512, activation = "relu",',
        "              input_shape = c(28 * 28)) %>%",
        '  layer_dense(units = 10, activation = "softmax")',
    ]
    assert r_code((LayerSpec(512, "relu"),)) == r_code((LayerSpec(512, "relu"),), width=200)  # one line each when wide


def test_a_narrow_panel_drops_output_shape_and_wraps_the_code(qtbot):
    panel = NetworkPanel(AppState())
    qtbot.addWidget(panel)
    panel.state.set_layers((LayerSpec(8192, "leaky_relu", 0.5),))
    for width, shape_shown in ((700, True), (360, False)):
        panel.resize(width, 600)
        panel.show()
        qtbot.waitUntil(lambda: panel.table.isColumnHidden(SHAPE) != shape_shown)
        header, table = panel.table.horizontalHeader(), panel.table
        shown = [c for c in range(table.columnCount()) if not table.isColumnHidden(c)]
        assert sum(header.sectionSize(c) for c in shown) <= table.viewport().width()  # nothing cut off
        code = panel.code_label
        longest = max(code.fontMetrics().horizontalAdvance(line) for line in code.text().splitlines())
        assert longest <= code.contentsRect().width()
        assert "leaky_relu" in code.text() and "input_shape = c(28 * 28)" in code.text()


def test_the_hidden_output_shape_is_explained_on_the_units_header(qtbot):
    panel = NetworkPanel(AppState())
    qtbot.addWidget(panel)
    panel.resize(360, 600)
    panel.show()
    qtbot.waitUntil(lambda: panel.table.isColumnHidden(SHAPE))
    assert "(None, units)" in panel.table.horizontalHeaderItem(UNITS).toolTip()
    panel.resize(800, 600)
    qtbot.waitUntil(lambda: not panel.table.isColumnHidden(SHAPE))
    assert panel.table.horizontalHeaderItem(UNITS).toolTip() == ""


# -- convnets (issue 8, section 4) ------------------------------------------------------------------
from playground.core import design  # noqa: E402
from playground.core.specs import CHAPTER_5_CONVNET  # noqa: E402
from playground.panels.network_panel import LAYER, PADDING, STRIDES, WINDOW  # noqa: E402


def add(panel, kind, after_row=None):
    if after_row is not None:
        panel.table.selectRow(after_row)
    else:
        panel.table.clearSelection()
    panel.kind_combo.setCurrentText(kind)
    panel.add_button.click()


def editable(panel, row, column) -> bool:
    item = panel.table.item(row, column)
    return panel.table.cellWidget(row, column) is not None or bool(item.flags() & Qt.ItemIsEditable)


def test_the_kind_chooser_offers_the_engines_layers_and_dense_stays_the_first(panel):
    kinds = [panel.kind_combo.itemText(i) for i in range(panel.kind_combo.count())]
    assert kinds == design.kinds() and panel.kind_combo.currentText() == "Dense"


def test_a_dense_only_design_shows_chapter_2s_columns_only(panel):
    shown = [c for c in range(panel.table.columnCount()) if not panel.table.isColumnHidden(c)]
    assert WINDOW not in shown and STRIDES not in shown and PADDING not in shown
    assert panel.table.horizontalHeaderItem(UNITS).text() == "Units"


def test_each_kind_shows_only_the_settings_it_has(panel):
    panel.state.set_layers(())
    for kind in ("Conv2D", "MaxPooling2D", "Flatten", "Dropout", "BatchNormalization"):
        add(panel, kind)
    rows = {kind: row for row, kind in enumerate(("Conv2D", "MaxPooling2D", "Flatten", "Dropout", "BatchNormalization"), 1)}
    settings = {"Conv2D": {UNITS, WINDOW, STRIDES, PADDING, ACTIVATION}, "MaxPooling2D": {WINDOW, STRIDES, PADDING},
                "Flatten": set(), "Dropout": {DROPOUT}, "BatchNormalization": set()}
    for kind, columns in settings.items():
        for column in (UNITS, ACTIVATION, DROPOUT, WINDOW, STRIDES, PADDING):
            assert editable(panel, rows[kind], column) == (column in columns), (kind, column)
    assert panel.table.item(1, LAYER).text() == "Conv2D 1" and panel.table.item(1, UNITS).text() == "32"
    assert panel.table.item(1, WINDOW).text() == "3x3" and panel.table.item(1, STRIDES).text() == "1x1"
    assert panel.table.cellWidget(1, PADDING).currentText() == "valid"
    assert panel.table.horizontalHeaderItem(UNITS).text() == "Units /\nfilters"


def test_the_small_convnet_can_be_designed_row_by_row_as_the_book_writes_it(panel):
    panel.state.set_layers(())
    for kind in ("Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D", "Flatten", "Dense"):
        add(panel, kind)
    for row in (3, 5):
        edit(panel, row, UNITS, "64")  # filters
    assert panel.state.layers == CHAPTER_5_CONVNET
    assert panel.preset_combo.currentText() == "Chapter 5: small convnet"
    assert "Total params: 93,322" in panel.total_label.text()
    shapes = [panel.table.item(row, SHAPE).text() for row in range(panel.table.rowCount())]
    assert shapes == ["(None, 28, 28, 1)", "(None, 26, 26, 32)", "(None, 13, 13, 32)", "(None, 11, 11, 64)",
                      "(None, 5, 5, 64)", "(None, 3, 3, 64)", "(None, 576)", "(None, 64)", "(None, 10)"]
    params = [panel.table.item(row, PARAMS).text() for row in range(panel.table.rowCount())]
    assert params == ["0", "320", "0", "18,496", "0", "36,928", "0", "36,928", "650"]
    assert "Input 28 x 28 x 1" in panel.table.item(0, LAYER).text()
    assert ('layer_conv_2d(filters = 32, kernel_size = c(3, 3), activation = "relu", input_shape = c(28, 28, 1))'
            in panel.code_label.text())  # not shown: not wrapped


def test_conv_settings_typed_in_the_table_reach_state_and_shapes(panel):
    panel.state.set_layers((design.layer_row("Conv2D"), design.layer_row("Flatten")))
    edit(panel, 1, WINDOW, "5")
    edit(panel, 1, STRIDES, "2x2")
    panel.table.cellWidget(1, PADDING).setCurrentText("same")
    panel.table.cellWidget(1, ACTIVATION).setCurrentText("tanh")
    assert panel.state.layers[0] == design.layer_row("Conv2D", kernel_size=(5, 5), strides=(2, 2), padding="same",
                                                     activation="tanh")
    assert panel.table.item(1, SHAPE).text() == "(None, 14, 14, 32)"
    assert panel.table.item(1, PARAMS).text() == f"{5 * 5 * 32 + 32:,}"
    assert 'strides = c(2, 2), padding = "same"' in panel.code_label.text().replace("\n", " ").replace("  ", "")


@pytest.mark.parametrize("layers, row, column, words", [
    ((design.layer_row("Conv2D", kernel_size=(30, 30)),), 1, WINDOW, "larger than its input"),
    ((design.layer_row("Conv2D"), LayerSpec(64)), 2, LAYER, "add a Flatten layer before it"),
    ((design.layer_row("Conv2D"), design.layer_row("Flatten"), design.layer_row("Conv2D")), 3, LAYER,
     "cannot follow Flatten"),
    ((design.layer_row("Conv2D"), design.layer_row("MaxPooling2D", pool_size=(27, 27))), 2, WINDOW, "leaves nothing"),
])
def test_an_invalid_stack_is_marked_on_its_row_with_the_reason(panel, layers, row, column, words):
    panel.state.set_layers(layers)
    cell = panel.table.item(row, column)
    assert cell.background().color().red() > 150 and words in cell.toolTip()
    assert words in panel.error_label.text() and not panel.error_label.isHidden()
    assert f"Layer {row} (" in panel.error_label.text()
    assert panel.table.item(row, PARAMS).text() == "–" and "fix the layers" in panel.total_label.text()
    assert panel.code_label.text().startswith("# ")  # never code for a stack that cannot be built


def test_a_conv_cell_typed_wrongly_is_kept_marked_and_fixed(panel):
    panel.state.set_layers((design.layer_row("Conv2D"), design.layer_row("Flatten")))
    edit(panel, 1, WINDOW, "3y")
    assert panel.table.item(1, WINDOW).text() == "3y" and "got '3y'" in panel.error_label.text()
    assert panel.table.item(1, WINDOW).background().color().red() > 150
    edit(panel, 1, WINDOW, "3 x 3")
    assert panel.state.network_errors() == [] and panel.state.layers[0].setting("kernel_size") == (3, 3)
    assert panel.table.item(1, WINDOW).background().style().name == "NoBrush"


def test_the_code_can_be_read_in_python(panel):
    panel.state.set_layers(CHAPTER_5_CONVNET)
    panel.language_combo.setCurrentText("Python")
    assert 'layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1))' in panel.code_label.text()
    panel.language_combo.setCurrentText("R")
    assert "layer_max_pooling_2d(pool_size = c(2, 2))" in panel.code_label.text()


def test_a_convnet_row_can_be_moved_and_removed(panel):
    panel.state.set_layers(CHAPTER_5_CONVNET)
    panel.table.selectRow(6)  # Flatten
    panel.remove_button.click()
    assert "add a Flatten layer before it" in panel.error_label.text()
    add(panel, "Flatten", after_row=5)
    assert panel.state.layers == CHAPTER_5_CONVNET and panel.error_label.isHidden()


def test_convnet_editing_is_locked_while_training(panel):
    panel.state.set_layers(CHAPTER_5_CONVNET)
    panel.state.set_training(True)
    assert not panel.table.cellWidget(1, PADDING).isEnabled() and not panel.kind_combo.isEnabled()
    panel.state.set_training(False, "completed")
    assert panel.table.cellWidget(1, PADDING).isEnabled() and panel.kind_combo.isEnabled()


def test_a_narrow_panel_keeps_a_convnets_shapes_and_scrolls_instead(qtbot):
    panel = NetworkPanel(AppState())
    qtbot.addWidget(panel)
    panel.resize(360, 600)
    panel.show()
    qtbot.waitUntil(lambda: panel.table.isColumnHidden(SHAPE))  # chapter 2: (None, units) gives way
    panel.state.set_layers((LayerSpec(64), design.layer_row("Dropout"), design.layer_row("BatchNormalization")))
    qtbot.waitUntil(lambda: panel.table.isColumnHidden(SHAPE))  # flat rows too
    panel.state.set_layers(CHAPTER_5_CONVNET)
    qtbot.waitUntil(lambda: not panel.table.isColumnHidden(SHAPE))  # a convnet's shapes are the lesson
    qtbot.waitUntil(lambda: panel.table.horizontalScrollBar().maximum() > 0)  # reached by scrolling sideways
    header = panel.table.horizontalHeader()
    shown = [c for c in range(panel.table.columnCount()) if not panel.table.isColumnHidden(c)]
    assert all(header.sectionSize(c) >= panel.table.natural_width(c) for c in shown)  # none squeezed
    # summary()'s columns first, so that what scrolls out of view are settings, not shapes
    assert [header.logicalIndex(place) for place in range(3)] == [LAYER, SHAPE, PARAMS]
    assert header.sectionViewportPosition(PARAMS) + header.sectionSize(PARAMS) <= panel.table.viewport().width()
    assert "(None, 26, 26, 32)" in panel.table.item(1, LAYER).toolTip()  # and on each layer's name
    panel.state.set_layers(CHAPTER_NETWORK)  # chapter 2's table keeps its order
    assert [header.logicalIndex(place) for place in range(header.count())] == list(range(header.count()))


def test_a_row_of_a_kind_without_columns_survives_edits_elsewhere(panel):
    from playground.core.specs import LayerRow

    reshape = LayerRow("Reshape", (("target_shape", (784,)),))  # the engine's, not offered by the chooser
    panel.state.set_layers((reshape, LayerSpec(64)))
    assert panel.table.item(1, LAYER).text() == "Reshape 1" and panel.state.network_errors() == []
    edit(panel, 2, UNITS, "32")
    assert panel.state.layers == (reshape, LayerSpec(32))


def test_the_total_says_which_params_are_not_trained(panel):
    panel.state.set_layers((design.layer_row("Conv2D"), design.layer_row("BatchNormalization"),
                            design.layer_row("Flatten")))
    model = engine.Sequential([engine.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
                               engine.layers.BatchNormalization(), Flatten(), Dense(10, activation="softmax")])
    frozen = model.count_params() - sum(layer.count_trainable_params() for layer in model.layers)
    assert frozen == 64  # the moving mean and variance of 32 channels
    assert panel.total_label.text() == f"Total params: {model.count_params():,}  (867 KB of float32, 64 not trained)"

"""The design model without a window: layers of any kind, checked and counted by the engine."""
import json

import numpy as np
import pytest

import engine
from engine import examples
from engine.layers import (AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPooling2D)
from playground.core import design, persistence
from playground.core.model_files import layer_specs_of
from playground.core.specs import CHAPTER_5_CONVNET, CHAPTER_NETWORK, PRESETS, Dataset, LayerRow, LayerSpec
from playground.text.keras_code import FIX_FIRST, python_code, r_code
from playground.text.network_text import pair_text, parse_pair, parse_setting
from playground.training.state import AppState

CONV = design.layer_row
SAMPLE = Dataset("tiny", "test", np.zeros((4, 28, 28), np.uint8), np.zeros(4, np.uint8),
                 np.zeros((4, 28, 28), np.uint8), np.zeros(4, np.uint8))


def summary_of(model):
    return [(cls, shape, params) for _, cls, shape, params in model.summary_rows()]


# -- one source of truth: the engine -------------------------------------------------------------
def test_the_kinds_offered_are_the_engines_layers():
    kinds = design.kinds()
    assert kinds[:2] == ["Dense", "Conv2D"]  # chapter 2's first, then chapter 5's
    assert {"MaxPooling2D", "AveragePooling2D", "BatchNormalization", "Dropout", "Flatten"} <= set(kinds)
    assert set(kinds) <= set(engine.layers.names())
    assert "Reshape" not in kinds  # it needs a target shape the app cannot guess


def test_a_new_row_starts_at_the_engines_defaults():
    conv = design.layer_row("Conv2D")
    defaults = engine.layers.defaults("Conv2D")
    assert conv.setting("strides") == defaults["strides"] and conv.setting("padding") == defaults["padding"]
    assert conv.setting("filters") == 32 and conv.setting("kernel_size") == (3, 3)
    assert design.layer_row("MaxPooling2D").setting("pool_size") == engine.layers.defaults("MaxPooling2D")["pool_size"]
    assert design.layer_row("Dense") == LayerSpec(64, "relu", 0.0)  # as Add layer always added
    assert design.layer_row("BatchNormalization") == LayerRow("BatchNormalization")


def test_the_convnet_preset_is_the_books_section_5_1_as_summary_prints_it():
    summary = design.summarise(CHAPTER_5_CONVNET)
    assert summary.input_shape == (28, 28, 1) and summary.total == 93_322
    assert list(summary.layers) == summary_of(examples.convnet())
    assert [row.output_shape for row in summary.rows][:2] == [(None, 26, 26, 32), (None, 13, 13, 32)]
    assert design.design_errors(CHAPTER_5_CONVNET) == []


@pytest.mark.parametrize("rows, model", [
    (CHAPTER_NETWORK, [Flatten(input_shape=(28, 28)), Dense(512, activation="relu"), Dense(10, activation="softmax")]),
    ((CONV("Conv2D", filters=8, kernel_size=(5, 5), strides=(2, 2), padding="same"), CONV("BatchNormalization"),
      CONV("AveragePooling2D", pool_size=(3, 3), strides=(1, 1)), CONV("Flatten"), CONV("Dropout", rate=0.25),
      LayerSpec(16, "tanh", 0.5)),
     [Conv2D(8, (5, 5), strides=2, padding="same", activation="relu", input_shape=(28, 28, 1)), BatchNormalization(),
      AveragePooling2D(3, strides=1), Flatten(), Dropout(0.25), Dense(16, activation="tanh"), Dropout(0.5),
      Dense(10, activation="softmax")]),
])
def test_shapes_and_params_are_what_the_engines_summary_prints(rows, model):
    expected = engine.Sequential(model)
    summary = design.summarise(rows)
    assert list(summary.layers) == summary_of(expected)
    assert summary.total == expected.count_params()
    assert design.parameter_count(rows) == expected.count_params()


def test_the_app_builds_exactly_the_design():
    state = AppState()
    state.set_layers(CHAPTER_5_CONVNET)
    model = state.build_model()
    assert model.input_shape == (28, 28, 1)
    assert summary_of(model) == summary_of(examples.convnet())
    state.set_layers(CHAPTER_NETWORK)
    assert state.build_model().input_shape == (28, 28)  # chapter 2: Flatten first, as before


def test_a_design_starting_with_image_layers_takes_images_with_a_channel():
    assert design.model_input_shape(CHAPTER_5_CONVNET) == (28, 28, 1)
    assert design.model_input_shape((CONV("BatchNormalization"), CONV("Conv2D"))) == (28, 28, 1)
    assert design.model_input_shape((LayerSpec(64), CONV("Conv2D"))) == (28, 28)
    assert design.model_input_shape((CONV("Flatten"), CONV("Conv2D"))) == (28, 28)
    assert design.model_input_shape(()) == (28, 28)


# -- an invalid stack is marked on its row with the engine's reason ------------------------------
@pytest.mark.parametrize("rows, row, setting, words", [
    ((CONV("Conv2D", kernel_size=(30, 30)),), 0, "kernel_size", "larger than its input"),
    ((CONV("Conv2D"), CONV("MaxPooling2D", pool_size=(27, 27))), 1, "pool_size", "leaves nothing"),
    ((CONV("Conv2D"), CONV("Flatten"), CONV("Conv2D")), 2, None, "cannot follow Flatten"),
    ((CONV("Conv2D"), LayerSpec(64)), 1, None, "add a Flatten layer before it"),
    ((CONV("Conv2D", filters=0),), 0, "filters", "filters must be a positive integer, got 0"),
    ((CONV("Conv2D", kernel_size="3y"),), 0, "kernel_size", "got '3y'"),
    ((CONV("Conv2D", padding="full"),), 0, "padding", "padding must be 'valid' or 'same'"),
])
def test_the_layer_that_cannot_be_built_is_named_with_the_engines_reason(rows, row, setting, words):
    summary = design.summarise(rows)
    assert summary.first_error[0] == row and words in summary.first_error[1]
    assert design.blamed_setting(rows[row], summary.first_error[1]) == setting
    assert all(later.params is None for later in summary.rows[row + 1:]) and summary.total is None
    (message,) = design.design_errors(rows)
    assert message.startswith(f"Layer {row + 1} ({rows[row].kind}): ") and words in message
    assert "Flatten()" not in message  # the app speaks of rows, not of Python calls


def test_no_flatten_is_inserted_for_the_learner():
    rows = (CONV("Conv2D"),)  # straight into the output Dense
    (message,) = design.design_errors(rows)
    assert message.startswith("The output layer (Dense 10, softmax): ") and "add a Flatten layer" in message
    assert [cls for cls, _, _ in design.summarise(rows).layers] == ["Conv2D", "Dense"]


def test_chapter_2s_checks_and_words_are_kept_for_dense_rows():
    assert design.design_errors((LayerSpec(0, "relu"),)) == ["Layer 1: units must be between 1 and 8192, got 0"]
    assert design.design_errors((LayerSpec(8193, "relu"),))[0].endswith("got 8193")
    assert design.summarise((LayerSpec(8193, "relu"),)).total is None  # refused: its counts are not shown
    assert "dropout must be in [0, 1), got 1.0" in design.design_errors((LayerSpec(64, "relu", 1.0),))[0]
    assert "unknown activation 'swish'" in design.design_errors((CONV("Conv2D", activation="swish"),))[0]
    assert "parameters" in design.design_errors((LayerSpec(8192), LayerSpec(8192)))[0]


# -- R and Python, as the book writes them --------------------------------------------------------
def test_the_convnet_in_r_as_the_book_writes_it():
    assert r_code(CHAPTER_5_CONVNET).splitlines() == [
        "model <- keras_model_sequential() %>%",
        '  layer_conv_2d(filters = 32, kernel_size = c(3, 3), activation = "relu", input_shape = c(28, 28, 1)) %>%',
        "  layer_max_pooling_2d(pool_size = c(2, 2)) %>%",
        '  layer_conv_2d(filters = 64, kernel_size = c(3, 3), activation = "relu") %>%',
        "  layer_max_pooling_2d(pool_size = c(2, 2)) %>%",
        '  layer_conv_2d(filters = 64, kernel_size = c(3, 3), activation = "relu") %>%',
        "  layer_flatten() %>%",
        '  layer_dense(units = 64, activation = "relu") %>%',
        '  layer_dense(units = 10, activation = "softmax")',
    ]


def test_the_convnet_in_python():
    lines = python_code(CHAPTER_5_CONVNET).splitlines()
    assert 'model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))' in lines
    assert "model.add(layers.MaxPooling2D((2, 2)))" in lines and "model.add(layers.Flatten())" in lines
    assert lines[-1] == 'model.add(layers.Dense(10, activation="softmax"))'
    assert 'model.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))' in python_code(CHAPTER_NETWORK)


def test_every_layer_and_every_setting_that_is_not_a_default_reaches_the_code():
    rows = (CONV("Conv2D", filters=16, kernel_size=(5, 5), strides=(2, 2), padding="same"), CONV("BatchNormalization"),
            CONV("AveragePooling2D", pool_size=(3, 3), strides=(1, 1)), CONV("Flatten"), CONV("Dropout", rate=0.5),
            LayerSpec(32, "relu", 0.25))
    code = r_code(rows)
    for call in ('layer_conv_2d(filters = 16, kernel_size = c(5, 5), strides = c(2, 2), padding = "same", '
                 'activation = "relu", input_shape = c(28, 28, 1))', "layer_batch_normalization()",
                 "layer_average_pooling_2d(pool_size = c(3, 3), strides = c(1, 1))", "layer_flatten()",
                 "layer_dropout(rate = 0.5)", 'layer_dense(units = 32, activation = "relu")', "layer_dropout(rate = 0.25)"):
        assert call in code, call
    py = python_code(rows)
    assert 'layers.Conv2D(16, (5, 5), strides=(2, 2), padding="same", activation="relu"' in py
    assert "layers.BatchNormalization()" in py and "layers.Dropout(0.5)" in py


@pytest.mark.parametrize("rows", [(CONV("Conv2D", kernel_size=(30, 30)),), (CONV("Conv2D", filters="abc"),),
                                  (CONV("Conv2D"), LayerSpec(64))])
def test_a_design_that_cannot_be_built_never_reaches_the_code(rows):
    assert r_code(rows) == FIX_FIRST and python_code(rows) == FIX_FIRST


def test_wrapped_code_never_breaks_a_pair():
    for width in range(30, 100, 7):
        for line in r_code(CHAPTER_5_CONVNET, width=width).splitlines() + python_code(CHAPTER_5_CONVNET, width=width).splitlines():
            assert not line.rstrip().endswith("c(3,") and not line.rstrip().endswith("(3,"), (width, line)


# -- cells read the app's way ----------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [("3", (3, 3)), ("3x3", (3, 3)), ("3 x 3", (3, 3)), ("(3, 3)", (3, 3)),
                                         ("c(3, 3)", (3, 3)), ("2x1", (2, 1)), ("", None), ("3y", "3y")])
def test_a_window_cell_reads_what_a_learner_types(text, value):
    assert parse_pair(text) == value


def test_cells_read_and_write_back_the_values_used():
    assert parse_setting("filters", "1,024") == 1024 and parse_setting("rate", "0,5") == 0.5
    assert parse_setting("strides", "", default=(1, 1)) == (1, 1)
    assert pair_text((3, 3)) == "3x3" and pair_text(None) == ""


# -- saved settings and model files keep convnets ----------------------------------------------------
def test_a_convnet_design_survives_the_settings_file(qtbot):
    state = AppState()
    text = persistence.layers_to_text(CHAPTER_5_CONVNET)
    assert persistence.restore_layers(state, text) is None and state.layers == CHAPTER_5_CONVNET
    old = json.dumps([{"units": 128, "activation": "tanh", "dropout": 0.25}])  # written by an older version
    assert persistence.restore_layers(state, old) is None and state.layers == (LayerSpec(128, "tanh", 0.25),)
    assert json.loads(persistence.layers_to_text(CHAPTER_NETWORK)) == [{"units": 512, "activation": "relu", "dropout": 0.0}]


@pytest.mark.parametrize("saved", [
    [{"kind": "Conv2D", "settings": {"filters": 8, "kernel_size": [30, 30]}}],  # cannot be built
    [{"kind": "Conv2D", "settings": {"filters": 8, "use_bias": False}}],  # not a setting the panel shows
    [{"kind": "Reshape", "settings": {}}], [{"kind": "Conv2D", "settings": {"kernel_size": [3, 3, 3]}}],
    [{"kind": "Conv2D", "settings": {"kernel_size": {"a": 1}}}],
])
def test_a_damaged_convnet_in_the_settings_file_keeps_the_current_design(qtbot, saved):
    state = AppState()
    assert "could not be read" in persistence.restore_layers(state, json.dumps(saved))
    assert state.layers == CHAPTER_NETWORK


def test_a_model_file_is_read_back_as_the_rows_that_rebuild_it():
    assert layer_specs_of(examples.convnet(), SAMPLE) == CHAPTER_5_CONVNET
    with_bn = engine.Sequential([Conv2D(4, 3, input_shape=(28, 28, 1)), BatchNormalization(), MaxPooling2D(),
                                 Flatten(), Dropout(0.5), Dense(10, activation="softmax")])
    assert layer_specs_of(with_bn, SAMPLE) == (CONV("Conv2D", filters=4, activation="linear"), CONV("BatchNormalization"),
                                               CONV("MaxPooling2D"), CONV("Flatten"), CONV("Dropout", rate=0.5))
    no_bias = engine.Sequential([Conv2D(4, 3, use_bias=False, input_shape=(28, 28, 1)), Flatten(),
                                 Dense(10, activation="softmax")])
    assert layer_specs_of(no_bias, SAMPLE) is None  # the panel has no cell for it: shown, not redesigned


def test_run_labels_name_a_convnet_briefly():
    assert design.short_label(CHAPTER_5_CONVNET) == "conv 32, maxpool, conv 64, maxpool, conv 64, flatten, dense 64"
    assert set(PRESETS) >= {"Chapter 2: dense 512", "Chapter 5: small convnet"}


# -- a batch that would exhaust the memory is refused before Train ---------------------------------
def test_a_convnet_batch_too_big_for_memory_is_refused_with_what_fits():
    assert design.batch_memory_error(CHAPTER_NETWORK, (28, 28), 10, 60_000) is None  # full-batch chapter 2 still trains
    assert design.batch_memory_error(CHAPTER_5_CONVNET, (28, 28), 10, 128) is None
    message = design.batch_memory_error(CHAPTER_5_CONVNET, (28, 28), 10, 6_000)
    assert message.startswith("A batch of 6,000 digits needs about 2.7 GB") and "at most 3,375" in message
    first = design.summarise(CHAPTER_5_CONVNET).layers[0]
    assert first == ("Conv2D", (None, 26, 26, 32), 320)  # the 21,632 numbers per digit counted above come from here


def test_train_is_refused_for_a_batch_too_big_and_allowed_once_the_digits_are_few(qtbot):
    from playground.core.data_loading import load_sample_dataset

    state = AppState(load_sample_dataset())
    state.set_layers(CHAPTER_5_CONVNET)
    state.set_settings(batch_size=6000)
    assert "A batch of 6,000 digits" in state.training_errors()[0]
    state.set_settings(train_size=300)  # fit cuts a batch to the digits it has: 300
    assert state.training_errors() == []
    state.set_settings(train_size=0, batch_size=64)  # the book's batch size
    assert state.training_errors() == []


def test_every_engine_layer_gets_the_r_packages_name():
    from playground.text.keras_code import r_function

    known = {"Dense": "layer_dense", "Dropout": "layer_dropout", "Flatten": "layer_flatten",
             "Activation": "layer_activation", "Conv2D": "layer_conv_2d", "MaxPooling2D": "layer_max_pooling_2d",
             "AveragePooling2D": "layer_average_pooling_2d", "BatchNormalization": "layer_batch_normalization",
             "GlobalAveragePooling2D": "layer_global_average_pooling_2d", "Reshape": "layer_reshape"}
    assert {name: r_function(name) for name in engine.layers.names()} == {n: known[n] for n in engine.layers.names()}


@pytest.mark.parametrize("kind", design.kinds())
def test_every_kind_the_chooser_offers_builds_trains_and_predicts(kind):
    rows = [design.layer_row("Conv2D", filters=4), design.layer_row("Flatten"), LayerSpec(8, "relu")]
    rows.insert(2 if kind == "Dense" else 1, design.layer_row(kind))
    state = AppState(SAMPLE)
    state.set_layers(rows)
    assert state.network_errors() == [], state.network_errors()
    model = state.build_model()
    assert model.count_params() == design.parameter_count(rows)
    x = np.random.default_rng(0).random((16, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[np.arange(16) % 10]
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(model.predict(x, verbose=0)).all()
    assert r_code(rows) != FIX_FIRST and python_code(rows) != FIX_FIRST

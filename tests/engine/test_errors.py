"""Mistakes a learner makes, and the clear errors they get (rather than a NumPy traceback).

Every error names the problem: the argument, the shapes, the labels, what to do instead.
"""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import backend, callbacks, initializers
from engine.layers import Activation, Dense, Dropout, Flatten
from engine.optimizers import SGD, RMSprop
from engine.utils import set_random_seed, to_categorical


def chapter_model(compiled=True, loss="categorical_crossentropy"):
    model = engine.Sequential([Dense(16, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])
    if compiled:
        model.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
    return model


def data(n=8):
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (n, 784)).astype("float32"), np.arange(n) % 10


# ----- building layers and models ---------------------------------------------------------------
@pytest.mark.parametrize("units", [0, -3, 2.5, "10", None, True, float("nan")])
def test_dense_units_must_be_a_positive_integer(units):
    with pytest.raises(ValueError, match=r"units must be a positive integer"):
        Dense(units)


def test_dense_units_accepts_numpy_integers():
    assert Dense(np.int64(4)).units == 4


@pytest.mark.parametrize("name", ["relu6", "Relu", "softplus", ""])
def test_unknown_activation(name):
    with pytest.raises(ValueError, match=rf"Unknown activation {name!r}.*relu"):
        Dense(3, activation=name)
    with pytest.raises(ValueError, match="Unknown activation"):
        Activation(name)


def test_unknown_initializer():
    with pytest.raises(ValueError, match="Unknown initializer 'lecun'"):
        Dense(3, kernel_initializer="lecun")
    assert initializers.get("he_normal") is initializers.he_normal


@pytest.mark.parametrize("shape, error", [((0,), ValueError), ((-1, 3), ValueError), ((), ValueError), (("a",), TypeError)])
def test_bad_input_shape(shape, error):
    with pytest.raises(error, match="input_shape"):
        Dense(3, input_shape=shape)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "half", None])
def test_dropout_rate(rate):
    with pytest.raises(ValueError, match="rate must be a number in \\[0, 1\\)"):
        Dropout(rate)


def test_dense_on_images_asks_for_flatten():
    with pytest.raises(ValueError, match=r"add a Flatten\(\) layer first"):
        engine.Sequential([Dense(10, input_shape=(28, 28))])
    engine.Sequential([Flatten(input_shape=(28, 28)), Dense(10)])  # the fix


def test_adding_something_that_is_not_a_layer():
    with pytest.raises(TypeError, match="expects a layer"):
        engine.Sequential(["dense"])


def test_empty_model_cannot_be_built():
    with pytest.raises(ValueError, match="no layers"):
        engine.Sequential().build((3,))


def test_unbuilt_model_has_no_parameter_count():
    model = engine.Sequential([Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        model.count_params()
    with pytest.raises(ValueError, match="not built"):
        model.summary()


def test_set_weights_with_wrong_count_or_shape():
    model = chapter_model(compiled=False)
    weights = model.get_weights()
    with pytest.raises(ValueError, match="expects 4 weight arrays, got 3"):
        model.set_weights(weights[:3])
    weights[2] = weights[2].T
    with pytest.raises(ValueError, match=r"\(10, 16\) does not match \(16, 10\)"):
        model.set_weights(weights)


# ----- compile ----------------------------------------------------------------------------------
def test_unknown_loss():
    with pytest.raises(ValueError, match="Unknown loss 'categorical_cross_entropy'.*categorical_crossentropy"):
        chapter_model(compiled=False).compile(optimizer="rmsprop", loss="categorical_cross_entropy")


def test_missing_loss():
    with pytest.raises(ValueError, match="needs a loss"):
        chapter_model(compiled=False).compile(optimizer="rmsprop")


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="Unknown optimizer 'rmsprob'.*rmsprop"):
        chapter_model(compiled=False).compile(optimizer="rmsprob", loss="mse")


@pytest.mark.parametrize("metric", ["precision", "mae", ["accuracy", "auc"]])
def test_unknown_metric(metric):
    with pytest.raises(ValueError, match="Unknown metric"):
        chapter_model(compiled=False).compile(optimizer="rmsprop", loss="mse", metrics=metric)


@pytest.mark.parametrize("value", [-0.001, float("nan"), float("inf"), -float("inf")])
def test_bad_learning_rate(value):
    with pytest.raises(ValueError, match="learning_rate must be a finite number"):
        chapter_model(compiled=False).compile(optimizer=RMSprop(learning_rate=value), loss="mse")
    with pytest.raises(ValueError, match="learning_rate"):
        SGD(learning_rate=value)


# ----- fit, evaluate, predict -------------------------------------------------------------------
def test_fit_before_compile():
    x, y = data()
    with pytest.raises(RuntimeError, match=r"compile the model before training"):
        chapter_model(compiled=False).fit(x, to_categorical(y, 10))
    with pytest.raises(RuntimeError, match="compile"):
        chapter_model(compiled=False).evaluate(x, to_categorical(y, 10))
    with pytest.raises(RuntimeError, match="compile"):
        chapter_model(compiled=False).train_on_batch(x, to_categorical(y, 10))


def test_predict_works_without_compile():
    x, _ = data()
    assert chapter_model(compiled=False).predict(x).shape == (8, 10)


@pytest.mark.parametrize("x_shape, shown", [((8, 28, 28), r"\(28, 28\)"), ((8, 100), r"\(100,\)")])
def test_input_shape_mismatch_names_both_shapes(x_shape, shown):
    model = chapter_model()
    x = np.zeros(x_shape, dtype="float32")
    y = to_categorical(np.arange(8) % 10, 10)
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y), lambda: model.predict(x)):
        with pytest.raises(ValueError, match=rf"expects samples of shape \(784,\).*{shown}"):
            call()


def test_inputs_need_a_batch_axis_and_numbers():
    model = chapter_model()
    with pytest.raises(ValueError, match="batch axis"):
        model.predict(np.zeros(784))
    with pytest.raises(TypeError, match="numeric"):
        model.predict(np.array([["a"] * 784]))
    with pytest.raises(ValueError, match="x is required"):
        model.predict(None)


@pytest.mark.parametrize("labels, fragment", [
    ([0, 1, 10, 3], r"labels must be in \[0, 9\].*from 0 to 10"),
    ([0, -1, 2, 3], r"labels must be in \[0, 9\].*from -1 to 3"),
    ([0.5, 1, 2, 3], "integer class labels"),
])
def test_sparse_labels_out_of_range(labels, fragment):
    model = chapter_model(loss="sparse_categorical_crossentropy")
    x, _ = data(4)
    before = model.get_weights()
    with pytest.raises(ValueError, match=fragment):
        model.fit(x, np.array(labels), verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # checked before any training


def test_wrong_one_hot_width():
    model = chapter_model()
    x, y = data(4)
    with pytest.raises(ValueError, match=r"one-hot targets of shape \(n, 10\), got \(4, 5\)"):
        model.fit(x, to_categorical(y % 5, 5), verbose=0)


def test_integer_labels_with_categorical_crossentropy_get_a_hint():
    model = chapter_model()
    x, y = data(4)
    with pytest.raises(ValueError, match=r"to_categorical.*sparse_categorical_crossentropy"):
        model.fit(x, y, verbose=0)


def test_binary_and_mse_targets():
    binary = engine.Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    binary.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="between 0 and 1"):
        binary.fit(np.zeros((2, 3)), [0, 2], verbose=0)
    with pytest.raises(ValueError, match="don't match outputs"):
        binary.fit(np.zeros((2, 3)), np.zeros((2, 2)), verbose=0)
    regression = engine.Sequential([Dense(2, input_shape=(3,))])
    regression.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"mean_squared_error targets of shape \(2, 3\)"):
        regression.fit(np.zeros((2, 3)), np.zeros((2, 3)), verbose=0)


def test_x_and_y_lengths_differ():
    model = chapter_model()
    x, y = data(8)
    with pytest.raises(ValueError, match="different numbers of samples: 8 and 7"):
        model.fit(x, to_categorical(y, 10)[:7], verbose=0)
    with pytest.raises(ValueError, match="8 and 7"):
        model.evaluate(x, to_categorical(y, 10)[:7])


def test_non_numeric_targets():
    model = chapter_model(loss="sparse_categorical_crossentropy")
    x, _ = data(2)
    with pytest.raises(TypeError, match="targets must be numeric"):
        model.fit(x, np.array(["cat", "dog"]), verbose=0)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, "32", None, True])
def test_batch_size_must_be_a_positive_integer(batch_size):
    model = chapter_model()
    x, y = data()
    y = to_categorical(y, 10)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        model.fit(x, y, batch_size=batch_size, verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.evaluate(x, y, batch_size=batch_size)
    with pytest.raises(ValueError, match="batch_size"):
        model.predict(x, batch_size=batch_size)


@pytest.mark.parametrize("epochs", [-1, 1.5, "5"])
def test_epochs_must_be_a_non_negative_integer(epochs):
    x, y = data()
    with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
        chapter_model().fit(x, to_categorical(y, 10), epochs=epochs, verbose=0)


@pytest.mark.parametrize("split", [1.0, -0.1, 2, "0.2"])
def test_validation_split_range(split):
    x, y = data()
    with pytest.raises(ValueError, match=r"validation_split must be in \[0, 1\)"):
        chapter_model().fit(x, to_categorical(y, 10), validation_split=split, verbose=0)


def test_validation_split_that_leaves_nothing():
    x, y = data(1)
    with pytest.raises(ValueError, match="leaves no training or no validation samples"):
        chapter_model().fit(x, to_categorical(y, 10), validation_split=0.5, verbose=0)
    x, y = data(10)
    with pytest.raises(ValueError, match="leaves no training or no validation samples"):
        chapter_model().fit(x, to_categorical(y, 10), validation_split=1e-17, verbose=0)


def test_fit_with_no_samples():
    with pytest.raises(ValueError, match="no samples"):
        chapter_model().fit(np.zeros((0, 784)), np.zeros((0, 10)), verbose=0)


# ----- settings and helpers ---------------------------------------------------------------------
def test_backend_settings():
    with pytest.raises(ValueError, match="floatx must be 'float32' or 'float64'"):
        backend.set_floatx("float16")
    assert backend.floatx() == "float32"
    for seed in (-1, 1.5, "1", True):
        with pytest.raises(ValueError, match="seed must be a non-negative integer"):
            set_random_seed(seed)


def test_early_stopping_mode():
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max'"):
        callbacks.EarlyStopping(mode="maximum")

"""What ``fit`` and the layers do with unusual arguments (issue 12, item 23).

Keras takes NumPy scalars wherever it takes Python numbers; a value that cannot be right (a
negative starting epoch, a 7.9-pixel input, complex numbers, targets left out) gets a clear
message instead of being truncated, cast or reported in Python's own words; and a batch size larger
than the data never asks for more memory than the data holds.
"""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.callbacks import EarlyStopping
from engine.layers import Dense, Dropout, Flatten
from engine.optimizers import RMSprop
from engine.utils import set_random_seed, to_categorical


def chapter_model(units=16):
    model = engine.Sequential([Dense(units, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def digits(n=50):
    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (n, 784)).astype("float32"), to_categorical(np.arange(n) % 10, 10)


# ----- batch size larger than the data ----------------------------------------------------------
@pytest.mark.parametrize("batch_size", [10**7, 10**12])
def test_a_batch_size_larger_than_the_data_trains_on_one_batch_of_all_samples(batch_size):
    """batch_size=10**7 on 50 samples asked for 29 GiB of batch buffers; 10**12 for terabytes."""
    x, y = digits(50)
    model = chapter_model()
    history = model.fit(x, y, batch_size=batch_size, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and model.stop_reason == "completed"
    assert model.evaluate(x, y, batch_size=batch_size)[1] >= 0
    assert model.predict(x, batch_size=batch_size).shape == (50, 10)


def test_a_huge_batch_size_on_the_chapter_sized_network_uses_two_cores_safely():
    """The chapter's 784 x 512 kernel is shared with a second thread or process whose buffers are
    sized by the batch: they too hold at most the samples there are."""
    x, y = digits(50)
    model = chapter_model(units=512)
    model.fit(x, y, batch_size=10**9, epochs=1, verbose=0)
    assert model.stop_reason == "completed" and model.weights_finite


# ----- epochs, shapes, numbers ------------------------------------------------------------------
@pytest.mark.parametrize("initial_epoch", [-3, -1, 1.5, "2", True])
def test_initial_epoch_must_be_a_non_negative_integer(initial_epoch):
    x, y = digits(8)
    with pytest.raises(ValueError, match="initial_epoch must be a non-negative integer"):
        chapter_model().fit(x, y, epochs=2, initial_epoch=initial_epoch, verbose=0)


@pytest.mark.parametrize("shape", [(7.9,), 7.9, (28, 28.5), (784.0,), ("784",), "784", (True,)])
def test_a_non_integer_input_shape_is_refused_not_truncated(shape):
    with pytest.raises(TypeError, match="input_shape must be a tuple of positive integers"):
        Dense(3, input_shape=shape)
    with pytest.raises(TypeError, match="input_shape"):
        Flatten(input_shape=shape)


def test_a_non_integer_shape_in_build_or_config_is_refused():
    with pytest.raises(TypeError, match="input_shape"):
        engine.Sequential([Dense(3)]).build((7.9,))
    config = engine.Sequential([Dense(3, input_shape=(7,))]).get_config()
    config["layers"][0]["config"]["input_shape"] = [7.9]
    with pytest.raises(TypeError, match="input_shape"):
        engine.Sequential.from_config(config)


@pytest.mark.parametrize("shape", [(2**32, 2**32), (2**62, 4, 784), (2**63,)])
def test_an_input_shape_too_big_to_index_is_refused(shape):
    """(2**32, 2**32) multiplies to 2**64, which NumPy's int64 product wraps around to 0."""
    with pytest.raises(ValueError, match="more values per sample than NumPy can index"):
        Flatten(input_shape=shape)


def test_numpy_integer_shapes_are_accepted():
    assert Dense(3, input_shape=(np.int64(784),)).input_shape == (784,)
    assert Flatten(input_shape=np.array([28, 28])).input_shape == (28, 28)


def test_complex_inputs_and_targets_are_refused_not_cast():
    x, y = digits(8)
    model = chapter_model()
    with pytest.raises(TypeError, match="inputs must be real numbers"):
        model.fit(x + 1j, y, verbose=0)
    with pytest.raises(TypeError, match="inputs must be real numbers"):
        model.predict(x.astype(np.complex64))
    with pytest.raises(TypeError, match="targets must be real numbers"):
        model.fit(x, y * (1 + 0.5j), verbose=0)
    with pytest.raises(TypeError, match="targets must be real numbers"):
        model.evaluate(x, y.astype(np.complex128))


# ----- missing or malformed arguments -----------------------------------------------------------
def test_fit_and_evaluate_without_targets_say_y_is_required():
    x, _ = digits(8)
    model = chapter_model()
    with pytest.raises(ValueError, match="y is required"):
        model.fit(x, verbose=0)
    with pytest.raises(ValueError, match="y is required"):
        model.fit(x, None, verbose=0)
    with pytest.raises(ValueError, match="y is required"):
        model.evaluate(x)
    with pytest.raises(ValueError, match="one target per sample"):
        model.fit(x, 3, verbose=0)


@pytest.mark.parametrize("validation_data, shown", [
    (lambda x, y: (x,), "a tuple of 1 item"),
    (lambda x, y: [x], "a list of 1 item"),
    (lambda x, y: x, "'ndarray'"),
    (lambda x, y: (x, y, None, None), "a tuple of 4 item"),
])
def test_validation_data_must_be_a_pair(validation_data, shown):
    x, y = digits(8)
    with pytest.raises(ValueError, match=r"validation_data must be a tuple \(x_val, y_val\)") as info:
        chapter_model().fit(x, y, validation_data=validation_data(x, y), verbose=0)
    assert shown in str(info.value)


# ----- NumPy scalars, as Keras takes them ----------------------------------------------------------
def test_numpy_scalars_are_accepted_wherever_python_numbers_are(tmp_path):
    set_random_seed(np.int64(3))
    x, y = digits(40)
    model = engine.Sequential([
        Dense(np.int64(32), activation="relu", input_shape=(np.int32(784),)),
        Dropout(np.float32(0.2), seed=np.int64(1)),
        Dense(np.int16(10), activation="softmax"),
    ])
    model.compile(optimizer=RMSprop(learning_rate=np.float32(0.01), rho=np.float64(0.9),
                                    momentum=np.float32(0.0), epsilon=np.float64(1e-7)),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=np.int64(8), epochs=np.int64(3), initial_epoch=np.int64(1),
                        validation_split=np.float32(0.2), verbose=np.int64(0),
                        callbacks=[EarlyStopping(monitor="loss", patience=np.int64(2), min_delta=np.float32(0.0))])
    assert history.epoch == [1, 2] and "val_loss" in history.history
    assert model.evaluate(x, y, batch_size=np.int64(16))[0] > 0
    assert model.predict(x, batch_size=np.int32(7)).shape == (40, 10)
    assert to_categorical(np.arange(3), np.int64(4)).shape == (3, 4)
    path = tmp_path / "m.npz"
    model.save(path)  # the JSON description holds plain numbers
    loaded = engine.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.get_config() == model.get_config()


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.bool_, object, "U3"])
def test_set_weights_refuses_weights_that_are_not_real_numbers(dtype):
    model = chapter_model()
    before = model.get_weights()
    weights = [w.astype(dtype) for w in before]
    with pytest.raises(ValueError, match="Weight array 0 must hold real numbers"):
        model.set_weights(weights)
    for now, then in zip(model.get_weights(), before):
        np.testing.assert_array_equal(now, then)

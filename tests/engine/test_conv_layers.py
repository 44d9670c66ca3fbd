"""The convnet's other layers, the registry the app reads, errors, summary and saving.

BatchNormalization, GlobalAveragePooling2D and Reshape against finite differences; every
registered layer declares an example input shape and answers its output shape, parameter count
and config; the book's section 5.1 convnet has 93,322 parameters; every layer saves and loads.
"""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import backend, gradcheck
from engine import layers as layer_registry
from engine.layers import (AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten,
                           GlobalAveragePooling2D, MaxPooling2D, Reshape)

TOL = 1e-6


@pytest.fixture
def float64():
    backend.set_floatx("float64")
    yield
    backend.set_floatx("float32")


def book_convnet():
    """Section 5.1: ``layer_conv_2d(filters = 32, kernel_size = c(3, 3), activation = "relu", ...)``."""
    return engine.Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ])


def upstream_for(layer, x, seed=5):
    return np.random.default_rng(seed).normal(size=(len(x), *layer.compute_output_shape(x.shape[1:])))


# ----- BatchNormalization -------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5,), (3, 4, 2)], ids=["after Dense", "after Conv2D"])
@pytest.mark.parametrize("training", [True, False], ids=["batch statistics", "moving statistics"])
def test_batch_normalization_gradients_match_finite_differences(float64, shape, training):
    layer = BatchNormalization()
    layer.build(shape)
    rng = np.random.default_rng(0)
    layer.set_weights([rng.normal(1, 0.3, shape[-1:]), rng.normal(0, 0.3, shape[-1:]),
                       rng.normal(0, 0.3, shape[-1:]), rng.uniform(0.5, 2, shape[-1:])])
    x = rng.normal(2.0, 3.0, (6, *shape))
    upstream = upstream_for(layer, x)
    analytic, dx = gradcheck.layer_gradients(layer, x, upstream, training=training)
    numeric, numeric_dx = gradcheck.numeric_layer_gradients(layer, x, upstream, training=training)
    assert gradcheck.max_relative_error(analytic, numeric) < TOL
    assert gradcheck.relative_error(dx, numeric_dx) < TOL


def test_batch_normalization_uses_batch_statistics_in_training_and_moving_ones_in_inference():
    layer = BatchNormalization(momentum=0.9, epsilon=0.001)
    x = np.random.default_rng(0).normal(5.0, 2.0, (256, 3, 3, 4)).astype("float32")
    layer.build(x.shape[1:])
    trained = layer.forward(x, training=True).copy()
    # training: each channel has mean 0 and variance var / (var + eps)
    np.testing.assert_allclose(trained.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    variance = x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(trained.var(axis=(0, 1, 2)), variance / (variance + 0.001), rtol=1e-4)
    # one update of the moving statistics: moving = moving * momentum + batch * (1 - momentum)
    gamma, beta, moving_mean, moving_variance = layer.get_weights()
    np.testing.assert_allclose(moving_mean, 0.1 * x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(moving_variance, 0.9 + 0.1 * variance, rtol=1e-5)
    # inference: the moving statistics, the same for a sample alone or in a batch
    inferred = layer.forward(x, training=False).copy()
    expected = (x - moving_mean) / np.sqrt(moving_variance + 0.001) * gamma + beta
    np.testing.assert_allclose(inferred, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.forward(x[:1], training=False), inferred[:1], rtol=1e-6)
    np.testing.assert_allclose(layer.get_weights()[2], moving_mean)  # inference updates nothing


def test_batch_normalization_moving_statistics_are_counted_saved_but_never_trained(tmp_path):
    model = engine.Sequential([Dense(4, input_shape=(3,)), BatchNormalization(), Dense(2, activation="softmax")])
    assert [w.shape for w in model.layers[1].get_weights()] == [(4,)] * 4
    assert model.layers[1].all_weight_names == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert model.layers[1].count_params() == 16 and model.layers[1].count_trainable_params() == 8
    lines = []
    model.summary(print_fn=lines.append)
    assert "Non-trainable params: 8" in lines
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    model.fit(x, np.arange(32) % 2, epochs=2, batch_size=8, verbose=0)
    moving = model.layers[1].moving_variance.copy()
    assert not np.allclose(moving, 1)  # updated by the forward passes, by the moving-average rule
    assert model.layers[1].moving_variance is model.layers[1].all_weights[3]
    assert all(p is not model.layers[1].moving_mean for p in model.weights)  # never an optimizer's


# ----- GlobalAveragePooling2D and Reshape ---------------------------------------------------------
@pytest.mark.parametrize("layer", [GlobalAveragePooling2D(), Reshape((3, -1)), Reshape((6, 4, 1))],
                         ids=["global_average", "reshape_-1", "reshape"])
def test_layers_without_weights_pass_gradients_back(float64, layer):
    x = np.random.default_rng(0).normal(size=(3, *layer.example_input_shape))
    if isinstance(layer, GlobalAveragePooling2D):
        np.testing.assert_allclose(layer(x), x.mean(axis=(1, 2)))
    else:
        np.testing.assert_array_equal(layer(x), x.reshape(3, *layer.compute_output_shape(x.shape[1:])))
    upstream = upstream_for(layer, x)
    _, dx = gradcheck.layer_gradients(layer, x, upstream)
    _, numeric_dx = gradcheck.numeric_layer_gradients(layer, x, upstream)
    assert gradcheck.relative_error(dx, numeric_dx) < TOL


def test_reshape_turns_chapter_2_rows_into_images():
    model = engine.Sequential([Reshape((28, 28, 1), input_shape=(784,)), Conv2D(2, 3)])
    assert model.output_shape == (26, 26, 2)
    with pytest.raises(ValueError, match=r"cannot turn samples of shape \(784,\).*into \(27, 27, 1\)"):
        engine.Sequential([Reshape((27, 27, 1), input_shape=(784,))])


# ----- the registry: every layer answers the app's questions ---------------------------------------
def example_layer(name):
    required = {"Dense": {"units": 3}, "Dropout": {"rate": 0.5}, "Activation": {"activation": "relu"},
                "Conv2D": {"filters": 3, "kernel_size": 2}, "Reshape": {"target_shape": (-1,)}}
    return layer_registry.get(name)(**required.get(name, {}))


def test_registry_lists_the_convolution_family_with_keras_defaults():
    assert {"Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "BatchNormalization",
            "Reshape", "Dense", "Dropout", "Flatten"} <= set(layer_registry.names())
    assert layer_registry.required("Conv2D") == ["filters", "kernel_size"]
    assert layer_registry.defaults("Conv2D") == {
        "strides": (1, 1), "padding": "valid", "activation": None, "use_bias": True,
        "kernel_initializer": "glorot_uniform", "bias_initializer": "zeros"}
    assert layer_registry.defaults("AveragePooling2D") == {"pool_size": (2, 2), "strides": None, "padding": "valid"}
    assert layer_registry.defaults("BatchNormalization") == {"momentum": 0.99, "epsilon": 0.001}
    with pytest.raises(ValueError, match="Unknown layer 'Conv3D'"):
        layer_registry.get("Conv3D")


@pytest.mark.parametrize("name", ["Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                                  "BatchNormalization", "Reshape"])
def test_every_new_layer_answers_shape_params_and_config(name):
    layer = example_layer(name)
    shape = layer.example_input_shape
    x = np.random.default_rng(0).normal(size=(2, *shape)).astype("float32")
    y = layer(x)
    assert y.shape == (2, *layer.compute_output_shape(shape))
    assert layer.count_params() == sum(w.size for w in layer.get_weights())
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_book_convnet_summary_shows_93322_parameters():
    model = book_convnet()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 93,322" in text and "Trainable params: 93,322" in text
    shapes = [row[2] for row in model.summary_rows()]
    assert shapes == [(None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64), (None, 5, 5, 64),
                      (None, 3, 3, 64), (None, 576), (None, 64), (None, 10)]
    assert [row[3] for row in model.summary_rows()] == [320, 0, 18496, 0, 36928, 0, 36928, 650]
    assert [layer.name for layer in model.layers[:4]] == ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1"]


# ----- errors in the app's words ------------------------------------------------------------------
def test_conv2d_after_flatten_says_what_it_expects():
    with pytest.raises(ValueError, match=r"Conv2D expects images of shape \(height, width, channels\).*"
                                         r"\(576,\).*cannot follow Flatten or Dense"):
        engine.Sequential([Flatten(input_shape=(24, 24, 1)), Conv2D(2, 3)])


def test_an_input_without_a_channel_axis_names_the_shape_to_use():
    with pytest.raises(ValueError, match=r"got samples of shape \(28, 28\).*\(28, 28, 1\)"):
        engine.Sequential([Conv2D(32, 3, input_shape=(28, 28))])
    model = book_convnet()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"expects samples of shape \(28, 28, 1\).*\(28, 28\)"):
        model.predict(np.zeros((2, 28, 28), "float32"))


def test_a_kernel_larger_than_its_input_is_named():
    with pytest.raises(ValueError, match=r"kernel_size \(5, 5\) is larger than its input \(3, 3, 64\)"):
        engine.Sequential([Conv2D(64, 3, input_shape=(5, 5, 1)), Conv2D(8, 5)])
    assert engine.Sequential([Conv2D(64, 3, input_shape=(5, 5, 1)), Conv2D(8, 5, padding="same")]).output_shape == (3, 3, 8)


def test_a_pool_that_leaves_nothing_is_named():
    with pytest.raises(ValueError, match=r"MaxPooling2D's pool_size \(2, 2\) leaves nothing of its input \(1, 1, 64\)"):
        engine.Sequential([Conv2D(64, 3, input_shape=(3, 3, 1)), MaxPooling2D(2)])
    with pytest.raises(ValueError, match="AveragePooling2D's pool_size"):
        engine.Sequential([AveragePooling2D(4, input_shape=(3, 3, 1))])


@pytest.mark.parametrize("make, message", [
    (lambda: Conv2D(0, 3), "filters must be a positive integer"),
    (lambda: Conv2D(8, (3, 0)), "kernel_size must be a positive integer or a pair"),
    (lambda: Conv2D(8, 3, strides="2"), "strides must be"),
    (lambda: Conv2D(8, 3, padding="full"), "padding must be 'valid' or 'same'"),
    (lambda: MaxPooling2D(pool_size=(2, 2, 2)), "pool_size must be"),
    (lambda: BatchNormalization(momentum=1.5), "momentum must be between 0 and 1"),
    (lambda: BatchNormalization(epsilon=-1), "epsilon must be a non-negative number"),
    (lambda: Reshape((0, 3)), "target_shape must be a tuple of positive integers"),
])
def test_bad_arguments_get_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# ----- saving and training ------------------------------------------------------------------------
def every_layer_model():
    return engine.Sequential([
        Reshape((8, 8, 1), input_shape=(64,)),
        Conv2D(4, 3, padding="same", activation="relu"),
        BatchNormalization(momentum=0.5),
        MaxPooling2D(2, strides=1, padding="same"),
        Conv2D(6, (2, 3), strides=(2, 1), use_bias=False),
        AveragePooling2D((2, 2), padding="same"),
        Dropout(0.2, seed=3),
        GlobalAveragePooling2D(),
        Dense(3, activation="softmax"),
    ])


def test_every_layer_saves_and_loads(tmp_path):
    model = every_layer_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(40, 64)).astype("float32")
    y = np.arange(40) % 3
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "convnet.npz")
    loaded = engine.load_model(tmp_path / "convnet.npz")
    assert loaded.get_config() == model.get_config()
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0)  # and trains on


def test_whole_convnet_gradients_match_finite_differences(float64):
    model = engine.Sequential([
        Conv2D(3, 3, activation="tanh", input_shape=(6, 6, 2)), MaxPooling2D(2),
        BatchNormalization(), Conv2D(2, 2, padding="same"), Flatten(), Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6, 6, 2))
    y = engine.utils.to_categorical(np.arange(4) % 3, 3)
    analytic, dx = gradcheck.model_gradients(model, x, y, wrt_inputs=True)
    numeric, numeric_dx = gradcheck.numeric_gradients(model, x, y, wrt_inputs=True)
    assert gradcheck.max_relative_error(analytic, numeric) < TOL
    assert gradcheck.relative_error(dx, numeric_dx) < TOL


def test_book_convnet_learns_a_few_digits():
    from engine.datasets import mnist

    (x, y), _ = mnist.load_sample()
    x = x[:512].reshape(-1, 28, 28, 1).astype("float32") / 255
    y = engine.utils.to_categorical(y[:512], 10)
    model = book_convnet()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.7

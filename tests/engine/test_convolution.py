"""Convolution and pooling (the book's chapter 5), checked three ways.

* forward against a slow, obviously correct loop over output positions (written here);
* backward against finite differences (``engine.gradcheck``), for every padding and stride mode;
* if PyTorch is installed, against ``torch.nn.functional`` with the same weights.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from engine import backend, gradcheck, initializers
from engine.layers import AveragePooling2D, Conv2D, MaxPooling2D
from engine.layers import windows

TOL = 1e-6

CONV_CASES = [  # (input (h, w, c), filters, kernel, strides, padding)
    ((6, 6, 2), 3, (3, 3), (1, 1), "valid"),
    ((6, 6, 2), 3, (3, 3), (1, 1), "same"),
    ((7, 6, 2), 2, (3, 3), (2, 2), "same"),
    ((7, 8, 3), 2, (2, 3), (2, 1), "valid"),
    ((5, 5, 1), 4, (4, 4), (3, 3), "same"),
    ((5, 6, 1), 2, (1, 1), (1, 1), "valid"),
]
POOL_CASES = [  # (input, pool, strides, padding)
    ((6, 6, 2), (2, 2), None, "valid"),
    ((7, 5, 2), (2, 2), None, "valid"),
    ((7, 5, 2), (2, 2), None, "same"),
    ((7, 7, 2), (3, 3), (2, 2), "valid"),
    ((6, 7, 1), (3, 2), (1, 2), "same"),
]


@pytest.fixture
def float64():
    backend.set_floatx("float64")
    yield
    backend.set_floatx("float32")


def reference_padding(n, k, s, padding):
    if padding == "valid":
        return (n - k) // s + 1, 0
    out = -(-n // s)
    return out, max((out - 1) * s + k - n, 0) // 2


def reference_conv(x, kernel, bias, strides, padding):
    """Output position by output position, as the chapter draws it."""
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    (oh, top), (ow, left) = reference_padding(h, kh, strides[0], padding), reference_padding(w, kw, strides[1], padding)
    out = np.zeros((n, oh, ow, f))
    for r in range(oh):
        for col in range(ow):
            for i in range(kh):
                for j in range(kw):
                    y, xx = r * strides[0] + i - top, col * strides[1] + j - left
                    if 0 <= y < h and 0 <= xx < w:
                        out[:, r, col] += x[:, y, xx] @ kernel[i, j]
    return out + bias


def reference_pool(x, pool, strides, padding, reduce):
    n, h, w, c = x.shape
    strides = strides or pool
    (oh, top), (ow, left) = reference_padding(h, pool[0], strides[0], padding), reference_padding(w, pool[1], strides[1], padding)
    out = np.zeros((n, oh, ow, c))
    for r in range(oh):
        for col in range(ow):
            y0, x0 = r * strides[0] - top, col * strides[1] - left
            patch = x[:, max(y0, 0):y0 + pool[0], max(x0, 0):x0 + pool[1]]  # the padding left out
            out[:, r, col] = reduce(patch, axis=(1, 2))
    return out


def random_images(shape, n=2, seed=0):
    return np.random.default_rng(seed).normal(size=(n, *shape))


# ----- the window arithmetic ----------------------------------------------------------------------
@pytest.mark.parametrize("n, k, s, padding, expected", [
    (28, 3, 1, "valid", (26, 0, 0)), (28, 3, 1, "same", (28, 1, 1)), (7, 3, 2, "same", (4, 1, 1)),
    (6, 3, 2, "same", (3, 0, 1)), (5, 2, 2, "same", (3, 0, 1)), (5, 2, 2, "valid", (2, 0, 0)),
    (2, 3, 1, "valid", (0, 0, 0)),
])
def test_output_length_and_padding_follow_tensorflow(n, k, s, padding, expected):
    assert (windows.output_length(n, k, s, padding), *windows.pad_before_after(n, k, s, padding)) == expected


# ----- Conv2D -------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, filters, kernel, strides, padding", CONV_CASES)
def test_conv2d_forward_matches_the_loop(float64, shape, filters, kernel, strides, padding):
    layer = Conv2D(filters, kernel, strides=strides, padding=padding, bias_initializer="random_normal")
    x = random_images(shape)
    y = layer(x)
    np.testing.assert_allclose(y, reference_conv(x, layer.kernel, layer.bias, strides, padding), atol=1e-12)
    assert y.shape[1:] == layer.compute_output_shape(shape)


@pytest.mark.parametrize("shape, filters, kernel, strides, padding", CONV_CASES)
def test_conv2d_gradients_match_finite_differences(float64, shape, filters, kernel, strides, padding):
    layer = Conv2D(filters, kernel, strides=strides, padding=padding, activation="tanh",
                   bias_initializer="random_normal")
    x = random_images(shape, seed=1)
    layer.build(shape)
    upstream = np.random.default_rng(2).normal(size=(len(x), *layer.compute_output_shape(shape)))
    analytic, dx = gradcheck.layer_gradients(layer, x, upstream)
    numeric, numeric_dx = gradcheck.numeric_layer_gradients(layer, x, upstream)
    assert gradcheck.max_relative_error(analytic, numeric) < TOL
    assert gradcheck.relative_error(dx, numeric_dx) < TOL


def test_conv2d_without_bias_and_as_first_layer_skips_the_input_gradient(float64):
    layer = Conv2D(2, 3, use_bias=False)
    layer.build((5, 5, 1))
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 1, 2)]
    layer.forward(random_images((5, 5, 1)), training=True)
    layer.need_input_grad = False
    assert layer.backward(np.ones((2, 3, 3, 2))) is None
    assert np.any(layer.grads[0] != 0)


def test_conv2d_weights_have_keras_shapes_and_order():
    layer = Conv2D(32, (3, 3), input_shape=(28, 28, 1))
    layer.build((28, 28, 1))
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 1, 32), (32,)]
    assert layer.all_weight_names == ["kernel", "bias"]
    assert layer.count_params() == 320


def test_glorot_and_he_fans_follow_keras_compute_fans():
    # Keras: fan_in = kh * kw * in_channels, fan_out = kh * kw * filters
    assert initializers._fans((3, 3, 32, 64)) == (288, 576)
    assert initializers._fans((784, 512)) == (784, 512)
    assert initializers._fans((10,)) == (10, 10)
    backend.set_random_seed(0)
    kernel = initializers.glorot_uniform((3, 3, 32, 64))
    limit = np.sqrt(6 / (288 + 576))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit
    he = initializers.he_uniform((3, 3, 32, 64))
    assert np.abs(he).max() <= np.sqrt(6 / 288) and np.abs(he).max() > 0.95 * np.sqrt(6 / 288)


# ----- pooling ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, pool, strides, padding", POOL_CASES)
@pytest.mark.parametrize("cls, reduce", [(MaxPooling2D, np.max), (AveragePooling2D, np.mean)])
def test_pooling_forward_matches_the_loop(float64, cls, reduce, shape, pool, strides, padding):
    layer = cls(pool, strides=strides, padding=padding)
    x = random_images(shape)
    y = layer(x)
    np.testing.assert_allclose(y, reference_pool(x, pool, strides, padding, reduce), atol=1e-12)
    assert y.shape[1:] == layer.compute_output_shape(shape)


@pytest.mark.parametrize("shape, pool, strides, padding", POOL_CASES)
@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
def test_pooling_gradients_match_finite_differences(float64, cls, shape, pool, strides, padding):
    layer = cls(pool, strides=strides, padding=padding)
    x = random_images(shape, seed=3)  # distinct values: no tie within eps of another
    layer.build(shape)
    upstream = np.random.default_rng(4).normal(size=(len(x), *layer.compute_output_shape(shape)))
    _, dx = gradcheck.layer_gradients(layer, x, upstream)
    _, numeric_dx = gradcheck.numeric_layer_gradients(layer, x, upstream)
    assert gradcheck.relative_error(dx, numeric_dx) < TOL


def test_max_pooling_gives_a_tie_s_gradient_to_its_first_input_only():
    layer = MaxPooling2D(2)
    x = np.zeros((1, 2, 2, 1), dtype="float32")  # four equal values, as after relu
    layer.build((2, 2, 1))
    layer.forward(x, training=True)
    dx = layer.backward(np.ones((1, 1, 1, 1), dtype="float32"))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 0], [0, 0]])


def test_max_pooling_same_padding_never_picks_the_padding():
    layer = MaxPooling2D(2, padding="same")
    x = -np.ones((1, 3, 3, 1), dtype="float32")
    assert np.all(layer(x) == -1)


# ----- PyTorch, when installed --------------------------------------------------------------------
torch_installed = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")


@torch_installed
@pytest.mark.parametrize("shape, filters, kernel, strides", [((9, 9, 3), 4, (3, 3), (1, 1)), ((8, 9, 2), 3, (3, 2), (2, 2))])
def test_conv2d_matches_torch(float64, shape, filters, kernel, strides):
    import torch

    layer = Conv2D(filters, kernel, strides=strides, bias_initializer="random_normal")
    x = random_images(shape)
    y = layer(x)
    # torch is channels first, its kernel (filters, channels, kh, kw)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x).permute(0, 3, 1, 2),
                                          torch.from_numpy(layer.kernel).permute(3, 2, 0, 1),
                                          torch.from_numpy(layer.bias), stride=strides)
    np.testing.assert_allclose(y, expected.permute(0, 2, 3, 1).numpy(), atol=1e-12)


@torch_installed
def test_conv2d_same_padding_matches_torch_for_odd_kernels(float64):
    import torch

    layer = Conv2D(3, 3, padding="same", use_bias=False)
    x = random_images((7, 6, 2))
    y = layer(x)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x).permute(0, 3, 1, 2),
                                          torch.from_numpy(layer.kernel).permute(3, 2, 0, 1), padding="same")
    np.testing.assert_allclose(y, expected.permute(0, 2, 3, 1).numpy(), atol=1e-12)


@torch_installed
@pytest.mark.parametrize("pool, strides", [((2, 2), None), ((3, 3), (2, 2)), ((2, 3), (1, 2))])
def test_pooling_matches_torch(float64, pool, strides):
    import torch

    x = random_images((9, 8, 3))
    t = torch.from_numpy(x).permute(0, 3, 1, 2)
    for cls, fn in ((MaxPooling2D, torch.nn.functional.max_pool2d), (AveragePooling2D, torch.nn.functional.avg_pool2d)):
        y = cls(pool, strides=strides)(x)
        expected = fn(t, pool, stride=strides or pool).permute(0, 2, 3, 1).numpy()
        np.testing.assert_allclose(y, expected, atol=1e-12)


def test_max_pooling_backward_after_an_inference_pass_finds_the_winners_itself():
    # saliency on a drawn digit: predict (training=False), then backpropagate to the pixels
    x = random_images((6, 6, 2)).astype("float32")
    dy = np.random.default_rng(1).normal(size=(2, 3, 3, 2)).astype("float32")
    layer = MaxPooling2D(2)
    layer.build((6, 6, 2))
    layer.forward(x, training=True)
    trained = layer.backward(dy).copy()
    layer.forward(x, training=False)
    np.testing.assert_array_equal(layer.backward(dy), trained)

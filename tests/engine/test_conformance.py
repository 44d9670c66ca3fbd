"""Conformance: every registered layer, under every strategy, trains like the serial step.

For each layer class in the registry (``engine.layers.names()``) (built from its ``example_config`` for samples of
its ``example_input_shape``) and each strategy in ``engine.strategies``:

* a few training steps give the same weights as the serial strategy, to float32 rounding;
* the gradients (every weight's, and the input's) pass the finite-difference check.

Strategies are set to share even the tiniest product and update, so that every operation a layer
calls is really cut in pieces. A new layer declares its example and is covered here without new
test code.
"""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import backend, gradcheck, strategies
from engine import layers
from engine.layers import Dense, Flatten
from engine.utils import set_random_seed, to_categorical

CLASSES = 3


def eager(name: str):
    """The strategy ``name``, sharing work however small it is (its ``min_*`` sizes set to 0)."""
    strategy = strategies.get(name)
    for attribute in vars(strategy):
        if attribute.startswith("min_"):
            setattr(strategy, attribute, 0)
    return strategy


def example_model(cls, optimizer="rmsprop"):
    """The layer, then Flatten if it keeps more than one axis, then a softmax classifier."""
    layer = cls(**cls.example_config, input_shape=cls.example_input_shape)
    stack = [layer]
    if len(layer.compute_output_shape(cls.example_input_shape)) > 1:
        stack.append(Flatten())
    model = engine.Sequential([*stack, Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy")
    return model


def example_batch(cls, n=6, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *cls.example_input_shape)).astype(dtype)
    return x, to_categorical(rng.integers(0, CLASSES, n), CLASSES).astype(dtype)


def test_every_registered_layer_declares_an_example():
    for name in layers.names():
        cls = layers.get(name)
        assert cls.example_input_shape is not None, f"{name} declares no example_input_shape"
        example_model(cls)  # builds


BATCH_SIZES = (2, 7, 3)  # outputs wider than tall and taller than wide: both ways of cutting them


def train_a_few_steps(cls, strategy_name, optimizer):
    set_random_seed(0)
    model = example_model(cls, optimizer)
    with eager(strategy_name).running() as strategy:
        for step, n in enumerate(BATCH_SIZES):
            x, y = example_batch(cls, n=n, seed=step)
            x = model._inputs(x)
            loss, _ = strategy.train_step(model, x, model._targets(y, len(x)))
            assert np.isfinite(loss)
    return model.get_weights()


@pytest.mark.parametrize("optimizer", ["rmsprop", "adam", "sgd"])
@pytest.mark.parametrize("strategy", strategies.names())
@pytest.mark.parametrize("layer", layers.names())
def test_a_few_steps_give_the_serial_weights(layer, strategy, optimizer):
    cls = layers.get(layer)
    got = train_a_few_steps(cls, strategy, optimizer)
    want = train_a_few_steps(cls, "serial", optimizer)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.fixture
def float64():
    backend.set_floatx("float64")
    yield
    backend.set_floatx("float32")


@pytest.mark.parametrize("strategy", strategies.names())
@pytest.mark.parametrize("layer", layers.names())
def test_gradients_pass_the_finite_difference_check(layer, strategy, float64):
    cls = layers.get(layer)
    set_random_seed(1)
    model = example_model(cls)
    x, y = example_batch(cls, n=2, seed=7, dtype=np.float64)
    with gradcheck.fixed_dropout_masks(model):
        with eager(strategy).running():
            analytic, analytic_dx = gradcheck.model_gradients(model, x, y, wrt_inputs=True)
        numeric, numeric_dx = gradcheck.numeric_gradients(model, x, y, eps=1e-6, wrt_inputs=True)
    assert gradcheck.max_relative_error(analytic, numeric) < 1e-6
    assert gradcheck.relative_error(analytic_dx, numeric_dx) < 1e-6

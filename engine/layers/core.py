"""Small layers without weights: ``Flatten``, ``Activation`` and ``Dropout``."""
from __future__ import annotations

import numbers

import numpy as np

from engine import backend
from engine.layers.base import Layer
from engine.memory import Buffer


class Flatten(Layer):
    """Reshape each sample to a vector: ``(batch, 28, 28)`` -> ``(batch, 784)`` (row-major).

    This is the book's ``array_reshape(train_images, c(60000, 28 * 28))`` done inside the model.
    """

    example_input_shape = (3, 4)

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self._last.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dy):
        return dy.reshape(self._last.shape) if self.need_input_grad else None


class Activation(Layer):
    """Apply an activation on its own: ``Activation("relu")``. As the last layer,
    ``Activation("softmax")`` gets the same fused cross-entropy gradient as ``Dense(10, "softmax")``."""

    example_input_shape = (5,)
    example_config = {"activation": "tanh"}

    def __init__(self, activation, **kwargs):
        super().__init__(activation=activation, **kwargs)
        self._out = Buffer()

    def forward(self, x, training=False):
        y = self._out.view(len(x), x.shape[1:], x.dtype)
        np.copyto(y, x)
        return self.activate(y)

    def backward(self, dy):
        return self.activation_gradient(dy) if self.need_input_grad else None

    def get_config(self):
        return {**super().get_config(), "activation": self.activation.name}


class Dropout(Layer):
    """Randomly zero a fraction ``rate`` of the inputs while training (inverted dropout, as Keras).

    Kept units are scaled by ``1 / (1 - rate)`` so that the expected output is unchanged and
    nothing needs rescaling at test time, when dropout does nothing.
    """

    example_input_shape = (6,)
    example_config = {"rate": 0.5, "seed": 1}

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
            raise ValueError(f"rate must be a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.seed = seed
        self._rng = None
        self._mask = Buffer()
        self._out = Buffer()

    def build(self, input_shape):
        self._rng = np.random.default_rng(self.seed) if self.seed is not None else backend.rng()
        super().build(input_shape)

    def forward(self, x, training=False):
        self._last.active = training and self.rate > 0
        if not self._last.active:
            return x
        mask = self._mask.view(len(x), x.shape[1:], x.dtype)
        self._rng.random(out=mask, dtype=mask.dtype)
        np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
        mask *= 1.0 / (1.0 - self.rate)
        y = self._out.view(len(x), x.shape[1:], x.dtype)
        return np.multiply(x, mask, out=y)

    def backward(self, dy):
        if not self.need_input_grad:
            return None
        if self._last.active:
            dy *= self._mask.view(len(dy), dy.shape[1:], dy.dtype)
        return dy

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}

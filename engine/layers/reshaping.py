"""``Reshape``: give each sample a new shape with the same number of values (row-major, as Keras).

``Reshape((28, 28, 1))`` turns the flat 784-pixel rows of chapter 2 into the images Conv2D reads;
one dimension may be ``-1``, to be worked out from the others.
"""
from __future__ import annotations

import numpy as np

from engine.layers.base import Layer


class Reshape(Layer):
    """``(batch, *input_shape)`` -> ``(batch, *target_shape)``; nothing is copied."""

    example_input_shape = (4, 6)
    example_config = {"target_shape": (3, -1)}

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            shape = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            raise ValueError(f"target_shape must be a tuple of positive integers (one may be -1), "
                             f"got {target_shape!r}") from None
        if not shape or any(d == 0 or d < -1 for d in shape) or shape.count(-1) > 1:
            raise ValueError(f"target_shape must be a tuple of positive integers (one may be -1), "
                             f"got {target_shape!r}")
        self.target_shape = shape

    def compute_output_shape(self, input_shape):
        size, known = int(np.prod(input_shape)), int(np.prod([d for d in self.target_shape if d != -1]))
        if -1 in self.target_shape and size % known == 0:
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if -1 not in self.target_shape and size == known:
            return self.target_shape
        raise ValueError(f"Reshape cannot turn samples of shape {tuple(input_shape)} ({size} values) "
                         f"into {self.target_shape}")

    def build(self, input_shape):
        self.output_shape = self.compute_output_shape(input_shape)
        super().build(input_shape)

    def forward(self, x, training=False):
        return x.reshape(len(x), *self.output_shape)

    def backward(self, dy):
        return dy.reshape(len(dy), *self.input_shape) if self.need_input_grad else None

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}

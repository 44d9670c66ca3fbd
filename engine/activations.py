"""Activation functions, each a forward/derivative pair (chapter 2: ``relu``, ``softmax``).

Every activation here works *in place* on a preallocated buffer and computes its derivative from
its own output ``y`` (not its input), so a layer only has to remember what it returned:

    relu:     y = max(x, 0)                dy/dx = 1 where y > 0
    sigmoid:  y = 1 / (1 + e^-x)           dy/dx = y (1 - y)
    tanh:     y = tanh(x)                  dy/dx = 1 - y^2
    softmax:  y_i = e^x_i / sum_j e^x_j    vector-Jacobian: y * (g - sum(g * y))
    elu:      y = x if x > 0 else e^x - 1  dy/dx = 1 if y > 0 else y + 1
    leaky_relu: y = x if x > 0 else 0.2 x  dy/dx = 1 if y > 0 else 0.2   (Keras 3's negative_slope)
"""
from __future__ import annotations

import numpy as np


class Activation:
    """Base: ``forward(x)`` overwrites ``x`` with f(x); ``backward(g, y)`` overwrites ``g`` with g * f'(x)."""

    name = "linear"

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, g: np.ndarray, y: np.ndarray) -> np.ndarray:
        return g

    def __call__(self, x) -> np.ndarray:
        """Out-of-place convenience: ``relu(np.array([-1., 2.]))`` -> ``[0., 2.]``."""
        return self.forward(np.array(x, dtype=np.result_type(x, np.float32), copy=True))

    def __repr__(self) -> str:
        return self.name


class Linear(Activation):
    name = "linear"


class ReLU(Activation):
    name = "relu"

    def __init__(self):
        self._zeros: dict = {}  # (width, dtype) -> a row of zeros

    def forward(self, x):
        if x.ndim == 0:
            return np.maximum(x, 0, out=x)
        # against a row of zeros rather than the scalar 0: NumPy's vectorised loop, ~3x faster
        key = (x.shape[-1], x.dtype)
        zeros = self._zeros.get(key)
        if zeros is None:
            zeros = self._zeros[key] = np.zeros(x.shape[-1:], x.dtype)
        return np.maximum(x, zeros, out=x)

    def backward(self, g, y):
        # where the unit was off (y == 0) no gradient flows back
        return np.multiply(g, y > 0, out=g)


class LeakyReLU(Activation):
    name = "leaky_relu"
    negative_slope = 0.2

    def forward(self, x):
        return np.maximum(x, x * self.negative_slope, out=x)

    def backward(self, g, y):
        return np.multiply(g, np.where(y > 0, 1.0, self.negative_slope).astype(g.dtype), out=g)


class ELU(Activation):
    name = "elu"

    def forward(self, x):
        negative = x <= 0
        x[negative] = np.expm1(x[negative])
        return x

    def backward(self, g, y):
        return np.multiply(g, np.where(y > 0, 1.0, y + 1.0).astype(g.dtype), out=g)


class Sigmoid(Activation):
    name = "sigmoid"

    def forward(self, x):
        # 1 / (1 + e^-x), written so that large |x| neither overflows nor warns
        with np.errstate(over="ignore"):
            np.negative(x, out=x)
            np.exp(x, out=x)
            x += 1
            return np.reciprocal(x, out=x)

    def backward(self, g, y):
        g *= y
        g *= 1 - y
        return g


class Tanh(Activation):
    name = "tanh"

    def forward(self, x):
        return np.tanh(x, out=x)

    def backward(self, g, y):
        g *= 1 - y * y
        return g


class Softmax(Activation):
    """Softmax over the last axis: turns scores into probabilities that sum to 1."""

    name = "softmax"

    def forward(self, x):
        x -= x.max(axis=-1, keepdims=True)  # e^(x - max) cannot overflow; same result
        np.exp(x, out=x)
        x /= x.sum(axis=-1, keepdims=True)
        return x

    def backward(self, g, y):
        # vector-Jacobian product: J = diag(y) - y y^T, so g J = y * (g - <g, y>)
        g -= (g * y).sum(axis=-1, keepdims=True)
        g *= y
        return g


_ACTIVATIONS = {cls.name: cls for cls in (Linear, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Softmax)}
_ACTIVATIONS[None] = Linear

relu, sigmoid, tanh, softmax, linear, leaky_relu, elu = (
    ReLU(), Sigmoid(), Tanh(), Softmax(), Linear(), LeakyReLU(), ELU()
)


def get(identifier) -> Activation:
    """An activation from its Keras name (``"relu"``), ``None`` (linear) or an instance."""
    if isinstance(identifier, Activation):
        return identifier
    if identifier in _ACTIVATIONS:
        return _ACTIVATIONS[identifier]()
    names = ", ".join(sorted(k for k in _ACTIVATIONS if k))
    raise ValueError(f"Unknown activation {identifier!r}; expected one of: {names}")


def names() -> list[str]:
    return sorted(k for k in _ACTIVATIONS if k)

"""``BatchNormalization``: rescale each feature (each channel of an image) to mean 0, variance 1.

While training, each feature is normalised with its batch's mean and variance, then scaled and
shifted by two learnt weights::

    x_hat = (x - mean) / sqrt(variance + epsilon)        y = gamma * x_hat + beta

and running averages of those statistics are kept (``moving = moving * momentum + batch * (1 -
momentum)``). At inference (``predict``, ``evaluate``) the running averages stand in for the
batch's, so one sample's output does not depend on the others. The moving statistics are weights
that are saved and counted but never trained (``summary()``'s "Non-trainable params").
"""
from __future__ import annotations

import numbers

import numpy as np

from engine import initializers
from engine.layers.base import Layer
from engine.memory import Buffer


class BatchNormalization(Layer):
    """Normalise the last axis (features after ``Dense``, channels after ``Conv2D``).

    Args:
        momentum: how much of the running statistics each batch keeps (default 0.99, as Keras).
        epsilon: added to the variance so that no division is by zero (default 0.001).

    Weights, in Keras's order: ``gamma`` (ones), ``beta`` (zeros), ``moving_mean`` (zeros),
    ``moving_variance`` (ones), each of shape ``(features,)``; the last two are not trainable.
    """

    example_input_shape = (3, 4, 2)
    example_config = {"momentum": 0.9}

    def __init__(self, momentum=0.99, epsilon=0.001, **kwargs):
        super().__init__(**kwargs)
        for what, value, low in (("momentum", momentum, 0.0), ("epsilon", epsilon, 0.0)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= low:
                raise ValueError(f"{what} must be a non-negative number, got {value!r}")
        if momentum > 1:
            raise ValueError(f"momentum must be between 0 and 1, got {momentum!r}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self._out, self._x_hat, self._dx = Buffer(), Buffer(), Buffer()

    def build(self, input_shape):
        features = (input_shape[-1],)
        self.gamma = self.add_weight("gamma", features, initializers.ones)
        self.beta = self.add_weight("beta", features, initializers.zeros)
        self.moving_mean = self.add_weight("moving_mean", features, initializers.zeros, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", features, initializers.ones, trainable=False)
        super().build(input_shape)

    def forward(self, x, training=False):
        rows = x.reshape(-1, x.shape[-1])  # every axis but the last is averaged over
        if training:
            mean = rows.mean(axis=0)
            x_hat = self._x_hat.view(len(rows), rows.shape[1:], x.dtype)
            np.subtract(rows, mean, out=x_hat)
            variance = np.einsum("ij,ij->j", x_hat, x_hat) / len(rows)  # biased, as Keras
            self.moving_mean *= self.momentum
            self.moving_mean += (1 - self.momentum) * mean
            self.moving_variance *= self.momentum
            self.moving_variance += (1 - self.momentum) * variance
        else:
            mean, variance = self.moving_mean, self.moving_variance
            x_hat = self._x_hat.view(len(rows), rows.shape[1:], x.dtype)
            np.subtract(rows, mean, out=x_hat)
        inv_std = (1.0 / np.sqrt(variance + self.epsilon)).astype(x.dtype)
        x_hat *= inv_std
        y = self._out.view(len(x), x.shape[1:], x.dtype)
        np.multiply(x_hat, self.gamma, out=y.reshape(rows.shape))
        y += self.beta
        last = self._last
        last.x_hat, last.inv_std, last.training = x_hat, inv_std, training
        return y

    def backward(self, dy):
        last = self._last
        x_hat, inv_std = last.x_hat, last.inv_std
        g = dy.reshape(x_hat.shape)
        dgamma, dbeta = self.grads
        np.einsum("ij,ij->j", g, x_hat, out=dgamma)  # dL/dgamma = sum(dy * x_hat)
        np.sum(g, axis=0, out=dbeta)  # dL/dbeta = sum(dy)
        if not self.need_input_grad:
            return None
        dx = self._dx.view(len(dy), dy.shape[1:], dy.dtype)
        d = dx.reshape(x_hat.shape)
        if not last.training:  # the statistics are constants: y is affine in x
            np.multiply(g, self.gamma * inv_std, out=d)
            return dx
        # the batch's mean and variance depend on x too:
        # dx = gamma * inv_std / m * (m * dy - sum(dy) - x_hat * sum(dy * x_hat))
        m = len(x_hat)
        np.multiply(x_hat, dgamma, out=d)
        d += dbeta
        d *= -1.0 / m
        d += g
        d *= self.gamma * inv_std
        return dx

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}

"""Stochastic gradient descent, with optional (Nesterov) momentum: chapter 2's "ball rolling down"."""
from __future__ import annotations

import numpy as np

from engine.optimizers.base import Optimizer, check_hyperparameter


class SGD(Optimizer):
    """Gradient descent with momentum (Keras 3's update rule, step for step).

    Without momentum: ``w = w - learning_rate * g``.
    With momentum (velocity ``m``, zero at first)::

        m = momentum * m - learning_rate * g
        w = w + m                                         # plain momentum
        w = w + momentum * m - learning_rate * g          # nesterov=True

    Args:
        learning_rate: float >= 0, default 0.01.
        momentum: float in [0, 1], default 0 (plain SGD).
        nesterov: whether to use Nesterov momentum.
    """

    name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        self.momentum = check_hyperparameter("momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)

    @property
    def slot_names(self):
        return ("momentum",) if self.momentum else ()

    def update_step(self, gradient, variable, slots):
        lr = variable.dtype.type(self.learning_rate)
        step = slots.scratch
        np.multiply(gradient, lr, out=step)  # lr * g
        if not self.momentum:
            variable -= step
            return
        m = slots.momentum
        m *= variable.dtype.type(self.momentum)
        m -= step
        if self.nesterov:
            variable += self.momentum * m - step
        else:
            variable += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}

"""RMSprop: the optimizer of the chapter's MNIST example."""
from __future__ import annotations

import numpy as np

from engine.optimizers.base import Optimizer, check_hyperparameter


class RMSprop(Optimizer):
    """Divide each step by a running average of recent squared gradients (Keras 3's rule).

    With velocity ``v`` (zero at first) and optional momentum ``m``::

        v = rho * v + (1 - rho) * g^2
        increment = learning_rate * g / sqrt(v + epsilon)
        w = w - increment                              # momentum = 0
        m = momentum * m + increment; w = w - m        # momentum > 0

    Args:
        learning_rate: float >= 0, default 0.001.
        rho: discounting factor of the average, in [0, 1], default 0.9.
        momentum: float in [0, 1], default 0.
        epsilon: small constant > 0 for numerical stability, default 1e-7 (0 would divide 0 by 0
            for weights whose gradient is always 0, such as those of MNIST's always-black pixels).

    Reference: Hinton, Srivastava, Swersky, "Neural Networks for Machine Learning", lecture 6e.
    """

    name = "RMSprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho = check_hyperparameter("rho", rho, 0.0, 1.0)
        self.momentum = check_hyperparameter("momentum", momentum, 0.0, 1.0)
        self.epsilon = check_hyperparameter("epsilon", epsilon, low_inclusive=False)  # 0 / 0 on zero gradients

    @property
    def slot_names(self):
        return ("velocity", "momentum") if self.momentum else ("velocity",)

    def update_step(self, gradient, variable, slots):
        t = variable.dtype.type
        v, s = slots.velocity, slots.scratch
        # v += (1 - rho) * (g^2 - v)  is  v = rho * v + (1 - rho) * g^2, in three in-place passes
        np.multiply(gradient, gradient, out=s)
        s -= v
        s *= t(1 - self.rho)
        v += s
        # increment = lr * g / sqrt(v + eps)
        np.add(v, t(self.epsilon), out=s)
        np.sqrt(s, out=s)
        np.divide(gradient, s, out=s)
        s *= t(self.learning_rate)
        if self.momentum:
            m = slots.momentum
            m *= t(self.momentum)
            m += s
            variable -= m
        else:
            variable -= s

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}

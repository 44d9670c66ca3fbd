"""Adam: momentum plus RMSprop-style scaling, with bias correction."""
from __future__ import annotations

import math

import numpy as np

from engine.optimizers.base import Optimizer, check_hyperparameter


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), Keras 3's update rule step for step.

    At step t = iterations + 1, with first and second moments ``m``, ``v`` (zero at first)::

        alpha = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        m = m + (1 - beta_1) * (g - m)
        v = v + (1 - beta_2) * (g^2 - v)
        w = w - alpha * m / (sqrt(v) + epsilon)

    Args:
        learning_rate: default 0.001. beta_1: default 0.9. beta_2: default 0.999.
        epsilon: > 0, default 1e-7 (0 would divide 0 by 0 for weights whose gradient is always 0).
    """

    name = "Adam"
    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1 = check_hyperparameter("beta_1", beta_1, 0.0, 1.0, high_inclusive=False)
        self.beta_2 = check_hyperparameter("beta_2", beta_2, 0.0, 1.0, high_inclusive=False)
        self.epsilon = check_hyperparameter("epsilon", epsilon, low_inclusive=False)  # 0 / 0 on zero gradients

    def update_step(self, gradient, variable, slots):
        t = variable.dtype.type
        step = self.iterations + 1
        alpha = self.learning_rate * math.sqrt(1 - self.beta_2**step) / (1 - self.beta_1**step)
        m, v, s = slots.momentum, slots.velocity, slots.scratch
        np.subtract(gradient, m, out=s)
        s *= t(1 - self.beta_1)
        m += s
        np.multiply(gradient, gradient, out=s)
        s -= v
        s *= t(1 - self.beta_2)
        v += s
        np.sqrt(v, out=s)
        s += t(self.epsilon)
        np.divide(m, s, out=s)
        s *= t(alpha)
        variable -= s

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }

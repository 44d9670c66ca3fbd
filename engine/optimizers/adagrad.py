"""Adagrad: per-weight learning rates that shrink as squared gradients accumulate."""
from __future__ import annotations

import numpy as np

from engine.optimizers.base import Optimizer, check_hyperparameter


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), Keras 3's update rule::

        accumulator = accumulator + g^2          # starts at initial_accumulator_value
        w = w - learning_rate * g / sqrt(accumulator + epsilon)

    Args:
        learning_rate: default 0.001. initial_accumulator_value: default 0.1. epsilon: default 1e-7.
        epsilon may be 0 only when initial_accumulator_value > 0 (else 0 / 0 for zero gradients).
    """

    name = "Adagrad"
    slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value = check_hyperparameter(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.epsilon = check_hyperparameter("epsilon", epsilon)
        if self.epsilon == 0 and np.float32(self.initial_accumulator_value) == 0:
            # a weight whose gradient stays 0 (an always-black pixel's) would get 0 / sqrt(0)
            raise ValueError(
                "epsilon must be > 0 when initial_accumulator_value is 0 "
                "(Adagrad would divide 0 by 0 for weights whose gradient is always 0)"
            )

    def slot_initial_value(self, name):
        return self.initial_accumulator_value

    def update_step(self, gradient, variable, slots):
        t = variable.dtype.type
        acc, s = slots.accumulator, slots.scratch
        np.multiply(gradient, gradient, out=s)
        acc += s
        np.add(acc, t(self.epsilon), out=s)
        np.sqrt(s, out=s)
        np.divide(gradient, s, out=s)
        s *= t(self.learning_rate)
        variable -= s

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }

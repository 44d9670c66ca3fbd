"""The ``Optimizer`` base class (Keras 3's shape): hyperparameters, slots, ``update_step``.

A subclass stores its hyperparameters in ``__init__``, creates its per-weight state ("slots",
e.g. RMSprop's running average of squared gradients) in ``build_slots``, and updates one weight
in place in ``update_step(gradient, variable, index)``. Everything is in place on preallocated
arrays: one training step allocates nothing.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def check_hyperparameter(name: str, value, low=0.0, high=None, low_inclusive=True, high_inclusive=True) -> float:
    """Validate a float hyperparameter and name it in the error (``learning_rate must be ...``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    bad = math.isnan(value) or math.isinf(value)
    bad = bad or (value < low if low_inclusive else value <= low)
    if high is not None:
        bad = bad or (value > high if high_inclusive else value >= high)
    if bad:
        lo = "[" if low_inclusive else "("
        hi = ("]" if high_inclusive else ")") if high is not None else ")"
        raise ValueError(f"{name} must be a finite number in {lo}{low}, {high if high is not None else 'inf'}{hi}, got {value!r}")
    return value


class Optimizer:
    """Base optimizer. ``apply(params, grads)`` performs one step on every weight."""

    name = "optimizer"

    def __init__(self, learning_rate=0.001):
        self.learning_rate = learning_rate
        self.iterations = 0  # number of steps taken (Keras's ``optimizer.iterations``)
        self._variables: list[np.ndarray] | None = None

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._learning_rate = check_hyperparameter("learning_rate", value)

    def build(self, variables: list[np.ndarray]) -> None:
        """Create the slots for these weights (zeros, as Keras) and scratch space."""
        self._variables = list(variables)
        self._scratch = [np.empty_like(v) for v in variables]
        self.build_slots(self._variables)

    def build_slots(self, variables: list[np.ndarray]) -> None:
        pass

    def apply(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """One optimization step: ``update_step`` for each (gradient, weight) pair, then count it."""
        if self._variables is None or len(self._variables) != len(params) or any(
            a is not b for a, b in zip(self._variables, params)
        ):
            self.build(params)
        for index, (variable, gradient) in enumerate(zip(params, grads)):
            self.update_step(gradient, variable, index)
        self.iterations += 1

    def update_step(self, gradient: np.ndarray, variable: np.ndarray, index: int) -> None:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name, "learning_rate": self.learning_rate}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        config = {k: v for k, v in config.items() if k != "name"}
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"

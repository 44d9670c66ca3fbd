"""The ``Optimizer`` base class (Keras 3's shape): hyperparameters, slots, ``update_step``.

A subclass stores its hyperparameters in ``__init__``, names its per-weight state in
``slot_names`` (e.g. RMSprop's ``("velocity",)``, the running average of squared gradients) and
writes its rule for one weight in ``update_step(gradient, variable, slots)``, in place. The base
class creates the slots (zeros, or ``slot_initial_value(name)``), one ``Slots`` per weight, plus
a ``scratch`` array for intermediate results, so that one training step allocates nothing.

``apply(params, grads)`` hands each weight's rule to ``engine.ops.update``: how the work is shared
among cores is the strategy's business (``engine.strategies``), never the optimizer's. A rule
must therefore be element-wise (every rule of Keras's optimizers is).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from engine import ops


def check_hyperparameter(name: str, value, low=0.0, high=None, low_inclusive=True, high_inclusive=True) -> float:
    """Validate a float hyperparameter and name it in the error (``learning_rate must be ...``).

    ``low_inclusive=False`` with ``low=0`` asks for a strictly positive value (``epsilon``, which
    the update rules divide by): then values that round to 0 in float32 are refused too.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    bad = math.isnan(value) or math.isinf(value)
    bad = bad or (value < low if low_inclusive else value <= low)
    if high is not None:
        bad = bad or (value > high if high_inclusive else value >= high)
    if bad:
        if high is None:
            allowed = f"{'>=' if low_inclusive else '>'} {low:g}"
        else:
            allowed = f"in {'[' if low_inclusive else '('}{low:g}, {high:g}{']' if high_inclusive else ')'}"
        raise ValueError(f"{name} must be a finite number {allowed}, got {value!r}")
    if not low_inclusive and low == 0 and np.float32(value) == 0:
        # a positive value that float32 weights round to 0 would divide by zero all the same
        raise ValueError(f"{name} must be a finite number > 0 that float32 can hold (at least 1.4e-45), got {value!r}")
    return value


class Slots:
    """One weight's optimizer state: arrays of the weight's shape, by name (``slots.velocity``).

    ``slots.scratch`` is space for intermediate results (its contents mean nothing between steps).
    ``rows(lo, hi)`` is the same state for rows ``[lo, hi)`` of the weight (views, not copies).
    """

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.__dict__.update(arrays)
        self.names = tuple(arrays)
        self._pieces: dict = {}

    def rows(self, lo: int, hi: int) -> "Slots":
        piece = self._pieces.get((lo, hi))
        if piece is None:
            piece = self._pieces[(lo, hi)] = Slots({n: getattr(self, n)[lo:hi] for n in self.names})
        return piece

    def __repr__(self) -> str:
        return f"Slots({', '.join(self.names)})"


class Optimizer:
    """Base optimizer. ``apply(params, grads)`` performs one step on every weight."""

    name = "optimizer"
    slot_names: tuple[str, ...] = ()  # the state kept for each weight, as arrays of its shape

    def __init__(self, learning_rate=0.001):
        self.learning_rate = learning_rate
        self.iterations = 0  # number of steps taken (Keras's ``optimizer.iterations``)
        self._variables: list[np.ndarray] | None = None
        self.slots: list[Slots] = []

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._learning_rate = check_hyperparameter("learning_rate", value)

    def slot_initial_value(self, name: str) -> float:
        """The value a slot starts from (Keras: zeros, except Adagrad's accumulator)."""
        return 0.0

    def build(self, variables: list[np.ndarray]) -> None:
        """Create the slots for these weights."""
        self._variables = list(variables)
        self.slots = [
            Slots({**{name: np.full_like(v, self.slot_initial_value(name)) for name in self.slot_names},
                   "scratch": np.empty_like(v)})
            for v in self._variables
        ]

    def apply(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """One optimization step: ``update_step`` for each (gradient, weight) pair, then count it."""
        if self._variables is None or len(self._variables) != len(params) or any(
            a is not b for a, b in zip(self._variables, params)
        ):
            self.build(params)
        for gradient, variable, slots in zip(grads, params, self.slots):
            ops.update(self.update_step, gradient, variable, slots)
        self.iterations += 1

    def update_step(self, gradient: np.ndarray, variable: np.ndarray, slots: Slots) -> None:
        """Move ``variable`` against ``gradient``, in place, using and updating ``slots``."""
        raise NotImplementedError

    def get_state(self) -> dict:
        """Where this optimizer is: its step count and a copy of every slot (None before its
        first step). With the weights and ``set_state`` it lets training go on elsewhere (in
        another process, say) exactly as if it had never stopped. Keras keeps the same numbers
        in ``optimizer.variables``."""
        slots = None
        if self._variables is not None:
            slots = [{name: getattr(s, name).copy() for name in s.names if name != "scratch"} for s in self.slots]
        return {"iterations": int(self.iterations), "slots": slots}

    def set_state(self, state: dict, variables: list[np.ndarray]) -> None:
        """Go on from ``get_state()``'s ``state``, for these weights (a model's ``trainable_weights``)."""
        saved = state["slots"]
        if saved is not None:
            variables = list(variables)
            if len(saved) != len(variables) or any(
                set(arrays) != set(self.slot_names) or any(a.shape != v.shape for a in arrays.values())
                for arrays, v in zip(saved, variables)
            ):
                raise ValueError(f"This {self.name} state does not fit these weights: it has slots "
                                 f"{[{n: a.shape for n, a in arrays.items()} for arrays in saved]}")
            self.build(variables)
            for slots, arrays in zip(self.slots, saved):
                for name, array in arrays.items():
                    getattr(slots, name)[...] = array
        else:
            self._variables, self.slots = None, []
        self.iterations = int(state["iterations"])

    def get_config(self) -> dict:
        return {"name": self.name, "learning_rate": self.learning_rate}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        config = {k: v for k, v in config.items() if k != "name"}
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"

"""The ``Optimizer`` base class (Keras 3's shape): hyperparameters, slots, ``update_step``.

A subclass stores its hyperparameters in ``__init__``, creates its per-weight state ("slots",
e.g. RMSprop's running average of squared gradients) in ``build_slots``, and updates one weight
in place in ``update_step(gradient, variable, index)``. Everything is in place on preallocated
arrays: one training step allocates nothing.

Every update rule here is element-wise, so a large weight can be cut into pieces that are
updated independently. Weights that ``engine.parallel.splits`` picks (the chapter's 784 x 512
kernel) are cut into two halves of rows, and the halves are updated on two threads (NumPy releases
the GIL inside its loops); results are bit-for-bit the same as one pass. ``update_step`` therefore
sees *parts* of weights, and ``index`` numbers those parts. During ``fit`` the model updates each
half right after computing that half's gradient, on the same thread (``update_halves``), and the
small weights on whichever thread gets there first (``update_small``).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from engine import parallel


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


class Optimizer:
    """Base optimizer. ``apply(params, grads)`` performs one step on every weight."""

    name = "optimizer"
    slot_names: tuple[str, ...] = ()  # the attributes that hold one slot array per part

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
        self._cuts = []  # (variable index, rows of it) for each part; None: the whole weight
        for i, v in enumerate(self._variables):
            if parallel.splits(v):
                k = parallel.split_row(v.shape[0])
                self._cuts += [(i, slice(0, k)), (i, slice(k, v.shape[0]))]
            else:
                self._cuts.append((i, None))
        parts = self._parts(self._variables)
        self._scratch = [np.empty_like(p) for p in parts]
        self._part_variables = parts
        self._grad_source: list | None = None
        # the first and second halves of big weights (one thread each), and the small weights
        self._halves = [[k for k, (i, cut) in enumerate(self._cuts) if cut is not None and bool(cut.start) == bool(h)]
                        for h in (0, 1)]
        self._whole = [k for k, (i, cut) in enumerate(self._cuts) if cut is None]
        self.build_slots(parts)

    def _parts(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        return [arrays[i] if cut is None else arrays[i][cut] for i, cut in self._cuts]

    def prepare(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Get ready to update ``params`` from ``grads`` (building slots on first use)."""
        if self._variables is None or len(self._variables) != len(params) or any(
            a is not b for a, b in zip(self._variables, params)
        ):
            self.build(params)
        if self._grad_source is None or any(a is not b for a, b in zip(self._grad_source, grads)):
            self._grad_source = list(grads)
            self._part_grads = self._parts(self._grad_source)

    def update_halves(self, half: int) -> None:
        """Update the first (``half=0``) or second halves of the big weights."""
        for k in self._halves[half]:
            self.update_step(self._part_grads[k], self._part_variables[k], k)

    def update_small(self) -> None:
        """Update the weights too small to be cut in halves."""
        for k in self._whole:
            self.update_step(self._part_grads[k], self._part_variables[k], k)

    def update_parts(self, parts) -> None:
        """Update the parts numbered ``parts`` (see ``part_index``)."""
        for k in parts:
            self.update_step(self._part_grads[k], self._part_variables[k], k)

    def part_index(self, variable: int, first_row: int = 0) -> int:
        """The number of the part of weight ``variable`` that starts at row ``first_row``."""
        for k, (i, cut) in enumerate(self._cuts):
            start = 0 if cut is None else cut.start or 0
            if i == variable and start == first_row:
                return k
        raise ValueError(f"weight {variable} has no part starting at row {first_row}")

    def move_variables(self, params: list[np.ndarray]) -> None:
        """The weights moved to new arrays of the same shapes (and values): keep the slots."""
        if self._variables is None or [v.shape for v in self._variables] != [p.shape for p in params]:
            raise ValueError("move_variables needs the weights this optimizer was built for")
        self._variables = list(params)
        self._part_variables = self._parts(self._variables)

    def move_slots(self, part: int, allocate) -> None:
        """Move part ``part``'s slots into ``allocate(slot)``, a copy of it (in shared memory)."""
        for name in self.slot_names:
            slots = getattr(self, name, None)
            if slots:
                slots[part] = allocate(slots[part])

    def finish_step(self) -> None:
        """Count one step (``iterations``) once every part has been updated."""
        self.iterations += 1

    def build_slots(self, variables: list[np.ndarray]) -> None:
        pass

    def apply(self, params: list[np.ndarray], grads: list[np.ndarray], helper=None) -> None:
        """One optimization step: ``update_step`` for each (gradient, weight) pair, then count it.

        Halves of big weights are updated on ``helper`` (an ``engine.parallel.Helper``), or on a
        borrowed one when the machine has a second core.
        """
        self.prepare(params, grads)
        first = lambda: self.update_halves(0)  # noqa: E731
        rest = lambda: (self.update_halves(1), self.update_small())  # noqa: E731
        if not self._halves[0]:
            self.update_small()  # nothing here is worth a second thread
        elif helper is not None:
            helper.pair(first, rest)
        elif parallel.enabled():
            with parallel.borrowed_helper() as borrowed:
                borrowed.pair(first, rest)
        else:
            first()
            rest()
        self.finish_step()

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

"""The ``Optimizer`` base class (Keras 3's shape): hyperparameters, slots, ``update_step``.

A subclass stores its hyperparameters in ``__init__``, creates its per-weight state ("slots",
e.g. RMSprop's running average of squared gradients) in ``build_slots``, and updates one weight
in place in ``update_step(gradient, variable, index)``. Everything is in place on preallocated
arrays: one training step allocates nothing.

Every update rule here is element-wise, so a large weight can be cut into pieces that are
updated independently. The base class cuts weights of at least ``PARALLEL_MIN_SIZE`` elements in
two and updates the halves on two threads (NumPy releases the GIL inside its loops); results are
bit-for-bit the same as one pass. ``update_step`` therefore sees *parts* (flat views) of weights,
and ``index`` numbers those parts.
"""
from __future__ import annotations

import math
import numbers
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

PARALLEL_MIN_SIZE = 1 << 17  # elements; below this a second thread costs more than it saves

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _helper_thread() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-optimizer")
        return _pool


def _use_threads() -> bool:
    return (os.cpu_count() or 1) > 1 and os.environ.get("ENGINE_OPTIMIZER_THREADS", "2") != "1"


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
        self._cuts = []  # (variable index, slice of its flat view) for each part
        for i, v in enumerate(self._variables):
            if _use_threads() and v.size >= PARALLEL_MIN_SIZE and v.flags.c_contiguous:
                half = v.size // 2
                self._cuts += [(i, slice(0, half)), (i, slice(half, v.size))]
            else:
                self._cuts.append((i, slice(None)))
        parts = self._parts(self._variables)
        self._scratch = [np.empty_like(p) for p in parts]
        self._part_variables = parts
        self._grad_source: list | None = None
        # first halves on this thread with the small weights, second halves on the helper thread
        self._helper_indices = [k for k, (i, cut) in enumerate(self._cuts) if cut.start]
        self._own_indices = [k for k in range(len(self._cuts)) if k not in self._helper_indices]
        self.build_slots(parts)

    def _parts(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        return [arrays[i].reshape(-1)[cut] if cut.stop else arrays[i] for i, cut in self._cuts]

    def _update_parts(self, indices) -> None:
        for k in indices:
            self.update_step(self._part_grads[k], self._part_variables[k], k)

    def build_slots(self, variables: list[np.ndarray]) -> None:
        pass

    def apply(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """One optimization step: ``update_step`` for each (gradient, weight) pair, then count it."""
        if self._variables is None or len(self._variables) != len(params) or any(
            a is not b for a, b in zip(self._variables, params)
        ):
            self.build(params)
        if self._grad_source is None or any(a is not b for a, b in zip(self._grad_source, grads)):
            self._grad_source = list(grads)
            self._part_grads = self._parts(self._grad_source)
        if self._helper_indices:
            pending = _helper_thread().submit(self._update_parts, self._helper_indices)
            self._update_parts(self._own_indices)
            pending.result()
        else:
            self._update_parts(self._own_indices)
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

"""The named operations every layer and optimizer calls: the one seam through which speed enters.

A layer writes its math with these (``matmul(x, kernel, out)`` for ``x . kernel``); how an
operation runs (on one core, split across two threads...) is decided by the strategy in use on
this thread (``engine.strategies``), never inside a layer. With no strategy in use (the default,
and always on a thread that is not training) they are NumPy's own ``matmul`` into ``out``.

* ``matmul(a, b, out)``      ``out = a . b``       (a forward pass: ``x . kernel``)
* ``matmul_at_b(a, b, out)`` ``out = a^T . b``     (a kernel's gradient: ``x^T . dz``)
* ``matmul_a_bt(a, b, out)`` ``out = a . b^T``     (an input's gradient: ``dz . kernel^T``)
* ``update(rule, gradient, variable, slots)``      an optimizer's element-wise rule for one weight
"""
from __future__ import annotations

import contextlib
import threading

import numpy as np

_this_thread = threading.local()


def strategy():
    """The strategy that runs this thread's operations (``engine.strategies.Serial`` by default)."""
    current = getattr(_this_thread, "strategy", None)
    if current is None:
        from engine.strategies.serial import SERIAL

        current = _this_thread.strategy = SERIAL
    return current


@contextlib.contextmanager
def using(new_strategy):
    """Within the block, this thread's operations run through ``new_strategy``."""
    before = strategy()
    _this_thread.strategy = new_strategy
    try:
        yield new_strategy
    finally:
        _this_thread.strategy = before


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a . b`` into ``out`` (allocated when None)."""
    return strategy().matmul(a, b, out)


def matmul_at_b(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a^T . b`` into ``out``: with ``a = x`` and ``b = dz``, a kernel's gradient."""
    return strategy().matmul_at_b(a, b, out)


def matmul_a_bt(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a . b^T`` into ``out``: with ``a = dz`` and ``b = kernel``, the input's gradient."""
    return strategy().matmul_a_bt(a, b, out)


def update(rule, gradient: np.ndarray, variable: np.ndarray, slots) -> None:
    """``rule(gradient, variable, slots)``: an element-wise update of one weight in place.

    Because the rule is element-wise, a strategy may run it on pieces of the arrays (rows
    ``[0, k)`` and ``[k, end)`` of the gradient, the weight and each slot) at once.
    """
    strategy().update(rule, gradient, variable, slots)

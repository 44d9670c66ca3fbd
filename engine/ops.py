"""The named products that every layer calls: the one seam through which speed enters.

A layer writes its math with these (``matmul(x, kernel, out)`` for ``x . kernel``); how a product
runs (on one core, split across threads...) is decided here, by the strategy in use, never inside
a layer. With no strategy they are NumPy's ``matmul`` into ``out``.

* ``matmul(a, b, out)``      ``out = a . b``       (a forward pass: ``x . kernel``)
* ``matmul_at_b(a, b, out)`` ``out = a^T . b``     (a kernel's gradient: ``x^T . dz``)
* ``matmul_a_bt(a, b, out)`` ``out = a . b^T``     (an input's gradient: ``dz . kernel^T``)
"""
from __future__ import annotations

import numpy as np


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a . b`` into ``out`` (allocated when None)."""
    return np.matmul(a, b, out=out)


def matmul_at_b(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a^T . b`` into ``out``: with ``a = x`` and ``b = dz``, a kernel's gradient."""
    return np.matmul(a.T, b, out=out)


def matmul_a_bt(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a . b^T`` into ``out``: with ``a = dz`` and ``b = kernel``, the input's gradient."""
    return np.matmul(a, b.T, out=out)

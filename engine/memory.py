"""Where a layer keeps what its forward pass saw and the arrays it reuses batch after batch.

Both are kept per thread: two threads may run one model at once (the app's drawing canvas
predicts while an evaluation runs in the background, and the ``split_batch`` strategy runs pieces
of a batch through copies of the layers that share these objects), and neither may see the
other's inputs or outputs. A layer file never deals with threads: it writes ``self._last.x = x``
and ``self._z.view(n, shape)``.
"""
from __future__ import annotations

import threading

import numpy as np

from engine import backend


def forward_record():
    """An object to keep what ``forward`` saw (``record.x = x``), one per thread."""
    return threading.local()


class Buffer:
    """A reusable array of shape ``(capacity, *shape)``; ``view(n, shape)`` is its first ``n`` rows
    (one array per thread)."""

    def __init__(self, dtype=None):
        self.dtype = dtype
        self._local = threading.local()

    def view(self, n: int, shape: tuple[int, ...], dtype=None) -> np.ndarray:
        dtype = np.dtype(dtype or self.dtype or backend.floatx())
        a = getattr(self._local, "array", None)
        if a is None or a.shape[0] < n or a.shape[1:] != tuple(shape) or a.dtype != dtype:
            a = self._local.array = np.empty((n, *shape), dtype=dtype)
        return a[:n]

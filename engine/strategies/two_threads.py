"""Two threads: every big operation is cut in disjoint pieces, which two cores share.

* A matrix product's *output* is cut along its longer side: rows ``[lo, hi)`` when it has at
  least as many rows as columns, columns otherwise. Each piece is a product of its own
  (``a[lo:hi] . b`` or ``a . b[:, lo:hi]``) that writes only its part of ``out``: no sum of partial
  results, the same numbers as one product, and it works for any layer's shapes (Dense's and
  Conv2D's alike).
* An optimizer's element-wise update is cut into pieces of rows of the gradient, the weight and
  every slot.

The calling thread and a helper thread take the pieces in turn until none is left. NumPy
releases Python's interpreter lock inside its loops and BLAS calls, so two pieces run at once;
each product runs on the thread that calls it (OpenBLAS is set to one thread per call, see
``engine.blas``). A thread that loses its core for a while (the machine is busy) does fewer
pieces, and if the helper has not started at all the calling thread does them all. Small
operations stay on the calling thread: handing them over costs more than it saves. While a step
trains, the helper also gathers the next shuffled batch.

Ctrl+C: Python runs its signal handler on the main thread only. While the pieces of an operation
run, a Ctrl+C is held back until all have finished (milliseconds), then raised as
``KeyboardInterrupt``, so no piece is left writing into an array that the next ``fit`` uses.
"""
from __future__ import annotations

import contextlib
import functools
import threading

import numpy as np

from engine import blas, ops
from engine.strategies.base import Strategy
from engine.strategies.blas_threads import biggest_work_per_sample, cores
from engine.strategies.helper import Helper, cuts

SPLIT_MIN_PRODUCT = 1 << 22  # multiply-adds (m * n * k): a smaller product stays on one thread
SPLIT_MIN_UPDATE = 1 << 17  # elements: a smaller weight is updated on one thread
SPLIT_MIN_WORK = 1 << 17  # multiply-adds per sample of the model's biggest layer: below, one thread
# a big operation is cut into this many disjoint pieces, which the two threads take in turn until
# none is left: if one thread loses its core for a while, the other does more pieces
PIECES = 4


class TwoThreads(Strategy):
    """Cut big products and updates in pieces, shared by this thread and a helper.

    ``min_product`` and ``min_update`` set the sizes from which work is shared (the conformance
    tests set them to 0 so that even tiny layers are cut in pieces).
    """

    name = "two_threads"

    def __init__(self, min_product: int = SPLIT_MIN_PRODUCT, min_update: int = SPLIT_MIN_UPDATE,
                 pieces: int = PIECES):
        self.min_product, self.min_update, self.pieces = min_product, min_update, pieces
        self._helper: Helper | None = None
        self._gathers: dict = {}  # (feeder, step) -> the helper's task that gathers that batch

    def supports(self, model) -> tuple[bool, str]:
        if cores() < 2:
            return False, "this machine gives the process one core"
        if not blas.available():
            return False, "NumPy's BLAS cannot be told to use one thread per product (not OpenBLAS)"
        work = biggest_work_per_sample(model)
        if work < SPLIT_MIN_WORK:
            return False, (f"no layer is big enough to share: the biggest does {work:,} multiply-adds per "
                           f"sample, fewer than {SPLIT_MIN_WORK:,}")
        return True, f"{cores()} cores: big products and updates are cut in pieces that two threads share"

    @contextlib.contextmanager
    def running(self):
        with blas.single_threaded(), Helper() as helper, ops.using(self):
            outer, self._helper = self._helper, helper
            try:
                yield self
            finally:
                self._helper = outer
                self._gathers.clear()

    def prefetch_batch(self, feeder, step: int) -> None:
        helper = self._helper_here()
        if helper is not None:
            with helper.critical():
                gather = feeder.gather_later(step)
                if gather is not None:
                    self._gathers[(feeder, step)] = helper.submit(gather)

    def batch(self, feeder, step: int):
        task = self._gathers.pop((feeder, step), None)
        if task is not None:
            with self._helper.critical():
                task.join()  # gathered by the helper, or here if it has not started
        return feeder.batch(step)

    # ----- the operations ---------------------------------------------------------------------
    def _helper_here(self):
        """The helper, if this thread may use it (another thread predicting takes one core)."""
        helper = self._helper
        return helper if helper is not None and helper.owner == threading.get_ident() else None

    def matmul(self, a, b, out=None):
        # out (m, n) = a (m, k) . b (k, n)
        return self._product(a, b, out, a.shape[0], b.shape[-1], a.shape[-1],
                             rows=lambda lo, hi: (a[lo:hi], b), cols=lambda lo, hi: (a, b[:, lo:hi]))

    def matmul_at_b(self, a, b, out=None):
        # out (m, n) = a^T (m, k) . b (k, n), with a of shape (k, m)
        at = a.T
        return self._product(at, b, out, at.shape[0], b.shape[-1], b.shape[0],
                             rows=lambda lo, hi: (at[lo:hi], b), cols=lambda lo, hi: (at, b[:, lo:hi]))

    def matmul_a_bt(self, a, b, out=None):
        # out (m, n) = a (m, k) . b^T (k, n), with b of shape (n, k)
        bt = b.T
        return self._product(a, bt, out, a.shape[0], bt.shape[-1], a.shape[-1],
                             rows=lambda lo, hi: (a[lo:hi], bt), cols=lambda lo, hi: (a, bt[:, lo:hi]))

    def _product(self, a, b, out, m, n, k, rows, cols):
        helper = self._helper_here()
        if helper is None or a.ndim != 2 or b.ndim != 2 or m * n * k < self.min_product or max(m, n) < 2:
            return np.matmul(a, b, out=out)
        if out is None:
            out = np.empty((m, n), np.result_type(a, b))
        pieces = []
        for lo, hi in cuts(max(m, n), self.pieces):
            (ai, bi), oi = (rows(lo, hi), out[lo:hi]) if m >= n else (cols(lo, hi), out[:, lo:hi])
            pieces.append(functools.partial(np.matmul, ai, bi, out=oi))
        helper.share(pieces)
        return out

    def update(self, rule, gradient, variable, slots) -> None:
        helper = self._helper_here()
        if helper is None or variable.size < self.min_update or variable.ndim == 0 or len(variable) < 2:
            rule(gradient, variable, slots)
            return
        helper.share([functools.partial(rule, gradient[lo:hi], variable[lo:hi], slots.rows(lo, hi))
                      for lo, hi in cuts(len(variable), self.pieces)])

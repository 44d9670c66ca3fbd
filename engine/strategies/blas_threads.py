"""BLAS threads: every matrix product of a step is spread over all the cores by OpenBLAS itself.

OpenBLAS cuts a product among its own threads, which share the packed panels of the operands and
wait for work by spinning in C, without Python's interpreter lock: on this machine a Dense layer's
product of a batch of 128 takes 0.60 ms on two of its threads against 1.33 ms on one, where two
Python threads that each multiply half (``two_threads``) need 0.94 ms. Everything else of the step
(activations, the loss, the optimizer's update) and every small product run on the thread that
calls ``fit``, one operation after the other.

This is the simplest strategy that uses two cores, and for a network whose time is in a few big
products (the chapter's Dense network) the fastest. The products are cut in fixed halves: when
another program keeps one core busy, the half on that core waits for it, and then ``serial`` is
as fast (``ENGINE_STRATEGY=serial`` chooses it).
"""
from __future__ import annotations

import contextlib
import os

import numpy as np

from engine import blas, ops
from engine.strategies.base import Strategy

SPLIT_MIN_WORK = 1 << 17  # multiply-adds per sample of the model's biggest layer: below, one thread
SPLIT_MIN_PRODUCT = 1 << 22  # multiply-adds (m * n * k): a smaller product stays on one thread, where
# waking the other thread costs more than it saves (and far more when that core is busy)


def cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def biggest_work_per_sample(model) -> int:
    """The most multiply-adds one sample costs a layer's weight: the weight's size times the number
    of places it is applied (1 for Dense, every output pixel for a convolution)."""
    shape, most = getattr(model, "_input_shape", None), 0
    if shape is None:
        return max((p.size for p in getattr(model, "_params", [])), default=0)
    for layer in model.layers:
        shape = tuple(layer.compute_output_shape(shape))
        places = 1
        for size in shape[:-1]:
            places *= int(size)
        most = max([most, *(w.size * places for w in layer.params)])
    return most


class BlasThreads(Strategy):
    """Each matrix product on all the cores, through OpenBLAS's own threads; the rest in order."""

    name = "blas_threads"

    def supports(self, model) -> tuple[bool, str]:
        if cores() < 2:
            return False, "this machine gives the process one core"
        if not blas.available():
            return False, "NumPy's BLAS cannot be told how many threads to use (not OpenBLAS)"
        work = biggest_work_per_sample(model)
        if work < SPLIT_MIN_WORK:
            return False, (f"no layer is big enough to share: the biggest does {work:,} multiply-adds per "
                           f"sample, fewer than {SPLIT_MIN_WORK:,}")
        return True, f"{cores()} cores: OpenBLAS spreads each matrix product over its threads"

    def __init__(self, min_product: int = SPLIT_MIN_PRODUCT):
        self.min_product = min_product
        self._cores = 1

    @contextlib.contextmanager
    def running(self):
        self._cores = cores()
        with blas.single_threaded(), ops.using(self):
            yield self

    def _spread(self, m: int, n: int, k: int):
        """All the cores for a big product, one thread for a small one."""
        return blas.spread_over(self._cores if m * n * k >= self.min_product else 1)

    # ----- the operations ---------------------------------------------------------------------
    def matmul(self, a, b, out=None):
        with self._spread(a.shape[-2] if a.ndim > 1 else 1, b.shape[-1], a.shape[-1]):
            return np.matmul(a, b, out=out)

    def matmul_at_b(self, a, b, out=None):
        with self._spread(a.shape[-1], b.shape[-1], a.shape[0]):
            return np.matmul(a.T, b, out=out)

    def matmul_a_bt(self, a, b, out=None):
        with self._spread(a.shape[0], b.shape[0], a.shape[-1]):
            return np.matmul(a, b.T, out=out)

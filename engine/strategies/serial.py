"""The serial strategy: every operation on the thread that calls ``fit``, one after the other.

This is the reference: every other strategy must give the same weights as this one (to float32
rounding; see ``tests/engine/test_conformance.py``).
"""
from __future__ import annotations

import contextlib

from engine import blas, ops
from engine.strategies.base import Strategy


class Serial(Strategy):
    """One thread does everything, each matrix product included (OpenBLAS is asked not to spread a
    product over its own threads: for a training step's small products on a busy machine, they
    cost more than they give)."""

    name = "serial"

    @contextlib.contextmanager
    def running(self):
        with blas.single_threaded(), ops.using(self):
            yield self


SERIAL = Serial()

"""The serial strategy: every operation on the thread that calls ``fit``, one after the other.

This is the reference: every other strategy must give the same weights as this one (to float32
rounding; see ``tests/engine/test_conformance.py``).
"""
from __future__ import annotations

from engine.strategies.base import Strategy


class Serial(Strategy):
    """One core does everything (NumPy's BLAS may still use its own threads inside a product)."""

    name = "serial"


SERIAL = Serial()

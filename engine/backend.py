"""Global engine settings: the float type and the random generator.

Keras keeps these in ``keras.config`` (``floatx``) and ``keras.utils.set_random_seed``. The engine
computes in float32 (fast, what GPUs and Keras use); gradient checks switch to float64 so that
finite differences are accurate.
"""
from __future__ import annotations

import random

import numpy as np

_FLOATX = "float32"
_rng = np.random.default_rng()


def floatx() -> str:
    """The default float type of new weights and of the data ``fit`` feeds the network."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type: ``"float32"`` (default) or ``"float64"`` (gradient checks)."""
    global _FLOATX
    if value not in ("float32", "float64"):
        raise ValueError(f"floatx must be 'float32' or 'float64', got {value!r}")
    _FLOATX = value


def rng() -> np.random.Generator:
    """The engine's random generator (weights, shuffling, dropout)."""
    return _rng


def set_random_seed(seed: int) -> None:
    """Seed every source of randomness the engine uses, so the same seed gives identical runs."""
    global _rng
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _rng = np.random.default_rng(int(seed))
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)

"""Global engine settings: the float type and the random generator.

Keras keeps these in ``keras.config`` (``floatx``) and ``keras.utils.set_random_seed``. The engine
computes in float32 (fast, what GPUs and Keras use); gradient checks switch to float64 so that
finite differences are accurate.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

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


@dataclass(frozen=True)
class RandomState:
    """Where every source of randomness ``set_random_seed`` seeds stands (see ``get_random_state``)."""

    generator: np.random.Generator  # the engine's generator itself: layers built with it keep drawing from it
    bits: dict  # its position in its stream
    python: tuple  # random.getstate()
    numpy: tuple  # np.random.get_state(), NumPy's legacy generator


def get_random_state() -> RandomState:
    """The engine's random state now, to go back to with ``set_random_state`` (as PyTorch's
    ``get_rng_state``): seed, build a network, take the state, and a later
    ``set_random_state`` continues exactly as if the network had been built just then."""
    return RandomState(_rng, _rng.bit_generator.state, random.getstate(), np.random.get_state())


def set_random_state(state: RandomState) -> None:
    """Go back to ``state``: the same generator (a layer that holds it draws in step with the
    engine again), at the same position, and Python's and NumPy's generators with it."""
    global _rng
    state.generator.bit_generator.state = state.bits
    _rng = state.generator
    random.setstate(state.python)
    np.random.set_state(state.numpy)

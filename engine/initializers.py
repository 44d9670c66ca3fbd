"""Weight initializers with Keras's names. Glorot (Xavier) uniform is Keras's default for Dense."""
from __future__ import annotations

import contextlib
import contextvars

import numpy as np

from engine import backend

_copied_in = contextvars.ContextVar("weights_copied_in", default=False)


@contextlib.contextmanager
def weights_copied_in():
    """Within the block, new weights are left unfilled: their values are copied in right after
    (``engine.models.copy_model``), so no random numbers are drawn and the seeded generator stays
    where it was."""
    token = _copied_in.set(True)
    try:
        yield
    finally:
        _copied_in.reset(token)


def initial_values(initializer, shape, dtype) -> np.ndarray:
    """A new weight's values: ``initializer(shape, dtype)``, or unfilled within ``weights_copied_in``."""
    if _copied_in.get():
        return np.empty(shape, dtype)
    return initializer(shape, dtype=dtype)


def _fans(shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` as Keras's ``compute_fans``: a Dense kernel ``(inputs, units)`` gives
    ``(inputs, units)``; a Conv2D kernel ``(kh, kw, in_channels, filters)`` gives
    ``(kh * kw * in_channels, kh * kw * filters)``, every position of the window being an input."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = int(np.prod(shape[:-2]))
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def glorot_uniform(shape, dtype=None, rng=None):
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return (rng or backend.rng()).uniform(-limit, limit, size=shape).astype(dtype or backend.floatx())


def glorot_normal(shape, dtype=None, rng=None):
    fan_in, fan_out = _fans(shape)
    return _truncated_normal(shape, np.sqrt(2.0 / (fan_in + fan_out)), dtype, rng)


def he_uniform(shape, dtype=None, rng=None):
    limit = np.sqrt(6.0 / _fans(shape)[0])
    return (rng or backend.rng()).uniform(-limit, limit, size=shape).astype(dtype or backend.floatx())


def he_normal(shape, dtype=None, rng=None):
    return _truncated_normal(shape, np.sqrt(2.0 / _fans(shape)[0]), dtype, rng)


def random_normal(shape, dtype=None, rng=None):
    return (rng or backend.rng()).normal(0.0, 0.05, size=shape).astype(dtype or backend.floatx())


def zeros(shape, dtype=None, rng=None):
    return np.zeros(shape, dtype=dtype or backend.floatx())


def ones(shape, dtype=None, rng=None):
    return np.ones(shape, dtype=dtype or backend.floatx())


def _truncated_normal(shape, stddev, dtype, rng):
    # Keras truncates at two standard deviations and rescales (0.8796...) to keep the variance
    rng = rng or backend.rng()
    stddev = stddev / 0.87962566103423978
    values = rng.normal(0.0, stddev, size=shape)
    bad = np.abs(values) > 2 * stddev
    while bad.any():
        values[bad] = rng.normal(0.0, stddev, size=int(bad.sum()))
        bad = np.abs(values) > 2 * stddev
    return values.astype(dtype or backend.floatx())


_INITIALIZERS = {f.__name__: f for f in (glorot_uniform, glorot_normal, he_uniform, he_normal, random_normal, zeros, ones)}


def get(identifier):
    if callable(identifier):
        return identifier
    if identifier in _INITIALIZERS:
        return _INITIALIZERS[identifier]
    raise ValueError(f"Unknown initializer {identifier!r}; expected one of: {', '.join(sorted(_INITIALIZERS))}")

"""Sizes are checked from shapes *before* anything is computed: the console never builds a
tensor over ``MAX_BYTES`` (a typo like ``rep(0, 1e10)`` is refused, not allocated)."""
from __future__ import annotations

from math import prod

import numpy as np

from playground.core.console.errors import ConsoleError

MAX_BYTES = 200_000_000  # 200 MB per tensor


def human_bytes(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{int(count)} bytes" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def check_size(shape, dtype, what: str = "That") -> None:
    """Raise ``ConsoleError`` (kind ``"size"``) if a tensor of ``shape`` and ``dtype`` is over the limit."""
    count = prod(int(s) for s in shape)
    need = count * np.dtype(dtype).itemsize
    if need > MAX_BYTES:
        dims = " x ".join(f"{int(s):,}" for s in shape) or "1"
        kind = {"f": "doubles" if np.dtype(dtype).itemsize == 8 else "floats", "b": "logicals"}.get(
            np.dtype(dtype).kind, "integers")
        raise ConsoleError(
            f"{what} would make a tensor of {human_bytes(need)} ({dims} {kind}); the console stops at "
            f"{human_bytes(MAX_BYTES)} and computed nothing. Try it on fewer digits first, e.g. "
            "train_images[1:1000,,] or x_train[:1000].", "size")


def check_count(count: int, what: str = "That") -> None:
    """The same check for a vector of ``count`` doubles (``rep``, ``seq``, ``a:b``)."""
    check_size((count,), np.float64, what)

"""What a statement can produce besides a tensor (a ``numpy.ndarray``).

R's length-1 vectors are 1-D arrays of length 1 (R has no scalars, section 2.2.1); NumPy's
scalars are 0-D arrays. R's ``NULL`` is None, R's character values and NumPy's dtypes are
shown as text, R's ``mnist`` (``dataset_mnist()``) is a ``dict``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Raster:
    """R's ``as.raster(digit, max = 255)``: a 2-D tensor meant to be drawn, grey levels 0..max."""

    array: np.ndarray
    max: float = 1.0


@dataclass(frozen=True)
class Plot:
    """What ``plot(as.raster(...))`` or ``plt.imshow(...)`` shows: an image (result kind "image")."""

    array: np.ndarray
    max: float = 255.0


@dataclass(frozen=True)
class Printed:
    """Text a function prints, as R's ``str(x)`` does (`` int [1:90, 1:28, 1:28] 0 0 0 ...``)."""

    text: str


@dataclass(frozen=True)
class Function:
    """A function used as a value (``sweep(x, 2, y, `+`)``, ``sweep(x, c(3, 4), y, pmax)``)."""

    name: str


@dataclass(frozen=True)
class Invisible:
    """Nothing to show (``library(keras)``); ``note`` says why."""

    note: str = ""


@dataclass
class Notes:
    """Things worth knowing about a result, collected while it is computed (recycling, wrap-around)."""

    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)


def r_type(value) -> str:
    """R's ``typeof()``: MNIST's uint8 tensors are R integers (keras gives R an integer array)."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "character"
    if isinstance(value, dict):
        return "list"
    if isinstance(value, Function):
        return "builtin"
    if isinstance(value, np.ndarray):
        return {"b": "logical", "f": "double"}.get(value.dtype.kind, "integer")
    return "list"

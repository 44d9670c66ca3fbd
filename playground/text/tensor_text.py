"""Tensors as one line of text, the way the book inspects them with R's ``str()``.

Section 2.2 of *Deep Learning with R* looks at the MNIST tensors with ``str(train_images)``
(``int [1:60000, 1:28, 1:28] 0 0 0 0 0 0 ...``) and names them by rank: scalars are 0D
tensors, vectors 1D, matrices 2D, and a stack of images is a 3D tensor. ``describe`` gives the
Python view of the same facts::

    x_train: 3D tensor uint8 (60000, 28, 28) 0 0 0 0 0 0 0 0 0 0 ...
    y_train: 1D tensor (vector) uint8 (60000,) 5 0 4 1 9 2 1 3 1 4 ...

Pure (no Qt), so it is tested on its own (tests/playground/test_data_panel.py).
"""
from __future__ import annotations

import numpy as np

FIRST_VALUES = 10


def rank_name(ndim: int) -> str:
    """The book's name for a tensor of this rank (its number of axes)."""
    if ndim == 0:
        return "0D tensor (scalar)"
    if ndim == 1:
        return "1D tensor (vector)"
    if ndim == 2:
        return "2D tensor (matrix)"
    return f"{ndim}D tensor"


def format_shape(shape) -> str:
    """``(60000, 28, 28)``; a 1-tuple keeps Python's trailing comma: ``(60000,)``."""
    return str(tuple(int(n) for n in shape))


def format_value(value) -> str:
    """One element: integers as they are, floats with 4 significant digits."""
    if isinstance(value, (np.floating, float)):
        return f"{float(value):.4g}"
    if isinstance(value, (np.bool_, bool)):
        return "TRUE" if value else "FALSE"
    return str(value)


def first_values(array: np.ndarray, count: int = FIRST_VALUES) -> str:
    """The first ``count`` elements in memory (row-major) order, then ``...`` if there are more."""
    flat = np.asarray(array).reshape(-1)
    text = " ".join(format_value(v) for v in flat[:count])
    return text + (" ..." if flat.size > count else "")


def shape_and_dtype(array: np.ndarray) -> str:
    """What the slice box reports for a result: ``(90, 28, 28) uint8``."""
    array = np.asarray(array)
    return f"{format_shape(array.shape)} {array.dtype}"


def describe(name: str, array: np.ndarray) -> str:
    """One line about a tensor: name, rank, dtype, shape and first values.

    >>> describe("y_train", np.array([5, 0, 4], dtype=np.uint8))
    'y_train: 1D tensor (vector) uint8 (3,) 5 0 4'
    """
    array = np.asarray(array)
    return f"{name}: {rank_name(array.ndim)} {array.dtype} {format_shape(array.shape)} {first_values(array)}".rstrip()


def r_str(array: np.ndarray) -> str:
    """What R's ``str()`` prints for the same tensor: `` int [1:60000, 1:28, 1:28] 0 0 0 ...``."""
    array = np.asarray(array)
    kind = "num" if array.dtype.kind == "f" else "logi" if array.dtype.kind == "b" else "int"
    dims = ", ".join(f"1:{n}" for n in array.shape)
    return f"{kind} [{dims}] {first_values(array, 6)}".rstrip()


def memory_size(array: np.ndarray) -> str:
    """Bytes the tensor occupies, human-sized: ``47.0 MB`` for 60,000 uint8 digits."""
    size = float(np.asarray(array).nbytes)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def values_text(array: np.ndarray, limit: int = 2000, per_line: int = 20) -> str:
    """A 0-D or 1-D result written out in lines of ``per_line`` values (at most ``limit`` values)."""
    flat = np.asarray(array).reshape(-1)
    shown = [format_value(v) for v in flat[:limit]]
    width = max((len(v) for v in shown), default=1)
    lines = [" ".join(v.rjust(width) for v in shown[i : i + per_line]) for i in range(0, len(shown), per_line)]
    if flat.size > limit:
        lines.append(f"... and {flat.size - limit:,} more")
    return "\n".join(lines)

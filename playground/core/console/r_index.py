"""R's indexing, in one place: the console and the Data panel's slice box both use it.

Section 2.2.6 of *Deep Learning with R* selects digits with ``train_images[10:99,,]``. R
counts from 1, a range ``a:b`` includes both ends, an empty position takes the whole
dimension, and (``drop = TRUE``) a dimension left with one element disappears, so
``train_images[5,,]`` is one 28 x 28 digit and ``dim(train_images[10:99,,])`` is 90 28 28. One
position on a tensor of several dimensions counts its elements in column-major order (the
first dimension runs fastest).

Each function turns R positions into what NumPy's ``array[...]`` needs (ints, slices,
integer arrays), so slicing stays a view where it can.
"""
from __future__ import annotations

import numpy as np

from playground.core.console.errors import ConsoleError
from playground.core.console.limits import check_size


def progression_index(start: int, step: int, count: int, size: int):
    """The 0-based progression ``start, start+step, ...`` (``count`` long) as an int or a slice.

    One element is an int (R drops the dimension). Slices use NumPy's own spelling:
    ``x_train[:30]`` rather than ``x_train[0:30]``, no step of 1.
    """
    if count == 1:
        return start
    end = start + (count - 1) * step + (1 if step > 0 else -1)
    if step > 0:
        return slice(start or None, None if end >= size else end, None if step == 1 else step)
    return slice(start, end if end >= 0 else None, step)


def check_bound(position: int, size: int, label: str, axis: int) -> None:
    """R positions run 1..size; ``axis`` -1 means "the elements" (one position on a tensor)."""
    if position == 0:
        raise ConsoleError("R counts from 1: the first element is 1 (train_images[1,,] is x_train[0])")
    if position > size:
        where = f"dimension {axis + 1} of {label}" if axis >= 0 else f"the {size:,} elements of {label}"
        raise ConsoleError(f"Index {position} is out of bounds for {where} (R counts 1..{size:,})")


def range_index(first: int, last: int, step: int | None, size: int, label: str, axis: int):
    """R's ``first:last`` or ``seq(first, last, by = step)`` (1-based, inclusive) on an axis of ``size``."""
    for end in (first, last):
        check_bound(end, size, label, axis)
    start, stop = first - 1, last - 1
    step = step or (1 if stop >= start else -1)
    return progression_index(start, step, abs(stop - start) // abs(step) + 1, size)


def vector_index(values: np.ndarray, size: int, label: str, axis: int):
    """R's positions as a vector (``c(1, 5, 9)``, ``10:99``, ``-1``) on an axis of ``size``.

    Negative positions leave elements out (``x[-1]`` is all but the first); a vector that is
    a progression becomes a slice (a view), any other an integer array.
    """
    values = np.asarray(values)
    if values.dtype.kind == "b":
        if values.size != size:
            raise ConsoleError(f"A TRUE/FALSE index must have one value per element: {values.size} given, "
                               f"{size:,} needed for {label}")
        values = np.flatnonzero(values) + 1
    elif values.dtype.kind == "f":
        if not np.all(np.isfinite(values)) or np.any(values != np.trunc(values)):
            raise ConsoleError(f"Indices must be whole numbers, got {values[values != np.trunc(values)][0]:g}")
    values = values.astype(np.int64).reshape(-1)
    if values.size and values.min() < 0:
        if values.max() > 0:
            raise ConsoleError("R cannot mix positive and negative positions: negatives leave elements out, "
                               "positives pick them (x[-1] is all but the first, x[2:5] picks four)")
        keep = np.ones(size, bool)
        keep[np.clip(-values - 1, 0, size - 1)[-values <= size]] = False
        values = np.flatnonzero(keep) + 1
        if values.size == 0:
            return np.zeros(0, np.int64)
    for end in (values.min(initial=1), values.max(initial=1)):
        check_bound(int(end), size, label, axis)
    if values.size == 0:
        return np.zeros(0, np.int64)
    if values.size == 1:
        return int(values[0] - 1)
    steps = np.diff(values)
    if steps[0] != 0 and np.all(steps == steps[0]):
        return progression_index(int(values[0] - 1), int(steps[0]), values.size, size)
    return values - 1


def dims_error(label: str, ndim: int, name: str) -> ConsoleError:
    commas = "," * (ndim - 1)
    return ConsoleError(f"{label} has {ndim} dimension{'s' if ndim != 1 else ''}: give {ndim} positions "
                        f"separated by commas, e.g. {name}[1:10{commas}] (an empty position takes the whole dimension)")


def outer_take(array: np.ndarray, index: tuple) -> np.ndarray:
    """``array[index]`` with R's meaning when several axes get integer arrays: every combination
    (NumPy's ``np.ix_``), not pairs. Ints drop their axis. Checked for size before it is taken."""
    arrays = [k for k, item in enumerate(index) if isinstance(item, np.ndarray)]
    ints = any(isinstance(item, int) for item in index)
    if not arrays or (len(arrays) == 1 and not ints):  # NumPy's own indexing means the same
        shape = _result_shape(array.shape, index)
        if arrays:
            check_size(shape, array.dtype)
        return array[index]
    check_size(_result_shape(array.shape, index), array.dtype)
    basic = tuple(slice(item, item + 1) if isinstance(item, int) else slice(None) if isinstance(item, np.ndarray)
                  else item for item in index)
    result = array[basic]
    for axis in arrays:
        result = np.take(result, index[axis], axis=axis)
    drop = tuple(k for k, item in enumerate(index) if isinstance(item, int))
    return result.squeeze(axis=drop) if drop else result


def _result_shape(shape, index) -> tuple[int, ...]:
    out = []
    for item, size in zip(index, shape):
        if isinstance(item, slice):
            out.append(len(range(*item.indices(size))))
        elif isinstance(item, np.ndarray):
            out.append(item.size)
    return tuple(out)


def linear_coordinates(index, array: np.ndarray):
    """R's one position on a tensor of several dimensions: coordinates of those elements in
    column-major order (``np.unravel_index(..., order="F")``), and the flat positions."""
    positions = np.arange(array.size)[index] if isinstance(index, slice) else np.atleast_1d(index)
    check_size(positions.shape, np.int64, "That index")
    return np.unravel_index(positions, array.shape, order="F"), positions


def subset(array: np.ndarray, positions: list, label: str, name: str):
    """``array[positions]`` as R does it. Each position is an R vector of positions or None (empty).

    Returns ``(result, index, linear)``: ``index`` is NumPy's index tuple for the same
    selection (when ``linear`` is False), or the flat index into ``array`` in column-major
    order (when ``linear`` is True).
    """
    if len(positions) == 1 and (positions[0] is None or array.ndim <= 1):
        if positions[0] is None:
            return array, (), False
        if array.ndim == 0:
            array = array.reshape(1)
        index = (vector_index(positions[0], array.shape[0], label, 0 if array.ndim else -1),)
        return outer_take(array, index), index, False
    if len(positions) == 1:
        flat = vector_index(positions[0], array.size, label, -1)
        coords, _ = linear_coordinates(flat, array)
        return array[coords], flat, True
    if len(positions) != array.ndim:
        raise dims_error(label, array.ndim, name)
    index = tuple(slice(None) if values is None and size != 1 else 0 if values is None
                  else vector_index(values, size, label, axis)
                  for axis, (values, size) in enumerate(zip(positions, array.shape)))
    return outer_take(array, index), index, False


def numpy_index_text(index: tuple) -> str:
    """``(slice(9, 99), slice(None), slice(None))`` -> ``9:99`` (full slices at the end dropped)."""
    parts = []
    for item in index:
        if isinstance(item, slice):
            start = "" if item.start is None else str(item.start)
            stop = "" if item.stop is None else str(item.stop)
            parts.append(f"{start}:{stop}" + (f":{item.step}" if item.step not in (None, 1) else ""))
        elif isinstance(item, np.ndarray):
            parts.append("[" + ", ".join(str(int(v)) for v in item[:20]) + (", ..." if item.size > 20 else "") + "]")
        else:
            parts.append(str(item))
    while parts and parts[-1] == ":":
        parts.pop()
    return ", ".join(parts)


def r_position_text(item, size: int) -> str:
    """NumPy's index on an axis of ``size`` written as R's position (1-based, inclusive).

    ``slice(9, 99)`` -> ``10:99``; ``4`` -> ``5``; the whole axis -> ``""`` (an empty position);
    None when R has no short form (an empty range).
    """
    if isinstance(item, (int, np.integer)):
        return str(int(item) % size + 1)
    if isinstance(item, np.ndarray):
        values = [str(int(v) % size + 1) for v in item]
        return f"c({', '.join(values)})" if len(values) <= 20 else None
    start, stop, step = item.indices(size)
    count = len(range(start, stop, step))
    if count == 0:
        return None
    last = start + (count - 1) * step
    if step == 1 and start == 0 and count == size:
        return ""
    if step == 1:
        return f"{start + 1}:{last + 1}"
    return f"seq({start + 1}, {last + 1}, by = {step})"


def r_index_text(r_name: str, index: tuple, shape: tuple) -> str | None:
    """A full NumPy index on a tensor of ``shape`` as R brackets in the book's style:
    ``train_images[10:99,,]`` (None when R has no short form)."""
    index = tuple(index) + (slice(None),) * (len(shape) - len(index))
    parts = [r_position_text(item, size) for item, size in zip(index, shape)]
    if any(part is None for part in parts):
        return None
    if not any(parts):
        return r_name
    used = max(i for i, part in enumerate(parts) if part) + 1
    return f"{r_name}[{', '.join(parts[:used])}{',' * (len(parts) - used)}]"


def expand_ellipsis(index: tuple, ndim: int) -> tuple:
    explicit = len(index) - sum(item is Ellipsis for item in index)
    if any(item is Ellipsis for item in index):
        at = next(k for k, item in enumerate(index) if item is Ellipsis)
        index = index[:at] + (slice(None),) * (ndim - explicit) + index[at + 1:]
    return index

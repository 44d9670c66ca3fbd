"""Tensor slicing as the learner types it: ``x_train[9:99]``, ``x_train[:, 14:, 14:]``...

Section 2.2.6 of *Deep Learning with R* ("Manipulating tensors") selects digits and crops them
with R's subsetting. The Data panel lets the learner do the same with NumPy's slicing on the
four MNIST tensors. The text is parsed SAFELY: ``ast.parse(mode="eval")`` and a walk that
accepts only names, subscripts, integer constants (optionally negated), slices, tuples and
``...``. Nothing the learner types is ever executed, and every mistake becomes a
``SliceError`` whose message says what went wrong in plain words.

R is 1-based and its ranges include both ends, Python is 0-based and stops before the end,
so R's ``train_images[10:99,,]`` is NumPy's ``x_train[9:99]``; ``to_r`` writes that
translation. The batch helpers at the bottom are section 2.2.7's "data batches":
batch ``k`` of size ``b`` is ``x_train[b*k : b*(k+1)]``.

No Qt here: this module is pure and tested on its own (tests/playground/test_slicing.py).
"""
from __future__ import annotations

import ast

import numpy as np

MAX_EXPRESSION_LENGTH = 200

#: The book's R names for the four tensors (``train_images <- mnist$train$x`` ...).
R_NAMES = {"x_train": "train_images", "y_train": "train_labels", "x_test": "test_images", "y_test": "test_labels"}


class SliceError(ValueError):
    """A slicing expression that cannot be evaluated; ``str(error)`` is meant for the learner."""


# ----- parsing: text -> (name, [index tuple, ...]) ----------------------------------------------
def parse_slice(expr: str) -> tuple[str, list[tuple]]:
    """Parse ``name[...][...]`` into the tensor name and one index tuple per pair of brackets.

    Each index tuple holds ints, ``slice`` objects and ``Ellipsis``, exactly what NumPy's
    ``array[...]`` receives. Raises ``SliceError`` for anything else (calls, arithmetic,
    floats, strings, attribute access, ...).
    """
    text = (expr or "").strip()
    if not text:
        raise SliceError("Type an expression such as x_train[4] or x_train[9:99]")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise SliceError(f"That expression is too long (over {MAX_EXPRESSION_LENGTH} characters)")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise SliceError(f"Syntax error{where}: check the brackets, colons and commas") from None
    node = tree.body
    indexes: list[tuple] = []
    while isinstance(node, ast.Subscript):
        indexes.append(_index_tuple(node.slice))
        node = node.value
    if not isinstance(node, ast.Name):
        raise SliceError("Start with a tensor name, e.g. x_train[4] (only names and [...] are allowed)")
    return node.id, indexes[::-1]


def _index_tuple(node: ast.AST) -> tuple:
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    return tuple(_index_item(item) for item in items)


def _index_item(node: ast.AST):
    if isinstance(node, ast.Slice):
        parts = [None if part is None else _integer(part) for part in (node.lower, node.upper, node.step)]
        if parts[2] == 0:
            raise SliceError("A slice step cannot be zero (x_train[::0] goes nowhere)")
        return slice(*parts)
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return Ellipsis
    return _integer(node)


def _integer(node: ast.AST) -> int:
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    if isinstance(node, ast.Constant):
        raise SliceError(f"Indices must be whole numbers, got {node.value!r}")
    if isinstance(node, ast.Name):
        raise SliceError(f"Indices must be whole numbers, not names like {node.id!r}")
    if isinstance(node, (ast.Tuple, ast.List)):
        raise SliceError("Lists of indices (fancy indexing) are not supported here: use ranges like 9:99")
    raise SliceError("Only whole numbers, ranges (a:b:step) and ... may go inside the brackets")


# ----- checking and evaluating ------------------------------------------------------------------
def _check_index(index: tuple, shape: tuple[int, ...], label: str) -> None:
    """Raise ``SliceError`` where NumPy would raise (or, for step 0, already did in parsing)."""
    if index.count(Ellipsis) > 1:
        raise SliceError("Use ... at most once inside one pair of brackets")
    explicit = len(index) - index.count(Ellipsis)
    if explicit > len(shape):
        dims = "a scalar" if not shape else f"{len(shape)}D {tuple(shape)}"
        raise SliceError(f"Too many indices: {label} is {dims} but {explicit} were given")
    if Ellipsis in index:
        at = index.index(Ellipsis)
        fill = (slice(None),) * (len(shape) - explicit)
        index = index[:at] + fill + index[at + 1 :]
    for axis, (item, size) in enumerate(zip(index, shape)):
        if isinstance(item, int) and not -size <= item < size:
            valid = f"0..{size - 1} or -{size}..-1" if size else "none: the axis is empty"
            raise SliceError(f"Index {item} is out of range for axis {axis} of {label} (size {size}; valid {valid})")


def evaluate_slice(expr: str, tensors: dict[str, np.ndarray]) -> tuple[str, np.ndarray]:
    """Evaluate ``expr`` on the named tensors and return ``(name, result)``.

    ``result`` is a NumPy view (slicing never copies) or, when every axis got an integer,
    a 0-d array. Raises ``SliceError`` with a learner-friendly message for an unknown name,
    a syntax error, an index out of range, too many indices, a non-integer or a zero step.
    """
    name, indexes = parse_slice(expr)
    if name not in tensors:
        known = ", ".join(tensors) or "none loaded"
        raise SliceError(f"Unknown tensor {name!r}: use one of {known}")
    result = np.asarray(tensors[name])
    label = name
    for index in indexes:
        _check_index(index, result.shape, label)
        result = np.asarray(result[index])
        label = "the result so far"
    return name, result


def sample_ids(expr: str, tensors: dict[str, np.ndarray]) -> np.ndarray:
    """For each element of ``evaluate_slice(expr, tensors)``, the sample (axis-0 row) it came from.

    The trick: evaluate the same expression on a broadcast array of row numbers shaped like
    the tensor (``np.broadcast_to``: no memory). The Data panel uses it to caption digits
    with their index and label.
    """
    name, _ = parse_slice(expr)
    tensor = np.asarray(tensors[name]) if name in tensors else None
    if tensor is None or tensor.ndim == 0:
        raise SliceError(f"Unknown tensor {name!r}")
    rows = np.arange(len(tensor)).reshape((-1,) + (1,) * (tensor.ndim - 1))
    return evaluate_slice(expr, {name: np.broadcast_to(rows, tensor.shape)})[1]


# ----- the R translation ------------------------------------------------------------------------
def to_r(expr: str, tensors: dict[str, np.ndarray]) -> str | None:
    """The same selection in the book's R (1-based, inclusive), or None when R has no short form.

    ``x_train[9:99]`` -> ``train_images[10:99,,]``; ``x_train[:, 14:, 14:]`` ->
    ``train_images[, 15:28, 15:28]``; ``y_train[-1]`` -> ``train_labels[60000]``.
    Chained brackets and empty or reversed ranges have no simple R form.
    """
    try:
        name, indexes = parse_slice(expr)
        shape = np.asarray(tensors[name]).shape
        if len(indexes) > 1:
            return None
        index = indexes[0] if indexes else ()
        _check_index(index, shape, name)
    except (SliceError, KeyError):
        return None
    explicit = len(index) - index.count(Ellipsis)
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (len(shape) - explicit) + index[at + 1 :]
    index = index + (slice(None),) * (len(shape) - len(index))
    parts = []
    for item, size in zip(index, shape):
        if isinstance(item, int):
            parts.append(str(item % size + 1))
            continue
        start, stop, step = item.indices(size)
        count = len(range(start, stop, step))
        if count == 0:
            return None
        last = start + (count - 1) * step
        if step == 1 and start == 0 and count == size:
            parts.append("")
        elif step == 1:
            parts.append(f"{start + 1}:{last + 1}")
        else:
            parts.append(f"seq({start + 1}, {last + 1}, by = {step})")
    r_name = R_NAMES.get(name, name)
    if not any(parts):
        return r_name
    used = max(i for i, part in enumerate(parts) if part) + 1  # book style: train_images[10:99,,]
    return f"{r_name}[{', '.join(parts[:used])}{',' * (len(parts) - used)}]"


# ----- data batches (section 2.2.7) -------------------------------------------------------------
def batch_count(n: int, batch_size: int) -> int:
    """How many batches of ``batch_size`` cover ``n`` samples (the last may be short)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    return -(-n // batch_size)


def batch_range(n: int, batch_size: int, k: int) -> tuple[int, int]:
    """``(start, stop)`` of batch ``k`` (0-based): ``x[start:stop]`` is ``x[b*k : b*(k+1)]`` clipped to n."""
    count = batch_count(n, batch_size)
    if not 0 <= k < count:
        raise ValueError(f"batch {k} does not exist: {n} samples make batches 0..{count - 1}")
    start = k * batch_size
    return start, min(start + batch_size, n)


def describe_batch(name: str, n: int, batch_size: int, k: int) -> str:
    """``batch 3 = samples 384..511 of x_train (128 digits)``, saying when the last batch is short."""
    start, stop = batch_range(n, batch_size, k)
    size = stop - start
    short = f": the last batch is short, {n:,} − {start:,} = {size}" if size < batch_size else ""
    return f"batch {k} = samples {start:,}..{stop - 1:,} of {name} ({size} digit{'s' if size != 1 else ''}{short})"

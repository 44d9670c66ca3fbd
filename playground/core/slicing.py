"""Tensor slicing as the learner types it, in NumPy or in the book's R (the Data panel's slice box).

Section 2.2.6 of *Deep Learning with R* ("Manipulating tensors") selects digits and crops them
with R's subsetting: ``train_images[10:99,,]``, ``train_images[, 15:28, 15:28]``. The slice box
takes that R, on the book's names (``train_images``, ``train_labels``, ``test_images``,
``test_labels``), and NumPy's slicing on Keras's names (``x_train[9:99]``), and shows each in
the other language (``select``).

The box shares the tensor console's parser (``playground.core.console``: ``parse_r``,
``parse_numpy``) and its one place that knows R's indexing (``playground.core.console.r_index``).
What this module adds is the box's narrower rule: a selection only, ``name[...][...]`` with
whole numbers, ranges (``a:b``, ``seq(a, b, by = s)``; NumPy's ``a:b:step``), empty positions
and ``...``, each mistake a ``SliceError`` in plain words. Nothing is ever executed.

R is 1-based, its ranges include both ends and an empty position takes the whole dimension,
so R's ``train_images[10:99,,]`` is NumPy's ``x_train[9:99]``. As in R, a position that keeps
a single element drops its dimension (``train_images[5:5,,]`` is one 28 x 28 digit), and a
single index on a tensor of several dimensions counts its elements in column-major order
(``train_images[10:99]`` is the top-left pixel of digits 10 to 99). The batch helpers at the
bottom are section 2.2.7's "data batches": batch ``k`` of size ``b`` is ``x_train[b*k : b*(k+1)]``.

No Qt here: this module is pure and tested on its own (tests/playground/test_slicing.py).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from playground.core.console import nodes as n
from playground.core.console import r_index
from playground.core.console.environment import NUMPY_NAMES, R_NAMES
from playground.core.console.errors import ConsoleError
from playground.core.console.numpy_parser import parse_numpy
from playground.core.console.r_parser import parse_r

__all__ = ["MAX_EXPRESSION_LENGTH", "NUMPY_NAMES", "R_NAMES", "RRange", "Selection", "SliceError", "batch_count",
           "batch_range", "describe_batch", "evaluate_slice", "parse_slice", "sample_ids", "select", "to_r"]

MAX_EXPRESSION_LENGTH = 200
MAX_LINEAR = 1_000_000  # elements one R index on a whole tensor may pick (each needs its coordinates)
QUOTE = "'"
START_WITH_A_NAME = "Start with a tensor name, e.g. x_train[4] (only names and [...] are allowed)"


class SliceError(ValueError):
    """A slicing expression that cannot be evaluated; ``str(error)`` is meant for the learner."""


@contextmanager
def _as_slice_error():
    """The console's errors (R's bounds, "R counts from 1" ...) reach the box as ``SliceError``."""
    try:
        yield
    except ConsoleError as exc:
        raise SliceError(str(exc)) from None


# ----- NumPy: text -> (name, [index tuple, ...]) -------------------------------------------------
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
        node = parse_numpy(text)
    except ConsoleError as exc:
        if exc.kind == "attribute":
            raise SliceError(START_WITH_A_NAME) from None
        where = f" at column {exc.column}" if exc.column else ""
        if re.search(r"\[\s*,|,\s*,|,\s*\]", text):
            raise SliceError(f"Syntax error{where}: empty positions like [10:99,,] are R, which uses the book's "
                             "names: train_images[10:99,,] in R is x_train[9:99] in NumPy") from None
        raise SliceError(f"Syntax error{where}: check the brackets, colons and commas") from None
    indexes: list[tuple] = []
    while isinstance(node, n.Index):
        indexes.append(tuple(_index_item(item) for item in node.items))
        node = node.target
    if not isinstance(node, n.Name):
        raise SliceError(START_WITH_A_NAME)
    return node.id, indexes[::-1]


def _index_item(node: n.Node):
    if isinstance(node, n.Slice):
        parts = [None if part is None else _integer(part) for part in (node.start, node.stop, node.step)]
        if parts[2] == 0:
            raise SliceError("A slice step cannot be zero (x_train[::0] goes nowhere)")
        return slice(*parts)
    if isinstance(node, n.EllipsisNode):
        return Ellipsis
    return _integer(node)


def _integer(node: n.Node) -> int:
    sign = 1
    while isinstance(node, n.Unary):
        sign = -sign if node.op == "-" else sign
        node = node.operand
    if isinstance(node, n.Num) and type(node.value) is int:
        return sign * node.value
    if isinstance(node, n.Num):
        raise SliceError(f"Indices must be whole numbers, got {node.value!r}")
    if isinstance(node, n.Str):
        raise SliceError(f"Indices must be whole numbers, got {node.value!r}")
    if isinstance(node, n.Name):
        raise SliceError(f"Indices must be whole numbers, not names like {node.id!r}")
    if isinstance(node, n.Sequence):
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
    for axis, (item, size) in enumerate(zip(r_index.expand_ellipsis(index, len(shape)), shape)):
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
        if not tensors:
            raise SliceError(f"Unknown tensor {name!r}: no dataset is loaded")
        known, book = ", ".join(tensors), ", ".join(R_NAMES[n] for n in tensors if n in R_NAMES)
        raise SliceError(f"Unknown tensor {name!r}: use one of {known} (NumPy), or the book's {book} (R)")
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
    return r_index.r_index_text(R_NAMES.get(name, name), r_index.expand_ellipsis(index, len(shape)), shape)


# ----- the book's R: train_images[10:99,,] --------------------------------------------------------
#: the book's other spelling of the four tensors: mnist$train$x is train_images
_R_DOLLAR = re.compile(r"^\s*mnist\s*\$\s*(train|test)\s*\$\s*([xy])\b")


@dataclass(frozen=True)
class RRange:
    """One R position: empty (``None`` start), ``k``, ``a:b`` or ``seq(a, b, by = s)`` (1-based, inclusive)."""

    start: int | None = None
    stop: int | None = None
    step: int | None = None  # only for seq(); a:b steps by 1 or -1

    @property
    def empty(self) -> bool:
        return self.start is None


def _parse_r(text: str) -> tuple[str, list[tuple[RRange, ...]]]:
    """``name[pos, pos, ...][...]`` through the console's R parser, narrowed to what the box takes."""
    with _as_slice_error():
        node = parse_r(text)
    if isinstance(node, n.BinOp):
        raise SliceError(f"R syntax: unexpected {node.op!r} at column {node.op_column}")
    brackets = []
    while isinstance(node, n.Index):
        brackets.append(tuple(_position(item) for item in node.items))
        node = node.target
    if not isinstance(node, n.Name):
        raise SliceError("The slice box only selects: write a name and brackets, e.g. train_images[10:99,,] "
                         "(the Console runs any R)")
    return node.id, brackets[::-1]


def _position(node: n.Node) -> RRange:
    if isinstance(node, n.Empty):
        return RRange()
    if isinstance(node, n.BinOp) and node.op == ":":
        return RRange(_whole(node.left), _whole(node.right))
    if isinstance(node, n.Call) and node.func == n.Name("seq"):
        return _seq(node)
    if isinstance(node, n.Call) and node.func == n.Name("c"):
        raise SliceError("c(...) picks a list of positions, which this box does not take: use a range like 10:99")
    if isinstance(node, n.Call):
        quoted = _first_string(node)
        if quoted is not None:
            raise SliceError(f"R syntax: unexpected {QUOTE!r} at column {quoted.column}")
        name = node.func.id if isinstance(node.func, n.Name) else "that"
        raise SliceError(f"Only whole numbers, ranges like 10:99 and seq(11, 99, by = 2) may go inside the "
                         f"brackets, not names like {name!r}")
    value = _whole(node)
    return RRange(value, value)


def _first_string(node: n.Node) -> n.Str | None:
    if isinstance(node, n.Str):
        return node
    if isinstance(node, n.Call):
        found = [s for s in (_first_string(arg.value) for arg in node.args) if s is not None]
        return min(found, key=lambda s: s.column) if found else None
    return None


def _whole(node: n.Node, sign_allowed: bool = False) -> int:
    if isinstance(node, n.Unary) and node.op == "-" and not sign_allowed:
        raise SliceError("In R a negative index leaves elements out (train_images[-1,,] is every digit but the "
                         "first); this box does not take that: write the range you want, e.g. 2:60000")
    if isinstance(node, n.Unary):
        return (-1 if node.op == "-" else 1) * _whole(node.operand)
    if isinstance(node, n.Num) and not isinstance(node.value, bool):
        if float(node.value).is_integer() and "." not in node.text and "e" not in node.text.lower():
            return int(node.value)
        raise SliceError(f"Indices must be whole numbers, got {node.text}")
    if isinstance(node, n.Name):
        raise SliceError(f"Only whole numbers, ranges like 10:99 and seq(11, 99, by = 2) may go inside the "
                         f"brackets, not names like {node.id!r}")
    if isinstance(node, n.Str):
        raise SliceError(f"R syntax: unexpected {QUOTE!r} at column {node.column}")
    raise SliceError("R syntax: only whole numbers, ranges like 10:99 and seq(11, 99, by = 2) may go inside the brackets")


def _seq(node: n.Call) -> RRange:
    positional = [arg.value for arg in node.args if arg.name is None]
    named = {arg.name: arg.value for arg in node.args if arg.name is not None}
    if set(named) - {"by"} or len(positional) + len(named) not in (2, 3) or len(positional) < 2:
        raise SliceError("R syntax: seq() takes from, to and by = step here")
    start, stop = _whole(positional[0]), _whole(positional[1])
    by = named.get("by", positional[2] if len(positional) > 2 else None)
    step = _whole(by, sign_allowed=True) if by is not None else (1 if stop >= start else -1)
    if step == 0 or (stop - start) * step < 0:
        raise SliceError(f"seq({start}, {stop}, by = {step}) goes nowhere: the step must lead from {start} to {stop}")
    return RRange(start, stop, step)


def _r_index(position: RRange, size: int, label: str, axis: int):
    """One R position as NumPy's index on an axis of ``size``: an int (dropping it), a slice, or ``slice(None)``."""
    if position.empty:
        return slice(None) if size != 1 else 0  # R drops a dimension of extent 1
    with _as_slice_error():
        return r_index.range_index(position.start, position.stop, position.step, size, label, axis)


def _linear_r(position: RRange, array: np.ndarray, label: str):
    """R's single index on a tensor of several dimensions: its elements in column-major order."""
    index = _r_index(position, array.size, label, -1)
    count = len(range(*index.indices(array.size))) if isinstance(index, slice) else 1
    if count > MAX_LINEAR:
        raise SliceError(f"That picks {count:,} single values; the box takes at most {MAX_LINEAR:,} "
                         "this way. For whole digits give every dimension, e.g. train_images[10:99,,]")
    with _as_slice_error():
        coords, positions = r_index.linear_coordinates(index, array)
    return coords, index, positions


@dataclass
class Selection:
    """What the slice box shows for one expression, in either language."""

    name: str  # Keras's name of the tensor (x_train ...), whatever the language typed
    result: np.ndarray
    ids: np.ndarray  # for each element of result, the sample (row of the tensor) it came from
    language: str  # "R" or "NumPy": the language that was typed
    other_form: str | None  # the same selection in the other language, when it has a short form
    note: str = ""  # something worth knowing about the selection (R's column-major single index)


def _select_r(expr: str, tensors: dict[str, np.ndarray]) -> Selection:
    r_name, brackets = _parse_r(expr)
    name = NUMPY_NAMES[r_name]
    if name not in tensors:
        raise SliceError(f"{r_name} is not loaded: open a dataset first")
    result = np.asarray(tensors[name])
    rows = np.arange(len(result)).reshape((-1,) + (1,) * (result.ndim - 1)) if result.ndim else np.zeros((), int)
    ids = np.broadcast_to(rows, result.shape)
    steps: list | None = []  # what NumPy needs for the same selection; None when it has no short form
    note, label = "", r_name
    for positions in brackets:
        if result.ndim == 0:
            raise SliceError(f"{label} is a single value: there is nothing left to index")
        if len(positions) == 1 and result.ndim > 1 and not positions[0].empty:
            coords, index, flat = _linear_r(positions[0], result, label)
            result, ids = result[coords], ids[coords]
            if not isinstance(index, slice):  # one element: R's vector of length 1 is a single value
                result, ids = result[0], ids[0]
            steps = [("linear", index, flat)] if steps == [] else None
            note = ("One index on a tensor of several dimensions counts its elements in R's column-major order "
                    f"(the first dimension runs fastest); for whole digits write {r_name}[10:99,,].")
        else:
            if len(positions) == 1 and positions[0].empty:
                positions = (RRange(),) * result.ndim
            if len(positions) != result.ndim:
                raise SliceError(str(r_index.dims_error(label, result.ndim, r_name)))
            index = tuple(_r_index(pos, size, label, axis)
                          for axis, (pos, size) in enumerate(zip(positions, result.shape)))
            result, ids = result[index], ids[index]
            steps = steps + [("index", index)] if steps is not None and all(k == "index" for k, *_ in steps) else None
        label = "the result so far"
    return Selection(name, np.asarray(result), np.asarray(ids), "R", _numpy_form(name, steps, tensors), note)


def _numpy_form(name: str, steps: list | None, tensors: dict[str, np.ndarray]) -> str | None:
    """The NumPy text of what the R selected (None when NumPy has no short form for it)."""
    if steps is None:
        return None
    if steps and steps[0][0] == "linear":
        _, index, flat = steps[0]
        shape = np.asarray(tensors[name]).shape
        where = r_index.numpy_index_text((index,))
        if flat.size and flat.max() < shape[0]:  # all in the first column: one pixel of several digits
            return f"{name}[{where}{', 0' * (len(shape) - 1)}]"
        return f'{name}.ravel(order="F")[{where}]'
    texts = (r_index.numpy_index_text(index) for _, index in steps)
    return name + "".join(f"[{text}]" for text in texts if text)


def select(expr: str, tensors: dict[str, np.ndarray]) -> Selection:
    """Evaluate ``expr``, typed in R (the book's names) or NumPy (Keras's names), on the tensors.

    Raises ``SliceError`` with a message for the learner; nothing is ever executed.
    """
    text = (expr or "").strip()
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise SliceError(f"That expression is too long (over {MAX_EXPRESSION_LENGTH} characters)")
    text = _R_DOLLAR.sub(lambda m: f"{m.group(1)}_{'images' if m.group(2) == 'x' else 'labels'}", text)
    head = re.match(r"[A-Za-z_.][A-Za-z0-9_.]*", text)
    if head and head.group() in NUMPY_NAMES:
        return _select_r(text, tensors)
    name, result = evaluate_slice(text, tensors)
    return Selection(name, result, sample_ids(text, tensors), "NumPy", to_r(text, tensors))


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
    short = f": the last batch is short, {n:,} − {start:,} = {size:,}" if size < batch_size else ""
    return f"batch {k} = samples {start:,}..{stop - 1:,} of {name} ({size:,} digit{'s' if size != 1 else ''}{short})"

"""Tensor slicing as the learner types it, in NumPy or in the book's R.

Section 2.2.6 of *Deep Learning with R* ("Manipulating tensors") selects digits and crops them
with R's subsetting: ``train_images[10:99,,]``, ``train_images[, 15:28, 15:28]``. The Data
panel's slice box takes that R, on the book's names (``train_images``, ``train_labels``,
``test_images``, ``test_labels``), and NumPy's slicing on Keras's names (``x_train[9:99]``),
and shows each in the other language (``select``).

Neither is ever executed. NumPy text goes through ``ast.parse(mode="eval")`` and a walk that
accepts only names, subscripts, integer constants (optionally negated), slices, tuples and
``...``; R text through a small tokenizer that accepts only a name, brackets, whole numbers,
``a:b``, ``seq(a, b, by = s)`` and empty positions. Every mistake becomes a ``SliceError``
whose message says what went wrong in plain words.

R is 1-based, its ranges include both ends and an empty position takes the whole dimension,
so R's ``train_images[10:99,,]`` is NumPy's ``x_train[9:99]``. As in R, a position that keeps
a single element drops its dimension (``train_images[5:5,,]`` is one 28 x 28 digit), and a
single index on a tensor of several dimensions counts its elements in column-major order
(``train_images[10:99]`` is the top-left pixel of digits 10 to 99). The batch helpers at the
bottom are section 2.2.7's "data batches": batch ``k`` of size ``b`` is ``x_train[b*k : b*(k+1)]``.

No Qt here: this module is pure and tested on its own (tests/playground/test_slicing.py).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import numpy as np

MAX_EXPRESSION_LENGTH = 200
MAX_LINEAR = 1_000_000  # elements one R index on a whole tensor may pick (each needs its coordinates)

#: The book's R names for the four tensors (``train_images <- mnist$train$x`` ...).
R_NAMES = {"x_train": "train_images", "y_train": "train_labels", "x_test": "test_images", "y_test": "test_labels"}
NUMPY_NAMES = {r: numpy for numpy, r in R_NAMES.items()}


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
        if re.search(r"\[\s*,|,\s*,|,\s*\]", text):
            raise SliceError(f"Syntax error{where}: empty positions like [10:99,,] are R, which uses the book's "
                             "names: train_images[10:99,,] in R is x_train[9:99] in NumPy") from None
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


# ----- the book's R: train_images[10:99,,] --------------------------------------------------------
_R_TOKEN = re.compile(r"\s*(?:(?P<float>\d*\.\d+|\d+\.)|(?P<int>\d+)|(?P<name>[A-Za-z_.][A-Za-z0-9_.]*)"
                       r"|(?P<sym>[\[\],:()=-]))")
#: the book's other spelling of the four tensors: mnist$train$x is train_images
_R_DOLLAR = re.compile(r"^\s*mnist\s*\$\s*(train|test)\s*\$\s*([xy])\b")


def _r_tokens(text: str) -> list[tuple[str, str, int]]:
    """``(kind, text, column)`` for each token: kind is ``int``, ``name`` or the symbol itself."""
    tokens, at = [], 0
    while at < len(text):
        match = _R_TOKEN.match(text, at)
        if match is None or match.end() == at:
            if text[at:].strip() == "":
                break
            column = at + len(text[at:]) - len(text[at:].lstrip()) + 1
            raise SliceError(f"R syntax: unexpected {text[column - 1]!r} at column {column}")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "float":
            raise SliceError(f"Indices must be whole numbers, got {value}")
        tokens.append((value if kind == "sym" else kind, value, match.start(kind) + 1))
        at = match.end()
    return tokens


@dataclass(frozen=True)
class RRange:
    """One R position: empty (``None`` start), ``k``, ``a:b`` or ``seq(a, b, by = s)`` (1-based, inclusive)."""

    start: int | None = None
    stop: int | None = None
    step: int | None = None  # only for seq(); a:b steps by 1 or -1

    @property
    def empty(self) -> bool:
        return self.start is None


class _RParser:
    """Recursive descent over ``name[pos, pos, ...][...]``; positions are ``RRange``s."""

    def __init__(self, text: str):
        self.tokens = _r_tokens(text)
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def take(self, kind: str, what: str) -> tuple[str, str, int]:
        if self.peek() != kind:
            found = f"{self.tokens[self.at][1]!r} at column {self.tokens[self.at][2]}" if self.peek() else "the end"
            raise SliceError(f"R syntax: expected {what}, found {found}")
        self.at += 1
        return self.tokens[self.at - 1]

    def parse(self) -> tuple[str, list[tuple[RRange, ...]]]:
        name = self.take("name", "a tensor name such as train_images")[1]
        brackets = []
        while self.peek() == "[":
            self.take("[", "[")
            positions = [self.position()]
            while self.peek() == ",":
                self.take(",", ",")
                positions.append(self.position())
            self.take("]", "a comma or ]")
            brackets.append(tuple(positions))
        if self.peek() is not None:
            raise SliceError(f"R syntax: unexpected {self.tokens[self.at][1]!r} at column {self.tokens[self.at][2]}")
        return name, brackets

    def position(self) -> RRange:
        kind = self.peek()
        if kind is None:
            raise SliceError("R syntax: a ] is missing at the end")
        if kind in (",", "]"):
            return RRange()
        if kind == "name" and self.tokens[self.at][1] == "seq":
            return self.seq()
        if kind == "name" and self.tokens[self.at][1] == "c":
            raise SliceError("c(...) picks a list of positions, which this box does not take: use a range like 10:99")
        if kind == "name":
            raise SliceError(f"Only whole numbers, ranges like 10:99 and seq(11, 99, by = 2) may go inside the "
                             f"brackets, not names like {self.tokens[self.at][1]!r}")
        if kind == ":":
            raise SliceError("R syntax: ':' needs a number on each side, e.g. 10:99 "
                             "(an empty position, as in train_images[10:99,,], takes the whole dimension)")
        start = self.number()
        if self.peek() == ":":
            self.take(":", ":")
            return RRange(start, self.number())
        return RRange(start, start)

    def seq(self) -> RRange:
        self.take("name", "seq")
        self.take("(", "( after seq")
        start = self.number()
        self.take(",", "a comma in seq(from, to, by = step)")
        stop = self.number()
        step = 1 if stop >= start else -1
        if self.peek() == ",":
            self.take(",", ",")
            if self.peek() == "name":
                if self.take("name", "by")[1] != "by":
                    raise SliceError("R syntax: seq() takes from, to and by = step here")
                self.take("=", "= after by")
            sign = -1 if self.peek() == "-" else 1
            self.at += self.peek() == "-"
            step = sign * self.number()
        self.take(")", ") to close seq(")
        if step == 0 or (stop - start) * step < 0:
            raise SliceError(f"seq({start}, {stop}, by = {step}) goes nowhere: the step must lead from {start} to {stop}")
        return RRange(start, stop, step)

    def number(self) -> int:
        if self.peek() == "-":
            raise SliceError("In R a negative index leaves elements out (train_images[-1,,] is every digit but the "
                             "first); this box does not take that: write the range you want, e.g. 2:60000")
        return int(self.take("int", "a whole number")[1])


def _r_index(position: RRange, size: int, label: str, axis: int):
    """One R position as NumPy's index on an axis of ``size``: an int (dropping it), a slice, or ``slice(None)``."""
    if position.empty:
        return slice(None) if size != 1 else 0  # R drops a dimension of extent 1
    ends = (position.start, position.stop)
    for end in ends:
        if end == 0:
            raise SliceError("R counts from 1: the first element is 1 (train_images[1,,] is x_train[0])")
        if end > size:
            where = f"dimension {axis + 1} of {label}" if axis >= 0 else f"the {size:,} elements of {label}"
            raise SliceError(f"Index {end} is out of bounds for {where} (R counts 1..{size:,})")
    start, stop = position.start - 1, position.stop - 1  # 0-based, inclusive
    step = position.step or (1 if stop >= start else -1)
    count = abs(stop - start) // abs(step) + 1
    if count == 1:
        return start
    end = start + (count - 1) * step + (1 if step > 0 else -1)
    if step > 0:  # NumPy's spelling: x_train[:30] rather than x_train[0:30]
        return slice(start or None, None if end >= size else end, None if step == 1 else step)
    return slice(start, end if end >= 0 else None, step)


def _numpy_index_text(index: tuple) -> str:
    """``(slice(9, 99), slice(None), slice(None))`` -> ``9:99`` (full slices at the end dropped)."""
    parts = []
    for item in index:
        if isinstance(item, slice):
            start = "" if item.start is None else str(item.start)
            stop = "" if item.stop is None else str(item.stop)
            parts.append(f"{start}:{stop}" + (f":{item.step}" if item.step not in (None, 1) else ""))
        else:
            parts.append(str(item))
    while parts and parts[-1] == ":":
        parts.pop()
    return ", ".join(parts)


def _linear_r(position: RRange, array: np.ndarray, label: str):
    """R's single index on a tensor of several dimensions: its elements in column-major order."""
    index = _r_index(position, array.size, label, -1)
    positions = np.arange(array.size)[index] if isinstance(index, slice) else np.array([index])
    if positions.size > MAX_LINEAR:
        raise SliceError(f"That picks {positions.size:,} single values; the box takes at most {MAX_LINEAR:,} "
                         "this way. For whole digits give every dimension, e.g. train_images[10:99,,]")
    coords = np.unravel_index(positions, array.shape, order="F")
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
    r_name, brackets = _RParser(expr).parse()
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
                commas = "," * (result.ndim - 1)
                raise SliceError(f"{label} has {result.ndim} dimension{'s' if result.ndim != 1 else ''}: give "
                                 f"{result.ndim} positions separated by commas, e.g. {r_name}[1:10{commas}] "
                                 "(an empty position takes the whole dimension)")
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
        where = _numpy_index_text((index,))
        if flat.size and flat.max() < shape[0]:  # all in the first column: one pixel of several digits
            return f"{name}[{where}{', 0' * (len(shape) - 1)}]"
        return f'{name}.ravel(order="F")[{where}]'
    return name + "".join(f"[{_numpy_index_text(index) or ':'}]" for _, index in steps if _numpy_index_text(index))


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

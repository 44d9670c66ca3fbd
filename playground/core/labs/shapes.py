"""The Shapes lab's model (issue 9, section 4; the book's sections 2.3.1-2.3.3): no Qt here.

Which shapes go together, and what comes out:

* **element-wise** operations (``+ - *``, ``pmax``/``np.maximum``) on tensors of the same
  shape, and NumPy's **broadcasting** when the shapes differ: shapes are lined up from the last
  axis, and each pair of sizes must be equal or one of them 1 (a missing axis counts as 1); the
  smaller tensor is then repeated along those axes. R does not broadcast: it *recycles* a
  vector through an array column by column, and applies a smaller tensor along chosen
  dimensions with ``sweep()``; ``recycling_note`` says what R would do with the same shapes;
* the **tensor dot** (``x %*% y`` in R, ``np.dot(x, y)``): the last axis of ``x`` must match the
  first axis of ``y`` (its second-to-last when it has more than two), for matrices
  ``ncol(x) == nrow(y)``, and the result is ``(nrow(x), ncol(y))``.

``evaluate(shapes, ops)`` runs a small expression such as the first layer's
``(128, 784) . (784, 512) + (512,) -> (128, 512)`` step by step; each ``Step`` carries the
result shape or the error in the chapter's words, the rule that decided it, the axes lined up
for the drawing, and the R and NumPy code. Shapes are only shapes: nothing is allocated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_AXES = 6
MAX_SIZE = 10_000_000  # of one axis: shapes only, but the text should stay readable

DOT, NONE = ".", ""
ELEMENTWISE = ("+", "-", "*", "max")
OPERATIONS = (DOT, *ELEMENTWISE)
OPERATION_NAMES = {DOT: "dot", "+": "add", "-": "subtract", "*": "multiply", "max": "maximum"}
NUMPY_OPERATORS = {"+": "+", "-": "-", "*": "*"}
R_FUNCTIONS = {"+": "`+`", "-": "`-`", "*": "`*`", "max": "pmax"}

BROADCAST_RULE = (
    "Broadcasting (NumPy): the shapes are lined up from the last axis; each pair of sizes must be equal, "
    "or one of them 1 (a missing axis counts as 1). The smaller tensor gets the missing axes and is "
    "repeated along them to match the larger one; the result takes the larger size on every axis.")
SAME_SHAPE_RULE = "Element-wise: the same shape on both sides, so each entry meets its partner; the result has that shape."
DOT_RULE = (
    "Tensor dot: x %*% y (np.dot(x, y)) works only if ncol(x) == nrow(y), that is dim(x)[2] == dim(y)[1] "
    "(x.shape[1] == y.shape[0]); the result is (nrow(x), ncol(y)). In general the last axis of x meets the "
    "first axis of y (its second-to-last when y has more than two): (a, b, c, d) . (d, e) -> (a, b, c, e).")


class ShapeError(ValueError):
    """A shape field that is not a shape; the message says how to write one."""


def parse_shape(text: str) -> tuple[int, ...]:
    """``"(128, 784)"``, ``"128, 784"``, ``"c(128, 784)"``, ``"128 x 784"``, ``"(512,)"``; ``"()"`` is a scalar."""
    body = text.strip()
    if not body:
        raise ShapeError("an empty field is not a shape: write sizes separated by commas, e.g. (128, 784)")
    match = re.fullmatch(r"(?:c\s*)?[(\[]\s*(.*?)\s*[)\]]", body, flags=re.DOTALL)
    if match:
        body = match.group(1)
    parts = [p for p in re.split(r"\s*(?:,|\bx\b|×|\*|\s)\s*", body) if p]
    if not all(re.fullmatch(r"\d+", p) for p in parts):
        raise ShapeError(f"{text.strip() or 'an empty field'} is not a shape: write sizes separated by commas, "
                         "e.g. (128, 784), (512,) for a vector, () for a single number")
    shape = tuple(int(p) for p in parts)
    if len(shape) > MAX_AXES:
        raise ShapeError(f"{len(shape)} axes: the lab draws up to {MAX_AXES}")
    if any(size < 1 for size in shape):
        raise ShapeError("every size must be at least 1")
    if any(size > MAX_SIZE for size in shape):
        raise ShapeError(f"a size over {MAX_SIZE:,}: keep each axis smaller")
    return shape


def shape_text(shape: tuple[int, ...]) -> str:
    """NumPy's way of writing a shape: ``(128, 784)``, ``(512,)``, ``()``."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def r_dims(shape: tuple[int, ...]) -> str:
    """R's way: ``128 x 784`` for an array, ``a vector of 512`` for a vector, ``a single number``."""
    if not shape:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    return " x ".join(str(s) for s in shape)


# ----- one axis, lined up -------------------------------------------------------------------------
@dataclass(frozen=True)
class Axis:
    """One axis of a broadcast, counted from the end (-1 is the last): each side's size (None when
    the tensor has no such axis), the result's size, and whether this axis decided an error."""

    position: int
    left: int | None
    right: int | None
    result: int | None
    clash: bool = False

    def stretched(self, side: str) -> bool:
        """Whether ``side`` ("left" or "right") is repeated along this axis (size 1 or missing)."""
        size = self.left if side == "left" else self.right
        return not self.clash and self.result is not None and size != self.result


@dataclass(frozen=True)
class Step:
    """``left op right``: the result shape or the error, and the reasons."""

    op: str
    left: tuple[int, ...]
    right: tuple[int, ...]
    result: tuple[int, ...] | None
    rule: str
    error: str = ""
    axes: tuple[Axis, ...] = ()
    matched: tuple[int, int] | None = None  # dot: (axis of left, axis of right) that must agree
    r_note: str = ""
    names: tuple[str, str] = ("x", "y")
    code: tuple[str, str] = ("", "")  # (R, NumPy)

    @property
    def ok(self) -> bool:
        return self.result is not None


def line_up(left: tuple[int, ...], right: tuple[int, ...]) -> tuple[Axis, ...]:
    """The axes of both shapes lined up from the last, with the broadcast result of each."""
    width = max(len(left), len(right))
    axes = []
    for k in range(width, 0, -1):
        a = left[-k] if k <= len(left) else None
        b = right[-k] if k <= len(right) else None
        sizes = [s for s in (a, b) if s is not None]
        if len(set(s for s in sizes if s != 1)) > 1:
            axes.append(Axis(-k, a, b, None, clash=True))
        else:
            axes.append(Axis(-k, a, b, max(sizes)))
    return tuple(axes)


def broadcast(left: tuple[int, ...], right: tuple[int, ...], op: str = "+", names=("x", "y")) -> Step:
    """An element-wise operation between two shapes, with NumPy's broadcasting."""
    axes = line_up(left, right)
    clashes = [axis for axis in axes if axis.clash]
    x, y = names
    rule = SAME_SHAPE_RULE if left == right else BROADCAST_RULE
    note = recycling_note(left, right, op, names)
    code = elementwise_code(left, right, op, names)
    if clashes:
        axis = clashes[-1]  # NumPy reports the first clash from the end
        error = (f"operands could not be broadcast together with shapes {shape_text(left)} {shape_text(right)}: "
                 f"lined up from the last axis, axis {axis.position} has {axis.left} in {x} and {axis.right} in {y}, "
                 "and two sizes must be equal, or one of them 1, for the smaller tensor to be repeated along the "
                 "larger one.")
        return Step(op, left, right, None, rule, error, axes, r_note=note, names=names, code=code)
    result = tuple(axis.result for axis in axes)
    return Step(op, left, right, result, rule, "", axes, r_note=note, names=names, code=code)


def dot(left: tuple[int, ...], right: tuple[int, ...], names=("x", "y")) -> Step:
    """``np.dot(x, y)`` between two shapes (R's ``x %*% y`` for matrices and vectors)."""
    x, y = names
    code = dot_code(names)
    note = dot_r_note(left, right, names)
    if not left or not right:
        scalar, other = (left, right) if not left else (right, left)
        return Step(DOT, left, right, other, "A single number: the dot product is plain multiplication, "
                    "element-wise.", names=names, code=code, r_note=note)
    left_axis = len(left) - 1
    right_axis = 0 if len(right) == 1 else len(right) - 2
    matched = (left_axis, right_axis)
    if left[left_axis] != right[right_axis]:
        if len(left) == 2 and len(right) == 2:
            where = (f"ncol({x}) == nrow({y}) is needed, but ncol({x}) = {left[1]} and nrow({y}) = {right[0]}: "
                     f"dim({x})[2] = {left[1]} must equal dim({y})[1] = {right[0]}")
        elif len(left) == 1 and len(right) == 1:
            where = (f"only vectors with the same number of elements are compatible for a dot product: "
                     f"{x} has {left[0]} and {y} has {right[0]}")
        else:
            where = (f"the last axis of {x} ({left[left_axis]}) must match "
                     f"{'the only axis' if len(right) == 1 else 'the first axis' if len(right) == 2 else 'the second-to-last axis'} "
                     f"of {y} ({right[right_axis]})")
        error = f"shapes {shape_text(left)} and {shape_text(right)} not aligned: {where}."
        if len(left) <= 2 and len(right) <= 2:
            note = f"R stops too: Error in {x} %*% {y} : non-conformable arguments. " + note
        return Step(DOT, left, right, None, DOT_RULE, error, matched=matched, names=names, code=code,
                    r_note=note.strip())
    result = left[:-1] + right[:right_axis] + right[right_axis + 1:]
    return Step(DOT, left, right, result, DOT_RULE, matched=matched, names=names, code=code, r_note=note)


def step(op: str, left: tuple[int, ...], right: tuple[int, ...], names=("x", "y")) -> Step:
    if op == DOT:
        return dot(left, right, names)
    if op not in ELEMENTWISE:
        raise ValueError(f"unknown operation {op!r}: use one of {', '.join(OPERATIONS)}")
    return broadcast(left, right, op, names)


# ----- R beside NumPy ---------------------------------------------------------------------------
def sweep_margin(array: tuple[int, ...], small: tuple[int, ...]) -> tuple[int, ...] | None:
    """The 1-based dimensions of ``array`` that ``small`` spans when it matches ``array``'s last
    axes exactly (``sweep(x, c(3, 4), y, pmax)`` for (64, 3, 32, 10) and (32, 10)), else None."""
    if not small or len(small) >= len(array) or array[len(array) - len(small):] != small:
        return None
    return tuple(range(len(array) - len(small) + 1, len(array) + 1))


def _margin_text(margin: tuple[int, ...]) -> str:
    return str(margin[0]) if len(margin) == 1 else "c(" + ", ".join(map(str, margin)) + ")"


def elementwise_code(left: tuple[int, ...], right: tuple[int, ...], op: str, names=("x", "y")) -> tuple[str, str]:
    """(R, NumPy) for ``left op right``: R writes ``sweep()`` where NumPy broadcasts over rows."""
    x, y = names
    numpy = f"np.maximum({x}, {y})" if op == "max" else f"{x} {op} {y}"
    margin = sweep_margin(left, right)
    if left != right and margin is not None and len(right) >= 1 and right != (1,):
        return f"sweep({x}, {_margin_text(margin)}, {y}, {R_FUNCTIONS[op]})", numpy
    margin = sweep_margin(right, left)
    if left != right and margin is not None and len(left) >= 1 and left != (1,):
        return f"sweep({y}, {_margin_text(margin)}, {x}, {R_FUNCTIONS[op]})", numpy
    return (f"pmax({x}, {y})" if op == "max" else f"{x} {op} {y}"), numpy


def dot_code(names=("x", "y")) -> tuple[str, str]:
    x, y = names
    return f"{x} %*% {y}", f"np.dot({x}, {y})"


def dot_r_note(left: tuple[int, ...], right: tuple[int, ...], names=("x", "y")) -> str:
    x, y = names
    if len(left) > 2 or len(right) > 2:
        return (f"R's %*% multiplies matrices and vectors only ({x} is {r_dims(left)}, {y} is {r_dims(right)}): "
                "array_reshape() the tensor to a matrix first, as the book does with the images.")
    if len(left) == 1 or len(right) == 1:
        return ("R's %*% treats a vector as a row or a column, whichever conforms, and always returns a matrix "
                "(a 1 x 1 matrix for two vectors).")
    return ""


def recycling_note(left: tuple[int, ...], right: tuple[int, ...], op: str = "+", names=("x", "y")) -> str:
    """What R does with the same shapes: R recycles and sweeps, it does not broadcast."""
    x, y = names
    fn = R_FUNCTIONS[op]
    if left == right:
        return "R: the same dim on both sides, so R works element by element too."
    single = [name for name, shape in ((x, left), (y, right)) if len(shape) <= 1 and all(s == 1 for s in shape)]
    if single:
        return f"R: {single[0]} is a single number; R recycles it over every element, as NumPy broadcasts it."
    if len(left) >= 2 and len(right) >= 2:
        margin = sweep_margin(left, right) or sweep_margin(right, left)
        fix = (f" Here sweep({x if sweep_margin(left, right) else y}, {_margin_text(margin)}, "
               f"{y if sweep_margin(left, right) else x}, {fn}) applies the smaller one along those dimensions."
               if margin else " Make the dims equal first (rep(), array_reshape()).")
        return (f"R: non-conformable arrays ({r_dims(left)} and {r_dims(right)}). R never broadcasts between arrays "
                f"of different dim; sweep() applies a smaller tensor along chosen dimensions of a larger one.{fix}")
    if len(left) <= 1 and len(right) <= 1:
        long, short = (left[0], right[0]) if left[0] >= right[0] else (right[0], left[0])
        warn = ("" if long % short == 0 else
                " and warns: longer object length is not a multiple of shorter object length")
        return (f"R: two vectors of {left[0]} and {right[0]}: R recycles the shorter one along the longer{warn}; "
                "NumPy refuses unless one of them has a single element.")
    (array_name, array), (vector_name, vector) = ((x, left), (y, right)) if len(left) >= 2 else ((y, right), (x, left))
    n, size = vector[0], 1
    for s in array:
        size *= s
    if n > size:
        return (f"R: dims [product {size:,}] do not match the length of object [{n:,}]: R recycles a vector along "
                "an array only when the vector is not longer.")
    if n == array[-1] and len(array) == 2 and n == array[0]:
        return (f"R: careful, R recycles {vector_name} down the columns (column-major): element [i, j] gets "
                f"{vector_name}[i], where NumPy broadcasting gives it {vector_name}[j]. For NumPy's meaning write "
                f"sweep({array_name}, 2, {vector_name}, {fn}).")
    if n == array[-1]:
        return (f"R: careful, R recycles the {n} values of {vector_name} down the columns (column-major), so they "
                f"do not land one per column as NumPy's broadcasting puts them. To apply {vector_name} to every "
                f"row, as the book's dense layer adds its bias, write sweep({array_name}, {len(array)}, "
                f"{vector_name}, {fn}).")
    if n == array[0]:
        return (f"R: R recycles {vector_name} down each column, so row i gets {vector_name}[i]: in NumPy that is "
                f"{vector_name}[:, None], which lines it up with the first axis.")
    if size % n == 0:
        return (f"R: R recycles the {n} values of {vector_name} through all {size:,} elements of {array_name}, "
                "column by column, without a word; the values land where the column-major order puts them.")
    return (f"R: R recycles {vector_name} through {array_name} anyway and warns: the length of {array_name} "
            f"({size:,}) is not a multiple of {n}.")


# ----- an expression, step by step -------------------------------------------------------------
@dataclass(frozen=True)
class Expression:
    """``x op1 W op2 b`` (``op2`` may be ``NONE``): the first layer's ``x . W + b`` by default."""

    shapes: tuple[tuple[int, ...], ...] = ((128, 784), (784, 512), (512,))
    ops: tuple[str, ...] = (DOT, "+")
    names: tuple[str, ...] = ("x", "W", "b")


FIRST_LAYER = Expression()
EXAMPLES = {  # name shown in the lab -> expression
    "The first layer: x . W + b": FIRST_LAYER,
    "The second layer: (128, 512) . (512, 10) + (10,)": Expression(((128, 512), (512, 10), (10,)), (DOT, "+")),
    "Broadcasting a vector over rows: (32, 10) + (10,)": Expression(((32, 10), (10,)), ("+", NONE), ("x", "y")),
    "The book's pmax over two axes: (64, 3, 32, 10) max (32, 10)":
        Expression(((64, 3, 32, 10), (32, 10)), ("max", NONE), ("x", "y")),
    "A tensor dot: (4, 3, 28, 28) . (28, 10)": Expression(((4, 3, 28, 28), (28, 10)), (DOT, NONE), ("x", "y")),
    "Vectors: (784,) . (784,)": Expression(((784,), (784,)), (DOT, NONE), ("x", "y")),
    "Shapes that do not conform: (128, 784) . (512, 10)":
        Expression(((128, 784), (512, 10)), (DOT, NONE), ("x", "y")),
    "Shapes that do not broadcast: (128, 512) + (10,)": Expression(((128, 512), (10,)), ("+", NONE), ("x", "y")),
}


@dataclass(frozen=True)
class Evaluation:
    steps: tuple[Step, ...]
    summary: str  # "(128, 784) . (784, 512) + (512,) -> (128, 512)"
    r_code: str = ""
    numpy_code: str = ""

    @property
    def result(self) -> tuple[int, ...] | None:
        return self.steps[-1].result if self.steps and all(s.ok for s in self.steps) else None

    @property
    def error(self) -> str:
        return next((s.error for s in self.steps if s.error), "")


def _atomic(code: str) -> bool:
    """Whether ``code`` needs no brackets as an operand: a name, or one call such as ``np.dot(x, W)``."""
    if re.fullmatch(r"\w+", code):
        return True
    if not re.match(r"[\w.]+\(", code) or not code.endswith(")"):
        return False
    depth = 0
    for position, char in enumerate(code):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and "(" in code[:position + 1]:
            return position == len(code) - 1
    return False


def _operand(code: str) -> str:
    return code if _atomic(code) else f"({code})"


def _combine(op: str, left_r: str, left_numpy: str, step_done: Step, right_name: str) -> tuple[str, str]:
    """The R and NumPy of ``left op right`` where the left is itself code."""
    if op == DOT:
        return f"{_operand(left_r)} %*% {right_name}", f"np.dot({left_numpy}, {right_name})"
    r_form, _ = elementwise_code(step_done.left, step_done.right, op, ("\0", right_name))
    r_code = r_form.replace("\0", left_r if r_form.startswith(("sweep(", "pmax(")) or "%*%" in left_r
                            else _operand(left_r))
    numpy_code = (f"np.maximum({left_numpy}, {right_name})" if op == "max"
                  else f"{left_numpy if _atomic(left_numpy) or op in '+-' else _operand(left_numpy)} {op} {right_name}")
    return r_code, numpy_code


def evaluate(expression: Expression) -> Evaluation:
    """Run ``expression`` left to right; a step that has no result ends it.

    The left operand of every step after the first is the previous result, named ``z`` in the
    steps' notes; the code lines write the whole expression.
    """
    shapes, names = expression.shapes, expression.names
    ops = [op for op in expression.ops if op != NONE][:len(shapes) - 1]
    steps: list[Step] = []
    current, r_text, numpy_text = shapes[0], names[0], names[0]
    for index, op in enumerate(ops):
        right, right_name = shapes[index + 1], names[index + 1]
        done = step(op, current, right, (names[0] if index == 0 else "z", right_name))
        steps.append(done)
        r_text, numpy_text = _combine(op, r_text, numpy_text, done, right_name)
        if not done.ok:
            break
        current = done.result
    parts = [shape_text(shapes[0])]
    for done in steps:
        parts += [done.op, shape_text(done.right)]
    outcome = shape_text(steps[-1].result) if steps and steps[-1].ok else "error" if steps else shape_text(shapes[0])
    return Evaluation(tuple(steps), " ".join(parts) + f" -> {outcome}", f"z <- {r_text}", f"z = {numpy_text}")

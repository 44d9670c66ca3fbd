"""The Reshape lab's model (issue 9, section 3; the book's section 2.3.4): no Qt here.

A digit is a 28 x 28 matrix; the network of chapter 2 reads it as a vector of 784 values.
Reshaping never changes the values, only how they are *read out* into the new shape and
*filled in* to it, and there are two orders:

* **row-major** ("C" in NumPy, its default): along each row first. R's ``array_reshape()``
  uses it, so that R arrays match what NumPy, TensorFlow and Keras expect;
* **column-major** ("F" in NumPy): down each column first. R's own ``dim(x) <- c(...)`` uses
  it, because R stores its arrays column by column.

Read out one way and filled in the same way, a digit comes back as it was. Read out one way
and filled in the other, it comes back scrambled: for a square image every pixel ``[i, j]``
lands at ``[j, i]``, the digit mirrored across its diagonal (``t(digit)``). The book tells you
to use ``array_reshape()`` for what you pass to Keras for exactly this reason.

Indices here are NumPy's (0-based); ``r_index`` and ``numpy_index`` write them for people.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROW_MAJOR, COLUMN_MAJOR = "C", "F"  # NumPy's order= names
ORDER_NAMES = {ROW_MAJOR: "row-major", COLUMN_MAJOR: "column-major"}
BOOK_DIGIT = 5  # digit <- train_images[5,,] in section 2.2.6 (x_train[4] in NumPy)


def _checked_order(order: str) -> str:
    if order not in ORDER_NAMES:
        raise ValueError(f"order must be 'C' (row-major) or 'F' (column-major), got {order!r}")
    return order


# ----- the reshapes themselves ------------------------------------------------------------------
def flatten(image: np.ndarray, order: str) -> np.ndarray:
    """``image`` read out into one vector: ``array_reshape(digit, c(784))`` for ``"C"``,
    ``dim(digit) <- c(784)`` for ``"F"``."""
    return np.reshape(np.asarray(image), -1, order=_checked_order(order))


def unflatten(vector: np.ndarray, shape: tuple[int, ...], order: str) -> np.ndarray:
    """``vector`` filled into ``shape``: ``array_reshape(v, c(28, 28))`` for ``"C"``,
    ``dim(v) <- c(28, 28)`` for ``"F"``."""
    vector = np.asarray(vector)
    if vector.size != int(np.prod(shape)):
        raise ValueError(f"cannot fill {vector.size} values into shape {tuple(shape)} "
                         f"({int(np.prod(shape))} cells): reshaping never adds or drops values")
    return np.reshape(vector, shape, order=_checked_order(order))


def round_trip(image: np.ndarray, there: str, back: str) -> np.ndarray:
    """``image`` flattened in order ``there`` and filled back into its shape in order ``back``.

    The same order both ways gives ``image`` back; mixing them gives the scrambled digit.
    """
    image = np.asarray(image)
    return unflatten(flatten(image, there), image.shape, back)


def is_mirrored(image: np.ndarray, there: str, back: str) -> bool:
    """Whether the round trip gives ``t(image)``: true when the orders differ and the image is square."""
    result = round_trip(image, there, back)
    return image.ndim == 2 and image.shape[0] == image.shape[1] and np.array_equal(result, np.asarray(image).T)


# ----- the fill order, cell by cell -------------------------------------------------------------
def fill_steps(shape: tuple[int, ...], order: str) -> np.ndarray:
    """An integer array of ``shape``: the (0-based) step at which each cell is filled."""
    return np.arange(int(np.prod(shape))).reshape(shape, order=_checked_order(order))


def cell_of(step: int, shape: tuple[int, ...], order: str) -> tuple[int, ...]:
    """The (0-based) cell that value ``step`` of the vector lands in."""
    size = int(np.prod(shape))
    if not 0 <= step < size:
        raise ValueError(f"step {step} is outside 0..{size - 1}")
    return tuple(int(i) for i in np.unravel_index(step, shape, order=_checked_order(order)))


def partly_filled(vector: np.ndarray, shape: tuple[int, ...], order: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` values of ``vector`` filled into ``shape`` in ``order``.

    Returns ``(values, filled)``: the values where filled (zero elsewhere) and a boolean mask.
    """
    values = unflatten(vector, shape, order)
    filled = fill_steps(shape, order) < count
    return np.where(filled, values, np.zeros_like(values)), filled


def r_index(cell: tuple[int, ...]) -> str:
    """R's 1-based index of a 0-based cell: ``(10, 20)`` -> ``[11, 21]``."""
    return "[" + ", ".join(str(i + 1) for i in cell) + "]"


def numpy_index(cell: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in cell) + "]"


@dataclass(frozen=True)
class FillStep:
    """Where value ``step`` (0-based) of the vector goes, in each order."""

    step: int
    row_major: tuple[int, ...]
    column_major: tuple[int, ...]

    def text(self, order: str) -> str:
        """``v[301] → [11, 21]   (NumPy: v[300] → [10, 20])`` for one order."""
        cell = self.row_major if order == ROW_MAJOR else self.column_major
        return f"v[{self.step + 1}] → {r_index(cell)}   (NumPy: v[{self.step}] → {numpy_index(cell)})"


def fill_step(step: int, shape: tuple[int, ...]) -> FillStep:
    return FillStep(step, cell_of(step, shape, ROW_MAJOR), cell_of(step, shape, COLUMN_MAJOR))


# ----- code, in the book's R beside NumPy -------------------------------------------------------
def _dims(shape: tuple[int, ...]) -> str:
    return ", ".join(str(d) for d in shape)


def _numpy_order(order: str) -> str:
    return "" if order == ROW_MAJOR else ', order="F"'


def flatten_code(size: int, order: str) -> tuple[str, str]:
    """(R, NumPy) for flattening ``digit`` into ``v``."""
    if order == ROW_MAJOR:
        return f"v <- array_reshape(digit, c({size}))", f"v = digit.reshape({size})"
    return f"v <- digit; dim(v) <- c({size})", f'v = digit.reshape({size}, order="F")'


def unflatten_code(shape: tuple[int, ...], order: str, name: str = "x") -> tuple[str, str]:
    """(R, NumPy) for filling ``v`` back into ``shape``."""
    if order == ROW_MAJOR:
        return f"{name} <- array_reshape(v, c({_dims(shape)}))", f"{name} = v.reshape({_dims(shape)})"
    return f"{name} <- v; dim({name}) <- c({_dims(shape)})", f"{name} = v.reshape({_dims(shape)}{_numpy_order(order)})"


def digit_code(r_position: int) -> tuple[str, str]:
    """(R, NumPy) for picking the digit: R counts from 1, NumPy from 0."""
    return f"digit <- train_images[{r_position},,]", f"digit = x_train[{r_position - 1}]"


def round_trip_text(there: str, back: str, square: bool) -> str:
    """What the round trip does, in words."""
    if there == back:
        return (f"Read out {ORDER_NAMES[there]} and filled in {ORDER_NAMES[back]}: the same order both ways, "
                "so the digit comes back exactly as it was.")
    mirrored = (" Every pixel [i, j] lands at [j, i]: the digit is mirrored across its diagonal, t(digit)."
                if square else " The pixels land in the wrong places.")
    return (f"Read out {ORDER_NAMES[there]} but filled in {ORDER_NAMES[back]}: scrambled.{mirrored} "
            "This is why the book reshapes with array_reshape() (row-major, as Keras and NumPy read arrays), "
            "not with dim<-.")


# ----- t() and reshaping on the book's small matrix ---------------------------------------------
@dataclass(frozen=True)
class MatrixStep:
    """One statement on the small matrix: its R and NumPy, the value and what it shows."""

    r_code: str
    numpy_code: str
    value: np.ndarray
    note: str


def book_matrix() -> np.ndarray:
    """``matrix(c(0, 1, 2, 3, 4, 5), nrow = 3, ncol = 2, byrow = TRUE)`` of section 2.3.4."""
    return np.arange(6, dtype=np.float64).reshape(3, 2)


def matrix_steps(x: np.ndarray | None = None) -> tuple[MatrixStep, ...]:
    """The book's matrix, its transpose, and the two ways of reshaping it to 2 x 3."""
    x = book_matrix() if x is None else np.asarray(x)
    rows, cols = x.shape
    return (
        MatrixStep("x <- matrix(c(0, 1, 2, 3, 4, 5),\n            nrow = 3, ncol = 2, byrow = TRUE)",
                   "x = np.array([[0., 1.],\n              [2., 3.],\n              [4., 5.]])", x,
                   f"{rows} x {cols}: the book's matrix"),
        MatrixStep("t(x)", "x.T", x.T,
                   f"{cols} x {rows}: rows become columns, x[i, j] is t(x)[j, i]"),
        MatrixStep(f"array_reshape(x, c({cols}, {rows}))", f"x.reshape({cols}, {rows})", x.reshape(cols, rows),
                   f"{cols} x {rows} too, but the values keep their row-major order: not t(x)"),
        MatrixStep(f"dim(x) <- c({cols}, {rows})", f'x.reshape({cols}, {rows}, order="F")',
                   x.reshape(cols, rows, order="F"),
                   "column-major: read down the columns (0, 2, 4, 1, 3, 5), filled down the columns"),
    )

"""The naive loops of section 2.3.1 and 2.3.3 against the vectorised calls, timed (no Qt).

The book writes ``naive_relu``, ``naive_add``, ``naive_vector_dot`` and ``naive_matrix_dot`` as
R ``for`` loops over single entries, to show what an element-wise operation and a dot product
*are*, and then says to use the built-in, vectorised versions (``pmax(z, 0)``, ``x + y``,
``x %*% y``), which run in optimised compiled code. Here the loops are plain Python over NumPy
arrays, one entry at a time, and ``race`` times each against NumPy on this machine. The sizes
are small, so a whole race takes a fraction of a second; the speed-up is what it is on the day,
never asserted by a test (the tests check that the loops give NumPy's results).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np


def naive_relu(x: np.ndarray) -> np.ndarray:
    """``max(x[i, j], 0)`` for every entry of a matrix, one at a time."""
    x = np.array(x, copy=True)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = max(x[i, j], 0)
    return x


def naive_add(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x[i, j] + y[i, j]`` for every entry of two matrices of the same shape."""
    assert x.shape == y.shape
    x = np.array(x, copy=True)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = x[i, j] + y[i, j]
    return x


def naive_vector_dot(x: np.ndarray, y: np.ndarray) -> float:
    """The sum of ``x[i] * y[i]``: only vectors of the same length are compatible."""
    assert x.ndim == 1 and y.ndim == 1 and x.shape[0] == y.shape[0]
    z = 0.0
    for i in range(x.shape[0]):
        z += x[i] * y[i]
    return z


def naive_matrix_dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Entry ``[i, j]`` is the dot product of row ``i`` of ``x`` and column ``j`` of ``y``."""
    assert x.ndim == 2 and y.ndim == 2 and x.shape[1] == y.shape[0]
    z = np.zeros((x.shape[0], y.shape[1]))
    for i in range(x.shape[0]):
        for j in range(y.shape[1]):
            row_x = x[i, :]
            column_y = y[:, j]
            z[i, j] = naive_vector_dot(row_x, column_y)
    return z


# ----- the book's R, shown beside the Python ------------------------------------------------------
R_NAIVE_RELU = """naive_relu <- function(x) {
  for (i in 1:nrow(x))
    for (j in 1:ncol(x))
      x[i, j] <- max(x[i, j], 0)
  x
}"""
R_NAIVE_ADD = """naive_add <- function(x, y) {
  for (i in 1:nrow(x))
    for (j in 1:ncol(x))
      x[i, j] = x[i, j] + y[i, j]
  x
}"""
R_NAIVE_VECTOR_DOT = """naive_vector_dot <- function(x, y) {
  z <- 0
  for (i in 1:length(x))
    z <- z + x[[i]] * y[[i]]
  z
}"""
R_NAIVE_MATRIX_DOT = """naive_matrix_dot <- function(x, y) {
  z <- matrix(0, nrow = nrow(x), ncol = ncol(y))
  for (i in 1:nrow(x))
    for (j in 1:ncol(y)) {
      row_x <- x[i,]
      column_y <- y[,j]
      z[i, j] <- naive_vector_dot(row_x, column_y)
    }
  z
}"""


@dataclass(frozen=True)
class Contest:
    """One naive loop against its vectorised call, on inputs of fixed shapes."""

    name: str
    shapes: tuple[tuple[int, ...], ...]
    naive: Callable
    vectorised: Callable
    r_loop: str
    r_vectorised: str
    numpy_vectorised: str

    def inputs(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        return tuple(rng.uniform(-1.0, 1.0, size=shape) for shape in self.shapes)

    @property
    def size_text(self) -> str:
        return ", ".join("(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")" for s in self.shapes)


CONTESTS = (
    Contest("naive_relu", ((64, 64),), naive_relu, lambda x: np.maximum(x, 0.0), R_NAIVE_RELU,
            "z <- pmax(z, 0)", "z = np.maximum(z, 0)"),
    Contest("naive_add", ((64, 64), (64, 64)), naive_add, np.add, R_NAIVE_ADD, "z <- x + y", "z = x + y"),
    Contest("naive_vector_dot", ((4096,), (4096,)), naive_vector_dot, np.dot, R_NAIVE_VECTOR_DOT,
            "z <- x %*% y", "z = np.dot(x, y)"),
    Contest("naive_matrix_dot", ((32, 48), (48, 32)), naive_matrix_dot, np.dot, R_NAIVE_MATRIX_DOT,
            "z <- x %*% y", "z = np.dot(x, y)"),
)


@dataclass(frozen=True)
class Timing:
    """How one contest went: seconds per call each way, and whether the results agree."""

    contest: Contest
    naive_seconds: float
    vectorised_seconds: float
    same_result: bool
    max_difference: float

    @property
    def speedup(self) -> float:
        return self.naive_seconds / max(self.vectorised_seconds, 1e-12)


def seconds_per_call(function: Callable, args: tuple, minimum: float = 0.002, rounds: int = 3) -> float:
    """The best of ``rounds`` averages, each over enough calls to last ``minimum`` seconds."""
    calls, best = 1, float("inf")
    while True:  # find a number of calls that lasts long enough to measure
        start = time.perf_counter()
        for _ in range(calls):
            function(*args)
        elapsed = time.perf_counter() - start
        if elapsed >= minimum or calls >= 100_000:
            break
        calls *= 10
    best = elapsed / calls
    for _ in range(rounds - 1):
        start = time.perf_counter()
        for _ in range(calls):
            function(*args)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def run(contest: Contest, seed: int = 0) -> Timing:
    """Time ``contest`` on seeded inputs and compare the two results."""
    args = contest.inputs(np.random.default_rng(seed))
    naive_result = np.asarray(contest.naive(*args), dtype=np.float64)
    vectorised_result = np.asarray(contest.vectorised(*args), dtype=np.float64)
    same = naive_result.shape == vectorised_result.shape and bool(np.allclose(naive_result, vectorised_result,
                                                                              rtol=1e-10, atol=1e-10))
    difference = float(np.max(np.abs(naive_result - vectorised_result))) if same or (
        naive_result.shape == vectorised_result.shape) else float("inf")
    naive_seconds = seconds_per_call(contest.naive, args, minimum=0.0, rounds=2)
    vectorised_seconds = seconds_per_call(contest.vectorised, args)
    return Timing(contest, naive_seconds, vectorised_seconds, same, difference)


def race(seed: int = 0, stop: Callable[[], bool] = lambda: False) -> Iterator[Timing]:
    """Each contest in turn (the caller shows each as it comes); ``stop()`` ends it early."""
    for contest in CONTESTS:
        if stop():
            return
        yield run(contest, seed)

"""Two cores, one training step: a helper thread takes half of every big piece of work.

The chapter's network spends most of a step in two matrix products with its 784 x 512 kernel
and in the optimizer's update of that kernel. Both split cleanly by rows of the kernel:

* forward, ``x @ W = x[:, :k] @ W[:k] + x[:, k:] @ W[k:]``: each core computes one term;
* backward, ``dW[:k] = x[:, :k].T @ dz`` and ``dW[k:] = x[:, k:].T @ dz``: each core computes its
  rows of the gradient and at once updates those rows of the weight (every update rule is
  element-wise), while that memory is still in its cache.

The calling thread does one half and a ``Helper`` thread the other; NumPy releases the GIL inside
its loops and matrix products, so both run at the same time. Each product then runs on one thread
(``engine.blas.single_threaded``), so no core idles between OpenBLAS's own parallel sections, and
the optimizer's memory-bound passes run on both cores. ``engine.training`` puts it together.

What it cannot beat: the two halves' optimizer passes share the memory bus, and a thread that
needs the GIL while the other holds it sleeps for a wake-up (tens of microseconds on a virtual
machine). A two-core step costs about 20 % more than its longer half alone.
"""
from __future__ import annotations

import contextlib
import os
import queue
import threading

import numpy as np

from engine import blas

SPLIT_MIN_SIZE = 1 << 17  # elements: below this, handing work to a second thread costs more than it saves


def enabled() -> bool:
    """Whether training may use a second core (``ENGINE_THREADS=1`` turns it off)."""
    return (os.cpu_count() or 1) > 1 and os.environ.get("ENGINE_THREADS", "2") != "1"


def splits(array: np.ndarray) -> bool:
    """Whether work on this weight is cut in two halves of rows (see ``split_row``)."""
    return array.size >= SPLIT_MIN_SIZE and array.shape[0] >= 2 and array.flags.c_contiguous


def split_row(rows: int) -> int:
    """Rows ``[0, k)`` go to the calling thread, rows ``[k, rows)`` to the helper."""
    return rows // 2


class Helper:
    """A thread that runs tasks, in order, for whoever holds it: see ``pair`` and ``submit``."""

    def __init__(self):
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._results: queue.SimpleQueue = queue.SimpleQueue()
        self._pending = 0  # tasks handed over whose result has not been collected
        self._thread = threading.Thread(target=self._run, name="engine-helper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            try:
                task()
            except BaseException as error:  # handed back to the caller of pair() or join()
                self._results.put(error)
            else:
                self._results.put(None)

    def submit(self, task) -> None:
        """Start ``task()`` on the helper thread and return at once (``join`` waits for it)."""
        self._pending += 1
        self._tasks.put(task)

    def join(self) -> None:
        """Wait for every task handed over so far; raise the first exception among them."""
        first = None
        while self._pending:
            error = self._results.get()
            self._pending -= 1
            first = first or error
        if first is not None:
            raise first

    def pair(self, here, there) -> None:
        """Run ``there()`` on the helper thread while ``here()`` runs on this one; wait for both
        (and for any task submitted before).

        An exception from either is raised here, after both have finished (so neither half is
        still writing into shared buffers when the caller moves on).
        """
        self.submit(there)
        try:
            here()
        except BaseException:
            with contextlib.suppress(BaseException):
                self.join()
            raise
        self.join()

    def close(self) -> None:
        self._tasks.put(None)


_idle: list[Helper] = []
_idle_lock = threading.Lock()


def _forget_helpers_in_a_forked_child() -> None:
    global _idle_lock
    _idle.clear()  # their threads were not copied into this process
    _idle_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers_in_a_forked_child)


@contextlib.contextmanager
def borrowed_helper():
    """A helper thread for the duration of the block (kept for reuse afterwards)."""
    with _idle_lock:
        helper = _idle.pop() if _idle else None
    if helper is None or not helper._thread.is_alive():
        helper = Helper()
    try:
        yield helper
    finally:
        with contextlib.suppress(BaseException):
            helper.join()  # nothing of the last user's may still be running
        with _idle_lock:
            _idle.append(helper)


@contextlib.contextmanager
def two_cores(wanted: bool = True):
    """Yield a ``Helper`` with single-threaded BLAS, or None when two-core work is not possible.

    None when ``wanted`` is False, when the machine has one core or ``ENGINE_THREADS=1``, or when
    the BLAS in use cannot be told to stay on one thread (then OpenBLAS's own threads do the job).
    """
    if not (wanted and enabled() and blas.available()):
        yield None
        return
    with blas.single_threaded() as single, borrowed_helper() as helper:
        yield helper if single else None

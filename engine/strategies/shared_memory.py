"""Memory that a forked process shares with its parent, and waiting on it without a system call.

``SharedArena`` carves NumPy arrays out of one anonymous ``MAP_SHARED`` mapping: a process forked
after the mapping was made reads and writes the same bytes. ``spin_until`` waits for a counter in
such an array to reach a value by re-reading it (a few microseconds, where a pipe or a lock wakes a
sleeping process in tens); on x86-64 stores are seen in the order they were made, so a process
that sees a counter move also sees everything written before it.
"""
from __future__ import annotations

import contextlib
import mmap
import os
import signal
import threading
import time

import numpy as np


class SharedArena:
    """Arrays carved from one anonymous shared mapping, which a forked child shares with us."""

    ALIGN = 64  # one cache line

    def __init__(self, nbytes: int):
        self._map = mmap.mmap(-1, max(int(nbytes), 1))  # MAP_SHARED | MAP_ANONYMOUS
        self._used = 0

    @classmethod
    def bytes_for(cls, *arrays: tuple[tuple[int, ...], object]) -> int:
        """The size of an arena that holds arrays of these ``(shape, dtype)``."""
        return sum(int(np.prod(shape)) * np.dtype(dtype).itemsize + cls.ALIGN for shape, dtype in arrays)

    def empty(self, shape, dtype) -> np.ndarray:
        shape, dtype = tuple(int(s) for s in shape), np.dtype(dtype)
        count = int(np.prod(shape))
        start = -(-self._used // self.ALIGN) * self.ALIGN
        end = start + count * dtype.itemsize
        if end > len(self._map):
            raise MemoryError(f"the shared arena is full ({len(self._map)} bytes)")
        self._used = end
        return np.frombuffer(self._map, dtype, count, start).reshape(shape)

    def zeros(self, shape, dtype) -> np.ndarray:
        array = self.empty(shape, dtype)
        array[...] = 0
        return array

    def copy(self, array: np.ndarray) -> np.ndarray:
        shared = self.empty(array.shape, array.dtype)
        shared[...] = array
        return shared


def is_shared(array: np.ndarray) -> bool:
    """Whether ``array`` lives in a ``SharedArena``'s mapping."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    return isinstance(base, memoryview) and isinstance(base.obj, mmap.mmap)


def spin_until(read, at_least: int, alive, give_up_seconds: float | None = None) -> bool:
    """Re-read ``read()`` until it is at least ``at_least``; ``alive()`` is asked now and then
    (False stops the wait). False after ``give_up_seconds`` (None: never). Every check yields the
    core (``sched_yield``), which also lets this process's other threads run Python."""
    start = time.monotonic()
    spins = 0
    while read() < at_least:
        os.sched_yield()
        spins += 1
        if spins & 1023 == 0:
            if not alive():
                return False
            if give_up_seconds is not None and time.monotonic() - start > give_up_seconds:
                return False
    return True


@contextlib.contextmanager
def interrupts_held():
    """Within the block, Ctrl+C waits; it is raised when the block ends (main thread only).

    Used where an interrupt must not cut a change in two: forking, moving a weight into shared
    memory, ending the second process.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):
        yield
        return
    held = []
    signal.signal(signal.SIGINT, lambda signum, frame: held.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            previous(*held[0])

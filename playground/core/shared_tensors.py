"""Prepared tensors in shared memory, which a training process maps by name without a copy.

* ``SharedTensors(arrays, reuse=None)``: arrays copied into blocks of shared memory (an array
  that ``reuse`` already holds is named, not copied); the blocks are freed with the object.
* ``in_shared_memory(data)``: a ``PreparedData`` whose arrays live in shared memory from the start
  (what ``PreparedDataCache`` does with full MNIST in the app), so a press of Train copies nothing.
* ``attach(descriptions)``: the child's arrays on the blocks.

A NumPy array made on a block keeps the block's memory mapped for as long as it lives, even after
the block is freed (only its name goes at once): nothing here unmaps memory an array still uses.
"""
from __future__ import annotations

import dataclasses
import os
import weakref
from multiprocessing import shared_memory

import numpy as np

SHARE_FROM_BYTES = 64 << 20  # prepared data this big lives in shared memory from the start (full MNIST: 220 MB)


class SharedTensors:
    """Arrays in shared-memory blocks, which a child maps by name without a copy.

    ``SharedTensors(arrays)`` copies each array into a block of its own; an array that ``reuse``
    (another ``SharedTensors``) already holds is not copied again: its block is named instead, and
    ``reuse`` is kept alive with this object. ``views()`` are this process's arrays on the blocks.
    The blocks are freed by ``close()``, or when nothing refers to this object any more; a view
    still in use keeps its memory mapped until it goes (only the name goes at once).
    """

    def __init__(self, arrays: dict[str, np.ndarray], reuse: SharedTensors | None = None):
        self.blocks: list[shared_memory.SharedMemory] = []  # the blocks made here (freed with this object)
        self.descriptions: dict[str, tuple[str, tuple, str]] = {}
        self._views: dict[str, np.ndarray] = {}
        self._borrowed = []  # the SharedTensors whose blocks this one names
        self._free = weakref.finalize(self, _free_blocks, self.blocks)
        named = {key: description for key, array in arrays.items()
                 if reuse is not None and (description := reuse.description_of(array)) is not None}
        try:
            _check_room(sum(array.nbytes for key, array in arrays.items() if key not in named))
            for key, array in arrays.items():
                if key in named:
                    self.descriptions[key] = named[key]
                    self._views[key] = array
                    if reuse not in self._borrowed:
                        self._borrowed.append(reuse)
                    continue
                block = shared_memory.SharedMemory(create=True, size=max(array.nbytes, 1))
                self.blocks.append(block)
                view = np.ndarray(array.shape, array.dtype, buffer=block.buf)
                view[...] = array
                self.descriptions[key] = (block.name, array.shape, array.dtype.str)
                self._views[key] = view
        except BaseException:
            self.close()
            raise

    def views(self) -> dict[str, np.ndarray]:
        """The arrays, as this process maps them from the blocks."""
        return dict(self._views)

    def description_of(self, array: np.ndarray) -> tuple[str, tuple, str] | None:
        """How a child finds ``array``, if it is exactly one of ``views()`` (the same memory, shape
        and dtype); else None."""
        return next((self.descriptions[key] for key, view in self._views.items() if _same_array(array, view)), None)

    def close(self) -> None:
        """Free the blocks made here now (the name of each goes; see the class)."""
        self._views.clear()
        self._borrowed.clear()
        self._free()


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    return (isinstance(a, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


def _check_room(nbytes: int) -> None:
    """A block larger than what /dev/shm has left would be granted, then kill the process with
    SIGBUS when written (a container's /dev/shm is often 64 MB): refuse it with an OSError instead."""
    if nbytes and os.path.isdir("/dev/shm"):
        room = os.statvfs("/dev/shm")
        free = room.f_bavail * room.f_frsize
        if nbytes > free:
            raise OSError(f"shared memory (/dev/shm) has {free / 2**20:.0f} MB free, {nbytes / 2**20:.0f} MB needed")


def _free_blocks(blocks: list) -> None:
    for block in blocks:
        try:
            block.unlink()
        except FileNotFoundError:
            pass
        release(block)
    blocks.clear()


def release(block: shared_memory.SharedMemory) -> None:
    """Close this process's access to ``block`` without unmapping memory that arrays may still use.

    ``SharedMemory.close()`` unmaps the block at once, and NumPy arrays made on it (whose base is
    the mapping) would then point at nothing: reading one crashes the process. So this object
    lets go of the mapping instead, which ends when the last array on it goes, and only the file
    descriptor is closed now."""
    block._buf = block._mmap = None  # the arrays hold the mapping (their base) for as long as they need it
    block.close()


def in_shared_memory(data, from_bytes: int | None = None):
    """``data`` (a ``PreparedData``) with its arrays moved into shared memory, where a training
    process maps them without a copy (the press of Train then copies nothing: 0.4 s and 220 MB
    less for full MNIST). Smaller data, or no room, returns ``data`` as it is (the worker copies it
    at the press)."""
    arrays = prepared_arrays(data)
    if sum(array.nbytes for array in arrays.values()) < (SHARE_FROM_BYTES if from_bytes is None else from_bytes):
        return data
    try:
        tensors = SharedTensors(arrays)
    except OSError:
        return data
    return dataclasses.replace(data, **tensors.views(), memory=tensors)


def attach(descriptions: dict) -> tuple[list, dict[str, np.ndarray]]:
    """The child's views of the shared arrays, and the blocks to ``release`` when done."""
    blocks, arrays = [], {}
    for key, (name, shape, dtype) in descriptions.items():
        block = shared_memory.SharedMemory(name=name)
        blocks.append(block)
        arrays[key] = np.ndarray(shape, np.dtype(dtype), buffer=block.buf)
    return blocks, arrays


def prepared_arrays(data) -> dict[str, np.ndarray]:
    """A ``PreparedData``'s arrays by name."""
    return {field.name: getattr(data, field.name) for field in dataclasses.fields(data) if field.name != "memory"}

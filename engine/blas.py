"""How many threads NumPy's matrix products may use: OpenBLAS's own switch, reached with ctypes.

A training strategy (``engine.strategies``) decides how many threads each product of a step
uses: one (``serial``, and the strategies that share work among threads of their own) or all the
cores (``blas_threads``); the setting found before training is restored afterwards.

NumPy's wheels bundle OpenBLAS (``libscipy_openblas64_`` since NumPy 2), which exports
``scipy_openblas_set_num_threads64_``; other builds export ``openblas_set_num_threads``. This module
finds whichever is loaded, without any dependency beyond NumPy and the standard library. When no
OpenBLAS is found (an MKL or Accelerate build), ``available()`` is False and the engine keeps its
one-thread-per-step path.
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import re
import sys
import threading

import numpy as np

_NAMES = [(f"{prefix}_get_num_threads{suffix}", f"{prefix}_set_num_threads{suffix}")
          for prefix in ("scipy_openblas", "openblas") for suffix in ("64_", "")]


class _OpenBLAS:
    def __init__(self, get, set_):
        self.get, self.set = get, set_
        self.get.restype, self.get.argtypes = ctypes.c_int, []
        self.set.restype, self.set.argtypes = None, [ctypes.c_int]


def _loaded_library_paths() -> list[str]:
    """Paths of the shared libraries this process has loaded (Linux), else those NumPy ships."""
    paths: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = re.findall(r"(/\S+\.(?:so|dylib|dll)[.\d]*)\s*$", maps.read(), flags=re.M)
    except OSError:
        pass
    numpy_dir = os.path.dirname(np.__file__)
    for folder in (numpy_dir + ".libs", os.path.join(numpy_dir, ".dylibs"), os.path.join(numpy_dir, "..", "numpy.libs")):
        paths += glob.glob(os.path.join(folder, "*"))
    seen, unique = set(), []
    for path in paths:
        if "blas" in os.path.basename(path).lower() and path not in seen:
            seen.add(path)
            unique.append(path)
    return unique


def _find() -> _OpenBLAS | None:
    for path in _loaded_library_paths():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _NAMES:
            get, set_ = getattr(library, get_name, None), getattr(library, set_name, None)
            if get is not None and set_ is not None:
                return _OpenBLAS(get, set_)
    return None


_lock = threading.Lock()
_openblas: _OpenBLAS | None | bool = False  # False: not looked for yet
_requests: list[int] = []  # the thread counts asked for by the blocks now open, innermost last
_saved_threads = 0


def _reset_in_a_forked_child() -> None:
    global _lock
    _lock = threading.Lock()  # the threads that held it were not copied
    _requests.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_a_forked_child)


def _library() -> _OpenBLAS | None:
    global _openblas
    if _openblas is False:
        _openblas = _find() if sys.platform != "emscripten" else None
    return _openblas


def available() -> bool:
    """True when the engine can set how many threads NumPy's BLAS uses."""
    with _lock:
        return _library() is not None


def threads() -> int | None:
    """How many threads OpenBLAS uses for one matrix product now (None if unknown)."""
    with _lock:
        library = _library()
        return library.get() if library is not None else None


@contextlib.contextmanager
def threads_per_product(count: int):
    """Within this block, OpenBLAS spreads each matrix product over ``count`` threads.

    Blocks nest and may be open on several threads at once: the innermost open block's count
    holds, and the setting found before the first block comes back when the last one closes.
    Yields True when the setting took effect, False when it could not be set.
    """
    global _saved_threads
    count = max(1, int(count))
    with _lock:
        library = _library()
        if library is not None:
            if not _requests:
                _saved_threads = library.get()
            _requests.append(count)
            library.set(count)
    try:
        yield library is not None
    finally:
        if library is not None:
            with _lock:
                _requests.remove(count)
                library.set(_requests[-1] if _requests else _saved_threads)


@contextlib.contextmanager
def spread_over(count: int):
    """Within this block (inside a ``threads_per_product`` block, on the thread that opened it),
    products use ``count`` threads; then the block's count comes back. Meant for one product at
    a time: it takes no lock, so that it costs microseconds."""
    library = _openblas if _openblas else None
    if library is None or not _requests:
        yield
        return
    library.set(count)
    try:
        yield
    finally:
        library.set(_requests[-1] if _requests else _saved_threads)


def single_threaded():
    """Within this block, each matrix product runs on the thread that calls it (see
    ``threads_per_product``)."""
    return threads_per_product(1)

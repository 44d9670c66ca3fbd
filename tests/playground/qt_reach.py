"""Which Qt objects a worker thread's job can reach.

A thread that holds the last reference to a Qt object destroys it on that thread when the job
ends (``threading.Thread`` drops its target and arguments as it finishes). A QObject destroyed
off the UI thread can deadlock against it: the suite hung this way in CI, a finished thread
deleting a closed window's panel while the UI thread built the next window. So a worker's
target and arguments must reach no QObject and no QGraphicsItem: see
``playground.widgets.garbage_collection`` for the same rule about reference cycles.

``qt_object_path(roots)`` walks what the roots reference, the way a job holds them: a function's
closure and defaults (not its module's globals), a bound method's object, containers and
instances. It returns a readable path to the first Qt object found, or None.
"""
from __future__ import annotations

import gc
import types

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QGraphicsItem

LIMIT = 300_000  # objects visited at most (a job's model and data are a few thousand)

_SKIPPED = (type, types.ModuleType, types.CodeType, types.BuiltinFunctionType, np.ndarray, str, bytes,
            int, float, complex, bool, type(None))


def _referents(obj) -> list[tuple[str, object]]:
    if isinstance(obj, types.FunctionType):
        found = [(f"<closure {name}>", cell.cell_contents)
                 for name, cell in zip(obj.__code__.co_freevars, obj.__closure__ or ()) if _filled(cell)]
        found += [("<defaults>", value) for value in (obj.__defaults__ or ())]
        found += [(f"<default {key}>", value) for key, value in (obj.__kwdefaults__ or {}).items()]
        return found
    if isinstance(obj, types.MethodType):
        return [(f".{obj.__func__.__name__} of", obj.__self__)]
    if isinstance(obj, dict):
        return [(f"[{key!r}]", value) for key, value in obj.items()] + [("<key>", key) for key in obj]
    return [(f"<{type(obj).__name__}>", child) for child in gc.get_referents(obj)]


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # a variable not yet assigned
        return False
    return True


def qt_object_path(roots: list[tuple[str, object]]) -> str | None:
    seen: set[int] = set()
    stack = [(name, obj) for name, obj in roots]
    while stack and len(seen) < LIMIT:
        path, obj = stack.pop()
        if id(obj) in seen or isinstance(obj, _SKIPPED):
            continue
        seen.add(id(obj))
        if isinstance(obj, (QObject, QGraphicsItem)):
            return f"{path} -> {type(obj).__name__}"
        stack.extend((f"{path} {step}", child) for step, child in _referents(obj))
    return None

"""Neural Playground: do chapter 2 of *Deep Learning with R* by hand, on MNIST, in a desktop app.

``playground.MainWindow`` is the application window (``python -m playground`` runs it). The
import is lazy so that the code without Qt (``playground.core``, ``playground.text``) can be used
without loading Qt. The layers, each allowed to import only those below it: ``core`` and ``text``
(no Qt), ``training`` (the model, the worker and the controller: Qt without widgets), ``widgets``,
``panels``, and here the window, its menus and the entry points.
"""
from __future__ import annotations

import os as _os
import sys as _sys

# Same policy as ``engine/__init__.py``, applied here because the app loads NumPy (via Qt helpers
# and pyqtgraph) before the engine: idle OpenBLAS threads sleep at once instead of spinning, so
# they do not steal the core the UI thread needs. Only effective before NumPy is imported.
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

__all__ = ["MainWindow"]


def __getattr__(name: str):
    if name == "MainWindow":
        from playground.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module 'playground' has no attribute {name!r}")

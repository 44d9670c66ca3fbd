"""The same statement in the other language: the book's R <-> NumPy (section 2.2.6's
``train_images[10:99,,]`` is ``x_train[9:99]``).

``r_text`` and ``numpy_text`` write a tree back as text. ``r_to_numpy`` and ``numpy_to_r``
translate, using what the evaluator recorded about each node (``info``: shapes, and NumPy's
index for each bracket) so that indices come out exact: R's ``10:99`` on the first axis is
NumPy's ``9:99``, and an empty position is ``:``. They return None where the other language
has no short form (R's recycling of an odd-length vector, a chain of brackets ...).
"""
from __future__ import annotations

from playground.core.console.to_numpy import r_to_numpy
from playground.core.console.to_r import numpy_to_r
from playground.core.console.unparse import NoShortForm, numpy_text, r_text

__all__ = ["NoShortForm", "numpy_text", "numpy_to_r", "r_text", "r_to_numpy"]

"""The ``Strategy`` base class: how the named operations of ``engine.ops`` run during ``fit``.

A strategy answers these, as Keras's distribution strategies do:

* ``supports(model)``: can it train this model on this machine? ``(True, why)`` or ``(False, why not)``;
* ``running()``: a block within which this thread's operations go through it (it starts and stops
  whatever it needs, e.g. a helper thread, so that nothing is left behind when ``fit`` returns);
* ``matmul``, ``matmul_at_b``, ``matmul_a_bt`` and ``update``: the operations themselves;
* ``batch`` and ``prefetch_batch``: where ``fit`` gets each batch from (a strategy may gather the
  next one while this one trains);
* ``train_step(model, x, y, accuracy)``: one training step (``engine.training.train_step``, unless
  the strategy runs it its own way, e.g. on pieces of the batch at once).

Layers and optimizers never see which strategy runs: they call ``engine.ops``.
"""
from __future__ import annotations

import contextlib

import numpy as np

from engine import ops, training


class Strategy:
    """Runs every operation on the calling thread, with NumPy's own matrix products."""

    name = "serial"

    def supports(self, model) -> tuple[bool, str]:
        return True, "every operation runs on the thread that calls fit"

    @contextlib.contextmanager
    def running(self):
        """Within the block, this thread's ``engine.ops`` calls run through this strategy."""
        with ops.using(self):
            yield self

    def prefetch_batch(self, feeder, step: int) -> None:
        """A chance to gather batch ``step`` of ``feeder`` ahead of time (here: none, it is
        gathered when it is needed)."""

    def batch(self, feeder, step: int):
        """Batch ``step`` of ``feeder``: ``(x, y)``."""
        return feeder.batch(step)

    def train_step(self, model, x, y, accuracy=None) -> tuple[float, float]:
        """One step on the batch ``(x, y)``: the readable serial step of ``engine.training``."""
        return training.train_step(model, x, y, accuracy)

    # ----- the operations ---------------------------------------------------------------------
    def matmul(self, a, b, out=None):
        return np.matmul(a, b, out=out)

    def matmul_at_b(self, a, b, out=None):
        return np.matmul(a.T, b, out=out)

    def matmul_a_bt(self, a, b, out=None):
        return np.matmul(a, b.T, out=out)

    def update(self, rule, gradient, variable, slots) -> None:
        rule(gradient, variable, slots)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

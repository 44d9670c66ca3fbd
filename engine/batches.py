"""Mini-batches for ``fit``: slices of the data, gathered in each epoch's shuffled order.

Chapter 2's batches are ``train_images[i:i + 128, :]``; ``fit`` takes them in a fresh random order
each epoch, so a batch is a *gather* of 128 scattered rows into a reusable buffer. Two buffers
take turns: while a step trains on one, a strategy's helper thread (``engine.strategies``) can fill the other
with the next batch (``gather_later``).
"""
from __future__ import annotations

import threading

import numpy as np


class BatchFeeder:
    """The batches of one pass over ``(x, y)``: ``batch(step)`` is ``(x_batch, y_batch)``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.steps = -(-len(x) // batch_size)
        self.epoch = 0  # counts start_epoch calls; (epoch, step) names one batch of this fit
        self._order: np.ndarray | None = None
        self._buffers = None
        self._holds = [-1, -1]  # per buffer: the step it holds (or is being filled with)
        self._ready = [threading.Event(), threading.Event()]  # per buffer: not being filled
        for ready in self._ready:
            ready.set()

    def start_epoch(self, order: np.ndarray | None) -> None:
        """Use this permutation of the samples for the coming steps (None: in stored order)."""
        for ready in self._ready:
            ready.wait()  # a gather from the last epoch may still be running
        self._order = order
        self.epoch += 1
        self._holds = [-1, -1]
        if order is not None and self._buffers is None:
            self._buffers = [
                (np.empty((self.batch_size, *self.x.shape[1:]), self.x.dtype),
                 np.empty((self.batch_size, *self.y.shape[1:]), self.y.dtype))
                for _ in range(2)
            ]

    def bounds(self, step: int) -> tuple[int, int]:
        return step * self.batch_size, min(len(self.x), (step + 1) * self.batch_size)

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``step``: a slice of the data, or its rows gathered into a buffer."""
        lo, hi = self.bounds(step)
        if self._order is None:
            return self.x[lo:hi], self.y[lo:hi]
        slot = step % 2
        if self._holds[slot] == step:
            self._ready[slot].wait()  # gathered, or being gathered, by gather_later
        else:
            self._holds[slot] = step
            self._gather(step)
        xb, yb = self._buffers[slot]
        return xb[:hi - lo], yb[:hi - lo]

    def gather_later(self, step: int):
        """A task that gathers batch ``step`` (to run on another thread while this step trains),
        or None when there is nothing to gather (no shuffling, or no such step)."""
        if self._order is None or not 0 <= step < self.steps:
            return None
        slot = step % 2
        self._ready[slot].wait()
        self._ready[slot].clear()
        self._holds[slot] = step

        def gather():
            try:
                self._gather(step)
            finally:
                self._ready[slot].set()
        return gather

    def _gather(self, step: int) -> None:
        lo, hi = self.bounds(step)
        rows = self._order[lo:hi]
        xb, yb = self._buffers[step % 2]
        # mode="clip": the indices are valid by construction, and "raise" would buffer the output
        np.take(self.x, rows, axis=0, out=xb[:hi - lo], mode="clip")
        np.take(self.y, rows, axis=0, out=yb[:hi - lo], mode="clip")

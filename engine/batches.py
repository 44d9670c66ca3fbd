"""Mini-batches for ``fit``: slices of the data, gathered in each epoch's shuffled order.

Chapter 2's batches are ``train_images[i:i + 128, :]``; ``fit`` takes them in a fresh random order
each epoch, so a batch is a *gather* of 128 scattered rows into a reusable buffer. Two buffers
take turns: while a step trains on one, the two threads of a two-core step (``engine.parallel``)
can fill the other with the next batch (``prefetch``): half of its rows each, or, when each thread
goes on to multiply its half of the batch's features by its half of the first kernel, half of
its columns each.
"""
from __future__ import annotations

import numpy as np


class BatchFeeder:
    """The batches of one pass over ``(x, y)``: ``batch(step)`` is ``(x_batch, y_batch)``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.steps = -(-len(x) // batch_size)
        self._order: np.ndarray | None = None
        self._buffers = None
        self._filled = [[-1, -1], [-1, -1]]  # per buffer: the step each half was last gathered for
        self.epoch = 0  # counts start_epoch calls; (epoch, step) names one batch of this fit

    def start_epoch(self, order: np.ndarray | None) -> None:
        """Use this permutation of the samples for the coming steps (None: in stored order)."""
        self._order = order
        self.epoch += 1
        self._filled = [[-1, -1], [-1, -1]]
        if order is not None and self._buffers is None:
            self._buffers = [
                (np.empty((self.batch_size, *self.x.shape[1:]), self.x.dtype),
                 np.empty((self.batch_size, *self.y.shape[1:]), self.y.dtype))
                for _ in range(2)
            ]

    def bounds(self, step: int) -> tuple[int, int]:
        return step * self.batch_size, min(len(self.x), (step + 1) * self.batch_size)

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.bounds(step)
        if self._order is None:
            return self.x[lo:hi], self.y[lo:hi]
        if self._filled[step % 2] != [step, step]:
            self._gather(step, 0, hi - lo)
        xb, yb = self._buffers[step % 2]
        return xb[:hi - lo], yb[:hi - lo]

    def prefetch(self, step: int, columns_at: int | None = None):
        """Two tasks that together gather batch ``step``, or None when there is nothing worth
        doing ahead (no shuffling, or no such step). The tasks split the batch's rows in two, or
        with ``columns_at=k`` its (flattened) features: ``[0, k)`` and ``[k, end)``."""
        if self._order is None or not 0 <= step < self.steps:
            return None
        lo, hi = self.bounds(step)
        middle = (hi - lo) // 2
        if columns_at is None:
            return (lambda: self._gather(step, 0, middle, half=0),
                    lambda: self._gather(step, middle, hi - lo, half=1))
        return (lambda: self._gather_columns(step, 0, columns_at, 0, middle, half=0),
                lambda: self._gather_columns(step, columns_at, None, middle, hi - lo, half=1))

    def flat_buffer(self, step: int) -> np.ndarray:
        """The buffer batch ``step`` is (or will be) gathered into, as ``(rows, features)``."""
        lo, hi = self.bounds(step)
        return self._buffers[step % 2][0][:hi - lo].reshape(hi - lo, -1)

    def _gather_columns(self, step: int, first: int, stop, y_start: int, y_stop: int, half: int) -> None:
        lo, hi = self.bounds(step)
        rows = self._order[lo:hi]
        flat = self.x.reshape(len(self.x), -1)
        np.copyto(self.flat_buffer(step)[:, first:stop], flat[rows, first:stop])
        yb = self._buffers[step % 2][1]
        np.take(self.y, rows[y_start:y_stop], axis=0, out=yb[y_start:y_stop], mode="clip")
        self._filled[step % 2][half] = step

    def _gather(self, step: int, start: int, stop: int, half: int | None = None) -> None:
        lo, _ = self.bounds(step)
        rows = self._order[lo + start:lo + stop]
        xb, yb = self._buffers[step % 2]
        # mode="clip": the indices are valid by construction, and "raise" would buffer the output
        np.take(self.x, rows, axis=0, out=xb[start:stop], mode="clip")
        np.take(self.y, rows, axis=0, out=yb[start:stop], mode="clip")
        filled = self._filled[step % 2]
        if half is None:
            filled[0] = filled[1] = step
        else:
            filled[half] = step

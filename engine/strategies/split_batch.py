"""Split batch: pieces of each batch train at once on two threads, and their gradients are added.

Keras's ``MirroredStrategy`` on one machine: the batch of 64 is cut into 4 pieces of 16 samples;
each piece goes forward and backward through a *replica* of the model (its layers share the
model's weights but keep their own gradients), and the two threads take the pieces in turn until
none is left. Then the replicas' gradients are added to the model's, in a fixed order, and the
optimizer makes one update, as for the whole batch:

    dL/dw = sum over pieces of  (n_piece / n) * dL_piece/dw

(each piece's loss gradient is scaled by its share of the batch). Everything a step does is
shared this way: the products, but also im2col, pooling, activations, which in a convnet are a
large part of the work and which ``two_threads`` leaves on one thread. The numbers equal the
serial step's to float32 rounding (a sum in another order), and a fixed seed gives identical runs
however the threads are scheduled (the pieces and the order of the sum never change).

Splitting pays when a step's work is mostly in its activations (a convnet: every layer works on
every pixel of every sample) rather than in a few big products (the chapter's Dense network,
which ``two_threads`` shares better): each piece must compute more values than the gradients
that adding it up costs. A layer that needs the whole batch at once, or shared state that the
order of the pieces would change, cannot be split: ``BatchNormalization`` (batch statistics,
moving averages) and ``Dropout`` (its random masks). ``supports`` says which applies.

A step ends when its last piece does: when other programs keep both cores busy, a piece the
helper started may wait for a core, and then no strategy that uses two threads beats ``serial``
(``ENGINE_STRATEGY=serial`` chooses it).
"""
from __future__ import annotations

import contextlib
import copy
import functools
import math
import os
import threading

import numpy as np

from engine import blas, ops
from engine.layers import BatchNormalization, Dropout
from engine.memory import forward_record
from engine.strategies.base import Strategy
from engine.strategies.helper import Helper, cuts

PIECES = 4  # pieces of each batch: with more pieces than threads, a thread that loses its core does fewer
PIECE_SAMPLES = 16  # a typical piece (a batch of 64 in 4): what supports() weighs against the weights
SPLIT_MIN_WORK = 1 << 18  # multiply-adds per sample: below, a piece costs less than handing it over
SPLIT_MIN_UPDATE = 1 << 17  # elements: a smaller weight is updated on one thread
WHOLE_BATCH_LAYERS = {
    BatchNormalization: "BatchNormalization needs the whole batch (its statistics)",
    Dropout: "Dropout's random masks would depend on which piece draws first",
}


class SplitBatch(Strategy):
    """Train pieces of each batch on two threads, each piece through its own replica of the model."""

    name = "split_batch"

    def __init__(self, pieces: int = PIECES, min_update: int = SPLIT_MIN_UPDATE):
        self.pieces, self.min_update = pieces, min_update
        self._helper: Helper | None = None
        self._replicas: dict = {}  # id(model) -> (model and its weights, [replicas for pieces 1, 2...])
        self._supported: dict = {}  # id(model) -> supports(model)[0]

    def supports(self, model) -> tuple[bool, str]:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        if cores < 2:
            return False, "this machine gives the process one core"
        if not blas.available():
            return False, "NumPy's BLAS cannot be told to use one thread per product (not OpenBLAS)"
        for layer in model.layers:
            for kind, why in WHOLE_BATCH_LAYERS.items():
                if isinstance(layer, kind):
                    return False, f"the batch cannot be split: {why}"
        work = _work_per_sample(model)
        if work < SPLIT_MIN_WORK:
            return False, (f"too little work to share: {work:,} multiply-adds per sample, fewer than "
                           f"{SPLIT_MIN_WORK:,}")
        values, weights = _values_per_sample(model), sum(p.size for p in getattr(model, "_params", []))
        if values * PIECE_SAMPLES < weights * (self.pieces - 1):
            return False, (f"its layers compute {values:,} values per sample, too few beside the {weights:,} "
                           "weights whose gradients the pieces would add up")
        return True, f"{cores} cores: pieces of each batch train at once, each through a replica of the model"

    @contextlib.contextmanager
    def running(self):
        with blas.single_threaded(), Helper() as helper, ops.using(self):
            outer, self._helper = self._helper, helper
            try:
                yield self
            finally:
                self._helper = outer
                self._replicas.clear()
                self._supported.clear()

    def _helper_here(self):
        helper = self._helper
        return helper if helper is not None and helper.owner == threading.get_ident() else None

    # ----- one step -----------------------------------------------------------------------------
    def train_step(self, model, x, y, accuracy=None):
        helper = self._helper_here()
        n = len(x)
        if helper is None or n < 2 or not self._splits(model):
            return super().train_step(model, x, y, accuracy)
        bounds = cuts(n, self.pieces)
        replicas = [model, *self._replicas_of(model, len(bounds) - 1)]
        results = [None] * len(bounds)

        def piece(k, lo, hi):
            results[k] = _forward_backward(replicas[k], x[lo:hi], y[lo:hi], n, accuracy)

        helper.share([functools.partial(piece, k, lo, hi) for k, (lo, hi) in enumerate(bounds)])
        loss = sum(r[0] * (hi - lo) for r, (lo, hi) in zip(results, bounds)) / n
        if not math.isfinite(loss):
            return loss, float("nan")  # update nothing, as the serial step
        acc = sum(r[1] * (hi - lo) for r, (lo, hi) in zip(results, bounds)) / n
        for replica in replicas[1:]:  # always in the same order: identical runs for a seed
            for total, part in zip(model._grads, replica._grads):
                total += part
        model.optimizer.apply(model._params, model._grads)
        return loss, acc

    def _splits(self, model) -> bool:
        """``supports(model)``, asked once per model while running."""
        splits = self._supported.get(id(model))
        if splits is None:
            splits = self._supported[id(model)] = self.supports(model)[0]
        return splits

    def _replicas_of(self, model, count: int) -> list:
        """``count`` replicas of ``model`` (made again if its layers or weights were replaced)."""
        weights = [p for layer in model.layers for p in layer.params]
        made_for, replicas = self._replicas.get(id(model), ([], []))
        if len(made_for) != len(weights) + 1 or any(a is not b for a, b in zip(made_for, [model, *weights])):
            replicas = []
        while len(replicas) < count:
            replicas.append(_replica(model))
        self._replicas[id(model)] = ([model, *weights], replicas)
        return replicas[:count]

    # ----- the optimizer's updates ----------------------------------------------------------------
    def update(self, rule, gradient, variable, slots) -> None:
        helper = self._helper_here()
        if helper is None or variable.size < self.min_update or variable.ndim == 0 or len(variable) < 2:
            rule(gradient, variable, slots)
            return
        helper.share([functools.partial(rule, gradient[lo:hi], variable[lo:hi], slots.rows(lo, hi))
                      for lo, hi in cuts(len(variable), 4)])


def _per_sample(model):
    """For each layer: (values it computes for one sample, multiply-adds its weights cost one sample)."""
    shape = getattr(model, "_input_shape", None)
    for layer in model.layers if shape is not None else []:
        shape = tuple(layer.compute_output_shape(shape))
        places = int(np.prod(shape[:-1])) if len(shape) > 1 else 1  # a convolution's kernel: every pixel
        yield int(np.prod(shape)), sum(w.size for w in layer.params) * places


def _values_per_sample(model) -> int:
    return sum(values for values, _ in _per_sample(model))


def _work_per_sample(model) -> int:
    return sum(work for _, work in _per_sample(model))


def _replica(model):
    """A model whose layers are copies of ``model``'s: the same weight arrays (read, never written,
    by a step), their own gradient arrays and their own record of the last forward pass."""
    replica = copy.copy(model)
    replica.layers = []
    for layer in model.layers:
        twin = copy.copy(layer)
        twin.grads = [np.zeros_like(g) for g in layer.grads]
        twin._last = forward_record()
        replica.layers.append(twin)
    replica._grads = [g for layer in replica.layers for g in layer.grads]
    return replica


def _forward_backward(model, x, y, n, accuracy):
    """Forward and backward on a piece of ``n`` samples' batch; its gradients land in ``model``'s
    layers, weighted by the piece's share of the batch. Returns the piece's (loss, accuracy)."""
    output = model._forward(x, training=True)
    loss = model.loss(y, output)
    if not math.isfinite(loss):
        return loss, float("nan")
    acc = accuracy(y, output) if accuracy else float("nan")
    gradient = model._loss_gradient(y, output)
    gradient *= gradient.dtype.type(len(x) / n)
    model._backward(gradient)
    return loss, acc

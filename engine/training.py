"""One step of mini-batch gradient descent, and one epoch of them: what ``Sequential.fit`` runs.

A step (chapter 2.4)::

    output = model(x)                   # 1. forward: each layer in turn
    loss = loss_fn(y, output)           # 2. how wrong the output is
    if loss is not finite: stop         # 3. NaN or infinite: update nothing
    backward(d loss / d output)         # 4. backpropagation: every weight's gradient
    optimizer.apply(weights, grads)     # 5. move each weight a little against its gradient

How the products and updates inside a step run (one core, two threads...) is decided by the
strategy in use (``engine.strategies``), through the named operations of ``engine.ops``.
"""
from __future__ import annotations

import math

import numpy as np

from engine.batches import BatchFeeder
from engine.callbacks import CallbackList


def train_step(model, x: np.ndarray, y: np.ndarray, accuracy=None) -> tuple[float, float]:
    """One step on the batch ``(x, y)``; returns its (loss, accuracy). A NaN or infinite loss
    updates nothing."""
    output = model._forward(x, training=True)
    loss = model.loss(y, output)
    if not math.isfinite(loss):
        return loss, float("nan")
    acc = accuracy(y, output) if accuracy else float("nan")
    model._backward(model._loss_gradient(y, output))
    model.optimizer.apply(model._params, model._grads)
    return loss, acc


def run_epoch(model, strategy, feeder: BatchFeeder, accuracy, callbacks: CallbackList,
              epoch: int, verbose, bar) -> dict | None:
    """Train on every batch of one epoch; returns the epoch's logs (None if no batch trained).

    ``strategy`` (``engine.strategies``) runs the operations; it may gather the next batch while
    this one trains.
    """
    loss_sum = acc_sum = 0.0
    seen = 0
    logs = None
    for index in range(feeder.steps):
        xb, yb = strategy.batch(feeder, index)
        callbacks.on_train_batch_begin(index)
        strategy.prefetch_batch(feeder, index + 1)
        loss, acc = strategy.train_step(model, xb, yb, accuracy)
        if not math.isfinite(loss):
            model.stop_training, model.stop_reason = True, "nan"
            model.stop_cause, model.stop_message = explain_non_finite_loss(model, epoch, index, loss, xb, yb)
            if verbose:
                print(model.stop_message, flush=True)
            break
        size = len(xb)
        seen += size
        loss_sum += loss * size
        logs = {"loss": loss_sum / seen}
        if accuracy:
            acc_sum += acc * size
            logs["accuracy"] = acc_sum / seen
        callbacks.on_train_batch_end(index, {**logs, "batch_loss": loss, "batch_accuracy": acc, "size": size})
        if bar:
            bar.update(index + 1, logs)
        if model.stop_training:
            break
    if logs is not None and model.stop_reason != "nan" and not model.weights_finite:
        # the epoch's last update, from a finite loss, broke the weights: no next batch will say so
        model.stop_training, model.stop_reason = True, "nan"
        model.stop_cause, why = _broken_weights_cause(model, first_batch=False)
        model.stop_message = (
            f"Epoch {epoch + 1}, batch {index + 1}: the loss was {loss:.4g}, but the update made the weights "
            f"NaN or infinite. Training stopped: the weights cannot be used; reset them before training "
            f"again. Cause: {why}."
        )
        if verbose:
            print(model.stop_message, flush=True)
    return logs


def _broken_weights_cause(model, first_batch: bool) -> tuple[str, str]:
    """Why the weights are NaN or infinite: ``(cause, explanation)``."""
    optimizer = model.optimizer
    if first_batch:
        return "weights_before_run", "they were already NaN or infinite when this run started"
    if getattr(optimizer, "epsilon", None) == 0 and not getattr(optimizer, "initial_accumulator_value", 0):
        return "optimizer_division", (
            "the optimizer divided 0 by 0 in the last update (epsilon is 0 and some weights, such as "
            "those of always-black pixels, always get a zero gradient); use an epsilon > 0")
    return "update_overflow", "the last update, from a finite loss, overflowed: the learning rate is probably too high"


def explain_non_finite_loss(model, epoch: int, index: int, loss: float, xb, yb) -> tuple[str, str]:
    """Why batch ``index`` of ``epoch`` gave a NaN or infinite ``loss``: ``(cause, message)``.

    The step updated nothing, so the weights are those from before this batch, but an earlier
    update (whose loss was finite) may already have made them NaN or infinite: the weights are
    checked before the message says they were kept. ``cause`` is one of "inputs", "targets",
    "learning_rate", "overflow" (weights finite), or "weights_before_run", "optimizer_division",
    "update_overflow" (weights not finite: unusable until they are reset).
    """
    where = f"Epoch {epoch + 1}, batch {index + 1}: the loss became {loss}."
    first_batch = index == 0 and not (model.history is not None and model.history.epoch)
    if not model.weights_finite:
        cause, why = _broken_weights_cause(model, first_batch)
        return cause, (f"{where} Training stopped: the weights are NaN or infinite and cannot be used; "
                       f"reset them before training again. Cause: {why}.")
    if not np.isfinite(xb).all():
        cause, why = "inputs", "the input batch contains NaN or infinite values"
    elif np.issubdtype(yb.dtype, np.inexact) and not np.isfinite(yb).all():
        cause, why = "targets", "the targets (labels) of this batch contain NaN or infinite values"
    elif first_batch:
        cause, why = "overflow", "the network's outputs overflowed before any update in this run (very large weights or inputs)"
    else:
        cause, why = "learning_rate", "the learning rate is probably too high"
    return cause, f"{where} Training stopped and the weights from before this batch were kept: {why}."

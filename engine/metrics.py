"""Metrics: ``accuracy`` in the form that matches the targets (Keras resolves it the same way)."""
from __future__ import annotations

import numpy as np


def categorical_accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose most probable class is the one-hot target's class."""
    return _fraction(np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1))


def sparse_categorical_accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose most probable class equals the integer label."""
    return _fraction(np.argmax(y_pred, axis=-1) == np.asarray(y_true).reshape(-1))


def binary_accuracy(y_true, y_pred, threshold=0.5) -> float:
    return _fraction((y_pred > threshold) == (y_true > 0.5))


def _fraction(hits: np.ndarray) -> float:
    """The fraction of True values (``np.mean`` without its Python-level overhead: this runs every batch)."""
    return np.count_nonzero(hits) / hits.size if hits.size else float("nan")


def resolve_accuracy(loss_name: str, y_true_ndim: int, y_pred_ndim: int, outputs: int):
    """Which accuracy ``"accuracy"`` means for this loss and these shapes (Keras's rule)."""
    if loss_name == "binary_crossentropy" or outputs == 1:
        return binary_accuracy
    if loss_name == "sparse_categorical_crossentropy" or y_true_ndim < y_pred_ndim:
        return sparse_categorical_accuracy
    return categorical_accuracy


_METRICS = {"accuracy", "acc"}


def check(metrics) -> list[str]:
    """Validate ``compile(metrics=...)``: the engine reports ``accuracy`` (Keras's ``"acc"`` too)."""
    if metrics is None:
        return []
    if isinstance(metrics, str):
        metrics = [metrics]
    out = []
    for m in metrics:
        if m not in _METRICS:
            raise ValueError(f"Unknown metric {m!r}; the engine supports 'accuracy'")
        out.append("accuracy")
    return out

"""The text the Training panel prints, in Keras's own words (no Qt here: pure and testable).

When the book trains its first network (*Deep Learning with R*, chapter 2, "the network
architecture"), Keras prints one line per epoch::

    Epoch 1/5
    469/469 - 2s - 4ms/step - loss: 0.2575 - accuracy: 0.9255

These helpers build exactly those lines, the progress caption under the progress bar, and the
legend name of a run ("512 relu · rmsprop lr=0.001 · bs 128").
"""
from __future__ import annotations

import math

METRIC_ORDER = ("loss", "accuracy", "val_loss", "val_accuracy")


def epoch_header(epoch: int, epochs: int) -> str:
    """``Epoch 3/5`` for the 0-based ``epoch`` (Keras counts from 1 when it prints)."""
    return f"Epoch {epoch + 1}/{epochs}"


def format_metric(value) -> str:
    """Four decimals like Keras; ``nan``/``inf`` spelled out instead of crashing."""
    value = float(value)
    return f"{value:.4f}" if math.isfinite(value) else str(value)


def epoch_line(steps: int, seconds: float, logs: dict, done: int | None = None) -> str:
    """The ``verbose=2`` line Keras prints when an epoch ends (``done`` < ``steps`` if cut short)."""
    done = steps if done is None else done
    seconds = max(float(seconds), 0.0)
    per_step_ms = 1000.0 * seconds / max(int(done), 1)
    parts = [f"{done}/{steps}", f"{seconds:.0f}s", f"{per_step_ms:.0f}ms/step"]
    for key in METRIC_ORDER:
        if key in logs:
            parts.append(f"{key}: {format_metric(logs[key])}")
    return " - ".join(parts)


def format_duration(seconds: float | None) -> str:
    """``0:07``, ``12:30`` or ``1:02:03``; an em dash while the duration is unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_caption(epoch: int, epochs: int, batch: int, steps: int,
                     samples_per_second: float | None, eta_seconds: float | None) -> str:
    """``Epoch 2/5 · batch 120/469 · 5,320 samples/s · ETA 0:12`` (``epoch`` 0-based)."""
    speed = "— samples/s" if not samples_per_second else f"{samples_per_second:,.0f} samples/s"
    return (f"Epoch {epoch + 1}/{epochs} · batch {batch}/{steps} · {speed}"
            f" · ETA {format_duration(eta_seconds)}")


def network_label(layers) -> str:
    """The hidden layers in a few characters: ``512 relu``, ``256-128-64 relu``, ``1024 relu d0.5``."""
    if not layers:
        return "no hidden layer"
    activations = {spec.activation for spec in layers}
    if len(activations) == 1 and not any(spec.dropout for spec in layers):
        return "-".join(str(spec.units) for spec in layers) + f" {layers[0].activation}"
    pieces = []
    for spec in layers:
        piece = f"{spec.units} {spec.activation}"
        pieces.append(piece + (f" d{spec.dropout:g}" if spec.dropout else ""))
    return ", ".join(pieces)


def run_label(layers, settings) -> str:
    """A run's legend entry: the network, the optimizer and its learning rate, the batch size."""
    label = f"{network_label(layers)} · {settings.optimizer} lr={settings.learning_rate:g}"
    label += f" · bs {settings.batch_size}"
    if settings.train_size:
        label += f" · {settings.train_size:,} digits"
    return label


def evaluation_line(loss: float, accuracy: float) -> str:
    """The book's ``metrics`` after ``evaluate()``: test loss and accuracy."""
    return f"Test set: loss: {format_metric(loss)} - accuracy: {format_metric(accuracy)}"

"""The text the Training panel prints, in Keras's own words (no Qt here: pure and testable).

When the book trains its first network (*Deep Learning with R*, chapter 2, "the network
architecture"), Keras prints one line per epoch::

    Epoch 1/5
    469/469 - 2s - 4ms/step - loss: 0.2575 - accuracy: 0.9255

These helpers build exactly those lines, the progress caption under the progress bar, the name
of a run in the run list ("512 relu · rmsprop lr=0.001 · bs 128") and what Train will do.
"""
from __future__ import annotations

import math

METRIC_ORDER = ("loss", "accuracy", "val_loss", "val_accuracy")


def epoch_header(epoch: int, epochs: int) -> str:
    """``Epoch 3/5`` for the 0-based ``epoch`` (Keras counts from 1 when it prints)."""
    return f"Epoch {epoch + 1}/{epochs}"


def strategy_line(strategy: str, reason: str) -> str:
    """``Strategy: two_threads (2 cores: ...)``: what ``fit(verbose=1)`` prints before the first
    epoch (the strategy that runs the engine's operations, and why; see ``engine.strategies``)."""
    return f"Strategy: {strategy} ({reason})" if reason else f"Strategy: {strategy}"


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
    if any(spec.kind != "Dense" for spec in layers):  # a convnet: ``conv 32, maxpool, ...``
        from playground.core.design import short_label

        return short_label(layers)
    activations = {spec.activation for spec in layers}
    if len(activations) == 1 and not any(spec.dropout for spec in layers):
        return "-".join(str(spec.units) for spec in layers) + f" {layers[0].activation}"
    pieces = []
    for spec in layers:
        piece = f"{spec.units} {spec.activation}"
        pieces.append(piece + (f" d{spec.dropout:g}" if spec.dropout else ""))
    return ", ".join(pieces)


LOSS_NAMES = {"categorical_crossentropy": "crossentropy", "sparse_categorical_crossentropy": "sparse crossentropy",
              "mean_squared_error": "mse"}
CHAPTER_LOSS = "categorical_crossentropy"


def optimizer_label(settings) -> str:
    """``rmsprop lr=0.001``, plus each hyperparameter that is not Keras's default (``momentum=0.9``)."""
    from playground.core.specs import TrainSettings  # the defaults: Keras's, for this optimizer

    label = f"{settings.optimizer} lr={settings.learning_rate:g}"
    try:
        chosen = settings.optimizer_kwargs()
        defaults = TrainSettings(optimizer=settings.optimizer).optimizer_kwargs()
    except ValueError:  # an unknown optimizer: its name says enough
        return label
    for name, value in chosen.items():
        if name == "learning_rate" or defaults.get(name) == value:
            continue
        if isinstance(value, bool):
            label += f" {name}" if value else f" no {name}"
        else:
            label += f" {name}={value:g}"
    return label


def run_label(layers, settings) -> str:
    """What makes a run (its run-list and CSV name): the network, the optimizer and learning rate,
    the batch size, and whatever else is not the chapter's: loss, validation split, training
    digits, seed. Two runs that differ read differently; the epochs are in ``run_entry``."""
    parts = [network_label(layers), optimizer_label(settings)]
    if settings.loss != CHAPTER_LOSS:
        parts.append(LOSS_NAMES.get(settings.loss, settings.loss))
    parts.append(f"bs {settings.batch_size}")
    if settings.validation_split:
        parts.append(f"val {settings.validation_split:g}")
    if settings.train_size:
        parts.append(f"{settings.train_size:,} digits")
    if settings.seed:
        parts.append(f"seed {settings.seed}")
    return " · ".join(parts)


def distinct_parts(labels) -> tuple[list[str], list[str]]:
    """Split run labels into what all of them share and what each adds: the run list shows the
    shared parts once and, per run, only what differs (``lr=0.1`` vs ``lr=0.001``).

    ``(["512 relu", "bs 128"], ["rmsprop lr=0.001", "rmsprop lr=0.1"])``; with one run, or runs
    that do not differ at all, nothing is shared and every label is whole.
    """
    split = [label.split(" · ") for label in labels]
    if len(split) < 2:
        return [], list(labels)
    common = [part for part in split[0] if all(part in parts for parts in split[1:])]
    rest = [" · ".join(part for part in parts if part not in common) for parts in split]
    if not any(rest):
        return [], list(labels)
    return common, rest


def epochs_note(done: int, planned: int) -> str:
    """A run's epochs for the run list: ``5 epochs`` when done, ``2/5 epochs`` on the way."""
    if planned > done:
        return f"{done}/{planned} epochs"
    return f"{done} epoch" + ("" if done == 1 else "s")


def batch_line(epoch: int, batch: int, steps: int, loss: float, accuracy: float) -> str:
    """One batch's numbers (Step one batch, Pause): ``Epoch 1, batch 3/47 - loss: 2.0581 - accuracy: 0.2734``."""
    return (f"Epoch {epoch + 1}, batch {batch}/{steps} - loss: {format_metric(loss)}"
            f" - accuracy: {format_metric(accuracy)}")


def plan_text(continues: bool, first: int, last: int, short: bool = False) -> str:
    """What Train will do, said before it does it: ``Continue: epochs 6 to 10`` (1-based, inclusive);
    ``short`` for the button: ``Continue: epochs 6–10``."""
    verb = "Continue" if continues else "Train"
    if first == last:
        return f"{verb}: epoch {first}"
    return f"{verb}: epochs {first}–{last}" if short else f"{verb}: epochs {first} to {last}"


def plan_call(first: int, last: int) -> str:
    """The same plan as the book would write it: ``fit(..., epochs = 10, initial_epoch = 5)``."""
    call = f"epochs = {last}"
    return f"fit(..., {call}, initial_epoch = {first - 1})" if first > 1 else f"fit(..., {call})"


def evaluation_line(loss: float, accuracy: float) -> str:
    """The book's ``metrics`` after ``evaluate()``: test loss and accuracy."""
    return f"Test set: loss: {format_metric(loss)} - accuracy: {format_metric(accuracy)}"

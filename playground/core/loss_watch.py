"""Notice when training has stopped learning, and say why in the learner's words (no Qt here).

A learning rate far too high does not always end in NaN. With RMSprop at 1e6 or Adam at 10 on
MNIST each update throws the weights so far that the softmax saturates: every digit is given
to one class with certainty, the cross-entropy sits near 12 (``-log(1e-7)`` is 16 for the
wrong ones), and nothing on screen explains why the curves do not fall. The rule here says so.

**The rule** (``stalled``): the per-batch losses are averaged over windows of ``WINDOW``
batches. Once ``MIN_WINDOWS`` windows are complete, training has *stopped improving* when the
last window's mean loss is

* no better than guessing: at least ``GUESS_MARGIN`` times the loss of a uniform guess
  (``guessing_loss``: ln 10 = 2.30 for cross-entropy on ten digits, 0.09 for squared error),
* and no better than before: at least ``PROGRESS`` times the best earlier window.

Measured on the bundled sample (batch 128): a network that learns leaves the guessing level
within a window or two (RMSprop at 0.001: 1.0, 0.48, 0.34), and one that learns slowly still
gains more than 1% a window (Adagrad at 0.001: 2.28, 2.21, 2.13), so the rule stays quiet;
RMSprop at 1e6 reads 8.1, 6.6, 8.5 and Adam at 10 ends near 2.2, and the rule speaks.
``LossWatch`` is the engine callback that applies it after each batch and reports once per fit.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

import engine

WINDOW = 20  # batches per window
MIN_WINDOWS = 3  # judge only after this many windows (60 batches)
GUESS_MARGIN = 0.85  # "no better than guessing": mean loss >= 85% of a uniform guess's loss
PROGRESS = 0.99  # "not improving": less than 1% better than the best earlier window
FAR_TOO_HIGH = 100.0  # a learning rate this many times Keras's default is called far too high
FAR_TOO_LOW = 0.01  # ... and this fraction of it far too low


def guessing_loss(loss, classes: int) -> float:
    """The loss of a network that gives every class 1/``classes`` (it knows nothing)."""
    loss = engine.losses.get(loss)
    guess = np.full((1, classes), 1.0 / classes, dtype=np.float32)
    target = np.array([0]) if "sparse" in loss.name else np.eye(classes, dtype=np.float32)[:1]
    return float(loss(target, guess))


def keras_default_learning_rate(optimizer: str) -> float:
    """Keras's default learning rate for this optimizer (``sgd``: 0.01, the others 0.001)."""
    return float(engine.optimizers.get(optimizer).learning_rate)


def stalled(window_means, guess: float) -> bool:
    """The rule (see the module docstring) on the mean losses of consecutive windows."""
    means = [m for m in window_means if math.isfinite(m)]
    if len(means) < MIN_WINDOWS or len(means) != len(window_means):
        return False
    last, best_before = means[-1], min(means[:-1])
    return last >= GUESS_MARGIN * guess and last >= PROGRESS * best_before


def stall_message(loss: float, guess: float, batches: int, optimizer: str, learning_rate: float) -> str:
    """What to tell the learner, naming the learning rate when it is far from Keras's default."""
    default = keras_default_learning_rate(optimizer)
    text = (f"The loss has stopped improving: {loss:.4g} over the last {WINDOW} batches (of {batches}), "
            f"no better than guessing ({guess:.4g}).")
    ratio = learning_rate / default
    if ratio >= FAR_TOO_HIGH:
        return text + (f" The learning rate {learning_rate:g} is {ratio:,.0f} times Keras's default for "
                       f"{optimizer} ({default:g}): each update throws the weights so far that the softmax "
                       f"gives every digit to one class. Stop, set the learning rate near {default:g} "
                       "(that starts a fresh run) and train again.")
    if ratio <= FAR_TOO_LOW:
        return text + (f" The learning rate {learning_rate:g} is tiny (Keras's default for {optimizer} is "
                       f"{default:g}): each update barely moves the weights. Raise it and train again.")
    return text + (" The network is not learning: try another learning rate, optimizer or loss, "
                   "or Reset weights.")


class LossWatch(engine.callbacks.Callback):
    """Applies ``stalled`` after each batch; calls ``on_stalled(message)`` at most once per fit."""

    def __init__(self, on_stalled: Callable[[str], None]):
        super().__init__()
        self.on_stalled = on_stalled
        self.warned = False

    def on_train_begin(self, logs=None):
        model = self.model
        self.guess = guessing_loss(model.loss, int(model.layers[-1].units))
        self.optimizer = type(model.optimizer).__name__.lower()
        self.learning_rate = float(model.optimizer.learning_rate)
        self.means: list[float] = []
        self._sum, self._count, self._batches, self.warned = 0.0, 0, 0, False

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("batch_loss", (logs or {}).get("loss", math.nan))
        self._batches += 1
        self._sum += float(loss)
        self._count += 1
        if self._count < WINDOW:
            return
        self.means.append(self._sum / self._count)
        self._sum, self._count = 0.0, 0
        if not self.warned and stalled(self.means, self.guess):
            self.warned = True
            self.on_stalled(stall_message(self.means[-1], self.guess, self._batches, self.optimizer,
                                          self.learning_rate))


def weights_are_finite(weights) -> bool:
    """False if any weight is NaN or infinite: such a network's outputs mean nothing."""
    return all(np.isfinite(w).all() for w in weights)

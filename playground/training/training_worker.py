"""Train (or evaluate) on a worker thread, so the window keeps drawing while NumPy works.

``model.fit`` runs for seconds to minutes. Run on the UI thread it would freeze the window, so a
``TrainingWorker`` (a ``QObject``) is moved to a ``QThread`` and calls ``fit`` there. Its engine
callback (``ProgressCallback``) is the only code that runs *between* batches, so it is where
the learner's buttons take effect:

* **progress** - per-batch losses are collected and sent at most ~20 times a second (one signal
  per batch would flood the UI thread for small batches); epoch ends and the end of training are
  always sent at once;
* **pause / step** - the callback blocks on a ``threading.Event`` after a batch; "step one batch"
  lets exactly one more batch run, then pauses again;
* **stop** - sets ``model.stop_training = True`` (the Keras way) and wakes a paused worker.

While ``fit`` runs the worker thread has no Qt event loop, so pause/resume/stop/step are *plain,
thread-safe method calls* (``worker.pause()``), not queued slots (the idea of superqt's
``GeneratorWorker``). Signals go the other way and arrive queued on the UI thread.

At each epoch end the callback copies the weights (``model.get_weights()``, on this thread, so
the copy is consistent) and sends them: the UI never reads arrays the worker is writing.

The app trains with ``ProcessTrainingWorker`` (``playground.training.process_worker``): the same
worker on the same thread, whose ``fit`` runs in a training process of its own. This worker is
where that cannot be, and what both share.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

import engine
from playground.core.loss_watch import LossWatch, weights_are_finite
from playground.core.progress import PROGRESS_INTERVAL, ProgressCallback, RunControl  # noqa: F401 (re-exported)
from playground.core.training_data import PreparedData, evaluate_model, shaped_for
from playground.core.training_process import EpochCheckpoint
from playground.core.training_process import describe as _describe


@dataclass
class TrainingJob:
    """Everything one call of ``fit`` needs; built by the controller on the UI thread."""

    model: engine.Sequential
    prepare: Callable[[], PreparedData]  # runs on the worker thread (it can take a moment)
    batch_size: int
    epochs: int  # Keras's meaning: train until this epoch index
    initial_epoch: int = 0
    validation_split: float = 0.0
    start_paused_after: int = 0  # >0: pause after this many batches (Step one batch from idle)


class TrainingWorker(QObject):
    """Runs one ``TrainingJob`` when its thread starts; signals, in order, what happened.

    Always last: ``finished(reason)`` with the engine's ``stop_reason`` ("completed", "stopped",
    "early_stopping", "nan") or "error".
    """

    began = Signal(object)  # fit's params dict, plus "initial_epoch"
    epoch_began = Signal(int, int)  # (epoch, epochs), epoch 0-based
    progressed = Signal(object)  # see ProgressCallback._flush
    epoch_ended = Signal(object)  # {"epoch", "logs", "seconds", "steps", "batches_done", "weights"}
    paused = Signal()
    resumed = Signal()
    fit_ended = Signal(str, str, object)  # (reason, message, final weights)
    warned = Signal(str)  # LossWatch: the loss has stopped improving (training goes on)
    evaluated = Signal(object)  # state.Evaluation on the test set
    failed = Signal(str)
    finished = Signal(str)

    def __init__(self, job: TrainingJob):
        super().__init__()
        self.job = job
        self.control = RunControl()
        if job.start_paused_after:
            self.control.step(job.start_paused_after)

    # thread-safe controls, called directly from the UI thread
    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def step(self) -> None:
        self.control.step(1)

    def stop(self) -> None:
        self.control.stop()

    def abort(self) -> None:
        self.control.abort()

    @Slot()
    def run(self) -> None:
        self.train_and_report()

    def train_and_report(self) -> None:
        """Train, evaluate, and say so with the signals (``finished`` last). A subclass that trains
        elsewhere overrides this plain method, never the slot ``run``: PySide6 may call an
        overriding ``run`` on the UI thread (seen with ``ProcessTrainingWorker``)."""
        job, reason = self.job, "error"
        checkpoint = None
        try:
            data = job.prepare()
            callback = ProgressCallback(self, self.control)
            callback.initial_epoch, callback.final_epoch = job.initial_epoch, job.epochs
            watch = LossWatch(self.warned.emit)
            checkpoint = EpochCheckpoint(job.model)
            job.model.fit(
                shaped_for(job.model, data.x_train), data.y_train, batch_size=job.batch_size, epochs=job.epochs,
                verbose=0, callbacks=[watch, callback, checkpoint], validation_split=job.validation_split,
                shuffle=True, initial_epoch=job.initial_epoch,
            )
            reason = getattr(job.model, "stop_reason", None) or "completed"
            message = getattr(job.model, "stop_message", "") or ""
            weights = job.model.get_weights()
            self.fit_ended.emit(reason, message, weights)
        except Exception as exc:  # noqa: BLE001 - any engine error is reported, never a crash
            kept = ""
            if checkpoint is not None:  # not half through an epoch: where the panels show it
                kept = f" ({checkpoint.restore(job.model)})"
            self.failed.emit(_describe(exc) + kept)
            self.finished.emit("error")
            return
        try:
            # a diverged network has no test result worth showing: nan loss, one class for every digit
            if not self.control.aborted and reason != "nan" and weights_are_finite(weights):
                self.evaluated.emit(evaluate_model(job.model, data))
        except Exception as exc:  # noqa: BLE001
            self.failed.emit("Evaluation failed: " + _describe(exc))
        self.finished.emit(reason)


class EvaluationWorker(QObject):
    """Evaluates a private copy of a model on the test set (the Evaluate button, a loaded model)."""

    evaluated = Signal(object)
    failed = Signal(str)
    finished = Signal(str)

    def __init__(self, model, prepare: Callable[[], PreparedData]):
        super().__init__()
        self.model, self.prepare = model, prepare

    def abort(self) -> None:
        """Nothing to interrupt: an evaluation is one pass over the test set."""

    @Slot()
    def run(self) -> None:
        try:
            self.evaluated.emit(evaluate_model(self.model, self.prepare()))
            self.finished.emit("completed")
        except Exception as exc:  # noqa: BLE001
            self.failed.emit("Evaluation failed: " + _describe(exc))
            self.finished.emit("error")

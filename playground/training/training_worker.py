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
"""
from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

import engine
from playground.core.loss_watch import LossWatch, weights_are_finite
from playground.core.pace import pace
from playground.core.training_data import PreparedData, evaluate_model, shaped_for

PROGRESS_INTERVAL = 0.05  # seconds between progress signals: ~20 Hz


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


class RunControl:
    """The switches the UI thread flips and the training callback obeys between batches."""

    def __init__(self):
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._steps_left = 0  # > 0: pause once this many more batches have run
        self.aborted = False  # closing the app: stop and skip the test-set evaluation

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        with self._lock:
            self._steps_left = 0
        self._running.set()

    def step(self, batches: int = 1) -> None:
        with self._lock:
            self._steps_left = batches
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused worker must wake up to notice

    def abort(self) -> None:
        self.aborted = True
        self.stop()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def should_pause_after_batch(self) -> bool:
        """Count a finished batch against a pending step; True when the worker should now wait."""
        with self._lock:
            if self._steps_left > 0:
                self._steps_left -= 1
                if self._steps_left == 0:
                    self._running.clear()
        return not self._running.is_set() and not self._stop.is_set()

    def wait_until_resumed(self) -> None:
        self._running.wait()


class ProgressCallback(engine.callbacks.Callback):
    """Turns the engine's hooks into throttled Qt signals and obeys ``RunControl``."""

    def __init__(self, worker: "TrainingWorker", control: RunControl, clock=time.perf_counter):
        super().__init__()
        self.worker, self.control, self.clock = worker, control, clock
        self.initial_epoch = 0
        self.final_epoch = 0
        self._pending: list[tuple[int, float, float]] = []
        self._logs: dict = {}

    # -- engine hooks (worker thread) --------------------------------------------------------
    def on_train_begin(self, logs=None):
        now = self.clock()
        self._started = self._last_emit = now
        self._paused_seconds = 0.0
        self._batches_done = 0
        self._timed_from: tuple[float, float] | None = None  # (clock, paused seconds) after batch 1
        self._timed_samples = 0
        self._epoch = self.initial_epoch
        self.worker.began.emit({**self.params, "initial_epoch": self.initial_epoch})

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_started = self.clock()
        self._epoch_paused = 0.0
        self._batch = 0
        self.worker.epoch_began.emit(int(epoch), int(self.params.get("epochs", self.final_epoch)))

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        self._batch = int(batch) + 1
        self._batches_done += 1
        if self._timed_from is None:  # the first batch warms up: time from its end
            self._timed_from = (self.clock(), self._paused_seconds)
        else:
            self._timed_samples += int(logs.get("size", self.params.get("batch_size", 0)))
        self._logs = logs
        self._pending.append((self._batch, logs.get("batch_loss", np.nan), logs.get("batch_accuracy", np.nan)))
        now = self.clock()
        if now - self._last_emit >= PROGRESS_INTERVAL:
            self._flush(now)
        if self.control.stop_requested:
            self.model.stop_training = True
        elif self.control.should_pause_after_batch():
            self._flush(now)
            self.worker.paused.emit()
            waited_from = self.clock()
            self.control.wait_until_resumed()
            waited = self.clock() - waited_from
            self._paused_seconds += waited
            self._epoch_paused += waited
            self.worker.resumed.emit()
            if self.control.stop_requested:
                self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self._flush(self.clock())
        seconds = self.clock() - self._epoch_started - self._epoch_paused
        weights = self.model.get_weights()  # copies, taken here so they are consistent
        self.worker.epoch_ended.emit({
            "epoch": int(epoch), "logs": dict(logs or {}), "seconds": seconds,
            "steps": int(self.params.get("steps", self._batch)), "batches_done": self._batch,
            "weights": weights,
        })

    def on_train_end(self, logs=None):
        self._flush(self.clock())

    # -- helpers -----------------------------------------------------------------------------
    def _flush(self, now: float) -> None:
        """Send the batches collected since the last signal (nothing when there are none)."""
        if not self._pending:
            return
        batches = np.array(self._pending, dtype=np.float64)
        self._pending = []
        self._last_emit = now
        steps = int(self.params.get("steps", 0)) or self._batch
        epochs = int(self.params.get("epochs", self.final_epoch))
        remaining = (epochs - self._epoch - 1) * steps + (steps - self._batch)
        since, paused_before = self._timed_from or (now, self._paused_seconds)
        timed_seconds = now - since - (self._paused_seconds - paused_before)
        speed, eta = pace(self._batches_done - 1, timed_seconds, self._timed_samples, remaining)
        self.worker.progressed.emit({
            "epoch": self._epoch, "epochs": epochs, "batch": self._batch, "steps": steps,
            "loss": float(self._logs.get("loss", np.nan)),
            "accuracy": float(self._logs.get("accuracy", np.nan)),
            "batches": batches,  # rows: (batch number in the epoch, batch loss, batch accuracy)
            "samples_per_second": speed,  # None while unknown
            "eta_seconds": eta,
        })


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
        job, reason = self.job, "error"
        try:
            data = job.prepare()
            callback = ProgressCallback(self, self.control)
            callback.initial_epoch, callback.final_epoch = job.initial_epoch, job.epochs
            watch = LossWatch(self.warned.emit)
            job.model.fit(
                shaped_for(job.model, data.x_train), data.y_train, batch_size=job.batch_size, epochs=job.epochs,
                verbose=0, callbacks=[watch, callback], validation_split=job.validation_split,
                shuffle=True, initial_epoch=job.initial_epoch,
            )
            reason = getattr(job.model, "stop_reason", None) or "completed"
            message = getattr(job.model, "stop_message", "") or ""
            weights = job.model.get_weights()
            self.fit_ended.emit(reason, message, weights)
        except Exception as exc:  # noqa: BLE001 - any engine error is reported, never a crash
            self.failed.emit(_describe(exc))
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


def _describe(exc: BaseException) -> str:
    """``ValueError: message`` plus where it came from (the last frame), for the log."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (in {frames[-1].name}, {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"

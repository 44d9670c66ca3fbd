"""What runs between a fit's batches, without Qt: ``ProgressCallback`` and ``RunControl``.

``ProgressCallback`` is the engine callback that reports a fit's progress and obeys the learner's
buttons. Its ``worker`` is anything with ``began``, ``epoch_began``, ``progressed``, ``paused``,
``resumed`` and ``epoch_ended`` whose ``emit(...)`` passes the news on: the ``TrainingWorker``'s
Qt signals when ``fit`` runs on the worker's thread, or messages to the window when it runs in
a training process (``playground.core.training_process``).

``RunControl`` holds the switches the UI thread flips (pause, step, stop, abort) and the callback
obeys. Made with a multiprocessing context, its switches are shared with a child process.
"""
from __future__ import annotations

import threading
import time

import numpy as np

import engine
from playground.core.pace import pace

PROGRESS_INTERVAL = 0.05  # seconds between progress signals: ~20 Hz


class _Number:
    """A plain ``.value``, as ``multiprocessing.Value`` has (one process: the lock guards it)."""

    def __init__(self, value: int):
        self.value = value


class RunControl:
    """The switches the UI thread flips and the training callback obeys between batches.

    ``RunControl()`` serves a fit on a thread of this process; ``RunControl(context)``, with a
    multiprocessing context, one in a child process of that context (the control is handed to
    the child when it starts)."""

    def __init__(self, context=None):
        kit = context or threading  # both make an Event and a Lock
        self._running = kit.Event()
        self._running.set()
        self._stop = kit.Event()
        self._lock = kit.Lock()
        self._steps_left = context.Value("i", 0, lock=False) if context else _Number(0)  # > 0: pause after as many batches
        self._aborted = context.Value("b", 0, lock=False) if context else _Number(0)  # closing the app

    @property
    def aborted(self) -> bool:
        """The app is closing: stop, and skip the test-set evaluation."""
        return bool(self._aborted.value)

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        with self._lock:
            self._steps_left.value = 0
        self._running.set()

    def step(self, batches: int = 1) -> None:
        with self._lock:
            self._steps_left.value = batches
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused worker must wake up to notice

    def abort(self) -> None:
        self._aborted.value = 1
        self.stop()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def should_pause_after_batch(self) -> bool:
        """Count a finished batch against a pending step; True when the worker should now wait."""
        with self._lock:
            if self._steps_left.value > 0:
                self._steps_left.value -= 1
                if self._steps_left.value == 0:
                    self._running.clear()
        return not self._running.is_set() and not self._stop.is_set()

    def wait_until_resumed(self, timeout: float | None = None) -> bool:
        """Wait for resume, step or stop (at most ``timeout`` seconds); False if it timed out."""
        return self._running.wait(timeout)


class ProgressCallback(engine.callbacks.Callback):
    """Turns the engine's hooks into throttled progress news and obeys ``RunControl``."""

    def __init__(self, worker, control: RunControl, clock=time.perf_counter):
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

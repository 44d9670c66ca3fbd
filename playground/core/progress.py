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


RUNNING, STOP, STEPS_LEFT, ABORTED = range(4)  # RunControl's switches, in that order
POLL_SECONDS = 0.005  # how often a fit paused in a child process looks whether it may go on


class RunControl:
    """The switches the UI thread flips and the training callback obeys between batches.

    ``RunControl()`` serves a fit on a thread of this process; ``RunControl(context)``, with a
    multiprocessing context, one in a child process of that context (the control is handed to
    the child when it starts). The switches are four integers changed under one lock. A paused
    fit on a thread sleeps until a switch changes; one in a child looks every ``POLL_SECONDS``
    (a single shared lock and a shared array are all a child needs: multiprocessing's Event,
    built of five semaphores, once left a child paused after a Step had set it going)."""

    def __init__(self, context=None):
        self._lock = (context or threading).Lock()
        self._switches = context.RawArray("i", 4) if context else [0, 0, 0, 0]
        self._switches[RUNNING] = 1
        self._changed = threading.Condition(self._lock) if context is None else None

    def _set(self, *changes: tuple[int, int]) -> None:
        """``_set((STOP, 1), (RUNNING, 1))``: switches changed together, under the lock."""
        with self._lock:
            for switch, value in changes:
                self._switches[switch] = value
            if self._changed is not None:
                self._changed.notify_all()

    @property
    def aborted(self) -> bool:
        """The app is closing: stop, and skip the test-set evaluation."""
        return bool(self._switches[ABORTED])

    def pause(self) -> None:
        self._set((RUNNING, 0))

    def resume(self) -> None:
        self._set((STEPS_LEFT, 0), (RUNNING, 1))

    def step(self, batches: int = 1) -> None:
        self._set((STEPS_LEFT, batches), (RUNNING, 1))

    def stop(self) -> None:
        self._set((STOP, 1), (RUNNING, 1))  # a paused worker must wake up to notice

    def abort(self) -> None:
        self._set((ABORTED, 1), (STOP, 1), (RUNNING, 1))

    @property
    def stop_requested(self) -> bool:
        return bool(self._switches[STOP])

    def should_pause_after_batch(self) -> bool:
        """Count a finished batch against a pending step; True when the worker should now wait."""
        with self._lock:
            if self._switches[STEPS_LEFT] > 0:
                self._switches[STEPS_LEFT] -= 1
                if self._switches[STEPS_LEFT] == 0:
                    self._switches[RUNNING] = 0
            return not self._switches[RUNNING] and not self._switches[STOP]

    def wait_until_resumed(self, timeout: float | None = None) -> bool:
        """Wait for resume, step or stop (at most ``timeout`` seconds); False if it timed out."""
        if self._changed is not None:
            with self._changed:
                return self._changed.wait_for(lambda: self._switches[RUNNING], timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._switches[RUNNING]:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True


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

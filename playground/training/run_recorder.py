"""Writes every training run into the ``RunHistory``, listening to the ``TrainingController``.

The controller already says everything a run is: ``run_started`` (a fresh network, its random
weights in ``run.snapshot``: epoch 0), ``fit_began``, ``progressed`` (each batch's loss and
accuracy at its plot position), ``epoch_ended`` (the epoch's logs; ``run.snapshot`` holds that
epoch's weights by then), ``evaluated`` (the test set) and ``state.training_finished`` (the
reason). The recorder only listens: the controller needs no change.

Writing must never stall the window (compressing the chapter's 1.6 MB of weights takes tens of
milliseconds), so the UI thread only copies what it is handed and queues the writes; one
background thread performs them in order, at a lower priority than the UI thread and training.
Batches are kept in memory until their epoch ends and written with it, in one transaction: a
crash loses at most the run being written.
``recorded(history_id)`` says, on the UI thread, that a run's record changed; ``failed(text)``
that a write failed (disk full, the file taken away), in the app's words. The writer thread
posts both to a mailbox and holds no Qt object (``playground.core.mailbox``).
"""
from __future__ import annotations

import copy
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

import engine
from playground.core import thread_priority
from playground.core.persistence import layers_to_text
from playground.core.mailbox import Mailbox
from playground.core.run_history import HistoryError, RunHistory, dataset_hash
from playground.training.mailbox_reader import MailboxReader
from playground.training.state import AppState
from playground.training.training_controller import TrainingController


class RunRecorder(QObject):
    """Records the controller's runs in ``history``; ``close()`` waits for the last writes."""

    recorded = Signal(int)  # a run's history id: its record changed (emitted on the UI thread)
    failed = Signal(str)

    def __init__(self, state: AppState, controller: TrainingController, history: RunHistory,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.state, self.controller, self.history = state, controller, history
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="RunHistoryWriter",
                                          initializer=thread_priority.lower_this_thread)
        self._writer.submit(int)  # its thread starts now, not when Train is pressed (a start waits for it)
        self._ids: dict[int, Future] = {}  # session run number -> Future of its history id
        self._hashes: tuple[object, Future] | None = None  # (dataset, Future of its content hash)
        self._fit: dict | None = None  # the fit in progress: its run, batches not yet written, seconds, test metrics
        self._fitted: set[int] = set()  # session numbers of the runs that have had a fit
        self._closed = False
        self._writes_pending = 0  # queued writes whose outcome the mailbox has not yet delivered
        self._outcomes = MailboxReader(self._on_written, lambda: self._writes_pending > 0, self)
        controller.run_started.connect(self._on_run_started)
        controller.fit_began.connect(self._on_fit_began)
        controller.progressed.connect(self._on_progressed)
        controller.epoch_ended.connect(self._on_epoch_ended)
        controller.evaluated.connect(self._on_evaluated)
        state.training_finished.connect(self._on_training_finished)

    # -- queries ---------------------------------------------------------------------------------------
    def history_id(self, number: int) -> int | None:
        """The history id of this session's run ``number`` (None until it is written, or if it failed)."""
        future = self._ids.get(number)
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result()

    def session_numbers(self) -> dict[int, int]:
        """``{history id: session run number}`` for the runs of this session already written."""
        return {self.history_id(n): n for n in self._ids if self.history_id(n) is not None}

    @property
    def recording(self) -> int | None:
        """The session number of the run being trained now, or None."""
        return self._fit["run"].number if self._fit is not None else None

    def dataset_hash(self) -> str:
        """The loaded dataset's content hash ("" when none is loaded); computed once per dataset."""
        future = self._hash_of(self.state.dataset)
        return future.result() if future is not None else ""

    def annotate(self, number: int, note: str) -> None:
        """Give this session's run ``number`` a note, once its record exists."""
        history = self.history
        self._write_for(number, lambda run_id: history.set_note(run_id, note))

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued write is done (tests; before reading what was just recorded)."""
        self._writer.submit(int).result(timeout)
        self._outcomes.read_now()

    def forget(self, history_ids) -> None:
        """These records were deleted: nothing more is written for their runs (a Continue included)."""
        gone = set(history_ids)
        for number in [n for n in self._ids if self.history_id(n) in gone]:
            del self._ids[number]

    def close(self) -> None:
        """Finish the queued writes and stop the writer thread (the window is closing). A run
        still training is kept as "interrupted", with every batch it reported."""
        if self._closed:
            return
        if self._fit is not None:
            self._on_training_finished("interrupted")
        self._closed = True
        self._writer.shutdown(wait=True)
        self._outcomes.read_now()

    # -- controller signals (UI thread) ---------------------------------------------------------------
    @Slot(object)
    def _on_run_started(self, run) -> None:
        if self._closed:
            return
        state = self.state
        dataset = state.dataset
        settings = asdict(state.settings)
        if run.pretrained:  # (not a TrainSettings field: the Runs panel reads it to warn Train again)
            settings["from_loaded_model"] = True
        start = {
            "name": "loaded model" if run.pretrained else "",
            "layers": json.loads(layers_to_text(state.layers)),
            "settings": settings, "seed": settings["seed"],
            "dataset_name": dataset.name if dataset is not None else "",
            "model_config": _jsonable(run.model.get_config()),
            "engine_version": engine.__version__,
        }
        weights = run.snapshot.get_weights()  # the random start (or the loaded weights): epoch 0
        digest = self._hash_of(dataset)
        history = self.history

        def write() -> int:
            run_id = history.start_run(**start, dataset_hash=digest.result() if digest else "")
            history.add_weights(run_id, 0, weights)
            return run_id

        self._ids[run.number] = self._queue(write)

    @Slot(object)
    def _on_fit_began(self, params: dict) -> None:
        run = params["run"]
        self._fit = {"run": run, "batches": [], "seconds": 0.0, "metrics": None}
        if run.number in self._fitted:  # Continue: the same record trains on
            self._write_for(run.number, self.history.reopen)
        self._fitted.add(run.number)

    @Slot(object)
    def _on_progressed(self, progress: dict) -> None:
        fit = self._fit
        if fit is None or progress["run"] is not fit["run"]:
            return
        batches = progress["batches"]
        rows = np.empty((len(batches), 5))
        rows[:, 0] = progress["x"]
        rows[:, 1] = progress["epoch"] + 1  # the book's 1-based epochs
        rows[:, 2:] = batches
        fit["batches"].append(rows)

    @Slot(object)
    def _on_epoch_ended(self, info: dict) -> None:
        fit = self._fit
        if fit is None or info["run"] is not fit["run"]:
            return
        run = fit["run"]
        weights = run.snapshot.get_weights()  # the controller has just copied this epoch's weights in
        batches = np.concatenate(fit["batches"]) if fit["batches"] else np.empty((0, 5))
        fit["batches"] = []
        fit["seconds"] += float(info.get("seconds", 0.0))
        epoch, logs, x, seconds = info["epoch"] + 1, dict(info["logs"]), info["x"], info.get("seconds")
        history = self.history
        self._write_for(run.number, lambda run_id: history.end_epoch(
            run_id, epoch, logs, weights, x=x, seconds=seconds, batches=batches.tolist()))

    @Slot(object)
    def _on_evaluated(self, evaluation) -> None:
        if self._fit is not None:
            self._fit["metrics"] = {"loss": evaluation.loss, "accuracy": evaluation.accuracy}

    @Slot(str)
    def _on_training_finished(self, reason: str) -> None:
        fit, self._fit = self._fit, None
        if fit is None:
            return
        run = fit["run"]
        batches = np.concatenate(fit["batches"]) if fit["batches"] else np.empty((0, 5))
        metrics, seconds = fit["metrics"], fit["seconds"]
        history = self.history

        def finish(run_id: int) -> None:
            history.add_batches(run_id, batches.tolist())  # a Step or Pause that ended no epoch
            history.finish(run_id, metrics, reason, seconds=seconds)

        self._write_for(run.number, finish)

    # -- the writer ---------------------------------------------------------------------------------------
    def _hash_of(self, dataset) -> Future | None:
        """The dataset's content hash, computed once per dataset on the writer thread."""
        if dataset is None:
            return None
        if self._closed:  # no writer thread any more: hash here
            done: Future = Future()
            done.set_result(dataset_hash(dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test))
            return done
        if self._hashes is None or self._hashes[0] is not dataset:
            arrays = (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test)
            self._hashes = (dataset, self._writer.submit(dataset_hash, *arrays))
        return self._hashes[1]

    def _write_for(self, number: int, write) -> None:
        """Queue ``write(history_id)`` for this session's run ``number`` (after its start is written)."""
        start = self._ids.get(number)
        if start is None or self._closed:
            return

        def job() -> int | None:
            if start.exception() is not None:  # its start failed and was reported: nothing to add to
                return None
            run_id = start.result()
            write(run_id)
            return run_id

        self._queue(job)

    def _queue(self, job) -> Future:
        future = self._writer.submit(_write, job, self._outcomes.mailbox)
        self._writes_pending += 1  # each write posts exactly one outcome
        self._outcomes.wake()
        return future

    def _on_written(self, run_id: int | None, error: str | None) -> None:  # the mailbox, on the UI thread
        self._writes_pending -= 1
        if error is not None:
            self.failed.emit(error)
        elif run_id is not None:
            self.recorded.emit(run_id)


def _write(job, outcomes: Mailbox) -> int | None:  # on the writer thread
    """Run one write; post ``(history id or None, error text or None)``."""
    try:
        run_id = job()
    except Exception as error:  # noqa: BLE001 - reported in words; recording never crashes training
        text = str(error) if isinstance(error, HistoryError) else f"The run history could not be written: {error}"
        outcomes.post(None, text)
        raise
    outcomes.post(run_id, None)
    return run_id


def _jsonable(value):
    """A model config as JSON can hold it (tuples become lists, NumPy numbers plain numbers)."""
    return json.loads(json.dumps(copy.deepcopy(value), default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def model_from_record(config: dict, weights) -> engine.Sequential:
    """The network a record describes, holding ``weights``, built without drawing a random
    number (a seeded run elsewhere stays the same; see ``playground.core.inside.Snapshot``)."""
    config = copy.deepcopy(config)
    for layer in config.get("layers", []):
        layer["config"] = {key: ("zeros" if key.endswith("_initializer") else value)
                           for key, value in layer.get("config", {}).items()}
    model = engine.Sequential.from_config(config)
    model.set_weights(weights)
    return model

"""Owns the training thread: start, pause, resume, stop, step, reset, and a clean shutdown.

The Train button calls ``start()``. On the UI thread (cheap) it takes the network the learner
designed, seeded, built and compiled (``state.build_model()``) ahead of time once the design had
settled for ``BUILD_AHEAD_MS`` (or builds it now), and hands a
``TrainingJob`` to a ``TrainingWorker`` living in a fresh ``QThread``; the data preparation of
chapter 2 (``prepare_images``: reshape to 784 and scale to [0, 1]; ``to_categorical``: one-hot
labels) runs on that thread, so the window never stalls. ``fit`` itself runs in a training process
(``ProcessTrainingWorker``), so that the window never waits for Python's interpreter lock while
the trainer's threads work; where that cannot be (``process_worker.available()``), on the
worker's thread. Worker signals come back here, queued on the UI thread, and become
``AppState`` updates plus a few signals for the Training panel.

A **run** is one network's life: it begins when a fresh model is built and ends at Reset
weights or when the design changes (layers, dataset, optimizer, batch size...; not the epoch
count). Runs are numbered when they first train, so the numbers in the run list never skip.

**Continue** trains the same weights up to the Epochs setting (Keras's ``initial_epoch``; after
Stop, the cut epoch is run again); ``plan()`` says which epochs before Train is pressed, and a
diverged run offers only Reset weights: see ``playground.core.runs``.
"""
from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

import engine
from playground.core import shared_tensors
from playground.core.design import parameter_count
from playground.core.handwriting import with_training_digits
from playground.core.loss_watch import weights_are_finite
from playground.core.runs import Plan, Run, plan_for
from playground.core.training_data import PreparedDataCache
from playground.text.keras_log import evaluation_line, run_label
from playground.training.my_digits import training_digits
from playground.training.state import (
    EVALUATING, IDLE, PAUSED, RUNNING, STOPPING, AppState,  # noqa: F401 (the phases, re-exported)
)
from playground.training import process_worker
from playground.training.process_worker import ProcessTrainingWorker
from playground.training.training_worker import EvaluationWorker, TrainingJob, TrainingWorker

DIVERGED = ("This network diverged: its loss became NaN, so its weights are unusable. Press Reset "
            "weights in the Training panel (or lower the learning rate) and train again.")
BUILD_AHEAD_MS = 300  # the design has not changed for this long: build the next run's network
BUILD_AHEAD_MAX_PARAMS = 2_000_000  # bigger networks are built at the press of Train (~20 ms per million)
_STILL_RUNNING: list = []  # threads that outlived shutdown()'s timeout, kept alive until exit


class TrainingController(QObject):
    """Thread lifecycle and run bookkeeping; the Training panel's buttons call its methods."""

    phase_changed = Signal(str)  # IDLE, RUNNING, PAUSED, STOPPING, EVALUATING
    run_started = Signal(object)  # Run: a new colour and run-list entry
    fit_began = Signal(object)  # {"run", "initial_epoch", "epochs", "steps", "samples", ...}
    epoch_began = Signal(int, int)
    progressed = Signal(object)  # worker's progress dict plus "x": plot positions of the batches
    epoch_ended = Signal(object)  # worker's epoch dict plus "x" and "run"
    fit_ended = Signal(str, str)  # (reason, message)
    paused_at = Signal(object)  # the batch training paused after: {"run", "epoch", "batch", "steps", "x",
    #                             "loss", "accuracy", "step"} ("step": it was Step one batch)
    warned = Signal(str)  # the loss has stopped improving (see playground.core.loss_watch)
    evaluated = Signal(object)
    failed = Signal(str)
    message = Signal(str)  # one line for the status bar and the log

    def __init__(self, state: AppState, parent: QObject | None = None):
        super().__init__(parent)
        self.state = state
        self.run: Run | None = None
        self._runs = 0
        self._worker: TrainingWorker | None = None
        self._jobs: list[tuple[QThread, QObject]] = []  # live threads and their workers
        self.in_process = process_worker.available()[0]  # else fit runs on the worker thread
        # prepared in the background, ready before Train (where a training process maps it from)
        self._cache = PreparedDataCache(place=shared_tensors.in_shared_memory if self.in_process else None)
        self._fit_base = 0.0  # run.position when this fit began
        self._fit_initial_epoch = 0
        self._evaluation_source = None  # the model whose on-demand evaluation is on its way
        self._last_batch: dict | None = None  # the newest batch the worker reported
        self._stepping = False  # the pause on its way ends a Step one batch
        state.evaluation_requested.connect(self.evaluate_current)
        state.dataset_changed.connect(self._prepare_data_early)
        state.settings_changed.connect(self._prepare_data_early)
        self._prepare_data_early()
        # the next fresh run, built while the learner is still deciding: (run, random state after building it)
        self._built_ahead: tuple[Run, object] | None = None
        self._build_ahead_timer = QTimer(self)
        self._build_ahead_timer.setSingleShot(True)
        self._build_ahead_timer.setInterval(BUILD_AHEAD_MS)
        self._build_ahead_timer.timeout.connect(self._build_next_run_ahead)
        for changed in (state.dataset_changed, state.network_changed, state.settings_changed):
            changed.connect(self._build_ahead_timer.start)
        self._build_ahead_timer.start()
        if self.in_process:
            threading.Thread(target=process_worker.warm_up, name="training-process-warm-up", daemon=True).start()

    def _prepare_data_early(self) -> None:
        self._cache.warm(self.state.dataset, self.state.settings)

    # -- queries --------------------------------------------------------------------------------
    @property
    def is_busy(self) -> bool:
        return self.phase != IDLE

    def will_continue(self) -> bool:
        """Would Train continue trained weights (rather than start from random ones)?"""
        run = self.run
        return run is not None and (run.position > 0 or run.pretrained) and run.design == self._design()

    def plan(self) -> Plan:
        """What Train (or Step one batch from idle) would do now; see the module docstring."""
        return plan_for(self.run if self.will_continue() else None, int(self.state.settings.epochs))

    def threads(self) -> list[QThread]:
        return [thread for thread, _ in self._jobs]

    # -- the buttons ------------------------------------------------------------------------------
    def start(self, step: bool = False) -> bool:
        """Train (or, with ``step``, run one batch and pause). False, with a message, if it can't."""
        if self.is_busy:
            return False
        errors = self.state.training_errors()
        plan = self.plan()
        if errors or plan.blocked:
            self.message.emit(f"Cannot train: {errors[0] if errors else plan.blocked}")
            return False
        settings = self.state.settings
        try:
            run = self._current_run_or_new()
        except Exception as exc:  # noqa: BLE001 - an engine error must not crash the app
            self.failed.emit(f"Could not build the network: {type(exc).__name__}: {exc}")
            return False
        initial, target = plan.first - 1, plan.last  # Keras's fit(epochs=target, initial_epoch=initial)
        run.target_epochs = target
        self.state.set_evaluation(None)  # the weights are about to change: old test numbers would be stale
        if not run.started:  # a fresh network: what the other panels show must be about it
            run.started = True
            self._runs += 1
            run.number = self._runs
            if not run.pretrained:
                self.state.set_model(run.snapshot, trained=False)
            self.run_started.emit(run)
        dataset = self.state.dataset
        mine = training_digits(self.state)  # the learner's own digits, if My digits adds them to the training data
        cache = self._cache  # the job holds no Qt object (playground.core.mailbox), not this controller
        job = TrainingJob(
            model=run.model, prepare=lambda: with_training_digits(cache.get(dataset, settings), mine),
            batch_size=settings.batch_size, epochs=target, initial_epoch=initial,
            validation_split=settings.validation_split, start_paused_after=1 if step else 0,
        )
        self._fit_base, self._fit_initial_epoch = run.position, initial
        self._last_batch, self._stepping = None, step
        worker = ProcessTrainingWorker(job) if self.in_process else TrainingWorker(job)
        worker.began.connect(self._on_began)
        worker.epoch_began.connect(self.epoch_began)
        worker.progressed.connect(self._on_progressed)
        worker.epoch_ended.connect(self._on_epoch_ended)
        worker.paused.connect(self._on_paused)
        worker.resumed.connect(self._on_resumed)
        worker.fit_ended.connect(self._on_fit_ended)
        worker.warned.connect(self.warned)
        worker.evaluated.connect(self._on_evaluated)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_training_finished)
        self._worker = worker
        self._set_phase(RUNNING)
        what = "continues" if plan.continues else "trains"
        epochs = f"epoch {plan.first}" if plan.first == plan.last else f"epochs {plan.first} to {plan.last}"
        self.message.emit(f"Run {run.number} {what}: {epochs}")  # replaces what the last run left there
        # last: once the worker runs, the UI thread shares Python's interpreter lock with it, and the
        # panels' updates above would wait for it (a press took 90 ms instead of 30 on a busy machine)
        self._launch(worker)
        return True

    def pause(self) -> None:
        if self._worker is not None and self.phase == RUNNING:
            self._worker.pause()  # the phase becomes PAUSED when the worker says it waits

    def resume(self) -> None:
        # also while RUNNING: a Pause pressed a moment ago may not have taken effect yet
        if self._worker is not None and self.phase in (RUNNING, PAUSED):
            self._stepping = False
            self._worker.resume()

    def step(self) -> None:
        """Paused: let exactly one more batch run. Idle: start and pause after the first batch."""
        if self.phase == IDLE:
            self.start(step=True)
        elif self._worker is not None and self.phase == PAUSED:
            self._stepping = True
            self._worker.step()

    def stop(self) -> None:
        if self._worker is not None and self.phase in (RUNNING, PAUSED):
            self._set_phase(STOPPING)
            self._worker.stop()

    def reset_weights(self) -> None:
        """Forget the trained weights: the next Train starts a new run from random weights."""
        if self.is_busy:
            return
        self.run = None
        try:
            run = self._current_run_or_new()
        except Exception:  # noqa: BLE001 - an invalid design: nothing to show until it is fixed
            self.state.set_model(None)
            return
        self.state.set_evaluation(None)
        self.state.set_model(run.snapshot, trained=False)
        self.message.emit(f"Weights reset to random values (seed {self.state.settings.seed}): "
                          "the next Train starts a new run.")

    def forget_run(self) -> None:
        """The weights shown no longer belong to the current run: the next Train starts afresh."""
        if not self.is_busy:
            self.run = None

    def adopt_model(self, model: engine.Sequential, label: str) -> bool:
        """Make a loaded model the current run, so Train continues from its weights.

        Call it after ``state.set_layers`` matches the model's architecture. ``model`` stays the
        UI's snapshot (``state.model``); training happens on a compiled copy.
        """
        if self.is_busy:
            return False
        settings = self.state.settings
        training = engine.models.copy_model(model)
        optimizer = engine.optimizers.get(settings.optimizer, **settings.optimizer_kwargs())
        training.compile(optimizer=optimizer, loss=settings.loss, metrics=["accuracy"])
        self.run = Run(0, label, self._design(), training, model, dataset=self.state.dataset, pretrained=True)
        return True

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Stop everything and wait for the threads (the window is closing)."""
        for thread, worker in list(self._jobs):
            worker.abort()
            thread.quit()
        for thread, worker in list(self._jobs):
            if not thread.wait(timeout_ms):  # never let Python free a running QThread (abort)
                _STILL_RUNNING.append((thread, worker))
        self._jobs.clear()
        self._worker = None
        self._cache.clear()
        self._set_phase(IDLE, "stopped")

    # -- evaluation ------------------------------------------------------------------------------
    @Slot()
    def evaluate_current(self) -> None:
        """Evaluate ``state.model`` on the test set, on a private copy and a worker thread."""
        model, dataset = self.state.model, self.state.dataset
        if model is None or dataset is None:
            self.message.emit("Nothing to evaluate yet: train a network or load a model.")
            return
        if self.state.model_problem:
            self.message.emit("Nothing to evaluate: this network diverged and its weights are unusable. "
                              "Press Reset weights and train again.")
            return
        if self.is_busy:  # the run evaluates itself when it ends; an older result must not win
            self.message.emit("Training is running: the test set is evaluated when it ends.")
            return
        settings = self.state.settings
        try:
            # copy_model draws no random numbers: a run continued after this evaluation shuffles as
            # the same seed trained in one go (the Runs panel's Train again must give the same bits)
            copy = engine.models.copy_model(model)
            copy.compile(optimizer="rmsprop", loss=settings.loss, metrics=["accuracy"])
        except Exception as exc:  # noqa: BLE001
            self.failed.emit(f"Could not evaluate this model: {type(exc).__name__}: {exc}")
            return
        worker = EvaluationWorker(copy, lambda: self._cache.get(dataset, settings))
        self._evaluation_source = model
        worker.evaluated.connect(self._on_requested_evaluation)
        worker.failed.connect(self._on_failed)
        self.message.emit("Evaluating on the test set...")
        self._launch(worker)

    # -- worker signals (queued onto the UI thread) ----------------------------------------------
    @Slot(object)
    def _on_began(self, params: dict) -> None:
        self.fit_began.emit({**params, "run": self.run})

    @Slot(object)
    def _on_progressed(self, progress: dict) -> None:
        batches = progress["batches"]
        progress["x"] = self._x(progress["epoch"], batches[:, 0], progress["steps"])
        progress["run"] = self.run
        self.run.position = float(progress["x"][-1])
        last = batches[-1]
        self._last_batch = {"run": self.run, "epoch": progress["epoch"], "batch": int(last[0]),
                            "steps": progress["steps"], "x": self.run.position, "loss": float(last[1]),
                            "accuracy": float(last[2])}
        self.progressed.emit(progress)

    @Slot(object)
    def _on_epoch_ended(self, info: dict) -> None:
        run = self.run
        if info["batches_done"] >= info["steps"]:  # a stopped epoch is redone when Train continues
            run.epochs_done = info["epoch"] + 1
        run.position = float(self._x(info["epoch"], info["batches_done"], info["steps"]))
        info["x"], info["run"] = run.position, run
        self._show_snapshot(info.pop("weights"))
        self.epoch_ended.emit(info)

    @Slot()
    def _on_paused(self) -> None:
        if self.phase == RUNNING:  # a pause that arrives after Stop must not revive the buttons
            if self._last_batch is not None:  # the worker sent that batch just before pausing
                self.paused_at.emit({**self._last_batch, "step": self._stepping})
            self._stepping = False
            self._set_phase(PAUSED)

    @Slot()
    def _on_resumed(self) -> None:
        if self.phase == PAUSED:
            self._set_phase(RUNNING)

    @Slot(str, str, object)
    def _on_fit_ended(self, reason: str, message: str, weights) -> None:
        if self.run is not None and reason == "nan":
            self.run.diverged = True  # whatever the engine kept, these weights are not a trained network
        self._show_snapshot(weights)
        self._set_phase(EVALUATING)
        self.fit_ended.emit(reason, message)

    @Slot(object)
    def _on_evaluated(self, evaluation) -> None:
        self.state.set_evaluation(evaluation)
        self.evaluated.emit(evaluation)
        self.message.emit(evaluation_line(evaluation.loss, evaluation.accuracy))

    @Slot(object)
    def _on_requested_evaluation(self, evaluation) -> None:
        # A new run (or a loaded model) may have replaced the model while this one was evaluated:
        # its numbers would then describe weights nobody sees any more.
        if self.state.model is self._evaluation_source:
            self._on_evaluated(evaluation)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    @Slot(str)
    def _on_training_finished(self, reason: str) -> None:
        self._worker = None
        self._set_phase(IDLE, reason)

    # -- helpers ------------------------------------------------------------------------------------
    def _launch(self, worker: QObject) -> None:
        thread = QThread()
        thread.setObjectName(type(worker).__name__)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(thread.quit)
        thread.finished.connect(self._reap_threads)  # a bound slot: runs on the UI thread
        self._jobs.append((thread, worker))
        thread.start()

    @Slot()
    def _reap_threads(self) -> None:
        """Drop finished threads (and their workers); Python owns them, so this frees them."""
        self._jobs = [(t, w) for t, w in self._jobs if not t.isFinished()]

    def _design(self) -> tuple:
        """What makes a run: everything but the epoch count (changing it just trains longer)."""
        return (id(self.state.dataset), self.state.layers, replace(self.state.settings, epochs=0))

    def _current_run_or_new(self) -> Run:
        design = self._design()
        if self.run is not None and self.run.design == design:
            return self.run
        ahead, self._built_ahead = self._built_ahead, None
        if ahead is not None and ahead[0].design == design:
            run, random_state = ahead
            engine.utils.set_random_state(random_state)  # as if seeded and built just now
            run.label = run_label(self.state.layers, self.state.settings)
            self.run = run
        else:
            self.run = self._fresh_run(design)
        return self.run

    def _fresh_run(self, design: tuple) -> Run:
        """A new run of the current design: the seeded random weights, and a snapshot for the UI."""
        settings = self.state.settings
        engine.utils.set_random_seed(settings.seed)
        model = self.state.build_model()
        snapshot = engine.models.copy_model(model)
        return Run(0, run_label(self.state.layers, settings), design, model, snapshot, dataset=self.state.dataset)

    @Slot()
    def _build_next_run_ahead(self) -> None:
        """Build the network the next Train would start, now that the design has settled.

        Seeding, building and copying the chapter's network took a third of the press of Train,
        the longest pause of the window as training starts. Built ahead, the press only takes
        it, and puts the engine's random state where the build left it (the run is the same,
        number for number); the rest of the app's random numbers are left as they were.
        """
        if self.is_busy:
            return  # the design cannot change while training; the end of the fit calls again
        design = self._design()
        if (self.run is not None and self.run.design == design) or (
                self._built_ahead is not None and self._built_ahead[0].design == design):
            return  # Train continues the current run, or the next one is ready
        self._built_ahead = None
        state = self.state
        if state.network_errors() or state.settings_errors() or state.dataset is None:
            return
        if (parameter_count(state.layers, state.image_shape, state.classes) or 0) > BUILD_AHEAD_MAX_PARAMS:
            return  # a big network is built when Train is pressed, not while the learner edits
        outside = engine.utils.get_random_state()
        try:
            run = self._fresh_run(design)
            self._built_ahead = (run, engine.utils.get_random_state())
        except Exception:  # noqa: BLE001 - Train builds again and reports the problem
            pass
        finally:
            engine.utils.set_random_state(outside)

    def _show_snapshot(self, weights) -> None:
        """Copy the worker's weight snapshot into the UI's model and announce it."""
        if self.run is None or weights is None:
            return
        if not weights_are_finite(weights):  # whatever the engine reported
            self.run.diverged = True
        self.run.snapshot.set_weights(weights)
        self.state.set_model(self.run.snapshot, trained=True, problem=DIVERGED if self.run.diverged else "")

    def _x(self, epoch: int, batch, steps: int):
        """Plot position in epochs of data seen: fractional for batches, whole at epoch ends."""
        return self._fit_base + (epoch - self._fit_initial_epoch) + np.asarray(batch, dtype=float) / max(steps, 1)

    @property
    def phase(self) -> str:
        """Where training is: the state's record (``AppState.training_phase``), the only one."""
        return self.state.training_phase

    def _set_phase(self, phase: str, reason: str = "completed") -> None:
        if phase != self.phase:
            self.state.set_training_phase(phase, reason)
            self.phase_changed.emit(phase)
            if phase == IDLE:
                self._build_ahead_timer.start()

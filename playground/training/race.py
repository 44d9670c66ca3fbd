"""A race: the same network from the same seed under several optimizers or learning rates,
trained one after another (each a new run, so each gets its own colour on the plots), then the
learner's own recipe is put back. Stop (or an error) ends the race.

``race_variants`` reads the learner's list (``"sgd, adam"``, ``"0.001, 0.01"``) into settings,
refusing in words what cannot race. ``Race`` drives the ``TrainingController`` through its
buttons' methods only, and notes each run in the history ("race 2/3: lr=0.01").
"""
from __future__ import annotations

import math
import re
from dataclasses import replace

from PySide6.QtCore import QObject, QTimer, Signal

from playground.core.specs import OPTIMIZERS, TrainSettings, settings_errors
from playground.training.run_recorder import RunRecorder
from playground.training.state import AppState
from playground.training.training_controller import TrainingController

RACES = {"optimizers": "rmsprop, sgd, adam, adagrad", "learning rates": "0.0001, 0.001, 0.01"}


class Race(QObject):
    """Trains ``variants`` one after another (each a new run from the same seed), then puts the
    learner's own settings back. Stop (or an error) ends the race."""

    message = Signal(str)
    ended = Signal()

    def __init__(self, state: AppState, controller: TrainingController, recorder: RunRecorder,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.state, self.controller, self.recorder = state, controller, recorder
        self._queue: list[tuple[str, TrainSettings]] = []
        self._original: TrainSettings | None = None
        self._current = ""
        self._done: list[str] = []
        self._total = 0
        self._next_timer = QTimer(self)  # the next run starts once everyone has heard this one end
        self._next_timer.setSingleShot(True)
        self._next_timer.setInterval(0)
        self._next_timer.timeout.connect(self._start_next)
        state.training_finished.connect(self._on_finished)
        controller.run_started.connect(self._on_run_started)

    @property
    def running(self) -> bool:
        return self._original is not None

    def start(self, variants: list[tuple[str, TrainSettings]]) -> None:
        self._queue, self._original = list(variants), self.state.settings
        self._done, self._total = [], len(variants)
        self._start_next()

    def _start_next(self) -> None:
        if not self._queue:
            self._end(f"Race done: {', '.join(self._done)} overlaid on the plots, each from seed "
                      f"{self._original.seed}.")
            return
        self._current, settings = self._queue.pop(0)
        self.state.set_settings(settings)
        self.controller.reset_weights()  # a new run from the seed, whatever was trained before
        if not self.controller.start():
            self._end(f"The race stopped: {self._current} could not train (the Training panel says why).")

    def _on_run_started(self, run) -> None:
        if self.running:
            self.recorder.annotate(run.number, f"race {len(self._done) + 1}/{self._total}: {self._current}")

    def _on_finished(self, reason: str) -> None:
        if not self.running:
            return
        self._done.append(self._current + (" (diverged)" if reason == "nan" else ""))
        if reason in ("completed", "early_stopping", "nan"):
            self._next_timer.start()
        else:
            self._end(f"The race stopped after {len(self._done)} of {self._total} runs.")

    def cancel(self) -> None:
        if self.running:
            self._queue.clear()

    def _end(self, text: str) -> None:
        original, self._original, self._queue = self._original, None, []
        if original is not None:
            self.state.set_settings(original)  # the learner's own recipe again (Train starts afresh)
        self.message.emit(text)
        self.ended.emit()


def race_variants(kind: str, text: str, settings: TrainSettings, train_count: int | None) -> list[tuple[str, TrainSettings]]:
    """The race's runs from the learner's list (``"sgd, adam"`` or ``"0.001, 0.01"``); ValueError in words."""
    items = [item for item in re.split(r"[,\s;]+", text.strip()) if item]
    if kind == "optimizers":
        unknown = [item for item in items if item.lower() not in OPTIMIZERS]
        if unknown:
            raise ValueError(f"“{unknown[0]}” is not an optimizer here: race {', '.join(OPTIMIZERS)}.")
        variants = [(item.lower(), replace(settings, optimizer=item.lower())) for item in items]
    else:
        variants = []
        for item in items:
            try:
                rate = float(item)
            except ValueError:
                raise ValueError(f"“{item}” is not a learning rate: write numbers such as 0.001, 0.01.") from None
            if not math.isfinite(rate) or rate <= 0:
                raise ValueError(f"A learning rate must be above 0 (got {item}).")
            variants.append((f"lr={rate:g}", replace(settings, learning_rate=rate)))
    names = [name for name, _ in variants]
    if len(set(names)) < 2:
        raise ValueError(f"A race needs at least two different {kind}, separated by commas.")
    for name, variant in variants:
        errors = settings_errors(variant, train_count)
        if errors:
            raise ValueError(f"{name}: {errors[0]}")
    return variants

"""A run (one network's life in the session) and the plan for the next Train (no Qt here).

**Continue** trains the same weights *up to the Epochs setting*: Keras's ``initial_epoch``. After
5 epochs with Epochs set to 10, Train runs ``fit(epochs = 10, initial_epoch = 5)``: epochs 6 to
10, never 6 to 15. ``plan_for`` says so before the button is pressed ("Continue: epochs 6 to
10"). A run that has reached the Epochs setting is done: raise Epochs to go on, or Reset weights.
A run whose loss became NaN has diverged: continuing would diverge again at the first batch, so
only Reset weights (or a new design, which is a new run) trains again.
"""
from __future__ import annotations

from dataclasses import dataclass

import engine
from playground.text.keras_log import plan_text


@dataclass
class Run:
    """One network's training history in this session (one colour in the plots)."""

    number: int  # 0 until it first trains: numbers never skip
    label: str
    design: tuple  # (id(dataset), layers, settings without epochs); see TrainingController._design
    model: engine.Sequential  # the one being trained (only ever touched by one worker at a time)
    snapshot: engine.Sequential  # same architecture; the UI reads this one (state.model)
    epochs_done: int = 0  # full epochs completed
    target_epochs: int = 0  # where the last Train press was heading
    position: float = 0.0  # epochs of data seen, the x axis of the plots
    started: bool = False
    pretrained: bool = False  # adopted from a loaded model file
    diverged: bool = False  # its loss became NaN (or its weights did): only Reset weights goes on
    dataset: object = None  # kept alive so its id() in ``design`` cannot be reused by a new one


@dataclass(frozen=True)
class Plan:
    """What Train would do now: ``fit(epochs = last, initial_epoch = first - 1)``, or why it can't.

    ``first`` and ``last`` are the book's 1-based, inclusive epoch numbers.
    """

    continues: bool  # the current run's weights (rather than fresh random ones)
    first: int
    last: int
    blocked: str = ""  # not empty: Train is off, and this says why and what to do

    @property
    def text(self) -> str:
        return plan_text(self.continues, self.first, self.last)

    @property
    def button_text(self) -> str:
        """The Train button's words (narrow: the button row must fit a small window)."""
        return plan_text(self.continues, self.first, self.last, short=True)


def plan_for(run: Run | None, epochs: int) -> Plan:
    """The plan for Train with the Epochs setting ``epochs``; ``run`` is the run it would
    continue (None: Train starts from random weights)."""
    if run is None:
        return Plan(False, 1, epochs)
    first = run.epochs_done + 1
    if run.diverged:
        return Plan(True, first, epochs, f"Run {run.number} diverged: continuing would diverge again at once. "
                                         "Press Reset weights, or change the learning rate (a new run).")
    if epochs < first:
        trained = f"{run.epochs_done} epoch" + ("" if run.epochs_done == 1 else "s")
        return Plan(True, first, epochs, f"Run {run.number} has trained {trained}, as Epochs says: raise "
                                         "Epochs to continue it, or press Reset weights to start a new run.")
    return Plan(True, first, epochs)

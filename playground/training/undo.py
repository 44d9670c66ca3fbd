"""Undo and redo for every design and recipe change, on Qt's ``QUndoStack``.

The history listens to the one place every change arrives, ``AppState`` (``network_changed``,
``settings_changed``), whichever panel, preset or button made it; it keeps the values it last
saw, and each change becomes a command holding the value before and after it, named in the
learner's words (``undo_text``: "Change learning rate to 0.01", "Add Dense layer").

- Rapid edits of one field are one step: the arrows of a spin box pressed ten times, or a cell
  retyped, within ``MERGE_SECONDS`` of the last edit of the same field merge into its command
  (``QUndoCommand.mergeWith``); a field edited back to where it started leaves no step at all.
- Not recorded: what undo and redo themselves set, and what comes from loading (``state.loading()``:
  a dataset, a model, saved settings). Such a change, when it alters the design or the recipe,
  starts the history afresh: the old steps were made on values that are gone (a document app
  does the same when it opens a file).
- Nothing is undone while training runs: the running network was built from this design (the
  panels are locked for the same reason); the Edit menu's actions are disabled meanwhile.

An edit a panel refuses never reaches the state, so it is never recorded either.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from playground.text.undo_text import describe_layers, describe_settings, layer_key, settings_key
from playground.training.state import AppState

MERGE_SECONDS = 1.5  # edits of the same field closer together than this are one undo step
UNDO_LIMIT = 1000  # steps kept (each holds two small tuples): the oldest go first
LAYERS, SETTINGS = "layers", "settings"


class StateChange(QUndoCommand):
    """One change of the design (``LAYERS``) or the recipe (``SETTINGS``): ``before`` -> ``after``."""

    MERGE_ID = 11  # QUndoStack merges only commands whose id() is the same and not -1

    def __init__(self, history: UndoHistory, what: str, before, after, when: float):
        super().__init__()
        self.history, self.what, self.before, self.after = history, what, before, after
        self.key = (layer_key if what == LAYERS else settings_key)(before, after)
        self.when = when
        self._name()

    def _name(self) -> None:
        describe = describe_layers if self.what == LAYERS else describe_settings
        self.setText(describe(self.before, self.after))

    def id(self) -> int:  # noqa: A003 (Qt name)
        return self.MERGE_ID if self.key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt name)
        if not isinstance(other, StateChange) or other.key != self.key or other.what != self.what:
            return False
        if other.when - self.when > MERGE_SECONDS or other.before != self.after:
            return False
        self.after, self.when = other.after, other.when
        self._name()
        self.setObsolete(self.before == self.after)  # edited back to where it started: no step
        return True

    def redo(self) -> None:
        self.history.apply(self.what, self.after)  # the first time (push) the state already has it

    def undo(self) -> None:
        self.history.apply(self.what, self.before)


class UndoHistory(QObject):
    """``UndoHistory(state)``: records the state's changes on ``stack`` and undoes them.

    ``can_undo`` / ``can_redo`` are False while training runs; ``changed`` says when they, or
    the texts of the next steps, may have changed (the Edit menu follows it).
    """

    changed = Signal()

    def __init__(self, state: AppState, parent: QObject | None = None, clock: Callable[[], float] = time.monotonic):
        super().__init__(parent)
        self.setObjectName("undoHistory")
        self.state = state
        self.stack = QUndoStack(self)
        self.stack.setObjectName("undoStack")
        self.stack.setUndoLimit(UNDO_LIMIT)
        self.clock = clock
        self._applying = False
        self._seen = {LAYERS: state.layers, SETTINGS: state.settings}
        # bound methods, not lambdas: Qt disconnects them when the history is deleted
        state.network_changed.connect(self._on_network_changed)
        state.settings_changed.connect(self._on_settings_changed)
        for signal in (self.stack.indexChanged, state.training_started, state.training_finished):
            signal.connect(self._announce)

    def _announce(self, *_args) -> None:
        self.changed.emit()

    def _on_network_changed(self) -> None:
        self._on_change(LAYERS)

    def _on_settings_changed(self) -> None:
        self._on_change(SETTINGS)

    def _current(self, what: str):
        return self.state.layers if what == LAYERS else self.state.settings

    def _on_change(self, what: str) -> None:
        before, after = self._seen[what], self._current(what)
        self._seen[what] = after
        if before == after or self._applying:
            return
        if self.state.is_loading:  # not the learner's edit: the steps before it no longer apply
            self.stack.clear()
            self.changed.emit()
            return
        self.stack.push(StateChange(self, what, before, after, self.clock()))

    def apply(self, what: str, value) -> None:
        """Put ``value`` into the state without recording it (undo and redo call this)."""
        self._applying = True
        try:
            if what == LAYERS:
                self.state.set_layers(value)
            else:
                self.state.set_settings(value)
        finally:
            self._applying = False
            self._seen[what] = self._current(what)

    # ----- what the Edit menu calls -----------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return self.stack.canUndo() and not self.state.is_training

    @property
    def can_redo(self) -> bool:
        return self.stack.canRedo() and not self.state.is_training

    def undo(self) -> bool:
        if not self.can_undo:
            return False
        self.stack.undo()
        return True

    def redo(self) -> bool:
        if not self.can_redo:
            return False
        self.stack.redo()
        return True

    def undo_text(self) -> str:
        return self.stack.undoText()

    def redo_text(self) -> str:
        return self.stack.redoText()

    def texts(self) -> list[str]:
        """Every step's name, oldest first (tests and the history view read it)."""
        return [self.stack.text(i) for i in range(self.stack.count())]

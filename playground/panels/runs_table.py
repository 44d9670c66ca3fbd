"""The Runs panel's table: one row per kept run, and what changed since the run before.

``cells`` turns a ``RunRecord`` into the columns' texts (the network and recipe in the run
list's words: ``512 relu``, ``rmsprop lr=0.001``); ``changes`` finds, for each run, the compared
columns that differ from the run before it (by id), which ``RunsTable`` shows bold on a tint
with the old value in the tooltip. ``RunsTable`` is a Qt model over the records; the panel's
view sorts it through a proxy (``SORT_ROLE`` gives numbers where the text would sort badly).
"""
from __future__ import annotations

import time
from dataclasses import fields
from typing import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont

from playground.core import persistence
from playground.core.run_history import RunRecord
from playground.core.specs import TrainSettings
from playground.text.keras_log import (
    CHAPTER_LOSS, LOSS_NAMES, format_duration, network_label, optimizer_label, run_label,
)

COLUMNS = ("Plot", "#", "Name", "Test acc", "Network", "Optimizer", "Batch", "Epochs", "Seed", "Time", "Note",
           "Data", "Started")
MAX_COLUMN_WIDTH = 170  # pixels: a long name or dataset is cut ("…"); its tooltip has it whole
COMPARED = ("Network", "Optimizer", "Batch", "Epochs", "Seed", "Data")  # highlighted when changed
EDITABLE = {"Name": "name", "Note": "note"}
SORT_ROLE = Qt.UserRole + 1
RIGHT_ALIGNED = ("#", "Batch", "Epochs", "Seed", "Test acc", "Time")
_DISPLAY, _EDIT, _CHECK, _TOOLTIP, _FONT, _BACKGROUND, _ALIGNMENT = (
    r.value for r in (Qt.DisplayRole, Qt.EditRole, Qt.CheckStateRole, Qt.ToolTipRole, Qt.FontRole,
                      Qt.BackgroundRole, Qt.TextAlignmentRole))
_SORT = int(SORT_ROLE)
_ROLES = {_DISPLAY, _EDIT, _CHECK, _TOOLTIP, _FONT, _BACKGROUND, _ALIGNMENT, _SORT}
_RIGHT = int((Qt.AlignRight | Qt.AlignVCenter).value)
STATUS_WORDS = {"running": "training…", "stopped": "stopped", "nan": "diverged", "error": "failed",
                "interrupted": "interrupted"}


# -- what a record says, in the table's words (no Qt) -------------------------------------------------
def record_layers(record: RunRecord) -> tuple | None:
    """The record's hidden layers as the Network panel's rows, or None if they cannot be read."""
    rows = [persistence._layer_from(item) for item in record.layers]  # the settings file's reader
    return None if any(row is None for row in rows) else tuple(rows)


def record_settings(record: RunRecord) -> TrainSettings | None:
    known = {f.name for f in fields(TrainSettings)}
    try:
        return TrainSettings(**{k: v for k, v in record.settings.items() if k in known})
    except TypeError:
        return None


def record_label(record: RunRecord) -> str:
    """What the run list beside the plots calls it: ``baseline · 512 relu · rmsprop lr=0.001 · bs 128``."""
    layers, settings = record_layers(record), record_settings(record)
    label = run_label(layers, settings) if layers is not None and settings is not None else "?"
    return (f"{record.name} · " if record.name else "") + label


def cells(record: RunRecord) -> dict[str, str]:
    """The text of each column for one run."""
    layers, settings = record_layers(record), record_settings(record)
    data = record.dataset_name or "?"
    if settings is not None and settings.train_size:
        data += f" · {settings.train_size:,} digits"
    if settings is not None and settings.validation_split:
        data += f" · val {settings.validation_split:g}"
    if record.test_accuracy is not None:
        result = f"{record.test_accuracy:.1%}"
    else:
        result = STATUS_WORDS.get(record.status, "—")
    return {
        "Plot": "", "#": str(record.id), "Name": record.name,
        "Network": network_label(layers) if layers is not None else "?",
        "Optimizer": recipe_label(settings) if settings is not None else "?",
        "Batch": str(settings.batch_size) if settings is not None else "?",
        "Epochs": str(record.epochs_done), "Seed": "" if record.seed is None else str(record.seed),
        "Data": data, "Test acc": result, "Time": duration_text(record.duration),
        "Started": time.strftime("%d %b %H:%M", time.localtime(record.started_at)), "Note": record.note,
    }


def recipe_label(settings: TrainSettings) -> str:
    """``rmsprop lr=0.001``, and the loss when it is not the chapter's (``sgd lr=0.01 · mse``)."""
    label = optimizer_label(settings)
    return label if settings.loss == CHAPTER_LOSS else f"{label} · {LOSS_NAMES.get(settings.loss, settings.loss)}"


def duration_text(seconds: float) -> str:
    """``0.4 s`` for the short runs of a lesson, ``1:05`` beyond ten seconds."""
    return f"{seconds:.1f} s" if 0 <= seconds < 10 else format_duration(seconds)


def sort_key(record: RunRecord, column: str, text: str):
    numbers = {"#": record.id, "Epochs": record.epochs_done, "Seed": record.seed or 0, "Time": record.duration,
               "Started": record.started_at,
               "Test acc": record.test_accuracy if record.test_accuracy is not None else -1.0}
    if column == "Batch":
        return int(text) if text.isdigit() else 0
    return numbers.get(column, text.lower())


def changes(records: list[RunRecord], texts: list[dict[str, str]] | None = None) -> dict[int, dict[str, str]]:
    """``{run id: {column: previous value}}`` for the compared columns that differ from the run
    before (by id); the dataset also differs when its digits do (the content hash). ``texts``:
    the records' ``cells``, if already made."""
    texts = texts if texts is not None else [cells(r) for r in records]
    out, previous, previous_hash = {}, None, None
    for record, mine in sorted(zip(records, texts), key=lambda pair: pair[0].id):
        changed = {} if previous is None else {c: previous[c] for c in COMPARED if mine[c] != previous[c]}
        if (previous is not None and "Data" not in changed and record.dataset_hash and previous_hash
                and record.dataset_hash != previous_hash):
            changed["Data"] = previous["Data"] + " (other digits)"
        out[record.id] = changed
        previous, previous_hash = mine, record.dataset_hash
    return out


# -- the table ----------------------------------------------------------------------------------------
class RunsTable(QAbstractTableModel):
    """The records as rows; the Plot column asks ``shown(id)`` and emits ``visibility_requested``."""

    visibility_requested = Signal(int, bool)
    edited = Signal(int, str, str)  # (run id, "name" | "note", text)

    def __init__(self, shown: Callable[[int], bool | None], parent: QObject | None = None):
        super().__init__(parent)
        self.shown = shown
        self.records: list[RunRecord] = []
        self._cells: list[dict[str, str]] = []
        self._changes: dict[int, dict[str, str]] = {}
        self.tint = QColor(255, 200, 0, 70)
        self.bold = QFont()
        self.bold.setBold(True)

    def set_records(self, records: list[RunRecord]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self._cells = [cells(r) for r in self.records]
        self._changes = changes(self.records, self._cells)
        self.endResetModel()

    def plot_column_changed(self) -> None:
        if self.records:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.records) - 1, 0), [Qt.CheckStateRole])

    def changed_columns(self, run_id: int) -> dict[str, str]:
        return self._changes.get(run_id, {})

    # -- Qt's model interface -----------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.DisplayRole):  # noqa: N802
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Horizontal and role == Qt.ToolTipRole:
            return {"Plot": "Tick to draw the run's curves on the Training plots",
                    "Test acc": "Accuracy on the test set when the run ended (or how it ended)",
                    "Epochs": "Epochs trained", "Time": "Time spent training (pauses not counted)"}.get(COLUMNS[section])
        return None

    def flags(self, index):
        base = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        column = COLUMNS[index.column()]
        if column == "Plot":
            return base | Qt.ItemIsUserCheckable
        if column in EDITABLE:
            return base | Qt.ItemIsEditable
        return base

    def data(self, index, role=Qt.DisplayRole):
        # roles compared as plain ints: PySide6's enum comparisons would make this ~10x slower
        role = role.value if hasattr(role, "value") else role
        if not index.isValid() or role not in _ROLES:
            return None
        record, text, column = self.records[index.row()], self._cells[index.row()], COLUMNS[index.column()]
        changed = self._changes.get(record.id, {})
        if role == _DISPLAY or role == _EDIT:
            return text[column]
        if role == _SORT:
            return sort_key(record, column, text[column])
        if role == _CHECK:
            shown = self.shown(record.id) if column == "Plot" else None
            return None if shown is None else (Qt.Checked if shown else Qt.Unchecked)
        if role == _TOOLTIP:
            if column in changed:
                return f"Changed since the run before: {changed[column]} → {text[column]}"
            if column == "Test acc" and record.test_loss is not None:
                return f"Test loss {record.test_loss:.4f}" + (f"\n{record.message}" if record.message else "")
            if column == "Data":
                return f"{text['Data']}\ncontent hash {record.dataset_hash[:12] or '?'}"
            if column in ("Name", "Note"):
                return f"Double-click to edit the run's {column.lower()}"
            return text[column] or None
        if role == _FONT:
            return self.bold if column in changed else None
        if role == _BACKGROUND:
            return self.tint if column in changed else None
        return _RIGHT if column in RIGHT_ALIGNED else None  # _ALIGNMENT

    def setData(self, index, value, role=Qt.EditRole) -> bool:  # noqa: N802
        record, column = self.records[index.row()], COLUMNS[index.column()]
        if role == Qt.CheckStateRole and column == "Plot":
            checked = (value.value if hasattr(value, "value") else int(value)) == Qt.Checked.value
            self.visibility_requested.emit(record.id, checked)
            return True
        if role == Qt.EditRole and column in EDITABLE:
            self.edited.emit(record.id, EDITABLE[column], str(value).strip())
            return True
        return False

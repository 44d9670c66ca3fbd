"""Runs panel: every run the learner trained, kept across launches, to compare, replay and race.

Chapter 2 is a recipe of choices (512 units, rmsprop, batch 128, 5 epochs), and a learner finds
out why by changing one and training again. Each run is kept in the run history
(``playground.core.run_history``, written by ``playground.training.run_recorder``); this panel lists them, one
row each, newest first and sortable by any column. The settings that differ from the run
before are highlighted (bold, tinted, the old value in the tooltip): what changed is what to
look for in the curves.

* **Plot** ticks a run's curves on or off the Training plots (a run from an earlier launch is
  drawn from its record); **Name** and **Note** are edited in place (double-click);
* **Train again** restores the run's network and recipe and trains it afresh: with its seed,
  the curves are the same to the last bit;
* **Delete** removes the selected runs, **Export CSV…** writes their curves;
* the **time machine** slides over the epochs of the selected run: Evaluate, Draw's prediction
  and the Inside panel show the network as it was at the end of that epoch (0 is its random start);
* **Race** trains the current network with the same seed under several optimizers or learning
  rates, one after another, and overlays them on the plots.

A thin view: it reads the history, writes the learner's edits to it, and drives training only
through ``AppState``'s setters and the ``TrainingController``'s buttons.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, QItemSelectionModel, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from playground.core.loss_watch import weights_are_finite
from playground.core.run_history import RunHistory, RunRecord
from playground.panels.runs_table import (
    COLUMNS, MAX_COLUMN_WIDTH, SORT_ROLE, RunsTable, record_label, record_layers, record_settings,
)
from playground.training.race import RACES, Race, race_variants
from playground.training.run_recorder import RunRecorder, model_from_record
from playground.training.state import AppState
from playground.training.training_controller import DIVERGED, TrainingController
from playground.widgets.theme import error_colour

TIME_MACHINE_DELAY_MS = 120  # a dragged slider settles before the weights are read


# -- the panel ------------------------------------------------------------------------------------------------
class RunsPanel(QWidget):
    """``runsTable`` and its buttons, the time machine (``timeMachineSlider``) and the race.

    ``plots`` is the Training panel's ``TrainingPlots`` (the Plot column is off without it).
    The panel owns the ``RunRecorder`` that fills ``history``; ``shutdown()`` finishes its writes
    and closes the history.
    """

    def __init__(self, state: AppState, controller: TrainingController, history: RunHistory,
                 plots=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("runsPanel")
        self.state, self.controller, self.history, self.plots = state, controller, history, plots
        self.recorder = RunRecorder(state, controller, history, parent=self)
        self.race = Race(state, controller, self.recorder, parent=self)
        self.confirm: Callable[[str], bool] = self._ask  # tests answer for the learner
        self.problem = history.problem
        self._records: dict[int, RunRecord] = {}
        self._time_machine_run: int | None = None
        self._build()
        self._stale = False  # runs were recorded while the panel was hidden
        self._refresh_timer = QTimer(self)  # the records change at every epoch end: redraw at most 5 times a second
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(200)
        self._refresh_timer.timeout.connect(self._refresh_unless_editing)
        self.recorder.recorded.connect(lambda _: self._refresh_timer.start())
        self.recorder.failed.connect(self._say_problem)
        self.race.message.connect(self._say)
        self.race.ended.connect(self._update_controls)
        state.training_started.connect(self._update_controls)
        state.training_finished.connect(lambda _: self._update_controls())
        if plots is not None:
            plots.runs_changed.connect(self.table.plot_column_changed)
        self.refresh()
        if self.problem:
            self._say_problem(self.problem)

    # -- construction -----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.summary = QLabel()
        self.summary.setObjectName("runsSummary")
        self.summary.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)

        self.table = RunsTable(self._shown, self)
        self._tint_from_palette()
        self.table.visibility_requested.connect(self.set_shown)
        self.table.edited.connect(self._on_edited)
        self.sorted = QSortFilterProxyModel(self)
        self.sorted.setSourceModel(self.table)
        self.sorted.setSortRole(SORT_ROLE)
        self.view = QTableView()
        self.view.setObjectName("runsTable")
        self.view.setModel(self.sorted)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(COLUMNS.index("#"), Qt.DescendingOrder)  # newest first
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.view.setTextElideMode(Qt.ElideRight)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)  # fitted to the runs at each refresh
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._on_selection())

        def button(text, name, slot, tip):
            b = QPushButton(text)
            b.setObjectName(name)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self.train_again_button = button("Train again", "trainAgainButton", self.train_again_selected,
                                         "Restore this run's network and recipe and train it afresh "
                                         "(the same seed gives the same curves, bit for bit)")
        self.delete_button = button("Delete", "deleteRunsButton", self.delete_selected,
                                    "Delete the selected runs from the history")
        self.export_button = button("Export CSV…", "exportRunsButton", self.export_selected,
                                    "Write the selected runs' curves (every batch and epoch) to a CSV file")
        self.cap_spin = QSpinBox()
        self.cap_spin.setObjectName("weightsCapSpin")
        self.cap_spin.setRange(1, 100_000)
        self.cap_spin.setSuffix(" MB")
        self.cap_spin.setValue(max(1, round(self.history.cap_bytes / 2**20)))
        self.cap_spin.setToolTip("Weights kept per run for the time machine: past this, older epochs are "
                                 "thinned (the first and the last are always kept)")
        self.cap_spin.editingFinished.connect(self._on_cap_changed)
        actions = QHBoxLayout()
        actions.setSpacing(6)
        for b in (self.train_again_button, self.delete_button, self.export_button):
            actions.addWidget(b)
        actions.addStretch(1)
        actions.addWidget(QLabel("Weights kept per run:"))
        actions.addWidget(self.cap_spin)

        self.slider = QSlider(Qt.Horizontal)
        self.slider.setObjectName("timeMachineSlider")
        self.slider.setPageStep(1)
        self.slider.setTickPosition(QSlider.TicksBelow)
        self.slider.setToolTip("Slide over the run's epochs: Evaluate, Draw and Inside show the network "
                               "as it was at the end of that epoch (0: its random start)")
        self.slider.valueChanged.connect(self._on_slider)
        self.epoch_label = QLabel()
        self.epoch_label.setObjectName("timeMachineLabel")
        self.epoch_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("Epoch 888 of 888") + 8)
        self._slider_timer = QTimer(self)
        self._slider_timer.setSingleShot(True)
        self._slider_timer.setInterval(TIME_MACHINE_DELAY_MS)
        self._slider_timer.timeout.connect(self._apply_slider)
        machine = QHBoxLayout()
        machine.setSpacing(6)
        machine.addWidget(QLabel("Time machine:"))
        machine.addWidget(self.slider, 1)
        machine.addWidget(self.epoch_label)

        self.race_kind = QComboBox()
        self.race_kind.setObjectName("raceKindCombo")
        self.race_kind.addItems(list(RACES))
        self.race_kind.currentTextChanged.connect(lambda kind: self.race_values.setText(RACES[kind]))
        self.race_values = QLineEdit(RACES["optimizers"])
        self.race_values.setObjectName("raceValuesEdit")
        self.race_values.setToolTip("What the runs of the race differ in, separated by commas")
        self.race_button = button("Race", "raceButton", self.start_race,
                                  "Train the current network with the same seed under each of these, one "
                                  "after another, overlaid on the plots")
        race = QHBoxLayout()
        race.setSpacing(6)
        race.addWidget(QLabel("Race:"))
        race.addWidget(self.race_kind)
        race.addWidget(self.race_values, 1)
        race.addWidget(self.race_button)

        self.message = QLabel()
        self.message.setObjectName("runsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(actions)
        layout.addLayout(machine)
        layout.addLayout(race)
        layout.addWidget(self.message)

    # -- queries (what a test reads) ----------------------------------------------------------------------
    def run_ids(self) -> list[int]:
        """The runs as listed, top to bottom."""
        return [self._id_at(row) for row in range(self.sorted.rowCount())]

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return [self._id_at(row) for row in rows]

    def select(self, run_ids) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        for row in range(self.sorted.rowCount()):
            if self._id_at(row) in run_ids:
                selection.select(self.sorted.index(row, 0), QItemSelectionModel.Select | QItemSelectionModel.Rows)
                selection.setCurrentIndex(self.sorted.index(row, 1), QItemSelectionModel.NoUpdate)

    def _id_at(self, row: int) -> int:
        return self.table.records[self.sorted.mapToSource(self.sorted.index(row, 0)).row()].id

    # -- refreshing ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the runs again (a handful of rows: cheap), keeping the selection."""
        selected = self.selected_ids() if self.table.records else []
        try:
            records = self.history.runs()
        except Exception as error:  # noqa: BLE001 - a history that fails to read must not break the panel
            self._say_problem(str(error))
            records = []
        new_runs = {r.id for r in records} != {r.id for r in self.table.records} or not records
        self._records = {r.id: r for r in records}
        self.table.set_records(records)
        self.select([i for i in selected if i in self._records])
        if new_runs:  # not at every epoch: a column the learner widened by hand stays so
            self._fit_columns()
        kept = sum(r.snapshot_bytes for r in records)
        count = f"{len(records)} run" + ("" if len(records) == 1 else "s")
        self.summary.setText(f"<b>Runs</b> · {count} kept · {kept / 2**20:.1f} MB of weights · "
                             "highlighted: what changed since the run before" if records else
                             "<b>Runs</b> · none yet: every network you train is kept here")
        self.summary.setToolTip(str(self.history.path))
        self._on_selection()

    def _refresh_unless_editing(self) -> None:
        """A refresh rebuilds the rows, which would close a name or note being typed: wait for it.
        A hidden panel (another workspace is shown) reads the runs when it is shown instead: each
        read is ~10 ms of the UI thread at every epoch end."""
        if not self.isVisible():
            self._stale = True
        elif self.view.state() == QAbstractItemView.EditingState:
            self._refresh_timer.start()
        else:
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    def _fit_columns(self) -> None:
        """Each column as wide as its contents, at most ``MAX_COLUMN_WIDTH`` (the last one stretches).

        Measured here from the texts (a few ms for hundreds of runs): Qt's
        ``resizeColumnsToContents`` asks the model for every role of every cell (~0.5 s for 200 runs).
        """
        plain, bold = self.view.fontMetrics(), QFontMetrics(self.table.bold)
        header = self.view.horizontalHeader().fontMetrics()
        pad = 2 * self.style().pixelMetric(QStyle.PM_FocusFrameHMargin) + 12
        check = self.style().pixelMetric(QStyle.PM_IndicatorWidth) + 12
        for i, column in enumerate(COLUMNS[:-1]):
            width = header.horizontalAdvance(column) + 24  # room for the sort arrow
            for record, text in zip(self.table.records, self.table._cells):
                metrics = bold if column in self.table.changed_columns(record.id) else plain
                width = max(width, metrics.horizontalAdvance(text[column]) + (check if column == "Plot" else pad))
            self.view.setColumnWidth(i, min(width, MAX_COLUMN_WIDTH))

    def _on_selection(self) -> None:
        ids = self.selected_ids()
        run_id = ids[0] if len(ids) == 1 else None
        record = self._records.get(run_id)
        epochs = record.snapshot_epochs if record is not None else []
        if run_id != self._time_machine_run or self.slider.maximum() != max(len(epochs) - 1, 0):
            self._time_machine_run = run_id  # another run, or new epochs kept: the slider at the last
            self._set_slider(len(epochs) - 1, len(epochs))
        self._update_controls()

    def _set_slider(self, position: int, count: int) -> None:
        """Move the slider without travelling in time (the model is already that one)."""
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(count - 1, 0))
        self.slider.setValue(max(position, 0))
        self.slider.blockSignals(False)
        self._label_epoch()

    def _label_epoch(self) -> None:
        record = self._records.get(self._time_machine_run)
        if record is None or not record.snapshot_epochs:
            self.epoch_label.setText("—")
            return
        epoch = record.snapshot_epochs[self.slider.value()]
        self.epoch_label.setText(f"Epoch {epoch} of {record.snapshot_epochs[-1]}")
        self.epoch_label.setToolTip("Weights kept for epochs " + ", ".join(map(str, record.snapshot_epochs)))

    def _update_controls(self) -> None:
        busy = self.controller.is_busy or self.state.is_training or self.race.running
        ids = self.selected_ids()
        recording = self.recorder.history_id(self.recorder.recording) if self.recorder.recording else None
        one = len(ids) == 1
        self.train_again_button.setEnabled(one and not busy)
        self.delete_button.setEnabled(bool(ids) and recording not in ids and not self.race.running)
        self.export_button.setEnabled(bool(ids))
        record = self._records.get(self._time_machine_run)
        self.slider.setEnabled(one and not busy and record is not None and len(record.snapshot_epochs) > 1)
        self.race_button.setEnabled(not busy)
        self.race_button.setText("Racing…" if self.race.running else "Race")

    # -- show / hide on the plots ------------------------------------------------------------------------------
    def _plot_key(self, run_id: int):
        """The run's key in ``plots.runs``: its session number if it trained in this session, else ``#id``."""
        return self.recorder.session_numbers().get(run_id, f"#{run_id}")

    def _shown(self, run_id: int) -> bool | None:
        if self.plots is None:
            return None
        curves = self.plots.runs.get(self._plot_key(run_id))
        return curves is not None and curves.visible

    def set_shown(self, run_id: int, shown: bool) -> None:
        """Draw the run's curves on the Training plots (from its record if they are not there) or hide them."""
        if self.plots is None or run_id not in self._records:
            return
        key = self._plot_key(run_id)
        if key not in self.plots.runs:
            if not shown:
                return
            self._draw_from_history(key, self._records[run_id])
        self.plots.set_run_visible(key, shown)
        self.table.plot_column_changed()

    def _draw_from_history(self, key, record: RunRecord) -> None:
        curves = self.history.curves(record.id)
        label = record_label(record)
        plots = self.plots
        plots.add_run(key, label, f"from the history, {record.epochs_done} epochs")
        b = curves.batches
        if len(b):
            plots.add_batches(key, label, b[:, 0], b[:, 3], b[:, 4])
        for i in range(len(curves.epoch_numbers)):
            plots.add_epoch(key, label, float(curves.epochs[i, 0]), curves.epoch_logs(i))
        plots.redraw(force=True)
        plots.fit_ended()  # the x axis takes in the run drawn

    # -- the learner's edits -----------------------------------------------------------------------------------------
    def _on_edited(self, run_id: int, what: str, text: str) -> None:
        if what == "name":
            self.rename(run_id, text)
        else:
            self.set_note(run_id, text)

    def rename(self, run_id: int, name: str) -> None:
        self._write(lambda: self.history.rename(run_id, name))

    def set_note(self, run_id: int, note: str) -> None:
        self._write(lambda: self.history.set_note(run_id, note))

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        what = f"run #{ids[0]}" if len(ids) == 1 else f"these {len(ids)} runs"
        if self.confirm(f"Delete {what} from the history? Their curves and weights are removed for good."):
            self.delete(ids)

    def delete(self, run_ids) -> None:
        recording = self.recorder.history_id(self.recorder.recording) if self.recorder.recording else None
        run_ids = [i for i in run_ids if i != recording]  # the run being recorded is not deleted under it
        if self.plots is not None:
            for run_id in run_ids:
                self.plots.remove_run(self._plot_key(run_id))
        self.recorder.forget(run_ids)
        self._write(lambda: self.history.delete(run_ids))

    def export_selected(self, path: str | Path | None = None) -> Path | None:
        ids = self.selected_ids()
        if not ids:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export the runs' curves", "runs.csv", "CSV files (*.csv)")
            if not path:
                return None
        try:
            written = self.history.export_csv(sorted(ids), path)
        except (OSError, ValueError) as error:
            self._say_problem(f"The curves could not be exported: {error}")
            return None
        self._say(f"Curves of {len(ids)} run{'s' if len(ids) > 1 else ''} written to {written}.")
        return written

    def _on_cap_changed(self) -> None:
        cap = self.cap_spin.value() * 2**20
        if cap != self.history.cap_bytes:
            self._write(lambda: self.history.set_cap_bytes(cap))

    def _write(self, change) -> None:
        try:
            change()
        except Exception as error:  # noqa: BLE001 - a failed write is said, never a crash
            self._say_problem(str(error))
        self.refresh()
        self._fit_columns()  # a new name or note is seen whole

    # -- train again -----------------------------------------------------------------------------------------------
    def train_again_selected(self) -> bool:
        ids = self.selected_ids()
        return len(ids) == 1 and self.train_again(ids[0])

    def train_again(self, run_id: int) -> bool:
        """Restore the run's network and recipe (epochs: as many as it trained) and train it from its seed."""
        record = self._records.get(run_id)
        if record is None or self.controller.is_busy:
            return False
        problem = self._dataset_problem(record)
        layers, settings = record_layers(record), record_settings(record)
        if problem is None and (layers is None or settings is None):
            problem = f"Run #{run_id}'s network or recipe cannot be read by this version."
        if problem:
            self._say_problem(problem)
            return False
        self.state.set_layers(layers)
        self.state.set_settings(replace(settings, epochs=max(record.epochs_done, 1)))
        self.controller.reset_weights()  # a new run, seeded now: nothing runs in between
        if not self.controller.start():
            self._say_problem(f"Run #{run_id} cannot train again here (the Training panel says why).")
            return False
        if record.settings.get("from_loaded_model"):
            self._say(f"Run #{run_id} began from a loaded model's weights: this run begins from random "
                      f"weights (seed {settings.seed}) instead, with its network and recipe.")
        else:
            self._say(f"Training run #{run_id} again from seed {settings.seed}.")
        return True

    def _dataset_problem(self, record: RunRecord) -> str | None:
        if self.state.dataset is None:
            return "No dataset is open."
        if record.dataset_hash and record.dataset_hash != self.recorder.dataset_hash():
            return (f"Run #{record.id} trained on “{record.dataset_name}” (other digits than the open dataset): "
                    "open that dataset first (File > Open dataset…).")
        return None

    # -- the time machine --------------------------------------------------------------------------------------------
    def _on_slider(self) -> None:
        self._label_epoch()
        self._slider_timer.start()

    def _apply_slider(self) -> None:
        record = self._records.get(self._time_machine_run)
        if record is not None and record.snapshot_epochs:
            self.show_epoch(record.id, record.snapshot_epochs[self.slider.value()])

    def show_epoch(self, run_id: int, epoch: int) -> bool:
        """Make the run's weights at the end of ``epoch`` the app's current model (Evaluate,
        Draw and Inside follow ``state.model``), and evaluate them on the test set."""
        record = self._records.get(run_id)
        if record is None or self.controller.is_busy:
            return False
        problem = self._dataset_problem(record)
        if problem:
            self._say_problem(problem)
            return False
        try:
            weights = self.history.weights_at(run_id, epoch)
            model = model_from_record(record.model_config, weights)
        except Exception as error:  # noqa: BLE001 - a record this version cannot rebuild
            self._say_problem(f"Run #{run_id} at epoch {epoch} cannot be shown: {error}")
            return False
        finite = weights_are_finite(weights)
        if run_id == self._time_machine_run and epoch in record.snapshot_epochs:
            self._set_slider(record.snapshot_epochs.index(epoch), len(record.snapshot_epochs))
        self.state.set_model(model, trained=epoch > 0, problem="" if finite else DIVERGED)
        if finite:
            self.state.request_evaluation()
        self._say(f"Evaluate, Draw and Inside show run #{run_id} at the end of epoch {epoch}"
                  + (" (its random start)" if epoch == 0 else "") + ". Train goes on from the latest weights.")
        return True

    # -- the race --------------------------------------------------------------------------------------------------------
    def start_race(self) -> bool:
        if self.controller.is_busy or self.race.running:
            return False
        dataset = self.state.dataset
        try:
            variants = race_variants(self.race_kind.currentText(), self.race_values.text(), self.state.settings,
                                     None if dataset is None else len(dataset.x_train))
        except ValueError as error:
            self._say_problem(str(error))
            return False
        if self.plots is not None:  # the race alone on the plots: earlier runs hidden (tick them back)
            for key in list(self.plots.runs):
                self.plots.set_run_visible(key, False)
        self._say(f"Race: {', '.join(name for name, _ in variants)}, one after another from seed "
                  f"{self.state.settings.seed}.")
        self.race.start(variants)
        self._update_controls()
        return True

    # -- messages and closing --------------------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(text)

    def _say_problem(self, text: str) -> None:
        self.message.setStyleSheet(f"color: {error_colour(self.palette())};")
        self.message.setText(text)

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Delete runs", text, QMessageBox.Yes | QMessageBox.Cancel,
                                      QMessageBox.Cancel)
        return answer == QMessageBox.Yes

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange):
            self._tint_from_palette()
        super().changeEvent(event)

    def _tint_from_palette(self) -> None:
        """Changed settings: the palette's highlight, faint, so the text keeps its contrast."""
        highlight = self.palette().color(QPalette.Highlight)
        self.table.tint = QColor(highlight.red(), highlight.green(), highlight.blue(), 60)

    def shutdown(self) -> None:
        """The window closes: finish the history's last writes and close it."""
        self.race.cancel()
        self.recorder.close()
        self.history.close()

"""Live loss and accuracy curves: one colour per run, redrawn by a timer, never per batch.

Chapter 2 trains for five epochs and reads the loss falling and the accuracy rising in Keras's
log; here the same numbers are drawn as they arrive. Three kinds of curve per run and plot:

* a thin line: each batch's loss/accuracy, smoothed with an exponential moving average
  (single batches are noisy: 128 digits is a small poll);
* filled circles: the epoch's mean over the training data (what Keras prints as ``loss``);
* hollow squares on a dashed line: the held-out validation data (``val_loss``), when a
  validation split is set. A growing gap between the two is overfitting (chapter 3);
* crosses: single batches where training paused (Step one batch, Pause), unsmoothed.

Runs are listed beside the plots (``RunList``), where each can be shown, hidden or removed; the
axes follow the runs shown: the x axis spans the fit in progress and the data, and shrinks
back when a fit ends early, a run is hidden or removed, or the runs are cleared.

The pattern is pyqtgraph's ``scrollingPlots`` example: incoming points only go into growable
NumPy buffers, and a ~30 Hz ``QTimer`` calls ``curve.setData`` for what changed. NaN losses
are drawn as gaps (``connect="finite"``).

Drawing competes with training for the CPU (a 2-core laptop has no core to spare), so frames
have a budget: after each frame the next one waits until the plots' share of the UI thread's
time is back under ``FRAME_BUDGET``. Small plots on a fast machine get the full 30 Hz; big
plots on a busy one update a few times a second, and training keeps its speed.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QBoxLayout, QGraphicsItem, QWidget

from playground.widgets import plot_export

# mid-luminance colours that read on white and on near-black backgrounds
RUN_COLOURS = ("#3b82f6", "#f97316", "#10b981", "#e11d48", "#8b5cf6",
               "#0ea5e9", "#d946ef", "#84cc16", "#f59e0b", "#64748b")
SMOOTHING = 0.9  # EMA weight of the past for the per-batch curves
REDRAW_MS = 33
SPARE_AFTER_FIT_MS = 700  # the next run's curves are made this long after a fit ends
FRAME_BUDGET = 0.04  # at most ~4% of one core for plotting while training
GRID_LEVELS = 2  # tick and grid levels drawn: major and minor


class TimedPlotWidget(pg.PlotWidget):
    """A ``PlotWidget`` that adds up the CPU time its repaints take (for the frame budget)."""

    paint_seconds = 0.0

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        cpu = time.thread_time()
        super().paintEvent(event)
        self.paint_seconds += time.thread_time() - cpu


class GrowingTable:
    """Rows of floats in a NumPy array that doubles when full (cheap appends, no lists)."""

    def __init__(self, columns: int, capacity: int = 512):
        self._data = np.full((capacity, columns), np.nan)
        self.n = 0

    def extend(self, rows: np.ndarray) -> None:
        rows = np.atleast_2d(np.asarray(rows, dtype=float))
        needed = self.n + len(rows)
        if needed > len(self._data):
            bigger = np.full((max(needed, 2 * len(self._data)), self._data.shape[1]), np.nan)
            bigger[: self.n] = self._data[: self.n]
            self._data = bigger
        self._data[self.n:needed] = rows
        self.n = needed

    @property
    def rows(self) -> np.ndarray:
        return self._data[: self.n]


class RunCurves:
    """One run's data (batches, epochs) and its curves in both plots."""

    BATCH_COLUMNS = ("epoch_position", "batch_loss", "batch_accuracy", "smoothed_loss", "smoothed_accuracy")
    EPOCH_COLUMNS = ("epoch_position", "loss", "accuracy", "val_loss", "val_accuracy")

    def __init__(self, number: int, label: str, colour: str, plots: dict[str, pg.PlotWidget], curves=None):
        self.number, self.label, self.colour = number, label, QColor(colour)
        self.note = ""  # shown after the label in the run list ("5 epochs")
        self.visible = True
        self.batches = GrowingTable(len(self.BATCH_COLUMNS))
        self.epochs = GrowingTable(len(self.EPOCH_COLUMNS))
        self.marks = GrowingTable(3)  # (epoch_position, batch_loss, batch_accuracy) where it paused
        self._ema = np.zeros(2)
        self._ema_count = 0
        self.batches_dirty = self.epochs_dirty = self.marks_dirty = False
        self.curves = curves if curves is not None else self.make_curves(colour, plots)

    @staticmethod
    def make_curves(colour: str, plots: dict[str, pg.PlotWidget]) -> dict:
        """A run's empty curves in ``colour``, in each plot: (batches, epochs, validation, pauses)."""
        colour = QColor(colour)
        faint = QColor(colour)
        faint.setAlpha(150)
        curves = {}
        for metric, plot in plots.items():
            curves[metric] = (
                plot.plot(pen=pg.mkPen(faint, width=1), connect="finite"),
                plot.plot(pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=7,
                          symbolBrush=colour, symbolPen=pg.mkPen(colour), connect="finite"),
                plot.plot(pen=pg.mkPen(colour, width=2, style=Qt.DashLine), symbol="s",
                          symbolSize=7, symbolBrush=None, symbolPen=pg.mkPen(colour, width=2),
                          connect="finite"),
                plot.plot(pen=None, symbol="x", symbolSize=11, symbolBrush=colour,
                          symbolPen=pg.mkPen(colour, width=2)),
            )
        return curves

    def add_batches(self, x, loss, accuracy) -> None:
        rows = np.empty((len(x), 5))
        rows[:, 0], rows[:, 1], rows[:, 2] = x, loss, accuracy
        for i, values in enumerate(rows[:, 1:3]):
            finite = np.isfinite(values)
            if finite.all():  # a NaN batch leaves a gap instead of poisoning the average
                self._ema = SMOOTHING * self._ema + (1 - SMOOTHING) * values
                self._ema_count += 1
                rows[i, 3:] = self._ema / (1 - SMOOTHING ** self._ema_count)  # bias-corrected
            else:
                rows[i, 3:] = np.nan
        self.batches.extend(rows)
        self.batches_dirty = True

    def add_epoch(self, x: float, logs: dict) -> None:
        row = [x] + [float(logs.get(key, np.nan)) for key in self.EPOCH_COLUMNS[1:]]
        self.epochs.extend(np.array(row))
        self.epochs_dirty = True

    def add_mark(self, x: float, loss: float, accuracy: float) -> None:
        self.marks.extend(np.array([x, loss, accuracy]))
        self.marks_dirty = True

    @property
    def dirty(self) -> bool:
        return self.batches_dirty or self.epochs_dirty or self.marks_dirty

    def last_x(self) -> float:
        """The rightmost position this run has data at (0 before its first batch)."""
        ends = [table.rows[-1, 0] for table in (self.batches, self.epochs, self.marks) if table.n]
        return float(max(ends, default=0.0))

    def values(self, column: int) -> np.ndarray:
        """Every loss (``column`` 0) or accuracy (1) value drawn for this run."""
        return np.concatenate([self.batches.rows[:, 3 + column], self.epochs.rows[:, 1 + column],
                               self.epochs.rows[:, 3 + column], self.marks.rows[:, 1 + column]])

    def set_visible(self, visible: bool) -> None:
        self.visible = bool(visible)
        for curves in self.curves.values():
            for curve in curves:
                curve.setVisible(self.visible)

    def redraw(self) -> None:
        """Hand the buffers to the curves that changed (pyqtgraph copies nothing it needn't)."""
        b, e, m = self.batches.rows, self.epochs.rows, self.marks.rows
        for column, metric in ((0, "loss"), (1, "accuracy")):
            batch_curve, train_curve, val_curve, mark_curve = self.curves[metric]
            if self.marks_dirty:
                mark_curve.setData(m[:, 0], m[:, 1 + column])
            if self.batches_dirty:
                batch_curve.setData(b[:, 0], b[:, 3 + column], connect="finite")
            if self.epochs_dirty:
                train_curve.setData(e[:, 0], e[:, 1 + column], connect="finite")
                has_val = e.size and np.isfinite(e[:, 3 + column]).any()
                val_curve.setData(e[:, 0] if has_val else [], e[:, 3 + column] if has_val else [],
                                  connect="finite")
        self.batches_dirty = self.epochs_dirty = self.marks_dirty = False

    def remove(self, plots: dict[str, pg.PlotWidget]) -> None:
        for metric, plot in plots.items():
            for curve in self.curves[metric]:
                plot.removeItem(curve)


class TrainingPlots(QWidget):
    """The ``lossPlot`` and ``accuracyPlot`` side by side; the runs they draw (``runs``)."""

    runs_changed = Signal()  # a run was added, removed, shown, hidden or renamed (the run list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plots: dict[str, pg.PlotWidget] = {}
        self._layout = layout = QBoxLayout(QBoxLayout.LeftToRight, self)
        layout.setContentsMargins(0, 0, 0, 0)
        for metric, title in (("loss", "Loss"), ("accuracy", "Accuracy")):
            plot = TimedPlotWidget()
            plot.setObjectName(f"{metric}Plot")
            plot.setTitle(title)
            plot.setLabel("bottom", "epoch")
            for name in ("left", "bottom"):
                plot.getAxis(name).enableAutoSIPrefix(False)  # never "accuracy (x0.001)"
            plot.setLabel("left", metric)
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            plot.setMinimumSize(240, 180)
            plot.getPlotItem().setMenuEnabled(True)
            for name in ("left", "bottom"):  # redraw an axis only when its range changes
                plot.getAxis(name).setCacheMode(QGraphicsItem.DeviceCoordinateCache)
                # the space for tick labels grows but never shrinks: a label that gets shorter
                # ("0.25" -> "0.3") would otherwise resize the plot and redraw all of it mid-training
                plot.getAxis(name).setStyle(autoReduceTextSpace=False)
                # major and minor grid lines only: the third level (up to one faint line every
                # two pixels) cost most of a redraw whenever the loss left the view
                plot.getAxis(name).setStyle(maxTickLevel=GRID_LEVELS - 1)
            self.plots[metric] = plot
            layout.addWidget(plot)
        self.runs: dict[int, RunCurves] = {}
        self._auto_y = {metric: True for metric in self.plots}  # until the learner zooms by hand
        self._auto_x = True
        self._moved_last = ""  # the y axis the last frame moved (a frame moves one at most)
        self._y_behind = False  # True: the other y axis may still have to follow the data
        for metric, plot in self.plots.items():
            plot.getViewBox().disableAutoRange()
            plot.getViewBox().sigRangeChangedManually.connect(lambda *_, m=metric: self._zoomed_by_hand(m))
        self._planned_end = 0.0  # where the fit in progress will end (0: no fit running)
        self._x_end: float | None = None  # the x range shown is [0, _x_end]
        self._reset_ranges()
        self._colour_index = 0
        # the next run's curves, made while nothing trains: making 8 pyqtgraph items takes ~25 ms,
        # which in the press of Train would stall the window just as training starts
        self._spare: tuple[str, dict] | None = None
        QTimer.singleShot(0, self, self.prepare_next_run)
        self._next_frame = 0.0  # time.perf_counter() before which redraw() waits
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self._timer.start()
        self.apply_palette()

    # -- data in --------------------------------------------------------------------------------
    def add_run(self, number: int, label: str, note: str | None = None) -> RunCurves:
        """The run's curves: a new colour and run-list entry the first time, the same ones after
        (``label`` and ``note`` update the entry when they changed).

        Colours go round ``RUN_COLOURS`` in order of arrival and are not reset by
        ``clear_runs``, so a run added again after a clear gets the next colour, not its old one.
        """
        run = self.runs.get(number)
        if run is None:
            colour = RUN_COLOURS[self._colour_index % len(RUN_COLOURS)]
            self._colour_index += 1
            spare, self._spare = self._spare, None
            curves = spare[1] if spare is not None and spare[0] == colour else None
            if spare is not None and curves is None:
                RunCurves("", "", spare[0], self.plots, spare[1]).remove(self.plots)
            run = self.runs[number] = RunCurves(number, label, colour, self.plots, curves)
            run.note = note or ""
        elif (label, note if note is not None else run.note) == (run.label, run.note):
            return run
        run.label, run.note = label, note if note is not None else run.note
        self.runs_changed.emit()
        return run

    def prepare_next_run(self) -> None:
        """Make the next run's (empty) curves now, a quiet moment, so that ``add_run`` need not
        (not while a fit runs: its end calls this again)."""
        if self._planned_end:
            return
        colour = RUN_COLOURS[self._colour_index % len(RUN_COLOURS)]
        if self._spare is None or self._spare[0] != colour:
            if self._spare is not None:
                RunCurves("", "", self._spare[0], self.plots, self._spare[1]).remove(self.plots)
            self._spare = (colour, RunCurves.make_curves(colour, self.plots))

    def add_batches(self, number: int, label: str, x, loss, accuracy) -> None:
        self.add_run(number, label).add_batches(x, loss, accuracy)

    def add_epoch(self, number: int, label: str, x: float, logs: dict) -> None:
        self.add_run(number, label).add_epoch(x, logs)

    def add_mark(self, number: int, label: str, x: float, loss: float, accuracy: float) -> None:
        """A cross where training paused after one batch (its own loss and accuracy)."""
        self.add_run(number, label).add_mark(x, loss, accuracy)

    def expect_until(self, x_end: float) -> None:
        """Show [0, x_end] epochs while this fit runs, as R Keras's live ``fit()`` plot does:
        the learner sees how far training will go, and an axis that does not move every frame
        is cheap to draw (fewer pauses of the UI thread). A new fit follows the data again even
        after a zoom by hand."""
        self._planned_end = float(x_end)
        self._auto_x = True
        self._fit_x()

    def fit_ended(self) -> None:
        """The fit is over: the x axis shrinks to the data shown (a run stopped at epoch 21 of
        1000 fills the plot, not its first 2%)."""
        # for the next Train, while nothing trains; not at once: the end of a fit is a busy moment
        # of the UI thread already (the evaluation is shown), and ~25 ms more made it a stall
        QTimer.singleShot(SPARE_AFTER_FIT_MS, self, self.prepare_next_run)
        self._planned_end = 0.0
        self._fit_x()

    def set_run_visible(self, number: int, visible: bool) -> None:
        run = self.runs.get(number)
        if run is None or run.visible == bool(visible):
            return
        run.set_visible(visible)
        self._refit()
        self.runs_changed.emit()

    def remove_run(self, number: int) -> None:
        """Take one run off the plots and the list (a run still training comes back with its next batch)."""
        run = self.runs.pop(number, None)
        if run is None:
            return
        run.remove(self.plots)
        self._refit()
        self.runs_changed.emit()

    def clear_runs(self) -> None:
        for run in self.runs.values():
            run.remove(self.plots)
        self.runs.clear()
        self._auto_x = True
        self._auto_y = {metric: True for metric in self.plots}
        self._reset_ranges()
        self.runs_changed.emit()

    def visible_runs(self) -> list[RunCurves]:
        return [run for run in self.runs.values() if run.visible]

    def x_range(self) -> tuple[float, float]:
        """The x range the plots show (both share it)."""
        return tuple(self.plots["loss"].getViewBox().viewRange()[0])

    def point_count(self, metric: str = "loss", visible_only: bool = False) -> int:
        """How many points the curves of ``metric`` hold right now (what a test can check)."""
        count = 0
        for item in self.plots[metric].getPlotItem().listDataItems():
            x, _ = item.getOriginalDataset()
            if not (visible_only and not item.isVisible()):
                count += 0 if x is None else len(x)
        return count

    def redraw(self, force: bool = False) -> None:
        """Draw what changed, now if ``force``, else when the frame budget allows."""
        dirty = [run for run in self.runs.values() if run.dirty]
        if not (dirty or self._y_behind) or (not force and time.perf_counter() < self._next_frame):
            return
        started, cpu = time.perf_counter(), time.thread_time()
        for run in dirty:
            run.redraw()
        self._fit_x()
        self._follow_data(every_axis=force)  # a forced frame (an export, a pause) shows it all at once
        # the repaints of the previous frame happened since; count them with this frame's work
        cost = time.thread_time() - cpu
        for plot in self.plots.values():
            cost, plot.paint_seconds = cost + plot.paint_seconds, 0.0
        self._next_frame = started + max(REDRAW_MS / 1000, cost / FRAME_BUDGET)

    # -- ranges: they follow the runs shown ------------------------------------------------------
    def _zoomed_by_hand(self, metric: str) -> None:
        self._auto_y[metric] = False
        self._auto_x = False

    def _reset_ranges(self) -> None:
        """The empty plots' ranges: one epoch, loss and accuracy from 0 to 1."""
        self._x_end = None
        self._fit_x()
        for plot in self.plots.values():
            plot.setYRange(0, 1, padding=0)

    def _refit(self) -> None:
        """Runs were shown, hidden or removed: fit both axes to what is shown now."""
        self.redraw(force=True)
        self._fit_x()
        self._follow_data(shrink=True)

    def _fit_x(self) -> None:
        """x from 0 to the end of the fit in progress or of the data shown, whichever is later."""
        if not self._auto_x:
            return
        end = max([self._planned_end] + [run.last_x() for run in self.visible_runs()])
        end = end if end > 0 else 1.0
        if end != self._x_end:
            self._x_end = end
            for plot in self.plots.values():
                plot.setXRange(0, end, padding=0.04)  # room for the last epoch's marker

    def _follow_data(self, shrink: bool = False, every_axis: bool = False) -> None:
        """Fit the y axes to the curves shown, but only when they leave the view or fill too
        little of it (or, with ``shrink``, whenever the view is not a snug fit): a y axis that
        changes every frame costs a full axis redraw every frame.

        A frame moves one y axis at most (the other follows in the next frame, 33 ms later): a
        plot whose range changed is redrawn whole, and two in one frame doubled the UI thread's
        longest pause while the loss fell fast. ``shrink`` and ``every_axis`` move every axis now."""
        metrics = ("loss", "accuracy") if self._moved_last != "loss" else ("accuracy", "loss")
        self._y_behind = False
        for metric in metrics:
            column = 0 if metric == "loss" else 1
            if not self._auto_y[metric]:
                continue
            values = [run.values(column) for run in self.visible_runs()]
            values = np.concatenate(values) if values else np.empty(0)
            values = values[np.isfinite(values)]
            if not values.size:
                continue
            low, high = float(values.min()), float(values.max())
            span = max(high - low, 0.02)
            view = self.plots[metric].getViewBox()
            bottom, top = view.viewRange()[1]
            snug = bottom >= low - 0.25 * span and top <= high + 0.25 * span
            if bottom <= low and high <= top and span >= 0.5 * (top - bottom) and (snug or not shrink):
                continue
            low, high = low - 0.1 * span, high + 0.1 * span
            if metric == "accuracy":
                low, high = max(low, -0.02), min(high, 1.02)
            else:  # a loss is never negative
                low = max(low, -0.02 * span)
            view.setYRange(low, high, padding=0)
            if not (shrink or every_axis):  # the other axis takes its turn in the next frame
                self._moved_last, self._y_behind = metric, True
                return

    # -- export (File > Export plots; the files are written by playground.widgets.plot_export) -----------
    def export_png(self, folder: Path) -> list[Path]:
        self.redraw(force=True)
        return plot_export.export_png(self.plots, folder)

    def export_csv(self, folder: Path) -> list[Path]:
        runs = list(self.runs.values())
        return [
            plot_export.write_runs_csv(Path(folder) / "training_batches.csv", RunCurves.BATCH_COLUMNS,
                                       [(run.number, run.label, run.batches.rows) for run in runs]),
            plot_export.write_runs_csv(Path(folder) / "training_epochs.csv", RunCurves.EPOCH_COLUMNS,
                                       [(run.number, run.label, run.epochs.rows) for run in runs]),
        ]

    # -- look -------------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        """Side by side when the panel is wide, one above the other when it is tall."""
        size = event.size()
        wide = size.width() >= 1.2 * size.height()
        self._layout.setDirection(QBoxLayout.LeftToRight if wide else QBoxLayout.TopToBottom)
        super().resizeEvent(event)

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange):
            self.apply_palette()
        super().changeEvent(event)

    def apply_palette(self) -> None:
        """Follow the window's light or dark palette (pyqtgraph's defaults are always black)."""
        palette = self.palette()
        background = palette.color(QPalette.Base)
        text = palette.color(QPalette.Text)
        for plot in self.plots.values():
            plot.setBackground(background)
            item = plot.getPlotItem()
            item.titleLabel.setText(item.titleLabel.text, color=text)
            for name in ("left", "bottom"):
                axis = item.getAxis(name)
                axis.setPen(pg.mkPen(text))
                axis.setTextPen(pg.mkPen(text))
                axis.setLabel(axis.labelText, color=text.name())


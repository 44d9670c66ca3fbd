"""The Geometry lab: a Dense layer as a move of the plane, and a network that uncrumples.

Issue 9, section 5 (the book's sections 2.3.5 and 2.3.6), in two tabs:

* **One Dense layer**: a cloud of two classes and the plane's grid lines go through
  ``relu(W %*% x + b)`` one step at a time (a slider per step, or Play), with W and b in number
  fields, and an angle slider that makes W a rotation;
* **A network uncrumples**: a small network trained live on two tangled classes; after each
  epoch, what each hidden layer makes of the points, the whole network's decision over the input
  plane, and the straight line the softmax layer draws in the last hidden layer's plane.

A thin view over ``playground.core.labs.geometry`` (no Qt there; the math is the engine's). Training
runs on a daemon thread of its own; a QTimer polls it and draws the newest snapshot, and
nothing from that thread ever touches a widget.
"""
from __future__ import annotations

import html
import math
import threading

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QTabWidget, QVBoxLayout,
    QWidget,
)

from playground.core.labs import geometry
from playground.widgets import FitsShortDock, NumberSpinBox, hint_label, wrapped_label

CLASS_COLOURS = ("#3b82f6", "#f97316")  # mid-luminance: they read on white and on near-black
WEIGHT_LIMIT = 5.0
SLIDER_STEPS = 100
PLAY_MS, PLAY_SECONDS = 30, 3.0  # Play runs the three steps in about 3 seconds
POLL_MS = 100  # the live view redraws ten times a second: each redraw costs the UI thread a few ms
PACE = 0.03  # at least this many seconds per epoch while training: 200 epochs in about 6 seconds
PLOT_SIDE = 150
STEP_TEXT = {
    "W x": "W x: a linear map of the whole plane. Each point x goes to W %*% x: rotated, stretched, "
           "sheared or flipped; straight lines stay straight and the origin stays where it is.",
    "+ b": "+ b: the whole plane slides by the vector b.",
    "relu": "relu: every negative coordinate becomes 0. The plane folds onto the positive quarter "
            "and its two edges: points left of or below the axes land on them.",
}
STEP_NAMES = {"W x": "stepWxSlider", "+ b": "stepBiasSlider", "relu": "stepReluSlider"}
INTRO = ("Section 2.3.5. A Dense layer with 2 units moves the points of the plane: "
         "layer_dense(units = 2, activation = \"relu\") computes relu(W %*% x + b). Move the sliders "
         "to play the three steps; edit W and b, or turn the angle to make W a rotation.")
NETWORK_INTRO = ("Section 2.3.6. Two classes crumpled into each other like two sheets of paper in a ball. "
                 "Each layer uncrumples them a little; after training, the last hidden layer's points "
                 "are split by a straight line, the only thing the softmax layer on top can draw.")


def monospace_font():
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def code_table(rows: list[tuple[str, str]]) -> str:
    """Rich text: R as the book writes it beside NumPy."""
    cells = "".join(f"<tr><td style='padding-right:14px'><code>{html.escape(r)}</code></td>"
                    f"<td><code>{html.escape(p)}</code></td></tr>" for r, p in rows)
    return f"<table cellspacing='0'><tr><th align='left'>R</th><th align='left'>NumPy</th></tr>{cells}</table>"


def r_number(value: float) -> str:
    return f"{value:.3g}"


class QuietViewBox(pg.ViewBox):
    """A ViewBox whose locked aspect stays quiet while it has no size yet (before the panel is
    first shown pyqtgraph casts an infinite ratio to float, and NumPy warns; harmless)."""

    def updateViewRange(self, *args, **kwargs) -> None:  # noqa: N802 (pyqtgraph name)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            super().updateViewRange(*args, **kwargs)

    def setRange(self, *args, **kwargs) -> None:  # noqa: N802 (pyqtgraph name)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            super().setRange(*args, **kwargs)


def cloud_plot(name: str, title: str = "", axes: bool = True, grid: bool = True) -> pg.PlotWidget:
    """A square-scaled scatter plot that the mouse leaves alone. The grid costs most of a
    redraw (the axes paint its lines), so the plots redrawn every epoch go without."""
    plot = pg.PlotWidget(objectName=name, viewBox=QuietViewBox())
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMinimumSize(PLOT_SIDE, PLOT_SIDE)
    plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    item = plot.getPlotItem()
    item.setAspectLocked(True)  # x and y units the same length on screen: a rotation looks like one
    if grid:
        item.showGrid(x=True, y=True, alpha=0.15)
    if not axes:
        item.hideAxis("left")
        item.hideAxis("bottom")
    if title:
        item.setTitle(title, size="9pt")
    return plot


def set_view(plot: pg.PlotWidget, x_range, y_range, padding: float = 0.0) -> None:
    """Show this part of the plane."""
    plot.getPlotItem().setRange(xRange=x_range, yRange=y_range, padding=padding)


def class_scatters(plot: pg.PlotWidget, size: int = 6, faint: bool = False) -> tuple:
    """One scatter item per class in ``plot``."""
    items = []
    for colour in CLASS_COLOURS:
        c = QColor(colour)
        if faint:
            c.setAlpha(60)
        item = pg.ScatterPlotItem(size=size, pen=None, brush=pg.mkBrush(c))
        plot.addItem(item)
        items.append(item)
    return tuple(items)


def show_classes(scatters, points: np.ndarray, labels: np.ndarray) -> None:
    for cls, item in enumerate(scatters):
        chosen = points[labels == cls]
        item.setData(chosen[:, 0], chosen[:, 1])


def apply_plot_palette(plot: pg.PlotWidget, palette: QPalette) -> None:
    """Follow the light or dark palette (pyqtgraph's defaults are always black)."""
    text = palette.color(QPalette.Text)
    plot.setBackground(palette.color(QPalette.Base))
    item = plot.getPlotItem()
    if item.titleLabel.text:
        item.titleLabel.setText(item.titleLabel.text, color=text, size="9pt")
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))


def plane_grid(low: float = -3.0, high: float = 3.0, lines: int = 13, samples: int = 41) -> np.ndarray:
    """Grid lines of the plane as points, each line followed by a NaN row (drawn with gaps)."""
    ticks, along = np.linspace(low, high, lines), np.linspace(low, high, samples)
    pieces = []
    for tick in ticks:
        for line in (np.stack([along, np.full(samples, tick)], 1), np.stack([np.full(samples, tick), along], 1)):
            pieces.extend([line, np.full((1, 2), np.nan)])
    return np.concatenate(pieces).astype(np.float32)


class StepsView(QWidget):
    """The cloud through ``relu(W %*% x + b)``, a slider per step, W and b editable."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.cloud = geometry.two_clouds()
        self.steps = geometry.DenseSteps()
        self._grid = plane_grid()
        self._quiet = False  # True while the view sets its own fields (one redraw, not six)
        self._progress = 0.0
        self.play_timer = QTimer(self, interval=PLAY_MS)
        self.play_timer.timeout.connect(self._play_tick)

        self.plot = cloud_plot("geometryStepsPlot")
        self.grid_curve = self.plot.plot(connect="finite")
        self.plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#888888", width=1)))
        self.plot.addItem(pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#888888", width=1)))
        self.ghosts = class_scatters(self.plot, size=5, faint=True)
        self.points = class_scatters(self.plot)
        show_classes(self.ghosts, self.cloud.points, self.cloud.labels)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(hint_label(INTRO, objectName="geometryIntro"))
        row = QHBoxLayout()
        layout.addLayout(row, 1)
        row.addWidget(self.plot, 3)
        controls = QVBoxLayout()
        row.addLayout(controls, 2)
        controls.addLayout(self._weight_fields())
        self.problem_label = wrapped_label(objectName="geometryWeightProblem", visible=False)
        controls.addWidget(self.problem_label)
        controls.addLayout(self._angle_row())
        controls.addLayout(self._step_sliders())
        self.step_label = wrapped_label(objectName="geometryStepText")
        controls.addWidget(self.step_label)
        controls.addStretch(1)
        self.code_label = wrapped_label(objectName="geometryStepsCode", textFormat=Qt.TextFormat.RichText)
        self.code_label.setFont(monospace_font())
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.code_label)
        self.redraw()

    # ----- controls -------------------------------------------------------------------------
    def _weight_fields(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.addWidget(QLabel("W ="), 0, 0, 2, 1)
        grid.addWidget(QLabel("b ="), 0, 3, 2, 1)
        self.w_fields = [[None, None], [None, None]]
        for row in range(2):
            for col in range(2):
                field = self._number_field(f"weightW{row + 1}{col + 1}", geometry.DEFAULT_W[row, col])
                field.setToolTip(f"W[{row + 1}, {col + 1}] in R, W[{row}, {col}] in NumPy")
                self.w_fields[row][col] = field
                grid.addWidget(field, row, 1 + col)
        self.b_fields = []
        for row in range(2):
            field = self._number_field(f"biasB{row + 1}", geometry.DEFAULT_B[row])
            field.setToolTip(f"b[{row + 1}] in R, b[{row}] in NumPy")
            self.b_fields.append(field)
            grid.addWidget(field, row, 4)
        grid.setColumnStretch(5, 1)
        return grid

    def _number_field(self, name: str, value: float) -> NumberSpinBox:
        field = NumberSpinBox(objectName=name, minimum=-WEIGHT_LIMIT, maximum=WEIGHT_LIMIT, singleStep=0.1,
                              value=float(value))
        field.valueChanged.connect(self._weights_edited)
        return field

    def _angle_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("Rotate by"))
        self.angle_slider = QSlider(Qt.Orientation.Horizontal, objectName="angleSlider", minimum=0, maximum=360)
        self.angle_slider.setToolTip("Make W the rotation by this angle (section 2.3.5) and show W x alone")
        self.angle_slider.valueChanged.connect(self.set_rotation)
        self.angle_label = QLabel("0°", objectName="angleLabel")
        self.angle_label.setMinimumWidth(self.angle_label.fontMetrics().horizontalAdvance("360° "))
        row.addWidget(self.angle_slider, 1)
        row.addWidget(self.angle_label)
        return row

    def _step_sliders(self) -> QGridLayout:
        grid = QGridLayout()
        self.step_sliders: list[QSlider] = []
        self.step_values: list[QLabel] = []
        for i, step in enumerate(geometry.STEPS):
            slider = QSlider(Qt.Orientation.Horizontal, objectName=STEP_NAMES[step], minimum=0, maximum=SLIDER_STEPS,
                             value=0)
            slider.valueChanged.connect(self._steps_moved)
            value = QLabel(objectName=STEP_NAMES[step].replace("Slider", "Value"))
            value.setMinimumWidth(value.fontMetrics().horizontalAdvance("100% "))
            name = QLabel(step)
            name.setFont(monospace_font())
            grid.addWidget(name, i, 0)
            grid.addWidget(slider, i, 1)
            grid.addWidget(value, i, 2)
            self.step_sliders.append(slider)
            self.step_values.append(value)
        buttons = QHBoxLayout()
        self.play_button = QPushButton("Play the steps", objectName="playStepsButton")
        self.play_button.setToolTip("Run W x, then + b, then relu, from the cloud as it is")
        self.play_button.clicked.connect(self.play)
        buttons.addWidget(self.play_button)
        buttons.addStretch(1)
        grid.addLayout(buttons, len(geometry.STEPS), 0, 1, 3)
        grid.setColumnStretch(1, 1)
        return grid

    # ----- reactions --------------------------------------------------------------------------
    def times(self) -> tuple[float, float, float]:
        return tuple(slider.value() / SLIDER_STEPS for slider in self.step_sliders)

    def set_times(self, times) -> None:
        self._quiet = True
        for slider, t in zip(self.step_sliders, times):
            slider.setValue(round(t * SLIDER_STEPS))
        self._quiet = False
        self.redraw()

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        W = np.array([[field.value() for field in row] for row in self.w_fields], np.float64)
        return W, np.array([field.value() for field in self.b_fields], np.float64)

    def set_weights(self, W, b=None) -> None:
        self._quiet = True
        for row in range(2):
            for col in range(2):
                self.w_fields[row][col].setValue(round(float(W[row][col]), 3) + 0.0)  # + 0.0: no "-0"
        if b is not None:
            for field, value in zip(self.b_fields, b):
                field.setValue(round(float(value), 3) + 0.0)
        self._quiet = False
        self._weights_edited()

    def set_rotation(self, degrees: int) -> None:
        self.angle_label.setText(f"{degrees}°")
        if self._quiet:
            return
        self.play_timer.stop()
        self._quiet = True
        for slider, t in zip(self.step_sliders, (1, 0, 0)):  # the rotation alone: W x, no + b, no relu
            slider.setValue(t * SLIDER_STEPS)
        self._quiet = False
        self.set_weights(geometry.rotation(degrees))

    def _weights_edited(self, *_) -> None:
        if self._quiet:
            return
        fields = [field for row in self.w_fields for field in row] + self.b_fields
        if any(not field.in_range() for field in fields):
            self.problem_label.setText(f"W and b take numbers from {-WEIGHT_LIMIT:g} to {WEIGHT_LIMIT:g}; "
                                       "the picture keeps the last ones that were.")
            self.problem_label.setVisible(True)
            return
        self.problem_label.setVisible(False)
        W, b = self.weights()
        self.steps = geometry.DenseSteps(W, b)
        self.redraw()

    def _steps_moved(self, *_) -> None:
        if not self._quiet:
            self.play_timer.stop()
            self.redraw()

    def play(self) -> None:
        self._progress = 0.0
        self.set_times((0, 0, 0))
        self.play_timer.start()

    def _play_tick(self) -> None:
        self._progress = min(3.0, self._progress + 3.0 * PLAY_MS / 1000 / PLAY_SECONDS)
        self.set_times(geometry.step_times(self._progress))
        if self._progress >= 3.0:
            self.play_timer.stop()

    # ----- drawing ----------------------------------------------------------------------------
    def current_points(self) -> np.ndarray:
        return self.steps.at(self.cloud.points, *self.times())

    def redraw(self) -> None:
        times = self.times()
        for label, t in zip(self.step_values, times):
            label.setText(f"{t:.0%}")
        show_classes(self.points, self.current_points(), self.cloud.labels)
        grid = self.steps.at(np.nan_to_num(self._grid), *times)
        grid[np.isnan(self._grid[:, 0])] = np.nan
        self.grid_curve.setData(grid[:, 0], grid[:, 1])
        stages = self.steps.stages(self.cloud.points)
        everything = np.concatenate(stages)
        low, high = everything.min(axis=0), everything.max(axis=0)
        set_view(self.plot, (min(low[0], 0), max(high[0], 0)), (min(low[1], 0), max(high[1], 0)), padding=0.08)
        moving = next((i for i, t in enumerate(times) if 0 < t < 1), None)
        if moving is None:
            done = [i for i, t in enumerate(times) if t == 1]
            moving = done[-1] if done else None
        self.step_label.setText(STEP_TEXT[geometry.STEPS[moving]] if moving is not None else
                                "The points as they come in: no step applied yet.")
        self.code_label.setText(self._code())

    def _code(self) -> str:
        W, b = self.steps.W, self.steps.b
        w_r = ", ".join(r_number(v) for v in W.ravel())
        b_r = ", ".join(r_number(v) for v in b)
        w_np = "[" + ", ".join("[" + ", ".join(r_number(v) for v in row) + "]" for row in W) + "]"
        return code_table([
            (f"W <- matrix(c({w_r}), nrow = 2, byrow = TRUE)", f"W = np.array({w_np})"),
            (f"b <- c({b_r})", f"b = np.array([{b_r}])"),
            ("W %*% x", "W @ x"),
            ("W %*% x + b", "W @ x + b"),
            ("pmax(W %*% x + b, 0)", "np.maximum(W @ x + b, 0)"),
            ('layer_dense(units = 2, activation = "relu")', 'Dense(2, activation="relu")  # kernel = W.T'),
        ])

    def set_palette_colours(self, palette: QPalette) -> None:
        apply_plot_palette(self.plot, palette)
        grid = QColor(palette.color(QPalette.Text))
        grid.setAlpha(45)
        self.grid_curve.setPen(pg.mkPen(grid, width=1))

    def shutdown(self) -> None:
        self.play_timer.stop()


class TrainingJob:
    """One ``geometry.Uncrumpling`` run on a daemon thread (closing the app never waits for it)."""

    def __init__(self, run: geometry.Uncrumpling):
        self.run = run
        self.thread = threading.Thread(target=self._work, name="geometry-lab", daemon=True)
        self.error: str | None = None

    def _work(self) -> None:
        try:
            self.run.run()
        except Exception as error:  # noqa: BLE001 - shown by the panel in its status line
            self.error = f"Training stopped: {error}"

    def start(self) -> None:
        self.thread.start()

    def done(self) -> bool:
        return not self.thread.is_alive()


class UncrumpleView(QWidget):
    """Train the small network on tangled classes; each hidden layer's view, epoch by epoch."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.job: TrainingJob | None = None
        self.run: geometry.Uncrumpling | None = None
        self.pace = PACE
        self.poll = QTimer(self, interval=POLL_MS)
        self.poll.timeout.connect(self._check)
        self._ranges: dict[int, float] = {}  # each projected layer's half-width shown

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(hint_label(NETWORK_INTRO, objectName="uncrumpleIntro"))
        layout.addLayout(self._controls())
        self.status_label = wrapped_label(objectName="geometryTrainStatus")
        layout.addWidget(self.status_label)
        layout.addLayout(self._plots(), 1)
        self.code_label = QLabel(objectName="geometryNetworkCode", textFormat=Qt.TextFormat.RichText)
        self.code_label.setFont(monospace_font())
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setText(self._code())
        self.code_label.setToolTip(self._engine_code())
        layout.addWidget(self.code_label)
        self.new_run()

    def _controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.kind_combo = QComboBox(objectName="tangledDataCombo")
        self.kind_combo.addItems(["two spirals", "two moons"])
        self.kind_combo.currentIndexChanged.connect(lambda *_: self.new_run())
        self.epochs_field = NumberSpinBox(objectName="geometryEpochs", whole=True, minimum=1, maximum=2000, value=200,
                                          singleStep=10, suffix=" epochs")
        self.train_button = QPushButton("Train", objectName="trainGeometryButton")
        self.train_button.clicked.connect(self.toggle_training)
        self.epoch_slider = QSlider(Qt.Orientation.Horizontal, objectName="geometryEpochSlider", minimum=0, maximum=0)
        self.epoch_slider.setToolTip("Look back at any epoch of the run")
        self.epoch_slider.valueChanged.connect(self._epoch_chosen)
        self.epoch_label = QLabel(objectName="geometryEpochLabel")
        self.epoch_label.setMinimumWidth(self.epoch_label.fontMetrics().horizontalAdvance("epoch 2000 "))
        row.addWidget(self.kind_combo)
        row.addWidget(self.epochs_field)
        row.addWidget(self.train_button)
        row.addWidget(self.epoch_slider, 1)
        row.addWidget(self.epoch_label)
        return row

    def _plots(self) -> QGridLayout:
        grid = QGridLayout()
        self.input_plot = cloud_plot("uncrumpleInputPlot", "input, with the network's decision", grid=False)
        self.decision_image = pg.ImageItem()
        self.input_plot.addItem(self.decision_image)
        self.input_scatters = class_scatters(self.input_plot, size=4)
        self.layer_plots, self.layer_scatters = [], []
        for i, units in enumerate(geometry.HIDDEN):
            how = "and the last layer's line" if units == 2 else "on their 2 main axes"
            plot = cloud_plot(f"uncrumpleLayer{i + 1}Plot", f"layer {i + 1}: {units} units {how}",
                              axes=units == 2, grid=False)  # a projection's coordinates mean nothing
            self.layer_plots.append(plot)
            self.layer_scatters.append(class_scatters(plot, size=4))
        self.split_line = pg.InfiniteLine(pos=(0, 0), angle=0, pen=pg.mkPen("#888888", width=2, style=Qt.DashLine))
        self.layer_plots[-1].addItem(self.split_line)
        set_view(self.layer_plots[-1], (-1, 1), (-1, 1), padding=0.08)
        for position, plot in enumerate([self.input_plot, *self.layer_plots]):
            grid.addWidget(plot, position // 2, position % 2)
        return grid

    def _code(self) -> str:
        units = geometry.HIDDEN
        r = ["model <- keras_model_sequential() %>%",
             f'  layer_dense(units = {units[0]}, activation = "tanh", input_shape = c(2)) %>%',
             *[f'  layer_dense(units = {u}, activation = "tanh") %>%' for u in units[1:]],
             '  layer_dense(units = 2, activation = "softmax")']
        return "<pre style='margin:0'>" + html.escape("\n".join(r)) + "</pre>"

    @staticmethod
    def _engine_code() -> str:
        """The same network in this app's engine (Keras's Python names)."""
        units = geometry.HIDDEN
        rows = [f'Dense({units[0]}, activation="tanh", input_shape=(2,)),',
                *[f'Dense({u}, activation="tanh"),' for u in units[1:]], 'Dense(2, activation="softmax"),']
        return "In Python, with this app's engine:\nmodel = engine.Sequential([\n    " + "\n    ".join(rows) + "\n])"

    # ----- runs -------------------------------------------------------------------------------
    def kind(self) -> str:
        return geometry.KINDS[self.kind_combo.currentIndex()]

    def new_run(self) -> None:
        """An untrained network on the chosen data (stops a run in progress)."""
        self.stop()
        self.job = None
        epochs = self.epochs_field.value() if self.epochs_field.in_range() else 200
        self.run = geometry.Uncrumpling(self.kind(), epochs=epochs, pace=self.pace)
        show_classes(self.input_scatters, self.run.cloud.points, self.run.cloud.labels)
        x0, x1, y0, y1 = self.run.extent
        set_view(self.input_plot, (x0, x1), (y0, y1))
        self.epoch_slider.setMaximum(0)
        self._ranges.clear()
        self.show_snapshot(self.run.start)
        self.status_label.setText("Untrained: the layers scramble the points at random. Press Train.")
        self._update_button()

    def toggle_training(self) -> None:
        if self.training():
            self.stop()
        else:
            self.start()

    def training(self) -> bool:
        return self.job is not None and not self.job.done()

    def start(self) -> None:
        if not self.epochs_field.in_range():
            self.status_label.setText(f"Epochs: a whole number from 1 to {self.epochs_field.maximum():,}.")
            return
        if self.run is None or self.run.finished or self.run.count() or self.run.epochs != self.epochs_field.value():
            self.new_run()  # a finished or stopped run is not continued: train afresh
        self.run.pace = self.pace
        self.job = TrainingJob(self.run)
        self.job.start()
        self.poll.start()
        self._update_button()

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()

    def _check(self) -> None:
        """On the UI thread: draw what the worker recorded since the last look."""
        run, job = self.run, self.job
        if run is None or job is None:
            self.poll.stop()
            return
        count = run.count()
        following = self.epoch_slider.value() == self.epoch_slider.maximum()
        if count:
            self.epoch_slider.blockSignals(True)
            self.epoch_slider.setMaximum(count)
            if following:
                self.epoch_slider.setValue(count)
            self.epoch_slider.blockSignals(False)
            if following:
                self.show_snapshot(run.snapshot(count - 1))
        if job.done():
            self.poll.stop()
            self._update_button()
            self._finished_text(job)

    def _finished_text(self, job: TrainingJob) -> None:
        run = job.run
        problem = job.error or run.error
        if problem:
            self.status_label.setText(problem)
            return
        if not run.count():
            return
        last = run.snapshot(run.count() - 1)
        how = "Done" if last.epoch == run.epochs else "Stopped"
        line = (f" A straight line on the input (one Dense layer) gets {run.line_accuracy:.0%}."
                if run.line_accuracy is not None else "")
        self.status_label.setText(
            f"{how} after {last.epoch} epochs: {last.accuracy:.0%} of the points right.{line} In the last hidden "
            "layer (bottom right) the classes sit on either side of the dashed line. Slide back through "
            "the epochs to watch them come apart.")

    def _epoch_chosen(self, value: int) -> None:
        if self.run is None:
            return
        self.show_snapshot(self.run.snapshot(value - 1) if value else self.run.start)

    def show_snapshot(self, snapshot: geometry.Snapshot) -> None:
        labels = self.run.cloud.labels
        self.epoch_label.setText(f"epoch {snapshot.epoch}")
        self.decision_image.setImage(decision_rgba(snapshot.decision).transpose(1, 0, 2), autoLevels=False)
        x0, x1, y0, y1 = self.run.extent
        self.decision_image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))  # after setImage: it scales by the image's size
        for i, (plot, scatters, view) in enumerate(zip(self.layer_plots, self.layer_scatters, snapshot.views)):
            show_classes(scatters, view, labels)
            if self.run.hidden[i] != 2:
                plot.setToolTip(f"The two axes along which this layer's points spread most: "
                                f"{snapshot.explained[i]:.0%} of their spread")
                self._fit_range(i, view)
        self._place_line(snapshot.line)
        if snapshot.epoch and self.training():
            self.status_label.setText(f"Epoch {snapshot.epoch} of {self.run.epochs}: loss {snapshot.loss:.3f}, "
                                      f"{snapshot.accuracy:.0%} of the points right.")

    def _fit_range(self, index: int, view: np.ndarray) -> None:
        """Keep a projected layer's points in view, changing the range (and redrawing the axes)
        only when they leave it or shrink to a small part of it, not at every epoch."""
        reach = float(np.abs(view).max()) if len(view) else 1.0
        shown = self._ranges.get(index)
        if shown is None or reach > shown or reach < 0.5 * shown:
            shown = self._ranges[index] = 1.15 * reach or 1.0
            set_view(self.layer_plots[index], (-shown, shown), (-shown, shown))

    def _place_line(self, line) -> None:
        if line is None or not np.any(line[0]):
            self.split_line.setVisible(False)
            return
        w, c = line
        point = -c * w / float(w @ w)
        self.split_line.setPos(tuple(float(v) for v in point))
        self.split_line.setAngle(math.degrees(math.atan2(w[1], w[0])) + 90)
        self.split_line.setVisible(True)

    def _update_button(self) -> None:
        training = self.training()
        self.train_button.setText("Stop" if training else "Train")
        self.kind_combo.setEnabled(not training)
        self.epochs_field.setEnabled(not training)

    def set_palette_colours(self, palette: QPalette) -> None:
        for plot in [self.input_plot, *self.layer_plots]:
            apply_plot_palette(plot, palette)

    def shutdown(self) -> None:
        self.poll.stop()
        self.stop()


def decision_rgba(probability: np.ndarray) -> np.ndarray:
    """(rows, cols, 4) uint8: each cell in the colour of its more probable class, stronger where
    the network is surer (near 0.5, the boundary, it fades out)."""
    p = np.asarray(probability, np.float64)
    colours = np.array([QColor(c).getRgb()[:3] for c in CLASS_COLOURS], np.float64)
    rgba = np.zeros(p.shape + (4,), np.uint8)
    rgba[..., :3] = np.where((p >= 0.5)[..., None], colours[1], colours[0]).astype(np.uint8)
    rgba[..., 3] = np.round(20 + 60 * np.abs(2 * p - 1)).astype(np.uint8)
    return rgba


class GeometryLab(FitsShortDock, QWidget):
    """The dock panel (objectName ``geometryLab``): the two views in tabs. In the dock's scroll
    area it takes the height it is given (``FitsShortDock``): the plots share it.

    The network's view (four plots) is built when its tab is first opened, not with the window.
    """

    def __init__(self, state=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("geometryLab")
        self.state = state  # the lab needs nothing from the app's state; kept for a uniform signature
        self.steps_view = StepsView(self)
        self._uncrumple_view: UncrumpleView | None = None
        self._network_tab = QWidget(objectName="uncrumpleTab")
        QVBoxLayout(self._network_tab).setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget(self, objectName="geometryTabs")
        self.tabs.addTab(self.steps_view, "One Dense layer (2.3.5)")
        self.tabs.addTab(self._network_tab, "A network uncrumples (2.3.6)")
        self.tabs.currentChanged.connect(lambda index: index == 1 and self.uncrumple_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.tabs)
        self.apply_palette()

    @property
    def uncrumple_view(self) -> UncrumpleView:
        if self._uncrumple_view is None:
            self._uncrumple_view = UncrumpleView(self._network_tab)
            self._uncrumple_view.set_palette_colours(self.palette())
            self._network_tab.layout().addWidget(self._uncrumple_view)
            self._uncrumple_view.show()  # at once: a layout shows a child added late only on the next event loop
        return self._uncrumple_view

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.apply_palette()
        super().changeEvent(event)

    def apply_palette(self) -> None:
        palette = self.palette()
        self.steps_view.set_palette_colours(palette)
        if self._uncrumple_view is not None:
            self._uncrumple_view.set_palette_colours(palette)

    def shutdown(self) -> None:
        """Stop the animation and the training thread (the main window calls this on close)."""
        self.steps_view.shutdown()
        if self._uncrumple_view is not None:
            self._uncrumple_view.shutdown()

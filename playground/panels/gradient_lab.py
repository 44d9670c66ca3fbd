"""The Gradient lab (issue 9, section 6): four tabs on gradient descent, a thin view over
``playground.core.labs.gradient`` (no math here).

* Step size: SGD on a 1-D loss curve, one step per click (or Run), the derivative drawn as the
  tangent at the current point; presets for too small, about right and too large (figure 2.11).
* Race: SGD, SGD with momentum, RMSprop, Adagrad and Adam from the same start on a loss surface,
  their trajectories animated by a timer (figure 2.13 is the surface with a local minimum).
* Range test: the learning rate grows batch after batch on a private copy of the current network,
  on a worker thread; loss against rate on a log axis, the suggested rate marked, one click puts
  it in the Optimizer panel.
* Gradient check: one weight of the current network, backprop's derivative beside the central
  finite difference, in float64 (on a worker thread).

Worker threads only compute: the panel polls their results with a timer and draws them here, on
the UI thread. Call ``shutdown()`` before the application closes (the main window does).
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QTabWidget,
    QVBoxLayout, QWidget,
)

from playground.core.labs import gradient
from playground.text.number_text import number_text
from playground.widgets import FitsShortDock, hint_label, wrapped_label
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style

ANIMATION_MS = 30
CURVE_STEPS = 30
POLL_MS = 100


def _plot(parent: QWidget) -> pg.PlotWidget:
    plot = pg.PlotWidget(parent)
    plot.setMenuEnabled(False)
    plot.setMinimumSize(200, 160)
    for name in ("left", "bottom"):
        plot.getAxis(name).enableAutoSIPrefix(False)  # 0.001 as 0.001, not "1 (x0.001)"
    return plot


def _theme_plot(plot: pg.PlotWidget, palette: QPalette) -> None:
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    text = palette.color(QPalette.ColorRole.Text)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))


def _mono(label: QLabel) -> QLabel:
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _Poller:
    """Runs one job at a time on a worker thread and hands its result to ``done`` on the UI
    thread (a timer polls the future; nothing from the worker touches a widget)."""

    def __init__(self, parent: QWidget, done):
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._future: Future | None = None
        self._done = done
        self.timer = QTimer(parent, interval=POLL_MS)
        self.timer.timeout.connect(self._poll)

    @property
    def busy(self) -> bool:
        return self._future is not None and not self._future.done()

    def submit(self, job, *args, **kwargs) -> None:
        self._future = self._pool.submit(job, *args, **kwargs)
        self.timer.start()

    def _poll(self) -> None:
        future = self._future
        if future is None or not future.done():
            return
        self.timer.stop()
        self._future = None
        try:
            result, error = future.result(), None
        except Exception as exc:  # noqa: BLE001 - an engine error is shown, never raised into Qt
            result, error = None, f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
        self._done(result, error)

    def shutdown(self) -> None:
        self.timer.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)


# ----- 1-D: step size ---------------------------------------------------------------------------
class CurveView(QWidget):
    """SGD on a 1-D loss curve, step by step, with the tangent at the current point."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.step = 0
        self.run = gradient.descend_curve(gradient.STEP_SIZES["About right"], CURVE_STEPS)
        layout = QVBoxLayout(self)
        layout.addWidget(wrapped_label(
            "The loss of one weight w. Each SGD step moves w against the slope (the derivative, drawn "
            "as the tangent): w = w - step size × slope. Too small a step crawls; too large a one "
            "overshoots the bottom and can climb out of the valley (figure 2.11)."))
        row = QHBoxLayout()
        row.addWidget(QLabel("Step size:"))
        self.rate_box = QDoubleSpinBox(self, decimals=4, minimum=0.0001, maximum=5.0, singleStep=0.05,
                                       objectName="curveRate")
        self.rate_box.setValue(self.run.learning_rate)
        self.rate_box.valueChanged.connect(self._restart)
        row.addWidget(self.rate_box)
        self.preset_buttons = {}
        for name, rate in gradient.STEP_SIZES.items():
            button = QPushButton(name, self)
            button.clicked.connect(lambda _=False, r=rate: self.rate_box.setValue(r))
            self.preset_buttons[name] = button
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        buttons = QHBoxLayout()
        self.step_button = QPushButton("Step", self, objectName="curveStep")
        self.run_button = QPushButton("Run", self, objectName="curveRun")
        self.reset_button = QPushButton("Back to the start", self)
        self.step_button.clicked.connect(self.advance)
        self.run_button.clicked.connect(self._toggle_run)
        self.reset_button.clicked.connect(self._restart)
        for button in (self.step_button, self.run_button, self.reset_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.plot = _plot(self)
        self.plot.setLabel("bottom", "w")
        self.plot.setLabel("left", "loss")
        xs = np.linspace(*gradient.CURVE_RANGE, 400)
        self.curve_item = self.plot.plot(xs, gradient.curve_loss(xs), pen=pg.mkPen("#64748b", width=2))
        self.path_item = self.plot.plot([], [], pen=pg.mkPen("#f97316", width=1, style=Qt.PenStyle.DashLine),
                                        symbol="o", symbolSize=7, symbolBrush="#f97316", symbolPen=None)
        self.tangent_item = self.plot.plot([], [], pen=pg.mkPen("#3b82f6", width=2))
        self.plot.setXRange(*gradient.CURVE_RANGE, padding=0)
        self.plot.setYRange(-0.5, 14.0, padding=0)
        layout.addWidget(self.plot, 1)
        self.readout = _mono(wrapped_label(objectName="curveReadout"))
        layout.addWidget(self.readout)
        self.timer = QTimer(self, interval=400)
        self.timer.timeout.connect(self.advance)
        self._draw()

    def _restart(self, *_) -> None:
        self.timer.stop()
        self.run_button.setText("Run")
        self.run = gradient.descend_curve(self.rate_box.value(), CURVE_STEPS)
        self.step = 0
        self._draw()

    def advance(self) -> None:
        if self.step < len(self.run.points) - 1:
            self.step += 1
        else:
            self.timer.stop()
            self.run_button.setText("Run")
        self._draw()

    def _toggle_run(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.run_button.setText("Run")
        else:
            self.timer.start()
            self.run_button.setText("Pause")

    def _draw(self) -> None:
        run, k = self.run, self.step
        self.path_item.setData(run.points[:k + 1], run.losses[:k + 1])
        xs, ys = run.tangent(k, half_width=0.8)
        self.tangent_item.setData(xs, ys)
        w, loss, slope = run.points[k], run.losses[k], run.slopes[k]
        lines = [f"step {k}: w = {w:.4g}   loss = {loss:.4g}   slope = {slope:.4g}"]
        if k < len(run.points) - 1:
            lines.append(f"next: w = {w:.4g} - {run.learning_rate:g} × {slope:.4g} = {run.points[k + 1]:.4g}")
        elif run.diverged:
            lines.append("The next step would throw w out of the picture: the step size is far too large.")
        else:
            lines.append(f"After {k} steps, w = {w:.4g} (the minimum is at w = 1).")
        self.readout.setText("\n".join(lines))
        self.step_button.setEnabled(k < len(run.points) - 1)


# ----- 2-D: the race ----------------------------------------------------------------------------
class SurfaceRace(QWidget):
    """Five optimizers from one start on a loss surface, animated."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.trajectories: list[gradient.Trajectory] = []
        self.frame = 0
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Surface:"))
        self.surface_box = QComboBox(self, objectName="surfaceChoice")
        for surface in gradient.SURFACES.values():
            self.surface_box.addItem(surface.name, surface.key)
        self.surface_box.currentIndexChanged.connect(self._surface_changed)
        row.addWidget(self.surface_box, 1)
        self.race_button = QPushButton("Race", self, objectName="raceButton")
        self.race_button.clicked.connect(self.start_race)
        row.addWidget(self.race_button)
        layout.addLayout(row)
        self.description = hint_label()
        layout.addWidget(self.description)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        self.shown_boxes: dict[str, QCheckBox] = {}
        self.rate_boxes: dict[str, QDoubleSpinBox] = {}
        for i, key in enumerate(gradient.RUNNER_KEYS):
            box = QCheckBox(gradient.RUNNER_LABELS[key], self, checked=True)
            box.setStyleSheet(f"QCheckBox {{ color: {gradient.RUNNER_COLOURS[key]}; font-weight: bold; }}")
            box.toggled.connect(self._show_paths)
            rate = QDoubleSpinBox(self, decimals=4, minimum=0.0001, maximum=10.0, singleStep=0.001)
            rate.setToolTip(f"{gradient.RUNNER_LABELS[key]}'s learning rate")
            self.shown_boxes[key], self.rate_boxes[key] = box, rate
            grid.addWidget(box, i // 2, 2 * (i % 2))
            grid.addWidget(rate, i // 2, 2 * (i % 2) + 1)
        layout.addLayout(grid)
        self.plot = _plot(self)
        self.plot.setAspectLocked(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.plot.addItem(self.image)
        self.minima_item = self.plot.plot([], [], pen=None, symbol="+", symbolSize=14, symbolPen=pg.mkPen("w", width=2))
        self.start_item = self.plot.plot([], [], pen=None, symbol="s", symbolSize=9, symbolBrush="w")
        self.path_items: dict[str, pg.PlotDataItem] = {}
        for key in gradient.RUNNER_KEYS:
            colour = gradient.RUNNER_COLOURS[key]
            self.path_items[key] = self.plot.plot([], [], pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=4,
                                                  symbolBrush=colour, symbolPen=None)
        layout.addWidget(self.plot, 1)
        self.results = _mono(wrapped_label(objectName="raceResults"))
        layout.addWidget(self.results)
        self.timer = QTimer(self, interval=ANIMATION_MS)
        self.timer.timeout.connect(self._next_frame)
        self._surface_changed()

    @property
    def surface(self) -> gradient.Surface:
        return gradient.SURFACES[self.surface_box.currentData()]

    def _surface_changed(self, *_) -> None:
        self.timer.stop()
        s = self.surface
        self.description.setText(s.description)
        for key, rate in s.learning_rates.items():
            self.rate_boxes[key].setValue(rate)
        xs, ys, losses = s.grid()
        shade = np.log1p(losses - losses.min())  # log: the valleys' floors stay visible
        self.image.setImage(shade)
        self.image.setRect(pg.QtCore.QRectF(xs[0], ys[0], xs[-1] - xs[0], ys[-1] - ys[0]))
        self.minima_item.setData([m[0] for m in s.minima], [m[1] for m in s.minima])
        self.start_item.setData([s.start[0]], [s.start[1]])
        self.plot.setXRange(*s.x_range, padding=0)
        self.plot.setYRange(*s.y_range, padding=0)
        self.trajectories = []
        self.frame = 0
        self._show_paths()
        self.results.setText("Press Race: every optimizer starts at the white square; + marks the minima.")

    def start_race(self) -> None:
        s = self.surface
        runners = s.runners({key: box.value() for key, box in self.rate_boxes.items()})
        self.trajectories = gradient.race(s, runners)
        self.frame = 0
        self.results.setText("")
        self.timer.start()

    def _next_frame(self) -> None:
        longest = max((len(t.points) for t in self.trajectories), default=0)
        self.frame = min(longest, self.frame + max(1, longest // 90))
        self._show_paths()
        if self.frame >= longest:
            self.timer.stop()
            self._show_results()

    def _show_paths(self, *_) -> None:
        drawn = {t.runner.key: t for t in self.trajectories}
        for key, item in self.path_items.items():
            t = drawn.get(key)
            if t is None or not self.shown_boxes[key].isChecked():
                item.setData([], [])
            else:
                points = t.points[:max(1, self.frame)]
                item.setData(points[:, 0], points[:, 1])

    def _show_results(self) -> None:
        s = self.surface
        lines = []
        for t in self.trajectories:
            where = "ran away (learning rate too large)" if t.diverged else \
                f"loss {t.final_loss:.3g} at ({t.points[-1][0]:.2f}, {t.points[-1][1]:.2f})"
            if not t.diverged and len(s.minima) > 1:
                where += ", the deeper basin" if gradient.basin(s, t.points[-1]) == 0 else ", the shallower basin"
            lines.append(f"{t.runner.label:<18} after {len(t.points) - 1:>3} steps: {where}")
        self.results.setText("\n".join(lines))


# ----- the learning-rate range test -------------------------------------------------------------
class RangeTestView(QWidget):
    """The range test on the current network, on a worker thread, and its suggestion."""

    def __init__(self, state, network: gradient.CurrentNetwork, batches: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.state, self.network = state, network
        self.result: gradient.RangeTest | None = None
        self._run = _RangeTestRun()  # what the worker thread shares with this view: no Qt object
        layout = QVBoxLayout(self)
        layout.addWidget(wrapped_label(
            "Train a copy of the current network for a few hundred batches while the learning rate grows "
            "from 1e-6 to 10, and plot the loss against the rate. Where the loss falls fastest is a good "
            "learning rate; where it shoots up, training breaks. Your network and its weights are not changed."))
        row = QHBoxLayout()
        row.addWidget(QLabel("Batches:"))
        self.batches_box = QSpinBox(self, minimum=20, maximum=2000, singleStep=50, value=batches)
        row.addWidget(self.batches_box)
        self.run_button = QPushButton("Run the range test", self, objectName="rangeTestRun")
        self.stop_button = QPushButton("Stop", self, enabled=False)
        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(lambda: self._run.cancel.set())
        row.addWidget(self.run_button)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = hint_label(objectName="rangeTestStatus")
        layout.addWidget(self.status)
        self.plot = _plot(self)
        self.plot.setLogMode(x=True, y=False)
        self.plot.setLabel("bottom", "learning rate (log scale)")
        self.plot.setLabel("left", "loss")
        self.loss_curve = self.plot.plot([], [], pen=pg.mkPen("#94a3b8", width=1))
        self.smoothed_curve = self.plot.plot([], [], pen=pg.mkPen("#3b82f6", width=2))
        self.marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#f97316", width=2, style=Qt.PenStyle.DashLine))
        self.marker.setVisible(False)
        self.plot.addItem(self.marker)
        layout.addWidget(self.plot, 1)
        use = QHBoxLayout()
        self.use_button = QPushButton("Use the suggested rate", self, enabled=False, objectName="useSuggestedRate")
        self.use_button.clicked.connect(self.use_suggestion)
        use.addWidget(self.use_button)
        use.addStretch(1)
        layout.addLayout(use)
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self._poll)
        self._thread: threading.Thread | None = None
        state.training_started.connect(self._sync_use)
        state.training_finished.connect(self._sync_use)

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        try:
            model, what = self.network.frozen()
        except Exception as exc:  # noqa: BLE001 - the design cannot be built: say why
            self._say(f"Cannot run the range test: {exc}", error=True)
            return
        self.result, self._run = None, _RangeTestRun()
        settings, dataset, batches = self.state.settings, self.state.dataset, self.batches_box.value()
        self._say(f"Training a copy of {what} with {settings.optimizer} on batches of {settings.batch_size}…")
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.use_button.setEnabled(False)
        self.marker.setVisible(False)
        self._started, self._batches = time.monotonic(), batches
        self._thread = threading.Thread(target=self._run.work, args=(model, dataset, settings, batches),
                                        name="range-test", daemon=True)
        self._thread.start()
        self.timer.start()

    def _poll(self) -> None:
        points = self._run.points_so_far()
        if points:
            rates, losses = np.array(points).T
            finite = np.isfinite(losses)
            self.loss_curve.setData(rates[finite], losses[finite])
            done = len(points)
            left = (self._batches - done) * (time.monotonic() - self._started) / done
            self.status.setText(f"Batch {done} of {self._batches}: learning rate {rates[-1]:.2g}, loss {losses[-1]:.3g}"
                                f" (at most {left:.0f} s left; Stop ends it early)")
        if self._run.outcome is None:
            return
        self.timer.stop()
        result, error = self._run.outcome
        self.run_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        if error:
            self._say(f"The range test failed: {error}", error=True)
            return
        self.show_result(result)

    def show_result(self, result: gradient.RangeTest) -> None:
        self.result = result
        finite = np.isfinite(result.losses)
        self.loss_curve.setData(result.learning_rates[finite], result.losses[finite])
        self.smoothed_curve.setData(result.learning_rates[finite], result.smoothed[finite])
        ended = {"completed": "", "diverged": " The loss blew up, so the test stopped there.",
                 "cancelled": " Stopped."}[result.stopped]
        if result.suggested is None:
            self._say(f"{len(result.losses)} batches: too few, or the loss never fell, to suggest a rate.{ended}")
        else:
            self.marker.setValue(np.log10(result.suggested))
            self.marker.setVisible(True)
            self.use_button.setText(f"Use {number_text(float(f'{result.suggested:.2g}'))} as the learning rate")
            self._say(f"{len(result.losses)} batches. Suggested: {result.suggested:.2g}, where the smoothed "
                      f"loss (blue) falls fastest.{ended}")
        self._sync_use()

    def use_suggestion(self) -> None:
        if self.result is not None and self.result.suggested is not None and not self.state.is_training:
            self.state.set_settings(learning_rate=float(f"{self.result.suggested:.2g}"))
            self._say(f"The Optimizer panel's learning rate is now {self.state.settings.learning_rate:g}.")

    def _sync_use(self, *_) -> None:
        has = self.result is not None and self.result.suggested is not None
        self.use_button.setEnabled(has and not self.state.is_training)
        self.use_button.setToolTip("Locked while training." if self.state.is_training else "")

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        show_error_style(self.status, error)

    def shutdown(self) -> None:
        self._run.cancel.set()
        self.timer.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)


class _RangeTestRun:
    """One range test as its worker thread sees it: the points so far, Stop, and the outcome.
    It holds no Qt object, so the thread never holds the last reference to one (a QObject
    freed on a worker thread can deadlock against the UI thread)."""

    def __init__(self):
        self.cancel = threading.Event()
        self.outcome: tuple[gradient.RangeTest | None, str | None] | None = None  # (result, error)
        self._points: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def work(self, model, dataset, settings, batches: int) -> None:  # on the worker thread
        try:
            result = gradient.range_test(model, dataset, settings, batches=batches, progress=self._progress,
                                         cancelled=self.cancel.is_set)
            self.outcome = (result, None)
        except Exception as exc:  # noqa: BLE001 - shown in the panel
            self.outcome = (None, f"{type(exc).__name__}: {exc}")

    def _progress(self, batch: int, rate: float, loss: float) -> None:
        with self._lock:
            self._points.append((rate, loss))

    def points_so_far(self) -> list[tuple[float, float]]:
        with self._lock:
            return list(self._points)


# ----- the gradient check -----------------------------------------------------------------------
class CheckView(QWidget):
    """One weight of the current network: backprop beside the finite difference."""

    def __init__(self, state, network: gradient.CurrentNetwork, parent: QWidget | None = None):
        super().__init__(parent)
        self.state, self.network = state, network
        self.choices: list[gradient.WeightChoice] = []
        layout = QVBoxLayout(self)
        layout.addWidget(wrapped_label(
            "Is backpropagation right? Pick one weight: its derivative by the backward pass is set beside "
            "the slope measured by nudging that weight up and down, (L(w + eps) - L(w - eps)) / (2 eps), "
            f"on {gradient.CHECK_DIGITS} training digits, in float64 (on a copy of the network)."))
        row = QHBoxLayout()
        row.addWidget(QLabel("Weight:"))
        self.weight_box = QComboBox(self, objectName="checkWeight")
        self.weight_box.currentIndexChanged.connect(self._weight_changed)
        row.addWidget(self.weight_box, 1)
        layout.addLayout(row)
        index_row = QHBoxLayout()
        self.index_labels, self.index_boxes = [], []
        for _ in range(4):
            label, box = QLabel(self), QSpinBox(self)
            self.index_labels.append(label)
            self.index_boxes.append(box)
            index_row.addWidget(label)
            index_row.addWidget(box)
        index_row.addStretch(1)
        layout.addLayout(index_row)
        buttons = QHBoxLayout()
        self.check_button = QPushButton("Check this weight", self, objectName="checkButton")
        self.check_button.clicked.connect(self.run_check)
        buttons.addWidget(self.check_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.result_label = _mono(wrapped_label(objectName="checkResult"))
        layout.addWidget(self.result_label)
        self.plot = _plot(self)
        self.plot.setLabel("bottom", "this weight (the others stay as they are)")
        self.plot.setLabel("left", "loss")
        self.loss_item = self.plot.plot([], [], pen=pg.mkPen("#64748b", width=2))
        self.tangent_item = self.plot.plot([], [], pen=pg.mkPen("#3b82f6", width=2))
        self.point_item = self.plot.plot([], [], pen=None, symbol="o", symbolSize=8, symbolBrush="#f97316",
                                         symbolPen=None)
        layout.addWidget(self.plot, 1)
        self.plot_caption = hint_label(
            "The loss as this one weight moves; the blue line has backpropagation's slope at the orange point.")
        layout.addWidget(self.plot_caption)
        self.poller = _Poller(self, self._show)
        self._stale = True  # offered when first shown

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Offer the current network's weights (keeping the choice when it still exists); while
        hidden, only remember to (a fresh network would be built for nothing)."""
        self._stale = not self.isVisible()
        if self._stale:
            return
        try:
            model, _ = self.network.current()  # only its layers' names and shapes are read
        except Exception as exc:  # noqa: BLE001
            self.choices = []
            self.weight_box.clear()
            self.check_button.setEnabled(False)
            self._say(f"No network to check: {exc}", error=True)
            return
        choices = gradient.weight_choices(model)
        if choices == self.choices:
            return
        old = self.weight_box.currentText()
        self.choices = choices
        self.weight_box.blockSignals(True)
        self.weight_box.clear()
        self.weight_box.addItems([c.label for c in choices])
        self.weight_box.blockSignals(False)
        labels = [c.label for c in choices]
        self.weight_box.setCurrentIndex(labels.index(old) if old in labels else 0)
        self._weight_changed()
        self.check_button.setEnabled(bool(choices))
        self._say("")

    def _weight_changed(self, *_) -> None:
        i = self.weight_box.currentIndex()
        if not 0 <= i < len(self.choices):
            return
        choice = self.choices[i]
        names, first = gradient.axis_names(choice), gradient.default_index(choice)
        for k, (label, box) in enumerate(zip(self.index_labels, self.index_boxes)):
            used = k < len(choice.shape)
            label.setVisible(used)
            box.setVisible(used)
            if used:
                label.setText(names[k] + ":")
                box.setRange(0, choice.shape[k] - 1)
                box.setValue(first[k])  # the middle; for a Dense kernel on pixels, the centre pixel (ink)

    def run_check(self) -> None:
        if self.poller.busy or not self.choices:
            return
        try:
            model, _ = self.network.frozen()
        except Exception as exc:  # noqa: BLE001
            self._say(f"No network to check: {exc}", error=True)
            return
        choice = self.choices[self.weight_box.currentIndex()]
        index = tuple(box.value() for box in self.index_boxes[:len(choice.shape)])
        self._say("Checking…")
        dataset, settings = self.state.dataset, self.state.settings

        def job():
            return (gradient.check_weight(model, dataset, settings, choice, index),
                    gradient.loss_along_weight(model, dataset, settings, choice, index))

        self.poller.submit(job)

    def _show(self, result, error) -> None:
        if error:
            self._say(f"The check failed: {error}", error=True)
            return
        check, along = result
        self._say(gradient.check_text(check))
        finite = np.isfinite(along.losses)
        self.loss_item.setData(along.weights[finite], along.losses[finite])
        self.point_item.setData([along.value], [along.loss])
        if np.isfinite(check.backprop) and np.isfinite(along.loss):
            half = (along.weights[-1] - along.weights[0]) / 4
            xs = np.array([along.value - half, along.value + half])
            self.tangent_item.setData(xs, along.loss + check.backprop * (xs - along.value))
        else:
            self.tangent_item.setData([], [])

    def _say(self, text: str, error: bool = False) -> None:
        self.result_label.setText(text)
        show_error_style(self.result_label, error)

    def shutdown(self) -> None:
        self.poller.shutdown()


# ----- the panel --------------------------------------------------------------------------------
class GradientLab(FitsShortDock, QWidget):
    """The Gradient lab: step size, race, range test, gradient check, as tabs."""

    def __init__(self, state, parent: QWidget | None = None, range_batches: int = gradient.RANGE_BATCHES):
        super().__init__(parent)
        self.setObjectName("gradientLab")
        self.state = state
        self.network = gradient.CurrentNetwork(state)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.tabs = QTabWidget(self, objectName="gradientLabTabs")
        self.curve = CurveView(self)
        self.surface = SurfaceRace(self)
        self.range = RangeTestView(state, self.network, range_batches, self)
        self.check = CheckView(state, self.network, self)
        self.tabs.addTab(self.curve, "Step size")
        self.tabs.addTab(self.surface, "Race")
        self.tabs.addTab(self.range, "Range test")
        self.tabs.addTab(self.check, "Gradient check")
        layout.addWidget(self.tabs)
        for signal in (state.model_changed, state.network_changed, state.dataset_changed):
            signal.connect(self.check.refresh)
        self.plots = (self.curve.plot, self.surface.plot, self.range.plot, self.check.plot)
        follow_theme(self, self._restyle)

    def _restyle(self) -> None:
        palette = self.palette()
        for plot in self.plots:
            _theme_plot(plot, palette)
        refresh_error_styles(self)

    def shutdown(self) -> None:
        self.curve.timer.stop()
        self.surface.timer.stop()
        self.range.shutdown()
        self.check.shutdown()

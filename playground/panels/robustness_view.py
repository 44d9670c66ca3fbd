"""The Evaluate panel's robustness view (issue 10, section 4).

One plot: the test accuracy as the test digits are damaged more and more, one curve per kind
of damage (noise, rotation, shift, thicker and thinner strokes; ``playground.core.robustness``),
all starting at the clean accuracy (level 0). Below it the hardest test digits for this
network: those whose true label gets the lowest probability, from ``state.evaluation``.

"Test robustness" copies the model's weights on the UI thread (``inside.Snapshot``: no random
draws, the network is rebuilt on the other thread) and measures the curves on a
Python thread of its own (a daemon: closing the app never waits for it); a ``QTimer`` polls its
progress into the progress bar, so the UI thread only draws. A new model cancels a run and
clears curves that would describe other weights.
"""
from __future__ import annotations

import threading

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from playground.core import inside, robustness
from playground.panels.training_plots import RUN_COLOURS
from playground.widgets import DigitGrid, hint_label, scroll_area, wrapped_label

POLL_MS = 50
HARDEST_SHOWN = 40
PLOT_HEIGHT = 200  # at least
EXPLAIN = ("Accuracy on the first {digits:,} test digits as they are damaged more and more: level 0 is the clean "
           "test set, level 5 the heaviest damage (noise σ 0.6, a 60° turn, 5 px right and down, 5 steps "
           "thicker or thinner strokes). Hover a point for its damage.")


class RobustnessJob:
    """``robustness.curves`` on a thread; ``share`` and ``result`` are read by the UI's poll."""

    def __init__(self, model, images: np.ndarray, labels: np.ndarray, max_digits: int = robustness.MAX_DIGITS):
        self.share, self.result, self.error = 0.0, None, None
        self.cancel = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(model, images, labels, max_digits), name="robustness",
                                       daemon=True)

    def _run(self, snapshot, images, labels, max_digits) -> None:
        try:
            model = snapshot.model if isinstance(snapshot, inside.Snapshot) else snapshot  # built on this thread
            self.result = robustness.curves(model, images, labels, max_digits=max_digits, progress=self._progress,
                                            cancelled=self.cancel.is_set)
        except Exception as exc:  # noqa: BLE001 - shown in the view
            self.error = exc

    def _progress(self, share: float) -> None:
        self.share = share


def private_copy(model) -> inside.Snapshot:
    """A copy of ``model``'s weights that no other thread uses; its network is built on the
    thread that asks for it (``clone_model`` would draw initial weights on the UI thread, and
    move the seeded random numbers, only to overwrite them)."""
    return inside.Snapshot(model)


class RobustnessView(QWidget):
    """The robustness curves and the hardest digits, for ``state.model`` on ``state.dataset``'s test set."""

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("robustnessView")
        self.state = state
        self.job: RobustnessJob | None = None
        self.result: robustness.Curves | None = None
        self.max_digits = robustness.MAX_DIGITS  # test digits damaged per level
        self._hardest = np.zeros(0, dtype=np.int64)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check)

        body = QVBoxLayout(self)
        body.setContentsMargins(0, 6, 0, 0)
        body.addLayout(self._build_header())
        self.explain_label = hint_label(objectName="robustnessExplain")
        body.addWidget(self.explain_label)
        self.plot = self._build_plot()
        body.addWidget(self.plot, 3)
        self.hardest_label = wrapped_label(objectName="hardestLabel", textFormat=Qt.TextFormat.RichText)
        body.addWidget(self.hardest_label)
        self.hardest_grid = DigitGrid(objectName="hardestDigits", cell_size=40)
        self.hardest_grid.clickable = True
        self.hardest_grid.activated.connect(lambda index: self.state.request_digit("test", int(index)))
        self.hardest_scroll = scroll_area(self.hardest_grid, objectName="hardestScroll")
        self.hardest_scroll.setMinimumHeight(40 + self.fontMetrics().height() + 16)  # a row of digits at least
        body.addWidget(self.hardest_scroll, 2)
        self.setVisible(False)  # folded until ``toggle`` opens it (the Evaluate panel then hides its results)

        state.model_changed.connect(self._model_changed)
        state.evaluation_changed.connect(self.show_hardest)
        state.evaluation_requested.connect(lambda: self.set_open(False))  # Evaluate: back to the results
        state.dataset_changed.connect(self._model_changed)
        state.training_started.connect(self._update_button)
        state.training_finished.connect(self._update_button)
        self._model_changed()

    # ----- layout -------------------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        header = QHBoxLayout()
        # the toggle sits where the host wants it (the Evaluate panel: beside its Evaluate button)
        self.toggle = QPushButton("Robustness", objectName="robustnessToggle", checkable=True)
        self.toggle.setToolTip("Show or hide the robustness curves (accuracy on damaged test digits) "
                               "and the hardest test digits")
        self.toggle.toggled.connect(self.set_open)
        title = QLabel("Robustness", objectName="robustnessTitle")
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        self.status_label = QLabel(objectName="robustnessStatus")
        self.progress = QProgressBar(objectName="robustnessProgress", visible=False)
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(160)
        self.button = QPushButton("Test robustness", objectName="robustnessButton")
        self.button.clicked.connect(self.start)
        header.addWidget(title)
        header.addWidget(self.status_label, 1)
        header.addWidget(self.progress)
        header.addWidget(self.button)
        return header

    def _build_plot(self) -> pg.PlotWidget:
        plot = pg.PlotWidget(objectName="robustnessPlot")
        plot.setMinimumHeight(PLOT_HEIGHT)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        item = plot.getPlotItem()
        item.setLabel("bottom", "damage level (0 = clean)")
        item.setLabel("left", "test accuracy")
        item.setXRange(-0.2, robustness.LEVEL_COUNT - 0.8, padding=0)
        item.setYRange(0, 1, padding=0.02)
        item.getAxis("bottom").setTicks([[(i, str(i)) for i in range(robustness.LEVEL_COUNT)]])
        item.getAxis("left").setTicks([[(v, f"{v:.0%}") for v in np.linspace(0, 1, 6)]])
        item.showGrid(x=False, y=True, alpha=0.25)
        self.legend = item.addLegend(offset=(8, -8), labelTextSize="8pt")  # bottom left: the curves start high
        self.curves = {}
        for damage, colour in zip(robustness.DAMAGES, RUN_COLOURS):
            curve = plot.plot([], [], pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=6, symbolBrush=colour,
                              symbolPen=pg.mkPen(colour), name=damage.name)
            curve.setToolTip(f"{damage.name}: levels {', '.join(str(v) for v in damage.levels)} ({damage.unit})")
            self.curves[damage.name] = curve
        plot.scene().sigMouseMoved.connect(self._hover)
        self.apply_palette(plot)
        return plot

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and hasattr(self, "plot"):
            self.apply_palette(self.plot)
        super().changeEvent(event)

    def apply_palette(self, plot: pg.PlotWidget) -> None:
        """Follow the light or dark palette (pyqtgraph's defaults are always black)."""
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        plot.setBackground(palette.color(QPalette.ColorRole.Base))
        item = plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(text))
            axis.setTextPen(pg.mkPen(text))
            axis.setLabel(axis.labelText, color=text.name())
        self.legend.setLabelTextColor(text)
        self.legend.setBrush(pg.mkBrush(palette.color(QPalette.ColorRole.Base)))

    def set_open(self, open_: bool) -> None:
        """Unfold (True) or fold the curves and the hardest digits."""
        self.toggle.setChecked(open_)
        self.setVisible(open_)

    def is_open(self) -> bool:
        return self.toggle.isChecked()

    # ----- running ------------------------------------------------------------------------
    def _usable(self) -> bool:
        s = self.state
        return (s.model is not None and s.trained and not s.model_problem and s.dataset is not None
                and len(s.dataset.x_test) > 0)

    def _update_button(self, *_) -> None:
        running = self.job is not None
        self.button.setEnabled(self._usable() and not running and not self.state.is_training)
        self.button.setToolTip("Measure the test accuracy as the digits are damaged (on a worker thread)"
                               if self._usable() else "Train the network or load a model first")
        if self.state.is_training and not running:
            self.button.setToolTip("After training: the curves are measured on the trained weights")

    def start(self) -> None:
        """Measure the curves for the current model on a thread; returns at once."""
        if self.job is not None or not self._usable():
            return
        try:
            model = private_copy(self.state.model)
        except Exception as exc:  # noqa: BLE001
            self.status_label.setText(f"Cannot test this model: {exc}")
            return
        ds = self.state.dataset
        self.job = RobustnessJob(model, ds.x_test, ds.y_test, self.max_digits)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status_label.setText("Damaging the test digits and predicting them…")
        self.set_open(True)
        self._update_button()
        self.job.thread.start()
        self._poll.start()

    def busy(self) -> bool:
        return self.job is not None

    def _check(self) -> None:
        job = self.job
        if job is None:
            self._poll.stop()
            return
        self.progress.setValue(round(100 * job.share))
        if job.thread.is_alive():
            return
        self._poll.stop()
        self.job = None
        self.progress.setVisible(False)
        if job.error is not None:
            self.status_label.setText(f"The robustness test failed: {type(job.error).__name__}: {job.error}")
        elif job.result is not None:
            self.show_curves(job.result)
        self._update_button()

    def cancel(self) -> None:
        """Stop a run (it ends after the level it is predicting) and forget it."""
        if self.job is not None:
            self.job.cancel.set()
            self.job = None
        self._poll.stop()
        self.progress.setVisible(False)

    shutdown = cancel

    # ----- showing ------------------------------------------------------------------------
    def show_curves(self, result: robustness.Curves | None) -> None:
        self.result = result
        for name, curve in self.curves.items():
            accuracy = [] if result is None else result.accuracy.get(name, [])
            curve.setData(np.arange(len(accuracy)), np.asarray(accuracy, dtype=float))
        if result is None:
            self.explain_label.setText("")
            self.status_label.setText("")
            return
        worst = min(result.accuracy, key=lambda name: result.accuracy[name][-1])
        self.status_label.setText(f"clean {result.clean_accuracy:.1%}; the heaviest {worst}: "
                                  f"{result.accuracy[worst][-1]:.1%}")
        self.explain_label.setText(EXPLAIN.format(digits=result.digits))

    def _hover(self, position) -> None:
        if self.result is None:
            return
        item = self.plot.getPlotItem()
        point = item.vb.mapSceneToView(position)
        level = int(round(point.x()))
        if not 0 <= level < robustness.LEVEL_COUNT:
            self.plot.setToolTip("")
            return
        lines = [f"level {level}:"]
        for damage in robustness.DAMAGES:
            accuracy = self.result.accuracy.get(damage.name)
            if accuracy:
                lines.append(f"{damage.name} {damage.levels[level]} {damage.unit}: {accuracy[level]:.1%}")
        self.plot.setToolTip("\n".join(lines))

    def show_hardest(self) -> None:
        """The test digits whose true label gets the lowest probability, from ``state.evaluation``."""
        ev, ds = self.state.evaluation, self.state.dataset
        if ev is None or ds is None or len(ds.x_test) != len(ev.y_true):
            self._hardest = np.zeros(0, dtype=np.int64)
            self.hardest_grid.clear()
            self.hardest_label.setText("<b>Hardest test digits</b>: evaluate the network to see them.")
            return
        order = robustness.hardest(ev.probabilities, ev.y_true)
        self._hardest = shown = order[:HARDEST_SHOWN]
        sure = ev.probabilities[shown, ev.y_true[shown]]
        captions = [f"{ev.y_true[i]}: {100 * p:.0f}%" for i, p in zip(shown, sure)]
        tips = [f"x_test[{i}]: true {ev.y_true[i]}, the network gives it {100 * p:.1f}% and reads "
                f"{ev.y_pred[i]} ({100 * ev.probabilities[i, ev.y_pred[i]]:.0f}%)" for i, p in zip(shown, sure)]
        self.hardest_grid.set_items(ds.x_test[shown], captions=captions, keys=[int(i) for i in shown], tooltips=tips)
        self.hardest_label.setText(f"<b>Hardest test digits</b>: all {len(order):,} sorted by the probability the "
                                   "network gives their true label, lowest first (caption: true digit: that "
                                   "probability) · click one to open it in the Data panel")

    def _model_changed(self) -> None:
        self.cancel()
        self.show_curves(None)
        self.show_hardest()
        self._update_button()

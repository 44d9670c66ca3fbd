"""Training panel: the buttons, the progress, the live curves and Keras's log.

This is the moment of chapter 2 where the book calls ``fit(train_images, train_labels,
epochs = 5, batch_size = 128)`` and watches the loss fall and the accuracy rise. Here the
learner can also *pause* between two batches, *step* one batch at a time (each step is one
gradient update on 128 digits: its loss and accuracy go to the log and to a cross on the
plots), *stop*, and continue the same weights up to the Epochs setting (the button says which
epochs before it is pressed). Every run stays in the run list beside the log, where it can be
shown, hidden or removed.

The panel is a thin view: buttons call the ``TrainingController``; everything drawn comes from
the controller's signals (progress, epoch ends, the end of a run) and ``AppState``'s (whether
the design is valid). It never touches the engine.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from playground.panels.run_list import RunList
from playground.panels.training_log import TrainingLog
from playground.panels.training_plots import TrainingPlots
from playground.text.keras_log import (
    batch_line, epoch_header, epoch_line, epochs_note, evaluation_line, plan_call, progress_caption,
    strategy_line,
)
from playground.training.state import AppState
from playground.training.training_controller import IDLE, PAUSED, RUNNING, STOPPING, TrainingController
from playground.widgets.keys import button_action, keys_text
from playground.widgets.theme import error_colour

PROGRESS_BAR_INTERVAL = 0.1  # seconds between progress-bar updates
NAN_HINT = ("Press Reset weights to start again from random weights, or lower the learning rate in the "
            "Optimizer panel (that starts a new run).")


def glyph_icon(kind: str, colour: QColor, size: int = 32) -> QIcon:
    """Media-style glyphs ("play", "pause", "stop", "step") in the palette's button-text colour
    (Qt's standard media icons are black, invisible on a dark theme)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(Qt.NoPen)
    p.setBrush(colour)
    u = size / 16

    def triangle(x0, x1):
        p.drawPolygon(QPolygonF([QPointF(x0 * u, 3 * u), QPointF(x1 * u, 8 * u), QPointF(x0 * u, 13 * u)]))

    if kind == "play":
        triangle(4, 13)
    elif kind == "pause":
        p.drawRect(QRectF(4 * u, 3 * u, 3 * u, 10 * u))
        p.drawRect(QRectF(9 * u, 3 * u, 3 * u, 10 * u))
    elif kind == "stop":
        p.drawRect(QRectF(4 * u, 4 * u, 8 * u, 8 * u))
    elif kind == "step":
        triangle(3, 10)
        p.drawRect(QRectF(11 * u, 3 * u, 2 * u, 10 * u))
    p.end()
    return QIcon(pixmap)


class TrainingPanel(QWidget):
    """Train / Pause / Stop / Step / Reset, progress, ``lossPlot`` and ``accuracyPlot``, log."""

    def __init__(self, state: AppState, controller: TrainingController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.state, self.controller = state, controller
        self._fit: dict = {}
        self._latest_progress: dict | None = None
        self._progress_shown_at = 0.0
        self._build()
        state.network_changed.connect(self._update_controls)
        state.settings_changed.connect(self._update_controls)
        state.dataset_changed.connect(self._update_controls)
        state.model_changed.connect(self._update_controls)
        state.evaluation_changed.connect(self._update_controls)
        controller.phase_changed.connect(self._on_phase)
        controller.run_started.connect(self._on_run_started)
        controller.fit_began.connect(self._on_fit_began)
        controller.epoch_began.connect(lambda e, n: self.log(epoch_header(e, n)))
        controller.progressed.connect(self._on_progressed)
        controller.epoch_ended.connect(self._on_epoch_ended)
        controller.fit_ended.connect(self._on_fit_ended)
        controller.evaluated.connect(self._on_evaluated)
        controller.failed.connect(self._on_failed)
        controller.paused_at.connect(self._on_paused_at)
        controller.warned.connect(self._on_warned)
        self._update_controls()

    # -- construction -----------------------------------------------------------------------------
    def _build(self) -> None:
        style = self.style()

        def button(text, name, icon, slot, tip):
            b = QPushButton(style.standardIcon(icon) if not isinstance(icon, str) else QIcon(), text)
            b.setObjectName(name)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            return b

        self.train_button = button("Train", "trainButton", "play", lambda: self.controller.start(),
                                   "Run model.fit() with the Network and Optimizer settings")
        self.pause_button = button("Pause", "pauseButton", "pause", self._toggle_pause,
                                   "Pause between two batches (Resume continues)")
        self.stop_button = button("Stop", "stopButton", "stop", self.controller.stop,
                                  "Stop after the current batch (Train continues these weights later)")
        self.step_button = button("Step one batch", "stepButton", "step",
                                  self.controller.step, "Run exactly one batch (one gradient update), then pause")
        self.reset_button = button("Reset weights", "resetButton", QStyle.SP_BrowserReload,
                                   self.controller.reset_weights, "Start again from random weights (a new run)")
        self.train_button.setDefault(True)
        self.key_actions = [button_action(self, b, keys, text, name) for b, keys, text, name in (  # IDE's keys
            (self.train_button, "F5", "Train or continue", "trainAction"),
            (self.pause_button, "F6", "Pause or resume training", "pauseAction"),
            (self.stop_button, "Shift+F5", "Stop training", "stopAction"),
            (self.step_button, "F10", "Step one batch", "stepAction"))]
        self.reason_label = QLabel()
        self.reason_label.setObjectName("trainReason")
        self.reason_label.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for b in (self.train_button, self.pause_button, self.stop_button, self.step_button, self.reset_button):
            buttons.addWidget(b)
        buttons.addStretch(1)

        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        # its text changes 20 times a second: never let that resize (and repaint) the layout
        self.progress.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.progress.setMinimumWidth(120)
        self.caption = ""

        self.banner = QLabel()
        self.banner.setObjectName("trainingBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.banner.hide()

        self.plots = TrainingPlots()
        self.loss_plot, self.accuracy_plot = self.plots.plots["loss"], self.plots.plots["accuracy"]
        self.run_list = RunList(self.plots)
        self.clear_button = self.run_list.clear_button
        self.log_view = TrainingLog()
        below = QSplitter(Qt.Horizontal)  # the runs and the log share the strip under the plots
        below.addWidget(self.run_list)
        below.addWidget(self.log_view)
        below.setStretchFactor(0, 1)
        below.setStretchFactor(1, 1)
        below.setChildrenCollapsible(False)
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.plots)
        splitter.addWidget(below)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 400])  # proportions: the run list shows 7 or 8 runs at 1366x768
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        layout.addLayout(buttons)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        self._style_messages()

    # -- actions ----------------------------------------------------------------------------------
    def _toggle_pause(self) -> None:
        if self.controller.phase == PAUSED:
            self.controller.resume()
        else:
            self.controller.pause()

    def clear_runs(self) -> None:
        """Remove every curve; the run in progress (if any) keeps plotting from here on."""
        self.plots.clear_runs()

    def _set_caption(self, text: str) -> None:
        """The progress bar's text: epoch, batch, speed and ETA while training, results after."""
        self.caption = text
        self.progress.setFormat(text)  # only %p, %v and %m are placeholders

    def log(self, line: str) -> None:
        self.log_view.log(line)

    def show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    # -- controller signals -----------------------------------------------------------------------
    def _on_phase(self, phase: str) -> None:
        if phase == PAUSED:
            self._show_progress()
            self._set_caption("Paused · " + self.caption.removeprefix("Paused · "))
        elif phase == RUNNING:
            self._set_caption(self.caption.removeprefix("Paused · "))
        self._update_controls()

    def _note(self, run) -> str:
        """The run list's note: its epochs, or where it diverged."""
        if run.diverged:
            return f"diverged in epoch {run.epochs_done + 1}"
        return epochs_note(run.epochs_done, run.target_epochs)

    def _on_run_started(self, run) -> None:
        self.plots.add_run(run.number, run.label, self._note(run))
        self.log(f"Run {run.number}: {run.label}")

    def _on_fit_began(self, params: dict) -> None:
        self._fit = params
        self._latest_progress = None
        self.banner.hide()  # whatever the last fit left there (NaN, not learning) is about other weights
        run = params["run"]
        self.plots.add_run(run.number, run.label, self._note(run))
        self.run_list.set_busy_run(run.number)
        self.plots.expect_until(run.position + params["epochs"] - params["initial_epoch"])
        total = max((params["epochs"] - params["initial_epoch"]) * params["steps"], 1)
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        start = params["initial_epoch"]
        run = params.get("run")
        if start:
            what = f"continuing from epoch {start + 1} to {params['epochs']}"
        else:
            what = "from the loaded weights" if run is not None and run.pretrained else "from random weights"
        self.log(f"Training on {params['samples']:,} digits, batch size {params['batch_size']}, "
                 f"{params['steps']} batches per epoch ({what})")
        if params.get("strategy"):  # as fit(verbose=1) prints it
            self.log(strategy_line(params["strategy"], params.get("strategy_reason", "")))

    def _on_progressed(self, p: dict) -> None:
        run = p["run"]
        batches = p["batches"]
        self.plots.add_run(run.number, run.label, self._note(run))  # back in the list after Clear runs
        self.plots.add_batches(run.number, run.label, p["x"], batches[:, 1], batches[:, 2])
        self._latest_progress = p
        if time.perf_counter() - self._progress_shown_at >= PROGRESS_BAR_INTERVAL:
            self._show_progress()

    def _show_progress(self) -> None:
        """Move the bar and its caption (10 times a second is plenty for the eye)."""
        p = self._latest_progress
        if p is None:
            return
        self._progress_shown_at = time.perf_counter()
        done = (p["epoch"] - self._fit.get("initial_epoch", 0)) * p["steps"] + p["batch"]
        caption = progress_caption(p["epoch"], p["epochs"], p["batch"], p["steps"],
                                   p["samples_per_second"], p["eta_seconds"])
        # QProgressBar.setValue repaints at once (1.6 ms for this bar): with updates off, the new
        # value and caption are painted once, with the window's next frame
        self.progress.setUpdatesEnabled(False)
        try:
            self.progress.setValue(min(done, self.progress.maximum()))
            self._set_caption(("Paused · " if self.controller.phase == PAUSED else "") + caption)
        finally:
            self.progress.setUpdatesEnabled(True)

    def _on_epoch_ended(self, info: dict) -> None:
        run = info["run"]
        self.plots.add_run(run.number, run.label, self._note(run))
        self.plots.add_epoch(run.number, run.label, info["x"], info["logs"])
        self.log(epoch_line(info["steps"], info["seconds"], info["logs"], info["batches_done"]))

    def _on_paused_at(self, info: dict) -> None:
        """Training waits after a batch (Step one batch, Pause): show that batch's own numbers."""
        run = info["run"]
        self.plots.add_mark(run.number, run.label, info["x"], info["loss"], info["accuracy"])
        self.plots.redraw(force=True)
        what = "Step" if info["step"] else "Paused"
        self.log(f"{what}: " + batch_line(info["epoch"], info["batch"], info["steps"], info["loss"], info["accuracy"]))

    def _on_warned(self, text: str) -> None:
        self.log("Warning: " + text)
        self.show_banner(f"<b>Not learning.</b> {text}")

    def _on_fit_ended(self, reason: str, message: str) -> None:
        self._show_progress()
        self.plots.redraw(force=True)  # the last points now, not at the next timer tick
        self.plots.fit_ended()  # the x axis shrinks to the data when the fit ended early
        run = self.controller.run
        if run is not None and run.number in self.plots.runs:
            self.plots.add_run(run.number, run.label, self._note(run))
        if reason == "nan":
            self.log(message)
            self.show_banner(f"<b>The loss became NaN: training stopped.</b> {message} {NAN_HINT}")
            self._set_caption("Diverged: the loss became NaN")
            self.log("Test set: not evaluated (the weights diverged).")
        elif reason == "stopped":
            self.log("Stopped. Continue goes on with these weights.")
            self._set_caption("Stopped · evaluating on the test set…")
        else:
            self.progress.setValue(self.progress.maximum())
            self._set_caption("Done · evaluating on the test set…")
            if message:
                self.log(message)

    def _on_evaluated(self, evaluation) -> None:
        self.log(evaluation_line(evaluation.loss, evaluation.accuracy))
        self._set_caption(self._evaluation_caption(evaluation))

    def _evaluation_caption(self, evaluation) -> str:
        text = f"Test accuracy {evaluation.accuracy:.1%} · test loss {evaluation.loss:.4f}"
        return ("Diverged (unusable weights) · " + text) if self.state.model_problem else text

    def _idle_caption(self, errors: list[str], plan) -> str:
        """What the bar says between runs: why Train is off, the last test result, or what Train will do."""
        if errors:
            if self.state.dataset is None:
                return "Not ready: no dataset (File > Open dataset…)"
            if self.state.network_errors():
                return "Not ready: the network design has a problem (Network panel)"
            return "Not ready: the training recipe has a problem (Optimizer panel)"
        evaluation = self.state.evaluation
        if evaluation is not None and self.state.model is not None:
            return self._evaluation_caption(evaluation)
        if plan.blocked:
            if self.state.model_problem:
                return "Diverged: the loss became NaN · press Reset weights"
            return "Done: raise Epochs to go on"
        verb = "Continue" if plan.continues else "Train"
        epochs = f"epoch {plan.first}" if plan.first == plan.last else f"epochs {plan.first} to {plan.last}"
        return f"Ready: {verb} runs {epochs} (model.fit)"

    def _on_failed(self, message: str) -> None:
        self.log("Error: " + message)
        self.show_banner(f"<b>Something went wrong.</b> {message}")

    # -- enabling -----------------------------------------------------------------------------------
    def _update_controls(self) -> None:
        phase = self.controller.phase
        errors = self.state.training_errors()
        idle = phase == IDLE
        plan = self.controller.plan()
        can_train = idle and not errors and not plan.blocked
        self.train_button.setEnabled(can_train)
        if idle:  # while a fit runs the button keeps saying what it started
            self.train_button.setText(("Continue" if plan.continues else "Train") if plan.blocked else plan.button_text)
            self.train_button.setToolTip(
                f"{plan.text}: {plan_call(plan.first, plan.last)}. Continue trains the same weights up to "
                "the Epochs setting (Keras's initial_epoch); Train starts from random weights "
                f"({keys_text(self.key_actions[0].shortcut())}).")
        self.pause_button.setEnabled(phase in (RUNNING, PAUSED))
        paused = phase == PAUSED
        self.pause_button.setText("Resume" if paused else "Pause")
        self._paint_icons()
        self.stop_button.setEnabled(phase in (RUNNING, PAUSED))
        self.step_button.setEnabled(can_train or paused)
        self.reset_button.setEnabled(idle and not errors)
        diverged = idle and bool(plan.blocked) and self.controller.run is not None and self.controller.run.diverged
        self.reset_button.setDefault(diverged)  # after NaN the way on is Reset weights, not Continue
        self.train_button.setDefault(not diverged)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        if idle and errors:
            self._show_reason(f"Can't train: {errors[0]}{more}", "\n".join(errors), error=True)
        elif idle and plan.blocked:
            self._show_reason(plan.blocked, plan.blocked, error=False)
        else:
            self._show_reason("", "", error=False)
        if idle:
            self.run_list.set_busy_run(None)
            self._set_caption(self._idle_caption(errors, plan))
        elif phase == STOPPING:
            self._set_caption("Stopping after this batch…")

    def _show_reason(self, text: str, tooltip: str, error: bool) -> None:
        self.reason_label.setText(text)
        self.reason_label.setToolTip(tooltip)
        self.reason_label.setVisible(bool(text))
        if self.reason_label.property("error") != error:
            self.reason_label.setProperty("error", error)
            self._style_messages()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (event.Type.PaletteChange, event.Type.ApplicationPaletteChange):
            self._style_messages()
            self._paint_icons()

    def _paint_icons(self) -> None:
        colour = self.palette().color(QPalette.ButtonText)
        paused = self.controller.phase == PAUSED
        if getattr(self, "_icons_for", None) == (colour.rgba(), paused):
            return
        self._icons_for = (colour.rgba(), paused)
        for button, kind in ((self.train_button, "play"), (self.pause_button, "play" if paused else "pause"),
                             (self.stop_button, "stop"), (self.step_button, "step")):
            button.setIcon(glyph_icon(kind, colour))

    def _style_messages(self) -> None:
        red = QColor(error_colour(self.palette()))
        self.reason_label.setStyleSheet(f"color: {red.name()}; font-weight: bold;"
                                        if self.reason_label.property("error") else "")
        self.banner.setStyleSheet(
            f"QLabel {{ border: 1px solid {red.name()}; border-radius: 4px; padding: 6px;"
            f" background: rgba({red.red()}, {red.green()}, {red.blue()}, 40); }}")

"""The Backprop walkthrough (issue 9, section 7): one mini-batch through the current network,
forward then backward, one step at a time (Previous / Next), each tensor named, shaped, written
as its formula and drawn as a heatmap whose colours are centred on zero (blue negative, red
positive); the last step is the optimizer's update of one weight in real numbers.

A thin view over ``playground.core.labs.backprop``: the walkthrough is computed on a worker thread
from a private copy of the network, taken on the UI thread (training writes new weights into
``state.model`` there). It is recomputed when the model, the design, the data or the recipe
change, only while the panel is shown; when the network keeps its shape (training moved its
weights), the learner stays on the same step. Call ``shutdown()`` before the application closes.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from playground.core.labs import backprop
from playground.core.labs.gradient import CurrentNetwork
from playground.widgets import FitsShortDock, hint_label, wrapped_label
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style

POLL_MS = 100
SETTLE_MS = 300  # changes arriving closer than this are computed once
TRAINING_SETTLE_MS = 2000  # while training sends new weights: the walkthrough leaves the cores to it
PHASES = {"forward": "Forward pass", "loss": "The loss", "backward": "Backward pass", "update": "The update"}
DIVERGING = pg.colormap.get("CET-D1")  # blue, white, red
CLIP_PERCENTILE = 99.5  # of |value|, where the colours saturate: a few outliers wash nothing out


def colour_extent(image: np.ndarray) -> tuple[float, float]:
    """``(extent, share beyond)``: the colour scale runs from -extent to +extent, centred on zero;
    ``extent`` is the 99.5th percentile of the absolute values (their maximum when that is 0)."""
    values = np.abs(image[np.isfinite(image)])
    if not values.size:
        return 1.0, 0.0
    extent = float(np.percentile(values, CLIP_PERCENTILE)) or float(values.max())
    if extent <= 0:
        return 1.0, 0.0
    return extent, float(np.mean(values > extent))


class BackpropLab(FitsShortDock, QWidget):
    """Previous / Next through one batch's forward and backward pass."""

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("backpropLab")
        self.state = state
        self.network = CurrentNetwork(state)
        self.walk: backprop.Walkthrough | None = None
        self.step = 0
        self._start = 0  # the batch's first training digit
        self._stale = True
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._future: Future | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        self.about_label = hint_label(objectName="backpropAbout")
        top.addWidget(self.about_label, 1)
        self.batch_button = QPushButton("Another batch", self, objectName="backpropNewBatch")
        self.batch_button.clicked.connect(self.next_batch)
        top.addWidget(self.batch_button)
        layout.addLayout(top)

        nav = QHBoxLayout()
        self.previous_button = QPushButton("◀ Previous", self, objectName="backpropPrevious")
        self.next_button = QPushButton("Next ▶", self, objectName="backpropNext")
        self.previous_button.clicked.connect(lambda: self.show_step(self.step - 1))
        self.next_button.clicked.connect(lambda: self.show_step(self.step + 1))
        self.position_label = QLabel(self, objectName="backpropPosition")
        nav.addWidget(self.previous_button)
        nav.addWidget(self.position_label, 1, Qt.AlignmentFlag.AlignCenter)
        nav.addWidget(self.next_button)
        layout.addLayout(nav)
        QShortcut(QKeySequence(Qt.Key.Key_Right), self, lambda: self.show_step(self.step + 1),
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Left), self, lambda: self.show_step(self.step - 1),
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.title_label = QLabel(self, objectName="backpropTitle")
        font = QFont(self.title_label.font())
        font.setBold(True)
        self.title_label.setFont(font)
        layout.addWidget(self.title_label)
        self.formula_label = wrapped_label(objectName="backpropFormula")
        self.formula_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.formula_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.formula_label)
        self.explanation_label = wrapped_label(objectName="backpropExplanation")
        layout.addWidget(self.explanation_label)

        self.plot = pg.PlotWidget(self)
        self.plot.setMenuEnabled(False)
        self.plot.setMinimumSize(200, 160)
        self.plot.invertY(True)  # row 0 at the top, as a matrix is written
        self.plot.setAspectLocked(False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setColorMap(DIVERGING)
        self.plot.addItem(self.image_item)
        self.plot.getPlotItem().hideButtons()
        layout.addWidget(self.plot, 1)
        self.filler = QWidget(self)  # takes the plot's room on the update step, which has no tensor
        self.filler.setVisible(False)
        layout.addWidget(self.filler, 1)
        self.scale_label = hint_label(objectName="backpropScale")
        layout.addWidget(self.scale_label)

        self._poll_timer = QTimer(self, interval=POLL_MS)
        self._poll_timer.timeout.connect(self._poll)
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self.recompute)
        for signal in (state.model_changed, state.network_changed, state.dataset_changed, state.settings_changed):
            signal.connect(self._changed)
        follow_theme(self, self._restyle)
        self._show_nothing("Computing the walkthrough…")

    # -- computing --------------------------------------------------------------------------------
    def _changed(self, *_) -> None:
        self._stale = True
        if self.isVisible() and not self._settle.isActive():
            self._settle.start(TRAINING_SETTLE_MS if self.state.is_training else SETTLE_MS)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if self._stale:
            self._settle.start(0)

    def next_batch(self) -> None:
        size = self.walk.batch_size if self.walk is not None else 128
        self._start += size
        self.recompute()

    def recompute(self) -> None:
        """Take a private copy of the network (here, on the UI thread) and walk it on the worker."""
        if self._future is not None and not self._future.done():
            self._settle.start(SETTLE_MS)  # one is on its way: try again once it has arrived
            return
        self._stale = False
        try:
            model, what = self.network.frozen()
        except Exception as exc:  # noqa: BLE001 - no dataset, or a design that cannot be built
            self.walk = None
            self._show_nothing(f"No walkthrough: {exc}", error=True)
            return
        dataset, settings = self.state.dataset, self.state.settings
        start = self._start % len(dataset.x_train)
        size = min(settings.batch_size, backprop.MAX_BATCH, len(dataset.x_train))
        self._about = f"{size} training digits from number {start + 1} on, through {what}"  # kept: the state may change meanwhile
        self._future = self._pool.submit(backprop.walkthrough, model, dataset, settings, None, start)
        self._poll_timer.start()

    def _poll(self) -> None:
        future = self._future
        if future is None or not future.done():
            return
        self._poll_timer.stop()
        self._future = None
        try:
            walk = future.result()
        except Exception as exc:  # noqa: BLE001 - shown, never raised into Qt
            self.walk = None
            self._show_nothing(f"The walkthrough failed: {type(exc).__name__}: {exc}", error=True)
            return
        same_network = self.walk is not None and [s.title for s in self.walk.steps] == [s.title for s in walk.steps] \
            and [s.shape for s in self.walk.steps] == [s.shape for s in walk.steps]
        self.walk = walk
        show_error_style(self.about_label, False)
        self.about_label.setText(f"{self._about}: loss {walk.loss:.4f}.")
        self.show_step(self.step if same_network else 0)

    # -- drawing ----------------------------------------------------------------------------------
    def show_step(self, k: int) -> None:
        if self.walk is None:
            return
        steps = self.walk.steps
        self.step = k = max(0, min(k, len(steps) - 1))
        s = steps[k]
        self.position_label.setText(f"Step {k + 1} of {len(steps)} · {PHASES.get(s.phase, s.phase)}")
        self.title_label.setText(s.title)
        self.formula_label.setText(s.formula)
        self.explanation_label.setText(s.explanation)
        self.previous_button.setEnabled(k > 0)
        self.next_button.setEnabled(k < len(steps) - 1)
        if s.image is None:
            self.image_item.clear()
            self.plot.setVisible(False)
            self.filler.setVisible(True)
            self.scale_label.setText("")
            return
        self.filler.setVisible(False)
        self.plot.setVisible(True)
        image = np.asarray(s.image, dtype=np.float32)
        extent, beyond = colour_extent(image)
        self.image_item.setImage(np.nan_to_num(image, nan=0.0), levels=(-extent, extent))
        rows, columns = image.shape
        self.plot.setXRange(0, columns, padding=0.02)
        self.plot.setYRange(0, rows, padding=0.02)
        shown = f"{s.image_caption}. " if s.image_caption else ""
        clipped = f" ({beyond:.1%} of the values lie beyond and are drawn at the ends)" if beyond else ""
        self.scale_label.setText(f"{shown}Blue is negative, white 0, red positive: the ends are ∓{extent:.3g}{clipped}.")

    def _show_nothing(self, text: str, error: bool = False) -> None:
        self.about_label.setText(text)
        show_error_style(self.about_label, error)
        for label in (self.title_label, self.formula_label, self.explanation_label, self.scale_label,
                      self.position_label):
            label.setText("")
        self.previous_button.setEnabled(False)
        self.next_button.setEnabled(False)
        self.image_item.clear()

    def _restyle(self) -> None:
        palette = self.palette()
        self.plot.setBackground(palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setPen(pg.mkPen(text))
            self.plot.getAxis(name).setTextPen(pg.mkPen(text))
        refresh_error_styles(self)

    def shutdown(self) -> None:
        self._poll_timer.stop()
        self._settle.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)

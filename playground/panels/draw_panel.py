"""Draw panel: draw a digit, see it the way the network sees it, and watch the prediction.

This is the end of chapter 2 turned around: instead of ``predict(model, test_images[1:10, ])``
on digits from the test set, the learner writes their own digit. The drawing goes through
``playground.core.drawing.to_mnist`` (MNIST's own crop / scale-to-20-px / centre-of-mass recipe), is
flattened to 784 values in [0, 1] exactly like ``x_test``, and one ``model.predict`` gives the
ten softmax probabilities. Predicting one image is one small forward pass, fast for the
chapter's network, so it runs on the UI thread, throttled by a short timer so a fast stroke
does not predict on every mouse move. *Why this digit?* (a backward pass, ~40 ms for a convnet)
and the nearest training digits are computed off the UI thread by the Why panel.

The model comes from ``state.model``: a weight snapshot, never the network being trained.
The status line says exactly what is missing: a design that can be built ("No network yet"),
training ("Not trained yet"), or usable weights (a network whose loss became NaN has diverged:
its guesses mean nothing, so no digit and no "100% sure" is shown for it).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFont, QImage, QKeySequence, QPainter, QPalette, QShortcut
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from playground.core import why
from playground.core.drawing import to_mnist
from playground.core.specs import label_name, names_are_digits
from playground.core.training_data import shaped_for
from playground.panels.handwriting_panel import AddToMyDigits
from playground.panels.why_panel import NeighbourSearch, WhyPanel
from playground.training.state import AppState
from playground.widgets import NumberSpinBox
from playground.widgets.draw_canvas import DEFAULT_STROKE_WIDTH, DrawCanvas
from playground.widgets.probability_chart import ProbabilityChart
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style

PREDICT_DELAY_MS = 30  # wait this long after the last bit of ink before predicting

NO_MODEL = "No network yet: {reason}. Fix it, train the network, then draw here to test it."
NOT_TRAINED = "Not trained yet: press Train in the Training panel, then draw here to test the network."
UNTRAINED = "Untrained network: train it first, its guesses are random."
NAN_OUTPUT = ("This network's output is NaN: its weights are unusable (training diverged). Press Reset "
              "weights in the Training panel and train again.")
TRAINED = "The network's guess; the bars below are its softmax output, one per digit."
EMPTY = "Draw a digit on the black square, as large as you like."


class NetworkInputView(QWidget):
    """The 28x28 input as the network receives it, scaled up with crisp (unsmoothed) pixels."""

    def __init__(self, parent: QWidget | None = None, scale: int = 4):
        super().__init__(parent)
        self.setObjectName("networkInputView")
        self.setFixedSize(28 * scale + 2, 28 * scale + 2)
        self.setToolTip(
            "The 28x28 input after MNIST's recipe: cropped to the ink, scaled so the larger side "
            "is 20 px, centred by centre of mass. These 784 grey levels are all the network sees."
        )
        self._image = QImage(28, 28, QImage.Format_Grayscale8)
        self._image.fill(0)

    def set_array(self, pixels: np.ndarray) -> None:
        """pixels: (28, 28) float in [0, 1]."""
        data = np.ascontiguousarray(np.clip(pixels, 0, 1) * 255 + 0.5, dtype=np.uint8)
        h, w = data.shape
        self._image = QImage(data.data, w, h, w, QImage.Format_Grayscale8).copy()
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.SmoothPixmapTransform, False)
        painter.setPen(self.palette().color(QPalette.Mid))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.drawImage(self.rect().adjusted(1, 1, -1, -1), self._image)
        painter.end()


class DrawPanel(QWidget):
    """Canvas + network input + prediction; follows ``state.model_changed``."""

    def __init__(self, state: AppState, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("drawPanel")
        self.state = state
        self._prediction: int | None = None
        self._input = np.zeros((28, 28), dtype=np.float32)

        self.canvas = DrawCanvas(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREDICT_DELAY_MS)
        self._timer.timeout.connect(self.update_prediction)
        self._timer.timeout.connect(self._announce_drawing)  # the Inside panel follows the new drawing

        self.why = WhyPanel(self)
        self.neighbour_search = NeighbourSearch(self)
        self._build_ui()
        self.canvas.changed.connect(self._timer.start)
        self.why.class_changed.connect(self.update_prediction)
        self.why.neighbour_activated.connect(lambda index: self.state.request_digit("train", index))
        self.neighbour_search.ready.connect(self._show_neighbours)
        state.dataset_changed.connect(self._show_class_names)  # before the prediction that uses them
        self._show_class_names()
        state.model_changed.connect(self.neighbour_search.forget)  # new weights: search again (before predicting)
        state.model_changed.connect(self.update_prediction)
        state.dataset_changed.connect(self.update_prediction)
        state.network_changed.connect(self.update_prediction)  # "No network yet" or "Not trained yet"
        state.settings_changed.connect(self.update_prediction)
        follow_theme(self, lambda: refresh_error_styles(self))
        self.update_prediction()

    def event(self, event) -> bool:
        """Ctrl+Z here undoes a stroke, even when the window has an Undo of its own (Edit > Undo):
        claiming the key first keeps the two from cancelling out as an ambiguous shortcut. A text
        field inside (the pen width) still claims it for its own text before the panel does."""
        if event.type() == QEvent.Type.ShortcutOverride and event.matches(QKeySequence.Undo):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if event.matches(QKeySequence.Undo):
            self.canvas.undo()
            event.accept()
            return
        super().keyPressEvent(event)

    # ----- layout -----------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.width_spin = NumberSpinBox(self, whole=True)
        self.width_spin.setObjectName("strokeWidthSpin")
        self.width_spin.setRange(6, 40)
        self.width_spin.setSuffix(" px")
        self.width_spin.setValue(int(DEFAULT_STROKE_WIDTH))
        self.width_spin.setToolTip("Pen width in canvas pixels (10 canvas pixels = 1 MNIST pixel)")
        self.width_spin.validValueChanged.connect(self.canvas.set_stroke_width)  # out of range: marked, not used
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setObjectName("undoButton")
        self.undo_button.setToolTip("Remove the last stroke (Ctrl+Z)")
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setObjectName("clearButton")
        self.clear_button.setToolTip("Wipe the canvas (Delete)")
        self.clear_button.clicked.connect(self.canvas.clear)
        for keys, slot in ((QKeySequence.Undo, self.canvas.undo), (QKeySequence.Delete, self.canvas.clear)):
            shortcut = QShortcut(keys, self, slot)
            shortcut.setWhatsThis("Undo the last stroke (Draw)" if slot == self.canvas.undo else "Clear the canvas (Draw)")
            shortcut.setContext(Qt.WidgetWithChildrenShortcut)

        tools = QHBoxLayout()
        tools.addWidget(QLabel("Pen", self))
        tools.addWidget(self.width_spin)
        tools.addStretch(1)
        tools.addWidget(self.undo_button)
        tools.addWidget(self.clear_button)
        left = QVBoxLayout()
        left.setSpacing(4)
        left.addWidget(self.canvas, 0, Qt.AlignHCenter)
        left.addLayout(tools)
        self.add_to_my_digits = AddToMyDigits(self.state, self)  # the drawing joins the learner's test set
        self.add_to_my_digits.button.pressed.connect(self.update_prediction)  # the very last ink too
        self.add_to_my_digits.added.connect(self.canvas.clear)  # ready for the next digit
        left.addWidget(self.add_to_my_digits)
        left.addStretch(1)

        self.input_view = NetworkInputView(self)
        self.prediction_label = QLabel("–", self)
        self.prediction_label.setObjectName("predictionLabel")
        big = QFont(self.prediction_label.font())
        big.setPointSizeF(big.pointSizeF() * 4.5)
        big.setBold(True)
        self.prediction_label.setFont(big)
        self.prediction_label.setAlignment(Qt.AlignCenter)
        self.prediction_label.setMinimumWidth(90)
        self.confidence_label = QLabel("", self)
        self.confidence_label.setObjectName("confidenceLabel")
        self.confidence_label.setAlignment(Qt.AlignCenter)

        seen = QGridLayout()
        seen.setHorizontalSpacing(16)
        seen.addWidget(self._caption("As the network sees it (28x28)"), 0, 0)
        seen.addWidget(self._caption("Prediction"), 0, 1, Qt.AlignHCenter)
        seen.addWidget(self.input_view, 1, 0, Qt.AlignLeft | Qt.AlignTop)
        guess = QVBoxLayout()
        guess.addWidget(self.prediction_label)
        guess.addWidget(self.confidence_label)
        guess.addStretch(1)
        seen.addLayout(guess, 1, 1)
        seen.setColumnStretch(1, 1)

        self.status_label = QLabel("", self)
        self.status_label.setObjectName("drawStatusLabel")
        self.status_label.setWordWrap(True)
        self.chart = ProbabilityChart(self)

        right = QVBoxLayout()
        right.addLayout(seen)
        right.addWidget(self.status_label)
        right.addWidget(self.chart, 1)

        top = QHBoxLayout()
        top.setSpacing(16)
        top.addLayout(left)
        top.addLayout(right, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.addLayout(top)
        outer.addWidget(self.why)

    def _show_class_names(self) -> None:
        """Label the bars and the guess with the dataset's class names; a name gets a smaller font than a digit."""
        names = self.state.class_names
        self.chart.set_class_names(names)
        self.why.set_class_names(names)
        self.canvas.hint = "draw a digit here" if names_are_digits(names) else "draw here"
        self.canvas.update()
        digits = names_are_digits(names)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * (4.5 if digits else 1.8))
        font.setBold(True)
        self.prediction_label.setFont(font)
        self.prediction_label.setWordWrap(not digits)

    def _caption(self, text: str) -> QLabel:
        label = QLabel(text, self)
        font = QFont(label.font())
        font.setBold(True)
        label.setFont(font)
        return label

    # ----- behaviour --------------------------------------------------------------------
    def network_input(self) -> np.ndarray:
        """The last 28x28 float32 image given to the network (a copy)."""
        return self._input.copy()

    def _announce_drawing(self) -> None:
        if not self.canvas.is_empty():
            self.state.set_current_digit(self._input, "your drawing")

    def prediction(self) -> int | None:
        """The predicted digit, or None (no drawing, no model, or an untrained model)."""
        return self._prediction

    def update_prediction(self) -> None:
        """Prepare the drawing as MNIST, predict with ``state.model`` and refresh the views."""
        self._timer.stop()
        self._input = to_mnist(self.canvas.image_array())
        self.input_view.set_array(self._input)
        model, trained, problem = self.state.model, self.state.trained, self.state.model_problem
        self._prediction = None
        probabilities = None
        self.why.set_warnings(why.style_warnings(self.canvas.image_array()))
        self._explain(None)
        if model is None:
            self._show(None, None, self._no_model_status(), error=False)
            return
        if problem:  # a diverged network: no guess, whatever its outputs are
            self._show(None, None, problem, error=True)
            return
        if self.canvas.is_empty():
            status = EMPTY if trained else UNTRAINED
        else:
            try:
                # a batch of one: (1, 784) as the book feeds it, or (1, 28, 28) for a Flatten first layer
                batch = shaped_for(model, self._input.reshape(1, -1))
                probabilities = np.asarray(model.predict(batch, verbose=0))[0]
            except Exception as exc:  # a model that does not fit 784 inputs, NaN weights, ...
                self._show(None, None, f"Cannot predict with this model: {exc}", error=True)
                return
            if not np.isfinite(probabilities).all():
                self._show(None, None, NAN_OUTPUT, error=True)
                return
            status = TRAINED if trained else UNTRAINED
            if trained and not names_are_digits(self.state.class_names):
                status = status.replace("one per digit", "one per class")
            if trained:
                self._prediction = int(np.argmax(probabilities))
                self._explain(model)
        self._show(self._prediction, probabilities, status, error=False, muted=not trained)

    def _explain(self, model) -> None:
        """Fill the Why panel for the current drawing (``model`` None: empty it)."""
        if model is None:
            self.why.clear_explanation()
            return
        chosen = self.why.chosen_class()  # computed off the UI thread, shown when it arrives
        self.why.explain(model, self._input, self._prediction if chosen is None else chosen)
        self.neighbour_search.want(model, self.state.dataset)
        self._show_neighbours()

    def _show_neighbours(self) -> None:
        search, dataset = self.neighbour_search, self.state.dataset
        if self._prediction is None or dataset is None:
            return
        if search.neighbours is not None:  # this network's (while it searches again: from its earlier weights)
            self.why.set_neighbours(dataset.x_train, search.neighbours.nearest(self._input))
        else:
            self.why.set_neighbours(dataset.x_train, [], waiting=search.busy())

    def _no_model_status(self) -> str:
        errors = self.state.training_errors()
        return NO_MODEL.format(reason=errors[0][:1].lower() + errors[0][1:]) if errors else NOT_TRAINED

    def _show(self, digit, probabilities, status: str, error: bool, muted: bool = False) -> None:
        self.chart.set_probabilities(probabilities, muted=muted)
        if digit is not None:
            self.prediction_label.setText(label_name(self.state.class_names, digit))
            self.confidence_label.setText(f"{probabilities[digit]:.0%} sure")
        else:
            self.prediction_label.setText("?" if probabilities is not None else "–")
            self.confidence_label.setText("random guess" if probabilities is not None else "")
        self.status_label.setText(status)
        show_error_style(self.status_label, error)
        self.add_to_my_digits.set_drawing(None if self.canvas.is_empty() else self._input, digit)

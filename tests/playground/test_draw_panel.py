"""Draw panel: mouse strokes on the canvas -> MNIST-like 28x28 -> the network's guess."""
import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QPalette, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

import engine
from engine.layers import Dense, Flatten
from playground.core.drawing import centre_of_mass
from playground.panels.draw_panel import DrawPanel
from playground.training.state import AppState, LayerSpec
from playground.widgets.probability_chart import SLOT_SHARE, ProbabilityChart

VERTICAL = [QPoint(150, y) for y in range(40, 250, 10)]
LOOP = [QPoint(140 + round(80 * math.sin(t)), 140 - round(95 * math.cos(t))) for t in np.linspace(0, 2 * math.pi, 48)]


def drag(widget, points, button=Qt.LeftButton):
    """Press, move through the points, release: always released, even if a move fails."""
    QTest.mousePress(widget, button, Qt.NoModifier, points[0])
    try:
        for point in points[1:]:
            QTest.mouseMove(widget, point)
    finally:
        QTest.mouseRelease(widget, button, Qt.NoModifier, points[-1])


class FakeModel:
    """Counts predictions and returns fixed probabilities (or fails, to test the message)."""

    input_shape = (784,)

    def __init__(self, probabilities=None, error=None):
        self.calls = 0
        self.probabilities = np.asarray(probabilities if probabilities is not None else np.full(10, 0.1))
        self.error = error

    def predict(self, x, batch_size=32, verbose=0):
        self.calls += 1
        if self.error:
            raise self.error
        assert x.shape == (1, 784) and x.dtype == np.float32
        return self.probabilities[None, :].astype(np.float32)


@pytest.fixture
def panel(qtbot):
    widget = DrawPanel(AppState())
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture(scope="module")
def trained_model():
    """The chapter's network, trained for 3 epochs on the bundled 6,000-digit sample."""
    engine.utils.set_random_seed(0)
    (x_train, y_train), _ = engine.datasets.mnist.load_sample()
    model = engine.Sequential([Flatten(input_shape=(28, 28)), Dense(512, activation="relu"),
                               Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    x = x_train.astype(np.float32) / 255
    model.fit(x, engine.utils.to_categorical(y_train, 10), batch_size=128, epochs=3, verbose=0)
    return model


def settled_input(panel, qtbot):
    """The 28x28 input once the throttling timer has fired."""
    qtbot.waitUntil(lambda: not panel._timer.isActive(), timeout=10_000)
    return panel.network_input()


def test_canvas_contract(panel):
    canvas = panel.canvas
    assert canvas.objectName() == "drawCanvas" and (canvas.width(), canvas.height()) == (280, 280)
    assert panel.objectName() == "drawPanel"
    assert panel.findChild(type(panel.chart), "probabilityChart") is panel.chart
    image = canvas.image_array()
    assert image.shape == (280, 280) and image.dtype == np.float32 and image.max() == 0


def test_vertical_stroke_becomes_a_centred_vertical_bar(panel, qtbot):
    with qtbot.waitSignal(panel.canvas.changed):
        drag(panel.canvas, VERTICAL)
    assert len(panel.canvas.strokes) == 1 and len(panel.canvas.strokes[0].points) == len(VERTICAL)
    ink = panel.canvas.image_array()
    assert ink[140, 150] == pytest.approx(1.0) and ink[140, 100] == 0  # white ink on black
    x = settled_input(panel, qtbot)
    assert x.shape == (28, 28) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    rows = np.flatnonzero(x.max(axis=1) > 0.1)
    cols = np.flatnonzero(x.max(axis=0) > 0.1)
    assert rows[-1] - rows[0] + 1 == 20 and cols[-1] - cols[0] + 1 <= 4  # tall and thin
    cy, cx = centre_of_mass(x)
    assert abs(cx - 14) <= 0.5 and abs(cy - 14) <= 0.5


def test_loop_becomes_a_ring(panel, qtbot):
    drag(panel.canvas, LOOP)
    x = settled_input(panel, qtbot)
    assert x[12:16, 12:16].max() < 0.1  # dark centre
    assert min(x[14, :9].max(), x[14, 19:].max(), x[:9, 14].max(), x[19:, 14].max()) > 0.5  # bright ring


def test_clear_and_undo(panel, qtbot):
    drag(panel.canvas, VERTICAL)
    after_first = panel.canvas.image_array()
    drag(panel.canvas, LOOP)
    assert len(panel.canvas.strokes) == 2
    with qtbot.waitSignal(panel.canvas.changed):
        panel.undo_button.click()
    assert len(panel.canvas.strokes) == 1
    np.testing.assert_array_equal(panel.canvas.image_array(), after_first)
    panel.clear_button.click()
    assert panel.canvas.strokes == [] and panel.canvas.image_array().max() == 0
    assert settled_input(panel, qtbot).max() == 0
    panel.canvas.undo()  # undo on an empty canvas is harmless
    assert panel.canvas.strokes == []


def test_click_makes_a_dot_and_right_button_draws_nothing(panel):
    QTest.mouseClick(panel.canvas, Qt.LeftButton, Qt.NoModifier, QPoint(100, 100))
    assert len(panel.canvas.strokes) == 1 and panel.canvas.image_array()[100, 100] > 0.9
    drag(panel.canvas, [QPoint(20, 20), QPoint(200, 200)], button=Qt.RightButton)
    assert len(panel.canvas.strokes) == 1


def test_stroke_width_control(panel):
    panel.width_spin.setValue(8)
    drag(panel.canvas, VERTICAL)
    thin = panel.canvas.image_array().sum()
    panel.canvas.clear()
    panel.width_spin.setValue(36)
    assert panel.canvas.stroke_width == 36
    drag(panel.canvas, VERTICAL)
    assert panel.canvas.image_array().sum() > 3 * thin


def test_tablet_pen_draws_like_the_mouse(panel):
    device = QPointingDevice.primaryPointingDevice()
    for kind, y in ((QEvent.TabletPress, 50), (QEvent.TabletMove, 150), (QEvent.TabletRelease, 230)):
        event = QTabletEvent(kind, device, QPointF(60, y), QPointF(panel.canvas.mapToGlobal(QPoint(60, y))),
                             0.8, 0, 0, 0, 0, 0, Qt.NoModifier, Qt.LeftButton, Qt.LeftButton)
        QApplication.sendEvent(panel.canvas, event)
        assert event.isAccepted()
    assert len(panel.canvas.strokes) == 1 and panel.canvas.image_array()[140, 60] > 0.9


def test_without_a_model_it_says_so(panel, qtbot):
    assert "No network yet" in panel.status_label.text()
    drag(panel.canvas, VERTICAL)
    settled_input(panel, qtbot)
    assert panel.prediction() is None and panel.chart.probabilities() is None
    assert "No network yet" in panel.status_label.text()
    assert panel.input_view.isVisible()  # the 28x28 view still shows the prepared digit


def test_untrained_model_shows_random_guesses(panel, qtbot):
    p = np.array([0.05, 0.05, 0.05, 0.3, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1])
    panel.state.set_model(FakeModel(p), trained=False)
    drag(panel.canvas, VERTICAL)
    settled_input(panel, qtbot)
    assert "Untrained network: train it first, its guesses are random" in panel.status_label.text()
    np.testing.assert_allclose(panel.chart.probabilities(), p, rtol=1e-6)
    assert panel.prediction() is None and panel.prediction_label.text() == "?"


def test_prediction_is_throttled_and_follows_model_changes(panel, qtbot):
    p = np.eye(10)[7] * 0.9 + 0.01
    model = FakeModel(p)
    panel.state.set_model(model, trained=True)
    assert model.calls == 0  # nothing drawn yet: nothing to predict
    drag(panel.canvas, VERTICAL)  # 21 moves in a burst ...
    qtbot.waitUntil(lambda: model.calls == 1, timeout=10_000)  # ... one prediction after the pause
    assert panel.prediction() == 7 and panel.prediction_label.text() == "7"
    assert panel.confidence_label.text() == "91% sure"
    assert panel.chart.top_class() == 7
    other = FakeModel(np.eye(10)[4] * 0.9 + 0.01)
    panel.state.set_model(other, trained=True)  # a new snapshot after an epoch
    assert other.calls == 1 and panel.prediction_label.text() == "4"
    panel.state.set_model(None)
    assert panel.prediction_label.text() == "–" and panel.chart.probabilities() is None


def test_a_failing_model_gives_a_message_not_a_crash(panel, qtbot):
    panel.state.set_model(FakeModel(error=ValueError("shapes (1,784) and (100,10) not aligned")))
    drag(panel.canvas, VERTICAL)
    settled_input(panel, qtbot)
    assert "Cannot predict with this model" in panel.status_label.text()
    assert "not aligned" in panel.status_label.text()
    assert panel.prediction() is None


def test_trained_network_reads_a_vertical_stroke_as_one(panel, qtbot, trained_model):
    panel.state.set_model(trained_model, trained=True)
    assert "Draw a digit" in panel.status_label.text()
    drag(panel.canvas, VERTICAL)
    qtbot.waitUntil(lambda: panel.prediction() is not None, timeout=10_000)
    assert panel.prediction() == 1
    assert "1" in panel.prediction_label.text()
    probabilities = panel.chart.probabilities()
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-4) and probabilities.argmax() == 1


def test_chart_highlights_the_top_bar(qtbot):
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    chart.resize(300, 170)
    chart.set_probabilities([0.02, 0.02, 0.02, 0.8, 0.02, 0.02, 0.02, 0.04, 0.02, 0.02])
    image = chart.grab().toImage()
    highlight = chart.palette().color(QPalette.Highlight)
    slot = (300 - 12) / 10
    top_bar = image.pixelColor(round(6 + 3.5 * slot), 120)
    other_bar = image.pixelColor(round(6 + 7.5 * slot), 140)
    assert top_bar == highlight and other_bar != highlight
    chart.set_probabilities(chart.probabilities(), muted=True)  # untrained: no highlight
    assert chart.grab().toImage().pixelColor(round(6 + 3.5 * slot), 120) != highlight


def test_an_empty_slot_is_the_text_colour_faintly_over_the_background(qtbot):
    """The slots are painted opaque, mixed beforehand: they look as the text colour at 11 % over
    the window would, in either theme, without the painter blending each pixel."""
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    chart.resize(300, 170)
    palette = chart.palette()
    text, window = palette.color(QPalette.WindowText), palette.color(QPalette.Window)
    slot = chart.grab().toImage().pixelColor(round(6 + 0.5 * (300 - 12) / 10), 80)
    for channel in ("red", "green", "blue"):
        expected = SLOT_SHARE * getattr(text, channel)() + (1 - SLOT_SHARE) * getattr(window, channel)()
        assert abs(getattr(slot, channel)() - expected) <= 1
    assert slot.alpha() == 255 and slot != window


# -- what the status line says: accurately, in each case ------------------------------------------
@pytest.fixture
def panel_with_data(qtbot):
    from playground.core.data_loading import load_sample_dataset

    widget = DrawPanel(AppState(load_sample_dataset()))
    qtbot.addWidget(widget)
    return widget


def test_a_valid_design_that_was_not_trained_is_not_called_no_network(panel_with_data):
    state = panel_with_data.state
    assert state.network_errors() == [] and state.model is None
    assert panel_with_data.status_label.text().startswith("Not trained yet: press Train")
    state.set_layers([LayerSpec(0, "relu", 0.0)])  # now there really is no network to build
    assert panel_with_data.status_label.text().startswith("No network yet: layer 1: units must be")
    state.set_layers([LayerSpec(64, "relu", 0.0)])
    assert panel_with_data.status_label.text().startswith("Not trained yet")


def test_a_diverged_network_gets_no_guess_and_no_confidence(panel, qtbot):
    model = FakeModel(np.eye(10)[3])  # saturated weights: "100% sure" of a 3
    panel.state.set_model(model, trained=True, problem="This network diverged: its loss became NaN.")
    drag(panel.canvas, VERTICAL)
    settled_input(panel, qtbot)
    assert panel.prediction() is None and panel.prediction_label.text() == "–"
    assert "sure" not in panel.confidence_label.text()
    assert "diverged" in panel.status_label.text()


def test_nan_outputs_are_never_read_as_a_digit(panel, qtbot):
    panel.state.set_model(FakeModel(np.full(10, np.nan)), trained=True)  # whatever the engine reported
    drag(panel.canvas, VERTICAL)
    settled_input(panel, qtbot)
    assert panel.prediction() is None and "sure" not in panel.confidence_label.text()
    assert "output is NaN" in panel.status_label.text()

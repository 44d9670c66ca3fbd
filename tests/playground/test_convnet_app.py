"""Chapter 5's small convnet through the real window: design it, train it, draw, evaluate, save, open.

The learner picks the preset (the book's section 5.1: three Conv2D, two MaxPooling2D, Flatten,
Dense 64, Dense 10 softmax = 93,322 parameters), trains two epochs on 600 sample digits,
draws a digit, reads the test accuracy, saves the model and opens it again. Waits are generous
(a loaded 2-core machine); nothing is timed.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from playground.core import design
from playground.core.specs import prepare_images
from playground.core.training_data import shaped_for
from playground.main_window import MainWindow
from playground.training.state import PRESETS

LONG = 240_000  # ms: a convnet epoch on a busy machine; typically a few seconds
CONVNET = "Chapter 5: small convnet"


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)  # closed at teardown: closeEvent stops any training thread
    w.show()
    qtbot.waitExposed(w)
    return w


def choose_preset(window, name: str) -> None:
    combo = window.panels["Network"].preset_combo
    combo.setCurrentText(name)
    combo.activated.emit(combo.currentIndex())  # what choosing it with the mouse does


def draw_a_one(canvas) -> None:
    """A vertical stroke down the middle of the canvas, as a learner draws a 1."""
    centre = canvas.width() // 2
    points = [QPoint(centre, y) for y in range(canvas.height() // 5, canvas.height() * 4 // 5, 6)]
    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, points[0])
    for point in points[1:]:
        QTest.mouseMove(canvas, point)
    QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, points[-1])


def test_the_small_convnet_trains_draws_evaluates_and_survives_save_and_open(qtbot, window, tmp_path):
    choose_preset(window, CONVNET)
    state = window.state
    assert state.layers == PRESETS[CONVNET] and state.network_errors() == []
    assert "Total params: 93,322" in window.panels["Network"].total_label.text()
    state.set_settings(epochs=2, batch_size=64, train_size=600)

    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        window.training_panel.findChild(QPushButton, "trainButton").click()
    assert finished.args == ["completed"]
    model = state.model
    assert model.input_shape == (28, 28, 1) and model.count_params() == 93_322
    assert window.controller.run.label.startswith("conv 32, maxpool, conv 64, maxpool, conv 64, flatten, dense 64")

    # Evaluate: the test set's numbers, from the trained convnet
    qtbot.waitUntil(lambda: state.evaluation is not None, timeout=LONG)
    evaluate = window.findChild(QWidget, "evaluatePanel")
    assert "%" in evaluate.findChild(QLabel, "testAccuracy").text()
    assert evaluate.findChild(QLabel, "testLoss").text()
    assert state.evaluation.confusion.sum() == len(state.dataset.x_test)
    assert state.evaluation.accuracy > 0.2  # two epochs on 600 digits: far better than chance (0.1)

    # Draw: the canvas's 784 pixels reach the convnet as one 28 x 28 x 1 image
    window.docks["Draw"].raise_()
    draw = window.findChild(QWidget, "drawPanel")
    draw_a_one(draw.canvas)
    draw.update_prediction()
    assert draw.prediction() in range(10)
    assert draw.prediction_label.text() == str(draw.prediction())

    # Save and open: the same layers in the Network panel, the same predictions
    digits = shaped_for(model, prepare_images(state.dataset.x_test[:50]))
    before = model.predict(digits, verbose=0)
    path = tmp_path / "convnet.npz"
    assert window.save_model(path) is True
    choose_preset(window, "Chapter 2: dense 512")  # something else is designed meanwhile
    with qtbot.waitSignal(window.file_loader.finished, timeout=LONG) as loaded:
        assert window.load_model(path) is True
    assert loaded.args == ["model", True]
    assert state.layers == PRESETS[CONVNET]  # the Network panel shows the opened convnet
    assert window.panels["Network"].preset_combo.currentText() == CONVNET
    np.testing.assert_array_equal(state.model.predict(digits, verbose=0), before)


def test_a_convnet_design_is_there_at_the_next_launch(qtbot, tmp_path):
    ini = str(tmp_path / "launches.ini")
    first = MainWindow(settings=QSettings(ini, QSettings.IniFormat))
    qtbot.addWidget(first)
    rows = list(PRESETS[CONVNET])
    rows[0] = design.layer_row("Conv2D", filters=16, kernel_size=(5, 5), padding="same")
    rows.insert(1, design.layer_row("BatchNormalization"))
    first.state.set_layers(rows)
    first.close()
    second = MainWindow(settings=QSettings(ini, QSettings.IniFormat))
    qtbot.addWidget(second)
    assert second.state.layers == tuple(rows)
    assert second.panels["Network"].table.item(1, 0).text() == "Conv2D 1"

"""File > Export > Keras and File > Import > Keras weights through the real window (issue 11,
section 2): a network trained here goes out as the book's R script, a Keras 3 script and its
weights, and the weights come back into the Network panel's network, or are refused in words."""
from __future__ import annotations

import ast

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QPushButton

from engine import keras_export
from playground.main_window import MainWindow
from playground.text.keras_code import r_code
from playground.text.optimizer_text import keras_calls
from playground.training.state import LayerSpec, prepare_images

LONG = 120_000  # ms: generous bounds for a loaded 2-core machine


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)  # closed at teardown: closeEvent stops any training thread
    return w


def train(qtbot, window):
    """One epoch of a small network on 1,000 sample digits, with Adam (not the chapter's rmsprop)."""
    assert window.state.dataset is not None
    window.state.set_layers((LayerSpec(32, "relu"),))
    window.state.set_settings(optimizer="adam", learning_rate=0.002, epochs=1, batch_size=64, train_size=1000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        window.training_panel.findChild(QPushButton, "trainButton").click()
    qtbot.waitUntil(lambda: window.state.evaluation is not None, timeout=LONG)
    assert window.state.trained
    return window.state.model


def import_weights(qtbot, window, path) -> bool:
    """Run File > Import > Keras weights (read on a worker thread); True if the weights were taken."""
    with qtbot.waitSignal(window.file_loader.finished, timeout=LONG,
                          check_params_cb=lambda kind, ok: kind == "keras weights") as blocker:
        assert window.import_keras_weights(path) is True  # the read started
    return blocker.args[1]


def test_a_trained_network_goes_out_to_keras_and_its_weights_come_back(qtbot, window, tmp_path):
    model = train(qtbot, window)
    digits = prepare_images(window.state.dataset.x_test[:100]).reshape(100, 28, 28)
    expected, accuracy = model.predict(digits), window.state.evaluation.accuracy

    paths = window.export_keras(tmp_path / "to keras")
    assert [p.name for p in paths] == [keras_export.R_SCRIPT, keras_export.PYTHON_SCRIPT, keras_export.WEIGHTS]
    r_script = paths[0].read_text()
    assert 'layer_dense(units = 32, activation = "relu", input_shape = c(28 * 28)) %>%' in r_script
    assert "optimizer = optimizer_adam(learning_rate = 0.002)," in r_script  # the Optimizer panel's recipe
    assert "model %>% fit(train_images, train_labels, epochs = 1, batch_size = 64)" in r_script
    assert "mnist <- dataset_mnist()" in r_script  # the bundled sample is MNIST's
    ast.parse(paths[1].read_text())
    # one source: the Network panel's code and the Optimizer panel's call are the script's own lines
    assert r_code(window.state.layers) in r_script
    assert f"optimizer={keras_calls(window.state.settings)[1]}," in paths[1].read_text()
    assert "Exported the network to Keras" in window.statusBar().currentMessage()

    window.state.set_model(None)  # forget the trained network: the weights must come from the file
    assert import_weights(qtbot, window, paths[2]) is True
    imported = window.state.model
    assert imported is not model and window.state.trained
    assert np.array_equal(imported.predict(digits), expected)
    qtbot.waitUntil(lambda: window.state.evaluation is not None, timeout=LONG)  # evaluated on the test set
    assert window.state.evaluation.accuracy == accuracy
    assert window.controller.run is not None and window.controller.run.pretrained  # Train goes on from them


def test_weights_for_another_network_are_refused_in_the_apps_words(qtbot, window, tmp_path):
    model = train(qtbot, window)
    (weights,) = [p for p in window.export_keras(tmp_path) if p.name == keras_export.WEIGHTS]
    window.state.set_layers((LayerSpec(64, "relu"),))
    window.state.set_model(model)
    assert import_weights(qtbot, window, weights) is False
    message = window.last_message
    assert message.startswith(f"“{keras_export.WEIGHTS}” does not hold weights for the network in the Network panel: "
                               "arr_0 has shape (784, 32), but the model needs (784, 64)"), message
    assert "File > Import > Keras weights…" in message and "Traceback" not in message
    assert window.state.model is model  # the network keeps what it had

    assert import_weights(qtbot, window, tmp_path / "gone.npz") is False
    assert window.last_message.startswith("“gone.npz” does not exist")


def test_nothing_to_export_or_nowhere_to_write_it_says_so(qtbot, window, tmp_path):
    assert window.export_keras(tmp_path / "out") == []
    assert window.last_message.startswith("Train a network (or load a model) first")
    assert not (tmp_path / "out").exists()
    train(qtbot, window)
    (tmp_path / "a file").write_text("")
    assert window.export_keras(tmp_path / "a file") == []
    assert window.last_message == f"{tmp_path / 'a file'} is a file, not a folder.\n\nChoose another folder and export again."


def test_a_network_trained_on_other_images_exports_scripts_that_load_those(qtbot, window, tmp_path):
    from playground.core import data_loading
    from playground.core.specs import Dataset

    sample = window.state.dataset
    fashion = Dataset(data_loading.FASHION_MNIST_NAME, "", sample.x_train, sample.y_train, sample.x_test, sample.y_test)
    own = Dataset("animals.npz", "", sample.x_train, sample.y_train, sample.x_test, sample.y_test)
    assert [data_loading.keras_dataset(d) for d in (sample, fashion, own, None)] == ["mnist", "fashion_mnist", "", "mnist"]
    window.state.set_dataset(own)
    train(qtbot, window)
    r_script, python_script, _ = window.export_keras(tmp_path / "own")
    assert "# This network was trained on animals.npz: load those images here" in r_script.read_text()
    assert 'raise SystemExit("This network was trained on animals.npz: give its images with --data' in python_script.read_text()

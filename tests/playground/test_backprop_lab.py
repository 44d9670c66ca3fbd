"""The Backprop walkthrough (issue 9, section 7): one batch forward and backward through the
network, step by step, with the engine's own tensors; then driven as a person would."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import gradcheck
from engine.layers import (
    Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, GlobalAveragePooling2D,
    MaxPooling2D, Reshape,
)
from playground.core.labs import backprop, gradient
from playground.training.state import AppState, TrainSettings
from tests.playground.test_gradient_lab import chapter_network, small_dataset


def step_titled(walk, start: str):
    return next(s for s in walk.steps if s.formula.startswith(start))


def test_the_chapters_network_walks_through_the_books_tensors_in_order():
    model, data = chapter_network(units=512), small_dataset()
    walk = backprop.walkthrough(model, data, TrainSettings())
    formulas = [s.formula for s in walk.steps]
    expected = [
        "images   (128, 28, 28)",
        "x = array_reshape(images, c(128, 784))   (128, 784)",
        "z1 = x . W1 + b1   (128, 512)",
        "a1 = relu(z1)   (128, 512)",
        "z2 = a1 . W2 + b2   (128, 10)",
        "p = softmax(z2)   (128, 10)",
        f"L = mean(-sum(y * log(p))) = {walk.loss:.4f}",
        "dL/dz2 = (p - y) / n   (128, 10)",
        "dW2 = a1^T . dz2   (512, 10)",
        "db2 = colSums(dz2)   (10,)",
        "da1 = dz2 . W2^T   (128, 512)",
        "relu'(z1) = (z1 > 0)   (128, 512)",
        "dz1 = da1 * relu'(z1)   (128, 512)",
        "dW1 = x^T . dz1   (784, 512)",
        "db1 = colSums(dz1)   (512,)",
    ]
    assert formulas[:-1] == expected
    assert [s.phase for s in walk.steps][-1] == "update"
    for s in walk.steps[:-1]:  # every tensor's shape is the one its formula names
        assert s.formula.endswith(str(s.shape)) or s.phase == "loss", s.formula
        assert s.image is not None and s.image.ndim == 2


def test_the_walkthroughs_tensors_are_the_engines_training_step_without_the_update():
    model, data = chapter_network(), small_dataset()
    settings = TrainSettings()
    walk = backprop.walkthrough(model, data, settings)
    x, y = gradient.training_batch(data, np.arange(128), settings.loss)
    model.compile(optimizer="rmsprop", loss=settings.loss)
    kernel_1, bias_1, kernel_2, _ = gradcheck.model_gradients(model, x.reshape(-1, 28, 28), y)
    np.testing.assert_array_equal(step_titled(walk, "dW1 =").tensor, kernel_1)
    np.testing.assert_array_equal(step_titled(walk, "db1 =").tensor, bias_1)
    np.testing.assert_array_equal(step_titled(walk, "dW2 =").tensor, kernel_2)
    p = step_titled(walk, "p = softmax").tensor
    np.testing.assert_allclose(step_titled(walk, "dL/dz2").tensor, (p - y) / 128, rtol=1e-6, atol=1e-9)
    z1 = step_titled(walk, "z1 =").tensor
    np.testing.assert_array_equal(step_titled(walk, "relu'(z1)").tensor, z1 > 0)


def test_the_last_step_is_the_chosen_optimizers_update_in_real_numbers():
    model, data = chapter_network(), small_dataset()
    for name, check in (("rmsprop", "v = rho * v"), ("sgd", "w - lr * g"), ("adam", "alpha ="), ("adagrad", "acc = acc + g^2")):
        settings = TrainSettings(optimizer=name, learning_rate=0.01)
        walk = backprop.walkthrough(model, data, settings)
        last = walk.steps[-1]
        assert last.phase == "update" and check in last.formula, last.formula
        gradient_1 = step_titled(walk, "dW1 =").tensor
        index = np.unravel_index(np.argmax(np.abs(gradient_1)), gradient_1.shape)
        w = np.array([model.layers[1].kernel[index]], dtype=np.float32)
        optimizer = engine.optimizers.get(name, **settings.optimizer_kwargs())
        optimizer.apply([w], [np.array([gradient_1[index]], dtype=np.float32)])
        assert f"W1[{index[0]}, {index[1]}]" in last.formula
        assert last.formula.splitlines()[-2].endswith(f"= {float(w[0]):.6g}")  # the engine's new value


def test_the_update_is_the_engines_step_for_momentum_too():
    update = backprop.update_of(TrainSettings(optimizer="sgd", momentum=0.9, learning_rate=0.1), "W1", (0, 0), 0.5, 2.0)
    assert update.slots["momentum"] == pytest.approx(-0.2)
    assert update.new_value == pytest.approx(0.3)
    assert "m = momentum * m - lr * g = 0.9 * 0 - 0.1 * 2 = -0.2" in update.text


def convnet_with_every_layer():
    engine.utils.set_random_seed(8)
    return engine.Sequential([
        Conv2D(4, (3, 3), activation="relu", input_shape=(28, 28, 1)), BatchNormalization(), MaxPooling2D(),
        Dropout(0.25), Conv2D(3, (3, 3), padding="same"), Activation("tanh"), AveragePooling2D(),
        GlobalAveragePooling2D(), Reshape((3,)), Dense(8, activation="sigmoid"), Dense(10, activation="softmax"),
    ])


def test_every_layer_kind_gets_its_steps_forward_and_backward():
    model = convnet_with_every_layer()
    walk = backprop.walkthrough(model, small_dataset(), TrainSettings(loss="sparse_categorical_crossentropy", batch_size=16))
    titles = " | ".join(s.title for s in walk.steps)
    for layer in model.layers:
        assert layer.name in titles, layer.name
    formulas = [s.formula for s in walk.steps]
    assert "z1 = conv2d(x, K1) + b1   (16, 26, 26, 4)" in formulas
    assert any(f.startswith("dK1 = ") and f.endswith("(3, 3, 1, 4)") for f in formulas)
    assert any(f.startswith("dgamma1 = ") for f in formulas)
    assert any("routed to each window's maximum" in f for f in formulas)
    assert any(f.startswith("dL/dz") and "onehot(labels)" in f for f in formulas)
    kernel = next(s for s in walk.steps if s.formula.startswith("dK2 = "))
    assert kernel.image.shape == (4 * (3 + 1) - 1, 3 * (3 + 1) - 1)  # 3x3 tiles: 4 input channels down, 3 filters across
    assert walk.steps[-1].phase == "update" and "K1[" in walk.steps[-1].formula


def test_a_loss_without_the_fused_gradient_goes_through_softmax():
    model = chapter_network(units=8)
    walk = backprop.walkthrough(model, small_dataset(), TrainSettings(loss="mean_squared_error", batch_size=4))
    formulas = [s.formula for s in walk.steps]
    assert "dL/dp = loss'(p)   (4, 10)" in formulas
    assert "dz2 = p * (dp - rowSums(dp * p))   (4, 10)" in formulas


def test_heatmaps_of_each_tensor_shape():
    image, caption = backprop.heatmap(np.arange(6.0))
    assert image.shape == (1, 6) and caption == "one row"
    image, caption = backprop.heatmap(np.zeros((5, 7, 7, 10)))
    assert image.shape == (2 * 8 - 1, 8 * 8 - 1) and "10 channel(s)" in caption


# ----- the panel, driven as a person would ---------------------------------------------------
def test_the_panel_walks_forward_and_back_with_next_and_previous(qtbot):
    from PySide6.QtCore import Qt

    from playground.panels.backprop_lab import BackpropLab

    data = small_dataset()
    state = AppState(data)
    state.set_settings(batch_size=32)
    panel = BackpropLab(state)
    qtbot.addWidget(panel)
    panel.resize(700, 760)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.objectName() == "backpropLab"
    qtbot.waitUntil(lambda: panel.walk is not None, timeout=30000)
    steps = panel.walk.steps
    assert panel.formula_label.text() == steps[0].formula
    assert not panel.previous_button.isEnabled()
    for k in range(1, len(steps)):
        qtbot.mouseClick(panel.next_button, Qt.LeftButton)
        assert panel.formula_label.text() == steps[k].formula
    assert not panel.next_button.isEnabled()
    assert "first step" in panel.formula_label.text()  # the optimizer's update
    qtbot.mouseClick(panel.previous_button, Qt.LeftButton)
    assert panel.formula_label.text() == steps[-2].formula
    assert panel.image_item.image is not None
    low, high = panel.image_item.getLevels()
    assert low == pytest.approx(-high)  # the colour scale is centred on zero

    # a new model (training made one) starts the walk again, on its weights
    model = chapter_network(units=16)
    state.set_model(model)
    qtbot.waitUntil(lambda: panel.walk is not None and panel.step == 0 and
                    "(32, 16)" in " ".join(s.formula for s in panel.walk.steps), timeout=30000)
    panel.shutdown()


def test_the_panel_says_why_there_is_nothing_to_walk_through(qtbot):
    from playground.panels.backprop_lab import BackpropLab

    panel = BackpropLab(AppState(None))
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: "No dataset" in panel.about_label.text(), timeout=5000)
    assert not panel.next_button.isEnabled() and panel.walk is None
    panel.shutdown()


def test_the_colour_scale_is_centred_on_zero_and_outliers_do_not_wash_it_out():
    from playground.panels.backprop_lab import colour_extent

    values = np.linspace(-1, 1, 1000)
    values[0] = -500.0  # one outlier
    extent, beyond = colour_extent(values.reshape(10, 100))
    assert extent == pytest.approx(1.0, abs=0.02) and beyond == pytest.approx(0.005, abs=0.002)
    assert colour_extent(np.zeros((3, 3))) == (1.0, 0.0)
    assert colour_extent(np.full((2, 2), np.nan)) == (1.0, 0.0)


def test_a_change_while_a_walk_is_computed_waits_for_it_without_spinning(qtbot):
    """Shown (the walk starts at once), then changed while the worker is busy: the retry waits
    300 ms between looks rather than running at every turn of the event loop."""
    import threading

    from playground.panels import backprop_lab
    from playground.panels.backprop_lab import BackpropLab

    panel = BackpropLab(AppState(small_dataset()))
    qtbot.addWidget(panel)
    release = threading.Event()
    panel._future = panel._pool.submit(release.wait)  # a walk on its way
    try:
        panel.show()
        qtbot.waitUntil(lambda: panel._settle.interval() == backprop_lab.SETTLE_MS, timeout=5000)
        assert panel._future is not None and not panel._future.done()
    finally:
        release.set()
    qtbot.waitUntil(lambda: panel.walk is not None, timeout=30000)
    panel.shutdown()


def test_the_dataset_closed_while_a_walk_is_computed_loses_nothing(qtbot):
    import threading

    from playground.panels.backprop_lab import BackpropLab

    state = AppState(small_dataset())
    panel = BackpropLab(state)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.walk is not None, timeout=30000)
    release = threading.Event()
    blocker = panel._pool.submit(release.wait)  # the worker is busy: the next walk waits behind it
    panel.next_batch()
    state.set_dataset(None)  # the dataset goes while that walk is on its way
    release.set()
    blocker.result()
    qtbot.waitUntil(lambda: "No dataset" in panel.about_label.text(), timeout=30000)
    assert panel.walk is None and not panel.next_button.isEnabled()
    panel.shutdown()

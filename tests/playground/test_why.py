"""Why this digit? The Draw panel's explanation (issue 10, section 1): Qt-free parts, then the panel."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

import engine
from engine import examples, inspect
from playground.core import why
from playground.core.data_loading import load_sample_dataset
from playground.panels.draw_panel import DrawPanel
from playground.training.state import AppState
from tests.playground.test_draw_panel import drag

SEVEN = [QPoint(90, 60), QPoint(200, 60), QPoint(120, 240)]


def stroke(points, steps=12):
    path = []
    for a, b in zip(points, points[1:]):
        path += [QPoint(round(a.x() + (b.x() - a.x()) * t), round(a.y() + (b.y() - a.y()) * t))
                 for t in np.linspace(0, 1, steps)]
    return path


@pytest.fixture(scope="module")
def sample():
    return load_sample_dataset()


@pytest.fixture(scope="module")
def trained(sample):
    """The chapter's network, two epochs on the bundled sample."""
    engine.utils.set_random_seed(0)
    model = engine.Sequential([engine.layers.Flatten(input_shape=(28, 28)),
                               engine.layers.Dense(512, activation="relu"),
                               engine.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    model.fit(sample.x_train / np.float32(255), engine.utils.to_categorical(sample.y_train, 10),
              batch_size=128, epochs=2, verbose=0)
    return model


# -- without Qt ---------------------------------------------------------------------------------
def test_the_units_that_decided_are_the_first_layers_templates_with_the_largest_share(trained, sample):
    digit = sample.x_test[0] / np.float32(255)
    explanation = why.explain(trained, digit)
    seen = inspect.trace(trained, digit.reshape(1, 28, 28))
    hidden = seen.outputs[1][0]  # Flatten, then the Dense layer's 512 units
    share = hidden * seen.output_gradients[1][0]
    best = np.argsort(share)[::-1][:why.UNITS_SHOWN]
    kernel = trained.layers[1].kernel
    assert explanation.class_index == int(np.argmax(trained.predict(digit.reshape(1, 28, 28))))
    assert [unit.contribution for unit in explanation.units] == pytest.approx(share[best].tolist())
    for unit, index in zip(explanation.units, best):
        np.testing.assert_array_equal(unit.image, kernel[:, index].reshape(28, 28))
        assert unit.signed and unit.activation == pytest.approx(float(hidden[index]))  # shown with its activation
        assert unit.caption == f"unit {index}: {hidden[index]:.2f}"
    np.testing.assert_allclose(explanation.saliency, seen.input_gradient[0])


def test_any_class_can_be_explained_and_its_map_differs(trained, sample):
    digit = sample.x_test[0] / np.float32(255)
    guess, nine = why.explain(trained, digit), why.explain(trained, digit, class_index=9)
    assert nine.class_index == 9 and guess.class_index != 9
    assert not np.allclose(guess.saliency, nine.saliency)


def test_a_convnet_shows_each_conv_layers_feature_maps():
    engine.utils.set_random_seed(1)
    convnet = examples.convnet()
    explanation = why.explain(convnet, np.random.default_rng(0).random((28, 28), dtype=np.float32), units=6)
    names = [unit.caption.split(" #")[0] for unit in explanation.units]
    assert names == ["conv2d"] * 2 + ["conv2d_1"] * 2 + ["conv2d_2"] * 2
    assert [unit.image.shape for unit in explanation.units[::2]] == [(26, 26), (11, 11), (3, 3)]
    for unit in explanation.units:  # a map's activation: its mean output for this drawing
        assert unit.activation == pytest.approx(float(unit.image.mean()))
    assert all(not unit.signed and unit.image.min() >= 0 for unit in explanation.units)  # relu maps


def test_a_training_digit_is_its_own_nearest_neighbour(trained, sample):
    neighbours = why.Neighbours(trained, sample.x_train, sample.y_train, pool=500)
    for index in (3, 250, 499):
        found = neighbours.nearest(sample.x_train[index] / np.float32(255))
        assert len(found) == why.NEIGHBOURS_SHOWN
        assert found[0][:2] == (index, int(sample.y_train[index])) and found[0][2] < 1e-3
        assert [distance for _, _, distance in found] == sorted(distance for _, _, distance in found)


def canvas_with(*boxes, size=280):
    canvas = np.zeros((size, size), np.float32)
    for top, left, bottom, right in boxes:
        canvas[top:bottom, left:right] = 1
    return canvas


def test_drawings_unlike_mnists_digits_get_a_warning():
    assert why.style_warnings(canvas_with()) == []  # nothing drawn, nothing to say
    assert why.style_warnings(canvas_with((40, 130, 240, 150))) == []  # a "1" filling the square
    assert why.style_warnings(canvas_with((130, 130, 145, 145))) == [why.SPECK]  # a click
    assert why.style_warnings(canvas_with((20, 20, 70, 40))) == [why.TINY]  # a 1 in a corner
    assert why.style_warnings(canvas_with((0, 130, 200, 150))) == [why.OFF_FRAME]
    assert why.style_warnings(canvas_with((260, 270, 280, 280))) == [why.SPECK, why.OFF_FRAME]


def test_the_colour_scale_is_centred_on_zero():
    rgb = why.diverging_rgb(np.array([[-2.0, 0.0, 1.0, 2.0]]))
    assert rgb[0, 1].tolist() == [255, 255, 255]  # zero: white
    assert rgb[0, 3].tolist() == [200, 30, 30]  # the largest positive: full red
    assert rgb[0, 0].tolist() == [30, 70, 200]  # the largest negative: full blue
    assert rgb[0, 1].tolist() != rgb[0, 2].tolist() != rgb[0, 3].tolist()


# -- the panel ----------------------------------------------------------------------------------
@pytest.fixture
def panel(qtbot, sample, trained):
    state = AppState(sample)
    widget = DrawPanel(state)
    qtbot.addWidget(widget)
    widget.resize(760, 640)
    widget.show()
    qtbot.waitExposed(widget)
    state.set_model(trained, trained=True)
    return widget


def test_drawing_a_seven_shows_its_saliency_units_and_nearest_training_digits(panel, qtbot, sample):
    why_panel = panel.why
    assert why_panel.objectName() == "whyPanel"
    assert why_panel.saliency_view.image().isNull()  # nothing drawn yet
    drag(panel.canvas, stroke(SEVEN))
    qtbot.waitUntil(lambda: panel.prediction() is not None, timeout=10_000)
    qtbot.waitUntil(lambda: not why_panel.explaining(), timeout=60_000)  # computed off the UI thread
    assert not why_panel.saliency_view.image().isNull()
    assert len(why_panel.units.captions) == why.UNITS_SHOWN
    qtbot.waitUntil(lambda: why_panel.neighbours.count() == why.NEIGHBOURS_SHOWN, timeout=60_000)
    assert why_panel.warning_label.isHidden()
    grid = why_panel.neighbours
    panel.resize(panel.minimumSizeHint())  # squeezed as in a short dock: the captions still fit
    qtbot.waitUntil(lambda: panel.size() == panel.minimumSizeHint())
    assert grid.height() >= grid.item_rect(0).bottom() + 1 and grid.geometry().bottom() <= why_panel.height()
    first = why_panel.neighbours.mapTo(why_panel, why_panel.neighbours.item_rect(0).topLeft())
    assert first.x() - why_panel.neighbours_title.x() <= 8  # under their title, not adrift in the middle

    before = why_panel.saliency_view.image()
    why_panel.class_combo.setCurrentIndex(why_panel.class_combo.findData(9))  # what would make it a 9?
    qtbot.waitUntil(lambda: why_panel.saliency_view.image() != before, timeout=10_000)

    with qtbot.waitSignal(panel.state.digit_requested, timeout=10_000) as opened:
        cell = why_panel.neighbours.item_rect(0).center()
        QTest.mouseClick(why_panel.neighbours, Qt.LeftButton, Qt.NoModifier, cell)
    split, index = opened.args
    assert split == "train" and 0 <= index < len(sample.x_train)


def test_a_click_is_called_a_speck_not_read_as_a_confident_digit_without_a_warning(panel, qtbot):
    drag(panel.canvas, [QPoint(140, 140), QPoint(141, 140)])
    qtbot.waitUntil(lambda: panel.prediction() is not None, timeout=10_000)
    assert panel.why.warning_label.isVisible() and why.SPECK in panel.why.warning_label.text()
    assert "color" in panel.why.warning_label.styleSheet()  # in the theme's red: the guess is not to be trusted
    panel.canvas.clear()
    qtbot.waitUntil(lambda: panel.why.warning_label.isHidden() and not panel.why.explaining(), timeout=10_000)
    assert panel.why.saliency_view.image().isNull()


def test_the_explanation_is_computed_off_the_ui_thread_and_a_cleared_canvas_drops_it(panel, qtbot, monkeypatch):
    import threading

    threads, gate = [], threading.Event()
    real = why.explain

    def explain(*args, **kwargs):
        threads.append(threading.current_thread().name)
        assert gate.wait(60), "the test never opened the gate"
        return real(*args, **kwargs)

    monkeypatch.setattr(why, "explain", explain)
    drag(panel.canvas, stroke(SEVEN))
    qtbot.waitUntil(lambda: panel.prediction() is not None, timeout=10_000)  # the guess does not wait for it
    assert panel.why.explaining() and panel.why.saliency_view.image().isNull()
    gate.set()
    qtbot.waitUntil(lambda: not panel.why.explaining(), timeout=60_000)
    assert not panel.why.saliency_view.image().isNull()
    assert threads and threading.main_thread().name not in threads

    gate.clear()  # a slow explanation, then the canvas is cleared before it comes
    drag(panel.canvas, stroke([QPoint(140, 40), QPoint(140, 240)]))
    qtbot.waitUntil(lambda: panel.why.jobs.busy("explain"), timeout=10_000)
    panel.canvas.clear()
    qtbot.waitUntil(lambda: panel.why.saliency_view.image().isNull(), timeout=10_000)
    gate.set()
    qtbot.waitUntil(lambda: not panel.why.explaining(), timeout=60_000)
    assert panel.why.saliency_view.image().isNull() and panel.why.units.captions == []  # nothing came back


def test_without_a_trained_network_there_is_nothing_to_explain(qtbot, sample):
    widget = DrawPanel(AppState(sample))
    qtbot.addWidget(widget)
    drag(widget.canvas, stroke(SEVEN))
    qtbot.waitUntil(lambda: not widget._timer.isActive(), timeout=10_000)
    assert widget.why.saliency_view.image().isNull() and widget.why.units.captions == []


def test_the_nearest_digits_follow_each_epochs_weights_of_the_same_network(panel, qtbot, sample, trained):
    """While training, each epoch's weights are written into the same model object: the nearest
    training digits must be searched again with them (and never with weights changing underneath)."""
    model = engine.models.clone_model(trained)
    model.set_weights(trained.get_weights())
    panel.state.set_model(model, trained=True)
    drag(panel.canvas, stroke(SEVEN))
    qtbot.waitUntil(lambda: panel.prediction() is not None, timeout=10_000)
    shown = lambda: [panel.why.neighbours.key(i) for i in range(panel.why.neighbours.count())]  # noqa: E731
    qtbot.waitUntil(lambda: len(shown()) == why.NEIGHBOURS_SHOWN, timeout=60_000)
    before = shown()

    engine.utils.set_random_seed(5)
    model.set_weights(engine.models.clone_model(trained).get_weights())  # "another epoch": quite other weights
    panel.state.set_model(model, trained=True)
    expected = [index for index, _, _ in why.Neighbours(model, sample.x_train, sample.y_train).nearest(
        panel.network_input())]
    assert expected != before
    qtbot.waitUntil(lambda: shown() == expected, timeout=60_000)


# -- the README's screenshot of the Why panel -------------------------------------------------
def test_the_readme_shows_the_why_panel_screenshot():
    from pathlib import Path

    from PySide6.QtGui import QImage

    root = Path(__file__).resolve().parents[2]
    assert "](assets/screenshots/why.png)" in (root / "README.md").read_text()
    shot = root / "assets" / "screenshots" / "why.png"
    assert shot.stat().st_size < 300_000 and QImage(str(shot)).width() >= 600


def test_the_screenshot_script_saves_the_draw_panel_alone(qapp, tmp_path):
    from PySide6.QtGui import QImage

    from tests.playground.test_screenshot import load_script

    out = tmp_path / "why.png"
    assert load_script().main(["--out", str(out), "--size", "1200x800", "--epochs", "1",
                               "--right", "Draw", "--panel", "Draw"]) == 0
    image = QImage(str(out))
    assert 0 < image.width() < 1200 and 0 < image.height() < 800  # the panel, not the window

"""Robustness (issue 10, section 4): accuracy as the test digits are damaged more and more.

First the damage on tiny hand-made images (NumPy only), then the curves of a network trained
a few epochs on the bundled sample, then the Evaluate panel's view of them.
"""
import numpy as np
import pytest

import engine
from playground.core import robustness
from playground.core.data_loading import load_sample_dataset


def dot(row=10, col=12, size=28):
    """One white pixel on black."""
    image = np.zeros((1, size, size), dtype=np.float32)
    image[0, row, col] = 1.0
    return image


def bar():
    """A vertical stroke, 2 pixels wide, with a grey edge: a little '1'."""
    image = np.zeros((1, 28, 28), dtype=np.float32)
    image[0, 6:22, 13:15] = 1.0
    image[0, 6:22, 15] = 0.4
    return image


# -- the damage, on hand-made images -------------------------------------------------------------
def test_level_zero_of_every_damage_is_the_image_itself():
    image = bar()
    for damage in robustness.DAMAGES:
        assert damage.levels[0] == 0
        np.testing.assert_array_equal(damage.apply(image, 0), image)


def test_a_shift_moves_the_ink_and_loses_what_leaves_the_frame():
    moved = robustness.shift(dot(10, 12), dx=3, dy=-2)
    assert np.argwhere(moved[0] == 1).tolist() == [[8, 15]]
    assert moved.sum() == 1
    assert robustness.shift(dot(10, 26), dx=3, dy=0).sum() == 0  # pushed off the right edge


def test_rotation_by_zero_or_a_full_turn_is_the_identity_and_a_quarter_turn_is_rot90():
    image = bar() + dot(3, 20)
    np.testing.assert_array_equal(robustness.rotate(image, 0), image)
    np.testing.assert_array_equal(robustness.rotate(image, 360), image)
    # positive degrees turn the digit clockwise on screen: np.rot90 with k=-1 (row 0 at the top)
    np.testing.assert_allclose(robustness.rotate(image, 90), np.rot90(image, k=-1, axes=(1, 2)), atol=1e-5)


def test_a_vertical_stroke_turned_45_degrees_leans():
    turned = robustness.rotate(bar(), 45)[0]
    ink = np.argwhere(turned > 0.5)
    top, bottom = ink[ink[:, 0].argmin()], ink[ink[:, 0].argmax()]
    assert top[1] > bottom[1] + 5  # clockwise: the top goes right, the bottom left
    assert turned.sum() == pytest.approx(bar().sum(), rel=0.1)  # the ink stays (bilinear keeps its mass)


def test_noise_has_the_asked_spread_and_stays_in_range():
    blank = np.full((4, 28, 28), 0.5, dtype=np.float32)
    noisy = robustness.add_noise(blank, 0.1)
    assert noisy.min() >= 0 and noisy.max() <= 1
    assert np.std(noisy - blank) == pytest.approx(0.1, rel=0.05)
    np.testing.assert_array_equal(robustness.add_noise(blank, 0.1), noisy)  # seeded: the same every time


def test_dilation_thickens_and_erosion_thins_a_stroke():
    one = bar()
    thicker, thinner = robustness.thicken(one, 1), robustness.thin(one, 1)
    assert (thicker >= one).all() and (thinner <= one).all()
    assert np.count_nonzero(thicker[0, 14]) == np.count_nonzero(one[0, 14]) + 2  # a pixel more on each side
    assert thicker[0, 5, 13] == 1.0 and thicker[0, 14, 12] == 1.0 and thicker[0, 14, 16] == 0.4
    assert np.count_nonzero(thinner[0, 14]) == 1  # 3 pixels wide (1, 1, 0.4) -> the middle one's darker neighbour
    assert thinner[0, 14, 14] == pytest.approx(0.4)
    diamond = robustness.thicken(dot(10, 12), 2)[0]  # a cross twice: a diamond of radius 2
    np.testing.assert_array_equal(diamond[10, 9:16], [0, 1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(diamond[8, 9:16], [0, 0, 0, 1, 0, 0, 0])
    assert robustness.thin(dot(), 1).sum() == 0  # a single pixel vanishes


def test_the_hardest_digits_come_first():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.45, 0.55]])
    labels = np.array([0, 0, 1, 1])  # true-label probabilities 0.9, 0.2, 0.4, 0.55
    assert robustness.hardest(probabilities, labels).tolist() == [1, 2, 3, 0]


# -- curves of a trained network ---------------------------------------------------------------
@pytest.fixture(scope="module")
def sample():
    return load_sample_dataset()


@pytest.fixture(scope="module")
def trained(sample):
    """The chapter's network, three epochs on the bundled sample (about 94% on its test digits)."""
    engine.utils.set_random_seed(0)
    model = engine.Sequential([engine.layers.Flatten(input_shape=(28, 28)),
                               engine.layers.Dense(512, activation="relu"),
                               engine.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(sample.x_train / np.float32(255), engine.utils.to_categorical(sample.y_train, 10),
              batch_size=128, epochs=3, verbose=0)
    return model


@pytest.fixture(scope="module")
def curves(trained, sample):
    shares = []
    result = robustness.curves(trained, sample.x_test, sample.y_test, max_digits=500, progress=shares.append)
    return result, shares


def test_every_curve_starts_at_the_clean_accuracy_and_falls_as_the_damage_grows(curves, trained, sample):
    result, _ = curves
    x = sample.x_test[:500] / np.float32(255)
    clean = float(np.mean(np.argmax(trained.predict(x, verbose=0), axis=1) == sample.y_test[:500]))
    assert result.digits == 500 and result.clean_accuracy == pytest.approx(clean) and clean > 0.85
    assert set(result.accuracy) == {"noise", "rotation", "shift", "thicker", "thinner"}
    for name, accuracy in result.accuracy.items():
        assert len(accuracy) == len(result.levels[name]) == robustness.LEVEL_COUNT
        assert accuracy[0] == result.clean_accuracy
        assert accuracy[-1] < accuracy[0] - 0.2, name  # the heaviest damage costs a lot


def test_progress_climbs_to_one_and_cancelling_stops_early(curves, trained, sample):
    _, shares = curves
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)
    assert len(shares) == sum(len(d.levels) - 1 for d in robustness.DAMAGES)
    asked = []
    stopped = robustness.curves(trained, sample.x_test, sample.y_test, max_digits=50,
                                cancelled=lambda: asked.append(1) or len(asked) > 2)
    assert stopped is None and len(asked) == 3


def test_a_convnet_gets_its_images_with_a_channel(sample):
    engine.utils.set_random_seed(0)
    model = engine.Sequential([engine.layers.Conv2D(2, (3, 3), activation="relu", input_shape=(28, 28, 1)),
                               engine.layers.Flatten(), engine.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    damages = robustness.DAMAGES[:1]
    result = robustness.curves(model, sample.x_test, sample.y_test, damages=damages, max_digits=20)
    assert len(result.accuracy["noise"]) == robustness.LEVEL_COUNT


# -- the Evaluate panel's view -------------------------------------------------------------------
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from playground.panels.evaluate_panel import EvaluatePanel  # noqa: E402
from playground.training.state import AppState, Evaluation  # noqa: E402


def evaluation_of(model, dataset) -> Evaluation:
    probabilities = model.predict(dataset.x_test / np.float32(255), verbose=0)
    y_true = dataset.y_test.astype(np.int64)
    y_pred = np.argmax(probabilities, axis=1)
    return Evaluation(0.2, float(np.mean(y_true == y_pred)), y_true, y_pred, probabilities)


@pytest.fixture
def panel(qtbot, sample, trained):
    state = AppState(sample)
    widget = EvaluatePanel(state)
    qtbot.addWidget(widget)
    state.set_model(trained, trained=True)
    widget.resize(700, 900)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_the_robustness_view_is_folded_until_asked_for(panel):
    view = panel.robustness
    assert view.objectName() == "robustnessView" and not view.isVisible()
    panel.findChild(type(view.toggle), "robustnessToggle").click()
    assert view.isVisible() and view.is_open()
    assert not panel.pages.isVisible()  # the curves take the results' place
    view.toggle.click()
    assert not view.isVisible() and panel.pages.isVisible()
    view.set_open(True)
    panel.evaluate_button.click()  # a new evaluation: back to its results
    assert not view.isVisible() and panel.pages.isVisible()


def test_the_curves_are_measured_off_the_ui_thread_and_fall_from_the_clean_accuracy(panel, qtbot, curves):
    view = panel.robustness
    view.max_digits = 500
    shares = []
    view.progress.valueChanged.connect(shares.append)
    view.button.click()
    assert view.busy() and view.is_open() and not view.button.isEnabled()  # returned at once: a thread works
    qtbot.waitUntil(lambda: not view.busy(), timeout=300_000)
    assert shares and shares[-1] == 100 and view.progress.isHidden()
    expected, _ = curves  # the same model and digits, measured without Qt
    for name, curve in view.curves.items():
        x, y = curve.getData()
        assert x.tolist() == list(range(robustness.LEVEL_COUNT))
        np.testing.assert_allclose(y, expected.accuracy[name])
        assert y[0] == view.result.clean_accuracy and y[-1] < y[0]
    assert f"clean {view.result.clean_accuracy:.1%}" in view.status_label.text()
    assert view.button.isEnabled()


def test_a_new_model_cancels_the_run_and_clears_the_curves(panel, qtbot):
    view = panel.robustness
    view.max_digits = 50
    view.button.click()
    job = view.job
    panel.state.set_model(None)
    assert job.cancel.is_set() and not view.busy() and not view.button.isEnabled()
    for curve in view.curves.values():
        x, _ = curve.getData()
        assert x is None or len(x) == 0


def test_the_hardest_test_digits_come_from_the_evaluation_and_open_in_the_data_panel(panel, qtbot, sample, trained):
    view = panel.robustness
    evaluation = evaluation_of(trained, sample)
    panel.state.set_evaluation(evaluation)
    view.set_open(True)
    grid = view.hardest_grid
    order = robustness.hardest(evaluation.probabilities, evaluation.y_true)
    assert [grid.key(i) for i in range(grid.count())] == order[:grid.count()].tolist()
    first = int(order[0])
    assert grid.caption(0) == f"{sample.y_test[first]}: {100 * evaluation.probabilities[first, sample.y_test[first]]:.0f}%"
    qtbot.waitUntil(lambda: grid.item_rect(0).isValid() and view.hardest_scroll.isVisible())
    with qtbot.waitSignal(panel.state.digit_requested, timeout=10_000) as opened:
        QTest.mouseClick(grid, Qt.LeftButton, Qt.NoModifier, grid.item_rect(0).center())
    assert opened.args == ["test", first]


def test_no_robustness_test_while_training_or_without_a_trained_network(panel):
    view, state = panel.robustness, panel.state
    assert view.button.isEnabled()
    state.set_training(True)
    assert not view.button.isEnabled() and "After training" in view.button.toolTip()
    state.set_training(False)
    assert view.button.isEnabled()
    state.set_model(state.model, trained=False)
    assert not view.button.isEnabled()


def test_starting_a_run_draws_no_random_numbers_on_the_ui_thread(panel, qtbot):
    """The weights are copied, not a network built with fresh random weights to overwrite: a
    seeded run after it starts from the same random numbers."""
    from engine import backend

    view = panel.robustness
    view.max_digits = 20
    before = backend.rng().bit_generator.state
    view.button.click()
    assert backend.rng().bit_generator.state == before
    qtbot.waitUntil(lambda: not view.busy(), timeout=300_000)
    assert view.result is not None and len(view.result.accuracy["noise"]) == robustness.LEVEL_COUNT

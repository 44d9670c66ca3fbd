"""The Gradient lab (issue 9, section 6): SGD on a curve, the optimizers' race on loss surfaces,
the learning-rate range test and the gradient check, first without Qt, then driven as a person would."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.layers import Dense, Dropout, Flatten
from playground.core import data_loading
from playground.core.labs import gradient
from playground.training.state import AppState, Dataset, LayerSpec, TrainSettings


def small_dataset(n=600, seed=3) -> Dataset:
    """Digits the network can learn something from: each class a fixed blob of ink plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    prototypes = rng.random((10, 28, 28)) > 0.7
    images = (prototypes[labels] * 200 + rng.integers(0, 55, (n, 28, 28))).astype(np.uint8)
    return Dataset("blobs", "test", images, labels, images[:100], labels[:100])


def chapter_network(units=32, seed=5):
    engine.utils.set_random_seed(seed)
    return engine.Sequential([Flatten(input_shape=(28, 28)), Dense(units, activation="relu"),
                              Dense(10, activation="softmax")])


# ----- 1-D: figure 2.11 -------------------------------------------------------------------------
def test_sgd_on_the_curve_is_w_minus_the_step_size_times_the_slope():
    run = gradient.descend_curve(0.25, steps=5)
    w = gradient.CURVE_START
    for k in range(6):
        assert run.points[k] == pytest.approx(w, abs=1e-12)
        assert run.slopes[k] == pytest.approx(gradient.curve_derivative(w))
        w = w - 0.25 * gradient.curve_derivative(w)


def test_the_slope_is_the_curves_derivative_and_the_tangent_touches_it():
    w = np.linspace(-3, 5, 17)
    h = 1e-6
    numeric = (gradient.curve_loss(w + h) - gradient.curve_loss(w - h)) / (2 * h)
    np.testing.assert_allclose(gradient.curve_derivative(w), numeric, rtol=1e-6, atol=1e-8)
    run = gradient.descend_curve(0.25, steps=3)
    xs, ys = run.tangent(1, half_width=1e-4)
    np.testing.assert_allclose(ys, gradient.curve_loss(xs), atol=1e-7)


def test_too_small_a_step_crawls_and_too_large_a_one_runs_away():
    small = gradient.descend_curve(gradient.STEP_SIZES["Too small"], steps=20)
    right = gradient.descend_curve(gradient.STEP_SIZES["About right"], steps=20)
    large = gradient.descend_curve(gradient.STEP_SIZES["Too large"], steps=20)
    assert abs(right.points[-1] - 1) < 0.01  # at the bottom (w = 1)
    assert small.losses[-1] > 10 * right.losses[-1] and not small.diverged
    assert large.diverged and large.losses[-1] > large.losses[0]


# ----- 2-D: the race -----------------------------------------------------------------------------
def test_sgd_on_the_bowl_follows_the_update_rule_by_hand():
    bowl = gradient.SURFACES["bowl"]
    runner = next(r for r in bowl.runners({"sgd": 0.1}) if r.key == "sgd")
    points = gradient.race(bowl, [runner], steps=10)[0].points
    w = np.array(bowl.start)
    for k in range(11):
        np.testing.assert_allclose(points[k], w, rtol=0, atol=1e-15)
        w = w - 0.1 * 2 * w  # the gradient of x^2 + y^2 is 2 (x, y)


@pytest.mark.parametrize("surface", list(gradient.SURFACES))
def test_each_trajectory_is_the_engine_optimizer_called_directly(surface):
    s = gradient.SURFACES[surface]
    for trajectory in gradient.race(s, steps=40):
        optimizer = trajectory.runner.optimizer()
        w = np.array(s.start, dtype=np.float64)
        for k in range(len(trajectory.points)):
            np.testing.assert_array_equal(trajectory.points[k], w, err_msg=trajectory.runner.label)
            optimizer.apply([w], [s.gradient(w)])


@pytest.mark.parametrize("surface", list(gradient.SURFACES))
def test_each_surfaces_gradient_is_its_slope(surface):
    s = gradient.SURFACES[surface]
    rng = np.random.default_rng(1)
    for _ in range(5):
        w = np.array([rng.uniform(*s.x_range), rng.uniform(*s.y_range)])
        h = 1e-6
        numeric = [(s.loss(w + h * e) - s.loss(w - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(s.gradient(w), numeric, rtol=1e-6, atol=1e-6)
    for minimum in s.minima:
        np.testing.assert_allclose(s.gradient(np.array(minimum)), 0, atol=2e-3)


def test_momentum_overshoots_the_valleys_floor_where_plain_sgd_does_not():
    valley = gradient.SURFACES["valley"]
    runs = {t.runner.key: t for t in gradient.race(valley)}
    assert valley.start[0] < 0
    assert runs["sgd"].points[:, 0].max() <= 0  # creeps along the floor towards x = 0 and never past it
    assert runs["momentum"].points[:, 0].max() > 0.1  # the ball rolls on past the minimum
    assert np.any(np.diff(np.sign(runs["sgd"].points[1:, 1])) != 0)  # and SGD zigzags across


def test_momentum_carries_the_ball_out_of_the_local_minimum_where_sgd_stays():
    """Figure 2.13: from the same start, plain SGD settles in the nearer, shallower basin; with
    momentum the ball rolls over the ridge into the deeper one."""
    surface = gradient.SURFACES["local"]
    runs = {t.runner.key: t for t in gradient.race(surface)}
    assert gradient.basin(surface, runs["sgd"].points[-1]) == 1
    assert gradient.basin(surface, runs["momentum"].points[-1]) == 0
    assert runs["momentum"].final_loss < runs["sgd"].final_loss


def test_a_run_that_diverges_stops_where_it_left_the_picture():
    bowl = gradient.SURFACES["bowl"]
    runner = gradient.Runner("sgd", "SGD", 1.5, "#000")  # |1 - 2 * 1.5| = 2: doubles at each step
    run = gradient.race(bowl, [runner], steps=200)[0]
    assert run.diverged and len(run.points) < 201 and np.all(np.isfinite(run.points))


# ----- the learning-rate range test --------------------------------------------------------------
def test_the_range_test_has_one_point_per_batch_and_suggests_a_rate_it_tried():
    model, data = chapter_network(), data_loading.load_sample_dataset()
    before = model.get_weights()
    state = engine.backend.rng().bit_generator.state
    seen = []
    result = gradient.range_test(model, data, TrainSettings(optimizer="sgd", batch_size=32), batches=60,
                                 start=1e-4, stop=100.0, progress=lambda b, lr, loss: seen.append(b))
    assert len(result.losses) == len(result.learning_rates) == len(result.smoothed) == len(seen)
    assert seen == list(range(len(seen)))
    np.testing.assert_allclose(result.learning_rates, gradient.rates(1e-4, 100.0, 60)[:len(seen)])
    assert result.stopped == "diverged" and len(seen) < 60  # SGD at a rate of 100 blows up
    assert result.suggested is not None and 1e-4 <= result.suggested <= result.learning_rates[-1]
    assert result.suggested in result.learning_rates
    assert engine.backend.rng().bit_generator.state == state  # a seeded run elsewhere is not disturbed
    for kept, now in zip(before, model.get_weights()):
        np.testing.assert_array_equal(kept, now)  # the copy trained, not the model


def test_the_range_test_runs_every_batch_when_the_loss_never_blows_up():
    result = gradient.range_test(chapter_network(), small_dataset(), TrainSettings(batch_size=16), batches=12,
                                 start=1e-7, stop=1e-6)
    assert result.stopped == "completed" and len(result.losses) == 12


def test_the_suggestion_is_where_the_loss_falls_fastest():
    lr = gradient.rates(1e-5, 1.0, 101)
    log = np.log10(lr)
    loss = 2.3 - 2 / (1 + np.exp(-4 * (log + 2.5)))  # a sigmoid drop, steepest at 10^-2.5
    assert gradient.suggested_rate(lr, loss) == pytest.approx(10 ** -2.5, rel=0.1)
    assert gradient.suggested_rate(lr[:3], loss[:3]) is None


def test_the_range_test_with_dropout_and_a_cancel():
    engine.utils.set_random_seed(6)
    model = engine.Sequential([Flatten(input_shape=(28, 28)), Dense(16, activation="relu"), Dropout(0.5),
                               Dense(10, activation="softmax")])
    calls = []
    result = gradient.range_test(model, small_dataset(), TrainSettings(batch_size=8), batches=50,
                                 cancelled=lambda: calls.append(1) or len(calls) > 5)
    assert result.stopped == "cancelled" and len(result.losses) == 5


# ----- the gradient check ------------------------------------------------------------------------
def test_the_gradient_check_agrees_within_a_millionth_in_float64():
    model, data = chapter_network(), small_dataset()
    choices = gradient.weight_choices(model)
    assert [c.label for c in choices] == ["dense: kernel (784, 32)", "dense: bias (32,)",
                                          "dense_1: kernel (32, 10)", "dense_1: bias (10,)"]
    kernel = choices[0]
    x, y = gradient.training_batch(data, np.arange(gradient.CHECK_DIGITS), "categorical_crossentropy")
    inked = int(np.argmax(x.sum(axis=0)))  # a pixel with ink in many digits: a real derivative
    for choice, index in ((kernel, (inked, 3)), (choices[1], (7,)), (choices[2], (4, 2)), (choices[3], (9,))):
        check = gradient.check_weight(model, data, TrainSettings(), choice, index)
        assert check.backprop != 0 and check.relative_error < 1e-6, check
        assert "They agree" in gradient.check_text(check)
    assert model.layers[1].kernel.dtype == np.float32


def test_a_weight_with_no_effect_is_said_to_be_zero_for_both():
    data = small_dataset()
    data.x_train[:, 0, 0] = 0  # the top-left pixel is black in every digit
    model = chapter_network()
    check = gradient.check_weight(model, data, TrainSettings(), gradient.weight_choices(model)[0], (0, 0))
    assert check.backprop == 0 and check.numeric == 0
    assert "Both are exactly 0" in gradient.check_text(check)
    assert "(R: [1, 1])" in gradient.check_text(check)


def test_the_weight_offered_first_is_the_centre_pixels_on_the_books_digits():
    model = chapter_network()
    kernel, bias = gradient.weight_choices(model)[:2]
    assert gradient.default_index(kernel) == (14 * 28 + 14, 16)  # pixel [15, 15] in R, not 392 (row 14's first)
    assert gradient.default_index(bias) == (16,)
    assert gradient.default_index(gradient.WeightChoice(0, "dense", "kernel", (30, 8))) == (15, 4)  # not a square image
    sample = data_loading.load_sample_dataset()
    check = gradient.check_weight(model, sample, TrainSettings(), kernel, gradient.default_index(kernel))
    assert check.backprop != 0 and check.relative_error < 1e-6  # a real derivative, not 0 and 0


def test_a_diverged_network_is_named_not_checked():
    model, data = chapter_network(), small_dataset()
    weights = model.get_weights()
    weights[2][:] = np.nan
    model.set_weights(weights)
    check = gradient.check_weight(model, data, TrainSettings(), gradient.weight_choices(model)[2], (1, 1))
    assert "diverged" in gradient.check_text(check)


def test_the_labs_look_at_the_apps_model_or_one_fresh_network_per_design():
    state = AppState(small_dataset())
    network = gradient.CurrentNetwork(state)
    fresh, what = network.current()
    assert "fresh network" in what and network.current()[0] is fresh  # not rebuilt at every look
    state.set_layers((LayerSpec(64, "relu"),))
    assert network.current()[0] is not fresh
    trained = chapter_network()
    state.set_model(trained)
    assert network.current()[0] is trained
    copy, _ = network.frozen()
    assert copy is not trained and all(np.array_equal(a, b) for a, b in zip(copy.get_weights(), trained.get_weights()))
    with pytest.raises(ValueError, match="No dataset"):
        gradient.CurrentNetwork(AppState(None)).current()


# ----- the panel, driven as a person would ---------------------------------------------------
def test_the_panel_steps_races_tests_the_rate_and_checks_a_weight(qtbot):
    from PySide6.QtCore import Qt

    from playground.panels.gradient_lab import GradientLab

    state = AppState(small_dataset())
    state.set_layers(())  # logistic regression: a quick network for the range test
    state.set_settings(batch_size=16)
    panel = GradientLab(state, range_batches=30)
    qtbot.addWidget(panel)
    panel.resize(700, 760)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.objectName() == "gradientLab"

    # 1-D: the "Too large" preset, then a few steps: the point climbs out of the valley
    panel.tabs.setCurrentIndex(0)
    qtbot.mouseClick(panel.curve.preset_buttons["Too large"], Qt.LeftButton)
    for _ in range(3):
        qtbot.mouseClick(panel.curve.step_button, Qt.LeftButton)
    assert panel.curve.step == 3
    assert panel.curve.rate_box.value() == pytest.approx(gradient.STEP_SIZES["Too large"])
    assert "loss" in panel.curve.readout.text()
    assert panel.curve.tangent_item.xData is not None

    # 2-D: the valley; Race animates every optimizer to its last step
    panel.tabs.setCurrentIndex(1)
    panel.surface.surface_box.setCurrentIndex(list(gradient.SURFACES).index("valley"))
    qtbot.mouseClick(panel.surface.race_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not panel.surface.timer.isActive(), timeout=20000)
    shown = {key: len(item.xData) for key, item in panel.surface.path_items.items()}
    expected = {t.runner.key: len(t.points) for t in panel.surface.trajectories}
    assert shown == expected and len(shown) == 5

    # the range test on a worker thread, then one click sets the learning rate
    panel.tabs.setCurrentIndex(2)
    qtbot.mouseClick(panel.range.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.range.result is not None, timeout=60000)
    result = panel.range.result
    assert len(panel.range.loss_curve.xData) == len(result.losses)
    assert result.suggested is not None and panel.range.marker.isVisible()
    assert panel.range.use_button.isEnabled()
    qtbot.mouseClick(panel.range.use_button, Qt.LeftButton)
    assert state.settings.learning_rate == pytest.approx(result.suggested, rel=0.05)  # shown to 2 digits
    assert f"{state.settings.learning_rate:g}" in panel.range.use_button.text()

    # the gradient check on a weight the learner picks
    panel.tabs.setCurrentIndex(3)
    panel.check.weight_box.setCurrentIndex(0)
    panel.check.index_boxes[0].setValue(400)
    panel.check.index_boxes[1].setValue(3)
    qtbot.mouseClick(panel.check.check_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "relative error" in panel.check.result_label.text(), timeout=20000)
    assert "finite difference" in panel.check.result_label.text()
    assert len(panel.check.loss_item.xData) == 21 and panel.check.tangent_item.xData is not None
    panel.shutdown()


def test_the_loss_along_one_weight_has_backprops_slope_at_the_weight():
    model, data = chapter_network(), small_dataset()
    choice = gradient.weight_choices(model)[2]  # the last layer's kernel
    check = gradient.check_weight(model, data, TrainSettings(), choice, (5, 4))
    along = gradient.loss_along_weight(model, data, TrainSettings(), choice, (5, 4), span=1e-3, points=3)
    assert along.weights[1] == pytest.approx(check.value) and along.losses[1] == pytest.approx(along.loss)
    slope = (along.losses[2] - along.losses[0]) / (along.weights[2] - along.weights[0])
    assert slope == pytest.approx(check.backprop, rel=1e-4)
    assert model.layers[2].kernel[5, 4] == np.float32(check.value)  # the model's weight is where it was

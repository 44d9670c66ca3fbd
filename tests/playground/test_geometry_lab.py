"""The Geometry lab (issue 9, section 5; the book's sections 2.3.5 and 2.3.6).

First the model without Qt: one Dense layer's three steps against the engine's own Dense layer,
the rotation of section 2.3.5, relu's clipping, and a small network that separates two spirals a
straight line cannot, with one snapshot of its hidden layers per epoch. Then the panel, driven as
a person would: move the step sliders, type W, turn the angle, play the steps, train and stop.
"""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.layers import Dense
from playground.core.inside import principal_axes
from playground.core.labs import geometry
from playground.core.labs.geometry import DenseSteps

W = np.array([[1.5, -0.5], [0.25, 2.0]])
B = np.array([0.3, -1.2])


def engine_dense_output(W, b, points):
    """The book's layer_dense(units = 2, activation = "relu") with these weights, through fit's model."""
    model = engine.Sequential([Dense(2, activation="relu", input_shape=(2,))])
    model.set_weights([W.T.astype(np.float32), b.astype(np.float32)])  # Keras's kernel is t(W)
    return model.predict(points)


# ----- one Dense layer, step by step ----------------------------------------------------------------
def test_with_every_step_at_0_the_points_are_the_input_and_at_1_the_engines_dense_output():
    cloud = geometry.two_clouds(seed=3)
    steps = DenseSteps(W, B)
    np.testing.assert_array_equal(steps.at(cloud.points, 0, 0, 0), cloud.points)
    expected = engine_dense_output(W, B, cloud.points)
    np.testing.assert_allclose(steps.at(cloud.points, 1, 1, 1), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(steps.output(cloud.points), expected, rtol=1e-6, atol=1e-6)


def test_each_step_is_the_books_formula_and_in_between_a_straight_walk():
    x = geometry.two_clouds(seed=1).points
    steps = DenseSteps(W, B)
    wx = x.astype(np.float64) @ W.T  # W %*% x for each point (a row here)
    np.testing.assert_allclose(steps.at(x, 1, 0, 0), wx, atol=1e-5)
    np.testing.assert_allclose(steps.at(x, 1, 1, 0), wx + B, atol=1e-5)
    np.testing.assert_allclose(steps.at(x, 1, 1, 1), np.maximum(wx + B, 0), atol=1e-5)
    np.testing.assert_allclose(steps.at(x, 0.25, 0, 0), 0.75 * x + 0.25 * wx, atol=1e-5)
    np.testing.assert_allclose(steps.at(x, 1, 0.5, 0), wx + 0.5 * B, atol=1e-5)
    assert [s.shape for s in steps.stages(x)] == [x.shape] * 4


def test_the_steps_never_change_the_points_they_are_given():
    points = np.array([[-1.0, -2.0], [3.0, -4.0]], np.float32)
    kept = points.copy()
    DenseSteps(np.eye(2), np.zeros(2)).at(points, 1, 1, 1)  # the engine's relu works in place
    np.testing.assert_array_equal(points, kept)


def test_rotation_by_90_degrees_maps_1_0_to_0_1():
    R = geometry.rotation(90)
    np.testing.assert_allclose(R @ [1, 0], [0, 1], atol=1e-12)
    np.testing.assert_allclose(R, [[0, -1], [1, 0]], atol=1e-12)  # [[cos, -sin], [sin, cos]]
    through_the_layer = DenseSteps(R, np.zeros(2)).at(np.array([[1.0, 0.0]]), 1, 0, 0)
    np.testing.assert_allclose(through_the_layer, [[0, 1]], atol=1e-6)
    points = geometry.two_clouds().points
    turned = DenseSteps(geometry.rotation(37), np.zeros(2)).at(points, 1, 0, 0)
    np.testing.assert_allclose(np.linalg.norm(turned, axis=1), np.linalg.norm(points, axis=1), rtol=1e-5)


def test_the_relu_step_clips_negative_coordinates_to_zero():
    points = np.array([[-1.0, 2.0], [3.0, -4.0], [-0.5, -0.5], [1.0, 1.0]])
    steps = DenseSteps(np.eye(2), np.zeros(2))
    assert steps.at(points, 1, 1, 1).tolist() == [[0, 2], [3, 0], [0, 0], [1, 1]]
    np.testing.assert_allclose(steps.at(points, 1, 1, 0.5), [[-0.5, 2], [3, -2], [-0.25, -0.25], [1, 1]])


def test_bad_weights_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="W must be 2 x 2 and b must have 2 values"):
        DenseSteps(np.eye(3), np.zeros(2))
    with pytest.raises(ValueError, match="finite"):
        DenseSteps([[1, np.nan], [0, 1]], [0, 0])
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        DenseSteps().at(np.zeros((4, 3)))


def test_one_slider_through_the_steps_gives_each_its_t():
    assert geometry.step_times(0) == (0, 0, 0)
    assert geometry.step_times(0.5) == (0.5, 0, 0)
    assert geometry.step_times(1.25) == (1, 0.25, 0)
    assert geometry.step_times(3) == (1, 1, 1)


# ----- a small network uncrumples two spirals ---------------------------------------------------------
@pytest.fixture(scope="module")
def trained() -> geometry.Uncrumpling:
    run = geometry.Uncrumpling("spirals", seed=0, epochs=200)
    run.run()
    return run


def test_two_spirals_defeat_a_straight_line_but_not_the_trained_network(trained):
    assert geometry.line_accuracy(trained.cloud) < 0.8  # no single Dense layer separates them
    assert trained.line_accuracy == geometry.line_accuracy(trained.cloud)  # what the panel says
    assert geometry.accuracy(trained.model, trained.cloud) >= 0.95
    assert trained.snapshots[-1].accuracy >= 0.95


def test_the_run_keeps_one_snapshot_per_epoch_of_every_hidden_layer(trained):
    n = len(trained.cloud.points)
    assert trained.count() == trained.epochs == 200
    assert [s.epoch for s in trained.snapshots] == list(range(1, 201))
    assert trained.start.epoch == 0
    for snapshot in (trained.start, trained.snapshots[0], trained.snapshots[-1]):
        assert len(snapshot.views) == len(geometry.HIDDEN)
        assert all(view.shape == (n, 2) for view in snapshot.views)
        assert snapshot.decision.shape == (geometry.GRID, geometry.GRID)
        assert 0 <= snapshot.decision.min() and snapshot.decision.max() <= 1
    assert trained.snapshots[0].views[0].tolist() != trained.snapshots[-1].views[0].tolist()  # the layers moved


def test_a_wider_layer_is_shown_on_its_two_principal_axes(trained):
    hidden = engine.inspect.activations(trained.model, trained.cloud.points)
    last = trained.snapshots[-1]
    projection = principal_axes(hidden[0], 2)
    np.testing.assert_allclose(last.views[0], projection.coordinates, atol=1e-4)
    assert last.explained[0] == pytest.approx(float(projection.explained.sum()))
    np.testing.assert_allclose(last.views[2], hidden[2], atol=1e-6)  # the 2-unit layer as it is
    assert last.explained[2] == 1.0


def test_in_the_last_hidden_layer_a_straight_line_is_the_networks_decision(trained):
    last = trained.snapshots[-1]
    w, c = last.line
    predicted = np.argmax(engine.inspect.activations(trained.model, trained.cloud.points)[-1], axis=1)
    side = (last.views[-1] @ w + c > 0).astype(int)  # class 1 where its score is the larger
    assert np.mean(side == predicted) >= 0.99  # float32 ties aside, the line is the decision
    assert np.mean(side == trained.cloud.labels) >= 0.95


def test_the_same_seed_gives_the_same_run_whatever_the_engine_draws_meanwhile():
    first = geometry.Uncrumpling("moons", seed=4, epochs=3)
    first.run()
    engine.backend.rng().normal(size=100)  # the app's own training drawing from the shared generator
    second = geometry.Uncrumpling("moons", seed=4, epochs=3)
    second.run()
    for a, b in zip(first.snapshots, second.snapshots):
        assert a.loss == b.loss
        for view_a, view_b in zip(a.views, b.views):
            np.testing.assert_array_equal(view_a, view_b)


def test_stop_ends_a_run_after_the_current_batch():
    run = geometry.Uncrumpling(epochs=1000)
    run.stop()
    run.run()
    assert run.finished and run.count() <= 1
    assert run.model.stop_reason == "stopped"


def test_bad_choices_are_refused():
    with pytest.raises(ValueError, match="kind must be one of spirals, moons"):
        geometry.tangled("circles")
    with pytest.raises(ValueError, match="epochs must be a positive whole number"):
        geometry.Uncrumpling(epochs=0)


# ----- the panel -------------------------------------------------------------------------------------
@pytest.fixture
def lab(qtbot):
    from playground.panels.geometry_lab import GeometryLab

    panel = GeometryLab()
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    qtbot.waitExposed(panel)
    yield panel
    panel.shutdown()


def shown_points(scatters) -> np.ndarray:
    """The points drawn, class 0 first, as the panel's scatter items hold them."""
    return np.concatenate([np.stack(item.getData(), axis=1) for item in scatters])


def by_class(points, labels) -> np.ndarray:
    return np.concatenate([points[labels == 0], points[labels == 1]])


def type_number(qtbot, field, text: str) -> None:
    field.lineEdit().selectAll()
    qtbot.keyClicks(field.lineEdit(), text)
    qtbot.keyClick(field.lineEdit(), "\r")


def test_the_panel_starts_with_the_input_and_the_sliders_walk_it_through_the_layer(lab, qtbot):
    view = lab.steps_view
    cloud = view.cloud
    assert lab.objectName() == "geometryLab"
    np.testing.assert_allclose(shown_points(view.points), by_class(cloud.points, cloud.labels))
    assert "no step applied yet" in view.step_label.text()
    for slider in view.step_sliders:
        slider.setValue(slider.maximum())
    done = view.steps.output(cloud.points)
    np.testing.assert_allclose(shown_points(view.points), by_class(done, cloud.labels), atol=1e-6)
    assert shown_points(view.points).min() >= 0  # relu: nothing left of or below the axes
    assert view.step_label.text().startswith("relu")
    view.step_sliders[2].setValue(0)
    view.step_sliders[1].setValue(50)
    halfway = view.steps.at(cloud.points, 1, 0.5, 0)
    np.testing.assert_allclose(shown_points(view.points), by_class(halfway, cloud.labels), atol=1e-6)
    assert view.step_values[1].text() == "50%" and view.step_label.text().startswith("+ b")


def test_typing_w_and_b_moves_the_points_and_rewrites_the_code(lab, qtbot):
    view = lab.steps_view
    for slider in view.step_sliders:
        slider.setValue(slider.maximum())
    type_number(qtbot, view.w_fields[0][0], "2")
    type_number(qtbot, view.b_fields[1], "-0.5")
    W, b = view.weights()
    assert W[0, 0] == 2 and b[1] == -0.5
    expected = engine_dense_output(W, b, view.cloud.points)
    np.testing.assert_allclose(shown_points(view.points), by_class(expected, view.cloud.labels), atol=1e-5)
    code = view.code_label.text()
    assert "matrix(c(2, -0.6, 0.7, 0.9), nrow = 2, byrow = TRUE)" in code and "b &lt;- c(1, -0.5)" in code
    assert "layer_dense(units = 2, activation = &quot;relu&quot;)" in code


def test_a_weight_out_of_range_is_marked_and_the_picture_keeps_the_last_good_one(lab, qtbot):
    view = lab.steps_view
    before = view.steps.W.copy()
    type_number(qtbot, view.w_fields[1][1], "9")
    assert view.problem_label.isVisible()
    assert "from -5 to 5" in view.problem_label.text()
    np.testing.assert_array_equal(view.steps.W, before)
    type_number(qtbot, view.w_fields[1][1], "1")
    assert not view.problem_label.isVisible() and view.steps.W[1, 1] == 1


def test_the_angle_slider_makes_w_a_rotation_and_shows_w_x_alone(lab, qtbot):
    view = lab.steps_view
    view.angle_slider.setValue(90)
    assert view.angle_label.text() == "90°"
    np.testing.assert_allclose(view.weights()[0], [[0, -1], [1, 0]])
    assert view.times() == (1, 0, 0)
    turned = view.cloud.points @ np.array([[0, -1], [1, 0]]).T
    np.testing.assert_allclose(shown_points(view.points), by_class(turned, view.cloud.labels), atol=1e-5)
    assert "matrix(c(0, -1, 1, 0), nrow = 2, byrow = TRUE)" in view.code_label.text()


def test_play_runs_the_three_steps_in_order(lab, qtbot):
    view = lab.steps_view
    seen = []
    view.play_button.click()
    qtbot.waitUntil(lambda: seen.append(view.times()) or not view.play_timer.isActive(), timeout=20_000)
    assert view.times() == (1, 1, 1)
    firsts = [next(i for i, t in enumerate(seen) if t[k] > 0) for k in range(3) if any(t[k] > 0 for t in seen)]
    assert firsts == sorted(firsts)  # W x began first, relu last


def test_the_network_view_is_built_when_its_tab_is_first_opened(lab, qtbot):
    assert lab._uncrumple_view is None  # four plots fewer to build while the window opens
    lab.tabs.setCurrentIndex(1)
    view = lab.uncrumple_view
    assert lab._uncrumple_view is view and view.isVisibleTo(lab)
    qtbot.waitUntil(view.train_button.isVisible)
    assert view.epoch_label.text() == "epoch 0"


def test_training_a_few_epochs_draws_each_layer_and_the_epochs_can_be_revisited(lab, qtbot):
    view = lab.uncrumple_view
    lab.tabs.setCurrentIndex(1)
    view.pace = 0
    type_number(qtbot, view.epochs_field, "5")
    view.train_button.click()
    qtbot.waitUntil(lambda: not view.training() and not view.poll.isActive(), timeout=60_000)
    assert view.train_button.text() == "Train"
    assert view.epoch_slider.maximum() == 5 and view.epoch_slider.value() == 5
    assert view.status_label.text().startswith("Done after 5 epochs")
    assert f"A straight line on the input (one Dense layer) gets {view.run.line_accuracy:.0%}" in view.status_label.text()
    last = view.run.snapshot(4)
    labels = view.run.cloud.labels
    for scatters, points in zip(view.layer_scatters, last.views):
        np.testing.assert_allclose(shown_points(scatters), by_class(points, labels))
    view.epoch_slider.setValue(2)
    assert view.epoch_label.text() == "epoch 2"
    np.testing.assert_allclose(shown_points(view.layer_scatters[0]), by_class(view.run.snapshot(1).views[0], labels))
    view.epoch_slider.setValue(0)
    assert view.epoch_label.text() == "epoch 0"


def test_stop_ends_training_and_train_starts_afresh(lab, qtbot):
    view = lab.uncrumple_view
    lab.tabs.setCurrentIndex(1)
    view.kind_combo.setCurrentIndex(1)  # two moons
    view.train_button.click()
    qtbot.waitUntil(lambda: view.run.count() >= 1, timeout=60_000)
    assert view.train_button.text() == "Stop" and not view.kind_combo.isEnabled()
    view.train_button.click()
    qtbot.waitUntil(lambda: not view.training() and not view.poll.isActive(), timeout=60_000)
    assert view.status_label.text().startswith("Stopped after")
    stopped = view.run
    view.pace = 0
    type_number(qtbot, view.epochs_field, "2")
    view.train_button.click()
    qtbot.waitUntil(lambda: not view.training() and not view.poll.isActive(), timeout=60_000)
    assert view.run is not stopped and view.run.kind == "moons" and view.run.count() == 2


def test_shutdown_stops_a_run_in_progress(lab, qtbot):
    view = lab.uncrumple_view
    view.train_button.click()
    job = view.job
    lab.shutdown()
    qtbot.waitUntil(job.done, timeout=60_000)
    assert job.run.count() < job.run.epochs


def test_the_plots_follow_the_dark_theme(lab, qtbot):
    from PySide6.QtGui import QPalette

    from playground.widgets.theme import apply_theme

    plots = [lab.steps_view.plot, lab.uncrumple_view.input_plot, *lab.uncrumple_view.layer_plots]
    light = lab.palette().color(QPalette.Base)
    assert all(plot.backgroundBrush().color() == light for plot in plots)
    apply_theme(True)
    try:
        qtbot.waitUntil(lambda: all(plot.backgroundBrush().color().lightness() < 100 for plot in plots))  # Qt posts it
        axis = lab.steps_view.plot.getPlotItem().getAxis("left")
        assert axis.textPen().color() == lab.palette().color(QPalette.Text)
    finally:
        apply_theme(False)  # never leave a dark palette to the next test
    qtbot.waitUntil(lambda: all(plot.backgroundBrush().color() == light for plot in plots))


def test_the_main_window_has_the_geometry_dock(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from playground.main_window import MainWindow

    window = MainWindow(settings=QSettings(str(tmp_path / "geometry.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    assert window.docks["Geometry"].objectName() == "geometryDock"
    assert window.panels["Geometry"].objectName() == "geometryLab"
    window.switch_workspace("Learn")
    assert window.docks["Shapes"] in window.tabifiedDockWidgets(window.docks["Geometry"])
    window.close()

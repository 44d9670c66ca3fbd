"""Inside the network (issue 10, section 2): weight templates, activations, the embedding and the
histograms, first without Qt (``playground.core.inside``), then the panel (``insidePanel``) after a
real epoch of training on the bundled sample."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine import examples, inspect
from engine.layers import Dense, Flatten
from engine.utils import set_random_seed
from playground.core import inside


def chapter_network(units: int = 512):
    """The book's network: layer_dense(units = 512, activation = "relu", input_shape = c(28 * 28))."""
    set_random_seed(1)
    return examples.dense_network(units)


# ----- weights --------------------------------------------------------------------------------------
def test_each_template_is_a_column_of_the_first_kernel_as_28_by_28():
    model = chapter_network()
    templates = inside.weight_templates(model)
    kernel = model.layers[next(i for i, layer in enumerate(model.layers) if layer.params)].kernel
    assert templates.kind == "dense" and len(templates) == 512
    for unit in (0, 1, 37, 511):
        np.testing.assert_array_equal(templates.images[unit], kernel[:, unit].reshape(28, 28))
    # row-major, as NumPy's reshape of x_train (the book's array_reshape): pixel (r, c) is row 28 r + c
    assert templates.images[5][3, 7] == kernel[3 * 28 + 7, 5]


def test_what_training_changed_is_the_kernel_minus_its_initial_value():
    model = chapter_network(16)
    start = inside.frozen_copy(model)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    rng = np.random.default_rng(2)
    model.fit(rng.random((64, 784), dtype=np.float32), np.eye(10, dtype=np.float32)[rng.integers(0, 10, 64)],
              epochs=1, verbose=0)
    change = inside.weight_templates(model, initial=start)
    expected = model.layers[0].kernel - start.layers[0].kernel
    np.testing.assert_array_equal(change.images[3], expected[:, 3].reshape(28, 28))
    assert np.abs(change.images).max() > 0


def test_a_convnets_templates_are_its_first_filters():
    set_random_seed(2)
    model = examples.convnet()
    templates = inside.weight_templates(model)
    kernel = model.layers[0].kernel  # (3, 3, 1, 32)
    assert templates.kind == "conv" and templates.images.shape == (kernel.shape[3], 3, 3)
    np.testing.assert_array_equal(templates.images[4], kernel[:, :, 0, 4])


def test_the_colour_scale_is_centred_on_zero():
    rgb = inside.diverging(np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0]), scale=1.0)
    assert tuple(rgb[2]) == (255, 255, 255)  # zero is white
    assert tuple(rgb[0]) == tuple(rgb[1])  # beyond the scale: saturated
    assert tuple(rgb[4]) == tuple(rgb[5])
    assert rgb[1][2] > rgb[1][0] and rgb[4][0] > rgb[4][2]  # negative blue, positive red
    assert tuple(inside.diverging(np.array([0.5]), 1.0)[0]) != tuple(inside.diverging(np.array([-0.5]), 1.0)[0])


def test_a_mosaic_holds_every_tile_in_its_place():
    tiles = np.arange(5 * 2 * 3 * 3, dtype=np.uint8).reshape(5, 2, 3, 3)
    picture = inside.mosaic(tiles, columns=2, gap=1)
    assert picture.shape == (3 * 2 + 2, 2 * 3 + 1, 3)
    np.testing.assert_array_equal(picture[3:5, 4:7], tiles[3])  # row 1, column 1


# ----- activations ---------------------------------------------------------------------------------
def test_activations_show_each_layer_of_a_plain_forward_pass():
    set_random_seed(3)
    model = engine.Sequential([Flatten(input_shape=(28, 28)), Dense(16, activation="relu"),
                               Dense(10, activation="softmax")])
    digit = np.random.default_rng(3).random((28, 28), dtype=np.float32)
    shown = inside.layer_activations(model, digit)
    assert [(each.index, each.kind) for each in shown] == [(1, "bars"), (2, "bars")]  # Flatten only passes pixels on
    expected = inspect.activations(model, digit[None])
    np.testing.assert_array_equal(shown[0].values, expected[1][0])
    np.testing.assert_array_equal(shown[-1].values, expected[-1][0])
    assert "class" in shown[-1].summary


def test_a_convnets_activations_are_maps():
    set_random_seed(4)
    model = examples.convnet()
    shown = inside.layer_activations(model, np.zeros((28, 28), np.float32))
    assert shown[0].kind == "maps" and shown[0].values.shape == (26, 26, 32)
    assert shown[-1].kind == "bars" and shown[-1].values.shape == (10,)


# ----- the embedding -------------------------------------------------------------------------------
def test_principal_axes_agree_with_numpys_svd():
    rng = np.random.default_rng(5)
    points = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12)) + 3.0
    projection = inside.principal_axes(points, 2)
    centred = points - points.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    for k in range(2):
        sign = np.sign(projection.axes[k] @ vt[k])
        np.testing.assert_allclose(projection.axes[k], sign * vt[k], atol=1e-8)
        np.testing.assert_allclose(projection.coordinates[:, k], sign * u[:, k] * s[k], atol=1e-8)
    np.testing.assert_allclose(projection.explained, s[:2] ** 2 / (s ** 2).sum())


def test_more_features_than_points_give_the_same_axes():
    rng = np.random.default_rng(6)
    points = rng.normal(size=(20, 50))
    u, s, vt = np.linalg.svd(points - points.mean(axis=0), full_matrices=False)
    projection = inside.principal_axes(points, 2)
    for k in range(2):
        np.testing.assert_allclose(np.abs(projection.axes[k] @ vt[k]), 1.0, atol=1e-8)


def test_points_on_a_plane_are_recovered_exactly():
    """Rank 2: every point is the centre plus a u + b v, so two axes hold all of the variance."""
    rng = np.random.default_rng(7)
    u, v = np.eye(6)[0] + np.eye(6)[2], np.eye(6)[1] - np.eye(6)[4]
    ab = rng.normal(size=(100, 2)) * [3.0, 1.0]
    points = 5.0 + ab[:, :1] * u + ab[:, 1:] * v
    projection = inside.principal_axes(points, 2)
    np.testing.assert_allclose(projection.explained.sum(), 1.0)
    rebuilt = projection.mean + projection.coordinates @ projection.axes
    np.testing.assert_allclose(rebuilt, points, atol=1e-9)
    for axis in projection.axes:  # the sign convention: the largest loading is positive
        assert axis[np.argmax(np.abs(axis))] > 0


def test_points_that_do_not_vary_sit_at_the_origin():
    projection = inside.principal_axes(np.ones((10, 4)), 2)
    np.testing.assert_array_equal(projection.coordinates, 0)
    np.testing.assert_array_equal(projection.explained, 0)


def test_the_embedding_projects_the_chosen_layers_outputs():
    model = chapter_network(32)
    rng = np.random.default_rng(8)
    images = rng.integers(0, 256, (2500, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 2500)
    choices = inside.embedding_layers(model)
    assert [c.index for c in choices] == [None, 0]  # the pixels, then the hidden layer (not the output)
    layer = inside.default_embedding_layer(choices)
    embedding = inside.embed(model, images, labels, layer)
    assert embedding.coordinates.shape == (2000, 2)
    np.testing.assert_array_equal(embedding.labels, labels[:2000])
    hidden = inspect.layer_output(model, images[:2000].reshape(2000, -1) / np.float32(255), 0)
    expected = inside.principal_axes(hidden, 2).coordinates
    np.testing.assert_allclose(embedding.coordinates, expected, rtol=1e-4, atol=1e-4)


def test_maps_too_wide_to_project_are_not_offered():
    set_random_seed(9)
    choices = inside.embedding_layers(examples.convnet())
    assert all(choice.features <= inside.MAX_EMBED_FEATURES for choice in choices)
    assert choices[-1].caption.startswith("dense")  # the last hidden layer comes last, the default


# ----- histograms ----------------------------------------------------------------------------------
def test_the_histograms_count_every_weight_of_every_layer():
    model = chapter_network(64)
    x = np.random.default_rng(10).random((32, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[np.arange(32) % 10]
    found = inside.layer_histograms(model, x, y, loss="categorical_crossentropy")
    dense = [layer for layer in model.layers if layer.params]
    assert [h.layer_name for h in found] == [layer.name for layer in dense]
    for histograms, layer in zip(found, dense):
        size = sum(w.size for w in layer.get_weights())
        assert histograms.count == size == histograms.weights.total == histograms.gradients.total
        assert histograms.weights.counts.sum() == size  # every weight in a bin: none falls off the edges
    gradients = inspect.loss_gradients(model, x, y, loss="categorical_crossentropy")
    kernel_and_bias = np.concatenate([gradients[0].ravel(), gradients[1].ravel()])
    assert found[0].gradients.rms == pytest.approx(float(np.sqrt(np.mean(kernel_and_bias.astype(float) ** 2))))


def test_a_histogram_of_one_value_or_of_nans_still_counts_them():
    assert inside.histogram(np.zeros(7)).counts.sum() == 7
    broken = inside.histogram(np.array([np.nan, 1.0, np.inf]))
    assert broken.counts.sum() == 1 and broken.not_finite == 2 and broken.total == 3


def test_a_deep_sigmoid_networks_gradients_vanish_towards_the_input():
    """Issue 10's experiment: ten sigmoid layers; the first layers' gradients are far smaller."""
    set_random_seed(11)
    model = engine.Sequential([Flatten(input_shape=(28, 28))] + [Dense(32, activation="sigmoid") for _ in range(10)]
                              + [Dense(10, activation="softmax")])
    rng = np.random.default_rng(12)
    x, y = rng.random((64, 784), dtype=np.float32), np.eye(10, dtype=np.float32)[rng.integers(0, 10, 64)]
    found = inside.layer_histograms(model, x, y, loss="categorical_crossentropy")
    assert found[0].gradients.rms < found[-2].gradients.rms / 100


# ----- computing off the UI thread ------------------------------------------------------------------
def test_only_the_newest_request_of_a_kind_is_delivered_but_every_uncoalesced_one_is(qtbot):
    import threading

    from playground.training.background_jobs import LatestJobs

    jobs = LatestJobs()
    gate = threading.Event()
    delivered = []
    jobs.done.connect(lambda kind, result: delivered.append((kind, result)))
    jobs.submit("blocker", gate.wait)  # holds the worker thread while the requests pile up
    for epoch in range(1, 4):
        jobs.submit("embedding", lambda e=epoch: e)
        jobs.submit("histograms", lambda e=epoch: e, coalesce=False)
    gate.set()
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=30_000)
    assert [r for k, r in delivered if k == "embedding"] == [3]
    assert [r for k, r in delivered if k == "histograms"] == [1, 2, 3]


def test_a_failing_computation_is_reported_not_raised(qtbot):
    from playground.training.background_jobs import LatestJobs

    jobs = LatestJobs()
    with qtbot.waitSignal(jobs.failed, timeout=30_000) as blocker:
        jobs.submit("weights", lambda: 1 / 0)
    assert blocker.args[0] == "weights" and "ZeroDivisionError" in blocker.args[1]


# ----- the panel -------------------------------------------------------------------------------------
LONG = 120_000  # ms: generous, for a busy machine


def wait_for(qtbot, panel, kind):
    """Show ``kind``'s tab and wait until its view shows the newest model."""
    panel.show_tab(kind)
    qtbot.waitUntil(lambda: panel.is_current(kind), timeout=LONG)


def point_position(view, index):
    """Where test digit ``index``'s point is drawn, in the plot's viewport coordinates."""
    spot = view.points()[index][0]
    scene = view.plot.getPlotItem().vb.mapViewToScene(spot)
    return view.plot.mapFromScene(scene)


def loneliest_point(view):
    """The point farthest from its nearest neighbour."""
    found = view.points()
    xy = np.array([[found[i][0].x(), found[i][0].y()] for i in sorted(found)])
    xy = (xy - xy.min(axis=0)) / np.ptp(xy, axis=0)  # as drawn: both axes fill the plot
    distances = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=2))
    np.fill_diagonal(distances, np.inf)
    return int(np.argmax(distances.min(axis=1)))


@pytest.fixture
def window(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from playground.main_window import MainWindow

    window = MainWindow(settings=QSettings(str(tmp_path / "inside.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_after_an_epoch_the_panel_shows_templates_an_embedding_and_histograms(window, qtbot):
    """The chapter's network, one epoch on the bundled sample, seen from the Inside panel."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from playground.panels.inside_views import LABEL_COLOURS

    state, panel = window.state, window.panels["Inside"]
    window.show_panel("Inside")  # in the Inspect workspace
    state.set_settings(epochs=1)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        assert window.controller.start()
    assert state.trained

    wait_for(qtbot, panel, "weights")  # all 512 units of the first Dense layer, 28 x 28 each
    assert panel.templates.count() == 512
    assert panel.legend.labels()[1] == "0" and panel.legend.scale > 0

    wait_for(qtbot, panel, "embedding")  # the sample has 1,000 test digits: all of them, coloured by label
    view, labels = panel.embedding, state.dataset.y_test
    assert view.point_count() == len(labels) == 1000
    assert view.point_colours() == [LABEL_COLOURS[label] for label in labels]
    assert panel.layer_combo.currentText().startswith("dense")  # the hidden layer, not the pixels

    index = loneliest_point(view)  # a click on it hits no other digit's point
    with qtbot.waitSignal(state.digit_requested, timeout=LONG) as opened:
        QTest.mouseClick(view.plot.viewport(), Qt.LeftButton, Qt.NoModifier, point_position(view, index))
    assert opened.args == ["test", index]
    data = window.panels["Data"]
    assert (data.split, data.digit_index.value()) == ("test", index)  # the Data panel shows it

    panel.show_tab("histograms")  # the initial weights, then epoch 1: each curve counts every weight
    qtbot.waitUntil(lambda: [label for label, found in panel.history.entries if found] == ["initial", "epoch 1"],
                    timeout=LONG)
    sizes = [sum(w.size for w in layer.get_weights()) for layer in state.model.layers if layer.params]
    for _, found in panel.history.entries:
        assert [each.weights.counts.sum() for each in found] == sizes
        assert [each.gradients.counts.sum() for each in found] == sizes
    assert len(panel.histograms.plots) == len(sizes)


@pytest.fixture
def standalone(qtbot):
    """The panel alone over a state with a 2,500-digit test set and the chapter's network."""
    from playground.panels.inside_panel import InsidePanel
    from playground.training.state import AppState, Dataset

    rng = np.random.default_rng(20)
    images = rng.integers(0, 256, (2500, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 2500).astype(np.uint8)
    state = AppState(Dataset("random digits", "test", images, labels, images, labels))
    panel = InsidePanel(state)
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    qtbot.waitExposed(panel)
    state.set_model(chapter_network(64), trained=True)
    return panel


def test_the_embedding_places_2000_test_digits(standalone, qtbot):
    wait_for(qtbot, standalone, "embedding")
    assert standalone.embedding.point_count() == inside.EMBEDDED_DIGITS == 2000


def test_the_activations_follow_the_current_digit(standalone, qtbot):
    standalone.show_tab("activations")
    assert "Pick a digit" in standalone.activation_caption.text()  # none chosen yet
    digit = standalone.state.dataset.x_test[3]
    with qtbot.waitSignal(standalone.refreshed, timeout=LONG, check_params_cb=lambda k: k == "activations"):
        standalone.state.set_current_digit(digit, "x_test[3], label 7")
    assert standalone.activation_caption.text().startswith("x_test[3]")
    shown = standalone.activations.rows
    assert len(shown) == 2  # the hidden layer and the output layer, as bars
    hidden = inspect.activations(standalone.state.model, digit.reshape(1, -1) / np.float32(255))[0][0]
    np.testing.assert_allclose(shown[0][1].values, hidden, rtol=1e-5, atol=1e-6)


def test_a_hidden_panel_computes_only_the_histograms(standalone, qtbot):
    qtbot.waitUntil(lambda: standalone.is_current("weights"), timeout=LONG)
    standalone.hide()
    model = chapter_network(64)
    standalone.state.set_model(model, trained=True)
    assert not standalone.jobs.busy("weights") and not standalone.jobs.busy("embedding")
    assert not standalone.is_current("weights")  # out of date, computed when shown
    qtbot.waitUntil(lambda: standalone.history.entries[-1][1] is not None, timeout=LONG)
    standalone.show()  # shown again: what is out of date is computed
    qtbot.waitUntil(lambda: standalone.is_current("weights"), timeout=LONG)


def test_the_change_since_the_initial_weights_needs_them_and_shows_it(standalone, qtbot):
    state = standalone.state
    assert not standalone.change_check.isEnabled()  # the panel never saw this network's initial weights
    model = chapter_network(16)
    state.set_model(model, trained=False)  # a run starts: its initial weights
    start = model.get_weights()
    model.set_weights([w + 0.5 for w in start])  # ... and an epoch later
    state.set_model(model, trained=True)
    assert standalone.change_check.isEnabled()
    standalone.change_check.setChecked(True)
    wait_for(qtbot, standalone, "weights")
    assert "minus their initial values" in standalone.weights_title.text()
    assert standalone.legend.scale == pytest.approx(0.5)  # every weight moved by 0.5


def test_the_data_panels_digit_and_the_drawing_become_the_current_digit(qtbot):
    from playground.core.data_loading import load_sample_dataset
    from playground.panels.data_panel import DataPanel
    from playground.training.state import AppState

    state = AppState(load_sample_dataset())
    data = DataPanel(state)
    qtbot.addWidget(data)
    with qtbot.waitSignal(state.current_digit_changed, timeout=LONG):
        data.show_digit("test", 12)
    image, caption = state.current_digit
    assert caption == f"x_test[12], label {state.dataset.y_test[12]}"
    np.testing.assert_allclose(image, state.dataset.x_test[12] / 255, atol=1e-6)
    with qtbot.assertNotEmitted(state.current_digit_changed):
        state.set_current_digit(state.dataset.x_test[12], caption)  # the same digit again: no news
    from PySide6.QtCore import QPoint

    from playground.panels.draw_panel import DrawPanel
    from tests.playground.test_draw_panel import drag

    draw = DrawPanel(state)
    qtbot.addWidget(draw)
    draw.show()
    qtbot.waitExposed(draw)
    with qtbot.waitSignal(state.current_digit_changed, timeout=LONG):
        drag(draw.canvas, [QPoint(140, 40), QPoint(140, 140), QPoint(140, 240)])
    image, caption = state.current_digit
    assert caption == "your drawing"
    np.testing.assert_array_equal(image, draw.network_input())
    data.show_digit("test", 12)  # the learner looks at a test digit again...
    with qtbot.assertNotEmitted(state.current_digit_changed):
        state.set_model(chapter_network(16))  # ...and the Draw panel predicting again does not take over
    assert state.current_digit[1].startswith("x_test[12]")


def test_a_convnet_shows_its_filters_and_feature_maps(standalone, qtbot):
    set_random_seed(21)
    standalone.state.set_model(examples.convnet(), trained=True)
    wait_for(qtbot, standalone, "weights")
    assert standalone.templates.count() == 32  # the first Conv2D layer's filters
    assert "3 x 3" in standalone.weights_title.text()
    standalone.state.set_current_digit(standalone.state.dataset.x_test[0], "x_test[0]")
    wait_for(qtbot, standalone, "activations")
    views = [view for _, view in standalone.activations.rows]
    assert not views[0].pixmap().isNull()  # conv2d's 32 maps as pictures
    assert len(views[-1].values) == 10  # the 10 outputs as bars
    captions = [standalone.layer_combo.itemText(i) for i in range(standalone.layer_combo.count())]
    assert captions[0].startswith("the pixels") and captions[-1].startswith("dense")
    assert not any(caption.startswith("conv2d (") for caption in captions)  # 21,632 values: too wide to project


def test_a_snapshot_rebuilds_the_same_network_without_random_draws():
    from engine import backend

    model = examples.convnet()
    snapshot = inside.Snapshot(model)
    state = backend.rng().bit_generator.state
    rebuilt = snapshot.model
    assert backend.rng().bit_generator.state == state  # a seeded run stays the same
    for mine, theirs in zip(rebuilt.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    x = np.random.default_rng(22).random((2, 28, 28, 1), dtype=np.float32)
    np.testing.assert_array_equal(rebuilt.predict(x), model.predict(x))
    model.set_weights([w + 1 for w in model.get_weights()])  # the original trains on
    assert not inside.Snapshot(model).same_weights(snapshot) and snapshot.same_weights(inside.Snapshot(rebuilt))


def test_after_another_epoch_the_same_digits_move_and_stay_clickable(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from playground.panels.inside_views import EmbeddingView

    view = EmbeddingView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(23)
    labels, images = rng.integers(0, 10, 300), np.zeros((300, 28, 28), np.uint8)
    layer = inside.EmbeddingLayer(0, "dense", 64)
    for epoch in range(2):  # the second time only the points' places change
        xy = rng.normal(size=(300, 2)).astype(np.float32)
        view.set_embedding(inside.Embedding(xy, labels, np.array([0.3, 0.2]), layer), images)
    found = view.points()
    np.testing.assert_allclose([[found[i][0].x(), found[i][0].y()] for i in range(300)], xy, rtol=1e-6)
    index = loneliest_point(view)
    with qtbot.waitSignal(view.clicked, timeout=LONG) as clicked:
        QTest.mouseClick(view.plot.viewport(), Qt.LeftButton, Qt.NoModifier, point_position(view, index))
    assert clicked.args == [index]


def test_a_diverged_network_is_said_so_and_loses_nothing(standalone, qtbot):
    model = chapter_network(16)
    model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])
    standalone.state.set_model(model, trained=True, problem="The loss became NaN: the network diverged.")
    assert "diverged" in standalone.status.text()
    wait_for(qtbot, standalone, "embedding")
    assert "not all finite" in standalone.embedding_status.text() and standalone.embedding.point_count() == 0
    wait_for(qtbot, standalone, "weights")
    assert standalone.templates.count() == 16  # NaN weights drawn white: nothing to see, nothing broken
    standalone.show_tab("histograms")
    qtbot.waitUntil(lambda: standalone.is_current("histograms"), timeout=LONG)
    last = standalone.history.entries[-1][1]
    assert [h.weights.not_finite for h in last] == [784 * 16 + 16, 16 * 10 + 10]  # counted, not binned


def test_hovering_a_point_shows_its_digit(qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    from playground.panels.inside_views import EmbeddingView

    view = EmbeddingView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    qtbot.waitExposed(view)
    rng = np.random.default_rng(24)
    labels = rng.integers(0, 10, 200)
    images = rng.integers(0, 256, (200, 28, 28)).astype(np.uint8)
    xy = rng.normal(size=(200, 2)).astype(np.float32)
    view.set_embedding(inside.Embedding(xy, labels, np.array([0.3, 0.2]), inside.EmbeddingLayer(0, "dense", 64)),
                       images)
    index = loneliest_point(view)
    hovered, wiggle = [], iter(range(10**6))
    view.hovered.connect(hovered.append)

    def hover():  # the plot settles after the axis titles are set: move onto the point until it answers
        spot = point_position(view, index) + QPoint(next(wiggle) % 2, 0)  # a move needs a new place
        QTest.mouseMove(view.plot.viewport(), spot)
        return bool(hovered)

    qtbot.waitUntil(hover, timeout=LONG)
    assert set(hovered) == {index}
    np.testing.assert_array_equal(view.digit_view.values(), images[index])
    assert view.digit_caption.text().startswith(f"test digit {index} (R: {index + 1}), label {labels[index]}")


def test_the_histograms_title_counts_the_curves_it_shows(standalone, qtbot):
    standalone.show_tab("histograms")
    qtbot.waitUntil(lambda: standalone.is_current("histograms") and bool(standalone.histograms_title.text()),
                    timeout=LONG)
    title = standalone.histograms_title.text()
    assert "one curve so far (epoch 1)" in title and "from faint" not in title  # one curve is not a range
    model = standalone.state.model
    model.set_weights([w * 0.9 for w in model.get_weights()])  # another epoch
    standalone.state.set_model(model, trained=True)
    qtbot.waitUntil(lambda: "from faint (epoch 1) to strong (epoch 2)" in standalone.histograms_title.text(),
                    timeout=LONG)


def test_feature_maps_wrap_to_a_narrow_panel_instead_of_being_cut_off(standalone, qtbot):
    set_random_seed(25)
    standalone.state.set_model(examples.convnet(), trained=True)
    standalone.resize(560, 600)
    standalone.state.set_current_digit(standalone.state.dataset.x_test[0], "x_test[0]")
    wait_for(qtbot, standalone, "activations")
    first = standalone.activations.rows[0][1]  # conv2d's 32 maps of 26 x 26, each about 40 pixels
    qtbot.waitUntil(lambda: 0 < first.width() < 560 and first.height() == first.heightForWidth(first.width()))
    picture = first.pixmap()
    assert 0 < picture.width() <= first.width()  # every map in sight
    assert picture.height() <= first.height()  # and every row: the view is as tall as its rows
    wide = first.columns(10**6)
    assert wide == 16 and first.columns() < wide
    columns = first.columns()
    rows = -(-32 // columns)
    assert 32 - (rows - 1) * columns >= columns / 2  # spread over the rows: no last row of two maps

"""The live loss and accuracy plots keep their size while training: a tick label that gets shorter
("0.25" after "0.125") must not hand its space back, which resized the plot and redrew all of it
(the longest stalls of the UI thread during training)."""
from __future__ import annotations

from playground.panels.training_plots import TrainingPlots


def test_the_plot_area_does_not_grow_back_when_tick_labels_get_shorter(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(700, 300)
    plots.show()
    qtbot.waitExposed(plots)
    view = plots.plots["loss"].getViewBox()
    plots.plots["loss"].setYRange(0.1234, 0.1236, padding=0)  # long labels: 0.12345...
    narrow = settled_width(qtbot, view)
    plots.plots["loss"].setYRange(0, 2, padding=0)  # short labels: 0, 0.5, 1...
    assert settled_width(qtbot, view) == narrow


def settled_width(qtbot, view) -> float:
    """The view's width once the axes have laid out their labels (it no longer changes)."""
    widths = [view.width()]

    def steady() -> bool:
        widths.append(view.width())
        return len(widths) > 3 and widths[-1] == widths[-2] == widths[-3]
    qtbot.waitUntil(steady, timeout=5000)  # polled every 10 ms or so
    qtbot.wait(100)
    assert view.width() == widths[-1]
    return widths[-1]


def test_a_frame_moves_one_y_axis_and_the_next_frame_the_other(qtbot):
    """Redrawing a plot whose range changed costs a whole repaint: when the loss and the accuracy
    both leave their views, they take turns, one frame each, instead of doubling one pause."""
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.add_run(1, "run 1")
    plots.add_batches(1, "run 1", [0.1, 0.2, 0.3], [5.0, 4.0, 3.0], [0.95, 0.97, 0.99])
    before = y_ranges(plots)

    next_frame(plots)
    first = y_ranges(plots)
    moved = [metric for metric in before if first[metric] != before[metric]]
    assert moved == ["loss"]

    next_frame(plots)
    second = y_ranges(plots)
    assert [metric for metric in first if second[metric] != first[metric]] == ["accuracy"]

    next_frame(plots)
    assert y_ranges(plots) == second
    run = plots.runs[1]
    for column, metric in enumerate(("loss", "accuracy")):  # each axis fits the (smoothed) curve it shows
        low, high = second[metric]
        shown = run.values(column)
        assert low <= shown.min() and shown.max() <= high
    assert second["loss"][1] > 3  # the loss left [0, 1] upwards...
    assert second["accuracy"][1] - second["accuracy"][0] < 0.5  # ...and the accuracy got a snug fit


def test_an_export_fits_both_y_axes_at_once(qtbot, tmp_path):
    """A forced frame (File > Export plots, a pause) must not show one axis still behind its data."""
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.add_run(1, "run 1")
    plots.add_batches(1, "run 1", [0.1, 0.2, 0.3], [5.0, 4.0, 3.0], [0.95, 0.97, 0.99])
    before = y_ranges(plots)
    assert plots.export_png(tmp_path)
    after = y_ranges(plots)
    assert after["loss"] != before["loss"] and after["accuracy"] != before["accuracy"]


def next_frame(plots) -> None:
    """What the redraw timer does when the next frame is due."""
    plots._next_frame = 0.0  # due now, whatever the frame budget said
    plots.redraw()


def test_the_grid_has_major_and_minor_lines_only(qtbot):
    """A third level of grid lines (one faint line every few pixels) made each redraw of a moving
    axis several times dearer; the major and minor ticks keep their labels."""
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    for plot in plots.plots.values():
        for name in ("left", "bottom"):
            levels = plot.getAxis(name).tickSpacing(0.0, 2.3, 300)
            assert [spacing for spacing, _ in levels] == [1.0, 0.5]


def y_ranges(plots) -> dict:
    return {metric: tuple(plot.getViewBox().viewRange()[1]) for metric, plot in plots.plots.items()}

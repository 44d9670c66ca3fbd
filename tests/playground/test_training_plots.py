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

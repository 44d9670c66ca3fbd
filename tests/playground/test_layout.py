"""The workspaces' default layouts at common screen sizes: what the learner must see without scrolling.

The window is rendered offscreen at 1024x700, 1366x768 and 1920x1080 and each check is a
geometry fact (a widget's rectangle inside its dock's viewport, columns that fit, counts that
fit their cells), never a comparison of pixels with a reference picture. Train is checked
panel by panel (the window opens in it); Learn and Inspect for panels that fit their columns.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget

from playground.core import workspaces
from playground.main_window import MainWindow
from playground.panels.evaluate_panel import COUNT_SCALE
from playground.panels.network_panel import SHAPE
from playground.training.state import Dataset, Evaluation, LayerSpec

SIZES = [(1024, 700), (1366, 768), (1920, 1080)]
THIRTEEN_LAYERS = tuple(LayerSpec(64, "relu") for _ in range(13))


@pytest.fixture
def make_window(qtbot, tmp_path):
    def make(width: int, height: int) -> MainWindow:
        window = MainWindow(settings=QSettings(str(tmp_path / "layout.ini"), QSettings.IniFormat))
        qtbot.addWidget(window)
        window.resize(width, height)
        window.show()
        qtbot.waitExposed(window)
        settle(qtbot)
        return window

    return make


def settle(qtbot) -> None:
    """Let queued layout requests run (docks, tabs, wrapped labels)."""
    for _ in range(3):
        qtbot.wait(30)


def show(window: MainWindow, qtbot, *titles: str) -> None:
    for title in titles:
        window.docks[title].raise_()
    settle(qtbot)


def viewport_of(widget: QWidget) -> QWidget:
    """The viewport of the dock's scroll area that holds ``widget``."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QScrollArea):
        parent = parent.parentWidget()
    assert parent is not None, f"{widget.objectName()} is not in a scroll area"
    return parent.viewport()


def rect_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


def fully_shown(widget: QWidget) -> bool:
    """``widget`` is visible and entirely inside its scroll area's viewport (nothing to scroll to)."""
    viewport = viewport_of(widget)
    return widget.isVisible() and viewport.rect().contains(rect_in(widget, viewport))


def digits_shown(grid) -> int:
    """How many of a DigitGrid's digits are entirely inside its scroll area's viewport."""
    viewport = viewport_of(grid)
    rects = (grid.item_rect(i) for i in range(grid.count()))
    return sum(viewport.rect().contains(QRect(grid.mapTo(viewport, rect.topLeft()), rect.size())) for rect in rects)


def in_view(window: MainWindow, title: str) -> bool:
    dock = window.docks[title]
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def shown_height(widget: QWidget) -> int:
    """How many of ``widget``'s rows are inside its scroll area's viewport."""
    return rect_in(widget, viewport_of(widget)).intersected(viewport_of(widget).rect()).height()


def stacks_of(name: str, window: MainWindow) -> list[tuple[str, ...]]:
    return [stack.tabs for column in workspaces.named(name).present(window.docks).columns for stack in column.stacks]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_train_takes_the_size_with_the_setup_beside_the_results_and_draw_in_view(make_window, qtbot, size):
    window = make_window(*size)
    assert window.workspace == "Train"
    assert (window.width(), window.height()) == size  # no panel forces the window wider or taller
    for tabs in (("Data", "Network", "Optimizer"), ("Training", "Evaluate")):
        docks = [window.docks[title] for title in tabs]
        assert all(set(window.tabifiedDockWidgets(dock)) == set(docks) - {dock} for dock in docks)
    left, right, draw = window.docks["Network"], window.docks["Training"], window.docks["Draw"]
    assert left.x() + left.width() <= right.x()
    if size[0] >= 1366:  # the columns keep their shares of the width; at 1024 the right column's panels need theirs
        assert abs(left.width() / (left.width() + right.width()) - 0.4) < 0.02
    # Draw under the curves, in view beside no tab, and never scrolled sideways
    assert window.tabifiedDockWidgets(draw) == [] and in_view(window, "Draw")
    assert draw.x() == right.x() and draw.y() >= right.y() + right.height()
    if size[0] >= 1366:  # at 1024 the Data panel keeps its width and Draw its vertical scroll bar's
        assert draw.widget().horizontalScrollBar().maximum() == 0
    canvas = window.panels["Draw"].canvas
    if size[1] >= 1080:  # the whole panel: canvas, prediction, bars and why
        assert draw.widget().verticalScrollBar().maximum() == 0
        assert fully_shown(canvas) and fully_shown(window.panels["Draw"].chart)
    else:  # below the Training panel's minimum height: most of the canvas, the rest a scroll away
        assert shown_height(canvas) >= (0.9 if size[1] >= 768 else 0.65) * canvas.height()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", workspaces.names())
def test_each_workspaces_panels_fit_their_columns_width(make_window, qtbot, size, name):
    window = make_window(*size)
    window.switch_workspace(name)
    settle(qtbot)
    assert (window.width(), window.height()) == size
    for tabs in stacks_of(name, window):
        for title in tabs:
            show(window, qtbot, title)
            assert in_view(window, title), (name, title)
            panel = window.panels[title]
            if (title == "Optimizer" or title == "Draw") and size[0] < 1366:
                continue  # at 1024 the Data panel has the left column's width: the Optimizer and Draw scroll
            assert panel.width() >= panel.minimumSizeHint().width(), (name, title)  # nothing squeezed
            holder = window.docks[title].widget()
            if isinstance(holder, QScrollArea):
                assert holder.horizontalScrollBar().maximum() == 0, (name, title)  # nothing to scroll sideways to


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_learn_shows_the_guide_over_the_console_beside_the_labs(make_window, qtbot, size):
    window = make_window(*size)
    window.switch_workspace("Learn")
    settle(qtbot)
    guide, console, shapes = (window.docks[t] for t in ("Guide", "Console", "Shapes"))
    assert all(in_view(window, title) for title in ("Guide", "Console", "Shapes"))
    assert guide.x() == console.x() and console.y() >= guide.y() + guide.height()
    assert guide.x() + guide.width() <= shapes.x()
    assert window.panels["Console"].input.isVisible()  # the console's input line is never pushed out
    first_button = next(iter(window.panels["Guide"].buttons.values()))
    assert fully_shown(first_button)  # the guide's buttons are not cut off at its right edge


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_inspect_shows_the_results_beside_inside_the_network(make_window, qtbot, size):
    window = make_window(*size)
    window.switch_workspace("Inspect")
    settle(qtbot)
    evaluate, inside = window.docks["Evaluate"], window.docks["Inside"]
    assert in_view(window, "Evaluate") and in_view(window, "Inside")
    assert evaluate.x() + evaluate.width() <= inside.x()
    assert window.docks["My digits"] in window.tabifiedDockWidgets(evaluate)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_layer_table_is_never_cut_off_and_the_total_stays_in_view(make_window, qtbot, size):
    window = make_window(*size)
    panel = window.panels["Network"]
    table = panel.table
    for layers in ((LayerSpec(512, "relu"),), THIRTEEN_LAYERS):
        window.state.set_layers(layers)
        show(window, qtbot, "Network")
        header = table.horizontalHeader()
        shown = [c for c in range(table.columnCount()) if not table.isColumnHidden(c)]
        assert sum(header.sectionSize(c) for c in shown) <= table.viewport().width()  # the columns fit
        assert all(header.sectionSize(c) >= table.natural_width(c) for c in shown)  # none squeezed
        assert fully_shown(table)  # the table's right edge is not under the dock's edge
        assert fully_shown(panel.total_label), f"Total params scrolled out of view with {len(layers)} layers"
        assert fully_shown(panel.code_label)
        assert viewport_of(table).parentWidget().horizontalScrollBar().maximum() == 0
    if size[0] >= 1366:
        assert not table.isColumnHidden(SHAPE)  # the Output shape column has room


@pytest.mark.parametrize("size", SIZES[1:], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_keras_code_needs_no_scrolling(make_window, qtbot, size):
    window = make_window(*size)
    show(window, qtbot, "Optimizer")
    code = window.findChild(QLabel, "kerasCodeLabel")
    for optimizer in ("rmsprop", "sgd", "adam", "adagrad"):  # each shows its own hyperparameters
        window.state.set_settings(optimizer=optimizer, validation_split=0.2, train_size=3000)
        settle(qtbot)
        assert fully_shown(code), optimizer
        area = viewport_of(code).parentWidget()
        assert area.verticalScrollBar().maximum() == 0 and area.horizontalScrollBar().maximum() == 0, optimizer


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_data_panel_shows_rows_of_digits(make_window, qtbot, size):
    window = make_window(*size)
    data = window.panels["Data"]
    show(window, qtbot, "Data")
    data.tabs.setCurrentIndex(0)
    settle(qtbot)
    assert data.neighbours.count() == 40
    assert digits_shown(data.neighbours) > 10  # the strip under the big digit
    data.slice_edit.setText("x_train[9:99]")
    data.tabs.setCurrentIndex(1)
    settle(qtbot)
    grid = data.slice_grid
    assert grid.count() == 90
    assert digits_shown(grid) >= 3 * grid.columns()  # three full rows of the slice, not 1.3


def full_mnist_like() -> tuple[Dataset, Evaluation]:
    """10,000 test digits that begin like the full MNIST's, and predictions with four-digit counts
    on the diagonal (1135 ones, 1009 nines): only the full MNIST has counts that large."""
    y_true = np.repeat(np.arange(10), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]).astype(np.int64)
    y_true[:10] = (7, 2, 1, 0, 4, 1, 4, 9, 5, 9)
    y_pred = y_true.copy()
    y_pred[10::97] = (y_true[10::97] + 3) % 10
    images, labels = np.zeros((len(y_true), 28, 28), dtype=np.uint8), y_true.astype(np.uint8)
    dataset = Dataset("MNIST", "mnist.npz", images[:600], labels[:600], images, labels)
    evaluation = Evaluation(loss=0.07, accuracy=float(np.mean(y_true == y_pred)), y_true=y_true, y_pred=y_pred,
                            probabilities=np.eye(10, dtype=np.float32)[y_pred])
    return dataset, evaluation


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_four_digit_counts_fit_the_confusion_matrix(make_window, qtbot, size):
    window = make_window(*size)
    dataset, evaluation = full_mnist_like()
    window.state.set_dataset(dataset)
    window.state.set_evaluation(evaluation)
    window.switch_workspace("Inspect")  # Train shows the accuracy over Draw; Inspect gives the matrix the height
    show(window, qtbot, "Evaluate")
    view = window.panels["Evaluate"].confusion
    assert view._matrix.max() >= 1000
    # a busy machine may still be running the dock's queued resizes: wait for them, not a fixed time
    qtbot.waitUntil(lambda: fully_shown(view), timeout=10_000)
    normal = view.font().pointSizeF() * COUNT_SCALE
    qtbot.waitUntil(lambda: view.count_font().pointSizeF() == pytest.approx(normal), timeout=10_000)  # not shrunk to fit
    metrics = QFontMetricsF(view.count_font())
    for true in range(10):
        for predicted in range(10):
            text = str(int(view._matrix[true, predicted]))
            assert metrics.horizontalAdvance(text) <= view.cell_rect(true, predicted).width() - 2, text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_long_status_message_ends_before_the_dataset_name(make_window, qtbot, size):
    window = make_window(*size)
    bar, label = window.statusBar(), window.dataset_label
    quiet = bar.grab(rect_in(label, bar))
    message = "The loss became NaN: the learning rate is probably too high. " * 6
    bar.showMessage(message)
    settle(qtbot)
    assert bar.currentMessage() == message  # QStatusBar's API is unchanged
    assert bar.message_rect().right() < label.x()
    shown = bar.shown_message()
    assert shown.endswith("…") and QFontMetricsF(bar.font()).horizontalAdvance(shown) <= bar.message_rect().width()
    assert bar.toolTip() == message  # the whole text on hover
    assert bar.grab(rect_in(label, bar)).toImage() == quiet.toImage()  # nothing drawn under the label


def test_the_column_shares_follow_the_window_and_survive_a_layout_reset(make_window, qtbot):
    window = make_window(1366, 768)
    left, right = window.docks["Network"], window.docks["Training"]

    def share():
        return left.width() / (left.width() + right.width())

    for size in ((1920, 1080), (1366, 768), (1600, 900)):
        window.resize(*size)
        settle(qtbot)
        assert abs(share() - 0.4) < 0.02, size  # Qt alone split 1920 evenly
    window.resizeDocks([left, right], [900, 700], Qt.Horizontal)
    window.reset_layout()
    settle(qtbot)
    assert abs(share() - 0.4) < 0.02


def test_a_layout_saved_before_the_workspaces_is_not_restored(qtbot, tmp_path):
    ini = str(tmp_path / "old.ini")
    old = MainWindow(settings=QSettings(ini, QSettings.IniFormat))
    qtbot.addWidget(old)
    old.splitDockWidget(old.docks["Data"], old.docks["Optimizer"], Qt.Vertical)  # the old stacked arrangement
    for version in (0, 2):  # as earlier versions saved it: before the tab groups, before the workspaces
        old.store.setValue("window/state", old.saveState(version))
        old.store.setValue(workspaces.state_key("Train"), old.saveState(version))
        old.store.sync()
        window = MainWindow(settings=QSettings(ini, QSettings.IniFormat))
        qtbot.addWidget(window)
        assert window.docks["Optimizer"] in window.tabifiedDockWidgets(window.docks["Network"]), version
        assert window.docks["Console"].isHidden() and not window.docks["Draw"].isHidden()  # Train, as it comes


def test_a_dragged_separator_sets_the_share_that_resizes_keep(make_window, qtbot):
    window = make_window(1366, 768)
    left, right = window.docks["Network"], window.docks["Training"]
    gap = (left.geometry().right() + right.geometry().left()) // 2  # the separator between the columns
    start, end = QPoint(gap, window.height() // 2), QPoint(gap + 150, window.height() // 2)
    QTest.mouseMove(window, start)
    QTest.mousePress(window, Qt.LeftButton, Qt.NoModifier, start)
    try:
        for step in range(1, 6):
            QTest.mouseMove(window, start + (end - start) * step / 5)
            qtbot.wait(10)  # the window moves its separator on a zero-time timer
    finally:
        QTest.mouseRelease(window, Qt.LeftButton, Qt.NoModifier, end)
    settle(qtbot)
    dragged = left.width() / (left.width() + right.width())
    assert dragged > 0.45  # the learner widened the left column
    window.resize(1920, 1080)
    settle(qtbot)
    assert abs(left.width() / (left.width() + right.width()) - dragged) < 0.02

"""The Evaluate panel: test metrics, first ten predictions, confusion matrix, misclassified digits."""
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QFontMetricsF, QMouseEvent
from PySide6.QtWidgets import QApplication, QBoxLayout, QLabel, QPushButton

from playground.panels.evaluate_panel import BOOK_FIRST_TEN, COUNT_SCALE, PLACEHOLDER, ConfusionMatrix, EvaluatePanel
from playground.training.state import AppState, Dataset, Evaluation
from playground.widgets.theme import error_colour

N_TEST = 200


def make_state() -> AppState:
    rng = np.random.default_rng(2)
    y_test = (np.arange(N_TEST) % 10).astype(np.uint8)
    x = rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8)
    return AppState(Dataset("Synthetic", "/tmp/synthetic.npz", x, y_test, x.copy(), y_test))


def make_evaluation() -> Evaluation:
    """200 test digits; four mistakes with known confidences: 4->9 at 0.6 and 0.9, 7->1 at 0.7, 3->5 at 0.55."""
    y_true = (np.arange(N_TEST) % 10).astype(np.int64)
    y_pred = y_true.copy()
    probabilities = np.full((N_TEST, 10), 0.01, dtype=np.float32)
    probabilities[np.arange(N_TEST), y_true] = 0.91
    for index, predicted, confidence in ((14, 9, 0.6), (24, 9, 0.9), (17, 1, 0.7), (3, 5, 0.55)):
        y_pred[index] = predicted
        probabilities[index] = (1 - confidence) / 9
        probabilities[index, predicted] = confidence
    accuracy = float(np.mean(y_true == y_pred))
    return Evaluation(loss=0.0712, accuracy=accuracy, y_true=y_true, y_pred=y_pred, probabilities=probabilities)


@pytest.fixture
def panel(qtbot):
    widget = EvaluatePanel(make_state())
    qtbot.addWidget(widget)
    widget.resize(520, 900)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_placeholder_and_disabled_button_without_a_model(panel):
    assert panel.objectName() == "evaluatePanel"
    assert panel.pages.currentWidget() is panel.placeholder
    assert panel.findChild(QLabel, "evaluationPlaceholder").text() == PLACEHOLDER
    assert not panel.findChild(QPushButton, "evaluateButton").isEnabled()


def test_evaluate_button_follows_the_model_and_requests_an_evaluation(panel, qtbot):
    state = panel.state
    state.set_model(state.build_model(), trained=True)
    button = panel.findChild(QPushButton, "evaluateButton")
    assert button.isEnabled()
    with qtbot.waitSignal(state.evaluation_requested, timeout=1000):
        button.click()
    state.set_model(None)
    assert not button.isEnabled()


def test_shows_metrics_and_first_ten_predictions(panel):
    panel.state.set_evaluation(make_evaluation())
    assert panel.pages.currentWidget() is not panel.placeholder
    assert panel.findChild(QLabel, "testAccuracy").text() == "Test accuracy 98.0%"
    assert panel.findChild(QLabel, "testLoss").text() == "loss 0.0712"
    assert "196 of 200 test digits right, 4 wrong" in panel.summary_label.text()
    predicted = panel.findChild(QLabel, "firstPredictions").text()
    assert predicted.startswith("0 1 2 ") and f'color:{error_colour()}">5</b>' in predicted  # digit 3 was read as 5
    assert panel.findChild(QLabel, "firstLabels").text() == "0 1 2 3 4 5 6 7 8 9"


def laid_out() -> None:
    """Run the pending layout requests now (a new matrix resizes its cells), so positions hold."""
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def test_confusion_matrix_counts_and_hover(panel, qtbot):
    evaluation = make_evaluation()
    panel.state.set_evaluation(evaluation)
    laid_out()
    view = panel.confusion
    np.testing.assert_array_equal(view._matrix, evaluation.confusion)
    assert evaluation.confusion[4, 9] == 2 and evaluation.confusion[4, 4] == 18
    hover(view, view.cell_rect(4, 9).center())
    assert view.hover_text == "true 4 predicted 9: 2 digits"
    hover(view, view.cell_rect(7, 7).center())
    assert view.hover_text == "true 7 predicted 7: 19 digits"
    hover(view, QPointF(1, view.height() - 1))
    assert view.hover_text == ""


def hover(widget, pos: QPointF) -> None:
    """A mouse move sent to ``widget`` itself: no window system in between, so a message box
    left open by another test cannot swallow it."""
    event = QMouseEvent(QEvent.Type.MouseMove, pos, widget.mapToGlobal(pos), Qt.MouseButton.NoButton,
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def test_misclassified_digits_most_confident_first(panel):
    panel.state.set_evaluation(make_evaluation())
    grid = panel.mistakes_grid
    assert [grid.key(i) for i in range(grid.count())] == [24, 17, 14, 3]
    assert grid.caption(0) == "true 4 → 9 (90%)"
    assert grid.caption(3) == "true 3 → 5 (55%)"
    assert "4 misclassified test digits" in panel.mistakes_label.text()


def test_clicking_a_misclassified_digit_requests_it_in_the_data_panel(panel, qtbot):
    panel.state.set_evaluation(make_evaluation())
    laid_out()
    grid = panel.mistakes_grid
    with qtbot.waitSignal(panel.state.digit_requested, timeout=1000) as request:
        qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.item_rect(1).center())
    assert request.args == ["test", 17]


def test_clicking_a_confusion_cell_filters_the_mistakes(panel, qtbot):
    panel.state.set_evaluation(make_evaluation())
    laid_out()
    view, grid = panel.confusion, panel.mistakes_grid
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.cell_rect(4, 9).center().toPoint())
    assert [grid.key(i) for i in range(grid.count())] == [24, 14]
    assert "2 digits with true 4 predicted as 9" in panel.mistakes_label.text()
    assert panel.show_all_button.isVisible()
    panel.show_all_button.click()
    assert grid.count() == 4 and not panel.show_all_button.isVisible()


def test_back_to_the_placeholder_when_the_evaluation_goes(panel):
    panel.state.set_evaluation(make_evaluation())
    panel.state.set_evaluation(None)
    assert panel.pages.currentWidget() is panel.placeholder
    assert panel.findChild(QLabel, "testAccuracy").text() == "Test accuracy –"


def test_a_stale_evaluation_for_other_test_digits_does_not_crash(panel):
    panel.state.set_dataset(Dataset("Tiny", "/tmp/t.npz", *(np.zeros((5, 28, 28), np.uint8), np.zeros(5, np.uint8)) * 2))
    panel.state.set_evaluation(make_evaluation())  # 200 predictions, 5 test digits loaded
    assert panel.mistakes_grid.count() == 0
    assert "4 misclassified" in panel.mistakes_label.text()


def test_without_a_dataset_the_panel_still_draws(qtbot):
    panel = EvaluatePanel(AppState())
    qtbot.addWidget(panel)
    assert panel.pages.currentWidget() is panel.placeholder
    panel.state.set_evaluation(make_evaluation())
    assert panel.accuracy_label.text() == "Test accuracy 98.0%" and panel.mistakes_grid.count() == 0


def test_matrix_sits_beside_the_mistakes_in_a_wide_dock_and_above_them_in_a_tall_one(panel, qtbot):
    panel.state.set_evaluation(make_evaluation())
    panel.resize(900, 420)
    qtbot.waitUntil(lambda: panel.matrix_and_mistakes.direction() == QBoxLayout.Direction.LeftToRight)
    assert panel.minimumSizeHint().height() <= 420  # fits a short dock now

    def left(widget):
        return widget.mapTo(panel, QPoint(0, 0))

    grid_area = panel.mistakes_grid.parentWidget()
    qtbot.waitUntil(lambda: left(panel.confusion).x() + panel.confusion.width() <= left(grid_area).x())
    panel.resize(500, 900)
    qtbot.waitUntil(lambda: panel.matrix_and_mistakes.direction() == QBoxLayout.Direction.TopToBottom)
    qtbot.waitUntil(lambda: left(panel.confusion).y() + panel.confusion.height() <= left(grid_area).y())


def full_mnist_like_evaluation() -> tuple[Dataset, Evaluation]:
    """10,000 test digits that begin like the full MNIST's, with four-digit counts (1125, 1009) on the diagonal."""
    y_true = np.repeat(np.arange(10), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]).astype(np.int64)
    y_true[:10] = BOOK_FIRST_TEN
    y_pred = y_true.copy()
    y_pred[10:20] = (y_true[10:20] + 1) % 10  # ten mistakes
    probabilities = np.eye(10, dtype=np.float32)[y_pred]
    images = np.zeros((len(y_true), 28, 28), dtype=np.uint8)
    labels = y_true.astype(np.uint8)
    dataset = Dataset("MNIST", "mnist.npz", images[:100], labels[:100], images, labels)
    return dataset, Evaluation(loss=0.07, accuracy=float(np.mean(y_true == y_pred)), y_true=y_true, y_pred=y_pred,
                               probabilities=probabilities)


def count_fits(view, true, predicted) -> bool:
    text = str(int(view._matrix[true, predicted]))
    return QFontMetricsF(view.count_font()).horizontalAdvance(text) <= view.cell_rect(true, predicted).width() - 2


def test_four_digit_counts_fit_their_cells(qtbot):
    dataset, evaluation = full_mnist_like_evaluation()
    panel = EvaluatePanel(AppState(dataset))
    qtbot.addWidget(panel)
    view = panel.confusion
    three_digits = view.minimumSizeHint()
    panel.state.set_evaluation(evaluation)
    assert view._matrix.max() >= 1000
    assert view.minimumSizeHint().width() > three_digits.width()  # cells sized for the widest count
    for size in ((520, 900), (900, 560)):
        panel.resize(*size)
        panel.show()
        qtbot.waitUntil(lambda: view.isVisible() and view.width() >= view.minimumSizeHint().width()
                        and view.height() >= view.minimumSizeHint().height())  # laid out at this size
        assert view.count_font().pointSizeF() == pytest.approx(view.font().pointSizeF() * COUNT_SCALE)  # not shrunk
        assert all(count_fits(view, t, p) for t in range(10) for p in range(10))


def test_a_squeezed_matrix_shrinks_its_counts_until_they_fit(qtbot):
    view = ConfusionMatrix()
    qtbot.addWidget(view)
    view.set_matrix(full_mnist_like_evaluation()[1].confusion)
    view.resize(view.minimumSizeHint() * 0.8)
    assert view.count_font().pointSizeF() < view.font().pointSizeF() * COUNT_SCALE
    assert all(count_fits(view, t, p) for t in range(10) for p in range(10))


def test_the_book_note_says_the_sample_is_not_the_books_test_set(panel, qtbot):
    note = panel.findChild(QLabel, "bookNoteText")
    assert not panel.book_note.isHidden()
    assert "97.8%" in note.text() and "7 2 1 0 4 1 4 9 5 9" in note.text()
    assert "has 200" in note.text() and "beginning 0 1 2 3" in note.text()
    button = panel.findChild(QPushButton, "downloadFullMnistButton")
    assert button.isEnabled()
    with qtbot.waitSignal(panel.state.download_requested, timeout=1000):
        button.click()
    panel.state.set_training(True)
    assert not button.isEnabled()  # the data never changes under a running fit
    panel.state.set_training(False, "completed")
    assert button.isEnabled()


def test_on_the_full_mnist_the_book_note_goes(panel):
    dataset, evaluation = full_mnist_like_evaluation()
    panel.state.set_dataset(dataset)
    assert panel.book_note.isHidden()
    panel.state.set_evaluation(evaluation)
    assert panel.findChild(QLabel, "firstPredictions").text().startswith("7 2 1 0 4 1 4 9 5 9")
    assert panel.book_note.isHidden()


def test_in_the_window_the_button_starts_the_data_panels_download(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    from playground.main_window import MainWindow

    window = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    bar = window.panels["Data"].source_bar
    started = []
    monkeypatch.setattr(bar.downloader, "start", lambda **where: started.append(where))  # no network in tests
    window.docks["Network"].raise_()
    window.docks["Evaluate"].raise_()
    window.findChild(QPushButton, "downloadFullMnistButton").click()
    assert len(started) == 1  # the bar's own download, with its URL, cache file and checksum
    qtbot.waitUntil(lambda: not window.docks["Data"].visibleRegion().isEmpty())  # its progress is in view
    assert not window.docks["Evaluate"].visibleRegion().isEmpty()  # beside it, not replaced by it

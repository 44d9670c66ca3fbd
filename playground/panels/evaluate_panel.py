"""The Evaluate panel: how the trained network does on test digits it has never seen.

The end of chapter 2's first example (*Deep Learning with R*, section 2.1) checks the network
on the test set, ``metrics <- network %>% evaluate(test_images, test_labels)`` (about 98%),
and prints the predicted classes of the first ten test digits. This panel shows those two
results and looks further: the confusion matrix (which digit is mistaken for which) and the
misclassified digits themselves, most confidently wrong first. Click a digit to open it in
the Data panel (``state.request_digit``); click a matrix cell to see only those mistakes.

The book's numbers (97.8%, ``7 2 1 0 4 1 4 9 5 9``) are those of the full MNIST test set. On any
other test set (the bundled sample's 1,000 digits begin ``7 9 5 9 ...``) a note says so, with a
"Download full MNIST" button that asks for it (``state.request_download``; the Data panel's
download bar fetches it).

Thin view over ``AppState``: it draws ``state.evaluation`` on ``evaluation_changed`` and asks
for a new evaluation with ``state.request_evaluation()`` (the controller computes it off the
UI thread).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QBoxLayout, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QStackedWidget, QToolTip, QVBoxLayout,
    QWidget,
)

from playground.core.specs import label_name, names_are_digits
from playground.panels.robustness_view import RobustnessView
from playground.widgets import DigitGrid, FitsShortDock, hint_label, scroll_area, wrapped_label
from playground.widgets.theme import error_colour
from playground.widgets.theming import follow_theme

MAX_MISTAKES_SHOWN = 100
PLACEHOLDER = "Train the network or load a model, then its test results appear here."
BOOK_FIRST_TEN = (7, 2, 1, 0, 4, 1, 4, 9, 5, 9)  # test_labels[1:10] of the full MNIST, as the book predicts them
BOOK_TEST_DIGITS = 10_000
MIN_MISTAKES_WIDTH = 340  # beside the matrix: room for a few misclassified digits per row
COUNT_SCALE = 0.85  # the counts' font, relative to the widget's
CELL_PADDING = 2  # pixels either side of the widest count
MIN_COUNT_POINTS = 5.0  # a matrix squeezed below its minimum size shrinks its counts down to this
MAX_NAME_PIXELS = 100  # a class name beside (or above) the matrix is cut with … beyond this


def is_the_books_test_set(dataset) -> bool:
    """True for the full MNIST test set the book evaluates on (10,000 digits starting 7 2 1 0 ...)."""
    return (dataset is not None and len(dataset.y_test) == BOOK_TEST_DIGITS
            and tuple(int(v) for v in dataset.y_test[:10]) == BOOK_FIRST_TEN)


def book_note(dataset) -> str:
    """Why this test set's numbers differ from the book's ("" on the book's test set)."""
    if dataset is None or is_the_books_test_set(dataset):
        return ""
    if not names_are_digits(dataset.label_names):  # another kind of data: its numbers are its own
        return (f"The book's 97.8% is on the full MNIST's {BOOK_TEST_DIGITS:,} handwritten test digits; "
                f"{dataset.name} is another dataset ({len(dataset.y_test):,} test images), so its numbers are its own. "
                "Download the full MNIST to compare with the book.")
    first = " ".join(str(int(v)) for v in dataset.y_test[:10])
    return (f"The book's 97.8% and first ten predictions ({' '.join(map(str, BOOK_FIRST_TEN))}) are on the full "
            f"MNIST's {BOOK_TEST_DIGITS:,} test digits; this test set has {len(dataset.y_test):,}"
            + (f", beginning {first}" if first else "") + ". Download the full MNIST to compare.")


class ConfusionMatrix(QWidget):
    """A painted confusion matrix: rows are the true digit, columns the predicted one.

    Diagonal cells (right answers) are tinted with the palette's highlight colour by the
    share of that row they hold; off-diagonal cells (mistakes) in red by their count. The
    right-hand column gives each digit's accuracy. Hover tells "true 4 predicted 9: 12 digits";
    a click emits ``cell_clicked(true, predicted)``. ``set_class_names`` names the rows and columns
    (the dataset's names: MNIST's digits, or Fashion-MNIST's "T-shirt/top" ... written beside the
    rows and up the columns).
    """

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None, **qt_properties):
        super().__init__(parent, **qt_properties)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._matrix = np.zeros((0, 0), dtype=np.int64)
        self._hover: tuple[int, int] | None = None
        self.selected: tuple[int, int] | None = None
        self.hover_text = ""
        self._names: tuple[str, ...] = ()

    def set_class_names(self, names) -> None:
        """Name the classes (rows and columns) with ``names``; digits are drawn as always."""
        names = tuple(str(name) for name in names)
        if names != self._names:
            self._names = names
            self.updateGeometry()
            self.update()

    def class_name(self, index: int) -> str:
        return label_name(self._names, index)

    def _named(self) -> bool:
        """True when the classes have names other than their digits (longer labels, written otherwise)."""
        return not names_are_digits(self._names)

    def _name_width(self) -> int:
        """Pixels of the widest class name, at most ``MAX_NAME_PIXELS``."""
        k = len(self._matrix) or len(self._names)
        widest = max((self.fontMetrics().horizontalAdvance(self.class_name(i)) for i in range(k)), default=0)
        return min(widest + 4, MAX_NAME_PIXELS)  # a few pixels more: a name that fits is never cut

    def set_matrix(self, matrix: np.ndarray | None) -> None:
        self._matrix = np.zeros((0, 0), dtype=np.int64) if matrix is None else np.asarray(matrix)
        self._hover = self.selected = None
        self.updateGeometry()  # four-digit counts need wider cells than three-digit ones
        self.update()

    # ----- sizes from the font: every count fits its cell -----------------------------------
    def _base_count_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * COUNT_SCALE)
        return font

    def _widest_count(self, font: QFont) -> float:
        """Pixels of the widest count in ``font`` (three digits before there is a matrix)."""
        metrics = QFontMetricsF(font)
        counts = {str(int(v)) for v in self._matrix.ravel()} or {"888"}
        return max(metrics.horizontalAdvance(text) for text in counts)

    def minimum_cell(self) -> int:
        """The smallest cell that shows the widest count in the counts' normal font."""
        font = self._base_count_font()
        return int(np.ceil(max(self._widest_count(font), QFontMetricsF(font).height()))) + 2 * CELL_PADDING

    def count_font(self) -> QFont:
        """The counts' font: normal, or smaller when the widget is squeezed below its minimum size."""
        font = self._base_count_font()
        room = self.cell_rect(0, 0).width() - 2 * CELL_PADDING if len(self._matrix) else 0
        need = self._widest_count(font)
        if len(self._matrix) and need > room:
            font.setPointSizeF(max(MIN_COUNT_POINTS, font.pointSizeF() * room / need))
        return font

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        k, cell = len(self._matrix) or 10, self.minimum_cell()
        left, top, right = self._margins(numbered=self._named())  # names up the columns give way first
        return QSize(left + right + k * cell, top + 4 + k * cell)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        k, cell = len(self._matrix) or 10, self.minimum_cell()
        left, top, right = self._margins(numbered=False)
        return QSize(left + right + k * cell, top + 4 + k * cell).expandedTo(QSize(360, 340))

    def numbered_columns(self) -> bool:
        """Named classes in a matrix too short for their names up the columns: the columns are
        numbered (0 ... 9) and each row's name is followed by its number instead."""
        if not self._named():
            return False
        k, line = len(self._matrix) or len(self._names), self.fontMetrics().height()
        return self.height() - (line + 10 + self._name_width()) - 4 < k * self.minimum_cell()

    # ----- geometry -----------------------------------------------------------------------
    def _margins(self, numbered: bool | None = None) -> tuple[int, int, int]:
        """Space for (left labels, top labels, right accuracy column)."""
        line = self.fontMetrics().height()
        right = self.fontMetrics().horizontalAdvance("100%") + 12
        if self._named():  # the names beside the rows, and up the columns unless they are numbered
            if self.numbered_columns() if numbered is None else numbered:
                return line + 14 + self._name_width() + self._number_width(), 2 * line + 8, right
            return line + 14 + self._name_width(), line + 10 + self._name_width(), right
        return 2 * line + 8, 2 * line + 8, right

    def _number_width(self) -> int:
        return self.fontMetrics().horizontalAdvance(f" {max(len(self._matrix), len(self._names)) - 1}") + 2

    def cell_rect(self, true: int, predicted: int) -> QRectF:
        k = len(self._matrix)
        left, top, right = self._margins()
        size = max(1.0, min((self.width() - left - right) / k, (self.height() - top - 4) / k))
        left += max(0.0, (self.width() - left - right - k * size) / 2)  # centred horizontally
        return QRectF(left + predicted * size, top + true * size, size, size)

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        k = len(self._matrix)
        if k == 0:
            return None
        origin, size = self.cell_rect(0, 0), self.cell_rect(0, 0).width()
        column, row = int((pos.x() - origin.x()) // size), int((pos.y() - origin.y()) // size)
        return (row, column) if 0 <= row < k and 0 <= column < k else None

    # ----- mouse --------------------------------------------------------------------------
    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        cell = self.cell_at(event.position())
        if cell != self._hover:
            self._hover = cell
            self.update()
        if cell is None:
            self.hover_text = ""
            QToolTip.hideText()
            return
        true, predicted = cell
        count = int(self._matrix[true, predicted])
        noun = "image" if self._named() else "digit"
        self.hover_text = (f"true {self.class_name(true)} predicted {self.class_name(predicted)}: "
                           f"{count:,} {noun}{'s' if count != 1 else ''}")
        QToolTip.showText(event.globalPosition().toPoint(), self.hover_text, self)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._hover, self.hover_text = None, ""
        self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        cell = self.cell_at(event.position())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.cell_clicked.emit(*cell)

    # ----- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        k = len(self._matrix)
        if k == 0:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        palette = self.palette()
        text, highlight = palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Highlight)
        mistake = QColor(error_colour(palette))
        rows = self._matrix.sum(axis=1)
        off = self._matrix.copy()
        np.fill_diagonal(off, 0)
        worst = max(int(off.max()), 1)
        painter.setFont(self.count_font())
        for t in range(k):
            for p in range(k):
                rect, count = self.cell_rect(t, p), int(self._matrix[t, p])
                share = count / rows[t] if t == p and rows[t] else (count / worst) ** 0.5 if count else 0.0
                fill = QColor(highlight if t == p else mistake)
                fill.setAlphaF(0.08 + 0.85 * share if count or t == p else 0.0)
                painter.fillRect(rect, fill)
                painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 0.5))
                painter.drawRect(rect)
                strong = fill.alphaF() > 0.55
                painter.setPen(palette.color(QPalette.ColorRole.HighlightedText) if strong and t == p else text)
                if count:
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{count}")
        for cell, colour, width in ((self._hover, text, 2), (self.selected, highlight, 3)):
            if cell is not None:
                painter.setPen(QPen(colour, width))
                painter.drawRect(self.cell_rect(*cell).adjusted(1, 1, -1, -1))
        self._paint_labels(painter, rows, text)

    def _paint_names(self, painter: QPainter, first: QRectF) -> None:
        """Each class's name left of its row, and up its column (read from the bottom), cut with … if long."""
        k, line, width = len(self._matrix), self.fontMetrics().height(), self._name_width()
        metrics, numbered = self.fontMetrics(), self.numbered_columns()
        for i in range(k):
            column, row = self.cell_rect(0, i), self.cell_rect(i, 0)
            name = metrics.elidedText(self.class_name(i), Qt.TextElideMode.ElideRight, width)
            if numbered:  # "Ankle boot 9" beside the row, 9 above the column
                number = self._number_width()
                painter.drawText(QRectF(row.x() - number - 4, row.y(), number, row.height()),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(i))
                painter.drawText(QRectF(row.x() - number - width - 6, row.y(), width, row.height()),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
                painter.drawText(QRectF(column.x(), first.y() - line - 2, column.width(), line),
                                 Qt.AlignmentFlag.AlignCenter, str(i))
                continue
            painter.drawText(QRectF(row.x() - width - 6, row.y(), width, row.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            painter.save()
            painter.translate(column.center().x(), first.y() - 4)
            painter.rotate(-90)
            painter.drawText(QRectF(0, -line / 2, width, line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
            painter.restore()

    def _paint_labels(self, painter: QPainter, rows: np.ndarray, text: QColor) -> None:
        k, line = len(self._matrix), self.fontMetrics().height()
        first, last = self.cell_rect(0, 0), self.cell_rect(k - 1, k - 1)
        painter.setPen(text)
        if self._named():  # in the widget's font, as measured for the margins
            painter.save()
            painter.setFont(self.font())
            self._paint_names(painter, first)
            painter.restore()
        for i in range(k):
            column, row = self.cell_rect(0, i), self.cell_rect(i, 0)
            if not self._named():
                painter.drawText(QRectF(column.x(), first.y() - line - 2, column.width(), line), Qt.AlignmentFlag.AlignCenter, str(i))
                painter.drawText(QRectF(row.x() - line - 4, row.y(), line, row.height()), Qt.AlignmentFlag.AlignCenter, str(i))
            accuracy = f"{100 * self._matrix[i, i] / rows[i]:.0f}%" if rows[i] else "–"
            painter.drawText(QRectF(last.right() + 6, row.y(), 60, row.height()), Qt.AlignmentFlag.AlignVCenter, accuracy)
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        kind = "class" if self._named() else "digit"
        painter.drawText(QRectF(first.x(), 0, last.right() - first.x(), line + 2), Qt.AlignmentFlag.AlignCenter,
                         f"predicted {kind}")
        painter.drawText(QRectF(last.right() + 2, 0, 80, line + 2), Qt.AlignmentFlag.AlignLeft, "right")
        painter.save()
        painter.translate(first.x() - self._margins()[0] + 2, (first.y() + last.bottom()) / 2)
        painter.rotate(-90)
        painter.drawText(QRectF(-100, 0, 200, line + 2), Qt.AlignmentFlag.AlignCenter, f"true {kind}")
        painter.restore()


class EvaluatePanel(FitsShortDock, QWidget):
    """Test loss and accuracy, the first ten predictions, the confusion matrix and the mistakes."""

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("evaluatePanel")
        self.state = state
        self._mistakes = np.zeros(0, dtype=np.int64)  # test indices, most confidently wrong first
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.robustness = RobustnessView(state)  # folded under the results; its toggle goes in the header
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_header())
        self.summary_label = hint_label(objectName="evaluationSummary")
        layout.addWidget(self.summary_label)
        layout.addWidget(self._build_book_note())
        self.pages = QStackedWidget()
        self.placeholder = wrapped_label(PLACEHOLDER, objectName="evaluationPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        font = self.placeholder.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.placeholder.setFont(font)
        self.pages.addWidget(self.placeholder)
        self.pages.addWidget(self._build_results(mono))
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.robustness, 1)
        self.robustness.toggle.toggled.connect(lambda shown: self.pages.setVisible(not shown))  # one or the other

        state.evaluation_changed.connect(self.refresh)
        state.model_changed.connect(self._update_button)
        state.dataset_changed.connect(self.refresh)
        state.training_started.connect(self._update_book_note)
        state.training_finished.connect(self._update_book_note)
        self.refresh()
        follow_theme(self, self._show_first_ten)  # their mistakes in the theme's red

    def _build_header(self) -> QHBoxLayout:
        header = QHBoxLayout()
        self.accuracy_label = QLabel(objectName="testAccuracy")
        font = self.accuracy_label.font()
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        self.accuracy_label.setFont(font)
        self.loss_label = QLabel(objectName="testLoss")
        font.setBold(False)
        font.setPointSizeF(font.pointSizeF() * 0.7)
        self.loss_label.setFont(font)
        self.evaluate_button = QPushButton("Evaluate", objectName="evaluateButton")
        self.evaluate_button.setToolTip("Run the current network on the whole test set")
        self.evaluate_button.clicked.connect(self.state.request_evaluation)
        header.addWidget(self.accuracy_label)
        header.addWidget(self.loss_label, 0, Qt.AlignmentFlag.AlignBaseline)
        header.addStretch(1)
        header.addWidget(self.robustness.toggle)
        header.addWidget(self.evaluate_button)
        return header

    def _build_book_note(self) -> QFrame:
        """Where the book's numbers come from, and the button that fetches the full MNIST."""
        self.book_note = QFrame(objectName="bookNote", frameShape=QFrame.Shape.StyledPanel)
        self.book_note_label = wrapped_label(objectName="bookNoteText")
        self.download_button = QPushButton("Download full MNIST (11 MB)", objectName="downloadFullMnistButton")
        self.download_button.clicked.connect(self.state.request_download)
        row = QHBoxLayout(self.book_note)
        row.setContentsMargins(8, 6, 8, 6)
        row.addWidget(self.book_note_label, 1)
        row.addWidget(self.download_button, 0, Qt.AlignmentFlag.AlignVCenter)
        return self.book_note

    def _update_book_note(self, *_) -> None:
        note = book_note(self.state.dataset)
        self.book_note_label.setText(note)
        self.book_note.setVisible(bool(note))
        training = self.state.is_training
        self.download_button.setEnabled(not training)
        self.download_button.setToolTip("After training: the data never changes under a running fit" if training else
                                        "60,000 training and 10,000 test digits: Keras's mnist.npz, in the Data panel")

    def _build_results(self, mono) -> QWidget:
        """The first ten predictions, the confusion matrix and the grid of mistakes."""
        results = QWidget()
        body = QVBoxLayout(results)
        body.setContentsMargins(0, 0, 0, 0)
        first = QGridLayout()
        first.addWidget(QLabel("Predicted classes of the first 10 test digits:"), 0, 0, Qt.AlignmentFlag.AlignRight)
        first.addWidget(QLabel("True labels:"), 1, 0, Qt.AlignmentFlag.AlignRight)
        self.first_predicted = QLabel(objectName="firstPredictions", textFormat=Qt.TextFormat.RichText)
        self.first_true = QLabel(objectName="firstLabels", textFormat=Qt.TextFormat.RichText)
        for row, label in enumerate((self.first_predicted, self.first_true)):
            label.setFont(mono)
            first.addWidget(label, row, 1)
        first.setColumnStretch(2, 1)
        body.addLayout(first)
        body.addWidget(hint_label("In R: network %>% predict_classes(test_images[1:10,])"))
        self.confusion = ConfusionMatrix(objectName="confusionMatrix")
        self.confusion.cell_clicked.connect(self.filter_mistakes)
        mistakes = QVBoxLayout()
        mistakes_row = QHBoxLayout()
        self.mistakes_label = wrapped_label(objectName="misclassifiedCount")
        self.show_all_button = QPushButton("Show all mistakes", objectName="showAllMistakes", visible=False)
        self.show_all_button.clicked.connect(lambda: self.filter_mistakes(None, None))
        mistakes_row.addWidget(self.mistakes_label, 1)
        mistakes_row.addWidget(self.show_all_button, 0, Qt.AlignmentFlag.AlignTop)
        mistakes.addLayout(mistakes_row)
        self.mistakes_grid = DigitGrid(objectName="misclassifiedGrid", cell_size=48)
        self.mistakes_grid.clickable = True
        self.mistakes_grid.activated.connect(lambda index: self.state.request_digit("test", int(index)))
        mistakes_scroll = scroll_area(self.mistakes_grid)
        mistakes_scroll.setMinimumSize(200, 60)
        mistakes.addWidget(mistakes_scroll, 1)
        self.matrix_and_mistakes = QBoxLayout(QBoxLayout.Direction.TopToBottom)  # side by side when wide
        self.matrix_and_mistakes.addWidget(self.confusion, 3)
        self.matrix_and_mistakes.addLayout(mistakes, 2)
        body.addLayout(self.matrix_and_mistakes, 1)
        return results

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Matrix beside the mistakes when there is room for both side by side; above them otherwise."""
        super().resizeEvent(event)
        room_beside = self.width() >= self.confusion.minimumSizeHint().width() + MIN_MISTAKES_WIDTH
        wide = room_beside or self.width() > 1.3 * self.height()
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if direction != self.matrix_and_mistakes.direction():
            self.matrix_and_mistakes.setDirection(direction)
            self.matrix_and_mistakes.setStretch(0, 1 if wide else 3)  # wide: half each (the matrix stays square)
            self.matrix_and_mistakes.setStretch(1, 1 if wide else 2)
            for widget in (self.pages.widget(1), self.pages, self):  # their cached minimum sizes are stale now
                widget.layout().invalidate()
                widget.updateGeometry()

    # ----- drawing the evaluation -----------------------------------------------------------
    def refresh(self) -> None:
        ev = self.state.evaluation
        self._update_button()
        self._update_book_note()
        if ev is None:
            self.accuracy_label.setText("Test accuracy –")
            self.loss_label.setText("")
            self.summary_label.setText("")
            self.pages.setCurrentIndex(0)
            return
        y_true, y_pred = np.asarray(ev.y_true), np.asarray(ev.y_pred)
        right = int(np.sum(y_true == y_pred))
        self.accuracy_label.setText(f"Test accuracy {100 * ev.accuracy:.1f}%")
        self.loss_label.setText(f"loss {ev.loss:.4f}")
        noun = "digits" if names_are_digits(self.state.class_names) else "images"
        self.summary_label.setText(f"{right:,} of {len(y_true):,} test {noun} right, {len(y_true) - right:,} wrong. "
                                   "In R: metrics <- network %>% evaluate(test_images, test_labels)")
        self._show_first_ten()
        self.confusion.set_class_names(self.state.class_names)
        self.confusion.set_matrix(ev.confusion)
        wrong = np.flatnonzero(y_true != y_pred)
        confidence = ev.probabilities[wrong, y_pred[wrong]] if len(wrong) else np.zeros(0)
        self._mistakes = wrong[np.argsort(-confidence, kind="stable")]
        self.filter_mistakes(None, None)
        self.pages.setCurrentIndex(1)

    def filter_mistakes(self, true: int | None, predicted: int | None) -> None:
        """Show the mistakes of one confusion-matrix cell (``None, None``: all of them)."""
        ev = self.state.evaluation
        if ev is None:
            return
        chosen = self._mistakes
        if true is not None and predicted is not None:
            chosen = chosen[(ev.y_true[chosen] == true) & (ev.y_pred[chosen] == predicted)]
        self.confusion.selected = (true, predicted) if true is not None else None
        self.confusion.update()
        self.show_all_button.setVisible(true is not None)
        total = len(self._mistakes)
        names = self.state.class_names
        noun = "digit" if names_are_digits(names) else "image"
        if true is None:
            what = f"{total:,} misclassified test {noun}{'s' if total != 1 else ''}"
        elif true == predicted:
            what = f"{label_name(names, true)} → {label_name(names, true)} is right, not a mistake: all {total:,} mistakes"
            chosen = self._mistakes
        else:
            what = (f"{len(chosen):,} {noun}{'s' if len(chosen) != 1 else ''} with true {label_name(names, true)} "
                    f"predicted as {label_name(names, predicted)}")
        shown = chosen[:MAX_MISTAKES_SHOWN]
        more = f"the {len(shown)} most confidently wrong" if len(chosen) > len(shown) else "most confidently wrong first"
        self.mistakes_label.setText(f"<b>{what}</b><br>{more} · click one to open it in the Data panel")
        ds = self.state.dataset
        if ds is None or len(ds.x_test) != len(ev.y_true):
            self.mistakes_grid.clear()
            self.mistakes_grid.placeholder = "The test digits of this evaluation are not loaded."
            return
        def name(label) -> str:
            return label_name(names, label)

        if names_are_digits(names):
            captions = [f"true {ev.y_true[i]} → {ev.y_pred[i]} ({100 * ev.probabilities[i, ev.y_pred[i]]:.0f}%)" for i in shown]
        else:  # names are long: the percentage goes to the tooltip
            captions = [f"{name(ev.y_true[i])} → {name(ev.y_pred[i])}" for i in shown]
        tips = [f"x_test[{i}]: true {name(ev.y_true[i])}, predicted {name(ev.y_pred[i])} with "
                f"{100 * ev.probabilities[i, ev.y_pred[i]]:.1f}%; {100 * ev.probabilities[i, ev.y_true[i]]:.1f}% for "
                f"{name(ev.y_true[i])}" for i in shown]
        self.mistakes_grid.set_items(ds.x_test[shown], captions=captions, keys=[int(i) for i in shown], tooltips=tips)

    def _show_first_ten(self) -> None:
        """The predicted classes of the first ten test digits (mistakes in red) and their labels."""
        ev = self.state.evaluation
        if ev is None:
            return
        y_true, y_pred = np.asarray(ev.y_true)[:10], np.asarray(ev.y_pred)[:10]
        self.first_predicted.setText(_digits_html(y_pred, y_true))
        self.first_true.setText(_digits_html(y_true, y_true))
        names = self.state.class_names
        for label, values in ((self.first_predicted, y_pred), (self.first_true, y_true)):  # R prints the numbers
            label.setToolTip("" if names_are_digits(names) else
                             " · ".join(f"{int(v)} {label_name(names, v)}" for v in values))

    def _update_button(self) -> None:
        has_model = self.state.model is not None
        self.evaluate_button.setEnabled(has_model)
        self.evaluate_button.setToolTip("Run the current network on the whole test set" if has_model
                                        else "Train the network or load a model first")


def _digits_html(values: np.ndarray, truth: np.ndarray) -> str:
    """Digits separated by spaces; those that differ from ``truth`` in bold red."""
    red = error_colour()
    parts = [f'<b style="color:{red}">{v}</b>' if v != t else str(v) for v, t in zip(values, truth)]
    return " ".join(parts)

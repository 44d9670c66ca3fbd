"""My digits: the learner's own handwriting as a test set (issue 10, section 3).

Chapter 2 ends with ``network %>% evaluate(test_images, test_labels)``: strangers' digits. Here
the learner draws digits in the Draw panel, adds each with "Add to my digits" and its label, and
this panel evaluates the current network on them: a grid of the digits captioned with their
label and the network's reading, the accuracy, and the confusion matrix (the Evaluate panel's).
Digits can be deleted or relabelled; the set can be exported and imported as a ``.npz`` in
MNIST's format (``x_test`` uint8 (n, 28, 28), ``y_test`` uint8 (n,)).

The set itself is ``playground.handwriting.MyDigits`` (no Qt, a file in the data folder);
``my_digits.my_digits_for(state)`` gives the one ``MyDigitsModel`` (its Qt face, with a
``changed`` signal) that the Draw panel's ``AddToMyDigits``, this panel and the training
controller share. File dialogs only pick a
path: ``export_to(path)`` and ``import_from(path)`` do the work, and tests call them directly.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QBoxLayout, QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from playground import handwriting
from playground.handwriting import HandwritingError
from playground.my_digits import my_digits_for
from playground.panels.evaluate_panel import ConfusionMatrix
from playground.widgets import DigitGrid, FitsShortDock, hint_label, scroll_area, wrapped_label
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style

EMPTY = ("No digits of yours yet. Draw one in the Draw panel, choose its label and press "
         "“Add to my digits”: your own test set, kept between sessions.")
NO_MODEL = "Train the network (or load a model) to see how it reads your digits."
FILE_FILTER = "Digits in MNIST's format (*.npz)"


def digit_combo(object_name: str, tooltip: str) -> QComboBox:
    combo = QComboBox(objectName=object_name, toolTip=tooltip)
    combo.addItems([str(d) for d in range(handwriting.CLASSES)])
    return combo


class AddToMyDigits(QWidget):
    """The Draw panel's "Add to my digits" button and its label chooser.

    The label follows the network's guess until the learner picks one (then it stays, for the
    next few digits of the same kind); ``added`` fires after a digit was saved, and the Draw
    panel clears its canvas for the next one.
    """

    added = Signal(int)  # the label of the digit just added

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("addToMyDigits")
        self.my_digits = my_digits_for(state)
        self._image: np.ndarray | None = None
        self._label_chosen = False
        self.button = QPushButton("Add to my digits", objectName="addToMyDigitsButton")
        self.button.setToolTip("Keep this drawing, as the network sees it, with the label beside it: "
                               "your own test set, in the My digits panel")
        self.button.clicked.connect(self.add_current)
        self.combo = digit_combo("myDigitLabelCombo", "The digit you meant to draw (its label)")
        self.combo.activated.connect(self._choose)
        self.note = hint_label(objectName="addToMyDigitsNote")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(QLabel("as"))
        row.addWidget(self.combo)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self.set_drawing(None, None)

    def _choose(self, _index: int) -> None:
        self._label_chosen = True

    def set_drawing(self, image: np.ndarray | None, guess: int | None) -> None:
        """The drawing as the network sees it (None: the canvas is empty) and the network's guess."""
        self._image = None if image is None else np.array(image, dtype=np.float32)
        self.button.setEnabled(image is not None)
        if guess is not None and not self._label_chosen:
            self.combo.setCurrentIndex(int(guess))

    def label(self) -> int:
        return self.combo.currentIndex()

    def add_current(self) -> None:
        if self._image is None:
            return
        label = self.label()
        try:
            self.my_digits.add(self._image, label)
        except HandwritingError as error:
            self.note.setText(str(error))
            show_error_style(self.note, True)
            return
        count = len(self.my_digits.digits)
        self.note.setText(f"Added as a {label}: {count} digit{'s' if count != 1 else ''} in My digits.")
        show_error_style(self.note, False)
        self._label_chosen = False
        self._image = None  # added once: the button waits for the next drawing
        self.button.setEnabled(False)
        self.added.emit(label)


class HandwritingPanel(FitsShortDock, QWidget):
    """The learner's digits, the current network's readings of them, accuracy and confusion matrix."""

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("handwritingPanel")
        self.state = state
        self.my_digits = my_digits_for(state)
        self.score: handwriting.Score | None = None
        self._selected = -1

        layout = QVBoxLayout(self)
        layout.addLayout(self._build_header())
        self.summary_label = hint_label(objectName="myDigitsSummary")
        layout.addWidget(self.summary_label)
        self.message_label = wrapped_label(objectName="myDigitsMessage", visible=False)
        layout.addWidget(self.message_label)
        layout.addLayout(self._build_tools())
        self.grid = DigitGrid(objectName="myDigitsGrid", cell_size=48)
        self.grid.clickable = True
        self.grid.placeholder = EMPTY
        self.grid.activated.connect(self.select)
        grid_scroll = scroll_area(self.grid, objectName="myDigitsScroll")
        grid_scroll.setMinimumSize(200, 80)
        self.confusion = ConfusionMatrix(objectName="myDigitsConfusion")
        self.confusion.cell_clicked.connect(self._select_cell)
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.addWidget(grid_scroll, 2)
        self.body.addWidget(self.confusion, 3)
        layout.addLayout(self.body, 1)
        self.train_check = QCheckBox("Add my digits to the training data", objectName="trainOnMyDigitsCheck")
        self.train_check.setToolTip("From the next Train on, fit also learns from your digits (put first, so a "
                                    "validation split never holds them out). They then stop being a fair test: "
                                    "the network has seen them.")
        self.train_check.setChecked(self.my_digits.train_with_them)
        self.train_check.toggled.connect(self.my_digits.set_train_with_them)
        self.my_digits.train_with_them_changed.connect(self._show_training_use)
        layout.addWidget(self.train_check)
        layout.addWidget(hint_label(f"Kept in {self.my_digits.digits.path} in MNIST's format: x_test, uint8 "
                                    "images (n, 28, 28), and y_test, their labels.", objectName="myDigitsWhere"))

        self.my_digits.changed.connect(self.refresh)
        state.model_changed.connect(self.refresh)
        follow_theme(self, lambda: refresh_error_styles(self))
        self.refresh()
        if self.my_digits.digits.problem:
            self.show_message(self.my_digits.digits.problem, error=True)

    # ----- layout -------------------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        header = QHBoxLayout()
        self.accuracy_label = QLabel(objectName="myDigitsAccuracy")
        font = QFont(self.accuracy_label.font())
        font.setPointSizeF(font.pointSizeF() * 2.0)
        font.setBold(True)
        self.accuracy_label.setFont(font)
        header.addWidget(self.accuracy_label)
        header.addStretch(1)
        self.import_button = QPushButton("Import…", objectName="importMyDigitsButton")
        self.import_button.setToolTip("Add the digits of a .npz in MNIST's format (x_test, y_test) to yours")
        self.import_button.clicked.connect(self._ask_import)
        self.export_button = QPushButton("Export…", objectName="exportMyDigitsButton")
        self.export_button.setToolTip("Save your digits as a .npz in MNIST's format (x_test, y_test)")
        self.export_button.clicked.connect(self._ask_export)
        header.addWidget(self.import_button)
        header.addWidget(self.export_button)
        return header

    def _build_tools(self) -> QHBoxLayout:
        tools = QHBoxLayout()
        self.selected_label = QLabel("Click a digit to change it.", objectName="myDigitSelected")
        self.relabel_combo = digit_combo("relabelCombo", "The selected digit's label")
        self.relabel_button = QPushButton("Relabel", objectName="relabelButton")
        self.relabel_button.setToolTip("Give the selected digit the label on the left")
        self.relabel_button.clicked.connect(lambda: self.relabel_selected(self.relabel_combo.currentIndex()))
        self.delete_button = QPushButton("Delete", objectName="deleteMyDigitButton")
        self.delete_button.setToolTip("Remove the selected digit from your set")
        self.delete_button.clicked.connect(self.delete_selected)
        tools.addWidget(self.selected_label, 1)
        tools.addWidget(QLabel("label"))
        tools.addWidget(self.relabel_combo)
        tools.addWidget(self.relabel_button)
        tools.addWidget(self.delete_button)
        return tools

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        """Digits beside the matrix in a wide dock, above it in a tall one."""
        super().resizeEvent(event)
        wide = self.width() > 1.2 * self.height()
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if direction != self.body.direction():
            self.body.setDirection(direction)

    # ----- showing ------------------------------------------------------------------------
    def show_message(self, text: str, error: bool = False) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        show_error_style(self.message_label, error)

    def _show_training_use(self, on: bool) -> None:
        self.train_check.setChecked(on)
        if on:
            self.show_message("From the next Train on, your digits are trained on too. The accuracy here then "
                              "tells how well the network learnt them, not how it reads new handwriting.")
        else:
            self.show_message("")

    def _usable_model(self):
        state = self.state
        return state.model if state.model is not None and state.trained and not state.model_problem else None

    def refresh(self) -> None:
        """Predict the set with the current model, then redraw the grid, accuracy and matrix."""
        digits = self.my_digits.digits
        model, self.score = self._usable_model(), None
        if model is not None and len(digits):
            try:
                self.score = handwriting.score(model, digits.images, digits.labels)
            except Exception as exc:  # noqa: BLE001 - a model that cannot read 28x28 digits: show them unread
                self.show_message(f"The network cannot read these digits: {exc}", error=True)
        n = len(digits)
        if self.score is not None:
            right = int(np.sum(self.score.predictions == digits.labels))
            self.accuracy_label.setText(f"My digits: {100 * self.score.accuracy:.0f}%")
            self.summary_label.setText(f"The network reads {right} of your {n} digit{'s' if n != 1 else ''} right. "
                                       "Click a digit to relabel or delete it; click a matrix cell to see its digits.")
            self.confusion.set_matrix(self.score.confusion)
        else:
            self.accuracy_label.setText("My digits")
            self.summary_label.setText(f"{n} digit{'s' if n != 1 else ''} of yours. {NO_MODEL}" if n else "")
            self.confusion.set_matrix(None)
        self.confusion.setVisible(self.score is not None)
        self._fill_grid()
        self.export_button.setEnabled(n > 0)
        self.select(self._selected if self._selected < n else -1)

    def _fill_grid(self, only: np.ndarray | None = None) -> None:
        digits, score = self.my_digits.digits, self.score
        shown = np.arange(len(digits)) if only is None else only
        captions, tips = [], []
        for i in shown:
            label = int(digits.labels[i])
            if score is None:
                captions.append(f"{label}")
                tips.append(f"Your digit {i + 1}: labelled {label}")
                continue
            guess, sure = int(score.predictions[i]), float(score.probabilities[i, score.predictions[i]])
            captions.append(f"{label} ✓" if guess == label else f"{label} → {guess}")
            tips.append(f"Your digit {i + 1}: labelled {label}; the network reads {guess} ({100 * sure:.0f}% sure)")
        self.grid.set_items(digits.images[shown], captions=captions, keys=[int(i) for i in shown], tooltips=tips)

    def _select_cell(self, true: int, predicted: int) -> None:
        """Show only the digits of one matrix cell (the same cell again: all of them)."""
        if self.score is None:
            return
        if self.confusion.selected == (true, predicted):
            self.confusion.selected = None
            self._fill_grid()
        else:
            labels = self.my_digits.digits.labels
            self._fill_grid(np.flatnonzero((labels == true) & (self.score.predictions == predicted)))
            self.confusion.selected = (true, predicted)
        self.confusion.update()
        self.select(-1)

    # ----- editing ------------------------------------------------------------------------
    def select(self, index: int) -> None:
        """Choose digit ``index`` (its position in the set) for Relabel and Delete; -1: none."""
        digits = self.my_digits.digits
        self._selected = index = int(index) if 0 <= int(index) < len(digits) else -1
        keys = [self.grid.key(i) for i in range(self.grid.count())]
        self.grid.set_selected(keys.index(index) if index in keys else -1)
        for widget in (self.relabel_combo, self.relabel_button, self.delete_button):
            widget.setEnabled(index >= 0)
        if index >= 0:
            self.relabel_combo.setCurrentIndex(int(digits.labels[index]))
            self.selected_label.setText(f"Digit {index + 1} of {len(digits)}, labelled {int(digits.labels[index])}:")
        else:
            self.selected_label.setText("Click a digit to change it." if len(digits) else "")

    def selected(self) -> int:
        return self._selected

    def delete_selected(self) -> None:
        if self._selected >= 0:
            self._edit(lambda: self.my_digits.delete([self._selected]), "Deleted.")
            self.select(-1)

    def relabel_selected(self, label: int) -> None:
        if self._selected >= 0:
            index = self._selected
            self._edit(lambda: self.my_digits.relabel(index, label), f"Digit {index + 1} is now labelled {label}.")
            self.select(index)

    def export_to(self, path) -> bool:
        return self._edit(lambda: self.my_digits.export(path),
                          f"Exported {len(self.my_digits.digits)} digits to {path}.")

    def import_from(self, path) -> bool:
        box = {}
        done = self._edit(lambda: box.setdefault("added", self.my_digits.import_file(path)), "")
        if done:
            self.show_message(f"Imported {box['added']} digit{'s' if box['added'] != 1 else ''} from {path}.")
        return done

    def _edit(self, change, done: str) -> bool:
        try:
            change()
        except HandwritingError as error:
            self.show_message(str(error), error=True)
            return False
        self.show_message(done)
        return True

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export my digits", "my_digits.npz", FILE_FILTER)
        if path:
            self.export_to(path if path.endswith(".npz") else path + ".npz")

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import digits", "", FILE_FILTER)
        if path:
            self.import_from(path)

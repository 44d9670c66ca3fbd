"""My digits: the learner's own handwriting as a test set (issue 10, section 3).

Chapter 2 ends with ``network %>% evaluate(test_images, test_labels)``: strangers' digits. Here
the learner draws digits in the Draw panel, adds each with "Add to my digits" and its label, and
this panel evaluates the current network on them: a grid of the digits captioned with their
label and the network's reading, the accuracy, and the confusion matrix (the Evaluate panel's).
Digits can be deleted or relabelled; the set can be exported and imported as a ``.npz`` in
MNIST's format (``x_test`` uint8 (n, 28, 28), ``y_test`` uint8 (n,)).

The set itself is ``playground.core.handwriting.MyDigits`` (no Qt, a file in the data folder);
``my_digits.my_digits_for(state)`` gives the one ``MyDigitsModel`` (its Qt face, with a
``changed`` signal) that the Draw panel's ``AddToMyDigits``, this panel and the training
controller share. File dialogs only pick a
path: ``export_to(path)`` and ``import_from(path)`` do the work, and tests call them directly.

The network reads the digits off the UI thread (``background_jobs.LatestJobs``, as the Inside
panel does): the weights are copied (``inside.Snapshot``, about a millisecond) and the copy
predicts on a thread of its own. Readings are remembered by image (``handwriting.Readings``), so
an added digit costs one prediction and a relabel none; a new epoch's weights are read afresh,
and until they arrive the previous weights' readings stay on show. Only a panel that can be seen
reads (a tab hidden behind Draw reads when it is shown); ``is_current()`` says when what is
shown belongs to the newest weights.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QBoxLayout, QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from playground.core import handwriting, inside
from playground.core.handwriting import HandwritingError
from playground.core.specs import label_name
from playground.panels.evaluate_panel import ConfusionMatrix
from playground.training.background_jobs import LatestJobs
from playground.training.my_digits import my_digits_for
from playground.widgets import DigitGrid, FitsShortDock, hint_label, scroll_area, wrapped_label
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style

EMPTY = ("No digits of yours yet. Draw one in the Draw panel, choose its label and press "
         "“Add to my digits”: your own test set, kept between sessions.")
NO_MODEL = "Train the network (or load a model) to see how it reads your digits."
FILE_FILTER = "Digits in MNIST's format (*.npz)"


def name_classes(combo: QComboBox, names) -> None:
    """Show each label in ``combo`` by its class's name (the dataset's: "0" ... "9" for MNIST)."""
    for index in range(combo.count()):
        combo.setItemText(index, label_name(tuple(names), index))


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
        self.state = state
        state.dataset_changed.connect(lambda: name_classes(self.combo, state.class_names))
        name_classes(self.combo, state.class_names)
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
        self.note.setText(f"Added as a {label_name(self.state.class_names, label)}: {count} digit{'s' if count != 1 else ''} in My digits.")
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
        self.score: handwriting.Score | None = None  # set when every digit has a reading
        self._selected = -1
        self.jobs = LatestJobs(self, name="my-digits-reader")
        self.jobs.done.connect(self._on_read)
        self.jobs.failed.connect(self._on_read_failed)
        self._snapshot: inside.Snapshot | None = None  # the weights being read with
        self._readings = handwriting.Readings()  # their readings so far
        self._earlier: handwriting.Readings | None = None  # the previous weights': shown until the new arrive
        self._read_problem = ""  # why these weights cannot read the digits

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
        state.model_changed.connect(self._model_changed)
        follow_theme(self, lambda: refresh_error_styles(self))
        self._model_changed()
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
        self.state.dataset_changed.connect(lambda: name_classes(self.relabel_combo, self.state.class_names))
        name_classes(self.relabel_combo, self.state.class_names)
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

    # ----- reading the digits (off the UI thread) ----------------------------------------------
    def _model_changed(self) -> None:
        """New weights (an epoch, a loaded model, none): read the digits again with a copy of them."""
        model = self._usable_model()
        if model is None or not getattr(model, "built", False):
            self._snapshot, self._readings, self._earlier, self._read_problem = None, handwriting.Readings(), None, ""
        else:
            snapshot = inside.Snapshot(model)  # the weights copied on the UI thread: about a millisecond
            if self._snapshot is None or snapshot.config != self._snapshot.config \
                    or not snapshot.same_weights(self._snapshot):
                self._earlier = self._readings if len(self._readings) else self._earlier
                self._snapshot, self._readings, self._read_problem = snapshot, handwriting.Readings(), ""
        self.refresh()

    def _read_missing(self) -> None:
        """Ask for the readings the current weights have not made yet (only when they can be seen)."""
        if self._snapshot is None or self._read_problem or not self.isVisible():
            return
        images = self.my_digits.digits.images
        missing = self._readings.missing(images)
        if not len(missing):
            return
        batch, snapshot, readings = images[missing], self._snapshot, self._readings  # a copy of the digits

        def read():
            probabilities = handwriting.read(snapshot.model, batch)  # the model is rebuilt on this thread
            if not np.isfinite(probabilities).all():
                raise ValueError("its outputs are not all finite numbers (have its weights diverged?)")
            return readings, batch, probabilities

        self.jobs.submit("read", read)

    def _on_read(self, _kind: str, result) -> None:
        readings, batch, probabilities = result
        readings.remember(batch, probabilities)
        if readings is self._readings:
            if not len(readings.missing(self.my_digits.digits.images)):
                self._earlier = None  # every digit read with the newest weights
            self.refresh()

    def _on_read_failed(self, _kind: str, message: str) -> None:
        if self._snapshot is None:
            return
        self._read_problem = message
        self._earlier = None
        self.show_message(f"The network cannot read these digits: {message}", error=True)
        self.refresh()

    def is_current(self) -> bool:
        """Whether what is shown belongs to the newest weights (nothing left to read)."""
        images = self.my_digits.digits.images
        return (self._snapshot is None or bool(self._read_problem) or not len(images)
                or not len(self._readings.missing(images)))

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self._read_missing()

    def shutdown(self) -> None:
        self.jobs.shutdown()

    def _known_readings(self) -> np.ndarray | None:
        """(n, classes) readings of the digits, the newest weights' where made, else the previous
        weights' (NaN rows: not read yet); None without a network to read them."""
        if self._snapshot is None or self._read_problem:
            return None
        images = self.my_digits.digits.images
        known = self._readings.lookup(images)
        if self._earlier is not None:
            earlier = self._earlier.lookup(images)
            if earlier.shape == known.shape:
                gaps = np.isnan(known[:, 0])
                known[gaps] = earlier[gaps]
        return known

    # ----- the grid, accuracy and matrix --------------------------------------------------
    def refresh(self) -> None:
        """Redraw the grid, accuracy and matrix from the readings made; ask for the missing ones."""
        digits = self.my_digits.digits
        n = len(digits)
        readings = self._known_readings() if n else None
        unread = 0 if readings is None else int(np.isnan(readings[:, 0]).sum())
        self.score = handwriting.score_from(readings, digits.labels) if readings is not None and not unread else None
        if self.score is not None:
            right = int(np.sum(self.score.predictions == digits.labels))
            self.accuracy_label.setText(f"My digits: {100 * self.score.accuracy:.0f}%")
            self.summary_label.setText(f"The network reads {right} of your {n} digit{'s' if n != 1 else ''} right. "
                                       "Click a digit to relabel or delete it; click a matrix cell to see its digits.")
            self.confusion.set_class_names(self.state.class_names)
            self.confusion.set_matrix(self.score.confusion)
        else:
            self.accuracy_label.setText("My digits")
            if readings is not None:
                self.summary_label.setText(f"{n} digit{'s' if n != 1 else ''} of yours; the network is reading "
                                           f"{unread if unread < n else 'them'}…")
            else:
                self.summary_label.setText(f"{n} digit{'s' if n != 1 else ''} of yours. {NO_MODEL}" if n else "")
            self.confusion.set_matrix(None)
        self.confusion.setVisible(self.score is not None)
        self._fill_grid(readings=readings)
        self.export_button.setEnabled(n > 0)
        self.select(self._selected if self._selected < n else -1)
        self._read_missing()

    def _fill_grid(self, only: np.ndarray | None = None, readings: np.ndarray | None = None) -> None:
        digits = self.my_digits.digits
        if readings is None and self.score is not None:
            readings = self.score.probabilities
        shown = np.arange(len(digits)) if only is None else only
        captions, tips = [], []
        names = self.state.class_names
        for i in shown:
            label = label_name(names, digits.labels[i])  # its class's name: the digit itself for MNIST
            if readings is None:
                captions.append(f"{label}")
                tips.append(f"Your digit {i + 1}: labelled {label}")
                continue
            if np.isnan(readings[i, 0]):
                captions.append(f"{label} …")
                tips.append(f"Your digit {i + 1}: labelled {label}; the network is reading it")
                continue
            guess = label_name(names, int(np.argmax(readings[i])))
            sure = float(readings[i].max())
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

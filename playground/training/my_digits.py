"""The learner's digits as the app shares them: one ``MyDigitsModel`` per ``AppState``.

``playground.core.handwriting.MyDigits`` is the set itself (no Qt, a file in the data folder). This
is its Qt face, a child of the state: the Draw panel adds to it, the My digits panel shows and
edits it, and the training controller asks ``training_digits(state)`` for the digits the
learner chose to add to the training data (``train_with_them``; the main window keeps that
choice in the app's settings, ``persistence.TRAIN_ON_MY_DIGITS_KEY``, so it outlives a launch).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from playground.core.handwriting import MyDigits


class MyDigitsModel(QObject):
    """The learner's digits with a ``changed`` signal; each change is saved at once.

    Methods raise ``HandwritingError`` (in the app's words) and then nothing has changed.
    """

    changed = Signal()
    train_with_them_changed = Signal(bool)

    def __init__(self, digits: MyDigits | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName("myDigitsModel")
        self._digits = digits
        self._train_with_them = False

    @property
    def digits(self) -> MyDigits:
        """The set, read from the data folder the first time it is needed."""
        if self._digits is None:
            self._digits = MyDigits()
        return self._digits

    @property
    def train_with_them(self) -> bool:
        """Whether Train adds these digits to the training data (from the next Train on)."""
        return self._train_with_them

    def set_train_with_them(self, on: bool) -> None:
        if bool(on) != self._train_with_them:
            self._train_with_them = bool(on)
            self.train_with_them_changed.emit(self._train_with_them)

    def add(self, image: np.ndarray, label: int) -> int:
        index = self.digits.add(image, label)
        self.changed.emit()
        return index

    def delete(self, indices) -> None:
        self.digits.delete(indices)
        self.changed.emit()

    def relabel(self, index: int, label: int) -> None:
        self.digits.relabel(index, label)
        self.changed.emit()

    def import_file(self, path) -> int:
        added = self.digits.import_file(path)
        self.changed.emit()
        return added

    def export(self, path) -> None:
        self.digits.export(path)


def my_digits_for(state) -> MyDigitsModel:
    """The one ``MyDigitsModel`` of this ``AppState`` (a child of it: it lives as long as the state)."""
    model = state.findChild(MyDigitsModel, "myDigitsModel")
    return model if model is not None else MyDigitsModel(parent=state)


def training_digits(state) -> tuple[np.ndarray, np.ndarray] | None:
    """A copy of the learner's (images, labels) when they asked to train on them, else None.

    Read on the UI thread when Train is pressed: the copy is what the worker thread trains on,
    whatever the learner adds or deletes meanwhile.
    """
    model = state.findChild(MyDigitsModel, "myDigitsModel")
    if model is None or not model.train_with_them or len(model.digits) == 0:
        return None
    return model.digits.images.copy(), model.digits.labels.copy()

"""Why this digit? Under the Draw panel's guess: the saliency of the drawing, the units that
decided, the nearest training digits, and a warning when the drawing is unlike MNIST's digits.

The numbers come from ``playground.core.why`` (no Qt), which asks ``engine.inspect`` for them; this
file only draws. The nearest digits need the training set pushed through the network once per
model (and per epoch while training), which is slow for a convnet, so ``NeighbourSearch`` builds
them from a copy of the weights on a thread of its own and the panel polls for the result:
nothing from that thread ever touches a widget.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.core import inside, why
from playground.core.specs import names_are_digits
from playground.training.background_jobs import LatestJobs
from playground.widgets.digit_grid import CAPTION_GAP, SPACING, DigitGrid
from playground.widgets.theming import show_error_style

TILE = 56  # pixels per unit template or feature map
GUESS = "its guess"


def rgb_image(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of an (h, w, 3) uint8 array."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width, _ = rgb.shape
    return QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888).copy()


class PixelView(QWidget):
    """An RGB image scaled up with crisp pixels (the saliency map)."""

    def __init__(self, parent: QWidget | None = None, scale: int = 4):
        super().__init__(parent)
        self.setFixedSize(28 * scale + 2, 28 * scale + 2)
        self._image = QImage()

    def set_rgb(self, rgb: np.ndarray | None) -> None:
        self._image = rgb_image(rgb) if rgb is not None else QImage()
        self.update()

    def image(self) -> QImage:
        return self._image

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.SmoothPixmapTransform, False)
        painter.setPen(self.palette().color(QPalette.Mid))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if not self._image.isNull():
            painter.drawImage(self.rect().adjusted(1, 1, -1, -1), self._image)
        painter.end()


class TileRow(QWidget):
    """A row of small colour images, each with a caption under it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addStretch(1)
        self.captions: list[str] = []

    def set_tiles(self, tiles: list[tuple[np.ndarray, str, str]]) -> None:
        """``tiles``: (rgb array, caption, tooltip) for each tile."""
        while self._layout.count() > 1:
            widget = self._layout.takeAt(0).widget()
            widget.deleteLater()
        self.captions = []
        for position, (rgb, caption, tooltip) in enumerate(tiles):
            tile = QWidget(self)
            column = QVBoxLayout(tile)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(1)
            picture = QLabel(tile)
            picture.setPixmap(QPixmap.fromImage(rgb_image(rgb)).scaled(
                TILE, TILE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))
            text = QLabel(caption, tile)
            small = QFont(text.font())
            small.setPointSizeF(small.pointSizeF() * 0.85)
            text.setFont(small)
            column.addWidget(picture, 0, Qt.AlignHCenter)
            column.addWidget(text, 0, Qt.AlignHCenter)
            tile.setToolTip(tooltip)
            self._layout.insertWidget(position, tile)
            self.captions.append(caption)


class NeighbourSearch(QObject):
    """Builds ``why.Neighbours`` for (model, dataset) off the UI thread; ``ready`` fires on the UI
    thread when the newest request is done (older ones are dropped, ``LatestJobs``).

    The weights are copied when the search is asked for (``inside.Snapshot``) and the training
    digits embedded with that copy, which ``nearest`` then also uses for the drawing: the training
    controller writes each epoch's weights into the same model object on the UI thread, so the
    search never reads weights that change under it, and ``forget()`` (new weights) makes the
    next ``want`` search again. Until the new neighbours arrive the previous ones stay on show
    (those of the same network, a few weights ago); another network or dataset clears them.
    """

    ready = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._key = None  # (id of the model, id of the dataset) searched for
        self._stale = False  # the model's weights changed since
        self.neighbours: why.Neighbours | None = None
        self.jobs = LatestJobs(self, name="why-neighbours")
        self.jobs.done.connect(self._done)

    def want(self, model, dataset) -> None:
        """Ask for the neighbours of ``model`` among ``dataset``'s training digits (once per weights)."""
        if model is None or dataset is None or len(dataset.x_train) == 0 or not getattr(model, "built", False):
            self._key, self.neighbours = None, None
            return
        key = (id(model), id(dataset))
        if key == self._key and not self._stale:
            return
        if key != self._key:
            self.neighbours = None  # another network or dataset: its neighbours mean nothing here
        self._key, self._stale = key, False
        snapshot, images, labels = inside.Snapshot(model), dataset.x_train, dataset.y_train
        self.jobs.submit("neighbours", lambda: (key, why.Neighbours(snapshot.model, images, labels)))

    def forget(self) -> None:
        """The model's weights changed: the next ``want`` searches again."""
        self._stale = True

    def busy(self) -> bool:
        return self.jobs.busy("neighbours")

    def _done(self, _kind: str, result) -> None:
        key, neighbours = result
        if key == self._key:  # not a network or dataset left meanwhile
            self.neighbours = neighbours
            self.ready.emit()

    def shutdown(self) -> None:
        self.jobs.shutdown()


class WhyPanel(QWidget):
    """Saliency, the units that decided, nearest training digits, and style warnings."""

    class_changed = Signal()  # the learner chose another class to explain
    neighbour_activated = Signal(int)  # a training digit's index: open it in the Data panel
    explained = Signal()  # an explanation asked for with ``explain`` is on show

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("whyPanel")
        # the saliency and the deciding units take a backward pass (~40 ms for a convnet): off the UI thread
        self.jobs = LatestJobs(self, name="why-explain")
        self.jobs.done.connect(self._explained)
        self.jobs.failed.connect(self._explain_failed)
        self._asked = 0  # the number of the explanation wanted (0: none)
        self._clear_timer = QTimer(self, singleShot=True, interval=0)  # an explanation asked for right after
        self._clear_timer.timeout.connect(self._clear_now)  # a clear replaces it without a blank in between

        self.warning_label = QLabel("", self)
        self.warning_label.setObjectName("styleWarningLabel")
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()

        self.title = self._caption("Why this digit?")  # "Why this answer?" for classes that are not digits
        self.title.setObjectName("whyTitle")
        self.class_combo = QComboBox(self)
        self.class_combo.setObjectName("saliencyClassCombo")
        self.set_class_names(tuple(str(digit) for digit in range(10)))
        self.class_combo.currentIndexChanged.connect(self.class_changed)
        self.saliency_view = PixelView(self, scale=5)  # as tall as the units and the neighbours beside it
        self.saliency_view.setObjectName("saliencyView")
        self.saliency_view.setToolTip(
            "Saliency: how much each pixel moves the class's score (its gradient, from the same "
            "backward pass that trains the network). Red: ink there raises the score; blue: lowers it.")

        self.units_title = self._caption("Units that decided")
        self.units = TileRow(self)
        self.units.setObjectName("decidingUnits")

        self.neighbours_title = self._caption("Nearest training digits")
        self.neighbours = DigitGrid(self, cell_size=TILE - 8)
        self.neighbours.setObjectName("nearestDigits")
        self.neighbours.clickable = True
        self.neighbours.placeholder = ""
        row = 2 * SPACING + (TILE - 8) + self.neighbours.fontMetrics().height() + CAPTION_GAP  # as DigitGrid lays out
        self.neighbours.setFixedHeight(row)  # one row with its captions, reserved: the panel does not jump
        self.neighbours.setFixedWidth(why.NEIGHBOURS_SHOWN * (TILE - 8 + SPACING) + SPACING)  # under their title
        self.neighbours.activated.connect(lambda key: self.neighbour_activated.emit(int(key)))

        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Saliency of", self))
        chooser.addWidget(self.class_combo)
        chooser.addStretch(1)
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        grid.addLayout(chooser, 0, 0)
        grid.addWidget(self.saliency_view, 1, 0, 3, 1, Qt.AlignLeft | Qt.AlignTop)
        grid.addWidget(self.units_title, 0, 1)
        grid.addWidget(self.units, 1, 1)
        grid.addWidget(self.neighbours_title, 2, 1)
        grid.addWidget(self.neighbours, 3, 1, Qt.AlignLeft)
        grid.setColumnStretch(1, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.title)
        outer.addWidget(self.warning_label)
        outer.addLayout(grid)
        self.clear()

    def set_class_names(self, names: tuple[str, ...]) -> None:
        """Offer the map of each class by its name (a digit for MNIST, "Sneaker" for Fashion-MNIST),
        keeping the class chosen if the dataset still has it (else the network's guess)."""
        combo = self.class_combo
        chosen = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(GUESS, None)
        for label, name in enumerate(names):
            combo.addItem(name, label)
        combo.setCurrentIndex(max(0, combo.findData(chosen)) if chosen is not None else 0)
        combo.blockSignals(False)
        digits = names_are_digits(names)
        self.title.setText("Why this digit?" if digits else "Why this answer?")
        combo.setToolTip(f"Whose score the map follows: the network's guess, or any {'digit' if digits else 'class'} "
                         f"(\"what would make this a {names[-1] if names else '?'}?\")")
        if combo.currentData() != chosen:
            self.class_changed.emit()

    def _caption(self, text: str) -> QLabel:
        label = QLabel(text, self)
        font = QFont(label.font())
        font.setBold(True)
        label.setFont(font)
        return label

    def chosen_class(self) -> int | None:
        """The class the learner asked about, or None for the network's guess."""
        return self.class_combo.currentData()

    def clear(self) -> None:
        self._asked += 1
        self._clear_now()
        self.set_warnings([])

    def explain(self, model, image: np.ndarray, class_index: int | None) -> None:
        """Show why ``model`` reads ``image`` (28x28 in [0, 1]) as ``class_index``: computed from a copy
        of the weights (``inside.Snapshot``) on a thread of its own, shown when it arrives; a newer
        request or ``clear_explanation`` drops it."""
        self._clear_timer.stop()
        self._asked += 1
        asked, image = self._asked, np.array(image, dtype=np.float32)
        try:
            snapshot = inside.Snapshot(model)
        except Exception:  # noqa: BLE001 - a model the inspector cannot follow: the guess still shows
            self._clear_now()
            return
        self.jobs.submit("explain", lambda: (asked, image, why.explain(snapshot.model, image, class_index)))

    def explaining(self) -> bool:
        """Whether an explanation is still being computed (for tests)."""
        return self.jobs.busy("explain") or self._clear_timer.isActive()

    def _explained(self, _kind: str, result) -> None:
        asked, image, explanation = result
        if asked == self._asked:
            self.set_explanation(image, explanation)
            self.explained.emit()

    def _explain_failed(self, _kind: str, _message: str) -> None:
        self._clear_now()  # a model the inspector cannot follow: the guess still shows

    def shutdown(self) -> None:
        self.jobs.shutdown()

    def clear_explanation(self) -> None:
        """Nothing to explain (no drawing, or no trained network): empty views, unless an
        explanation is asked for before the event loop turns (then the old one stays until it comes)."""
        self._asked += 1  # an explanation on its way is no longer wanted
        self._clear_timer.start()

    def _clear_now(self) -> None:
        self._clear_timer.stop()
        self.saliency_view.set_rgb(None)
        self.units.set_tiles([])
        self.units_title.setText("Units that decided")
        self.neighbours.set_items([])
        self.neighbours_title.setText("Nearest training digits")

    def set_warnings(self, warnings: list[str]) -> None:
        self.warning_label.setText("\n".join(f"⚠ {text}" for text in warnings))
        self.warning_label.setVisible(bool(warnings))
        show_error_style(self.warning_label, bool(warnings))  # in the theme's red: the guess is not to be trusted

    def set_explanation(self, image: np.ndarray, explanation: why.Explanation) -> None:
        self.saliency_view.set_rgb(why.saliency_overlay(image, explanation.saliency))
        self.units_title.setText(explanation.units_title or "Units that decided")
        tiles = []
        for unit in explanation.units:
            rgb = why.diverging_rgb(unit.image) if unit.signed else _grey_rgb(unit.image)
            what = (f"its weights from the 784 pixels (red: ink there excites it). Its activation for this "
                    f"drawing (the number under it): {unit.activation:.3f}" if unit.signed
                    else f"its output at each position for this drawing (mean {unit.activation:.3f})")
            tiles.append((rgb, unit.caption, f"{unit.caption}: {what}. Its share of the class's score "
                                             f"(activation x gradient): {unit.contribution:+.3f}"))
        self.units.set_tiles(tiles)

    def set_neighbours(self, images: np.ndarray, found: list[tuple[int, int, float]], waiting: bool = False) -> None:
        if waiting:
            self.neighbours_title.setText("Nearest training digits (searching…)")
            self.neighbours.set_items([])
            return
        self.neighbours_title.setText("Nearest training digits (in the last hidden layer's space; click one to open it)"
                                      if found else "Nearest training digits")
        self.neighbours.set_items([images[index] for index, _, _ in found],
                                  captions=[f"{label}" for _, label, _ in found],
                                  keys=[index for index, _, _ in found],
                                  tooltips=[f"training digit {index + 1} (R) / {index} (NumPy), label {label}, "
                                            f"distance {distance:.2f}" for index, label, distance in found])


def _grey_rgb(values: np.ndarray) -> np.ndarray:
    values = np.nan_to_num(np.asarray(values, np.float32))
    top = float(values.max()) or 1.0
    grey = np.clip(values / top, 0, 1) * 255
    return np.repeat(grey.round().astype(np.uint8)[..., None], 3, axis=2)

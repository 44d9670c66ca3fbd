"""The runs drawn in the Training plots, one line each: show, hide or remove them one by one.

Comparing runs is how chapter 2's choices become visible (a higher learning rate, another
optimizer, a smaller batch), and after a few runs the plots are crowded: each line here has
a checkbox that shows or hides that run's curves, the run's colour, its number and what makes
it different ("512 relu · sgd lr=0.01 · bs 32 · val 0.2 · 5 epochs"). What every run shares is
said once above the lines, so each line keeps only its differences. Remove takes the selected
run off the plots; Clear runs takes them all. Under the list, the key to the curves' styles.

A thin view over ``TrainingPlots``: it redraws from ``plots.runs`` whenever
``plots.runs_changed`` fires and writes back only through ``set_run_visible`` and ``remove_run``.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from playground.panels.training_plots import TrainingPlots
from playground.text.keras_log import distinct_parts

KEY = "─ batch (smoothed)  ● epoch, train  □ validation  ✕ Step/Pause"


def swatch(colour: QColor, size: int = 12) -> QIcon:
    """A small square of the run's colour, as a legend shows it."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(Qt.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(1, 1, size - 2, size - 2, 2, 2)
    painter.end()
    return QIcon(pixmap)


class RunList(QWidget):
    """``runList`` (a checkbox per run), ``removeRunButton`` and ``clearRunsButton``."""

    def __init__(self, plots: TrainingPlots, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("runListPanel")
        self.plots = plots
        self.busy_run: int | None = None  # the run being trained: not removable until it stops

        self.list = QListWidget(self)
        self.list.setObjectName("runList")
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.setTextElideMode(Qt.ElideMiddle)  # the number and the epochs stay in view
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)  # elide; the tooltip has it all
        self.list.setUniformItemSizes(True)
        self.list.setToolTip("Tick a run to show its curves, untick to hide them")
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())

        style = self.style()
        self.remove_button = QPushButton(style.standardIcon(QStyle.SP_TrashIcon), "Remove", self)
        self.remove_button.setObjectName("removeRunButton")
        self.remove_button.setToolTip("Take the selected run off the plots")
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button = QPushButton(style.standardIcon(QStyle.SP_DialogResetButton), "Clear runs", self)
        self.clear_button.setObjectName("clearRunsButton")
        self.clear_button.setToolTip("Remove all curves from the plots")
        self.clear_button.clicked.connect(self.plots.clear_runs)

        self.shared_label = QLabel(self)  # "Runs", or "Runs · all: 512 relu · bs 128"
        self.shared_label.setObjectName("runsSharedLabel")
        self.shared_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # long: cut, see tooltip
        self.key_label = QLabel(KEY, self)
        self.key_label.setObjectName("curveKeyLabel")
        self.key_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.key_label.setToolTip("Thin line: each batch's loss or accuracy, smoothed (EMA)\n"
                                  "Filled circles: the training data's mean over the epoch (Keras's loss)\n"
                                  "Hollow squares, dashed: the validation data at the end of each epoch\n"
                                  "Crosses: a single batch where training paused (Step one batch, Pause)")
        self.key_label.setForegroundRole(QPalette.PlaceholderText)

        header = QHBoxLayout()
        header.setSpacing(6)
        header.addWidget(self.shared_label, 1)
        header.addWidget(self.remove_button)
        header.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.key_label)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Expanding)
        plots.runs_changed.connect(self.refresh)
        self.refresh()

    # -- queries (what a test reads) ----------------------------------------------------------------
    def entries(self) -> list[tuple[int, str, bool]]:
        """``(run number, text, shown)`` for each line, top to bottom."""
        return [(item.data(Qt.UserRole), item.text(), item.checkState() == Qt.Checked) for item in self._items()]

    def item_for(self, number: int) -> QListWidgetItem | None:
        return next((item for item in self._items() if item.data(Qt.UserRole) == number), None)

    # -- actions -------------------------------------------------------------------------------------
    def remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None and item.data(Qt.UserRole) != self.busy_run:
            self.plots.remove_run(item.data(Qt.UserRole))

    def set_busy_run(self, number: int | None) -> None:
        self.busy_run = number
        self._update_buttons()

    # -- drawing -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Rebuild the lines from ``plots.runs`` (a handful: cheap), keeping the selection."""
        current = self.list.currentItem()
        selected = current.data(Qt.UserRole) if current is not None else None
        runs = list(self.plots.runs.items())
        shared, own = distinct_parts([run.label for _, run in runs])
        shared_text = " · ".join(shared)
        self.shared_label.setText(f"<b>Runs</b> · all: {shared_text}" if shared else "<b>Runs</b>")
        self.shared_label.setToolTip(f"Every run here has: {shared_text}" if shared else "")
        with QSignalBlocker(self.list):
            self.list.clear()
            for (number, run), differs in zip(runs, own):
                text = f"{number}  " + " · ".join(part for part in (differs, run.note) if part)
                item = QListWidgetItem(swatch(run.colour), text)
                item.setData(Qt.UserRole, number)
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked if run.visible else Qt.Unchecked)
                item.setToolTip(f"Run {number}: {run.label}" + (f", {run.note}" if run.note else "")
                                + "\nTick to show its curves, untick to hide them.")
                self.list.addItem(item)
                if number == selected:
                    self.list.setCurrentItem(item)
        self._update_buttons()

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        self.plots.set_run_visible(item.data(Qt.UserRole), item.checkState() == Qt.Checked)

    def _update_buttons(self) -> None:
        item = self.list.currentItem()
        self.remove_button.setEnabled(item is not None and item.data(Qt.UserRole) != self.busy_run)
        self.clear_button.setEnabled(self.list.count() > 0)

    def _items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())]

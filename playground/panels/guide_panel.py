"""Start here: the chapter guide, chapter 2's sections in the book's order, each with a button that
opens the place in the app where it lives (``playground.core.guide`` holds the contents)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from playground.core import guide

INTRO = ("Chapter 2 of Deep Learning with R, section by section. Each button opens the panel where "
         "you can see and change that idea; the console takes the book's R as written.")


class GuidePanel(QWidget):
    """``open_requested(place)`` asks the window to show a place (a ``guide.Place``)."""

    open_requested = Signal(object)

    def __init__(self, available: Callable[[str], bool] = lambda name: True, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("chapterGuide")
        self.buttons: dict[tuple[str, str], QPushButton] = {}  # (section number, button text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(10)
        intro = QLabel(INTRO, self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        for section in guide.SECTIONS:
            layout.addWidget(self._section(section, available))
        layout.addStretch(1)

    def _section(self, section: guide.Section, available) -> QWidget:
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        title = QLabel(f"{section.number}  {section.title}", box)
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)
        text = QLabel(section.text, box)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        column.addWidget(title)
        column.addWidget(text)
        row = QHBoxLayout()
        row.setSpacing(6)
        for place in section.places:
            if not available(place.panel):
                continue  # never a button to nowhere
            button = QPushButton(place.label, box)
            button.setObjectName(f"guide_{section.number}_{place.panel}")
            button.clicked.connect(lambda _=False, p=place: self.open_requested.emit(p))
            row.addWidget(button)
            self.buttons[(section.number, place.label)] = button
        row.addStretch(1)
        column.addLayout(row)
        return box

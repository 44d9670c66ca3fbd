"""The dark theme keeps every control readable: an unticked checkbox (a run in the Runs list, an
option) has a frame that stands out from the window, which Fusion's own, a shade darker than the
window, does not."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton

from playground.widgets.theme import apply_theme


def frame_contrast(qtbot) -> int:
    box = QCheckBox("unticked")
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    ratio = image.width() / box.width()  # device pixels
    lightest = max(QColor(image.pixel(int(x * ratio), int(y * ratio))).lightness()
                   for x in range(rect.left(), rect.right() + 1) for y in range(rect.top(), rect.bottom() + 1))
    return lightest - box.palette().color(QPalette.Window).lightness()


def test_an_unticked_checkbox_stands_out_in_the_dark_theme(qtbot):
    apply_theme(True)
    try:
        assert frame_contrast(qtbot) >= 25
    finally:
        apply_theme(False)

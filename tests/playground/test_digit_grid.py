"""The grid of digits with captions (Data, Evaluate, My digits, Why): its size follows its captions,
and measuring them does not happen again at every layout pass."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QFont

from playground.widgets.digit_grid import DigitGrid


def grid_with(qtbot, captions):
    grid = DigitGrid(cell_size=28)
    qtbot.addWidget(grid)
    grid.set_items(np.zeros((len(captions), 28, 28), np.uint8), captions=captions)
    return grid


def count_measures(grid):
    calls, measure = [], grid.fontMetrics
    grid.fontMetrics = lambda: calls.append(1) or measure()
    return calls


def test_tiles_widen_to_the_widest_caption_and_follow_new_captions_and_fonts(qtbot):
    grid = grid_with(qtbot, ["7 → 2"] * 300)
    narrow = grid.sizeHint().width()
    grid.set_items(np.zeros((300, 28, 28), np.uint8), captions=["Ankle boot → Sneaker"] * 300)
    assert grid.sizeHint().width() > narrow
    wide = grid.sizeHint().width()
    bigger = QFont(grid.font())
    bigger.setPointSizeF(bigger.pointSizeF() * 2)
    grid.setFont(bigger)
    assert grid.sizeHint().width() > wide


def test_a_layout_pass_does_not_measure_hundreds_of_captions_again(qtbot):
    grid = grid_with(qtbot, [f"{i % 10} → {(i + 1) % 10}" for i in range(300)])
    grid.sizeHint()
    calls = count_measures(grid)
    for _ in range(5):
        grid.sizeHint(), grid.minimumSizeHint(), grid.columns()
    assert calls == []

"""Reusable widgets: one digit (``DigitView``), a grid of digits (``DigitGrid``), a spin box for
hyperparameters (``NumberSpinBox``), panel mixins and small helpers.

``dataset_source_bar`` (the Data panel's download bar), ``theming`` (the error red that follows
the theme), ``theme`` (light and dark palettes), ``keys`` (shortcuts), ``draw_canvas``,
``probability_chart`` and ``plot_export`` are imported from their modules. Widgets may import
``playground.core`` and ``playground.text`` and, for the state they show, ``playground.training``;
never ``panels`` or the window.
"""
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget

from playground.widgets.digit_grid import DigitGrid
from playground.widgets.digit_view import DigitView, grey_image, to_grey8
from playground.widgets.number_spin_box import NumberSpinBox
from playground.widgets.panel_mixins import FitsShortDock, LocksWhileTraining

__all__ = ["DigitGrid", "DigitView", "FitsShortDock", "LocksWhileTraining", "NumberSpinBox", "grey_image",
           "hint_label", "scroll_area", "to_grey8", "wrapped_label"]


def wrapped_label(text: str = "", **qt_properties) -> QLabel:
    """A word-wrapped label whose *minimum* height is one line.

    A wrapped QLabel otherwise reports the height it needs at its narrowest, several lines,
    and a panel full of them cannot fit a short dock; the layout still gives each label the
    height its actual width needs.
    """
    label = QLabel(text, wordWrap=True, **qt_properties)
    label.setMinimumHeight(label.fontMetrics().height())
    return label


def hint_label(text: str = "", **qt_properties) -> QLabel:
    """A small, wrapped label in the palette's secondary text colour (light and dark themes)."""
    label = wrapped_label(text, **qt_properties)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    label.setFont(font)
    label.setMinimumHeight(label.fontMetrics().height())
    return label


def scroll_area(widget: QWidget, **qt_properties) -> QScrollArea:
    """``widget`` in a scroll area that gives it the full width (a ``DigitGrid`` then wraps)."""
    area = QScrollArea(widgetResizable=True, **qt_properties)
    area.setWidget(widget)
    return area

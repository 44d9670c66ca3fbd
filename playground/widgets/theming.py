"""Keeping hand-styled widgets right when the theme changes (View > Dark theme).

Most of the app colours itself from palette roles and follows a theme switch by itself. The
few colours that are not palette roles, above all the error red (``theme.error_colour()``),
are style sheets, set with ``show_error_style``. Qt tells a widget with a style sheet nothing
when the palette changes, so a panel calls ``follow_theme(self, ...)`` on itself (panels have
no style sheet) and re-applies its children's reds there with ``refresh_error_styles(self)``.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from playground.widgets.theme import error_colour

ERROR_TEXT = "color: {red};"  # ``{red}`` becomes the theme's error red
_STYLE_PROPERTY = "errorStyle"  # a dynamic property: the style sheet with {red} still in it


class _ThemeFollower(QObject):
    """Calls ``restyle()`` whenever the widget's palette changes (it is a child of the widget).

    A theme switch sends ``ApplicationPaletteChange`` to windows and ``PaletteChange`` to the
    widgets inside them whose palette follows the application's (not those with a style sheet),
    so both are watched.
    """

    def __init__(self, widget: QWidget, restyle: Callable[[], None]):
        super().__init__(widget)
        self._restyle = restyle
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()
        return False


def follow_theme(widget: QWidget, restyle: Callable[[], None]) -> None:
    """Call ``restyle()`` now, and again whenever the theme (the application palette) changes.

    ``widget`` must not have a style sheet of its own (use the panel, not the styled label).
    """
    _ThemeFollower(widget, restyle)
    restyle()


def _apply_error_style(widget: QWidget) -> None:
    # the application palette: a widget with a style sheet keeps the palette it was polished with
    sheet = (widget.property(_STYLE_PROPERTY) or "").replace("{red}", error_colour())
    if widget.styleSheet() != sheet:  # unchanged: set nothing, so no new PaletteChange
        widget.setStyleSheet(sheet)


def show_error_style(widget: QWidget, error: bool = True, style: str = ERROR_TEXT) -> None:
    """Give ``widget`` the style sheet ``style`` with ``{red}`` in the theme's error red, or no
    style sheet when not ``error``. ``refresh_error_styles`` re-applies it after a theme switch."""
    widget.setProperty(_STYLE_PROPERTY, style if error else "")
    _apply_error_style(widget)


def refresh_error_styles(root: QWidget) -> None:
    """Re-apply ``show_error_style`` to ``root`` and its descendants (after a theme switch)."""
    for widget in (root, *root.findChildren(QWidget)):
        if widget.property(_STYLE_PROPERTY):
            _apply_error_style(widget)

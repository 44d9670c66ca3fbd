"""Light and dark looks for the whole application (View > Dark theme).

Panels colour themselves from palette roles (``QPalette.Base``, ``Text``...), never from
hard-coded black or white, so switching the application palette is all a theme needs. The
Fusion style is used for the dark theme because it follows the palette everywhere.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

_light_palette: QPalette | None = None


def dark_palette() -> QPalette:
    """A calm dark palette (greys, not black) with a blue accent and readable disabled text."""
    p = QPalette()
    roles = {
        QPalette.Window: "#2b2d31", QPalette.WindowText: "#e6e6e6", QPalette.Base: "#1e1f22",
        QPalette.AlternateBase: "#26282c", QPalette.ToolTipBase: "#3a3d42",
        QPalette.ToolTipText: "#f0f0f0", QPalette.Text: "#e6e6e6", QPalette.Button: "#35373c",
        QPalette.ButtonText: "#e6e6e6", QPalette.BrightText: "#ff6b6b", QPalette.Link: "#6ea8fe",
        QPalette.Highlight: "#3d6fd6", QPalette.HighlightedText: "#ffffff",
        QPalette.PlaceholderText: "#8a8d93", QPalette.Light: "#4a4d53", QPalette.Midlight: "#3f4247",
        QPalette.Mid: "#55585e", QPalette.Dark: "#1a1b1e", QPalette.Shadow: "#0d0d0f",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.Text, QPalette.WindowText, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor("#7c7f85"))
    p.setColor(QPalette.Disabled, QPalette.Button, QColor("#303236"))
    return p


#: The one "error red" of the app (messages, invalid fields, mistakes): darker on a light
#: background, lighter on a dark one, so it keeps its contrast in both themes.
ERROR_RED_ON_LIGHT, ERROR_RED_ON_DARK = "#c62828", "#ff7b72"


class ReadableCheckBoxes(QProxyStyle):
    """Fusion, with the frame of a checkbox drawn in the palette's ``Mid`` colour on a dark palette.

    Fusion draws that frame a shade darker than the window: on a dark background an unticked box,
    in a list of runs or alone, could not be seen at all.
    """

    INDICATORS = (QStyle.PE_IndicatorCheckBox, QStyle.PE_IndicatorItemViewItemCheck)

    def drawPrimitive(self, element, option, painter: QPainter, widget=None) -> None:  # noqa: N802 (Qt name)
        super().drawPrimitive(element, option, painter, widget)
        if element in self.INDICATORS and palette_is_dark(option.palette):
            painter.save()
            painter.setRenderHint(QPainter.Antialiasing, False)
            painter.setPen(QPen(option.palette.color(QPalette.Mid), 1))
            painter.setBrush(QColor(0, 0, 0, 0))
            box = QRectF(option.rect).adjusted(0.5, 0.5, -1.5, -1.5)
            side = min(box.width(), box.height())
            painter.drawRect(QRectF(box.x(), box.center().y() - side / 2, side, side))
            painter.restore()


def palette_is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.Window).lightness() < 128


def is_dark(app: QApplication | None = None) -> bool:
    app = app or QApplication.instance()
    return palette_is_dark(app.palette())


def error_colour(palette: QPalette | None = None) -> str:
    """The error red that reads on ``palette`` (default: the application's current palette)."""
    palette = palette if palette is not None else QApplication.palette()
    return ERROR_RED_ON_DARK if palette_is_dark(palette) else ERROR_RED_ON_LIGHT


def apply_theme(dark: bool, app: QApplication | None = None) -> None:
    """Switch the application palette; the light one is whatever the platform gave at first."""
    global _light_palette
    app = app or QApplication.instance()
    if _light_palette is None:
        _light_palette = QPalette(app.palette())
    if dark:
        if not isinstance(app.style(), ReadableCheckBoxes):
            app.setStyle(ReadableCheckBoxes("Fusion"))
        app.setPalette(dark_palette())
    else:
        app.setPalette(_light_palette)

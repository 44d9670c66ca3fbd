"""The Inside panel's views: weight templates, a colour legend, activations, the embedding's
scatter and the histograms. They only draw what ``playground.core.inside`` computed; the panel
(``inside_panel.py``) decides when.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPainterPath, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from playground.core import inside
from playground.widgets import DigitView, hint_label, wrapped_label

GAP = 2  # pixels between 28 x 28 templates (small filters get more, so each reads as one picture)
TILE_TARGET = 52  # about this many screen pixels per template (a whole-number zoom of its pixels)
BAR_HEIGHT = 96  # of one layer's bar chart
MAP_COLUMNS = 16  # feature maps to a row, at most
MAP_GAP = 2
HISTOGRAM_ROW = 150  # pixels per layer's row of histograms
# ten colours told apart in light and dark themes (Tableau's ten, as matplotlib's "tab10")
LABEL_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def rgb_image(rgb: np.ndarray) -> QImage:
    """A QImage that owns a copy of an (h, w, 3) uint8 array."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width, _ = rgb.shape
    return QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888).copy()


def themed_plot(plot: pg.PlotItem, palette: QPalette) -> None:
    """Axes and title in the palette's text colour (pyqtgraph's defaults suit only black)."""
    text = palette.color(QPalette.Text)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))
        if axis.labelText:
            axis.setLabel(axis.labelText, color=text.name())
    plot.titleLabel.setText(plot.titleLabel.text, color=text)


# ----- weights -----------------------------------------------------------------------------------
class TemplateGrid(QWidget):
    """Every unit's template, in as many columns as the width holds (inside a scroll area)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._strip = QImage()  # every tile, one under the other: one image, made in a millisecond
        self._count, self._side = 0, 1
        self._tooltips: list[str] = []
        self._cell = TILE_TARGET
        self._gap = GAP
        self.placeholder = ""

    def set_templates(self, tiles: np.ndarray | None, tooltips: list[str] | None = None) -> None:
        """``tiles``: (units, h, w, 3) uint8 pictures; None shows the placeholder."""
        if tiles is None or len(tiles) == 0:
            self._strip, self._count, self._tooltips = QImage(), 0, []
        else:
            self._strip = rgb_image(tiles.reshape(-1, *tiles.shape[2:]))
            self._count, self._side = len(tiles), tiles.shape[1]
            self._tooltips = list(tooltips or [""] * len(tiles))
            self._cell = tiles.shape[1] * max(1, round(TILE_TARGET / tiles.shape[1]))
            self._gap = GAP if tiles.shape[1] >= 14 else 3 * GAP
        self._relayout()

    def count(self) -> int:
        return self._count

    def columns(self) -> int:
        return max(1, (self.width() - self._gap) // (self._cell + self._gap))

    def item_rect(self, position: int) -> QRect:
        row, column = divmod(position, self.columns())
        return QRect(self._gap + column * (self._cell + self._gap), self._gap + row * (self._cell + self._gap), self._cell, self._cell)

    def item_at(self, point) -> int:
        column, row = (point.x() - self._gap) // (self._cell + self._gap), (point.y() - self._gap) // (self._cell + self._gap)
        position = row * self.columns() + column
        inside_tile = 0 <= column < self.columns() and row >= 0 and 0 <= position < self.count()
        return position if inside_tile and self.item_rect(position).contains(point) else -1

    def _needed_height(self) -> int:
        if not self._count:
            return self.fontMetrics().height() * 3
        rows = -(-self.count() // self.columns())
        return self._gap + rows * (self._cell + self._gap)

    def _relayout(self) -> None:
        self.setFixedHeight(self._needed_height())
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(10 * (self._cell + self._gap), self._needed_height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(self._cell + 2 * self._gap, 0)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.height() != self._needed_height():
            self.setFixedHeight(self._needed_height())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        position = self.item_at(event.position().toPoint())
        if position >= 0 and self._tooltips[position]:
            QToolTip.showText(event.globalPosition().toPoint(), self._tooltips[position], self)
        else:
            QToolTip.hideText()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        if not self._count:
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        columns = self.columns()
        first_row = max(0, (event.rect().top() - self._gap) // (self._cell + self._gap))
        last_row = (event.rect().bottom() - self._gap) // (self._cell + self._gap)
        for position in range(first_row * columns, min((last_row + 1) * columns, self.count())):
            source = QRect(0, position * self._side, self._strip.width(), self._side)
            painter.drawImage(self.item_rect(position), self._strip, source)


class ColourLegend(QWidget):
    """A bar from blue (-scale) through white (0) to red (+scale), labelled at both ends and zero."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.scale = 1.0
        self.setFixedHeight(self.fontMetrics().height() + 16)
        self.setMinimumWidth(160)
        self.setMaximumWidth(360)

    def set_scale(self, scale: float) -> None:
        self.scale = float(scale)
        self.update()

    def labels(self) -> tuple[str, str, str]:
        return f"−{self.scale:.3g}", "0", f"+{self.scale:.3g}"

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        metrics = self.fontMetrics()
        bar = QRect(0, 0, self.width() - 1, 10)
        gradient = QLinearGradient(QPointF(bar.left(), 0), QPointF(bar.right(), 0))
        for stop, colour in ((0.0, "#1e46c8"), (0.5, "#ffffff"), (1.0, "#c81e1e")):
            gradient.setColorAt(stop, QColor(colour))
        painter.fillRect(bar, gradient)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawRect(bar)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        text = QRect(0, bar.bottom() + 2, self.width(), metrics.height())
        low, zero, high = self.labels()
        painter.drawText(text, Qt.AlignmentFlag.AlignLeft, low)
        painter.drawText(text, Qt.AlignmentFlag.AlignHCenter, zero)
        painter.drawText(text, Qt.AlignmentFlag.AlignRight, high)


# ----- activations ---------------------------------------------------------------------------------
class BarChart(QWidget):
    """One bar per unit (a painted widget: quick to make and to redraw, it follows the palette)."""

    def __init__(self, parent: QWidget | None = None, count: int = 0):
        super().__init__(parent)
        self.values = np.zeros(count, np.float32)
        self.setMouseTracking(True)
        self.setMinimumWidth(120)
        self.values = np.zeros(count, np.float32)
        self.setFixedHeight(BAR_HEIGHT + (self.fontMetrics().height() if count <= 10 else 0))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_values(self, values: np.ndarray) -> None:
        self.values = np.nan_to_num(np.asarray(values, np.float32).ravel())
        self.update()

    def _plot_area(self) -> QRect:
        metrics = self.fontMetrics()
        left, top = metrics.horizontalAdvance("-0.00") + 8, metrics.height() // 2 + 2  # room for the labels
        bottom = metrics.height() + 4 if len(self.values) <= 10 else top
        return QRect(left, top, max(self.width() - left - 4, 1), max(self.height() - top - bottom, 1))

    def _range(self) -> tuple[float, float]:
        low, high = min(float(self.values.min(initial=0)), 0.0), max(float(self.values.max(initial=0)), 0.0)
        return low, (high if high > low else low + 1.0)

    def bar_at(self, x: float) -> int:
        area, n = self._plot_area(), len(self.values)
        position = int((x - area.left()) / max(area.width(), 1) * n) if n else -1
        return position if 0 <= position < n else -1

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        position = self.bar_at(event.position().x())
        if position >= 0:
            QToolTip.showText(event.globalPosition().toPoint(), f"{'class' if len(self.values) <= 10 else 'unit'} "
                              f"{position}: {self.values[position]:.3f}", self)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        palette, metrics = self.palette(), self.fontMetrics()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        area, n = self._plot_area(), len(self.values)
        if not n:
            return
        low, high = self._range()

        def y_of(value: float) -> float:
            return area.bottom() - (value - low) / (high - low) * area.height()

        width = area.width() / n
        colour = palette.color(QPalette.ColorRole.Highlight)
        zero = y_of(0.0)
        for i, value in enumerate(self.values):
            top = y_of(float(value))
            painter.fillRect(QRectF(area.left() + i * width + width * 0.1, min(top, zero), max(width * 0.8, 1.0),
                                    max(abs(zero - top), 0.5)), colour)
        text = palette.color(QPalette.ColorRole.Text)
        painter.setPen(text)
        painter.drawLine(area.left(), round(zero), area.right(), round(zero))
        for value in {low, 0.0, high}:
            painter.drawText(QRect(0, round(y_of(value)) - metrics.height() // 2, area.left() - 4, metrics.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:.2g}")
        below = QRect(0, area.bottom() + 4, 0, metrics.height())
        if n <= 10:
            for i in range(n):
                below.setLeft(round(area.left() + i * width))
                below.setWidth(round(width))
                painter.drawText(below, Qt.AlignmentFlag.AlignHCenter, str(i))


class ActivationList(QWidget):
    """One row per layer: its summary, then bars (one per unit) or its feature maps."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addStretch(1)
        self._signature = None
        self.rows: list[tuple[QLabel, QWidget]] = []

    def set_activations(self, shown: list[inside.LayerActivation]) -> None:
        signature = [(each.name, each.kind, each.values.shape) for each in shown]
        if signature != self._signature:
            self._rebuild(shown)
            self._signature = signature
        for (label, view), each in zip(self.rows, shown):
            label.setText(each.summary)
            if each.kind == "bars":
                view.set_values(each.values)
            else:
                view.set_maps(each.values)

    def _rebuild(self, shown) -> None:
        for label, view in self.rows:
            label.deleteLater()
            view.deleteLater()
        self.rows = []
        for position, each in enumerate(shown):
            label = wrapped_label()
            if each.kind == "bars":
                view = BarChart(count=len(each.values))
            else:
                view = MapsView()
            self._layout.insertWidget(2 * position, label)
            self._layout.insertWidget(2 * position + 1, view)
            self.rows.append((label, view))


def _map_tiles(values: np.ndarray) -> np.ndarray:
    """(h, w, channels) as (channels, h', w', 3) grey tiles of about 40 pixels, all on one scale
    (black 0, white the layer's largest)."""
    maps = np.moveaxis(np.nan_to_num(np.asarray(values, np.float32)), -1, 0)
    top = float(maps.max()) if maps.size and maps.max() > 0 else 1.0
    grey = (np.clip(maps / top, 0, 1) * 255).round().astype(np.uint8)
    zoom = max(1, round(40 / maps.shape[1]))  # about 40 pixels a map, whole pixels
    tiles = np.repeat(np.repeat(grey, zoom, axis=1), zoom, axis=2)
    return np.repeat(tiles[..., None], 3, axis=3)


class MapsView(QWidget):
    """A layer's feature maps as a grey mosaic, as many to a row as the width holds (at most
    ``MAP_COLUMNS``): a narrow dock wraps them instead of cutting the row off."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self._tiles = np.zeros((0, 1, 1, 3), np.uint8)
        self._image, self._columns = QImage(), None

    def set_maps(self, values: np.ndarray) -> None:
        self._tiles, self._columns = _map_tiles(values), None
        self.updateGeometry()
        self.update()

    def columns(self, width: int | None = None) -> int:
        """Maps to a row at ``width``: as many as fit, spread evenly over the rows they need."""
        n, _, tile, _ = self._tiles.shape
        width = self.width() if width is None else width
        fit = max(1, min(MAP_COLUMNS, n, (width + MAP_GAP) // (tile + MAP_GAP)))
        rows = -(-n // fit) if n else 1
        return max(1, -(-n // rows)) if n else 1

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        n, tile = len(self._tiles), self._tiles.shape[1]
        rows = -(-n // self.columns(width)) if n else 0
        return max(rows * (tile + MAP_GAP) - MAP_GAP, 0)

    def sizeHint(self) -> QSize:  # noqa: N802
        width = self.columns(10**6) * (self._tiles.shape[2] + MAP_GAP)
        return QSize(width, self.heightForWidth(width))

    def image(self) -> QImage:
        """The mosaic as drawn at the present width."""
        columns, background = self.columns(), self.palette().color(self.backgroundRole()).getRgb()[:3]
        if (columns, background) != self._columns or self._image.isNull():
            self._columns = (columns, background)  # the gaps and an unfilled last row: the view's background
            self._image = (rgb_image(inside.mosaic(self._tiles, columns, gap=MAP_GAP, background=background))
                           if len(self._tiles) else QImage())
        return self._image

    def pixmap(self) -> QPixmap:
        return QPixmap.fromImage(self.image())

    def paintEvent(self, event) -> None:  # noqa: N802
        image = self.image()
        if not image.isNull():
            painter = QPainter(self)
            painter.drawImage(0, 0, image)
            painter.end()


# ----- the embedding --------------------------------------------------------------------------------
class EmbeddingView(QWidget):
    """The digits as coloured points; hovering one shows it, clicking one emits its index."""

    clicked = Signal(int)  # the digit's index among the test digits
    hovered = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("embeddingPlot")
        self.plot.setMenuEnabled(False)
        self.plot.setMinimumSize(200, 200)
        self.plot.hideButtons()
        self.scatters = []  # one per label, each with its one colour: far quicker than a brush per point
        for colour in LABEL_COLOURS:
            scatter = pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(QColor(colour)), hoverable=True,
                                         hoverSize=11, hoverPen=pg.mkPen("k", width=1.5), tip=None)
            scatter.sigClicked.connect(self._on_clicked)
            scatter.sigHovered.connect(self._on_hovered)
            self.plot.addItem(scatter)
            self.scatters.append(scatter)
        self.digit_view = DigitView(objectName="embeddingDigit")
        self.digit_view.setFixedSize(112, 112)
        self.digit_view.placeholder = ""
        self.digit_caption = hint_label("Hover over a point to see its digit; click to open it in the Data panel.")
        self.digit_caption.setFixedWidth(140)
        self.key = QLabel()
        self.key.setObjectName("embeddingKey")
        side = QVBoxLayout()
        side.addWidget(self.digit_view)
        side.addWidget(self.digit_caption)
        side.addStretch(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.plot, 1)
        row.addLayout(side)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(row, 1)
        outer.addWidget(self.key)
        self._images = np.zeros((0, 28, 28), np.uint8)
        self._labels = np.zeros(0, int)
        self.apply_palette()

    def set_embedding(self, embedding: inside.Embedding | None, images: np.ndarray | None = None) -> None:
        if embedding is None:
            for scatter in self.scatters:
                scatter.clear()
            self._images, self._labels = np.zeros((0, 28, 28), np.uint8), np.zeros(0, int)
            return
        self._images, self._labels = images, embedding.labels
        xy = embedding.coordinates
        for label, scatter in enumerate(self.scatters):
            mine = np.flatnonzero(embedding.labels % len(self.scatters) == label)
            if len(scatter.data) == len(mine) and np.array_equal(scatter.data["data"].astype(int), mine):
                _move_points(scatter, xy[mine])  # the same digits after another epoch: only their places change
            else:
                scatter.setData(x=xy[mine, 0], y=xy[mine, 1], data=mine)
        share = embedding.explained
        plot = self.plot.getPlotItem()
        plot.setLabel("bottom", f"axis 1 ({share[0]:.0%} of the variance)")
        plot.setLabel("left", f"axis 2 ({share[1]:.0%})")
        plot.autoRange()  # now, not at the next paint: a click right after lands on the points drawn
        themed_plot(plot, self.palette())

    def point_count(self) -> int:
        return sum(len(scatter.data) for scatter in self.scatters)

    def points(self) -> dict[int, tuple[QPointF, str]]:
        """Each digit's point and colour, by its index among the test digits."""
        return {int(point.data()): (point.pos(), point.brush().color().name())
                for scatter in self.scatters for point in scatter.points()}

    def point_colours(self) -> list[str]:
        """The colour of each digit's point, in the digits' order."""
        found = self.points()
        return [found[index][1] for index in sorted(found)]

    def _on_clicked(self, _item, points, _event=None) -> None:
        if len(points):
            self.clicked.emit(int(points[0].data()))

    def _on_hovered(self, _item, points, _event=None) -> None:
        if len(points):
            index = int(points[0].data())
            self.show_digit(index)
            self.hovered.emit(index)

    def show_digit(self, index: int) -> None:
        if 0 <= index < len(self._images):
            self.digit_view.set_image(self._images[index])
            self.digit_caption.setText(f"test digit {index} (R: {index + 1}), label {int(self._labels[index])}. "
                                       "Click the point to open it in the Data panel.")

    def apply_palette(self) -> None:
        palette = self.palette()
        self.plot.setBackground(palette.color(QPalette.Base))
        themed_plot(self.plot.getPlotItem(), palette)
        for scatter in getattr(self, "scatters", []):
            scatter.opts["hoverPen"] = pg.mkPen(palette.color(QPalette.Text), width=1.5)
        self.key.setText("Label: " + "  ".join(f'<span style="color:{colour}">●</span>&nbsp;{digit}'
                                               for digit, colour in enumerate(LABEL_COLOURS)))

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and hasattr(self, "key"):
            self.apply_palette()
        super().changeEvent(event)


def _move_points(scatter: pg.ScatterPlotItem, xy: np.ndarray) -> None:
    """New places for the same points, keeping their looks (``setData`` would rebuild each point's
    symbol: 20 ms for 2,000 points, every epoch, on the UI thread)."""
    scatter.data["x"], scatter.data["y"] = xy[:, 0], xy[:, 1]
    scatter.prepareGeometryChange()
    scatter.informViewBoundsChanged()
    scatter.bounds = [None, None]
    scatter.invalidate()
    scatter.sigPlotChanged.emit(scatter)


# ----- histograms ------------------------------------------------------------------------------------
class HistogramChart(QWidget):
    """Histograms of one layer's weights (or gradients), one step curve per epoch: the newest
    strong, the older ones faint. Painted: quick to make, it follows the palette."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = ""
        self.histograms: list[inside.Histogram | None] = []
        self.setFixedHeight(HISTOGRAM_ROW)
        self.setMinimumWidth(150)

    def set_histograms(self, title: str, histograms: list) -> None:
        self.title, self.histograms = title, list(histograms)
        self.update()

    def _plot_area(self) -> QRect:
        metrics = self.fontMetrics()
        left = metrics.horizontalAdvance("000000") + 6
        return QRect(left, metrics.height() + 6, max(self.width() - left - 8, 1),
                     max(self.height() - 2 * metrics.height() - 14, 1))

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        palette, metrics = self.palette(), self.fontMetrics()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        painter.setPen(text)
        painter.drawText(QRect(0, 2, self.width(), metrics.height()), Qt.AlignmentFlag.AlignHCenter, self.title)
        shown = [h for h in self.histograms if h is not None]
        if not shown:
            return
        area = self._plot_area()
        low = min(float(h.edges[0]) for h in shown)
        high = max(float(h.edges[-1]) for h in shown)
        top = max(int(h.counts.max(initial=0)) for h in shown) or 1
        span = (high - low) or 1.0

        def point(x: float, count: float) -> QPointF:
            return QPointF(area.left() + (x - low) / span * area.width(), area.bottom() - count / top * area.height())

        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        colour = palette.color(QPalette.ColorRole.Highlight)
        newest = len(self.histograms) - 1
        for k, histogram in enumerate(self.histograms):
            if histogram is None:
                continue
            path = QPainterPath(point(float(histogram.edges[0]), 0))
            for left, right, count in zip(histogram.edges[:-1], histogram.edges[1:], histogram.counts):
                path.lineTo(point(float(left), float(count)))
                path.lineTo(point(float(right), float(count)))
            path.lineTo(point(float(histogram.edges[-1]), 0))
            pen = QColor(colour)
            if k != newest:
                pen.setAlphaF(0.3)
            painter.setPen(QPen(pen, 2 if k == newest else 1))
            painter.drawPath(path)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(text)
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.drawLine(area.bottomLeft(), area.topLeft())
        side = QRect(0, 0, area.left() - 4, metrics.height())
        for count, y in ((top, area.top()), (0, area.bottom())):
            side.moveTop(y - metrics.height() // 2)
            painter.drawText(side, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{count:,}")
        below = QRect(area.left(), area.bottom() + 3, area.width(), metrics.height())
        painter.drawText(below, Qt.AlignmentFlag.AlignLeft, f"{low:.2g}")
        painter.drawText(below, Qt.AlignmentFlag.AlignRight, f"{high:.2g}")
        if low < 0 < high:
            x = round(point(0.0, 0).x())
            painter.drawLine(x, area.bottom(), x, area.bottom() + 3)
            painter.drawText(QRect(x - 20, below.top(), 40, below.height()), Qt.AlignmentFlag.AlignHCenter, "0")


class HistogramGrid(QWidget):
    """A row per layer: its weights' histograms (left) and its gradients' (right)."""

    WHAT = ("weights", "gradients")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self.plots: list[tuple[HistogramChart, HistogramChart]] = []

    def set_history(self, entries: list[tuple[str, list[inside.LayerHistograms]]]) -> None:
        names = [each.layer_name for each in entries[-1][1]] if entries else []
        while len(self.plots) > len(names):
            for chart in self.plots.pop():
                chart.deleteLater()
        self._layout.setRowStretch(len(self.plots), 0)
        while len(self.plots) < len(names):
            row = len(self.plots)
            pair = (HistogramChart(self), HistogramChart(self))
            for column, chart in enumerate(pair):
                self._layout.addWidget(chart, row, column)
            self.plots.append(pair)
        for row, name in enumerate(names):
            for column, what in enumerate(self.WHAT):
                found = [next((getattr(each, what) for each in layers if each.layer_name == name), None)
                         for _, layers in entries]
                found = [h if h is not None and np.isfinite(h.edges).all() else None for h in found]
                latest = next((h for h in reversed(found) if h is not None), None)
                title = f"{name} {what}" + ("" if latest is None else f" · rms {latest.rms:.2e}")
                self.plots[row][column].set_histograms(title, found)
        self._layout.setRowStretch(len(self.plots), 1)  # the rows keep to the top

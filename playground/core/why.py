"""Why this digit? What the Draw panel shows beside its guess (no Qt: tested on its own).

* ``explain(model, image, class_index)``: the saliency of the 28x28 input for a class (how much
  each pixel moves that class's score, ``engine.inspect.saliency``) and the units that decided:
  for a network whose first hidden layer is Dense on the pixels, its units with the largest
  contribution (activation times gradient) shown as their weight templates; for a convnet, each
  convolution layer's feature maps that contributed most.
* ``Neighbours``: the training digits closest to a drawing in the last hidden layer's space (the
  space the last layer classifies in), embedded once per model.
* ``style_warnings(canvas)``: a drawing far from MNIST's style (a speck, a tiny digit, a stroke
  off the frame) gets a plain warning: the network reads pixels, and such drawings are nothing
  like the digits it learned from.
* ``diverging_rgb(values)``: signed values as colours centred on zero (blue negative, red
  positive), for weight templates and saliency.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import inspect
from engine.layers import Conv2D, Dense, Flatten

UNITS_SHOWN = 6
NEIGHBOURS_SHOWN = 5
MAX_NEIGHBOUR_POOL = 10_000  # training digits searched for neighbours (embedding them all takes long)

SPECK = "This looks like a dot, not a digit: the network scales whatever ink there is up to 20 pixels."
TINY = ("The digit is drawn very small: the network sees it scaled up, with strokes far thicker "
        "than MNIST's. Draw it to fill most of the square.")
OFF_FRAME = "The stroke runs off the square: part of the digit is missing from what the network sees."
SPECK_SIDE = 0.10  # the ink's larger side, as a share of the canvas side: below this, a speck
TINY_SIDE = 0.30  # below this, a tiny digit
EDGE = 2  # ink this close to the canvas edge (in canvas pixels) ran off the frame


@dataclass(frozen=True)
class Unit:
    """One unit (or feature map) that decided: its picture, its caption, its activation for this
    drawing and its contribution to the class's score (activation x gradient)."""

    image: np.ndarray  # 2-D; signed for a weight template, non-negative for a feature map
    caption: str
    contribution: float
    signed: bool  # draw with a colour scale centred on zero
    activation: float = 0.0  # a unit's output for the drawing; a feature map's mean output


@dataclass(frozen=True)
class Explanation:
    class_index: int
    saliency: np.ndarray  # (28, 28), d score / d pixel
    units: tuple[Unit, ...]
    units_title: str  # what the units are ("First Dense layer's units" or "conv2d's feature maps")


def explain(model, image: np.ndarray, class_index: int | None = None, units: int = UNITS_SHOWN) -> Explanation:
    """Saliency and deciding units of ``model`` for one 28x28 ``image`` (float in [0, 1])."""
    seen = inspect.trace(model, _sample(model, image), class_index=class_index)
    saliency = seen.input_gradient[0].reshape(np.shape(image))
    title, chosen = _deciding_units(model, seen.outputs, seen.output_gradients, units)
    return Explanation(int(seen.class_index[0]), saliency, chosen, title)


def _sample(model, image: np.ndarray) -> np.ndarray:
    shape = tuple(model.input_shape)
    return np.asarray(image, np.float32).reshape(1, *shape)


def _deciding_units(model, outputs, gradients, count: int) -> tuple[str, tuple[Unit, ...]]:
    layers = model.layers
    convolutions = [i for i, layer in enumerate(layers) if isinstance(layer, Conv2D)]
    if convolutions:
        maps = []
        for i in convolutions:  # each conv layer's maps, by their share of the score
            activation, gradient = outputs[i][0], gradients[i][0]
            share = (activation * gradient).sum(axis=(0, 1))
            for channel in np.argsort(share)[::-1][:max(1, count // len(convolutions))]:
                picture = activation[:, :, channel]
                maps.append(Unit(picture, f"{layers[i].name} #{channel}", float(share[channel]), signed=False,
                                 activation=float(picture.mean())))
        return "Feature maps that decided (brightest: most active)", tuple(maps)
    first = next((i for i, layer in enumerate(layers) if layer.params), None)
    if first is None or not isinstance(layers[first], Dense) or first == len(layers) - 1:
        return "", ()
    if not all(isinstance(layer, Flatten) for layer in layers[:first]):
        return "", ()
    activation, gradient = outputs[first][0], gradients[first][0]
    share = activation * gradient
    kernel = layers[first].kernel
    side = tuple(model.input_shape[:2]) if len(model.input_shape) >= 2 else _square(kernel.shape[0])
    chosen = []
    for unit in np.argsort(share)[::-1][:count]:
        if share[unit] <= 0:
            break  # only the units that pushed towards this class
        chosen.append(Unit(kernel[:, unit].reshape(side), f"unit {unit}: {activation[unit]:.2f}",
                           float(share[unit]), signed=True, activation=float(activation[unit])))
    return f"Units of {layers[first].name} that decided: weights (red +, blue −), activation", tuple(chosen)


def _square(size: int) -> tuple[int, int]:
    side = int(round(size ** 0.5))
    return (side, side) if side * side == size else (1, size)


class Neighbours:
    """The training digits nearest to a drawing, in the last hidden layer's space of one model.

    ``Neighbours(model, images, labels)`` embeds up to ``MAX_NEIGHBOUR_POOL`` training digits
    (slow for a convnet: build it off the UI thread); ``nearest(image)`` is then quick.
    """

    def __init__(self, model, images: np.ndarray, labels: np.ndarray, pool: int = MAX_NEIGHBOUR_POOL):
        self.model = model
        self.count = min(pool, len(images))
        pixels = images[:self.count].reshape(self.count, -1).astype(np.float32) / np.float32(255)
        self.labels = np.asarray(labels[:self.count])
        self.layer = -2 if len(model.layers) > 1 else None
        self.points = pixels if self.layer is None else self._embed(pixels)

    def _embed(self, pixels: np.ndarray) -> np.ndarray:
        flat = inspect.layer_output(self.model, pixels.reshape(len(pixels), *self.model.input_shape), self.layer)
        return flat.reshape(len(flat), -1)

    def nearest(self, image: np.ndarray, k: int = NEIGHBOURS_SHOWN) -> list[tuple[int, int, float]]:
        """``(index, label, distance)`` of the ``k`` nearest training digits, nearest first."""
        pixels = np.asarray(image, np.float32).reshape(1, -1)
        point = pixels if self.layer is None else self._embed(pixels)
        distances = np.sqrt(((self.points - point) ** 2).sum(axis=1))
        k = min(k, len(distances))
        order = np.argpartition(distances, k - 1)[:k] if k else np.array([], int)
        order = order[np.argsort(distances[order])]
        return [(int(i), int(self.labels[i]), float(distances[i])) for i in order]


def style_warnings(canvas: np.ndarray) -> list[str]:
    """What makes a drawing unlike MNIST's digits (empty list: nothing; an empty canvas: nothing)."""
    canvas = np.asarray(canvas)
    ink = canvas > (127 if canvas.dtype == np.uint8 else 0.5)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return []
    warnings = []
    side = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) / max(canvas.shape)
    if side < SPECK_SIDE:
        warnings.append(SPECK)
    elif side < TINY_SIDE:
        warnings.append(TINY)
    height, width = canvas.shape
    if rows[0] < EDGE or cols[0] < EDGE or rows[-1] >= height - EDGE or cols[-1] >= width - EDGE:
        warnings.append(OFF_FRAME)
    return warnings


def diverging_rgb(values: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8: zero is white, the largest magnitude full red (positive) or blue (negative)."""
    values = np.nan_to_num(np.asarray(values, np.float32))
    scale = float(np.abs(values).max()) or 1.0
    t = np.clip(values / scale, -1, 1)[..., None]
    white, red, blue = np.array([255, 255, 255.0]), np.array([200, 30, 30.0]), np.array([30, 70, 200.0])
    rgb = np.where(t >= 0, white + t * (red - white), white - t * (blue - white))
    return np.ascontiguousarray(rgb.round().astype(np.uint8))


def saliency_overlay(image: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8: the digit in grey, with where the saliency is positive (pixels whose ink
    would raise the class's score) in red and negative in blue, stronger where it matters more."""
    grey = np.clip(np.asarray(image, np.float32), 0, 1)[..., None] * 160
    values = np.nan_to_num(np.asarray(saliency, np.float32))
    scale = float(np.abs(values).max()) or 1.0
    t = np.clip(values / scale, -1, 1)[..., None]
    red, blue = np.array([255, 40, 40.0]), np.array([40, 110, 255.0])
    strength = np.abs(t)  # linear: the strongest pixels stand out, faint ones stay faint
    colour = np.where(t >= 0, red, blue)
    rgb = grey * (1 - strength) + colour * strength
    return np.ascontiguousarray(np.clip(rgb, 0, 255).round().astype(np.uint8))

"""Inside the network: what the Inside panel shows (no Qt: tested on its own).

* ``weight_templates(model)``: what each unit of the first layer looks for. A Dense layer on the
  pixels has one weight per pixel for each unit, so column ``j`` of its kernel, reshaped to
  28 x 28, is unit ``j``'s template (ink on red pixels raises its output, ink on blue lowers it);
  a convnet's first Conv2D layer has small filters instead, one per output channel.
* ``layer_activations(model, image)``: each layer's output for one digit, as bars (a vector of
  units) or maps (an image per channel).
* ``principal_axes(points)`` and ``embed(...)``: 2,000 test digits as points in a hidden layer's
  space, projected onto that space's two main axes (PCA: centre the points, then the singular
  vectors of the centred matrix), so that one can watch the classes separate epoch after epoch.
* ``layer_histograms(model, x, y, loss)`` and ``HistogramHistory``: each layer's weights and the
  gradient of the loss with respect to them, as histograms, one set per epoch (TensorBoard's
  histograms): a gradient that shrinks layer after layer towards the input is the vanishing
  gradient of a deep sigmoid network.

Everything takes a model the UI thread may not be changing meanwhile: the Inside panel hands in a
private copy (``frozen_copy``) and calls these on a thread of its own.
"""
from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

import numpy as np

from engine import inspect
from engine.layers import Conv2D, Dense, Flatten
from engine.models import Sequential

EMBEDDED_DIGITS = 2000  # test digits in the embedding
GRADIENT_DIGITS = 256  # training digits whose mean loss gradient the histograms show
HISTOGRAM_BINS = 40
MAX_EMBED_FEATURES = 4096  # a layer wider than this (a conv layer's maps) is not offered for the embedding
PASS_THROUGH = ("Flatten", "Reshape", "Dropout")  # their output is the previous one's, rearranged
TEMPLATE_CLIP = 99.5  # percentile of |weight| where the colour scale saturates (one outlier washes nothing out)


def frozen_copy(model):
    """The same layers and weights in new objects (no random draws), for a thread of its own: the
    training controller keeps writing new weights into ``state.model`` on the UI thread."""
    return inspect._private_copy(model)  # noqa: SLF001 - the engine's own way to copy a model safely


class Snapshot:
    """A model's design and a copy of its weights, taken on the UI thread in about a millisecond;
    ``model`` builds the network from them the first time it is asked, on the thread that asks."""

    def __init__(self, model):
        self.config, self.weights = model.get_config(), model.get_weights()
        self.input_shape = tuple(model.input_shape)
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                config = copy.deepcopy(self.config)
                for layer in config["layers"]:  # no random draws: the weights are set right after
                    layer["config"] = {key: ("zeros" if key.endswith("_initializer") else value)
                                       for key, value in layer["config"].items()}
                model = Sequential.from_config(config)
                if not model.built:
                    model.build(self.input_shape)
                model.set_weights(self.weights)
                self._model = model
            return self._model

    def same_weights(self, other: "Snapshot | None") -> bool:
        return (other is not None and len(other.weights) == len(self.weights)
                and all(np.array_equal(a, b) for a, b in zip(self.weights, other.weights)))


# ----- weights: what each unit looks for ----------------------------------------------------------
@dataclass(frozen=True)
class Templates:
    """Signed pictures of the first layer's weights, one per unit (or filter)."""

    images: np.ndarray  # (units, h, w) float32: a Dense unit's 784 weights as 28 x 28, or a filter
    layer_name: str
    kind: str  # "dense" or "conv"
    scale: float  # |weight| at which the colours saturate (the legend's ends)

    def __len__(self) -> int:
        return len(self.images)


def weight_templates(model, initial=None) -> Templates | None:
    """The first layer's units as images, or None when its first layer with weights is neither a
    Dense layer on the pixels nor a Conv2D layer.

    ``initial``: the same network with its initial weights; given, the templates show what
    training changed (weights minus initial weights), without the random start's noise.
    """
    layers = model.layers
    first = next((i for i, layer in enumerate(layers) if layer.params), None)
    if first is None:
        return None
    layer = layers[first]
    start = None if initial is None else np.asarray(initial.layers[first].kernel)
    if isinstance(layer, Conv2D):
        kernel = np.asarray(layer.kernel) - (0 if start is None else start)  # (kh, kw, channels in, filters)
        # a grey image has one channel in; for colour images each filter's channels are summed
        images = kernel.sum(axis=2) if kernel.shape[2] > 1 else kernel[:, :, 0]
        return _templates(np.moveaxis(images, -1, 0), layer.name, "conv")
    if not isinstance(layer, Dense) or not all(isinstance(each, Flatten) for each in layers[:first]):
        return None
    kernel = np.asarray(layer.kernel) - (0 if start is None else start)  # (784, units): column j is unit j's
    side = tuple(model.input_shape[:2]) if len(model.input_shape) >= 2 else _square(kernel.shape[0])
    if side[0] * side[1] != kernel.shape[0]:
        return None
    return _templates(kernel.T.reshape(-1, *side), layer.name, "dense")


def _templates(images: np.ndarray, name: str, kind: str) -> Templates:
    images = np.ascontiguousarray(images, dtype=np.float32)
    finite = np.abs(images[np.isfinite(images)])
    scale = float(np.percentile(finite, TEMPLATE_CLIP)) if finite.size else 0.0
    return Templates(images, name, kind, scale if scale > 0 else 1.0)


def _square(size: int) -> tuple[int, int]:
    side = int(round(size ** 0.5))
    return (side, side) if side * side == size else (1, size)


def diverging(values: np.ndarray, scale: float) -> np.ndarray:
    """(..., 3) uint8: zero white, ``+scale`` and beyond full red, ``-scale`` and beyond full blue
    (the colours of ``why.diverging_rgb``, on a scale shared by every template)."""
    t = np.clip(np.nan_to_num(np.asarray(values, np.float32)) / np.float32(scale or 1.0), -1, 1)[..., None]
    white, red, blue = np.array([255, 255, 255.0]), np.array([200, 30, 30.0]), np.array([30, 70, 200.0])
    rgb = np.where(t >= 0, white + t * (red - white), white - t * (blue - white))
    return np.ascontiguousarray(rgb.round().astype(np.uint8))


def mosaic(tiles: np.ndarray, columns: int, gap: int = 1, background=(128, 128, 128)) -> np.ndarray:
    """(n, h, w, 3) uint8 tiles laid out in rows of ``columns``, ``gap`` pixels apart."""
    n, h, w, _ = tiles.shape
    columns = max(1, min(columns, n)) if n else 1
    rows = -(-n // columns)
    out = np.empty((max(rows * (h + gap) - gap, 0), max(columns * (w + gap) - gap, 0), 3), np.uint8)
    out[...] = background
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tiles[i]
    return out


# ----- activations: each layer's output for one digit ----------------------------------------------
@dataclass(frozen=True)
class LayerActivation:
    index: int  # the layer's position in the model
    name: str
    kind: str  # "bars" (one value per unit) or "maps" (an image per channel)
    values: np.ndarray  # (units,) or (h, w, channels)
    summary: str


def layer_activations(model, image: np.ndarray) -> list[LayerActivation]:
    """Each layer's output for one 28 x 28 ``image`` (float in [0, 1]); layers that only pass
    their input on rearranged (Flatten, Reshape, Dropout at inference) are left out."""
    sample = np.asarray(image, np.float32).reshape(1, *model.input_shape)
    outputs = inspect.activations(model, sample)
    shown = []
    for index, (layer, out) in enumerate(zip(model.layers, outputs)):
        if type(layer).__name__ in PASS_THROUGH:
            continue
        values = out[0]
        if values.ndim == 2:
            values = values[:, :, None]
        kind = "bars" if values.ndim == 1 else "maps"
        shown.append(LayerActivation(index, layer.name, kind, values, _summary(layer, values, last=index == len(outputs) - 1)))
    return shown


def _summary(layer, values: np.ndarray, last: bool) -> str:
    activation = getattr(getattr(layer, "activation", None), "name", "")
    what = f" ({activation})" if activation and activation != "linear" else ""
    if values.ndim == 3:
        h, w, c = values.shape
        return f"{layer.name}: {c} maps of {h} x {w}{what}, largest value {float(values.max()):.2f}"
    if last:
        top = int(np.argmax(values))
        sure = f" at {float(values[top]):.0%}" if activation == "softmax" else f" ({float(values[top]):.2f})"
        return f"{layer.name}: {len(values)} outputs{what}; the highest is class {top}{sure}"
    active = int((values > 0).sum())
    strongest = int(np.argmax(values))
    return (f"{layer.name}: {len(values)} units{what}; {active} above zero, the strongest is unit {strongest} "
            f"({float(values[strongest]):.2f})")


# ----- embedding: the test digits in a hidden layer's space, on its two main axes -------------------
@dataclass(frozen=True)
class Projection:
    coordinates: np.ndarray  # (n, k): each point on the main axes
    axes: np.ndarray  # (k, features): unit vectors, the first explaining the most variance
    mean: np.ndarray  # (features,): the centre that was taken away
    explained: np.ndarray  # (k,): each axis's share of the total variance


def principal_axes(points: np.ndarray, k: int = 2) -> Projection:
    """PCA of ``points`` (n, features) onto ``k`` axes, with NumPy.

    Centre the points (``X - mean``), then the right singular vectors of the centred matrix with
    the largest singular values are the axes, and ``X_centred @ axes.T`` the coordinates. They are
    found from the smaller of the two symmetric products (``X^T X``, features x features, or
    ``X X^T``, n x n) with ``eigh``: the same vectors as the SVD's, for a fraction of its time.
    Each axis's sign is chosen so that its largest loading is positive: the picture does not
    flip from one epoch to the next when the layer barely changed.
    """
    x = np.asarray(points, np.float64).reshape(len(points), -1)
    n, d = x.shape
    mean = x.mean(axis=0) if n else np.zeros(d)
    centred = x - mean
    axes = np.zeros((k, d))
    variances = np.zeros(k)
    if n and d:
        if d <= n:
            values, vectors = np.linalg.eigh(centred.T @ centred)
            order = np.argsort(values)[::-1][:k]
            found = vectors[:, order].T
        else:  # wider than tall: X X^T's eigenvectors u give the axes as X^T u / |X^T u|
            values, vectors = np.linalg.eigh(centred @ centred.T)
            order = np.argsort(values)[::-1][:k]
            found = (centred.T @ vectors[:, order]).T
            norms = np.linalg.norm(found, axis=1, keepdims=True)
            found = np.divide(found, norms, out=np.zeros_like(found), where=norms > 0)
        values = np.clip(values[order], 0, None)
        kept = values > values.max(initial=0) * 1e-12  # a direction with no variance is no axis
        found[~kept] = 0
        axes[:len(found)] = found
        variances[:len(values)] = np.where(kept, values, 0)
    for axis in axes:
        if axis.any() and axis[np.argmax(np.abs(axis))] < 0:
            axis *= -1
    total = float((centred ** 2).sum())
    explained = variances / total if total > 0 else np.zeros(k)
    return Projection(centred @ axes.T, axes, mean, explained)


@dataclass(frozen=True)
class EmbeddingLayer:
    index: int | None  # the layer's position, None for the input pixels
    caption: str
    features: int


def embedding_layers(model) -> list[EmbeddingLayer]:
    """The spaces one can project the digits from: the pixels, then each layer but the output one
    (without the pass-through layers, and none wider than ``MAX_EMBED_FEATURES``)."""
    pixels = int(np.prod(model.input_shape))
    choices = [EmbeddingLayer(None, f"the pixels ({pixels} values)", pixels)]
    for index, layer in enumerate(model.layers[:-1]):
        if type(layer).__name__ in PASS_THROUGH:
            continue
        shape = layer.compute_output_shape(layer.input_shape)
        features = int(np.prod(shape))
        if features <= MAX_EMBED_FEATURES:
            activation = getattr(getattr(layer, "activation", None), "name", "")
            what = f", {activation}" if activation and activation != "linear" else ""
            choices.append(EmbeddingLayer(index, f"{layer.name} ({features} units{what})", features))
    return choices


def default_embedding_layer(choices: list[EmbeddingLayer]) -> EmbeddingLayer:
    """The last hidden layer (the space the output layer classifies in), or the pixels."""
    return choices[-1]


@dataclass(frozen=True)
class Embedding:
    coordinates: np.ndarray  # (n, 2) float32
    labels: np.ndarray  # (n,) int
    explained: np.ndarray  # (2,)
    layer: EmbeddingLayer


def embed(model, images: np.ndarray, labels: np.ndarray, layer: EmbeddingLayer,
          count: int = EMBEDDED_DIGITS) -> Embedding:
    """The first ``count`` digits of ``images`` (uint8 or floats in [0, 1]) in ``layer``'s space,
    projected onto its two main axes."""
    images = np.asarray(images[:count])
    x = images.reshape(len(images), -1).astype(np.float32)
    if images.dtype == np.uint8:
        x *= np.float32(1 / 255)
    if layer.index is None:
        points = x
    else:
        points = inspect.layer_output(model, x.reshape(len(x), *model.input_shape), layer.index)
    if not np.isfinite(points).all():
        raise ValueError("this layer's outputs are not all finite numbers (the network diverged): "
                         "there is nothing to project")
    projection = principal_axes(points.reshape(len(points), -1), 2)
    return Embedding(projection.coordinates.astype(np.float32), np.asarray(labels[:count]).astype(int),
                     projection.explained, layer)


# ----- histograms of weights and gradients, per layer, per epoch ------------------------------------
@dataclass(frozen=True)
class Histogram:
    edges: np.ndarray  # (bins + 1,)
    counts: np.ndarray  # (bins,) int
    rms: float  # the values' root mean square (how large they are, whatever their sign)
    not_finite: int  # NaN or infinite values, not in any bin

    @property
    def total(self) -> int:
        return int(self.counts.sum()) + self.not_finite


def histogram(values: np.ndarray, bins: int = HISTOGRAM_BINS) -> Histogram:
    """Every value of ``values`` counted in one of ``bins`` equal bins between its smallest and
    largest finite value (a range of one value is widened a little around it)."""
    values = np.asarray(values, np.float64).ravel()
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return Histogram(np.linspace(-1, 1, bins + 1), np.zeros(bins, int), float("nan"), int(values.size))
    low, high = float(finite.min()), float(finite.max())
    if high - low <= 1e-12 * max(abs(low), abs(high), 1e-30):
        spread = max(abs(low) * 1e-3, 1e-12)
        low, high = low - spread, high + spread
    counts, edges = np.histogram(finite, bins=bins, range=(low, high))
    return Histogram(edges, counts, float(np.sqrt(np.mean(finite ** 2))), int(values.size - finite.size))


@dataclass(frozen=True)
class LayerHistograms:
    layer_name: str
    weights: Histogram  # all of the layer's weights (kernel and bias, or gamma and beta...)
    gradients: Histogram | None  # dLoss/dweight for the same weights (None: no loss to take it of)
    count: int  # the layer's number of weights


def layer_histograms(model, x=None, y=None, loss: str | None = None, bins: int = HISTOGRAM_BINS) -> list[LayerHistograms]:
    """Each layer with weights: a histogram of its weights and of the mean gradient of the loss
    with respect to them over the batch ``(x, y)`` (``engine.inspect.loss_gradients``)."""
    gradients = inspect.loss_gradients(model, x, y, loss=loss) if x is not None and loss else None
    result, position = [], 0
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        mine = slice(position, position + len(weights))
        position += len(weights)
        flat = np.concatenate([np.ravel(w) for w in weights])
        grads = None if gradients is None else histogram(np.concatenate([np.ravel(g) for g in gradients[mine]]), bins)
        result.append(LayerHistograms(layer.name, histogram(flat, bins), grads, int(flat.size)))
    return result


class HistogramHistory:
    """The histograms of one run, one entry per weight snapshot (the initial weights, then one per
    epoch), in the order they were taken."""

    def __init__(self):
        self.key = None
        self.entries: list[tuple[str, list[LayerHistograms]]] = []

    def reset(self, key=None) -> None:
        self.key, self.entries = key, []

    def add(self, label: str, histograms: list[LayerHistograms]) -> None:
        self.entries.append((label, histograms))

    def layer_names(self) -> list[str]:
        return [each.layer_name for each in self.entries[-1][1]] if self.entries else []


def gradient_batch(dataset, loss: str, count: int = GRADIENT_DIGITS) -> tuple[np.ndarray, np.ndarray]:
    """The first ``count`` training digits as the network is trained on them: pixels scaled to
    [0, 1], labels one-hot (or whole numbers for a sparse loss)."""
    images, labels = dataset.x_train[:count], np.asarray(dataset.y_train[:count]).astype(np.int64)
    x = images.reshape(len(images), -1).astype(np.float32) * np.float32(1 / 255)
    if loss.startswith("sparse"):
        return x, labels
    return x, np.eye(dataset.num_classes, dtype=np.float32)[labels]

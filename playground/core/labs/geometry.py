"""The Geometry lab's model (issue 9, section 5; the book's sections 2.3.5 and 2.3.6): no Qt here.

A Dense layer is geometry. On a 2-D point ``x`` (a column, as the book writes it) the layer
``layer_dense(units = 2, activation = "relu")`` computes ``relu(W %*% x + b)`` in three steps:

* ``W x``: a linear map (rotate, scale, shear, reflect) of the whole plane;
* ``+ b``: a translation;
* ``relu``: every negative coordinate clipped to 0, which folds the plane onto the positive
  quarter and its two edges.

``DenseSteps`` plays the steps on a cloud of points, each step at its own ``t`` in [0, 1]
(``(1 - t) * before + t * after``), with the engine's own ``Dense`` layer and ``relu``.
The engine keeps Keras's layout, samples in rows: its ``kernel`` is ``t(W)`` and it computes
``x %*% kernel + bias``, the same numbers. ``rotation(degrees)`` is the W of section 2.3.5.

``Uncrumpling`` trains a small network with the engine on two tangled classes (two
interleaved spirals, or two moons) and records, after each epoch, what every hidden layer
makes of the data, in 2-D (a layer wider than 2 is projected on its two principal axes), with
the whole network's decision over the input plane: each layer "uncrumples" the paper ball a
little more (section 2.3.6), until the last hidden layer's points are split by a straight
line, the only thing the softmax layer on top can draw.
"""
from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass

import numpy as np

import engine
from engine import activations, initializers, inspect
from engine.layers import Dense
from playground.core.inside import principal_axes

STEPS = ("W x", "+ b", "relu")
DEFAULT_W = np.array([[1.0, -0.6], [0.7, 0.9]])
DEFAULT_B = np.array([1.0, 0.8])
KINDS = ("spirals", "moons")
HIDDEN = (16, 8, 2)  # tanh units of each hidden layer; the last one 2-D, so it is drawn as it is
GRID = 48  # the decision shading's cells along each side of the input plane


# ----- clouds -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cloud:
    """``points`` (n, 2) float32 and ``labels`` (n,) int64 (0 or 1)."""

    points: np.ndarray
    labels: np.ndarray


def two_clouds(n: int = 160, seed: int = 0) -> Cloud:
    """Two round clouds, one per class, that one Dense layer moves about (the step lab's data)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    centres = np.array([[-0.9, -0.4], [0.8, 0.7]])
    points = centres[labels] + rng.normal(0.0, 0.38, (n, 2))
    return Cloud(points.astype(np.float32), labels.astype(np.int64))


def spirals(n: int = 300, turns: float = 1.25, noise: float = 0.05, seed: int = 0) -> Cloud:
    """Two spirals wound into each other (class 1 is class 0 turned by half a turn)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    along = np.sqrt(rng.uniform(0.0, 1.0, n))  # as many points on the outer turns as their length wants
    angle = along * turns * 2 * np.pi + np.pi * labels
    points = np.stack([along * np.cos(angle), along * np.sin(angle)], axis=1) + rng.normal(0.0, noise, (n, 2))
    return Cloud(points.astype(np.float32), labels.astype(np.int64))


def moons(n: int = 300, noise: float = 0.1, seed: int = 0) -> Cloud:
    """Two half circles hooked into each other."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    angle = rng.uniform(0.0, np.pi, n)
    x = np.where(labels == 0, np.cos(angle), 1 - np.cos(angle)) - 0.5
    y = np.where(labels == 0, np.sin(angle), 0.5 - np.sin(angle)) - 0.25
    points = np.stack([x, y], axis=1) + rng.normal(0.0, noise, (n, 2))
    return Cloud(points.astype(np.float32), labels.astype(np.int64))


def tangled(kind: str = "spirals", n: int = 300, seed: int = 0) -> Cloud:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return spirals(n, seed=seed) if kind == "spirals" else moons(n, seed=seed)


# ----- one Dense layer, step by step --------------------------------------------------------------
def rotation(degrees: float) -> np.ndarray:
    """The 2x2 W that turns the plane by ``degrees`` counter-clockwise (section 2.3.5):
    ``[[cos, -sin], [sin, cos]]``, so ``W %*% c(1, 0)`` is ``c(cos, sin)``."""
    theta = np.deg2rad(float(degrees))
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


def _checked(W, b) -> tuple[np.ndarray, np.ndarray]:
    W, b = np.asarray(W, np.float64), np.asarray(b, np.float64)
    if W.shape != (2, 2) or b.shape != (2,):
        raise ValueError(f"W must be 2 x 2 and b must have 2 values, got {W.shape} and {b.shape}")
    if not (np.isfinite(W).all() and np.isfinite(b).all()):
        raise ValueError("W and b must be finite numbers")
    return W, b


def book_layer(W, b, activation: str | None = "relu", use_bias: bool = True) -> Dense:
    """The engine's ``Dense(2)`` whose ``W %*% x + b`` is the book's: ``kernel = t(W)``."""
    W, b = _checked(W, b)
    layer = Dense(2, activation=activation, use_bias=use_bias, input_shape=(2,))
    layer.build((2,))
    layer.kernel[...] = W.T
    if use_bias:
        layer.bias[...] = b
    return layer


class DenseSteps:
    """``relu(W %*% x + b)`` on a cloud of points, one step at a time, with the engine's layer.

    ``at(points, t_w, t_b, t_relu)``: each step moves the points from where the steps before
    left them (``before``) towards where this step sends them (``after``), ``(1 - t) * before + t * after``:

    * ``W x``: after is the engine's ``Dense(2, use_bias = FALSE)`` with kernel ``t(W)``;
    * ``+ b``: after is before plus the layer's bias;
    * ``relu``: after is the engine's relu of before.

    The points given are never changed.

    All three at 0 give the points; all at 1, ``output(points)``, the engine's ``Dense(2, relu)``.
    """

    def __init__(self, W=DEFAULT_W, b=DEFAULT_B):
        self.W, self.b = _checked(W, b)
        self._linear = book_layer(self.W, self.b, activation=None, use_bias=False)
        self._layer = book_layer(self.W, self.b, activation="relu")
        self._relu = activations.get("relu")

    def at(self, points: np.ndarray, t_w: float = 1.0, t_b: float = 1.0, t_relu: float = 1.0) -> np.ndarray:
        x = _as_points(points)
        moved = np.array(self._linear.forward(x))  # W x for each point (a layer reuses its output buffer)
        x = _lerp(x, moved, t_w)
        x = _lerp(x, x + self._layer.bias, t_b)
        return _lerp(x, self._relu(x), t_relu)  # its out-of-place call: forward works in place

    def output(self, points: np.ndarray) -> np.ndarray:
        """The engine's ``Dense(2, activation = "relu")`` on the points: all three steps done."""
        return np.array(self._layer.forward(_as_points(points)))

    def stages(self, points: np.ndarray) -> list[np.ndarray]:
        """The points before the steps and after each: ``[x, W x, W x + b, relu(W x + b)]``."""
        return [self.at(points, *t) for t in ((0, 0, 0), (1, 0, 0), (1, 1, 0), (1, 1, 1))]


def _as_points(points) -> np.ndarray:
    points = np.array(points, dtype=engine.backend.floatx())  # a copy: the caller's points stay as they are
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {points.shape}")
    return points


def _lerp(before: np.ndarray, after: np.ndarray, t: float) -> np.ndarray:
    t = float(np.clip(t, 0.0, 1.0))
    return before if t == 0 else after if t == 1 else (1 - t) * before + t * after


def step_times(progress: float) -> tuple[float, float, float]:
    """One slider through the three steps: ``progress`` in [0, 3] gives each step's ``t``."""
    return tuple(float(np.clip(progress - k, 0.0, 1.0)) for k in range(len(STEPS)))


# ----- a small network uncrumples two tangled classes -----------------------------------------------
def build_network(hidden=HIDDEN, seed: int = 0, learning_rate: float = 0.03) -> engine.Sequential:
    """``Dense(h, tanh)`` for each ``h`` of ``hidden``, then ``Dense(2, softmax)``, compiled with
    Adam. The weights come from a generator of its own (``seed``), so a run is the same whatever
    else the app's engine draws meanwhile."""
    rng = np.random.default_rng(seed)
    init = functools.partial(initializers.glorot_uniform, rng=rng)
    layers = [Dense(units, activation="tanh", kernel_initializer=init, **({"input_shape": (2,)} if not i else {}))
              for i, units in enumerate(hidden)]
    model = engine.Sequential([*layers, Dense(2, activation="softmax", kernel_initializer=init)])
    model.compile(optimizer=engine.optimizers.get("adam", learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def line_accuracy(cloud: Cloud, epochs: int = 150, seed: int = 0) -> float:
    """How well a straight line splits the cloud: the accuracy of one ``Dense(2, softmax)``
    trained by the engine on the points themselves (no hidden layer)."""
    model = build_network(hidden=(), seed=seed, learning_rate=0.05)
    model.fit(cloud.points, cloud.labels, batch_size=32, epochs=epochs, verbose=0, shuffle=False)
    return accuracy(model, cloud)


def accuracy(model, cloud: Cloud) -> float:
    predicted = np.argmax(inspect.activations(model, cloud.points)[-1], axis=1)
    return float(np.mean(predicted == cloud.labels))


@dataclass(frozen=True)
class Snapshot:
    """What the network makes of the data after ``epoch`` epochs (0: untrained).

    ``views[i]``: hidden layer ``i``'s output for every point, in 2-D (``explained[i]``: the share
    of that layer's variance the two axes show; 1 for a 2-unit layer). ``decision``: the
    probability of class 1 on a ``GRID`` x ``GRID`` grid over the input plane (row: y, column: x).
    ``line``: in the last hidden layer's plane, ``(w, c)`` with ``w . h + c = 0`` where the
    softmax layer's two scores are equal (None unless that layer has 2 units).
    """

    epoch: int
    loss: float
    accuracy: float
    views: tuple[np.ndarray, ...]
    explained: tuple[float, ...]
    decision: np.ndarray
    line: tuple[np.ndarray, float] | None


class Uncrumpling:
    """A run of the small network on two tangled classes, recording a ``Snapshot`` per epoch.

    ``run()`` trains (blocking: call it on a worker thread); ``snapshots`` grows by one after each
    epoch and may be read from another thread (``count()``, ``snapshot(i)``); ``stop()`` ends the
    run after the current batch. ``pace``: at least this many seconds per epoch, so a person can
    watch (the wait ends early on ``stop()``).
    """

    def __init__(self, kind: str = "spirals", points: int = 300, seed: int = 0, hidden=HIDDEN,
                 epochs: int = 200, learning_rate: float = 0.03, batch_size: int = 32, pace: float = 0.0):
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be a positive whole number, got {epochs!r}")
        self.kind, self.epochs, self.batch_size, self.pace = kind, int(epochs), int(batch_size), float(pace)
        self.cloud = tangled(kind, points, seed)
        self.hidden = tuple(hidden)
        self.model = build_network(self.hidden, seed, learning_rate)
        low, high = self.cloud.points.min(axis=0), self.cloud.points.max(axis=0)
        margin = 0.1 * (high - low)
        self.extent = (float(low[0] - margin[0]), float(high[0] + margin[0]),
                       float(low[1] - margin[1]), float(high[1] + margin[1]))  # x0, x1, y0, y1
        xs = np.linspace(self.extent[0], self.extent[1], GRID)
        ys = np.linspace(self.extent[2], self.extent[3], GRID)
        gx, gy = np.meshgrid(xs, ys)
        self._grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.snapshots: list[Snapshot] = []
        self.start = self._snapshot(0, float("nan"), accuracy(self.model, self.cloud))
        self.finished = False
        self.error: str | None = None
        self.line_accuracy: float | None = None  # a straight line's best on the input, once ``run`` has begun

    # -- recording ---------------------------------------------------------------------------------
    def _snapshot(self, epoch: int, loss: float, acc: float) -> Snapshot:
        n = len(self.cloud.points)
        outputs = inspect.activations(self.model, np.concatenate([self.cloud.points, self._grid]))
        views, explained = [], []
        for output in outputs[:-1]:
            view, share = _plane(output[:n])
            views.append(view)
            explained.append(share)
        decision = outputs[-1][n:, 1].reshape(GRID, GRID).copy()
        return Snapshot(epoch, float(loss), float(acc), tuple(views), tuple(explained), decision, self._line())

    def _line(self) -> tuple[np.ndarray, float] | None:
        last = self.model.layers[-1]
        if last.kernel.shape[0] != 2:
            return None
        kernel, bias = np.array(last.kernel, np.float64), np.array(last.bias, np.float64)
        return kernel[:, 1] - kernel[:, 0], float(bias[1] - bias[0])

    def count(self) -> int:
        with self._lock:
            return len(self.snapshots)

    def snapshot(self, index: int) -> Snapshot:
        with self._lock:
            return self.snapshots[index]

    # -- training ----------------------------------------------------------------------------------
    def run(self) -> list[Snapshot]:
        """Train for ``epochs`` epochs with the engine's ``fit``, a snapshot after each (first,
        ``line_accuracy``: what one Dense layer, a straight line, makes of the same points)."""
        run = self
        if self.line_accuracy is None and not self._stopping.is_set():
            self.line_accuracy = line_accuracy(self.cloud)

        class Recorder(engine.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.began = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                snapshot = run._snapshot(epoch + 1, logs.get("loss", float("nan")), logs.get("accuracy", float("nan")))
                with run._lock:
                    run.snapshots.append(snapshot)
                left = run.pace - (time.perf_counter() - self.began)
                if run._stopping.wait(left) if left > 0 else run._stopping.is_set():
                    self.model.stop_training = True

            def on_train_batch_end(self, batch, logs=None):
                if run._stopping.is_set():
                    self.model.stop_training = True

        try:
            # shuffle=False: the points come in random order already, and the run draws nothing
            # from the engine's shared generator (the app's own training may be using it)
            self.model.fit(self.cloud.points, self.cloud.labels, batch_size=self.batch_size, epochs=self.epochs,
                           verbose=0, shuffle=False, callbacks=[Recorder()])
            if self.model.stop_reason == "nan":
                self.error = self.model.stop_message or "The loss became NaN."
        finally:
            self.finished = True
        return list(self.snapshots)

    def stop(self) -> None:
        self._stopping.set()


def _plane(output: np.ndarray) -> tuple[np.ndarray, float]:
    """A layer's output in 2-D: as it is for 2 units, else on its two principal axes."""
    output = np.asarray(output, np.float64)
    if output.shape[1] == 2:
        return output.astype(np.float32), 1.0
    projection = principal_axes(output, 2)
    return projection.coordinates.astype(np.float32), float(np.sum(projection.explained))

"""The Gradient lab (issue 9, section 6): gradient descent seen from close up (no Qt).

* ``descend_curve(learning_rate)``: SGD on a 1-D loss curve, step by step, with the derivative
  at each point (drawn as a tangent): too small a step crawls, too large a one overshoots and
  climbs out of the valley (the book's figure 2.11).
* ``race(surface, runners)``: SGD, SGD with momentum, RMSprop, Adagrad and Adam from the same
  start on a 2-D loss surface (a bowl, an ill-conditioned valley, Rosenbrock's banana, a surface
  with a local minimum as in figure 2.13). Every step is the engine's own optimizer applied to a
  2-element float64 weight: the lab has no update rule of its own.
* ``range_test(...)``: the learning-rate range test (Smith, 2017) on the current network and
  data: a private copy trains for a few hundred batches while the learning rate grows
  geometrically; the loss against the rate says where training is fast and where it breaks.
  ``suggested_rate`` marks where the loss falls fastest.
* ``check_weight(...)``: one weight of the real network, backprop's derivative beside the
  central finite difference (``engine.inspect.weight_gradient_check``, in float64).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import engine
from engine import inspect
from playground.core.specs import Dataset, TrainSettings, prepare_images
from playground.core.training_data import shaped_for

DIVERGED_AT = 1e6  # a weight beyond this has left the picture for good: the run diverged


# ----- the network the labs look at --------------------------------------------------------------
class CurrentNetwork:
    """The network the Gradient and Backprop labs look at: the app's model (its weights as they
    are now), or, before anything was trained, a fresh one built from the design as Train would
    start it (kept until the design or the data change, so the lab does not redraw its weights).

    ``frozen()`` returns a private copy made on the calling thread (the UI's: the training
    controller writes new weights into ``state.model`` there), safe to hand to a worker thread.
    """

    def __init__(self, state):
        self.state = state
        self._fresh = None
        self._key = None

    def current(self) -> tuple:
        """``(model, what it is)``, not copied: read its layers and shapes, not its weights, from
        another thread. Raises ValueError (the reason) when there is none."""
        state = self.state
        if state.dataset is None:
            raise ValueError("No dataset loaded: open one in the Data panel first.")
        if state.model is not None:
            what = "the trained network's current weights" if state.trained else "the network's starting weights"
            return state.model, what
        key = (state.layers, id(state.dataset), state.settings.loss)
        if self._fresh is None or self._key != key:
            self._fresh, self._key = state.build_model(), key  # ValueError: why the design cannot be built
        return self._fresh, "a fresh network from the design (random weights, as Train starts it)"

    def frozen(self) -> tuple:
        """``(private copy, what it is)``: ``current()`` copied, safe to hand to a worker thread."""
        model, what = self.current()
        return inspect.private_copy(model), what


# ----- the optimizers the race runs -------------------------------------------------------------
@dataclass(frozen=True)
class Runner:
    """One optimizer in the race: the engine's optimizer ``kind`` with its arguments."""

    key: str  # "sgd", "momentum", "rmsprop", "adagrad", "adam"
    label: str
    learning_rate: float
    colour: str

    def optimizer(self) -> engine.optimizers.Optimizer:
        """A fresh engine optimizer (Keras's defaults apart from the learning rate)."""
        if self.key == "momentum":
            return engine.optimizers.SGD(learning_rate=self.learning_rate, momentum=MOMENTUM)
        return engine.optimizers.get(self.key, learning_rate=self.learning_rate)


MOMENTUM = 0.9
RUNNER_KEYS = ("sgd", "momentum", "rmsprop", "adagrad", "adam")
RUNNER_LABELS = {"sgd": "SGD", "momentum": f"SGD, momentum {MOMENTUM:g}", "rmsprop": "RMSprop",
                 "adagrad": "Adagrad", "adam": "Adam"}
RUNNER_COLOURS = {"sgd": "#3b82f6", "momentum": "#f97316", "rmsprop": "#10b981", "adagrad": "#e11d48",
                  "adam": "#8b5cf6"}


@dataclass(frozen=True)
class Trajectory:
    """Where one optimizer's weight went: ``points[k]`` after ``k`` steps (``points[0]`` is the
    start), the loss there, and whether it ran away (then the points stop where it did)."""

    runner: Runner
    points: np.ndarray  # (steps + 1, dimensions)
    losses: np.ndarray
    diverged: bool

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])


def descend(loss: Callable, gradient: Callable, start, optimizer, steps: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """``steps`` updates of a float64 weight starting at ``start`` by the engine ``optimizer``:
    ``(points, losses, diverged)``. Stops early when the weight leaves every sensible range."""
    w = np.array(start, dtype=np.float64).reshape(-1)
    points, losses = [w.copy()], [float(loss(w))]
    diverged = False
    with np.errstate(all="ignore"):
        for _ in range(int(steps)):
            optimizer.apply([w], [np.asarray(gradient(w), dtype=np.float64).reshape(w.shape)])
            value = float(loss(w))
            if not (np.all(np.isfinite(w)) and math.isfinite(value)) or np.abs(w).max() > DIVERGED_AT:
                diverged = True
                break
            points.append(w.copy())
            losses.append(value)
    return np.array(points), np.array(losses), diverged


# ----- 1-D: figure 2.11 -------------------------------------------------------------------------
CURVE_START = -2.0
CURVE_RANGE = (-5.0, 6.0)
STEP_SIZES = {"Too small": 0.01, "About right": 0.25, "Too large": 0.75}  # the presets the panel offers


def curve_loss(w):
    """A smooth valley with its minimum at w = 1, steeper on the far sides (a quartic term)."""
    d = np.asarray(w, dtype=np.float64) - 1.0
    return 0.5 * d * d + 0.05 * d ** 4


def curve_derivative(w):
    d = np.asarray(w, dtype=np.float64) - 1.0
    return d + 0.2 * d ** 3


@dataclass(frozen=True)
class CurveDescent:
    learning_rate: float
    points: np.ndarray  # w after 0, 1, 2... steps
    losses: np.ndarray
    slopes: np.ndarray  # the derivative at each point: the tangent's slope
    diverged: bool

    def tangent(self, step: int, half_width: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Two points of the tangent at step ``step``: ``loss(w) + slope * (x - w)``."""
        w, f, slope = self.points[step], self.losses[step], self.slopes[step]
        xs = np.array([w - half_width, w + half_width])
        return xs, f + slope * (xs - w)


def descend_curve(learning_rate: float, steps: int = 20, start: float = CURVE_START) -> CurveDescent:
    """SGD (the engine's, ``w = w - learning_rate * dloss/dw``) on ``curve_loss``."""
    optimizer = engine.optimizers.SGD(learning_rate=learning_rate)
    points, losses, diverged = descend(lambda w: curve_loss(w[0]), curve_derivative, [start], optimizer, steps)
    points = points[:, 0]
    return CurveDescent(float(learning_rate), points, losses, curve_derivative(points), diverged)


# ----- 2-D surfaces: the race -------------------------------------------------------------------
@dataclass(frozen=True)
class Surface:
    """A loss over two weights, its gradient, where the race starts and the learning rates that
    make each optimizer's run worth watching on it."""

    key: str
    name: str
    description: str
    loss: Callable  # loss(w) for w of shape (2,) or (2, ...) (vectorised for the contour map)
    gradient: Callable
    start: tuple[float, float]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    learning_rates: dict = field(default_factory=dict)  # runner key -> default learning rate
    minima: tuple = ()  # (x, y) of each minimum, the global one first
    steps: int = 150

    def runners(self, learning_rates: dict | None = None) -> list[Runner]:
        rates = {**self.learning_rates, **(learning_rates or {})}
        return [Runner(k, RUNNER_LABELS[k], float(rates[k]), RUNNER_COLOURS[k]) for k in RUNNER_KEYS]

    def grid(self, size: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(xs, ys, losses)`` with ``losses[i, j]`` at ``(xs[j], ys[i])``, for the contour map."""
        xs = np.linspace(*self.x_range, size)
        ys = np.linspace(*self.y_range, size)
        gx, gy = np.meshgrid(xs, ys)
        return xs, ys, self.loss(np.stack([gx, gy]))


def _bowl(w):
    return w[0] ** 2 + w[1] ** 2


def _bowl_gradient(w):
    return np.array([2 * w[0], 2 * w[1]])


VALLEY_STEEPNESS = 50.0  # curvature across the valley / along it: the condition number


def _valley(w):
    return 0.5 * (w[0] ** 2 + VALLEY_STEEPNESS * w[1] ** 2)


def _valley_gradient(w):
    return np.array([w[0], VALLEY_STEEPNESS * w[1]])


def _rosenbrock(w):
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


def _rosenbrock_gradient(w):
    x, y = w[0], w[1]
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


TILT = 0.3  # makes the left basin the deeper one


def _two_basins(w):
    return (w[0] ** 2 - 1) ** 2 + TILT * w[0] + 0.5 * w[1] ** 2


def _two_basins_gradient(w):
    return np.array([4 * w[0] * (w[0] ** 2 - 1) + TILT, w[1]])


SURFACES = {s.key: s for s in (
    Surface("bowl", "Bowl", "Round and convex: every optimizer gets to the bottom.",
            _bowl, _bowl_gradient, (-1.6, 1.2), (-2.0, 2.0), (-2.0, 2.0),
            {"sgd": 0.05, "momentum": 0.02, "rmsprop": 0.05, "adagrad": 0.5, "adam": 0.1}, ((0.0, 0.0),), 100),
    Surface("valley", "Ill-conditioned valley",
            f"{VALLEY_STEEPNESS:g} times steeper across than along: SGD zigzags across the valley "
            "and crawls along it; momentum and the adaptive optimizers do better.",
            _valley, _valley_gradient, (-4.0, 1.0), (-4.5, 4.5), (-1.5, 1.5),
            {"sgd": 0.038, "momentum": 0.01, "rmsprop": 0.05, "adagrad": 0.8, "adam": 0.2}, ((0.0, 0.0),), 120),
    Surface("rosenbrock", "Rosenbrock's banana",
            "A curved, flat-bottomed valley: finding it is easy, following it to the minimum at (1, 1) is slow.",
            _rosenbrock, _rosenbrock_gradient, (-1.5, 2.0), (-2.0, 2.0), (-1.0, 3.0),
            {"sgd": 0.0015, "momentum": 0.0006, "rmsprop": 0.01, "adagrad": 1.0, "adam": 0.1}, ((1.0, 1.0),), 400),
    Surface("local", "A local minimum (figure 2.13)",
            "Two basins: the nearer one is shallower. Plain SGD settles in it; momentum can carry "
            "the ball over the ridge into the deeper one.",
            _two_basins, _two_basins_gradient, (2.0, 1.0), (-2.0, 2.2), (-1.5, 1.5),
            {"sgd": 0.02, "momentum": 0.02, "rmsprop": 0.02, "adagrad": 0.3, "adam": 0.05},
            ((-1.0355, 0.0), (0.9604, 0.0)), 150),
)}


def race(surface: Surface, runners: list[Runner] | None = None, steps: int | None = None) -> list[Trajectory]:
    """Every runner's trajectory from ``surface.start`` (each with a fresh engine optimizer)."""
    runners = surface.runners() if runners is None else runners
    steps = surface.steps if steps is None else steps
    out = []
    for runner in runners:
        points, losses, diverged = descend(surface.loss, surface.gradient, surface.start, runner.optimizer(), steps)
        out.append(Trajectory(runner, points, losses, diverged))
    return out


def basin(surface: Surface, point) -> int:
    """Which of ``surface.minima`` ``point`` is nearest (0 is the global minimum)."""
    point = np.asarray(point, dtype=np.float64)
    return int(np.argmin([np.hypot(*(point - np.asarray(m))) for m in surface.minima]))


# ----- the learning-rate range test -------------------------------------------------------------
RANGE_START, RANGE_STOP, RANGE_BATCHES = 1e-6, 10.0, 200
SMOOTHING = 0.9  # EMA weight of the past (bias-corrected)
BLOW_UP = 4.0  # stop once the smoothed loss is this many times its best, or
BLOW_UP_BY = 2.0  # this much above it (cross-entropy is clipped near 16): the rate is far too high


@dataclass(frozen=True)
class RangeTest:
    """The range test's outcome: one point per batch trained, in order."""

    learning_rates: np.ndarray
    losses: np.ndarray  # each batch's loss, before its update
    smoothed: np.ndarray
    suggested: float | None
    optimizer: str
    stopped: str  # "completed", "diverged" (the loss blew up, so the rest was not run) or "cancelled"


def rates(start: float = RANGE_START, stop: float = RANGE_STOP, batches: int = RANGE_BATCHES) -> np.ndarray:
    """The learning rate of each batch: ``start`` times the same factor at every batch, ``stop`` at the last."""
    if not (0 < start < stop) or batches < 2:
        raise ValueError(f"a range test needs 0 < start < stop and two batches or more, got {start}, {stop}, {batches}")
    return np.geomspace(start, stop, int(batches))


def smooth(losses, weight: float = SMOOTHING) -> np.ndarray:
    """Exponential moving average with Adam's bias correction (the first values are not pulled to 0)."""
    out, average = np.empty(len(losses)), 0.0
    for i, value in enumerate(losses):
        average = weight * average + (1 - weight) * value
        out[i] = average / (1 - weight ** (i + 1))
    return out


def suggested_rate(learning_rates, smoothed) -> float | None:
    """Where the smoothed loss falls fastest against log(learning rate), before its lowest point."""
    lr, loss = np.asarray(learning_rates, dtype=np.float64), np.asarray(smoothed, dtype=np.float64)
    finite = np.isfinite(loss)
    if finite.sum() < 5:
        return None
    lowest = int(np.nanargmin(np.where(finite, loss, np.nan)))
    if lowest < 3:
        return None
    slope = np.gradient(loss[: lowest + 1], np.log10(lr[: lowest + 1]))
    return float(lr[int(np.argmin(slope))])


def training_batch(dataset: Dataset, indices: np.ndarray, loss: str):
    """Chapter 2's preparation of some training digits: (n, 784) in [0, 1] and the loss's targets."""
    x = prepare_images(dataset.x_train[indices])
    labels = dataset.y_train[indices]
    if loss.startswith("sparse"):
        return x, labels.astype(np.int64)
    return x, engine.utils.to_categorical(labels, dataset.num_classes).astype(np.float32)


def range_test(model, dataset: Dataset, settings: TrainSettings, batches: int = RANGE_BATCHES,
               start: float = RANGE_START, stop: float = RANGE_STOP, seed: int = 0,
               progress: Callable[[int, float, float], None] | None = None,
               cancelled: Callable[[], bool] | None = None) -> RangeTest:
    """Train a private copy of ``model`` on ``batches`` batches of ``settings.batch_size``
    training digits with the chosen optimizer, the learning rate growing from ``start`` to
    ``stop``; ``model`` itself is never touched (safe while it trains elsewhere). Stops early
    once the loss blows up. ``progress(batch, learning_rate, loss)`` is called after each batch.
    """
    schedule = rates(start, stop, batches)
    copy = inspect.private_copy(model, dropout_seed=seed)
    optimizer = engine.optimizers.get(settings.optimizer, **settings.optimizer_kwargs())
    copy.compile(optimizer=optimizer, loss=settings.loss)
    rng = np.random.default_rng(seed)  # never the engine's: a seeded run elsewhere stays the same
    n = len(dataset.x_train)
    size = max(1, min(int(settings.batch_size), n))
    order = np.concatenate([rng.permutation(n) for _ in range(math.ceil(batches * size / n))])
    losses, best, stopped = [], math.inf, "completed"
    for b, rate in enumerate(schedule):
        if cancelled is not None and cancelled():
            stopped = "cancelled"
            break
        x, y = training_batch(dataset, order[b * size:(b + 1) * size], settings.loss)
        copy.optimizer.learning_rate = float(rate)
        value = float(copy.train_on_batch(shaped_for(copy, x), y))
        losses.append(value)
        if progress is not None:
            progress(b, float(rate), value)
        current = smooth(losses)[-1]
        best = min(best, current)
        if not math.isfinite(value) or current > min(BLOW_UP * best, best + BLOW_UP_BY):
            stopped = "diverged"
            break
    losses = np.array(losses)
    tried = schedule[: len(losses)]
    smoothed = smooth(losses) if len(losses) else np.array([])
    return RangeTest(tried, losses, smoothed, suggested_rate(tried, smoothed), settings.optimizer, stopped)


# ----- the gradient check on the real network ---------------------------------------------------
CHECK_DIGITS = 64  # training digits in the checked loss


@dataclass(frozen=True)
class WeightChoice:
    layer: int  # index in model.layers
    layer_name: str
    weight: str
    shape: tuple

    @property
    def label(self) -> str:
        return f"{self.layer_name}: {self.weight} {self.shape}"


def weight_choices(model) -> list[WeightChoice]:
    """Every trainable weight of ``model``, layer by layer."""
    return [WeightChoice(i, layer.name, name, tuple(p.shape))
            for i, layer in enumerate(model.layers) for name, p in zip(layer.weight_names, layer.params)]


def axis_names(choice: WeightChoice) -> tuple[str, ...]:
    """What each index of the weight counts (a Dense kernel: the input unit, then the output unit)."""
    if len(choice.shape) == 2:
        return ("row (input)", "column (unit)")
    if len(choice.shape) == 4:
        return ("kernel row", "kernel column", "channel in", "filter")
    return ("unit",) if len(choice.shape) == 1 else tuple(f"axis {i + 1}" for i in range(len(choice.shape)))


def default_index(choice: WeightChoice) -> tuple[int, ...]:
    """The weight offered first: the middle of each axis, except that a Dense kernel on a flat square
    image takes the image's centre pixel (the flat middle, 392 of 784, is row 14's first pixel: always
    black in MNIST, so its derivative is 0 both ways and the check shows nothing)."""
    index = [n // 2 for n in choice.shape]
    if len(choice.shape) == 2:
        side = math.isqrt(choice.shape[0])
        if side > 1 and side * side == choice.shape[0]:
            index[0] = (side // 2) * side + side // 2
    return tuple(index)


def check_weight(model, dataset: Dataset, settings: TrainSettings, choice: WeightChoice, index,
                 digits: int = CHECK_DIGITS) -> inspect.WeightCheck:
    """Backprop's dL/dw for one weight beside ``(L(w + eps) - L(w - eps)) / (2 eps)``, on the
    first ``digits`` training digits, in float64 (a private copy; ``model`` is untouched)."""
    count = max(1, min(digits, len(dataset.x_train)))
    x, y = training_batch(dataset, np.arange(count), settings.loss)
    return inspect.weight_gradient_check(model, shaped_for(model, x), y, choice.layer, choice.weight, index,
                                         loss=settings.loss)


@dataclass(frozen=True)
class LossAlongWeight:
    """The batch's loss as one weight moves and every other stays: ``losses[i]`` at
    ``weights[i]``; the tangent at the weight's value has backprop's slope."""

    weights: np.ndarray
    losses: np.ndarray
    value: float
    loss: float


def loss_along_weight(model, dataset: Dataset, settings: TrainSettings, choice: WeightChoice, index,
                      span: float | None = None, points: int = 21, digits: int = CHECK_DIGITS) -> LossAlongWeight:
    """The loss on ``check_weight``'s digits for ``points`` values of one weight, ``value - span``
    to ``value + span`` (default: 10 times the weight's size, at least 0.5), on a float64 copy."""
    from engine import gradcheck

    count = max(1, min(digits, len(dataset.x_train)))
    x, y = training_batch(dataset, np.arange(count), settings.loss)
    copy = inspect.private_copy(model, dtype="float64")
    copy.compile(optimizer="sgd", loss=settings.loss)
    layer = copy.layers[choice.layer]
    array = layer.params[layer.weight_names.index(choice.weight)]
    index = tuple(int(i) for i in np.atleast_1d(index))
    value = float(array[index])
    span = span if span is not None else max(0.5, 10 * abs(value))
    weights = value + np.linspace(-span, span, int(points))
    batch = shaped_for(copy, x.astype(np.float64))
    losses = []
    with np.errstate(all="ignore"):
        for w in weights:
            array[index] = w
            losses.append(gradcheck.model_loss(copy, batch, y, training=False))
        array[index] = value
        loss = gradcheck.model_loss(copy, batch, y, training=False)
    return LossAlongWeight(weights, np.array(losses), value, float(loss))


def check_text(check: inspect.WeightCheck) -> str:
    """The check in words: both derivatives, their relative error and what it means."""
    numpy_index = ", ".join(str(i) for i in check.index)
    r_index = ", ".join(str(i + 1) for i in check.index)
    if not (math.isfinite(check.backprop) and math.isfinite(check.numeric)):
        verdict = "The loss is not a number here: the network's weights are NaN or infinite (it diverged). Reset them first."
    elif check.backprop == 0 and check.numeric == 0:
        verdict = "Both are exactly 0: this weight does not move the loss on these digits (a black pixel, or a unit that is off)."
    elif check.relative_error < 1e-6:
        verdict = "They agree: backpropagation computes the right derivative."
    elif check.relative_error < 1e-3:
        verdict = "Close, but not to float64's precision: a relu kink near this weight can do that."
    else:
        verdict = "They disagree: the backward pass would be wrong here."
    return (f"{check.layer} {check.weight}[{numpy_index}] (R: [{r_index}]) = {check.value:.6g}\n"
            f"backprop dL/dw     = {check.backprop:.10g}\n"
            f"finite difference  = {check.numeric:.10g}   (eps = {check.eps:g})\n"
            f"relative error     = {check.relative_error:.2e}\n{verdict}")

"""What the learner designs and chooses, as plain data (no Qt: usable on any thread and in scripts).

``LayerSpec`` (a Dense row), ``LayerRow`` (a row of any other layer kind) and ``TrainSettings``
are the Network and Optimizer panels' values (``playground.core.design`` checks a design with the
engine); ``Dataset`` is MNIST as the book loads it; ``Evaluation`` is what the Evaluate panel draws. ``network_errors``
and ``settings_errors`` say, in words a learner understands, why a design or recipe can't train:
a setting outside its range (``setting_error`` names the range), epsilon 0 where it divides 0
by 0, or a validation split that leaves no digits to train or validate on. The ranges here are
the panels' ranges too, so a value restored from a settings file can never be one the panels
cannot show.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

import engine
from playground.text.number_text import number_text

_FIRST_ACTIVATIONS = ("relu", "sigmoid", "tanh", "softmax", "linear")  # the chapter's first, then the rest
# the engine's activations (``engine.activations.names()``), in the order the menus offer them
ACTIVATIONS = tuple(sorted(engine.activations.names(), key=lambda name: (
    _FIRST_ACTIVATIONS.index(name) if name in _FIRST_ACTIVATIONS else len(_FIRST_ACTIVATIONS), name)))
OPTIMIZERS = ("rmsprop", "sgd", "adam", "adagrad")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error")
MAX_UNITS = 8192


@dataclass(frozen=True)
class LayerSpec:
    """One hidden Dense layer as the learner designed it (dropout applies after it).

    A design is a tuple of rows: ``LayerSpec`` for each Dense layer (chapter 2's table: units,
    activation, dropout after it) and ``LayerRow`` for every other kind (``playground.core.design``
    makes and checks them).
    """

    units: int = 512
    activation: str = "relu"
    dropout: float = 0.0
    kind: ClassVar[str] = "Dense"


@dataclass(frozen=True)
class LayerRow:
    """One layer of any other kind: ``kind`` is its engine class name (``"Conv2D"``) and
    ``settings`` its editable arguments as ``(name, value)`` pairs in the Network panel's order
    (``playground.core.design.layer_row`` fills in the engine's defaults). A value typed wrongly is
    kept as typed (a str) so that the message can quote it."""

    kind: str
    settings: tuple = ()

    def setting(self, name: str):
        return dict(self.settings)[name]


@dataclass(frozen=True)
class TrainSettings:
    """Optimizer and training recipe; defaults are the chapter's (and Keras's)."""

    optimizer: str = "rmsprop"
    learning_rate: float = 0.001
    momentum: float = 0.0
    nesterov: bool = False
    rho: float = 0.9
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    initial_accumulator_value: float = 0.1
    loss: str = "categorical_crossentropy"
    batch_size: int = 128
    epochs: int = 5
    validation_split: float = 0.0
    train_size: int = 0  # 0 means "all training digits"
    seed: int = 0

    def optimizer_kwargs(self) -> dict:
        """Keyword arguments for the engine optimizer named by ``optimizer``."""
        lr = {"learning_rate": self.learning_rate}
        if self.optimizer == "sgd":
            return {**lr, "momentum": self.momentum, "nesterov": self.nesterov}
        if self.optimizer == "rmsprop":
            return {**lr, "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}
        if self.optimizer == "adam":
            return {**lr, "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
        if self.optimizer == "adagrad":
            return {
                **lr,
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon,
            }
        raise ValueError(f"unknown optimizer {self.optimizer!r}")


CHAPTER_NETWORK = (LayerSpec(512, "relu", 0.0),)


def _conv(filters: int) -> LayerRow:
    return LayerRow("Conv2D", (("filters", filters), ("kernel_size", (3, 3)), ("strides", (1, 1)),
                               ("padding", "valid"), ("activation", "relu")))


_POOL = LayerRow("MaxPooling2D", (("pool_size", (2, 2)), ("strides", None), ("padding", "valid")))
# section 5.1: layer_conv_2d(filters = 32, kernel_size = c(3, 3), activation = "relu", input_shape = c(28, 28, 1))...
CHAPTER_5_CONVNET = (_conv(32), _POOL, _conv(64), _POOL, _conv(64), LayerRow("Flatten"), LayerSpec(64, "relu"))
PRESETS: dict[str, tuple] = {
    "Chapter 2: dense 512": CHAPTER_NETWORK,
    "Chapter 5: small convnet": CHAPTER_5_CONVNET,
    "Logistic regression (no hidden layer)": (),
    "Small: 64 relu": (LayerSpec(64, "relu"),),
    "Deep: 256-128-64 relu": (LayerSpec(256, "relu"), LayerSpec(128, "relu"), LayerSpec(64, "relu")),
    "Wide with dropout: 1024 relu, dropout 0.5": (LayerSpec(1024, "relu", 0.5),),
    "Sigmoid (1990s style): 128 sigmoid": (LayerSpec(128, "sigmoid"),),
}


@dataclass
class Dataset:
    """MNIST-shaped tensors as the book loads them: uint8 images (n, 28, 28), uint8 labels (n,)."""

    name: str
    source: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int = 10
    #: One name per class, read wherever a label is shown ("T-shirt/top", ...); empty: the digits "0", "1", ...
    class_names: tuple[str, ...] = ()

    @property
    def label_names(self) -> tuple[str, ...]:
        """The name of each class: ``class_names``, or the labels themselves ("0" ... "9") as MNIST's."""
        return label_names(self)

    def tensors(self) -> dict[str, np.ndarray]:
        """The four tensors by the names the book uses (``x_train`` ... ``y_test``)."""
        return {"x_train": self.x_train, "y_train": self.y_train, "x_test": self.x_test, "y_test": self.y_test}

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def input_size(self) -> int:
        return int(np.prod(self.input_shape))


def label_names(dataset: Dataset | None, classes: int = 10) -> tuple[str, ...]:
    """The class names of ``dataset`` (the digits "0" ... "9" for MNIST, or when none is loaded)."""
    if dataset is None:
        return tuple(str(i) for i in range(classes))
    names = tuple(dataset.class_names)
    return names + tuple(str(i) for i in range(len(names), dataset.num_classes))


def label_name(names: tuple[str, ...], label) -> str:
    """The name of class ``label`` in ``names`` (its number when it has none)."""
    label = int(label)
    return names[label] if 0 <= label < len(names) else str(label)


def names_are_digits(names) -> bool:
    """True when the classes are named by their own numbers, as MNIST's are (nothing to add to a label)."""
    return all(name == str(i) for i, name in enumerate(names))


def prepare_images(x: np.ndarray) -> np.ndarray:
    """The book's preprocessing: reshape (n, 28, 28) to (n, 784) and scale to [0, 1] float32."""
    x = np.asarray(x)
    flat = x.reshape(len(x), -1)
    return np.multiply(flat, np.float32(1 / 255), dtype=np.float32)


@dataclass
class Evaluation:
    """The result of ``model.evaluate`` on the test set, plus what the Evaluate panel draws."""

    loss: float
    accuracy: float
    y_true: np.ndarray  # (n,) int
    y_pred: np.ndarray  # (n,) int
    probabilities: np.ndarray  # (n, classes) float32
    confusion: np.ndarray = field(default=None)  # (classes, classes) int: rows true, columns predicted

    def __post_init__(self):
        if self.confusion is None:
            k = self.probabilities.shape[1]
            self.confusion = np.zeros((k, k), dtype=np.int64)
            np.add.at(self.confusion, (self.y_true, self.y_pred), 1)


MAX_PARAMS = 20_000_000  # 80 MB of float32 weights: beyond this, building and copying stall the app

# (low, high) of each numeric setting, shared by the Optimizer panel and the checks below. The
# training digits go up to the loaded dataset's size (``setting_range``).
SETTING_RANGES: dict[str, tuple[float, float]] = {
    "learning_rate": (0.0, 1e6),  # huge on purpose: watching the loss blow up to NaN teaches something
    "momentum": (0.0, 1.0),
    "rho": (0.0, 1.0),
    "beta_1": (0.0, 0.99999),
    "beta_2": (0.0, 0.99999),
    "epsilon": (0.0, 1.0),
    "initial_accumulator_value": (0.0, 10.0),
    "validation_split": (0.0, 0.9),
    "batch_size": (1, 60000),
    "epochs": (1, 1000),
    "train_size": (0, 60000),
    "seed": (0, 2**31 - 1),
}
SETTING_LABELS = {
    "learning_rate": "Learning rate", "momentum": "Momentum", "rho": "Rho", "beta_1": "Beta 1",
    "beta_2": "Beta 2", "epsilon": "Epsilon", "initial_accumulator_value": "Initial accumulator value",
    "validation_split": "Validation split", "batch_size": "Batch size", "epochs": "Epochs",
    "train_size": "Training digits", "seed": "Seed",
}
WHOLE_NUMBER_SETTINGS = ("batch_size", "epochs", "train_size", "seed")
RECIPE_SETTINGS = ("batch_size", "epochs", "validation_split", "train_size", "seed")  # every optimizer's
OPTIMIZER_LABELS = {"rmsprop": "RMSprop", "sgd": "SGD", "adam": "Adam", "adagrad": "Adagrad"}


def setting_range(name: str, train_count: int | None = None) -> tuple[float, float]:
    """(low, high) of setting ``name``; with ``train_count`` (the dataset's training digits),
    the training digits go up to it. (A batch larger than the digits is one batch of them all,
    as in Keras.)"""
    low, high = SETTING_RANGES[name]
    if train_count is not None and name == "train_size":
        high = max(int(train_count), 1)
    return low, high


def checked_settings(settings: TrainSettings) -> tuple[str, ...]:
    """The settings that matter for this optimizer: its hyperparameters, then the recipe.

    The hidden ones (Adam's beta_1 while RMSprop is chosen) are never used, so never checked.
    """
    try:
        own = tuple(k for k in settings.optimizer_kwargs() if k in SETTING_RANGES)
    except ValueError:  # unknown optimizer: reported on its own
        own = ("learning_rate",)
    return own + RECIPE_SETTINGS


def setting_error(settings: TrainSettings, name: str, train_count: int | None = None) -> str | None:
    """Why setting ``name`` cannot be used, with its allowed range, or None when it can.

    ``train_count`` is the loaded dataset's number of training digits (None: no dataset).
    """
    value, label = getattr(settings, name), SETTING_LABELS[name]
    low, high = setting_range(name, train_count)
    whole = name in WHOLE_NUMBER_SETTINGS
    if isinstance(value, bool) or not isinstance(value, (int, np.integer) if whole else (int, float, np.number)):
        kind = "whole number" if whole else "number"
        return f"{label} must be a {kind} between {_shown(low)} and {_shown(high)}, got {value!r}"
    if not whole and not math.isfinite(value):
        return f"{label} must be a number between {_shown(low)} and {_shown(high)}, got {_shown(value)}"
    if name == "learning_rate" and not (0 < value <= high and np.float32(value) > 0):
        zero = ", which is 0 in float32 (the engine's precision)" if 0 < value <= high else ""
        return f"Learning rate must be a positive number up to {_shown(high)}, got {_shown(value)}{zero}"
    if name == "train_size" and not low <= value <= high:
        return f"Training digits must be between 1 and {_shown(high)} (0 for all of them), got {_shown(value)}"
    if name == "epsilon":
        return _epsilon_error(settings, low, high)
    if not low <= value <= high:
        return f"{label} must be between {_shown(low)} and {_shown(high)}, got {_shown(value)}"
    if name == "validation_split" and train_count is not None:
        return _split_error(settings, train_count)
    return None


def _epsilon_error(settings: TrainSettings, low: float, high: float) -> str | None:
    """Epsilon 0 divides 0 by 0 for weights whose gradient is always 0 (MNIST's black border
    pixels): in RMSprop's and Adam's denominators always, in Adagrad's when its accumulator
    starts at 0. The engine computes in float32, where below about 1e-45 is 0 too."""
    eps, opt = settings.epsilon, settings.optimizer
    zero_divides = opt in ("rmsprop", "adam") or (
        opt == "adagrad" and not np.float32(settings.initial_accumulator_value) > 0)
    if low <= eps <= high and (np.float32(eps) > 0 or not zero_divides):
        return None
    got = _shown(eps) + (", which is 0 in float32" if 0 < eps and not np.float32(eps) > 0 else "")
    if not zero_divides:
        return f"Epsilon must be between {_shown(low)} and {_shown(high)}, got {got}"
    why = "" if np.float32(eps) > 0 else (
        ": at 0, weights whose gradient is always 0, like MNIST's black border pixels, get 0 / 0 = NaN")
    when = f"for {OPTIMIZER_LABELS[opt]}" if opt != "adagrad" else "when Adagrad's initial accumulator value is 0"
    return f"Epsilon must be above 0 and at most {_shown(high)} {when}, got {got}{why}"


def split_sizes(digits: int, validation_split: float) -> tuple[int, int]:
    """(training, validation) samples of ``digits`` as ``fit(validation_split=...)`` cuts them:
    the engine (like Keras) trains on the first ``int(digits * (1 - validation_split))``."""
    if not validation_split:
        return digits, 0
    train = int(digits * (1 - validation_split))
    return train, digits - train


def _split_error(settings: TrainSettings, train_count: int) -> str | None:
    """A split that leaves nothing to train on or nothing to validate on cannot train."""
    size_ok = setting_error(settings, "train_size", train_count) is None
    split = settings.validation_split
    if not split or not size_ok:
        return None
    digits = settings.train_size or train_count
    train, validate = split_sizes(digits, split)
    if train and validate:
        return None
    fewest = next((n for n in range(digits + 1, train_count + 1) if all(split_sizes(n, split))), None)
    remedy = f"use at least {fewest:,} training digits or a different split" if fewest else "use a different split"
    what = "nothing to train on" if not train else "nothing to validate on"
    noun = "digit" if digits == 1 else "digits"
    return f"Validation split {_shown(split)} of {digits:,} training {noun} leaves {what}: {remedy}"


def parameter_count(layers, input_shape=(28, 28), classes: int = 10) -> int | None:
    """The design's weights and biases as ``summary()`` counts them, asked of the engine
    (``playground.core.design``); None while a layer cannot be built."""
    from playground.core.design import parameter_count as count  # the design asks the engine

    return count(layers, input_shape, classes)


def network_errors(layers, input_shape=(28, 28), classes: int = 10) -> list[str]:
    """Why this design cannot be built (empty when it can); see ``playground.core.design.design_errors``."""
    from playground.core.design import design_errors

    return design_errors(layers, input_shape, classes)


def settings_errors(settings: TrainSettings, train_count: int | None = None) -> list[str]:
    """Why this recipe cannot train (empty when it can): each used setting out of its range, and
    a recipe that leaves no digits to train or validate on. ``train_count``: the dataset's
    training digits (None: no dataset loaded, the fixed ranges apply)."""
    errors = []
    if settings.optimizer not in OPTIMIZERS:
        errors.append(f"Unknown optimizer {settings.optimizer!r}")
    if settings.loss not in LOSSES:
        errors.append(f"Unknown loss {settings.loss!r}")
    for name in checked_settings(settings):
        error = setting_error(settings, name, train_count)
        if error:
            errors.append(error)
    return errors


def _shown(value) -> str:
    text = number_text(value) if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) else repr(value)
    return text if len(text) <= 20 else text[:17] + "..."

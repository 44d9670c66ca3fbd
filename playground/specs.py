"""What the learner designs and chooses, as plain data (no Qt: usable on any thread and in scripts).

``LayerSpec`` and ``TrainSettings`` are the Network and Optimizer panels' values; ``Dataset`` is
MNIST as the book loads it; ``Evaluation`` is what the Evaluate panel draws. ``network_errors``
and ``settings_errors`` say, in words a learner understands, why a design or recipe can't train.
The ranges here are the panels' ranges too, so a value restored from a settings file can never
be one the panels cannot show.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

ACTIVATIONS = ("relu", "sigmoid", "tanh", "softmax", "linear", "leaky_relu", "elu")
OPTIMIZERS = ("rmsprop", "sgd", "adam", "adagrad")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error")
MAX_UNITS = 8192


@dataclass(frozen=True)
class LayerSpec:
    """One hidden Dense layer as the learner designed it (dropout applies after it)."""

    units: int = 512
    activation: str = "relu"
    dropout: float = 0.0


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
PRESETS: dict[str, tuple[LayerSpec, ...]] = {
    "Chapter 2: 512 relu": CHAPTER_NETWORK,
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

    def tensors(self) -> dict[str, np.ndarray]:
        """The four tensors by the names the book uses (``x_train`` ... ``y_test``)."""
        return {"x_train": self.x_train, "y_train": self.y_train, "x_test": self.x_test, "y_test": self.y_test}

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def input_size(self) -> int:
        return int(np.prod(self.input_shape))


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

# (low, high) of each numeric setting, shared by the Optimizer panel and the checks below
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
    "train_size": "Training-set size", "seed": "Seed",
}


def parameter_count(layers, input_size: int = 784, classes: int = 10) -> int:
    """Weights and biases of Flatten -> the hidden Dense layers -> Dense(classes), as ``summary()`` counts."""
    total, width = 0, input_size
    for spec in layers:
        total += (width + 1) * spec.units
        width = spec.units
    return total + (width + 1) * classes


def network_errors(layers, input_size: int = 784, classes: int = 10) -> list[str]:
    """Why this design cannot be built (empty when it can)."""
    errors = []
    for i, spec in enumerate(layers, start=1):
        if isinstance(spec.units, bool) or not isinstance(spec.units, (int, np.integer)) or not 1 <= spec.units <= MAX_UNITS:
            errors.append(f"Layer {i}: units must be between 1 and {MAX_UNITS}, got {spec.units!r}")
        if spec.activation not in ACTIVATIONS:
            errors.append(f"Layer {i}: unknown activation {spec.activation!r}")
        if not (isinstance(spec.dropout, (int, float)) and 0.0 <= spec.dropout < 1.0):
            errors.append(f"Layer {i}: dropout must be in [0, 1), got {spec.dropout!r}")
    if not errors and parameter_count(layers, input_size, classes) > MAX_PARAMS:
        errors.append(
            f"The network has {parameter_count(layers, input_size, classes):,} parameters; "
            f"the playground trains up to {MAX_PARAMS:,}"
        )
    return errors


def settings_errors(settings: TrainSettings) -> list[str]:
    """Why this recipe cannot train (empty when it can)."""
    errors = []
    if settings.optimizer not in OPTIMIZERS:
        errors.append(f"Unknown optimizer {settings.optimizer!r}")
    if settings.loss not in LOSSES:
        errors.append(f"Unknown loss {settings.loss!r}")
    for name, (low, high) in SETTING_RANGES.items():
        value = getattr(settings, name)
        label = SETTING_LABELS[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            errors.append(f"{label} must be a number, got {value!r}")
        elif name == "learning_rate" and not 0 < value <= high:
            errors.append(f"Learning rate must be a positive number up to {high:g}, got {_shown(value)}")
        elif not low <= value <= high:
            errors.append(f"{label} must be between {low:g} and {high:g}, got {_shown(value)}")
    return errors


def _shown(value) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 20 else text[:17] + "..."

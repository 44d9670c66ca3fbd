"""The application's model: what the learner has chosen, and what the engine produced.

Views (the panels) are thin: each takes an ``AppState`` as its first argument, reads from it,
writes to it through its setters, and subscribes to its signals to redraw (napari's
``QtDims(dims)`` pattern). No panel talks to another panel directly, and no panel touches the
engine's training internals: training runs in ``training_controller.py`` on a worker thread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QObject, Signal

import engine

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


class AppState(QObject):
    """Everything the learner chose and everything training produced, with change signals."""

    dataset_changed = Signal()
    network_changed = Signal()
    settings_changed = Signal()
    model_changed = Signal()  # a new weight snapshot (or none) for Draw / Evaluate
    evaluation_changed = Signal()
    training_started = Signal()
    training_finished = Signal(str)  # reason: "completed", "stopped", "early_stopping", "nan", "error"
    digit_requested = Signal(str, int)  # ("train" | "test", index): show this digit in the Data panel
    evaluation_requested = Signal()  # a panel asks for the test set to be evaluated (off the UI thread)

    def __init__(self, dataset: Dataset | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._dataset = dataset
        self._layers: tuple[LayerSpec, ...] = CHAPTER_NETWORK
        self._settings = TrainSettings()
        self._model: engine.Sequential | None = None
        self._trained = False
        self._evaluation: Evaluation | None = None
        self._training = False

    # ----- data -------------------------------------------------------------------------
    @property
    def dataset(self) -> Dataset | None:
        return self._dataset

    def set_dataset(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self.set_model(None)
        self.dataset_changed.emit()

    # ----- network ----------------------------------------------------------------------
    @property
    def layers(self) -> tuple[LayerSpec, ...]:
        return self._layers

    def set_layers(self, layers) -> None:
        layers = tuple(layers)
        if layers != self._layers:
            self._layers = layers
            self.network_changed.emit()

    def network_errors(self) -> list[str]:
        """Why the designed network cannot be built (empty when it can)."""
        errors = []
        for i, spec in enumerate(self._layers, start=1):
            if not isinstance(spec.units, (int, np.integer)) or not 1 <= spec.units <= MAX_UNITS:
                errors.append(f"Layer {i}: units must be between 1 and {MAX_UNITS}, got {spec.units}")
            if spec.activation not in ACTIVATIONS:
                errors.append(f"Layer {i}: unknown activation {spec.activation!r}")
            if not 0.0 <= spec.dropout < 1.0:
                errors.append(f"Layer {i}: dropout must be in [0, 1), got {spec.dropout}")
        return errors

    # ----- optimizer and recipe ---------------------------------------------------------
    @property
    def settings(self) -> TrainSettings:
        return self._settings

    def set_settings(self, settings: TrainSettings | None = None, **changes) -> None:
        new = replace(settings or self._settings, **changes)
        if new != self._settings:
            self._settings = new
            self.settings_changed.emit()

    def settings_errors(self) -> list[str]:
        s = self._settings
        errors = []
        if s.optimizer not in OPTIMIZERS:
            errors.append(f"Unknown optimizer {s.optimizer!r}")
        if not (math.isfinite(s.learning_rate) and s.learning_rate > 0):
            errors.append(f"Learning rate must be a positive number, got {s.learning_rate}")
        if s.batch_size < 1:
            errors.append(f"Batch size must be at least 1, got {s.batch_size}")
        if s.epochs < 1:
            errors.append(f"Epochs must be at least 1, got {s.epochs}")
        if not 0.0 <= s.validation_split < 1.0:
            errors.append(f"Validation split must be in [0, 1), got {s.validation_split}")
        if s.loss not in LOSSES:
            errors.append(f"Unknown loss {s.loss!r}")
        return errors

    def training_errors(self) -> list[str]:
        """Everything that stops Train from starting; the Training panel shows the first."""
        errors = [] if self._dataset is not None else ["No dataset loaded"]
        return errors + self.network_errors() + self.settings_errors()

    def build_model(self) -> engine.Sequential:
        """A fresh, compiled engine model for the current design (raises ValueError if invalid)."""
        errors = self.network_errors() + self.settings_errors()
        if errors:
            raise ValueError(errors[0])
        from engine.layers import Dense, Dropout, Flatten

        ds = self._dataset
        input_shape = ds.input_shape if ds is not None else (28, 28)
        classes = ds.num_classes if ds is not None else 10
        model = engine.Sequential([Flatten(input_shape=input_shape)])
        for spec in self._layers:
            model.add(Dense(int(spec.units), activation=spec.activation))
            if spec.dropout > 0:
                model.add(Dropout(spec.dropout))
        model.add(Dense(classes, activation="softmax"))
        s = self._settings
        optimizer = engine.optimizers.get(s.optimizer, **s.optimizer_kwargs())
        model.compile(optimizer=optimizer, loss=s.loss, metrics=["accuracy"])
        return model

    # ----- training results -------------------------------------------------------------
    @property
    def is_training(self) -> bool:
        return self._training

    def set_training(self, running: bool, reason: str = "completed") -> None:
        self._training = running
        if running:
            self.training_started.emit()
        else:
            self.training_finished.emit(reason)

    @property
    def model(self) -> engine.Sequential | None:
        """A model safe to call from the UI thread (a snapshot, never the one being trained)."""
        return self._model

    @property
    def trained(self) -> bool:
        return self._trained

    def set_model(self, model: engine.Sequential | None, trained: bool = True) -> None:
        self._model = model
        self._trained = bool(model is not None and trained)
        if model is None:
            self._evaluation = None
            self.evaluation_changed.emit()
        self.model_changed.emit()

    @property
    def evaluation(self) -> Evaluation | None:
        return self._evaluation

    def set_evaluation(self, evaluation: Evaluation | None) -> None:
        self._evaluation = evaluation
        self.evaluation_changed.emit()

    def request_digit(self, split: str, index: int) -> None:
        self.digit_requested.emit(split, int(index))

    def request_evaluation(self) -> None:
        self.evaluation_requested.emit()

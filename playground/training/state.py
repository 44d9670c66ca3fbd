"""The application's model: what the learner has chosen, and what the engine produced.

Views (the panels) are thin: each takes an ``AppState`` as its first argument, reads from it,
writes to it through its setters, and subscribes to its signals to redraw (napari's
``QtDims(dims)`` pattern). No panel talks to another panel directly, and no panel touches the
engine's training internals: training runs in ``training_controller.py`` on a worker thread.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Signal

import engine

from playground.core import design
from playground.core.specs import (  # the shared vocabulary, re-exported for the panels
    ACTIVATIONS, CHAPTER_NETWORK, LOSSES, MAX_PARAMS, MAX_UNITS, OPTIMIZERS, PRESETS, SETTING_RANGES,
    Dataset, Evaluation, LayerRow, LayerSpec, TrainSettings, label_names, network_errors, prepare_images,
    settings_errors,
)

__all__ = [
    "AppState", "ACTIVATIONS", "CHAPTER_NETWORK", "LOSSES", "MAX_PARAMS", "MAX_UNITS", "OPTIMIZERS", "PRESETS",
    "SETTING_RANGES", "Dataset", "Evaluation", "LayerRow", "LayerSpec", "TrainSettings", "network_errors", "prepare_images",
    "settings_errors",
]


IDLE, RUNNING, PAUSED, STOPPING, EVALUATING = "idle", "running", "paused", "stopping", "evaluating"
PHASES = (IDLE, RUNNING, PAUSED, STOPPING, EVALUATING)

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
    download_requested = Signal()  # a panel asks for the full MNIST (the Data panel's download bar fetches it)
    current_digit_changed = Signal()  # the digit the learner looks at now: the Data panel's, or the drawing

    def __init__(self, dataset: Dataset | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._dataset = dataset
        self._layers: tuple[LayerSpec, ...] = CHAPTER_NETWORK
        self._settings = TrainSettings()
        self._model: engine.Sequential | None = None
        self._trained = False
        self._model_problem = ""
        self._evaluation: Evaluation | None = None
        self._training_phase = IDLE  # the one record of whether a network trains (the controller's phase)
        self._current_digit: tuple | None = None  # (28x28 float32 in [0, 1], caption)
        self._loading = 0  # > 0 while a file or a restore (not the learner) changes the state

    # ----- who makes a change -------------------------------------------------------------
    @property
    def is_loading(self) -> bool:
        """True while the changes come from loading (a dataset, a model, saved settings), not from
        the learner's hand: the undo history does not record them."""
        return self._loading > 0

    @contextmanager
    def loading(self):
        """``with state.loading(): state.set_layers(read.specs)``: a change that is not an edit."""
        self._loading += 1
        try:
            yield
        finally:
            self._loading -= 1

    # ----- data -------------------------------------------------------------------------
    @property
    def dataset(self) -> Dataset | None:
        return self._dataset

    def set_dataset(self, dataset: Dataset) -> None:
        self._dataset = dataset
        with self.loading():  # what the panels adjust to the new data is not the learner's edit
            self.set_model(None)
            self.dataset_changed.emit()

    # ----- network ----------------------------------------------------------------------
    @property
    def layers(self) -> tuple:
        """The design between the fixed input and output: a ``LayerSpec`` per Dense layer, a
        ``LayerRow`` per layer of any other kind (``playground.core.design``)."""
        return self._layers

    def set_layers(self, layers) -> None:
        layers = design.normalised(layers)
        if layers != self._layers:
            self._layers = layers
            self.network_changed.emit()

    @property
    def image_shape(self) -> tuple[int, ...]:
        """One image's shape in the loaded dataset (MNIST's ``(28, 28)`` when none is loaded)."""
        return design.image_shape_of(self._dataset)

    @property
    def classes(self) -> int:
        return self._dataset.num_classes if self._dataset is not None else 10

    @property
    def class_names(self) -> tuple[str, ...]:
        """The name of each class, from the dataset (one source): "0" ... "9" for MNIST, "T-shirt/top"
        ... for Fashion-MNIST. Panels show ``specs.label_name(state.class_names, label)`` for a label."""
        return label_names(self._dataset, self.classes)

    def network_errors(self) -> list[str]:
        """Why the designed network cannot be built (empty when it can)."""
        return network_errors(self._layers, self.image_shape, self.classes)

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
        """Why the recipe cannot train on the loaded dataset (its size bounds the training digits)."""
        return settings_errors(self._settings, None if self._dataset is None else len(self._dataset.x_train))

    def training_errors(self) -> list[str]:
        """Everything that stops Train from starting; the Training panel shows the first."""
        errors = [] if self._dataset is not None else ["No dataset loaded"]
        errors += self.network_errors() + self.settings_errors()
        if not errors:  # a valid design and recipe: does one batch of it fit in memory?
            memory = design.batch_memory_error(self._layers, self.image_shape, self.classes, self._largest_batch())
            errors += [memory] if memory else []
        return errors

    def _largest_batch(self) -> int:
        """The most digits one forward pass holds: a training batch (never more than the training
        digits, as ``fit`` cuts them) or an evaluation batch of the test set."""
        from playground.core.training_data import EVALUATION_BATCH_SIZE

        ds, s = self._dataset, self._settings
        digits = s.train_size or len(ds.x_train)
        return max(min(s.batch_size, digits), min(EVALUATION_BATCH_SIZE, len(ds.x_test)))

    def build_model(self) -> engine.Sequential:
        """A fresh, compiled engine model for the current design (raises ValueError if invalid)."""
        errors = self.network_errors() + self.settings_errors()
        if errors:
            raise ValueError(errors[0])
        stack = design.engine_configs(self._layers, self.image_shape, self.classes)
        layers = [engine.layers.deserialize(config) for _, config in stack]
        model = engine.Sequential(layers)
        model.build(design.model_input_shape(self._layers, self.image_shape))  # (28, 28) or (28, 28, 1)
        s = self._settings
        optimizer = engine.optimizers.get(s.optimizer, **s.optimizer_kwargs())
        model.compile(optimizer=optimizer, loss=s.loss, metrics=["accuracy"])
        return model

    # ----- training results -------------------------------------------------------------
    @property
    def training_phase(self) -> str:
        """``IDLE``, ``RUNNING``, ``PAUSED``, ``STOPPING`` or ``EVALUATING`` (set by the controller)."""
        return self._training_phase

    @property
    def is_training(self) -> bool:
        """True from the press of Train until the run has ended (its evaluation included)."""
        return self._training_phase != IDLE

    def set_training_phase(self, phase: str, reason: str = "completed") -> None:
        """Move to ``phase``; leaving ``IDLE`` emits ``training_started``, coming back to it
        ``training_finished(reason)``."""
        if phase not in PHASES:
            raise ValueError(f"unknown training phase {phase!r}; expected one of {', '.join(PHASES)}")
        before, self._training_phase = self._training_phase, phase
        if before == IDLE and phase != IDLE:
            self.training_started.emit()
        elif before != IDLE and phase == IDLE:
            self.training_finished.emit(reason)

    def set_training(self, running: bool, reason: str = "completed") -> None:
        """``set_training_phase(RUNNING)`` or ``(IDLE, reason)``."""
        self.set_training_phase(RUNNING if running else IDLE, reason)

    @property
    def model(self) -> engine.Sequential | None:
        """A model safe to call from the UI thread (a snapshot, never the one being trained)."""
        return self._model

    @property
    def trained(self) -> bool:
        return self._trained

    @property
    def model_problem(self) -> str:
        """Why the model's guesses mean nothing although it was trained (it diverged), or ""."""
        return self._model_problem

    def set_model(self, model: engine.Sequential | None, trained: bool = True, problem: str = "") -> None:
        replaced = model is not self._model
        self._model = model
        self._trained = bool(model is not None and trained)
        self._model_problem = problem if model is not None else ""
        if replaced and self._evaluation is not None:  # the old numbers describe other weights
            self._evaluation = None
            self.evaluation_changed.emit()
        self.model_changed.emit()

    @property
    def evaluation(self) -> Evaluation | None:
        return self._evaluation

    def set_evaluation(self, evaluation: Evaluation | None) -> None:
        self._evaluation = evaluation
        self.evaluation_changed.emit()

    @property
    def current_digit(self) -> tuple | None:
        """``(image, caption)``: the digit last shown in the Data panel or drawn in the Draw panel
        (a float32 image in [0, 1]), or None."""
        return self._current_digit

    def set_current_digit(self, image, caption: str) -> None:
        """Announce the digit the learner looks at (uint8 pixels are scaled to [0, 1]); the same
        digit again announces nothing."""
        image = np.asarray(image)
        image = (image * np.float32(1 / 255) if image.dtype == np.uint8 else image).astype(np.float32)
        old = self._current_digit
        if old is not None and old[1] == caption and np.array_equal(old[0], image):
            return
        self._current_digit = (image, caption)
        self.current_digit_changed.emit()

    def request_digit(self, split: str, index: int) -> None:
        self.digit_requested.emit(split, int(index))

    def request_evaluation(self) -> None:
        self.evaluation_requested.emit()

    def request_download(self) -> None:
        self.download_requested.emit()

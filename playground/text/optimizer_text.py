"""The Optimizer panel's words and code, without Qt: names, update rules, Keras's defaults and calls.

Which hyperparameters each optimizer has (in Keras's order) and their defaults are asked of the
engine's optimizers (``get_config()``: the engine follows Keras), never restated here. Each
optimizer keeps its own hyperparameters (``OptimizerMemory``): SGD's momentum 0.9 does not follow
the learner to RMSprop. Also a one-line reminder of each update rule, and the ``compile``/``fit``
recipe written as the book writes it in R, plus the Python spelling (``keras_code``).
"""
from __future__ import annotations

from dataclasses import fields

import engine
from engine import keras_code as generator
from playground.core.specs import OPTIMIZER_LABELS, OPTIMIZERS, TrainSettings, settings_errors

LABELS = OPTIMIZER_LABELS
_SETTINGS = {f.name for f in fields(TrainSettings)}


def keras_defaults(optimizer: str) -> dict:
    """Every hyperparameter of ``optimizer`` at its Keras default, as the engine's optimizer has it."""
    config = engine.optimizers.get(optimizer).get_config()
    return {k: v for k, v in config.items() if k in _SETTINGS}


HYPERPARAMETERS = {name: tuple(keras_defaults(name)) for name in OPTIMIZERS}  # in Keras's order
ALL_HYPERPARAMETERS = ("learning_rate", "momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon",
                       "initial_accumulator_value")
DEFAULT_LEARNING_RATE = {name: keras_defaults(name)["learning_rate"] for name in OPTIMIZERS}
RULES = {
    "rmsprop": "RMSprop divides each step by a running average of recent gradient magnitudes, "
    "so every weight gets its own step size (rho = how long that average remembers).",
    "sgd": "SGD steps each weight against its gradient: w\u00a0=\u00a0w\u00a0-\u00a0learning_rate\u00a0*\u00a0g "
    "(momentum keeps part of the previous step, like a ball rolling downhill).",
    "adam": "Adam keeps running averages of the gradient (beta_1, like momentum) and of its "
    "square (beta_2, like RMSprop), with a correction for their start at zero.",
    "adagrad": "Adagrad divides each step by the root of the sum of ALL past squared gradients, "
    "so weights that were updated a lot slow down for good.",
}
LOSS_LABELS = {
    "categorical_crossentropy": "Categorical cross-entropy (one-hot labels)",
    "sparse_categorical_crossentropy": "Sparse categorical cross-entropy (integer labels)",
    "mean_squared_error": "Mean squared error",
}


def hyperparameters(settings: TrainSettings) -> dict:
    """The chosen optimizer's hyperparameters and their values in ``settings``."""
    return {k: getattr(settings, k) for k in HYPERPARAMETERS.get(settings.optimizer, ("learning_rate",))}


class OptimizerMemory:
    """Each optimizer's own hyperparameters, kept while the learner tries another one.

    The first time an optimizer is chosen it starts from Keras's defaults; coming back to it
    brings back what the learner had set (SGD's momentum 0.9 stays SGD's).
    """

    def __init__(self):
        self._kept: dict[str, dict] = {}

    def switch(self, settings: TrainSettings, optimizer: str) -> dict:
        """The changes to ``settings`` that choose ``optimizer`` with its own hyperparameters."""
        self._kept[settings.optimizer] = hyperparameters(settings)
        return {"optimizer": optimizer, **keras_defaults(optimizer), **self._kept.get(optimizer, {})}


def keras_calls(settings: TrainSettings) -> tuple[str, str]:
    """(R call, Python call) creating this optimizer: the learning rate plus any non-defaults."""
    config = {"name": settings.optimizer, **hyperparameters(settings)}
    return generator.r_optimizer(config), generator.python_optimizer(config)  # the engine's one generator


def keras_code(settings: TrainSettings, train_count: int | None = None) -> str:
    """The optimizer, ``compile`` and ``fit`` calls of this recipe, in R as in the book, then Python.

    A recipe that cannot train has no code: the first reason is shown instead, so an invalid
    value never reaches code a learner might copy.
    """
    s = settings
    errors = settings_errors(s, train_count)
    if errors:
        return f"# No code until the recipe can train:\n# {errors[0]}"
    r_call, py_call = keras_calls(s)
    return (
        f"# R, as in the book\nopt <- {r_call}\n"
        f'compile(model, optimizer = opt,\n        loss = "{s.loss}",\n        metrics = "accuracy")\n'
        f"fit(model, x_train, y_train,\n    {generator.r_fit_arguments(s.epochs, s.batch_size, s.validation_split)})\n"
        f"# Python\n{py_call}"
    )

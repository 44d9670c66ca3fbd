"""The Optimizer panel's words and code, without Qt: names, update rules, Keras's defaults and calls.

Which hyperparameters each optimizer has (in Keras's order), Keras's default learning rates,
a one-line reminder of each update rule, and the ``compile``/``fit`` recipe written as the book
writes it in R, plus the Python spelling (``keras_code``).
"""
from __future__ import annotations

from dataclasses import fields

from playground.specs import TrainSettings

LABELS = {"rmsprop": "RMSprop", "sgd": "SGD", "adam": "Adam", "adagrad": "Adagrad"}
HYPERPARAMETERS = {  # the arguments of each engine (and Keras) optimizer, in Keras's order
    "rmsprop": ("learning_rate", "rho", "momentum", "epsilon"),
    "sgd": ("learning_rate", "momentum", "nesterov"),
    "adam": ("learning_rate", "beta_1", "beta_2", "epsilon"),
    "adagrad": ("learning_rate", "initial_accumulator_value", "epsilon"),
}
ALL_HYPERPARAMETERS = ("learning_rate", "momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon",
                       "initial_accumulator_value")
DEFAULT_LEARNING_RATE = {"sgd": 0.01, "rmsprop": 0.001, "adam": 0.001, "adagrad": 0.001}
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


def keras_defaults(optimizer: str) -> dict:
    """Every hyperparameter at Keras's default for this optimizer (learning rate included)."""
    base = TrainSettings()
    names = {n for names in HYPERPARAMETERS.values() for n in names}
    values = {f.name: getattr(base, f.name) for f in fields(TrainSettings) if f.name in names}
    return {**values, "learning_rate": DEFAULT_LEARNING_RATE[optimizer]}


def keras_calls(settings: TrainSettings) -> tuple[str, str]:
    """(R call, Python call) creating this optimizer: the learning rate plus any non-defaults."""
    name = settings.optimizer
    defaults = keras_defaults(name)
    args = [(k, getattr(settings, k)) for k in HYPERPARAMETERS.get(name, ("learning_rate",))]
    args = [(k, v) for k, v in args if k == "learning_rate" or v != defaults[k]]
    r_value = {True: "TRUE", False: "FALSE"}
    r_args = ", ".join(f"{k} = {r_value[v] if isinstance(v, bool) else f'{v:g}'}" for k, v in args)
    py_args = ", ".join(f"{k}={v if isinstance(v, bool) else f'{v:g}'}" for k, v in args)
    return f"optimizer_{name}({r_args})", f"keras.optimizers.{LABELS.get(name, name)}({py_args})"


def keras_code(settings: TrainSettings) -> str:
    """The optimizer, ``compile`` and ``fit`` calls of this recipe, in R as in the book, then Python."""
    s = settings
    r_call, py_call = keras_calls(s)
    split = f", validation_split = {s.validation_split:g}" if s.validation_split else ""
    return (
        f"# R, as in the book\nopt <- {r_call}\n"
        f'compile(model, optimizer = opt,\n        loss = "{s.loss}",\n        metrics = "accuracy")\n'
        f"fit(model, x_train, y_train,\n    epochs = {s.epochs}, batch_size = {s.batch_size}{split})\n"
        f"# Python\n{py_call}"
    )

"""The learner's design written as Keras code, in R as the book writes it and in Python (no Qt).

The code itself comes from the engine's one generator (``engine.keras_code``), which also writes
the scripts of File > Export > Keras: this module only turns the Network panel's rows into the
engine's layers (``playground.core.design.engine_configs``) and keeps a design that cannot be built
out of the code. Chapter 5's convnet in R::

    model <- keras_model_sequential() %>%
      layer_conv_2d(filters = 32, kernel_size = c(3, 3), activation = "relu", input_shape = c(28, 28, 1)) %>%
      layer_max_pooling_2d(pool_size = c(2, 2)) %>%
      ...
      layer_flatten() %>%
      layer_dense(units = 64, activation = "relu") %>%
      layer_dense(units = 10, activation = "softmax")

and in Python ``model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))``.
Only a design the engine can build is written: an invalid cell never reaches code the learner
might copy.
"""
from __future__ import annotations

from engine import keras_code
from engine.keras_code import r_function, wrap_call  # noqa: F401 (re-exported for the panels)
from playground.core.design import engine_configs, model_input_shape, normalised, summarise

FIX_FIRST = "# Fix the layers marked red first."


def _stack(rows, image_shape, classes) -> tuple[list[dict], tuple] | None:
    """The engine's layers for the design and the model's input shape, or None when the design
    cannot be built."""
    rows = normalised(rows)
    if summarise(rows, image_shape, classes).first_error is not None:
        return None
    configs = [config for _, config in engine_configs(rows, image_shape, classes)]
    return configs, model_input_shape(rows, image_shape)


def r_code(layers, input_shape=(28, 28), classes: int = 10, width: int | None = None) -> str:
    """The network written the way the book builds it in R (``FIX_FIRST`` while it cannot be built).

    ``width`` (characters) breaks longer calls after a comma, the arguments lined up under the
    first one, as R code is usually wrapped.
    """
    stack = _stack(layers, tuple(input_shape), classes)
    if stack is None:
        return FIX_FIRST
    return keras_code.r_model(*stack, image_shape=tuple(input_shape), width=width)


def python_code(layers, input_shape=(28, 28), classes: int = 10, width: int | None = None) -> str:
    """The same network in Python Keras, as the book's Python edition writes it."""
    stack = _stack(layers, tuple(input_shape), classes)
    if stack is None:
        return FIX_FIRST
    return keras_code.python_model(*stack, image_shape=tuple(input_shape), width=width)

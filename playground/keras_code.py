"""The design written as Keras code, in R as the book writes it and in Python (no Qt).

Chapter 5's convnet in R::

    model <- keras_model_sequential() %>%
      layer_conv_2d(filters = 32, kernel_size = c(3, 3), activation = "relu", input_shape = c(28, 28, 1)) %>%
      layer_max_pooling_2d(pool_size = c(2, 2)) %>%
      ...
      layer_flatten() %>%
      layer_dense(units = 64, activation = "relu") %>%
      layer_dense(units = 10, activation = "softmax")

and in Python ``model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))``.
Each call writes the arguments the book writes (the sizes, the activation) and any other setting
that is not the engine's default (``strides = c(2, 2)``, ``padding = "same"``). Only a design
the engine can build is written: an invalid cell never reaches code the learner might copy.
"""
from __future__ import annotations

import re

from engine import layers as engine_layers
from playground.design import engine_configs, model_input_shape, normalised, summarise
from playground.number_text import number_text

FIX_FIRST = "# Fix the layers marked red first."

ALWAYS_WRITTEN = {  # what the book writes even at its default (the sizes, the activation)
    "Dense": ("units", "activation"), "Conv2D": ("filters", "kernel_size", "activation"),
    "MaxPooling2D": ("pool_size",), "AveragePooling2D": ("pool_size",), "Dropout": ("rate",),
    "Activation": ("activation",),
}


def r_function(class_name: str) -> str:
    """The R package's name for a Keras layer: ``Conv2D`` -> ``layer_conv_2d``, ``MaxPooling2D``
    -> ``layer_max_pooling_2d``, ``BatchNormalization`` -> ``layer_batch_normalization``."""
    snake = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", class_name)).lower()
    return "layer_" + re.sub(r"([a-z])(\d)d$", r"\1_\2d", snake)


def _unnamed_in_python(class_name: str) -> int:
    """How many arguments Python Keras code passes by position: the leading ones of the signature
    that the book always writes, the activation only when it comes first (``Activation("relu")``)."""
    order = engine_layers.required(class_name) + list(engine_layers.defaults(class_name))
    always = ALWAYS_WRITTEN.get(class_name, ())
    count = 0
    for place, name in enumerate(order):
        if name not in always or (name == "activation" and place > 0):
            break
        count += 1
    return count


def _arguments(class_name: str, config: dict) -> list[tuple[str, object]]:
    """The arguments to write, in the engine's signature order."""
    defaults = engine_layers.defaults(class_name)
    order = engine_layers.required(class_name) + list(defaults)
    always = ALWAYS_WRITTEN.get(class_name, ())
    return [(name, config[name]) for name in order
            if name in config and (name in always or config[name] != defaults.get(name, object()))]


def _r_value(value) -> str:
    if isinstance(value, tuple):
        return "c(" + ", ".join(_r_value(v) for v in value) + ")"
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "NULL"
    return number_text(value, group=False)


def _py_value(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_py_value(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value) if value is None else number_text(value, group=False)


def _calls(rows, image_shape, classes) -> list[tuple[str, list]] | None:
    """``(class name, arguments)`` per layer the learner writes, or None when the design cannot be built.

    A flat design's input Flatten is not written: the book reshapes the images to 784 numbers
    before ``fit`` and gives the first layer ``input_shape = c(28 * 28)``."""
    rows = normalised(rows)
    summary = summarise(rows, image_shape, classes)
    if summary.first_error is not None:
        return None
    stack = [(row, config) for row, config in engine_configs(rows, image_shape, classes) if row >= 0]
    return [(config["class_name"], _arguments(config["class_name"], config["config"])) for _, config in stack]


def r_code(layers, input_shape=(28, 28), classes: int = 10, width: int | None = None) -> str:
    """The network written the way the book builds it in R (``FIX_FIRST`` while it cannot be built).

    ``width`` (characters) breaks longer calls after a comma, the arguments lined up under the
    first one, as R code is usually wrapped.
    """
    calls = _calls(layers, input_shape, classes)
    if calls is None:
        return FIX_FIRST
    shape = model_input_shape(normalised(layers), input_shape)
    dims = ", ".join(str(side) for side in shape) if len(shape) > 2 else " * ".join(str(side) for side in shape)
    lines = ["model <- keras_model_sequential() %>%"]
    for i, (class_name, arguments) in enumerate(calls):
        written = [f"{name} = {_r_value(value)}" for name, value in arguments]
        if i == 0:
            written.append(f"input_shape = c({dims})")
        lines.append(f"  {r_function(class_name)}({', '.join(written)}) %>%")
    lines[-1] = lines[-1].removesuffix(" %>%")
    return "\n".join(wrapped for line in lines for wrapped in wrap_call(line, width))


def python_code(layers, input_shape=(28, 28), classes: int = 10, width: int | None = None) -> str:
    """The same network in Python Keras, as the book's Python edition writes it."""
    calls = _calls(layers, input_shape, classes)
    if calls is None:
        return FIX_FIRST
    shape = model_input_shape(normalised(layers), input_shape)
    dims = (", ".join(str(side) for side in shape) if len(shape) > 2
            else " * ".join(str(side) for side in shape) + ",")
    lines = ["from keras import layers, models", "", "model = models.Sequential()"]
    for i, (class_name, arguments) in enumerate(calls):
        unnamed = _unnamed_in_python(class_name)
        written = [_py_value(value) if k < unnamed and name == _positional(class_name, k) else f"{name}={_py_value(value)}"
                   for k, (name, value) in enumerate(arguments)]
        if i == 0:
            written.append(f"input_shape=({dims})")
        lines.append(f"model.add(layers.{class_name}({', '.join(written)}))")
    return "\n".join(wrapped for line in lines for wrapped in wrap_call(line, width))


def _positional(class_name: str, k: int) -> str | None:
    """The name of the ``k``-th argument of ``class_name``'s signature."""
    order = engine_layers.required(class_name) + list(engine_layers.defaults(class_name))
    return order[k] if k < len(order) else None


def wrap_call(line: str, width: int | None) -> list[str]:
    """``line`` cut after the commas between its call's arguments (never inside ``c(3, 3)``) so
    that each piece fits ``width`` where it can, the arguments lined up under the first one."""
    if width is None or len(line) <= width or "(" not in line:
        return [line]
    opened = _first_argument(line)
    level, depth, cuts = line[:opened].count("(") - line[:opened].count(")"), 0, []
    for k, char in enumerate(line):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == level and line[k + 1:k + 2] == " ":
            cuts.append(k)
    parts, previous = [], 0
    for cut in cuts:
        parts.append(line[previous:cut + 1])
        previous = cut + 2
    parts.append(line[previous:])
    lines = [parts[0]]
    for part in parts[1:]:
        if len(lines[-1]) + 1 + len(part) <= width:
            lines[-1] += " " + part
        else:
            lines.append(" " * opened + part)
    return lines


def _first_argument(line: str) -> int:
    """Where the arguments of the line's innermost leading call start: after ``layer_dense(`` in R,
    after ``model.add(layers.Dense(`` in Python."""
    start = line.index("(") + 1
    while True:
        following = line.find("(", start)
        head = line[start:following] if following >= 0 else ""
        if following < 0 or not head.replace(".", "").replace("_", "").isalnum():
            return start
        start = following + 1

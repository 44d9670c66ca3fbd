"""A network written as Keras code: in R as the book writes it, and in Python (no Qt, no Keras).

This is the project's one generator of Keras code. The Network and Optimizer panels show its
output for the learner's design, and ``engine.keras_export`` writes whole scripts with it. Chapter
2's network in R::

    model <- keras_model_sequential() %>%
      layer_dense(units = 512, activation = "relu", input_shape = c(28 * 28)) %>%
      layer_dense(units = 10, activation = "softmax")

and chapter 5's convnet in Python, ``layers.Conv2D(32, (3, 3), activation="relu")``. Each call
writes the arguments the book writes (the sizes, the activation) and any other setting that is
not the engine's default (``strides = c(2, 2)``, ``padding = "same"``); the engine follows
Keras's names and defaults, so what is left out means the same in Keras.

Layers come as the engine serializes them, ``{"class_name": "Dense", "config": {...}}``. A
leading ``Flatten`` is not written: the book reshapes the images to 784 numbers before ``fit``
(``array_reshape(train_images, c(60000, 28 * 28))``) and gives the first layer
``input_shape = c(28 * 28)``.
"""
from __future__ import annotations

import math
import re

from engine import layers as engine_layers
from engine import optimizers as engine_optimizers

ALWAYS_WRITTEN = {  # what the book writes even at its default (the sizes, the activation)
    "Dense": ("units", "activation"), "Conv2D": ("filters", "kernel_size", "activation"),
    "MaxPooling2D": ("pool_size",), "AveragePooling2D": ("pool_size",), "Dropout": ("rate",),
    "Activation": ("activation",),
}
POOLING = ("MaxPooling2D", "AveragePooling2D")  # strides default to the pool's own size


# ----- values ------------------------------------------------------------------------------------
def number_code(value) -> str:
    """A number as code: as few digits as give back the same float (``0.001``, ``1e-7``), whole
    numbers without separators (``60000``)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or getattr(getattr(value, "dtype", None), "kind", "") in ("i", "u"):
        return str(int(value))
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else repr(value)
    for digits in range(1, 18):  # the fewest significant digits that give back the same float
        text = f"{value:.{digits}g}"
        if float(text) == value:
            break
    exponent = int(f"{value:.{digits - 1}e}".split("e")[1])
    if -4 <= exponent < 6:  # 0.0001 ... 999999.x: positional, never 1e+02
        text = f"{value:.{max(digits, exponent + 1)}g}"
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m[1] == "-" else "") + m[2], text)


def r_value(value) -> str:
    """``(3, 3)`` -> ``c(3, 3)``; ``"relu"`` -> ``"relu"``; True -> ``TRUE``; None -> ``NULL``."""
    if isinstance(value, (tuple, list)):
        return "c(" + ", ".join(r_value(v) for v in value) + ")"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if value is None:
        return "NULL"
    return number_code(value)


def python_value(value) -> str:
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(python_value(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value) if value is None else number_code(value)


# ----- layers ------------------------------------------------------------------------------------
def r_function(class_name: str) -> str:
    """The R package's name for a Keras layer: ``Conv2D`` -> ``layer_conv_2d``, ``MaxPooling2D``
    -> ``layer_max_pooling_2d``, ``BatchNormalization`` -> ``layer_batch_normalization``."""
    snake = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", class_name)).lower()
    return "layer_" + re.sub(r"([a-z])(\d)d$", r"\1_\2d", snake)


def _signature(class_name: str) -> list[str]:
    return engine_layers.required(class_name) + list(engine_layers.defaults(class_name))


def arguments(class_name: str, config: dict) -> list[tuple[str, object]]:
    """``(name, value)`` of the arguments to write, in the layer's signature order: those the book
    always writes, the required ones, and every other one that is not at its default."""
    defaults = engine_layers.defaults(class_name)
    always = ALWAYS_WRITTEN.get(class_name, ())
    values = {name: tuple(value) if isinstance(value, list) else value for name, value in config.items()}
    if class_name in POOLING and values.get("strides") is not None and values["strides"] == values.get("pool_size"):
        values["strides"] = None  # Keras's default: the pool's own size (the book never writes it)
    missing = object()
    return [(name, values[name]) for name in _signature(class_name)
            if name in values and (name in always or values[name] != defaults.get(name, missing))]


def _positional(class_name: str) -> int:
    """How many arguments Python Keras code passes by position: the leading ones of the signature
    that the book always writes, the activation only when it comes first (``Activation("relu")``)."""
    always = ALWAYS_WRITTEN.get(class_name, ())
    count = 0
    for place, name in enumerate(_signature(class_name)):
        if name not in always or (name == "activation" and place > 0):
            break
        count += 1
    return count


def written_layers(configs, input_shape) -> tuple[list[tuple[str, list]], tuple, tuple | None]:
    """``(calls, data_shape, flattened)``: the ``(class name, arguments)`` of each layer to write,
    the shape of one sample as the data is given to the first written layer, and the image shape
    a leading ``Flatten`` took (not written: the data is given flat), or None."""
    configs = [dict(c) for c in configs]
    input_shape = tuple(input_shape)
    flattened = None
    if len(configs) > 1 and configs[0]["class_name"] == "Flatten":
        flattened, input_shape = input_shape, (math.prod(input_shape),)
        configs = configs[1:]
    calls = [(c["class_name"], arguments(c["class_name"], c.get("config") or {})) for c in configs]
    return calls, input_shape, flattened


def shape_code(data_shape, flattened, image_shape, separator: str = ", ") -> str:
    """The input's sizes: ``28 * 28`` for flat images (the book's ``c(28 * 28)``), else each size."""
    if flattened is None and len(data_shape) == 1 and image_shape and data_shape[0] == math.prod(image_shape) \
            and len(image_shape) > 1:
        flattened = image_shape
    if flattened is not None and len(data_shape) == 1:
        return " * ".join(str(side) for side in flattened)
    return separator.join(str(side) for side in data_shape)


def r_model(configs, input_shape, image_shape=(28, 28), width: int | None = None) -> str:
    """The network the way the book builds it in R: ``model <- keras_model_sequential() %>% ...``.

    ``width`` (characters) breaks longer calls after a comma, the arguments lined up under the
    first one, as R code is usually wrapped."""
    calls, data_shape, flattened = written_layers(configs, input_shape)
    dims = shape_code(data_shape, flattened, image_shape)
    lines = ["model <- keras_model_sequential() %>%"]
    for i, (class_name, args) in enumerate(calls):
        written = [f"{name} = {r_value(value)}" for name, value in args]
        if i == 0:
            written.append(f"input_shape = c({dims})")
        lines.append(f"  {r_function(class_name)}({', '.join(written)}) %>%")
    lines[-1] = lines[-1].removesuffix(" %>%")
    return "\n".join(wrapped for line in lines for wrapped in wrap_call(line, width))


def python_layer(class_name: str, args: list, extra: tuple = ()) -> str:
    """One layer in Python Keras: ``layers.Conv2D(32, (3, 3), activation="relu")``."""
    unnamed = _positional(class_name)
    order = _signature(class_name)
    written = [python_value(value) if k < unnamed and k < len(order) and name == order[k]
               else f"{name}={python_value(value)}" for k, (name, value) in enumerate(args)]
    return f"layers.{class_name}({', '.join([*written, *extra])})"


def python_model(configs, input_shape, image_shape=(28, 28), width: int | None = None) -> str:
    """The network in Python Keras, as the book's Python edition writes it (``model.add(...)``,
    the first layer with its ``input_shape``)."""
    calls, data_shape, flattened = written_layers(configs, input_shape)
    dims = shape_code(data_shape, flattened, image_shape) + ("," if len(data_shape) == 1 else "")
    lines = ["from keras import layers, models", "", "model = models.Sequential()"]
    for i, (class_name, args) in enumerate(calls):
        extra = (f"input_shape=({dims})",) if i == 0 else ()
        lines.append(f"model.add({python_layer(class_name, args, extra)})")
    return "\n".join(wrapped for line in lines for wrapped in wrap_call(line, width))


def python_keras3_model(configs, input_shape, image_shape=(28, 28)) -> tuple[str, str]:
    """``(code, input shape)``: the network as Keras 3 builds it, ``keras.Sequential([keras.Input(
    shape=...), layers.Dense(...), ...])``, and the shape of one sample as the model takes it."""
    calls, data_shape, flattened = written_layers(configs, input_shape)
    dims = shape_code(data_shape, flattened, image_shape) + ("," if len(data_shape) == 1 else "")
    lines = ["keras.Sequential([", f"    keras.Input(shape=({dims})),"]
    lines += [f"    {python_layer(class_name, args)}," for class_name, args in calls]
    lines.append("])")
    return "\n".join(lines), f"({dims})"


# ----- optimizer and recipe ----------------------------------------------------------------------
def optimizer_arguments(config: dict, always=("learning_rate",)) -> tuple[str, list[tuple[str, object]]]:
    """``(Keras class name, [(name, value)])``: the optimizer's hyperparameters that are in
    ``always`` or not at Keras's default (``config`` as ``Optimizer.get_config()`` gives it)."""
    cls = engine_optimizers.get(config["name"])
    defaults = cls.get_config()
    args = [(k, v) for k, v in config.items() if k != "name" and (k in always or v != defaults.get(k))]
    return defaults["name"], args


def r_optimizer(config: dict, always=("learning_rate",)) -> str:
    """``optimizer_rmsprop(learning_rate = 0.001)``; with nothing to write, the book's ``"rmsprop"``."""
    name, args = optimizer_arguments(config, always)
    if not args:
        return f'"{name.lower()}"'
    return f"optimizer_{name.lower()}({', '.join(f'{k} = {r_value(v)}' for k, v in args)})"


def python_optimizer(config: dict, always=("learning_rate",)) -> str:
    """``keras.optimizers.RMSprop(learning_rate=0.001)``; with nothing to write, ``"rmsprop"``."""
    name, args = optimizer_arguments(config, always)
    if not args:
        return f'"{name.lower()}"'
    return f"keras.optimizers.{name}({', '.join(f'{k}={python_value(v)}' for k, v in args)})"


def r_fit_arguments(epochs: int, batch_size: int, validation_split: float = 0.0) -> str:
    """``epochs = 5, batch_size = 128`` (and the validation split when there is one)."""
    split = f", validation_split = {number_code(validation_split)}" if validation_split else ""
    return f"epochs = {number_code(epochs)}, batch_size = {number_code(batch_size)}{split}"


# ----- wrapping ----------------------------------------------------------------------------------
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

"""The network the learner designs: a stack of layers of any kind, checked by the engine (no Qt).

A design is a tuple of rows between two fixed ends. The input is fixed by the data: a design that
starts with image layers (``Conv2D``, pooling) takes the images as ``(28, 28, 1)``, the book's
``array_reshape(train_images, c(60000, 28, 28, 1))``; any other design takes them flat, through a
``Flatten`` (chapter 2's 784 numbers). The output is fixed by the classes: ``Dense(10, softmax)``.

Each row is a ``LayerSpec`` (a Dense layer with the chapter-2 table's dropout after it) or a
``LayerRow`` (any other kind in ``engine.layers``, with the settings ``SETTINGS`` lists for it).
Names, defaults, output shapes, parameter counts and the reason a stack cannot be built all come
from the engine (``engine.layers.defaults``, ``engine.planning.plan``); nothing here restates
them. Nothing is inserted for the learner either: a ``Dense`` right after a ``Conv2D`` is marked
with the engine's reason ("add a Flatten layer before it"), as Keras would refuse it.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from engine import layers as engine_layers
from engine.planning import plan
from playground.core.specs import ACTIVATIONS, MAX_PARAMS, MAX_UNITS, LayerRow, LayerSpec

# The app's one table about layer kinds: the settings the Network panel shows for each kind, in
# its column order, and what a new row starts with where the engine has no default. A kind the
# engine adds later is offered with its defaults as soon as it needs no argument.
SETTINGS: dict[str, tuple[str, ...]] = {
    "Dense": ("units", "activation", "dropout"),  # dropout: a Dropout layer after it (0: none)
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "activation"),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "AveragePooling2D": ("pool_size", "strides", "padding"),
    "Dropout": ("rate",),
    "Activation": ("activation",),
}
STARTING: dict[str, dict] = {
    "Dense": {"units": 64, "activation": "relu", "dropout": 0.0},
    "Conv2D": {"filters": 32, "kernel_size": (3, 3), "activation": "relu"},
    "Dropout": {"rate": 0.5},
    "Activation": {"activation": "relu"},
}
KIND_ORDER = ("Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Dropout", "BatchNormalization")
IMAGE_KINDS = frozenset({"Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D"})
PAIR_SETTINGS = frozenset({"kernel_size", "pool_size", "strides"})


def kinds() -> list[str]:
    """The layer kinds a design can hold: the engine's, those needing an argument only when the
    app knows what a new one starts with (``Reshape`` needs a target shape: not offered)."""
    names = engine_layers.names()
    offered = [n for n in names if n in STARTING or not engine_layers.required(n)]
    return sorted(offered, key=lambda n: (KIND_ORDER.index(n) if n in KIND_ORDER else len(KIND_ORDER), names.index(n)))


def settings_of(kind: str) -> tuple[str, ...]:
    return SETTINGS.get(kind, ())


def layer_row(kind: str, **settings):
    """A row of ``kind``: the given settings, the rest at the engine's defaults (or ``STARTING``)."""
    if kind == "Dense":
        values = {**STARTING["Dense"], **settings}
        return LayerSpec(values["units"], values["activation"], values["dropout"])
    if kind not in SETTINGS:  # no columns for it (Flatten, or a kind set from code): kept as given
        order = engine_layers.required(kind) + list(engine_layers.defaults(kind)) if kind in engine_layers.names() else []
        ranked = sorted(settings, key=lambda name: order.index(name) if name in order else len(order))
        return LayerRow(kind, tuple((name, _frozen(settings[name])) for name in ranked))
    values = {**engine_layers.defaults(kind), **STARTING.get(kind, {}), **settings}
    return LayerRow(kind, tuple((name, _frozen(values.get(name))) for name in settings_of(kind)))


def normalised(rows) -> tuple:
    """``rows`` in the one form each design has, so that equal designs compare equal (a preset
    and the same layers typed in): a ``LayerRow`` with every shown setting, lists as tuples."""
    out = []
    for row in rows:
        if isinstance(row, LayerRow) and (row.kind == "Dense" or row.kind in engine_layers.names()):
            row = layer_row(row.kind, **dict(row.settings))
        out.append(row)
    return tuple(out)


def values_of(row) -> dict:
    """The row's shown settings by name."""
    if isinstance(row, LayerSpec):
        return {"units": row.units, "activation": row.activation, "dropout": row.dropout}
    return dict(row.settings)


def with_value(row, name: str, value):
    """``row`` with setting ``name`` changed to ``value``."""
    return layer_row(row.kind, **{**values_of(row), name: value})


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


# ----- the stack the engine builds ---------------------------------------------------------
def takes_images(rows) -> bool:
    """Whether the design starts with image layers (before any Flatten or Dense), so that its
    input is the images with a channel axis, ``(28, 28, 1)``."""
    for row in rows:
        if row.kind in IMAGE_KINDS:
            return True
        if row.kind in ("Flatten", "Dense"):
            return False
    return False


def model_input_shape(rows, image_shape=(28, 28)) -> tuple[int, ...]:
    """The model's input: ``(28, 28, 1)`` for a design that starts with image layers, else the
    images as they are, ``(28, 28)``, which a first ``Flatten`` turns into 784 numbers."""
    return (*image_shape, 1) if takes_images(rows) else tuple(image_shape)


def engine_configs(rows, image_shape=(28, 28), classes: int = 10) -> list[tuple[int, dict]]:
    """``(row, {"class_name", "config"})`` for every engine layer of the design, in order: row -1
    is the input's ``Flatten`` (flat designs only), ``len(rows)`` the output layer."""
    stack = [] if takes_images(rows) else [(-1, {"class_name": "Flatten", "config": {}})]
    for i, row in enumerate(rows):
        if isinstance(row, LayerSpec):
            stack.append((i, {"class_name": "Dense", "config": {"units": row.units, "activation": row.activation}}))
            if not (isinstance(row.dropout, (int, float)) and row.dropout == 0):  # a typo is the engine's to name
                stack.append((i, {"class_name": "Dropout", "config": {"rate": row.dropout}}))
        else:
            stack.append((i, {"class_name": row.kind, "config": dict(row.settings)}))
    stack.append((len(rows), {"class_name": "Dense", "config": {"units": classes, "activation": "softmax"}}))
    return stack


@dataclass(frozen=True)
class RowSummary:
    """What ``summary()`` prints for one row of the table (a Dense row and its Dropout together)."""

    output_shape: tuple | None  # (None, 26, 26, 32); None when unknown
    params: int | None
    error: str | None = None  # the engine's reason this row cannot be built, in the app's words


@dataclass(frozen=True)
class DesignSummary:
    input_shape: tuple  # the model's input, without the batch axis
    input: RowSummary  # the Input row: (None, 784) after Flatten, or (None, 28, 28, 1)
    rows: tuple  # one RowSummary per design row
    output: RowSummary
    layers: tuple  # (class name, output shape, params) for each engine layer, as summary() prints
    non_trainable: int = 0  # summary()'s "Non-trainable params" (BatchNormalization's moving statistics)

    @property
    def total(self) -> int | None:
        counts = [self.input.params, *(r.params for r in self.rows), self.output.params]
        return None if None in counts else sum(counts)

    @property
    def first_error(self) -> tuple[int, str] | None:
        """``(row, reason)`` of the layer that cannot be built (row ``len(rows)``: the output)."""
        for i, row in enumerate((*self.rows, self.output)):
            if row.error:
                return i, row.error
        return None


def summarise(rows, image_shape=(28, 28), classes: int = 10) -> DesignSummary:
    """Every row's output shape and parameters, asked of the engine (``engine.planning.plan``)."""
    return _summarise(normalised(rows), tuple(image_shape), int(classes))


@functools.lru_cache(maxsize=64)  # the panel, the checks and the code ask for the same design
def _summarise(rows: tuple, image_shape: tuple, classes: int) -> DesignSummary:
    stack = engine_configs(rows, image_shape, classes)
    input_shape = model_input_shape(rows, image_shape)
    # a cell the app refuses on its own (units 0, dropout 1): from that row on nothing is known
    refused = {i: problems[0] for i, row in enumerate(rows) if (problems := cell_problems(row))}
    first_refused = min(refused, default=len(rows) + 1)
    planned = plan([config for row, config in stack if row < first_refused], input_shape)
    by_row: dict[int, list] = {}
    for (row, _), layer in zip(stack, planned):
        by_row.setdefault(row, []).append(layer)

    def row_summary(row: int) -> RowSummary:
        if row >= first_refused:
            return RowSummary(None, None, refused.get(row))
        parts = by_row.get(row, [])
        error = next((p.error for p in parts if p.error), None)
        params = [p.params for p in parts]
        return RowSummary(parts[-1].output_shape if parts else None,
                          None if None in params else sum(params), in_app_words(error))

    input_row = row_summary(-1) if -1 in by_row else RowSummary((None, *input_shape), 0)
    non_trainable = sum(p.params - p.trainable_params for p in planned if p.params is not None)
    return DesignSummary(input_shape, input_row, tuple(row_summary(i) for i in range(len(rows))),
                         row_summary(len(rows)), tuple((p.class_name, p.output_shape, p.params) for p in planned),
                         non_trainable)


def in_app_words(reason: str | None) -> str | None:
    """The engine's reason as the panel says it: it speaks of rows, not of Python calls."""
    if reason is None:
        return None
    return reason.replace("add a Flatten() layer first", "add a Flatten layer before it")


def blamed_setting(row, reason: str) -> str | None:
    """The setting of ``row`` that ``reason`` is about (its cell is marked), or None when the
    reason is about the layer's place in the stack (its name is marked)."""
    for name in settings_of(row.kind):
        if name in reason or (name == "dropout" and reason.startswith("rate")):
            return name
    return None


# ----- what the Training panel and the Network panel say -----------------------------------
def design_errors(rows, image_shape=(28, 28), classes: int = 10) -> list[str]:
    """Why this design cannot be built (empty when it can): each cell the app can check on its
    own (units, activation, dropout of a Dense row, as chapter 2's panel always said), then the
    engine's reason for the first layer that cannot be built, then the app's size limit."""
    rows = normalised(rows)
    errors = [f"Layer {i}: {problem}" for i, row in enumerate(rows, start=1) for problem in cell_problems(row)]
    if errors:
        return errors
    summary = summarise(rows, image_shape, classes)
    failing = summary.first_error
    if failing is not None:
        i, reason = failing
        where = f"Layer {i + 1} ({rows[i].kind})" if i < len(rows) else f"The output layer (Dense {classes}, softmax)"
        return [f"{where}: {reason}"]
    if summary.total > MAX_PARAMS:
        return [f"The network has {summary.total:,} parameters; the playground trains up to {MAX_PARAMS:,}"]
    return []


def cell_problems(row) -> list[str]:
    """What the app refuses in ``row`` before asking the engine: chapter 2's ranges for a Dense
    row (at most ``MAX_UNITS`` units, a dropout rate in [0, 1)), an activation or a kind it does
    not know."""
    if isinstance(row, LayerSpec):
        return _dense_problems(row)
    if row.kind not in engine_layers.names():
        return [f"unknown layer {row.kind!r}; the playground offers {', '.join(kinds())}"]
    if "activation" in settings_of(row.kind) and row.setting("activation") not in ACTIVATIONS:
        return [f"unknown activation {row.setting('activation')!r}"]
    return []


def _dense_problems(spec: LayerSpec) -> list[str]:
    problems = []
    if isinstance(spec.units, bool) or not isinstance(spec.units, (int, np.integer)) or not 1 <= spec.units <= MAX_UNITS:
        problems.append(f"units must be between 1 and {MAX_UNITS}, got {spec.units!r}")
    if spec.activation not in ACTIVATIONS:
        problems.append(f"unknown activation {spec.activation!r}")
    if isinstance(spec.dropout, bool) or not (isinstance(spec.dropout, (int, float)) and 0.0 <= spec.dropout < 1.0):
        problems.append(f"dropout must be in [0, 1), got {spec.dropout!r}")
    return problems


# What one batch may hold in layer outputs (with their gradients and working copies) before the
# app refuses to train: beyond it a convnet at a large batch size would exhaust the memory.
MAX_BATCH_BYTES = 1_500_000_000
WORKING_COPIES = 3  # each output, its gradient, and the copies a layer works in (Conv2D's patches)
VIEWS = ("Flatten", "Reshape")  # their outputs are their inputs, reshaped: no memory of their own


def values_per_sample(rows, image_shape=(28, 28), classes: int = 10) -> int | None:
    """The numbers the layers output for one digit, from the engine's shapes (a Flatten's view
    of its input not counted again); None while a layer cannot be built."""
    summary = summarise(rows, image_shape, classes)
    if summary.total is None:
        return None
    return sum(flat_size(shape[1:]) for kind, shape, _ in summary.layers if kind not in VIEWS)


def batch_memory_error(rows, image_shape, classes: int, batch: int) -> str | None:
    """Why a batch of ``batch`` digits would take too much memory for this design, or None.

    Chapter 2's network needs about 6 KB per digit; chapter 5's convnet about 440 KB (its first
    layer alone outputs 26 x 26 x 32 numbers per digit), so 6,000 digits in one batch would need
    about 2.7 GB."""
    values = values_per_sample(rows, image_shape, classes)
    if values is None:
        return None
    needed = values * batch * 4 * WORKING_COPIES  # float32
    if needed <= MAX_BATCH_BYTES:
        return None
    fits = max(1, MAX_BATCH_BYTES // (values * 4 * WORKING_COPIES))
    return (f"A batch of {batch:,} digits needs about {_gigabytes(needed)} for this network's layer outputs "
            f"({values:,} numbers per digit); the playground trains up to {_gigabytes(MAX_BATCH_BYTES)}: use a "
            f"batch size of at most {fits:,}, or fewer filters")


def _gigabytes(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.1f} GB"


def parameter_count(rows, image_shape=(28, 28), classes: int = 10) -> int | None:
    """The design's parameters as ``summary()`` counts them (None while a layer cannot be built)."""
    return summarise(rows, image_shape, classes).total


def short_label(rows) -> str:
    """A design in a few characters for run names: ``conv 32-64-64, pool 2, dense 64``."""
    if not rows:
        return "no hidden layer"
    pieces: list[str] = []
    for row in normalised(rows):
        if isinstance(row, LayerSpec):
            piece = f"dense {row.units}" + (f" d{row.dropout:g}" if isinstance(row.dropout, float) and row.dropout else "")
        elif row.kind == "Conv2D":
            piece = f"conv {row.setting('filters')}"
        elif row.kind in ("MaxPooling2D", "AveragePooling2D"):
            piece = "maxpool" if row.kind == "MaxPooling2D" else "avgpool"
        else:
            piece = {"Flatten": "flatten", "Dropout": "dropout", "BatchNormalization": "bn"}.get(row.kind, row.kind)
        if pieces and pieces[-1].split(" ")[0] == piece.split(" ")[0] == "conv":
            pieces[-1] += "-" + piece.split(" ")[1]  # conv 32-64
        else:
            pieces.append(piece)
    return ", ".join(pieces)


def image_shape_of(dataset) -> tuple[int, ...]:
    """The dataset's image shape, or MNIST's when no dataset is loaded."""
    return tuple(dataset.input_shape) if dataset is not None else (28, 28)


def flat_size(shape) -> int:
    return math.prod(int(side) for side in shape)

"""``plan``: what ``Sequential.summary()`` would print for a stack of layers, without building it.

A learner designing a network wants each layer's output shape and parameter count while typing,
and, when the stack cannot be built, which layer fails and why. ``plan`` asks each layer itself:
it builds the layer for the shape it would receive (so ``Dense`` checks that its input is flat,
``Conv2D`` that its kernel fits, as in a real build) but gives every weight a zero-size stand-in
(``np.broadcast_to``), so that planning ``Dense(8192)`` after ``Dense(8192)`` allocates nothing.
The counts are the layer's own ``count_params()``, the shapes its own ``compute_output_shape``.

    >>> [(p.class_name, p.output_shape, p.params) for p in plan(
    ...     [{"class_name": "Dense", "config": {"units": 512, "activation": "relu"}},
    ...      {"class_name": "Dense", "config": {"units": 10, "activation": "softmax"}}], (784,))]
    [('Dense', (None, 512), 401920), ('Dense', (None, 10), 5130)]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import backend
from engine.layers import Layer, deserialize
from engine.layers.base import _as_shape


@dataclass(frozen=True)
class PlannedLayer:
    """One row of the summary: ``output_shape`` and ``params`` are None when the layer cannot be
    built (``error`` says why) or when a layer before it could not (``error`` is then None)."""

    class_name: str
    output_shape: tuple | None  # with the batch axis first, as summary() prints: (None, 26, 26, 32)
    params: int | None
    error: str | None = None
    trainable_params: int | None = None  # summary()'s "Trainable params" share (BatchNormalization's moving statistics are not)


def plan(layers, input_shape) -> list[PlannedLayer]:
    """Each layer of ``layers`` (``Layer`` instances, not built, or ``{"class_name", "config"}``
    dicts as ``engine.layers.serialize`` writes them) fed the output of the one before, starting
    from samples of shape ``input_shape``. Stops checking at the first layer that fails: the
    rest are listed with unknown shapes and counts."""
    shape = _as_shape(input_shape, "input_shape")
    rows: list[PlannedLayer] = []
    for item in layers:
        class_name = item["class_name"] if isinstance(item, dict) else type(item).__name__
        if shape is None:
            rows.append(PlannedLayer(class_name, None, None))
            continue
        try:
            layer = deserialize(item) if isinstance(item, dict) else item
            output, params, trainable = _shape_only_build(layer, shape)
        except (ValueError, TypeError) as exc:
            rows.append(PlannedLayer(class_name, None, None, str(exc)))
            shape = None
            continue
        rows.append(PlannedLayer(class_name, (None, *output), params, trainable_params=trainable))
        shape = output
    return rows


def _shape_only_build(layer: Layer, shape: tuple) -> tuple[tuple, int, int]:
    """``layer.build(shape)`` with weights that take no memory; (output shape, ``count_params()``,
    ``count_trainable_params()``)."""
    if layer.built:
        raise ValueError(f"Layer {layer.name!r} is already built; plan takes layers not built yet")
    dtype = np.dtype(layer.dtype or backend.floatx())

    def add_weight(name, weight_shape, initializer, trainable=True):
        weight = np.broadcast_to(np.zeros((), dtype), tuple(weight_shape))  # no memory behind it
        if trainable:
            layer.params.append(weight)
            layer.weight_names.append(name)
        layer.all_weights.append(weight)
        layer.all_weight_names.append(name)
        return weight

    layer.add_weight = add_weight  # this layer only: it is thrown away after planning
    layer.build(shape)
    output = tuple(int(side) for side in layer.compute_output_shape(shape))
    return output, layer.count_params(), layer.count_trainable_params()

"""Layers with Keras's names, and the registry the app asks for names, defaults and shapes.

``names()`` lists every layer class; ``get("Dense")`` is the class; ``defaults("Dense")`` its
keyword arguments' defaults (what ``get_config`` reports for a layer built without them). A built
layer answers ``compute_output_shape(input_shape)`` and ``count_params()`` (``Sequential.summary``).

Every registered layer declares ``example_input_shape`` and ``example_config`` (see
``engine.layers.base.Layer``): the conformance tests (``tests/engine/test_conformance.py``) then
run it under every strategy without new test code.
"""
import inspect

from engine.layers.base import Layer
from engine.layers.convolutional import Conv2D
from engine.layers.core import Activation, Dropout, Flatten
from engine.layers.dense import Dense
from engine.layers.normalization import BatchNormalization
from engine.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D
from engine.layers.reshaping import Reshape

_LAYERS = {cls.__name__: cls for cls in (
    Dense, Dropout, Flatten, Activation, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
    BatchNormalization, Reshape,
)}


def names() -> list[str]:
    """Every layer's class name, as Keras spells it (``"Conv2D"``, ``"MaxPooling2D"``...)."""
    return list(_LAYERS)


def get(name: str) -> type[Layer]:
    try:
        return _LAYERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown layer {name!r}; expected one of: {', '.join(_LAYERS)}") from None


def defaults(name: str) -> dict:
    """The defaults of a layer's arguments, in its signature's order: ``{"strides": (1, 1), ...}``.

    Required arguments (``filters``, ``kernel_size``...) are left out: ``required(name)`` lists them.
    """
    return {p.name: p.default for p in _arguments(name) if p.default is not inspect.Parameter.empty}


def required(name: str) -> list[str]:
    """The arguments a layer cannot do without: ``["filters", "kernel_size"]`` for Conv2D."""
    return [p.name for p in _arguments(name) if p.default is inspect.Parameter.empty]


def _arguments(name: str):
    cls = get(name)
    skip = {"self", "name", "input_shape", "dtype"}
    for klass in cls.__mro__:  # a class without its own __init__ takes its parent's arguments
        if "__init__" in vars(klass):
            params = inspect.signature(klass.__init__).parameters.values()
            return [p for p in params if p.name not in skip and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    return []


def deserialize(config: dict) -> Layer:
    """A layer from ``{"class_name": ..., "config": {...}}`` as written by ``serialize``."""
    try:
        cls = _LAYERS[config["class_name"]]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown layer in model config: {config!r}") from None
    return cls.from_config(dict(config["config"]))


def serialize(layer: Layer) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


__all__ = [
    "Layer", "Dense", "Dropout", "Flatten", "Activation", "Conv2D", "MaxPooling2D", "AveragePooling2D",
    "GlobalAveragePooling2D", "BatchNormalization", "Reshape", "names", "get", "defaults", "required",
    "serialize", "deserialize",
]

"""Layers with Keras's names: ``Dense``, ``Dropout``, ``Flatten``, ``Activation``.

``LAYERS`` is the registry: the app and ``deserialize`` find layers here by class name, and the
conformance tests (``tests/engine/test_conformance.py``) run every registered layer under every
strategy. A new layer is added to ``LAYERS`` and declares ``example_input_shape``.
"""
from engine.layers.base import Layer
from engine.layers.core import Activation, Dropout, Flatten
from engine.layers.dense import Dense

LAYERS = {cls.__name__: cls for cls in (Dense, Dropout, Flatten, Activation)}


def deserialize(config: dict) -> Layer:
    """A layer from ``{"class_name": ..., "config": {...}}`` as written by ``serialize``."""
    try:
        cls = LAYERS[config["class_name"]]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown layer in model config: {config!r}") from None
    return cls.from_config(dict(config["config"]))


def serialize(layer: Layer) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


__all__ = ["LAYERS", "Layer", "Dense", "Dropout", "Flatten", "Activation", "serialize", "deserialize"]

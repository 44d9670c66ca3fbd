"""Optimizers with Keras's names and defaults: ``SGD``, ``RMSprop``, ``Adam``, ``Adagrad``.

``get("rmsprop")`` gives ``RMSprop()`` with Keras's defaults, as ``compile(optimizer="rmsprop")``.
"""
from engine.optimizers.adagrad import Adagrad
from engine.optimizers.adam import Adam
from engine.optimizers.base import Optimizer
from engine.optimizers.rmsprop import RMSprop
from engine.optimizers.sgd import SGD

_OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adagrad": Adagrad}


def get(identifier, **kwargs) -> Optimizer:
    """An optimizer from a name (``"sgd"``, ``"RMSprop"``...) and keyword arguments, or an instance."""
    if isinstance(identifier, Optimizer):
        if kwargs:
            raise TypeError("keyword arguments are only used with an optimizer name")
        return identifier
    cls = _OPTIMIZERS.get(str(identifier).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer {identifier!r}; expected one of: {', '.join(_OPTIMIZERS)}")
    return cls(**kwargs)


def deserialize(config: dict) -> Optimizer:
    cls = _OPTIMIZERS.get(str(config.get("name", "")).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer in config: {config!r}")
    return cls.from_config(config)


__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "Adagrad", "get", "deserialize"]

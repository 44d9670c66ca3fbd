"""The ``Layer`` base class: build lazily, forward, backward, weights and their gradients.

A layer is called in two directions (chapter 2, "the engine of neural networks"):

* ``forward(x, training)`` computes the layer's output for a batch ``x`` of shape ``(batch, ...)``;
* ``backward(dy)`` receives dLoss/d(output) and returns dLoss/d(input), after storing
  dLoss/d(weight) for each weight in ``grads`` (backpropagation is the chain rule, layer by layer).

A layer file holds this math and nothing else. Its products go through ``engine.ops``
(``ops.matmul(x, kernel, out)``), where the strategy in use decides how they run. The base class
owns the layer's activation: ``forward`` ends with ``return self.activate(z)`` and ``backward``
starts with ``dz = self.activation_gradient(dy)``. When the layer is the model's last and ends in
the loss's partner activation (softmax for cross-entropy), the loss hands ``backward`` dL/dz
itself, ``(p - y) / n`` (``loss_gives_logit_grad``), and ``activation_gradient`` passes it through.

For speed, outputs and gradients live in preallocated buffers that are reused batch after batch:
the array ``forward`` returns is only valid until the next call. ``backward`` may overwrite the
``dy`` it is given (it is scratch space owned by the layer above).
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from engine import activations, backend, initializers
from engine.memory import forward_record


class Layer:
    """Base layer. Subclasses override ``build``, ``forward``, ``backward`` and ``get_config``."""

    trainable = True
    # for the conformance tests (tests/engine/test_conformance.py): the shape of one example sample
    # and the arguments of an example layer; a registered layer that declares them is tested under
    # every strategy without new test code
    example_input_shape: tuple[int, ...] | None = None
    example_config: dict = {}

    def __init__(self, name: str | None = None, input_shape=None, dtype=None, activation=None):
        if input_shape is not None:
            input_shape = _as_shape(input_shape, "input_shape")
        self.name = name
        self.input_shape = input_shape
        self.dtype = dtype
        self.built = False
        self.need_input_grad = True  # the first layers of a model need no gradient for their input
        self.params: list[np.ndarray] = []  # the trainable weights, in Keras's order (kernel, bias)
        self.grads: list[np.ndarray] = []  # dLoss/dweight, same shapes, filled by backward
        self.weight_names: list[str] = []  # the trainable weights' names
        # every weight, trainable or not (BatchNormalization's moving statistics), in creation
        # order: what get_weights / set_weights / save use, as Keras
        self.all_weights: list[np.ndarray] = []
        self.all_weight_names: list[str] = []
        self.activation = activations.get(activation)  # linear unless the layer takes one
        # set by the model when this is its last layer, ends in softmax (or sigmoid) and the loss
        # hands back the gradient with respect to the pre-activation scores (the fused, stable form)
        self.loss_gives_logit_grad = False
        # what forward saw, kept for backward (per thread: see engine.memory)
        self._last = forward_record()

    # -- building --------------------------------------------------------------------------
    def build(self, input_shape: tuple[int, ...]) -> None:
        """Create the weights, now that the input's shape (without the batch axis) is known."""
        self.input_shape = tuple(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(input_shape)

    def add_weight(self, name: str, shape, initializer, trainable: bool = True) -> np.ndarray:
        """Create a weight. A trainable one gets a gradient and is moved by the optimizer; a
        non-trainable one (a moving statistic) is saved, loaded and counted, never optimized."""
        dtype = self.dtype or backend.floatx()
        weight = np.ascontiguousarray(initializers.initial_values(initializer, tuple(shape), dtype))
        if trainable:
            self.params.append(weight)
            self.grads.append(np.zeros_like(weight))
            self.weight_names.append(name)
        self.all_weights.append(weight)
        self.all_weight_names.append(name)
        return weight

    # -- computing -------------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def activate(self, z: np.ndarray) -> np.ndarray:
        """``activation(z)``, in place, remembered for ``activation_gradient``: ends ``forward``."""
        self._last.activated = y = self.activation.forward(z)
        return y

    def activation_gradient(self, dy: np.ndarray) -> np.ndarray:
        """dL/dz from dL/dy, where ``y = activation(z)``: begins ``backward`` (may overwrite ``dy``)."""
        if self.loss_gives_logit_grad:
            return dy  # the loss already gave dL/dz = (p - y) / n
        return self.activation.backward(dy, self._last.activated)

    def __call__(self, x, training: bool = False) -> np.ndarray:
        """Functional use, as in Keras: build if needed and return a fresh output array."""
        x = np.asarray(x, dtype=self.dtype or backend.floatx())
        if not self.built:
            self.build(x.shape[1:])
        return np.array(self.forward(x, training=training))

    # -- weights ---------------------------------------------------------------------------
    def count_params(self) -> int:
        """Every weight's size, trainable or not (Keras's ``count_params``)."""
        return int(sum(w.size for w in self.all_weights))

    def count_trainable_params(self) -> int:
        return int(sum(p.size for p in self.params))

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.all_weights]

    def set_weights(self, weights) -> None:
        if len(weights) != len(self.all_weights):
            raise ValueError(
                f"Layer {self.name!r} expects {len(self.all_weights)} weight arrays, got {len(weights)}"
            )
        for param, value in zip(self.all_weights, weights):
            value = np.asarray(value)
            if value.shape != param.shape:
                raise ValueError(
                    f"Layer {self.name!r}: weight shape {value.shape} does not match {param.shape}"
                )
            param[...] = value  # in place: optimizer slots and views stay valid

    def get_config(self) -> dict:
        config = {"name": self.name}
        if self.input_shape is not None:
            config["input_shape"] = list(self.input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


def _as_shape(shape, what: str) -> tuple[int, ...]:
    """``shape`` as a tuple of positive ints; a non-integer (7.9) is refused, never truncated."""
    given = shape
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{what} must be a tuple of positive integers, got {given!r}") from None
    if any(isinstance(d, bool) or not isinstance(d, numbers.Integral) for d in dims):
        raise TypeError(f"{what} must be a tuple of positive integers, got {given!r}")
    dims = tuple(int(d) for d in dims)
    if not dims or any(d <= 0 for d in dims):
        raise ValueError(f"{what} must be a tuple of positive integers, got {given!r}")
    if math.prod(dims) > np.iinfo(np.intp).max:
        raise ValueError(f"{what} {dims} describes more values per sample than NumPy can index")
    return dims

"""Finite-difference gradient checking: is backpropagation computing the right derivatives?

Chapter 2 of *Deep Learning with R* describes training as "compute the gradient of the loss with
respect to the weights, then move the weights a little against it". This module checks the first
half: the analytic gradient that ``backward`` computes must equal the slope measured numerically
with central differences::

    dL/dw  ~=  (L(w + eps) - L(w - eps)) / (2 eps)

The check only makes sense in double precision (in float32 the rounding error of ``L`` swamps the
difference), so switch the engine to float64 *before* building the model::

    from engine import backend, gradcheck
    backend.set_floatx("float64")
    model = Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    analytic = gradcheck.model_gradients(model, x, y)
    numeric = gradcheck.numeric_gradients(model, x, y)
    assert gradcheck.max_relative_error(analytic, numeric) < 1e-6
    backend.set_floatx("float32")

``model_gradients`` takes the same path as one training step (``engine.training.train_step``): a
forward pass in training mode, the loss's gradient (the fused ``logit_gradient`` when the last
layer's activation is the loss's partner, softmax or sigmoid) and the backward pass, but no
optimizer update. Dropout layers draw a new mask at every forward pass; wrap the checks in
``fixed_dropout_masks(model)`` so that every pass reuses the first mask.

Layers and activations can also be checked on their own, with the scalar function
``sum(f(x) * upstream)`` whose gradient with respect to ``f(x)`` is ``upstream``:
``layer_gradients`` / ``numeric_layer_gradients`` and ``activation_gradient`` /
``numeric_activation_gradient``.

Kinks: relu, leaky_relu and elu are not differentiable at 0 (elu's second derivative jumps), so a
pre-activation within ``eps`` of 0 gives a meaningless numeric slope. ``pre_activations`` returns
every Dense layer's pre-activation scores so tests can check they stay away from 0.
"""
from __future__ import annotations

import contextlib

import numpy as np

from engine.layers.core import Dropout
from engine.layers.dense import Dense

__all__ = [
    "model_loss", "model_gradients", "numeric_gradients", "layer_gradients", "numeric_layer_gradients",
    "activation_gradient", "numeric_activation_gradient", "loss_gradient", "numeric_loss_gradient",
    "relative_error", "max_relative_error", "pre_activations", "fixed_dropout_masks",
]


# ----- comparing gradients --------------------------------------------------------------------
def relative_error(analytic, numeric, floor: float = 1e-12) -> float:
    """``||a - n|| / (||a|| + ||n||)``: 0 when they agree, 1 when they are unrelated.

    Norm-wise (the usual gradient-check measure): central differences carry an absolute error
    of about ``1e-10`` in float64, which would swamp an element-wise ratio wherever a gradient
    is itself tiny. Below ``1e-6`` the analytic gradient is right; above ``1e-3`` it is wrong.
    ``floor`` avoids 0/0 when both gradients are exactly zero.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"gradient shapes differ: {a.shape} and {n.shape}")
    if a.size == 0:
        return 0.0
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), floor))


def max_relative_error(analytic, numeric, floor: float = 1e-12) -> float:
    """``relative_error`` over two lists of arrays (e.g. one per weight): the worst one."""
    analytic, numeric = list(analytic), list(numeric)
    if len(analytic) != len(numeric):
        raise ValueError(f"{len(analytic)} analytic gradients but {len(numeric)} numeric ones")
    return max((relative_error(a, n, floor) for a, n in zip(analytic, numeric)), default=0.0)


def _central_difference(f, array: np.ndarray, eps: float) -> np.ndarray:
    """d f() / d array, by perturbing ``array`` in place one element at a time (restored after)."""
    grad = np.zeros(array.shape, dtype=np.float64)
    flat = array.reshape(-1)  # a view: array must be contiguous
    if not np.shares_memory(flat, array):
        raise ValueError("the array to differentiate must be contiguous")
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = f()
        flat[i] = original - eps
        minus = f()
        flat[i] = original
        grad.reshape(-1)[i] = (plus - minus) / (2 * eps)
    return grad


# ----- dropout ----------------------------------------------------------------------------------
class _ReplayRandom:
    """Stands in for a Dropout layer's generator: the first ``random(out=...)`` draw is recorded
    and every later draw of the same shape replays it, so the dropout mask stays fixed."""

    def __init__(self, rng):
        self._rng = rng
        self._draw: np.ndarray | None = None

    def random(self, size=None, dtype=np.float64, out=None):
        shape = out.shape if out is not None else size
        if self._draw is None or self._draw.shape != tuple(np.atleast_1d(shape)):
            self._draw = self._rng.random(size=shape, dtype=np.float64)
        values = self._draw.astype(dtype)
        if out is None:
            return values
        out[...] = values
        return out

    def __getattr__(self, name):
        return getattr(self._rng, name)


def _dropout_layers(target):
    layers = getattr(target, "layers", None)
    if layers is None:
        layers = target if isinstance(target, (list, tuple)) else [target]
    return [layer for layer in layers if isinstance(layer, Dropout)]


@contextlib.contextmanager
def fixed_dropout_masks(target):
    """Within the block, every Dropout layer of ``target`` (a model, a layer or a list of layers)
    reuses the mask of its first forward pass. The layers must be built."""
    saved = []
    for layer in _dropout_layers(target):
        if not layer.built:
            raise ValueError(f"Dropout layer {layer.name!r} is not built yet")
        saved.append((layer, layer._rng))
        layer._rng = _ReplayRandom(layer._rng)
    try:
        yield
    finally:
        for layer, rng in saved:
            layer._rng = rng


# ----- whole models -----------------------------------------------------------------------------
def _prepare(model, x, y):
    if model.loss is None:
        raise RuntimeError("compile the model first: the gradient check needs its loss")
    x = model._inputs(x)
    y = model._targets(y, len(x))
    return x, y


@contextlib.contextmanager
def _input_gradients(model, wanted: bool):
    """Make the first layers pass gradients back to the input (the model normally skips them)."""
    saved = [layer.need_input_grad for layer in model.layers]
    if wanted:
        for layer in model.layers:
            layer.need_input_grad = True
    try:
        yield
    finally:
        for layer, need in zip(model.layers, saved):
            layer.need_input_grad = need


def model_loss(model, x, y, training: bool = True) -> float:
    """The loss of ``model`` on one batch, with the forward pass in training mode by default."""
    x, y = _prepare(model, x, y)
    return model.loss(y, model._forward(x, training=training))


def model_gradients(model, x, y, wrt_inputs: bool = False, training: bool = True):
    """Analytic gradients of the batch loss, by the model's own forward and backward passes.

    This is ``engine.training.train_step`` without the optimizer: returns a list of copies of the
    gradients, one per weight, in ``model.weights`` order; with ``wrt_inputs=True`` returns
    ``(weight_gradients, input_gradient)``. The weights are not changed.
    """
    x, y = _prepare(model, x, y)
    with _input_gradients(model, wrt_inputs):
        output = model._forward(x, training=training)
        grad = model._loss_gradient(y, output)
        # run the layers backward ourselves so that the input gradient can be kept
        for layer in reversed(model.layers):
            grad = layer.backward(grad)
            if grad is None:
                break
        weight_grads = [g.copy() for g in model._grads]
        if not wrt_inputs:
            return weight_grads
        return weight_grads, np.array(grad, copy=True).reshape(x.shape)


def numeric_gradients(model, x, y, eps: float = 1e-6, wrt_inputs: bool = False, training: bool = True):
    """Central-difference gradients of the batch loss, in the same layout as ``model_gradients``.

    Each weight is perturbed in place by ``+eps`` and ``-eps`` and put back exactly.
    """
    x, y = _prepare(model, x, y)

    def loss():
        return model.loss(y, model._forward(x, training=training))

    weight_grads = [_central_difference(loss, p, eps) for p in model._params]
    if not wrt_inputs:
        return weight_grads
    x = x.copy()
    return weight_grads, _central_difference(loss, x, eps)


def pre_activations(model, x, training: bool = True) -> list[np.ndarray]:
    """``dot(input, kernel) + bias`` of every Dense layer for the batch ``x`` (before activation)."""
    x = model._inputs(x)
    model._forward(x, training=training)
    out = []
    for layer in model.layers:
        if isinstance(layer, Dense):
            z = layer._last.x @ layer.kernel
            if layer.use_bias:
                z = z + layer.bias
            out.append(z)
    return out


# ----- single layers, activations and losses ----------------------------------------------------
def layer_gradients(layer, x, upstream, training: bool = True):
    """Gradients of ``sum(layer(x) * upstream)``: ``(weight_gradients, input_gradient)``."""
    x = np.ascontiguousarray(x)
    if not layer.built:
        layer.build(x.shape[1:])
    layer.need_input_grad = True
    layer.forward(x, training=training)
    dx = layer.backward(np.array(upstream, dtype=x.dtype, copy=True))
    return [g.copy() for g in layer.grads], np.array(dx, copy=True)


def numeric_layer_gradients(layer, x, upstream, eps: float = 1e-6, training: bool = True):
    """Central differences of ``sum(layer(x) * upstream)``, laid out as ``layer_gradients``."""
    x = np.array(x, copy=True)
    if not layer.built:
        layer.build(x.shape[1:])
    upstream = np.asarray(upstream, dtype=np.float64)

    def f():
        return float(np.sum(layer.forward(x, training=training) * upstream))

    weight_grads = [_central_difference(f, p, eps) for p in layer.params]
    return weight_grads, _central_difference(f, x, eps)


def activation_gradient(activation, x, upstream) -> np.ndarray:
    """Gradient of ``sum(activation(x) * upstream)`` with respect to ``x``, by ``backward``."""
    y = activation.forward(np.array(x, dtype=np.float64, copy=True))
    return activation.backward(np.array(upstream, dtype=np.float64, copy=True), y)


def numeric_activation_gradient(activation, x, upstream, eps: float = 1e-6) -> np.ndarray:
    x = np.array(x, dtype=np.float64, copy=True)
    upstream = np.asarray(upstream, dtype=np.float64)
    return _central_difference(lambda: float(np.sum(activation.forward(x.copy()) * upstream)), x, eps)


def loss_gradient(loss, y_true, y_pred) -> np.ndarray:
    """``loss.gradient``: dLoss/dy_pred."""
    return np.asarray(loss.gradient(y_true, np.array(y_pred, dtype=np.float64)), dtype=np.float64)


def numeric_loss_gradient(loss, y_true, y_pred, eps: float = 1e-6) -> np.ndarray:
    y_pred = np.array(y_pred, dtype=np.float64, copy=True)
    return _central_difference(lambda: loss(y_true, y_pred), y_pred, eps)

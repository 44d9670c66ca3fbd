"""Looking inside a trained network: what each layer outputs, and which input pixels matter.

* ``activations(model, x)``: every layer's output for ``x``, in layer order (the forward pass,
  kept layer by layer).
* ``saliency(model, x, class_index=None)``: how much each input value moves a class's score,
  the gradient of that score with respect to ``x`` (Simonyan, Vedaldi and Zisserman, 2013). The
  score is the class's logit, the layer's output before the last softmax (or sigmoid), as in the
  paper: a probability near 1 hardly moves, while its logit still says what would raise it. It
  is computed by the same backward pass that trains the network, started from a one at the
  class's output instead of the loss's gradient.
* ``output_gradients(model, x, class_index=None)``: the same score's gradient with respect to each
  layer's output, so that gradient times activation says which units decided.
* ``layer_output(model, x, layer=-2)``: one layer's output for many samples, batch by batch (the
  last hidden layer's space, where nearest neighbours and projections are taken).
* ``trace(model, x, class_index=None)``: the first three from one forward and one backward pass.
* ``loss_gradients(model, x, y, loss=None)``: the gradient of the loss on a batch with respect to
  every weight, as training computes it but without the update (for gradient histograms).
* ``backprop_trace(model, x, y, loss=None)``: one training step without the update, kept
  tensor by tensor: each layer's input, pre-activation, output, and the gradients that flow back
  through it (the Backprop walkthrough shows them one at a time).
* ``weight_gradient_check(model, x, y, layer, weight, index)``: one weight's derivative by
  backpropagation beside the central finite difference, on a float64 copy.
* ``private_copy(model, dtype=None, dropout_seed=None)``: the copy all of these work on.

All of them work on a private copy of the model (same weights), so that a network training on another
thread is never disturbed, and neither draws from the engine's random numbers, so a seeded run
stays bit-identical whether or not someone looked inside it meanwhile.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import backend
from engine.models import Sequential


def activations(model: Sequential, x) -> list[np.ndarray]:
    """Each layer's output for the batch ``x``, in layer order (inference mode: no dropout)."""
    copy, x = _private_copy(model), _batch(model, x)
    outputs = []
    for layer in copy.layers:
        x = layer.forward(x, training=False)
        outputs.append(np.array(x))  # a layer reuses its output buffer: keep a copy
    return outputs


def layer_output(model: Sequential, x, layer: int = -2, batch_size: int = 256) -> np.ndarray:
    """The output of layer number ``layer`` (negative counts from the end) for every sample of
    ``x``, computed batch by batch: for thousands of samples, without keeping every layer's output.
    ``layer=-2`` is the last hidden layer's output, the space the last layer classifies in."""
    copy, x = _private_copy(model), _batch(model, x)
    stop = range(len(copy.layers))[layer]  # IndexError for a layer the model does not have
    pieces = []
    for start in range(0, len(x), batch_size):
        out = x[start:start + batch_size]
        for each in copy.layers[:stop + 1]:
            out = each.forward(out, training=False)
        pieces.append(np.array(out))
    if not pieces:
        return np.zeros((0, *copy.layers[stop].compute_output_shape(copy.layers[stop].input_shape)), x.dtype)
    return np.concatenate(pieces)


@dataclass(frozen=True)
class Trace:
    """One forward and one backward pass of a batch, kept layer by layer.

    ``outputs[i]``: layer ``i``'s output; ``output_gradients[i]``: the class score's gradient with
    respect to it; ``input_gradient``: with respect to the input (the saliency).
    """

    outputs: list
    output_gradients: list
    input_gradient: np.ndarray
    class_index: np.ndarray  # the class followed for each sample


def trace(model: Sequential, x, class_index=None, logit: bool = True) -> Trace:
    """Everything ``activations``, ``output_gradients`` and ``saliency`` give, from one forward and
    one backward pass (the Draw panel asks for all three at each stroke)."""
    copy, batch = _private_copy(model), _batch(model, x)
    last = copy.layers[-1]
    for layer in copy.layers:
        layer.need_input_grad = True  # the first layer too: the input's gradient is the saliency
    outputs, out = [], batch
    for layer in copy.layers:
        out = layer.forward(out, training=False)
        outputs.append(np.array(out))  # a layer reuses its output buffer: keep a copy
    classes = out.shape[-1]
    chosen = np.argmax(out.reshape(len(batch), classes), axis=1) if class_index is None else class_index
    chosen = np.broadcast_to(np.asarray(chosen), (len(batch),))
    if not np.issubdtype(chosen.dtype, np.integer) or chosen.min(initial=0) < 0 or chosen.max(initial=0) >= classes:
        raise ValueError(f"class_index must be a class number from 0 to {classes - 1}, got {class_index!r}")
    # a one at each sample's chosen output; when the last layer ends in softmax or sigmoid, that
    # one is handed to the scores before it (the path the fused loss gradient takes in training)
    last.loss_gives_logit_grad = logit and last.activation.name in ("softmax", "sigmoid")
    grad = np.zeros((len(batch), classes), dtype=out.dtype)
    grad[np.arange(len(batch)), chosen] = 1
    gradients = [grad.copy()]
    for layer in reversed(copy.layers):
        grad = layer.backward(grad)
        gradients.append(np.array(grad))  # a layer reuses its gradient buffer: keep a copy
    gradients.reverse()  # [d/d input, d/d output of layer 0, ..., of the last layer]
    return Trace(outputs, gradients[1:], gradients[0].reshape(np.shape(x)), np.array(chosen))


def saliency(model: Sequential, x, class_index=None, logit: bool = True) -> np.ndarray:
    """d score / d x for every sample of ``x``, an array of ``x``'s shape.

    ``class_index``: the class whose score is followed, an integer for every sample or one per
    sample; None follows each sample's predicted class. ``logit=False`` follows the class's
    output (its probability) instead of its logit.
    """
    return trace(model, x, class_index, logit).input_gradient


def output_gradients(model: Sequential, x, class_index=None, logit: bool = True) -> list[np.ndarray]:
    """d score / d (each layer's output), in layer order, aligned with ``activations``.

    ``activations(model, x)[i] * output_gradients(model, x)[i]`` says how much each unit of layer
    ``i`` contributed to the class's score for this input (gradient times activation), which is how
    the Draw panel picks "the units that decided". Arguments as for ``saliency``. For the last
    layer it is the one at the chosen class that starts the backward pass.
    """
    return trace(model, x, class_index, logit).output_gradients


def loss_gradients(model: Sequential, x, y, loss=None) -> list[np.ndarray]:
    """dLoss/dweight for every weight of ``model`` (``model.get_weights()`` order), the mean over
    the batch ``(x, y)``: the step training would take, before the optimizer scales it.

    ``loss``: the loss's name (``"categorical_crossentropy"``...); None takes the model's compiled
    one. The pass runs in inference mode (no dropout mask, BatchNormalization's moving statistics),
    so that it draws no random numbers and leaves the model untouched.
    """
    from engine import gradcheck

    loss = loss if loss is not None else model.loss
    if loss is None:
        raise ValueError("loss_gradients needs a loss: compile the model or pass loss='...'")
    copy, x = _private_copy(model), _batch(model, x)
    copy.compile(optimizer="sgd", loss=loss)
    with np.errstate(all="ignore"):  # weights that diverged give NaN gradients, not warnings
        return gradcheck.model_gradients(copy, x, y, training=False)


@dataclass(frozen=True)
class LayerPass:
    """What one layer saw and gave in one training step (copies; shapes keep the batch axis).

    ``pre_activation`` is ``z``, the layer's result before its activation (None when the layer
    has no activation of its own); ``activation_derivative`` is ``activation'(z)`` element by
    element (relu's mask of ones and zeros), None for softmax (not element-wise) or no
    activation. Backward: ``output_gradient`` is dL/d(output) as the layer received it (for the
    last layer of a fused softmax and cross-entropy it already is dL/dz = (p - y) / n),
    ``pre_activation_gradient`` dL/dz, ``weight_gradients`` dL/d(each trainable weight) and
    ``input_gradient`` dL/d(input), handed to the layer below.
    """

    index: int
    name: str
    kind: str  # the class name: "Dense", "Conv2D"...
    activation: str  # the activation's name ("linear" for none)
    config: dict
    input: np.ndarray
    pre_activation: np.ndarray | None
    output: np.ndarray
    weights: dict
    output_gradient: np.ndarray
    activation_derivative: np.ndarray | None
    pre_activation_gradient: np.ndarray | None
    weight_gradients: dict
    input_gradient: np.ndarray


@dataclass(frozen=True)
class BackpropTrace:
    """One training step on a batch without the optimizer's update: ``layers[i]`` is layer ``i``'s
    ``LayerPass``. ``targets`` are the targets as the loss reads them (one-hot rows, or labels for
    the sparse loss); ``fused`` says the loss handed the last layer dL/dz = (p - y) / n."""

    x: np.ndarray
    targets: np.ndarray
    loss: float
    loss_name: str
    fused: bool
    training: bool
    layers: list


def backprop_trace(model: Sequential, x, y, loss=None, training: bool = True, dropout_seed: int = 0) -> BackpropTrace:
    """One forward and one backward pass of the batch ``(x, y)``, every tensor kept: the step
    ``engine.training.train_step`` takes, without the update.

    The layers' own ``forward`` and ``backward`` compute everything; this only keeps copies of
    what passes between them (and of each activation's input, before the activation overwrites
    it). ``loss``: its name, or None for the model's compiled loss. ``training``: as in a
    training step (dropout masks drawn from a generator seeded with ``dropout_seed``, never the
    engine's; BatchNormalization with the batch's statistics).
    """
    loss = loss if loss is not None else model.loss
    if loss is None:
        raise ValueError("backprop_trace needs a loss: compile the model or pass loss='...'")
    copy = _private_copy(model, dropout_seed=dropout_seed)
    copy.compile(optimizer="sgd", loss=loss)
    batch = copy._inputs(_batch(model, x))
    targets = copy._targets(y, len(batch))
    records = [dict() for _ in copy.layers]
    for layer, record in zip(copy.layers, records):
        layer.need_input_grad = True  # every gradient is shown, down to the input's
        _record_activation(layer, record)
    out = batch
    with np.errstate(all="ignore"):
        for layer, record in zip(copy.layers, records):
            record["input"] = np.array(out)
            out = layer.forward(out, training=training)
            record["output"] = np.array(out)  # a layer reuses its output buffer: keep a copy
        value = copy.loss(targets, out)
        grad = copy._loss_gradient(targets, out)
        for layer, record in zip(reversed(copy.layers), reversed(records)):
            record["output_gradient"] = np.array(grad)
            grad = layer.backward(grad)
            record["input_gradient"] = np.array(grad)
    passes = []
    for i, (layer, record) in enumerate(zip(copy.layers, records)):
        passes.append(LayerPass(
            index=i, name=layer.name, kind=type(layer).__name__, activation=layer.activation.name,
            config=layer.get_config(), input=record["input"], pre_activation=record.get("z"), output=record["output"],
            weights={n: np.array(w) for n, w in zip(layer.weight_names, layer.params)},
            output_gradient=record["output_gradient"], activation_derivative=record.get("derivative"),
            pre_activation_gradient=record.get("dz"),
            weight_gradients={n: np.array(g) for n, g in zip(layer.weight_names, layer.grads)},
            input_gradient=record["input_gradient"],
        ))
    return BackpropTrace(np.array(batch), np.array(targets), float(value), copy.loss.name, copy._fused, training, passes)


def _record_activation(layer, record: dict) -> None:
    """Make this (private) layer keep ``z`` before its activation and dL/dz after its gradient."""
    if layer.activation.name == "linear" and type(layer).__name__ != "Activation":
        return
    activate, activation_gradient = layer.activate, layer.activation_gradient

    def recording_activate(z):
        record["z"] = np.array(z)  # the activation overwrites z in place
        return activate(z)

    def recording_activation_gradient(dy):
        dz = activation_gradient(dy)
        record["dz"] = np.array(dz)
        y = layer._last.activated
        if layer.activation.name != "softmax" and not layer.loss_gives_logit_grad:
            record["derivative"] = layer.activation.backward(np.ones_like(y), y)  # activation'(z)
        return dz

    layer.activate = recording_activate
    layer.activation_gradient = recording_activation_gradient


@dataclass(frozen=True)
class WeightCheck:
    """One weight's dL/dw by backpropagation and by central differences, in float64."""

    layer: str
    weight: str
    index: tuple
    value: float
    backprop: float
    numeric: float
    relative_error: float
    eps: float


def weight_gradient_check(model: Sequential, x, y, layer: int, weight: str, index, loss=None,
                          eps: float = 1e-6) -> WeightCheck:
    """dL/dw for one weight (``layer``: its number in ``model.layers``; ``weight``: its name,
    ``"kernel"``...; ``index``: its position, ``(row, column)``) by the model's own backward pass
    beside ``(L(w + eps) - L(w - eps)) / (2 eps)``, on a private float64 copy in inference mode
    (no dropout, BatchNormalization's moving statistics: the loss is a fixed function of w).
    ``relative_error`` is ``|a - n| / (|a| + |n|)`` (0 when both are 0)."""
    from engine import gradcheck

    loss = loss if loss is not None else model.loss
    if loss is None:
        raise ValueError("weight_gradient_check needs a loss: compile the model or pass loss='...'")
    copy = _private_copy(model, dtype="float64")
    copy.compile(optimizer="sgd", loss=loss)
    target = copy.layers[range(len(copy.layers))[layer]]
    if weight not in target.weight_names:
        have = ", ".join(target.weight_names) or "none"
        raise ValueError(f"Layer {target.name!r} has no trainable weight {weight!r} (it has: {have})")
    array = target.params[target.weight_names.index(weight)]
    index = tuple(int(i) for i in np.atleast_1d(index))
    if len(index) != array.ndim or not all(0 <= i < n for i, n in zip(index, array.shape)):
        raise ValueError(f"{target.name}'s {weight} has shape {array.shape}; there is no weight at {index}")
    batch = _batch(model, x).astype(np.float64)
    analytic = gradcheck.model_gradients(copy, batch, y, training=False)
    backprop = float(analytic[_param_position(copy, array)][index])
    original = float(array[index])
    with np.errstate(all="ignore"):
        array[index] = original + eps
        plus = gradcheck.model_loss(copy, batch, y, training=False)
        array[index] = original - eps
        minus = gradcheck.model_loss(copy, batch, y, training=False)
    array[index] = original
    numeric = (plus - minus) / (2 * eps)
    error = gradcheck.relative_error(np.array([backprop]), np.array([numeric]))
    return WeightCheck(target.name, weight, index, original, backprop, float(numeric), error, eps)


def _param_position(model: Sequential, array: np.ndarray) -> int:
    return next(i for i, p in enumerate(model._params) if p is array)


def _batch(model: Sequential, x) -> np.ndarray:
    x = np.asarray(x, dtype=backend.floatx())
    shape = model.input_shape
    if shape is None:
        raise ValueError("The model has no input shape yet: build it or give its first layer input_shape=...")
    if x.shape[1:] != tuple(shape) and x.size % int(np.prod(shape)) == 0 and x.ndim >= 1:
        x = x.reshape(-1, *shape)  # e.g. one 28 x 28 drawing for a model of flat rows
    if x.shape[1:] != tuple(shape):
        raise ValueError(f"The model takes samples of shape {tuple(shape)}, got an array of shape {x.shape}")
    return np.ascontiguousarray(x)


def private_copy(model: Sequential, dtype: str | None = None, dropout_seed: int | None = None) -> Sequential:
    """A copy of ``model`` in new objects, for a thread of its own (a learning-rate range test
    trains one while the app's model stays as it is). No random number is drawn to make it;
    ``dtype`` builds it in another precision (``"float64"``); ``dropout_seed`` gives its Dropout
    layers generators of their own, so that training it draws nothing from the engine's."""
    return _private_copy(model, dtype, dropout_seed)


def _private_copy(model: Sequential, dtype: str | None = None, dropout_seed: int | None = None) -> Sequential:
    """The same layers and weights in new objects; weights start as zeros (no random draws) and
    are then copied from ``model``. ``dtype`` (``"float64"``) builds the copy in that precision;
    ``dropout_seed`` gives each Dropout layer without a seed a generator of its own, so that a
    copy run in training mode draws nothing from the engine's random numbers."""
    if not model.built:
        raise ValueError("The model has no weights yet: build it (give its first layer input_shape=...) first")
    config = model.get_config()
    for layer in config["layers"]:
        layer["config"] = {key: ("zeros" if key.endswith("_initializer") else value)
                           for key, value in layer["config"].items()}
        if dtype is not None:
            layer["config"]["dtype"] = dtype
        if dropout_seed is not None and layer["class_name"] == "Dropout" and layer["config"].get("seed") is None:
            layer["config"]["seed"] = dropout_seed
    copy = Sequential.from_config(config)
    if not copy.built:
        copy.build(model.input_shape)
    copy.set_weights(model.get_weights())
    return copy

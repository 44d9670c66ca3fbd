"""The Backprop walkthrough (issue 9, section 7): one mini-batch forward, then backward, one tensor
at a time, ending with the optimizer's update of one weight in real numbers (no Qt).

Every tensor is the engine's own: ``engine.inspect.backprop_trace`` runs the layers' ``forward``
and ``backward`` on a private copy of the network and keeps what passes between them. This
module only names the tensors and writes their formulas: exactly for Dense layers and the fused
softmax with cross-entropy (``dL/dz2 = (p - y) / n``, ``dW2 = a1^T . dz2``, the relu mask,
``dW1 = x^T . dz1``), and a step description for every other layer kind (Conv2D, pooling,
BatchNormalization, Dropout, Flatten, Reshape, Activation). The last step's numbers come from
the engine optimizer chosen in the Optimizer panel, applied to that one weight.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import engine
from engine import inspect
from playground.core.labs.gradient import training_batch
from playground.core.specs import OPTIMIZER_LABELS, Dataset, TrainSettings
from playground.core.training_data import shaped_for

MAX_BATCH = 256  # digits in the walkthrough's batch (the recipe's batch size, up to this)
TILES_ACROSS = 8  # channels side by side in a heatmap of maps


@dataclass(frozen=True)
class Step:
    """One step of the walkthrough: a tensor, its name, its formula and what it means."""

    phase: str  # "forward", "loss", "backward" or "update"
    title: str
    formula: str  # with the tensor's shape at the end: "dW2 = a1^T . dz2   (512, 10)"
    explanation: str
    tensor: np.ndarray | None  # the engine's tensor (None for the update step)
    image: np.ndarray | None = None  # the tensor as a 2-D heatmap (rows, columns)
    image_caption: str = ""

    @property
    def shape(self) -> tuple | None:
        return None if self.tensor is None else tuple(self.tensor.shape)


def shape_text(shape) -> str:
    """``(128, 10)``; a 1-D shape keeps its comma, ``(10,)``, as NumPy prints it."""
    return str(tuple(int(d) for d in shape))


def heatmap(tensor: np.ndarray, kernel: bool = False) -> tuple[np.ndarray, str]:
    """A tensor as one 2-D picture, and what the picture shows.

    2-D: as it is (one row per sample, or the kernel's rows). 1-D: one row. A batch of maps
    ``(n, h, w, c)``: the first sample's channels side by side; a convolution ``kernel``
    ``(kh, kw, in, out)``: one tile per (input channel, filter); ``(n, h, w)``: the first sample.
    """
    t = np.asarray(tensor, dtype=np.float32)
    if t.ndim == 0:
        return t.reshape(1, 1), ""
    if t.ndim == 1:
        return t.reshape(1, -1), "one row"
    if t.ndim == 2:
        return t, ""
    if t.ndim == 3:
        return t[0], f"sample 1 of {t.shape[0]}"
    if t.ndim == 4 and kernel:
        kh, kw, cin, cout = t.shape
        grid = np.full((cin * (kh + 1) - 1, cout * (kw + 1) - 1), np.nan, np.float32)
        for i in range(cin):
            for j in range(cout):
                grid[i * (kh + 1):i * (kh + 1) + kh, j * (kw + 1):j * (kw + 1) + kw] = t[:, :, i, j]
        return grid, f"{cin} input channel(s) down, {cout} filters across"
    maps = t.reshape(t.shape[0], t.shape[1], t.shape[2], -1)[0]
    h, w, c = maps.shape
    across = min(c, TILES_ACROSS)
    down = -(-c // across)
    grid = np.full((down * (h + 1) - 1, across * (w + 1) - 1), np.nan, np.float32)
    for k in range(c):
        r, q = divmod(k, across)
        grid[r * (h + 1):r * (h + 1) + h, q * (w + 1):q * (w + 1) + w] = maps[:, :, k]
    return grid, f"sample 1 of {t.shape[0]}: {c} channel(s)"


@dataclass(frozen=True)
class Walkthrough:
    """The steps, and the batch they are about."""

    steps: list
    batch_size: int
    loss: float
    trace: inspect.BackpropTrace


def walkthrough(model, dataset: Dataset, settings: TrainSettings, batch_size: int | None = None,
                start: int = 0) -> Walkthrough:
    """The steps for one batch of training digits (``start`` to ``start + batch_size``) through
    ``model`` (its weights as they are; a private copy does the work)."""
    size = batch_size if batch_size is not None else min(int(settings.batch_size), MAX_BATCH)
    size = max(1, min(size, len(dataset.x_train)))
    indices = (start + np.arange(size)) % len(dataset.x_train)
    x, y = training_batch(dataset, indices, settings.loss)
    trace = inspect.backprop_trace(model, shaped_for(model, x), y, loss=settings.loss)
    steps = steps_of(trace, settings)
    return Walkthrough(steps, size, trace.loss, trace)


# ----- naming the tensors -----------------------------------------------------------------------
@dataclass
class _Names:
    """Symbols for one layer's tensors: ``x`` in, ``z`` before the activation, ``a`` out."""

    x: str
    z: str
    a: str
    weights: dict  # weight name -> symbol (kernel -> W1)


WEIGHTED = ("Dense", "Conv2D")
SHORT = {"MaxPooling2D": "m", "AveragePooling2D": "v", "GlobalAveragePooling2D": "g", "BatchNormalization": "h",
         "Dropout": "d", "Flatten": "f", "Reshape": "r", "Activation": "s"}


def _names(trace: inspect.BackpropTrace) -> list[_Names]:
    names, current, k, last = [], "x", 0, len(trace.layers) - 1
    for i, layer in enumerate(trace.layers):
        if layer.kind in WEIGHTED:
            k += 1
            z = f"z{k}"
            out = z if layer.activation == "linear" else f"a{k}"
            weights = {"kernel": ("W" if layer.kind == "Dense" else "K") + str(k), "bias": f"b{k}"}
        elif i == 0 and layer.kind in ("Flatten", "Reshape"):
            z, out, weights = "x", "x", {}  # the book reshapes the images before the network
        else:
            tag = SHORT.get(layer.kind, "t")
            z, out = current, f"{tag}{k}"
            weights = {"gamma": f"gamma{k}", "beta": f"beta{k}"} if layer.kind == "BatchNormalization" else {}
        if i == last and layer.activation in ("softmax", "sigmoid"):
            out = "p"
        names.append(_Names(current, z, out, weights))
        current = out
    return names


# ----- the steps --------------------------------------------------------------------------------
def steps_of(trace: inspect.BackpropTrace, settings: TrainSettings) -> list[Step]:
    names = _names(trace)
    n = len(trace.x)
    steps: list[Step] = []
    first = trace.layers[0]
    if names[0].a == "x":  # the network flattens the images itself: show them as they come in
        steps.append(_step("forward", "The batch of images", f"images   {shape_text(first.input.shape)}",
                           f"{n} training digits, the grey levels scaled to [0, 1].", first.input))
    else:
        steps.append(_step("forward", "The batch", f"x   {shape_text(first.input.shape)}",
                           f"{n} training digits, one row (or image) per digit.", first.input))
    for layer, name in zip(trace.layers, names):
        steps += _forward_steps(layer, name, n)
    steps.append(_loss_step(trace, names[-1]))
    for layer, name in zip(reversed(trace.layers), reversed(names)):
        steps += _backward_steps(trace, layer, name, n, last=layer is trace.layers[-1])
    update = update_step(trace, names, settings)
    if update is not None:
        steps.append(update)
    return steps


def _step(phase, title, formula, explanation, tensor, kernel=False) -> Step:
    image, caption = heatmap(tensor, kernel)
    return Step(phase, title, formula, explanation, np.asarray(tensor), image, caption)


def _forward_steps(layer: inspect.LayerPass, name: _Names, n: int) -> list[Step]:
    x, z, a, out = name.x, name.z, name.a, layer.output
    shape = shape_text(out.shape)
    kind = layer.kind
    if kind == "Dense":
        w, b = name.weights["kernel"], name.weights["bias"]
        formula = f"{z} = {x} . {w} + {b}   {shape}" if "bias" in layer.weights else f"{z} = {x} . {w}   {shape}"
        steps = [_step("forward", f"{layer.name}: weighted sums", formula,
                       f"Each of the {out.shape[-1]} units adds up its inputs, each times its weight, plus its bias: "
                       f"a dot product of ({n}, {layer.input.shape[-1]}) with ({w}: {shape_text(layer.weights['kernel'].shape)}).",
                       layer.pre_activation if layer.pre_activation is not None else out)]
        return steps + _activation_steps(layer, name)
    if kind == "Conv2D":
        k = name.weights["kernel"]
        cfg = layer.config
        steps = [_step("forward", f"{layer.name}: convolution",
                       f"{z} = conv2d({x}, {k}) + {name.weights['bias']}   {shape}",
                       f"Each of the {out.shape[-1]} filters ({shape_text(layer.weights['kernel'].shape[:2])} windows, "
                       f"strides {tuple(cfg.get('strides', (1, 1)))}, padding \"{cfg.get('padding', 'valid')}\") slides "
                       "over the input; at each position it is a dot product of the window with the filter.",
                       layer.pre_activation if layer.pre_activation is not None else out)]
        return steps + _activation_steps(layer, name)
    if kind in ("Flatten", "Reshape"):
        if a == "x":
            return [_step("forward", "Flatten: one row per digit", f"x = array_reshape(images, c({n}, {out.shape[-1]}))   {shape}",
                          "Each 28 x 28 image becomes a row of 784 values, row by row (array_reshape, NumPy's order).", out)]
        return [_step("forward", f"{layer.name}: reshape", f"{a} = array_reshape({x}, c({', '.join(str(d) for d in out.shape)}))   {shape}",
                      "The same values in a new shape: nothing is computed.", out)]
    if kind == "MaxPooling2D":
        pool = tuple(layer.config.get("pool_size", (2, 2)))
        return [_step("forward", f"{layer.name}: max pooling", f"{a} = max over each {pool[0]} x {pool[1]} window of {x}   {shape}",
                      "Each window keeps only its largest value: the map shrinks, the strongest responses stay.", out)]
    if kind == "AveragePooling2D":
        pool = tuple(layer.config.get("pool_size", (2, 2)))
        return [_step("forward", f"{layer.name}: average pooling", f"{a} = mean over each {pool[0]} x {pool[1]} window of {x}   {shape}",
                      "Each window is replaced by its mean.", out)]
    if kind == "GlobalAveragePooling2D":
        return [_step("forward", f"{layer.name}: global average", f"{a} = mean of each channel of {x} over rows and columns   {shape}",
                      "Each feature map becomes one number, its mean.", out)]
    if kind == "BatchNormalization":
        return [_step("forward", f"{layer.name}: batch normalization",
                      f"{a} = gamma * ({x} - mean) / sqrt(var + eps) + beta   {shape}",
                      "Each feature is centred and scaled with this batch's mean and variance, then given the "
                      "learned scale gamma and offset beta.", out)]
    if kind == "Dropout":
        rate = layer.config.get("rate", 0.0)
        return [_step("forward", f"{layer.name}: dropout", f"{a} = {x} * mask / (1 - {rate:g})   {shape}",
                      f"While training, a random {rate:.0%} of the values are set to 0 and the others scaled up "
                      "so that the mean stays the same.", out)]
    if kind == "Activation":
        return _activation_steps(layer, _Names(x, x, a, {}))
    return [_step("forward", f"{layer.name}: {kind}", f"{a} = {kind}({x})   {shape}", "This layer's forward pass.", out)]


def _activation_steps(layer: inspect.LayerPass, name: _Names) -> list[Step]:
    act, out, shape = layer.activation, layer.output, shape_text(layer.output.shape)
    if act == "linear" or layer.pre_activation is None:
        return []
    words = {
        "relu": "relu keeps the positive sums and sets the negative ones to 0.",
        "softmax": "softmax turns each row of scores into probabilities that add up to 1: p = exp(z) / sum(exp(z)).",
        "sigmoid": "sigmoid squashes each sum into (0, 1): 1 / (1 + exp(-z)).",
        "tanh": "tanh squashes each sum into (-1, 1).",
    }
    return [_step("forward", f"{layer.name}: {act}", f"{name.a} = {act}({name.z})   {shape}",
                  words.get(act, f"{act} is applied to each value."), out)]


def _loss_step(trace: inspect.BackpropTrace, last: _Names) -> Step:
    p = last.a
    if trace.loss_name == "categorical_crossentropy":
        formula = f"L = mean(-sum(y * log({p}))) = {trace.loss:.4f}"
        words = "The loss: for each digit, minus the log of the probability given to its true class, averaged over the batch. y is the one-hot labels, shown here."
    elif trace.loss_name == "sparse_categorical_crossentropy":
        formula = f"L = mean(-log({p}[true class])) = {trace.loss:.4f}"
        words = "The loss: minus the log of the probability each digit's true class got, averaged over the batch. The labels are shown here."
    else:
        formula = f"L = {trace.loss_name}(y, {p}) = {trace.loss:.4f}"
        words = "The loss compares the network's output with the targets, shown here."
    targets = trace.targets if trace.targets.ndim > 1 else trace.targets.reshape(-1, 1)
    return _step("loss", "The loss", formula, words, targets)


def _backward_steps(trace, layer: inspect.LayerPass, name: _Names, n: int, last: bool) -> list[Step]:
    kind = layer.kind
    steps: list[Step] = []
    dz_name = f"d{name.z}"
    if layer.pre_activation is not None or kind == "Activation":
        steps += _activation_gradient_steps(trace, layer, name, n, last, dz_name)
        upstream = dz_name
    else:
        upstream = f"d{name.a}"
        if last:
            steps.append(_step("backward", "The loss's gradient", f"dL/d{name.a} = loss'({name.a})   {shape_text(layer.output_gradient.shape)}",
                               "How the loss changes with each output: where backpropagation starts.", layer.output_gradient))
    if kind in WEIGHTED:
        steps += _weight_gradient_steps(layer, name, upstream)
    elif kind == "BatchNormalization":
        steps.append(_step("backward", f"{layer.name}: gamma's gradient",
                           f"d{name.weights['gamma']} = colSums({upstream} * x_hat)   {shape_text(layer.weight_gradients['gamma'].shape)}",
                           "x_hat is the normalized input: gamma scales it, so its gradient sums upstream times x_hat.",
                           layer.weight_gradients["gamma"]))
        steps.append(_step("backward", f"{layer.name}: beta's gradient",
                           f"d{name.weights['beta']} = colSums({upstream})   {shape_text(layer.weight_gradients['beta'].shape)}",
                           "beta is added to every value of its feature: its gradient is the sum of the upstream gradient.",
                           layer.weight_gradients["beta"]))
    if name.x == "x" or kind == "Activation":
        return steps  # nothing below needs the batch's gradient; an activation's was the step above
    dx = f"d{name.x}"
    shape = shape_text(layer.input_gradient.shape)
    if kind == "Dense":
        formula, words = (f"{dx} = {upstream} . {name.weights['kernel']}^T   {shape}",
                          "The gradient handed to the layer below: each input gets back the gradients of the units it feeds, weighted as it fed them.")
    elif kind == "Conv2D":
        formula, words = (f"{dx} = conv2d_transpose({upstream}, {name.weights['kernel']})   {shape}",
                          "Each input value gets back the gradients of every output position whose window covered it, weighted by the filter.")
    elif kind == "MaxPooling2D":
        formula, words = (f"{dx} = {upstream} routed to each window's maximum, 0 elsewhere   {shape}",
                          "Only the value that won its window moved the output, so only it gets gradient.")
    elif kind == "AveragePooling2D":
        formula, words = (f"{dx} = {upstream} shared equally over each window   {shape}",
                          "Every value of a window moved its mean by the same share.")
    elif kind == "GlobalAveragePooling2D":
        formula, words = (f"{dx} = {upstream} / (rows * columns), spread over each map   {shape}", "Every position moved the map's mean equally.")
    elif kind == "BatchNormalization":
        formula, words = (f"{dx} = gamma / sqrt(var + eps) * ({upstream} - mean({upstream}) - x_hat * mean({upstream} * x_hat))   {shape}",
                          "The batch's mean and variance depend on every input too, hence the two corrections.")
    elif kind == "Dropout":
        formula, words = (f"{dx} = {upstream} * mask / (1 - {layer.config.get('rate', 0):g})   {shape}",
                          "The dropped values moved nothing: their gradient is 0, the others are scaled as in the forward pass.")
    elif kind in ("Flatten", "Reshape"):
        formula, words = (f"{dx} = array_reshape({upstream}, dim({name.x}))   {shape}", "The gradient takes back the input's shape.")
    else:
        formula, words = (f"{dx} = {kind}'s backward({upstream})   {shape}", "This layer's backward pass.")
    steps.append(_step("backward", f"{layer.name}: gradient for the layer below", formula, words, layer.input_gradient))
    return steps


def _activation_gradient_steps(trace, layer, name, n, last, dz_name) -> list[Step]:
    shape = shape_text(layer.pre_activation_gradient.shape) if layer.pre_activation_gradient is not None else ""
    if last and trace.fused:
        if trace.loss_name == "sparse_categorical_crossentropy":
            formula = f"dL/d{name.z} = ({name.a} - onehot(labels)) / n   {shape}"
        else:
            formula = f"dL/d{name.z} = ({name.a} - y) / n   {shape}"
        words = (f"Softmax and cross-entropy together have this simple gradient: the probabilities minus the "
                 f"one-hot labels, divided by the batch size n = {n}. Backpropagation starts here.")
        return [_step("backward", "The gradient of the loss", formula, words, layer.pre_activation_gradient)]
    steps = []
    if last:
        steps.append(_step("backward", "The loss's gradient", f"dL/d{name.a} = loss'({name.a})   {shape_text(layer.output_gradient.shape)}",
                           "How the loss changes with each output: where backpropagation starts.", layer.output_gradient))
    if layer.activation_derivative is not None:
        act = layer.activation
        if act == "relu":
            title, formula = f"{layer.name}: the relu mask", f"relu'({name.z}) = ({name.z} > 0)   {shape}"
            words = "1 where the unit was on, 0 where relu cut it: gradient flows back only through the units that fired."
        else:
            title, formula = f"{layer.name}: {act}'s slope", f"{act}'({name.z})   {shape}"
            words = f"How much {act} moved its output for a small change of its input, value by value."
        steps.append(_step("backward", title, formula, words, layer.activation_derivative))
        upstream = f"d{name.a}"
        steps.append(_step("backward", f"{layer.name}: gradient before the activation",
                           f"{dz_name} = {upstream} * {act}'({name.z})   {shape}",
                           "The chain rule: the gradient arriving at the output, times the activation's slope, element by element.",
                           layer.pre_activation_gradient))
    else:  # softmax without the fused loss
        steps.append(_step("backward", f"{layer.name}: through softmax",
                           f"{dz_name} = {name.a} * (d{name.a} - rowSums(d{name.a} * {name.a}))   {shape}",
                           "Softmax's Jacobian times the incoming gradient (each output depends on every score).",
                           layer.pre_activation_gradient))
    return steps


def _weight_gradient_steps(layer, name, upstream) -> list[Step]:
    steps = []
    kernel, bias = name.weights["kernel"], name.weights["bias"]
    g = layer.weight_gradients
    if layer.kind == "Dense":
        steps.append(_step("backward", f"{layer.name}: the kernel's gradient",
                           f"d{kernel} = {name.x}^T . {upstream}   {shape_text(g['kernel'].shape)}",
                           "Each weight's gradient: its input times its unit's gradient, summed over the batch's digits.",
                           g["kernel"]))
    else:
        steps.append(_step("backward", f"{layer.name}: the filters' gradient",
                           f"d{kernel} = sum over positions of window({name.x})^T . {upstream}   {shape_text(g['kernel'].shape)}",
                           "Each filter weight's gradient: the input values it met, times the gradient at each position, summed over positions and digits.",
                           g["kernel"], kernel=True))
    if "bias" in g:
        steps.append(_step("backward", f"{layer.name}: the bias's gradient",
                           f"d{bias} = colSums({upstream})   {shape_text(g['bias'].shape)}",
                           "A bias is added to every digit's sum: its gradient is the sum of its unit's gradients.", g["bias"]))
    return steps


# ----- the update -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Update:
    """The optimizer's first step on one weight, by the engine optimizer: before, after, and
    the optimizer's state after the step (``slots``: velocity, momentum...)."""

    symbol: str
    index: tuple
    value: float
    gradient: float
    new_value: float
    slots: dict
    text: str


def update_of(settings: TrainSettings, symbol: str, index: tuple, value: float, gradient: float) -> Update:
    """The chosen optimizer's first update of one float32 weight, by the engine's optimizer."""
    optimizer = engine.optimizers.get(settings.optimizer, **settings.optimizer_kwargs())
    w = np.array([value], dtype=np.float32)
    g = np.array([gradient], dtype=np.float32)
    optimizer.apply([w], [g])
    slots = {name: float(getattr(optimizer.slots[0], name)[0]) for name in optimizer.slots[0].names if name != "scratch"}
    new = float(w[0])
    return Update(symbol, index, float(value), float(gradient), new, slots,
                  _update_text(optimizer, symbol, index, float(value), float(gradient), new, slots))


def _update_text(optimizer, symbol, index, w, g, new, slots) -> str:
    at = f"{symbol}[{', '.join(str(i) for i in index)}]"
    r_at = f"{symbol}[{', '.join(str(i + 1) for i in index)}]"
    lr = optimizer.learning_rate
    lines = [f"{optimizer.name}, first step, on w = {at} (R: {r_at}) = {w:.6g} with gradient g = {g:.6g}:"]
    name = type(optimizer).__name__
    if name == "SGD" and not optimizer.momentum:
        lines.append(f"{at} = w - lr * g = {w:.6g} - {lr:g} * {g:.6g} = {new:.6g}")
    elif name == "SGD":
        m = slots["momentum"]
        lines.append(f"m = momentum * m - lr * g = {optimizer.momentum:g} * 0 - {lr:g} * {g:.6g} = {m:.6g}")
        if optimizer.nesterov:
            lines.append(f"{at} = w + momentum * m - lr * g = {w:.6g} + {optimizer.momentum:g} * {m:.6g} - {lr:g} * {g:.6g} = {new:.6g}")
        else:
            lines.append(f"{at} = w + m = {w:.6g} + {m:.6g} = {new:.6g}")
    elif name == "RMSprop":
        v = slots["velocity"]
        lines.append(f"v = rho * v + (1 - rho) * g^2 = {optimizer.rho:g} * 0 + {1 - optimizer.rho:g} * ({g:.6g})^2 = {v:.6g}")
        step = f"lr * g / sqrt(v + eps) = {lr:g} * {g:.6g} / sqrt({v:.6g} + {optimizer.epsilon:g})"
        if optimizer.momentum:
            lines.append(f"m = momentum * m + {step} = {slots['momentum']:.6g}")
            lines.append(f"{at} = w - m = {w:.6g} - {slots['momentum']:.6g} = {new:.6g}")
        else:
            lines.append(f"{at} = w - {step.replace(' = ', f' = {w:.6g} - ', 1)} = {new:.6g}")
    elif name == "Adam":
        m, v = slots["momentum"], slots["velocity"]
        b1, b2 = optimizer.beta_1, optimizer.beta_2
        alpha = lr * np.sqrt(1 - b2) / (1 - b1)
        lines.append(f"m = m + (1 - beta_1) * (g - m) = 0 + {1 - b1:g} * {g:.6g} = {m:.6g}")
        lines.append(f"v = v + (1 - beta_2) * (g^2 - v) = 0 + {1 - b2:g} * ({g:.6g})^2 = {v:.6g}")
        lines.append(f"alpha = lr * sqrt(1 - beta_2) / (1 - beta_1) = {alpha:.6g}")
        lines.append(f"{at} = w - alpha * m / (sqrt(v) + eps) = {w:.6g} - {alpha:.6g} * {m:.6g} / (sqrt({v:.6g}) + {optimizer.epsilon:g}) = {new:.6g}")
    elif name == "Adagrad":
        acc = slots["accumulator"]
        lines.append(f"acc = acc + g^2 = {optimizer.initial_accumulator_value:g} + ({g:.6g})^2 = {acc:.6g}")
        lines.append(f"{at} = w - lr * g / sqrt(acc + eps) = {w:.6g} - {lr:g} * {g:.6g} / sqrt({acc:.6g} + {optimizer.epsilon:g}) = {new:.6g}")
    else:
        lines.append(f"{at} = {new:.6g}")
    lines.append(f"The weight moved by {new - w:+.3g}, against its gradient.")
    return "\n".join(lines)


def update_step(trace: inspect.BackpropTrace, names: list[_Names], settings: TrainSettings) -> Step | None:
    """The last step: the first weighted layer's weight with the largest gradient, updated by
    the optimizer chosen in the Optimizer panel (its first step: the state starts at zero)."""
    for layer, name in zip(trace.layers, names):
        if "kernel" in layer.weight_gradients:
            gradient = layer.weight_gradients["kernel"]
            index = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(gradient))), gradient.shape))
            update = update_of(settings, name.weights["kernel"], index, float(layer.weights["kernel"][index]),
                               float(gradient[index]))
            label = OPTIMIZER_LABELS.get(settings.optimizer, settings.optimizer)
            words = (f"The step training takes after this backward pass, for the weight of {name.weights['kernel']} "
                     f"with the largest gradient, by {label} as the Optimizer panel sets it. Every weight "
                     "moves the same way, at once.")
            return Step("update", "The update", update.text, words, None)
    return None

"""``Sequential``: a linear stack of layers with Keras's ``compile`` / ``fit`` / ``evaluate`` / ``predict``.

The chapter's network, in this engine::

    model = Sequential([
        Dense(512, activation="relu", input_shape=(28 * 28,)),
        Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_images, train_labels, epochs=5, batch_size=128)

Training is gradient descent on mini-batches (chapter 2.4): for each batch, run the layers forward,
measure the loss, run them backward to get every weight's gradient (backpropagation), and let the
optimizer move each weight a little against its gradient. One such step, and one epoch of them,
are in ``engine.training``; this module is the Keras-shaped container around them.
"""
from __future__ import annotations

import math
import numbers
import re
import time

import numpy as np

from engine import backend, initializers, losses, metrics as metrics_module, optimizers, strategies
from engine.batches import BatchFeeder
from engine.callbacks import CallbackList, History
from engine.layers import Flatten, Layer, deserialize, serialize
from engine.layers.base import _as_shape
from engine.memory import Buffer
from engine.progbar import Progbar, format_logs
from engine.training import run_epoch, train_step


class Sequential:
    """A stack of layers, each feeding the next. See the module docstring for the chapter's example."""

    def __init__(self, layers=None, name: str = "sequential"):
        self.name = name
        self.layers: list[Layer] = []
        self.built = False
        self.optimizer: optimizers.Optimizer | None = None
        self.loss: losses.Loss | None = None
        self.metrics: list[str] = []
        self.stop_training = False
        self.stop_reason: str | None = None  # "completed", "stopped", "early_stopping" or "nan"
        self.stop_message: str | None = None
        # why a "nan" stop happened (see engine.training.explain_non_finite_loss), else None
        self.stop_cause: str | None = None
        self.history: History | None = None
        self._fused = False
        self._output_gradient = Buffer()
        for layer in layers or []:
            self.add(layer)

    # ----- building -------------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer; it gets a unique Keras-style name (``dense``, ``dense_1``...)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a layer such as Dense(10), got {layer!r}")
        if layer.name is None:
            # Keras's to_snake_case: Dense -> dense, Conv2D -> conv2d, MaxPooling2D -> max_pooling2d
            base = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", type(layer).__name__)
            base = re.sub("([a-z])([A-Z])", r"\1_\2", base).lower()
            taken = {other.name for other in self.layers}
            layer.name = base
            k = 0
            while layer.name in taken:
                k += 1
                layer.name = f"{base}_{k}"
        self.layers.append(layer)
        self.built = False
        if self.layers[0].input_shape is not None:
            self.build()

    @property
    def input_shape(self) -> tuple | None:
        return self._input_shape if self.built else (self.layers[0].input_shape if self.layers else None)

    def build(self, input_shape=None) -> None:
        """Create every layer's weights, passing each layer the shape of its input."""
        if not self.layers:
            raise ValueError("The model has no layers; add some with model.add(Dense(...))")
        shape = input_shape if input_shape is not None else self.layers[0].input_shape
        if shape is None:
            raise ValueError("The model's input shape is unknown: give the first layer input_shape=...")
        shape = _as_shape(shape, "input_shape")
        self._input_shape = shape
        for layer in self.layers:
            if not layer.built:
                layer.build(shape)
            elif tuple(layer.input_shape) != shape:
                raise ValueError(
                    f"Layer {layer.name!r} was built for inputs of shape {layer.input_shape}, got {shape}"
                )
            shape = tuple(layer.compute_output_shape(shape))
        self.output_shape = shape
        # Layers before the first weight need no gradient for their input: skipping it saves a
        # whole matrix product per batch (the 784-wide one) in the chapter's network.
        needed = False
        for layer in self.layers:
            layer.need_input_grad = needed
            needed = needed or bool(layer.params)
        self.built = True
        self._collect_weights()
        self._configure_fusion()

    def _collect_weights(self) -> None:
        self._params = [p for layer in self.layers for p in layer.params]
        self._grads = [g for layer in self.layers for g in layer.grads]

    def _configure_fusion(self) -> None:
        """When the last layer ends in the loss's partner activation (softmax for cross-entropy),
        the loss hands it dL/dz = (p - y) / n directly: cheaper and numerically safer."""
        last = self.layers[-1] if self.layers else None
        self._fused = bool(
            self.loss is not None
            and last is not None
            and self.loss.partner_activation is not None
            and last.activation.name == self.loss.partner_activation
        )
        for layer in self.layers:
            layer.loss_gives_logit_grad = self._fused and layer is last

    def _ensure_built(self, x: np.ndarray) -> None:
        if not self.built:
            self.build(x.shape[1:])

    # ----- compile --------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None) -> None:
        """Choose the optimizer, the loss and the metrics (Keras's names: ``"rmsprop"``...)."""
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='categorical_crossentropy'")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        self.metrics = metrics_module.check(metrics)
        if self.built:
            self._configure_fusion()

    def _check_compiled(self) -> None:
        if self.optimizer is None or self.loss is None:
            raise RuntimeError("You must compile the model before training: model.compile(optimizer, loss)")

    # ----- data -----------------------------------------------------------------------------
    def _inputs(self, x) -> np.ndarray:
        if x is None:
            raise ValueError("x is required")
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_:
            raise TypeError(f"inputs must be numeric, got dtype {x.dtype}")
        if np.issubdtype(x.dtype, np.complexfloating):
            raise TypeError(f"inputs must be real numbers, got complex numbers (dtype {x.dtype})")
        dtype = self._params[0].dtype if self.built and self._params else np.dtype(backend.floatx())
        x = np.ascontiguousarray(x, dtype=dtype)
        if x.ndim < 2:
            raise ValueError(f"inputs must have a batch axis, got shape {x.shape}")
        self._ensure_built(x)
        if (
            tuple(x.shape[1:]) != tuple(self._input_shape)
            and isinstance(self.layers[0], Flatten)
            and int(np.prod(x.shape[1:])) == int(np.prod(self._input_shape))
        ):
            x = x.reshape(len(x), *self._input_shape)  # Flatten undoes it: (n, 784) feeds Flatten((28, 28))
        if tuple(x.shape[1:]) != tuple(self._input_shape):
            raise ValueError(
                f"Input shape mismatch: the model's first layer expects samples of shape "
                f"{tuple(self._input_shape)}, but the data has samples of shape {tuple(x.shape[1:])}"
            )
        return x

    def _targets(self, y, n: int) -> np.ndarray:
        if y is None:
            raise ValueError("y is required: the targets (labels) to learn, one per sample of x")
        y = np.asarray(y)
        if y.ndim == 0:
            raise ValueError(f"y must hold one target per sample of x, got the single value {y!r}")
        if len(y) != n:
            raise ValueError(f"x and y have different numbers of samples: {n} and {len(y)}")
        if not np.issubdtype(y.dtype, np.number):
            raise TypeError(f"targets must be numeric, got dtype {y.dtype}")
        if np.issubdtype(y.dtype, np.complexfloating):
            raise TypeError(f"targets must be real numbers, got complex numbers (dtype {y.dtype})")
        self.loss.check_targets(y, self.output_shape, n)
        if self.loss.name == "sparse_categorical_crossentropy":
            return np.ascontiguousarray(y.reshape(-1), dtype=np.intp)
        y = np.ascontiguousarray(y, dtype=self._params[0].dtype if self._params else backend.floatx())
        if y.ndim == 1 and self.output_shape == (1,):
            y = y.reshape(-1, 1)
        return y

    def _accuracy_fn(self, y: np.ndarray):
        return metrics_module.resolve_accuracy(self.loss.name, y.ndim, 2, self.output_shape[-1])

    # ----- forward and backward -------------------------------------------------------------
    def _forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def _loss_gradient(self, y: np.ndarray, output: np.ndarray) -> np.ndarray:
        """dLoss/d(output), or dLoss/d(last layer's scores) when fused (see ``_configure_fusion``)."""
        if self._fused:
            out = self._output_gradient.view(len(y), output.shape[1:], output.dtype)
            return self.loss.logit_gradient(y, output, out=out)
        return self.loss.gradient(y, output)

    def _backward(self, grad: np.ndarray) -> None:
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
            if grad is None:
                break

    def train_on_batch(self, x, y):
        """One gradient step on one batch; returns ``[loss, accuracy]`` (or the loss alone)."""
        self._check_compiled()
        x = self._inputs(x)
        y = self._targets(y, len(x))
        with np.errstate(all="ignore"):
            loss, acc = train_step(self, x, y, self._accuracy_fn(y) if self.metrics else None)
        return [loss, acc] if self.metrics else loss

    # ----- fit ------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0) -> History:
        """Train for ``epochs`` passes over ``(x, y)`` in mini-batches of ``batch_size``.

        Returns a ``History`` whose ``.history`` maps "loss", "accuracy", "val_loss",
        "val_accuracy" to per-epoch lists. ``validation_split`` holds out the *last* fraction of the
        data before shuffling, as Keras does. If the loss becomes NaN or infinite, training stops,
        the weights from before that batch are kept, and ``model.stop_reason == "nan"``; then
        ``stop_message`` says why (``stop_cause`` names it) and ``weights_finite`` tells whether
        those weights are usable (an earlier update may have made them NaN).
        """
        self._check_compiled()
        batch_size = _positive_int("batch_size", batch_size)
        epochs = _positive_int("epochs", epochs, allow_zero=True)
        initial_epoch = _positive_int("initial_epoch", initial_epoch, allow_zero=True)
        if (isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real)
                or not 0 <= validation_split < 1):
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
        validation_split = float(validation_split)
        x = self._inputs(x)
        y = self._targets(y, len(x))
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                got = (f"a {type(validation_data).__name__} of {len(validation_data)} item(s)"
                       if isinstance(validation_data, (tuple, list)) else repr(type(validation_data).__name__))
                raise ValueError(f"validation_data must be a tuple (x_val, y_val), got {got}")
            x_val, y_val = validation_data[:2]
            x_val = self._inputs(x_val)
            y_val = self._targets(y_val, len(x_val))
        elif validation_split:
            split = int(len(x) * (1 - validation_split))
            if split == 0 or split == len(x):
                raise ValueError(f"validation_split={validation_split} leaves no training or no validation samples")
            x, x_val, y, y_val = x[:split], x[split:], y[:split], y[split:]
        else:
            x_val = y_val = None
        n = len(x)
        if n == 0:
            raise ValueError("fit() received no samples")
        steps = math.ceil(n / batch_size)
        accuracy = self._accuracy_fn(y) if self.metrics else None
        history = History()
        self.history = history
        strategy, why = strategies.choose(self)
        params = {"epochs": epochs, "steps": steps, "samples": n, "batch_size": batch_size, "verbose": verbose,
                  "strategy": strategy.name, "strategy_reason": why}
        cbs = CallbackList([*(callbacks or []), history], self, params)  # History last, as Keras
        self.stop_training, self.stop_reason, self.stop_message, self.stop_cause = False, None, None, None
        feeder = BatchFeeder(x, y, min(batch_size, n))  # batch buffers never outgrow the data
        rng = backend.rng()
        logs: dict = {}
        if verbose == 1:
            print(f"Strategy: {strategy.name} ({why})", flush=True)
        cbs.on_train_begin()
        with np.errstate(all="ignore"), strategy.running():
            for epoch in range(initial_epoch, epochs):
                cbs.on_epoch_begin(epoch)
                epoch_start = time.perf_counter()
                if verbose:
                    print(f"Epoch {epoch + 1}/{epochs}", flush=True)
                feeder.start_epoch(rng.permutation(n) if shuffle else None)
                bar = Progbar(steps) if verbose == 1 else None
                logs = run_epoch(self, strategy, feeder, accuracy, cbs, epoch, verbose, bar)
                if logs is None:  # not one batch trained
                    break
                if x_val is not None and self.stop_reason != "nan":
                    val = self._evaluate(x_val, y_val, batch_size)
                    logs.update({"val_" + k: v for k, v in val.items()})
                if bar:
                    bar.finish(logs)
                elif verbose == 2:  # one line per epoch, as Keras's verbose=2
                    elapsed = time.perf_counter() - epoch_start
                    print(f"{steps}/{steps} - {elapsed:.0f}s - {format_logs(logs)}", flush=True)
                cbs.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        logs = logs or {}
        if self.stop_reason is None:
            self.stop_reason = "stopped" if self.stop_training else "completed"
        cbs.on_train_end(logs)
        return history

    # ----- evaluate and predict ---------------------------------------------------------------
    def _evaluate(self, x, y, batch_size) -> dict:
        accuracy = self._accuracy_fn(y) if self.metrics else None
        loss_sum = acc_sum = 0.0
        for lo in range(0, len(x), batch_size):
            xb, yb = x[lo:lo + batch_size], y[lo:lo + batch_size]
            output = self._forward(xb, training=False)
            loss_sum += self.loss(yb, output) * len(xb)
            if accuracy:
                acc_sum += accuracy(yb, output) * len(xb)
        result = {"loss": loss_sum / len(x)}
        if accuracy:
            result["accuracy"] = acc_sum / len(x)
        return result

    def evaluate(self, x=None, y=None, batch_size=32, verbose=0, return_dict=False):
        """The loss and accuracy on ``(x, y)``: ``[loss, accuracy]`` (or a dict)."""
        self._check_compiled()
        batch_size = _positive_int("batch_size", batch_size)
        x = self._inputs(x)
        y = self._targets(y, len(x))
        if len(x) == 0:
            raise ValueError("evaluate() received no samples")
        with np.errstate(all="ignore"):
            result = self._evaluate(x, y, batch_size)
        if verbose:
            print(f"{math.ceil(len(x) / batch_size)}/{math.ceil(len(x) / batch_size)} - {format_logs(result)}")
        if return_dict:
            return result
        return list(result.values()) if len(result) > 1 else result["loss"]

    def predict(self, x, batch_size=32, verbose=0) -> np.ndarray:
        """The network's outputs for ``x``, computed in batches: ``(n, classes)`` probabilities."""
        batch_size = _positive_int("batch_size", batch_size)
        x = self._inputs(x)
        out = np.empty((len(x), *self.output_shape), dtype=x.dtype)
        with np.errstate(all="ignore"):
            for lo in range(0, len(x), batch_size):
                out[lo:lo + batch_size] = self._forward(x[lo:lo + batch_size], training=False)
        return out

    def predict_classes(self, x, batch_size=32) -> np.ndarray:
        """The most probable class of each sample, as the book's ``model %>% predict_classes(x)``."""
        probabilities = self.predict(x, batch_size=batch_size)
        if probabilities.shape[-1] == 1:
            return (probabilities[:, 0] > 0.5).astype(np.int64)
        return probabilities.argmax(axis=-1)

    def __call__(self, x) -> np.ndarray:
        return self.predict(x, batch_size=max(len(np.asarray(x)), 1))

    # ----- weights and description ----------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every weight array, layer by layer (kernel, bias, ...)."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        weights = [np.asarray(w) for w in weights]
        expected = sum(len(layer.all_weights) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(f"The model expects {expected} weight arrays, got {len(weights)}")
        for i, w in enumerate(weights):  # refused, never cast: complex weights would lose their imaginary part
            if w.dtype == np.bool_ or not (np.issubdtype(w.dtype, np.integer) or np.issubdtype(w.dtype, np.floating)):
                raise ValueError(f"Weight array {i} must hold real numbers, got dtype {w.dtype}")
        i = 0
        for layer in self.layers:
            k = len(layer.all_weights)
            layer.set_weights(weights[i:i + k])
            i += k

    @property
    def weights(self) -> list[np.ndarray]:
        return list(self._params) if self.built else []

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        """The weights the optimizer moves, in its order (Keras's name; not copies)."""
        return list(self._params) if self.built else []

    @property
    def weights_finite(self) -> bool:
        """False when any weight is NaN or infinite: the model's outputs are meaningless until the
        weights are reset (after training diverged, ``stop_reason == "nan"``, check this)."""
        return all(np.isfinite(w).all() for layer in self.layers for w in layer.all_weights)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError("The model is not built yet: give the first layer input_shape, or call build()")
        return sum(layer.count_params() for layer in self.layers)

    def summary_rows(self) -> list[tuple[str, str, tuple, int]]:
        """``(name, class_name, output_shape, params)`` for each layer, as ``summary()`` prints."""
        if not self.built:
            raise ValueError("The model is not built yet: give the first layer input_shape, or call build()")
        rows, shape = [], self._input_shape
        for layer in self.layers:
            shape = tuple(layer.compute_output_shape(shape))
            rows.append((layer.name, type(layer).__name__, (None, *shape), layer.count_params()))
        return rows

    def summary(self, print_fn=None) -> None:
        """Print the layers, their output shapes and parameter counts (Keras's table)."""
        print_fn = print_fn or print
        rows = self.summary_rows()
        first = max([29, *(len(name) + len(cls) + 5 for name, cls, _, _ in rows)])  # long names fit
        rule, width = "_" * (36 + first), (first, 26, 10)
        lines = [f'Model: "{self.name}"', rule, f"{' Layer (type)':<{width[0]}}{'Output Shape':<{width[1]}}Param #", "=" * len(rule)]
        for i, (name, cls, shape, params) in enumerate(rows):
            shape_text = "(" + ", ".join(str(d) for d in shape) + ")"
            lines.append(f"{' ' + name + ' (' + cls + ')':<{width[0]}}{shape_text:<{width[1]}}{params:,}")
            lines.append(rule if i < len(self.layers) - 1 else "=" * len(rule))
        total = self.count_params()
        trainable = sum(layer.count_trainable_params() for layer in self.layers)
        lines += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
                  f"Non-trainable params: {total - trainable:,}", rule]
        for line in lines:
            print_fn(line)

    def get_config(self) -> dict:
        return {"name": self.name, "input_shape": list(self.input_shape) if self.input_shape else None,
                "layers": [serialize(layer) for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict) -> "Sequential":
        model = cls(name=config.get("name", "sequential"))
        for layer_config in config["layers"]:
            model.add(deserialize(layer_config))
        if not model.built and config.get("input_shape"):
            model.build(config["input_shape"])
        return model

    def save(self, filepath) -> None:
        """Write architecture, weights and compile settings to one ``.npz`` file, atomically."""
        from engine.serialization import save_model

        save_model(self, filepath)

    def __repr__(self) -> str:
        return f"Sequential([{', '.join(repr(layer) for layer in self.layers)}])"


def clone_model(model: Sequential) -> Sequential:
    """A new model with the same architecture and freshly initialised weights (Keras's ``clone_model``)."""
    return Sequential.from_config(model.get_config())


def copy_model(model: Sequential) -> Sequential:
    """A new, uncompiled model with the same architecture and a copy of the weights: what
    ``clone_model`` then ``set_weights(model.get_weights())`` give, without drawing throwaway
    random weights (the seeded generator stays where it was) or copying the weights twice."""
    with initializers.weights_copied_in():
        twin = Sequential.from_config(model.get_config())
    for theirs, mine in zip(model.layers, twin.layers):
        for source, target in zip(theirs.all_weights, mine.all_weights):
            np.copyto(target, source)
    return twin


def load_model(filepath) -> Sequential:
    """Load a model written by ``model.save``; a corrupt or foreign file raises ``ValueError``."""
    from engine.serialization import load_model as _load

    return _load(filepath)


def _positive_int(name, value, allow_zero=False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (0 if allow_zero else 1):
        raise ValueError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} integer, got {value!r}")
    return int(value)

"""Loss functions: how far the predictions are from the targets, and the gradient of that.

Each loss is a small class (as in Nielsen's ``network2.py``) with:

* ``__call__(y_true, y_pred) -> float``: the mean loss over the batch (Keras's default reduction);
* ``gradient(y_true, y_pred) -> array``: dLoss/dy_pred, same shape as ``y_pred``;
* ``logit_gradient(y_true, y_pred) -> array``: when the last layer's activation is the loss's
  natural partner (softmax for cross-entropy, sigmoid for binary cross-entropy), the gradient with
  respect to the scores *before* the activation. It simplifies to ``(y_pred - y_true) / batch``:
  cheaper and numerically safer than going through the activation's Jacobian ("fused").
"""
from __future__ import annotations

import numpy as np

EPSILON = 1e-7  # Keras's backend epsilon: probabilities are clipped to [eps, 1 - eps]


class Loss:
    name = "loss"
    partner_activation: str | None = None  # the activation whose gradient can be fused

    def __call__(self, y_true, y_pred) -> float:
        raise NotImplementedError

    def gradient(self, y_true, y_pred) -> np.ndarray:
        raise NotImplementedError

    def logit_gradient(self, y_true, y_pred, out=None) -> np.ndarray:
        raise NotImplementedError(f"{self.name} has no fused gradient")

    def check_targets(self, y, output_shape, num_samples) -> None:
        """Raise a clear error when targets don't fit the network's output."""

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self):
        return f"{type(self).__name__}()"


def _clip(p):
    return np.clip(p, EPSILON, 1.0 - EPSILON)


class CategoricalCrossentropy(Loss):
    """-sum(y_true * log(y_pred)) per sample; targets are one-hot rows (``to_categorical``)."""

    name = "categorical_crossentropy"
    partner_activation = "softmax"

    def __call__(self, y_true, y_pred):
        p = y_pred / y_pred.sum(axis=-1, keepdims=True)
        return float(-(y_true * np.log(_clip(p))).sum(axis=-1).mean())

    def gradient(self, y_true, y_pred):
        # d/dp of -sum(y log(p / sum(p))): the normalisation adds sum(y) / sum(p) to every output
        p = y_pred / y_pred.sum(axis=-1, keepdims=True)
        inside = (p > EPSILON) & (p < 1 - EPSILON)
        g = np.where(inside, -y_true / _clip(p), 0.0) + (y_true * inside).sum(axis=-1, keepdims=True)
        g /= y_pred.sum(axis=-1, keepdims=True)
        return g.astype(y_pred.dtype) / len(y_pred)

    def logit_gradient(self, y_true, y_pred, out=None):
        out = np.subtract(y_pred, y_true, out=out)
        out *= 1.0 / len(y_pred)
        return out

    def check_targets(self, y, output_shape, num_samples):
        if y.ndim != 2 or y.shape[1:] != tuple(output_shape):
            hint = " (use engine.utils.to_categorical(y) or loss='sparse_categorical_crossentropy')" if y.ndim == 1 else ""
            raise ValueError(
                f"categorical_crossentropy expects one-hot targets of shape (n, {output_shape[-1]}), "
                f"got {y.shape}{hint}"
            )


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy with integer class labels (``y_true`` of shape ``(n,)``) instead of one-hot rows."""

    name = "sparse_categorical_crossentropy"
    partner_activation = "softmax"

    def _labels(self, y_true):
        return np.asarray(y_true).reshape(-1).astype(np.intp, copy=False)

    def __call__(self, y_true, y_pred):
        labels = self._labels(y_true)
        p = y_pred[np.arange(len(labels)), labels] / y_pred.sum(axis=-1)
        return float(-np.log(_clip(p)).mean())

    def gradient(self, y_true, y_pred):
        labels = self._labels(y_true)
        one_hot = np.zeros_like(y_pred)
        one_hot[np.arange(len(labels)), labels] = 1
        return CategoricalCrossentropy.gradient(self, one_hot, y_pred)

    def logit_gradient(self, y_true, y_pred, out=None):
        labels = self._labels(y_true)
        if out is None:
            out = y_pred.copy()
        else:
            np.copyto(out, y_pred)
        out[np.arange(len(labels)), labels] -= 1.0
        out *= 1.0 / len(y_pred)
        return out

    def check_targets(self, y, output_shape, num_samples):
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"sparse_categorical_crossentropy expects integer labels of shape (n,), got {y.shape}")
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError("sparse_categorical_crossentropy expects integer class labels")
        classes = output_shape[-1]
        if y.size and (y.min() < 0 or y.max() >= classes):
            raise ValueError(
                f"labels must be in [0, {classes - 1}] for a network with {classes} outputs, "
                f"got labels from {y.min()} to {y.max()}"
            )


class BinaryCrossentropy(Loss):
    """-(y log p + (1 - y) log(1 - p)), averaged over the outputs and then the batch."""

    name = "binary_crossentropy"
    partner_activation = "sigmoid"

    def __call__(self, y_true, y_pred):
        p = _clip(y_pred)
        return float(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)).mean())

    def gradient(self, y_true, y_pred):
        p = y_pred
        inside = (p > EPSILON) & (p < 1 - EPSILON)
        cp = _clip(p)
        return np.where(inside, (cp - y_true) / (cp * (1 - cp)), 0.0).astype(p.dtype) / p.size

    def logit_gradient(self, y_true, y_pred, out=None):
        out = np.subtract(y_pred, y_true, out=out)
        out *= 1.0 / y_pred.size
        return out

    def check_targets(self, y, output_shape, num_samples):
        if y.reshape(len(y), -1).shape[1:] != (int(np.prod(output_shape)),):
            raise ValueError(f"binary_crossentropy targets of shape {y.shape} don't match outputs {output_shape}")
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError("binary_crossentropy targets must be between 0 and 1")


class MeanSquaredError(Loss):
    """mean((y_true - y_pred)^2) over the outputs, then over the batch."""

    name = "mean_squared_error"

    def __call__(self, y_true, y_pred):
        return float(np.square(y_pred - y_true).mean())

    def gradient(self, y_true, y_pred):
        return (2.0 / y_pred.size) * (y_pred - y_true)

    def check_targets(self, y, output_shape, num_samples):
        if y.ndim == 1 and output_shape == (1,):
            return
        if y.shape[1:] != tuple(output_shape):
            raise ValueError(f"mean_squared_error targets of shape {y.shape} don't match outputs (n, {output_shape[-1]})")


_LOSSES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
}
_ALIASES = {"mse": "mean_squared_error", "MSE": "mean_squared_error", "crossentropy": "categorical_crossentropy"}
for _cls in list(_LOSSES.values()):
    _ALIASES[_cls.__name__] = _cls.name

categorical_crossentropy = CategoricalCrossentropy()
sparse_categorical_crossentropy = SparseCategoricalCrossentropy()
binary_crossentropy = BinaryCrossentropy()
mean_squared_error = mse = MeanSquaredError()


def get(identifier) -> Loss:
    """A loss from its Keras name or alias (``"mse"``, ``"CategoricalCrossentropy"``) or an instance."""
    if isinstance(identifier, Loss):
        return identifier
    name = _ALIASES.get(identifier, identifier)
    if isinstance(name, str) and name in _LOSSES:
        return _LOSSES[name]()
    raise ValueError(f"Unknown loss {identifier!r}; expected one of: {', '.join(sorted(_LOSSES))} (or 'mse')")

"""Small helpers from chapter 2: ``to_categorical``, ``array_reshape``, ``set_random_seed`` (and
``get_random_state`` / ``set_random_state`` to come back to a point of the seeded stream)."""
from __future__ import annotations

import numpy as np

from engine.backend import get_random_state, set_random_seed, set_random_state

# set_random_seed as keras.utils has it; get/set_random_state as PyTorch's get/set_rng_state
__all__ = ["to_categorical", "array_reshape", "set_random_seed", "get_random_state", "set_random_state"]


def to_categorical(y, num_classes=None, dtype="float32") -> np.ndarray:
    """One-hot encode integer class labels: ``to_categorical([1, 0], 3)`` -> ``[[0,1,0],[1,0,0]]``.

    The book turns ``train_labels`` into this form before ``fit`` with categorical cross-entropy.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.size and (not np.issubdtype(y.dtype, np.number) or np.any(y != np.floor(y))):
        raise ValueError("to_categorical expects integer class labels")
    y = y.astype(np.int64).reshape(-1)
    if y.size and y.min() < 0:
        raise ValueError(f"class labels must be non-negative, got {y.min()}")
    n_classes = int(y.max()) + 1 if num_classes is None else int(num_classes)
    if y.size and y.max() >= n_classes:
        raise ValueError(f"label {y.max()} is out of range for num_classes={n_classes}")
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def array_reshape(x, shape) -> np.ndarray:
    """Reshape with row-major (C) semantics, like the book's R ``array_reshape()``.

    R stores arrays column-major, so its plain ``dim<-`` fills the new shape column by column;
    ``array_reshape`` reinterprets the data row by row, as NumPy and Keras do. NumPy's own
    ``reshape`` is already row-major, so this is ``np.reshape(x, shape, order="C")``::

        >>> array_reshape(np.arange(6), (2, 3))
        array([[0, 1, 2],
               [3, 4, 5]])
    """
    return np.reshape(np.asarray(x), shape, order="C")

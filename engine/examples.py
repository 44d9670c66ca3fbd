"""The book's networks, built with the engine: what ``python -m engine train`` and the bench run.

* ``dense_network(units)``: chapter 2, ``Dense(512, relu)`` -> ``Dense(10, softmax)`` on flat rows;
* ``convnet()``: section 5.1, three ``Conv2D`` with two ``MaxPooling2D`` between them, then a
  small dense classifier, on ``(28, 28, 1)`` images (93,322 parameters).
"""
from __future__ import annotations

import numpy as np

from engine.layers import Conv2D, Dense, Flatten, MaxPooling2D
from engine.models import Sequential

MODELS = ("dense", "convnet")


def dense_network(units: int = 512) -> Sequential:
    return Sequential([Dense(units, activation="relu", input_shape=(28 * 28,)), Dense(10, activation="softmax")])


def convnet() -> Sequential:
    """``layer_conv_2d(filters = 32, kernel_size = c(3, 3), activation = "relu", input_shape = c(28, 28, 1))``..."""
    return Sequential([
        Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        MaxPooling2D((2, 2)),
        Conv2D(64, (3, 3), activation="relu"),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(10, activation="softmax"),
    ])


def images(digits: np.ndarray, model: str) -> np.ndarray:
    """The book's preprocessing of uint8 digits ``(n, 28, 28)``: float32 in [0, 1], as flat rows
    ``(n, 784)`` for the dense network or as images ``(n, 28, 28, 1)`` for the convnet."""
    shape = (len(digits), 28, 28, 1) if model == "convnet" else (len(digits), 28 * 28)
    out = np.empty(shape, np.float32)
    np.divide(digits.reshape(shape), np.float32(255), out=out)  # no float64 copy of 60,000 images
    return out

"""Turn the engine's MNIST loaders into the app's ``Dataset`` (no Qt here: safe on any thread)."""
from __future__ import annotations

from pathlib import Path

from engine.datasets import mnist
from playground.specs import Dataset


def load_sample_dataset() -> Dataset:
    """The real MNIST sample shipped in ``assets/``: what a fresh, offline machine trains on."""
    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    return Dataset("MNIST sample", str(mnist.SAMPLE_PATH), x_train, y_train, x_test, y_test)


def load_dataset_file(path: str | Path) -> Dataset:
    """A local ``mnist.npz`` in Keras's format; raises ``mnist.DatasetError`` with a clear message."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=path)
    return Dataset("MNIST", str(path), x_train, y_train, x_test, y_test)


def load_full_dataset(progress=None) -> Dataset:
    """Full MNIST from the usual sources (cache, Keras cache, download); see ``mnist.load_data``."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data(progress=progress)
    return Dataset("MNIST", str(mnist.cache_path()), x_train, y_train, x_test, y_test)

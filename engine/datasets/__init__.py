"""Datasets for the engine, loaded as plain NumPy arrays.

Each dataset is a module with a Keras-style ``load_data()`` returning
``(x_train, y_train), (x_test, y_test)``. Only MNIST ships for now; see
:mod:`engine.datasets.mnist` for where it comes from and how it is cached.
"""

from . import mnist

__all__ = ["mnist"]

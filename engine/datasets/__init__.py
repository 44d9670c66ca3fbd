"""Datasets for the engine, loaded as plain NumPy arrays.

Each dataset is a module with a Keras-style ``load_data()`` returning
``(x_train, y_train), (x_test, y_test)``: :mod:`engine.datasets.mnist` (the book's digits; a
sample ships with the package) and :mod:`engine.datasets.fashion_mnist` (Zalando's clothes, in
MNIST's format). :mod:`engine.datasets.idx` reads any dataset published as MNIST was (four IDX
files).
"""

from . import fashion_mnist, idx, mnist

__all__ = ["fashion_mnist", "idx", "mnist"]

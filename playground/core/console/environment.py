"""The console's variables: the loaded dataset under both languages' names, and the learner's own.

The book's R names and Keras's NumPy names are one variable each: ``train_images`` *is*
``x_train``, so ``train_images <- array_reshape(train_images, c(6000, 784))`` in R changes
what ``x_train`` gives in NumPy. The learner's variables shadow the dataset; loading another
dataset puts the four tensors back.
"""
from __future__ import annotations

import numpy as np

from playground.core.console.errors import ConsoleError

#: The book's R names for the four tensors (``train_images <- mnist$train$x`` ...).
R_NAMES = {"x_train": "train_images", "y_train": "train_labels", "x_test": "test_images", "y_test": "test_labels"}
NUMPY_NAMES = {r: numpy for numpy, r in R_NAMES.items()}
MAX_VARIABLES = 200
MAX_TOTAL_BYTES = 1_000_000_000  # all the learner's variables together (views of the dataset are free)


def canonical(name: str) -> str:
    """One key per variable: the dataset's R names map to Keras's (``train_images`` -> ``x_train``)."""
    return NUMPY_NAMES.get(name, name)


def name_in(name: str, language: str) -> str:
    """``x_train`` written in R is ``train_images``; other names are the same in both."""
    if language == "R":
        return R_NAMES.get(name, name)
    return NUMPY_NAMES.get(name, name)


class Environment:
    """Names to values. ``dataset`` is the app's (read only); ``variables`` the learner's."""

    def __init__(self, dataset: dict[str, np.ndarray] | None = None):
        self.dataset: dict[str, np.ndarray] = {}
        self.variables: dict[str, object] = {}
        self.rng = np.random.default_rng(42)  # runif(), rnorm(), np.random: the same numbers each launch
        self.set_dataset(dataset or {})

    def set_dataset(self, tensors: dict[str, np.ndarray]) -> None:
        self.dataset = {name: np.asarray(tensors[name]) for name in R_NAMES if name in tensors}
        for name in R_NAMES:
            self.variables.pop(name, None)

    def __contains__(self, name: str) -> bool:
        key = canonical(name)
        return key in self.variables or key in self.dataset

    def get(self, name: str, language: str, column: int = 0):
        key = canonical(name)
        if key in self.variables:
            return self.variables[key]
        if key in self.dataset:
            return self.dataset[key]
        raise ConsoleError(self._unknown(name, language), "name", column)

    def set(self, name: str, value) -> None:
        key = canonical(name)
        if key not in self.variables and len(self.variables) >= MAX_VARIABLES:
            raise ConsoleError(f"That would be more than {MAX_VARIABLES} variables: rm() some first")
        held = sum(self._own_bytes(v) for k, v in self.variables.items() if k != key) + self._own_bytes(value)
        if held > MAX_TOTAL_BYTES:
            from playground.core.console.limits import human_bytes

            raise ConsoleError(f"Your variables would hold {human_bytes(held)}, over the console's "
                               f"{human_bytes(MAX_TOTAL_BYTES)}: rm() some first, e.g. rm(x)", "size")
        self.variables[key] = value

    def _own_bytes(self, value) -> int:
        """Memory a variable holds of its own: a slice of the dataset (a view) holds none."""
        if not isinstance(value, np.ndarray):
            return 0
        if any(np.may_share_memory(value, tensor) for tensor in self.dataset.values()):
            return 0
        return value.nbytes

    def remove(self, name: str) -> None:
        self.variables.pop(canonical(name), None)

    def names(self, language: str) -> list[str]:
        keys = list(self.dataset) + [k for k in self.variables if k not in self.dataset]
        return [name_in(k, language) for k in keys]

    def _unknown(self, name: str, language: str) -> str:
        if name in R_NAMES.values() or name in R_NAMES:
            other = "R" if name in R_NAMES.values() else "NumPy"
            return f"{name} is not loaded: open a dataset first (File > Open dataset…) ({other}'s name for it)"
        known = ", ".join(self.names(language)) or "none yet"
        return f"object '{name}' not found. Known here: {known}"

"""A small, fast, pure-NumPy deep-learning engine with Keras's names and defaults.

It follows chapter 2 of *Deep Learning with R* (Chollet & Allaire)::

    import engine
    from engine.layers import Dense
    (x_train, y_train), (x_test, y_test) = engine.datasets.mnist.load_data()
    x_train = x_train.reshape(60000, 28 * 28).astype("float32") / 255
    y_train = engine.utils.to_categorical(y_train)
    model = engine.Sequential([Dense(512, activation="relu", input_shape=(784,)),
                               Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=5, batch_size=128)

It never imports Qt: the Neural Playground app drives it from a worker thread.
"""
import os as _os
import sys as _sys

# OpenBLAS keeps its idle threads spinning for ~0.1 s after each matrix product, stealing the
# core that other work needs (in the app, the UI thread). ``fit`` runs each product on one thread
# anyway (engine.strategies.two_threads), but predict and evaluate use OpenBLAS's threads. When NumPy is not
# loaded yet, ask OpenBLAS to let idle threads sleep at once; an explicit setting wins.
if "numpy" not in _sys.modules:
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
from engine import activations, backend, callbacks, datasets, initializers, layers, losses, metrics, optimizers, utils
from engine import inspect, models  # noqa: F401 - engine.inspect is public API
from engine.models import Sequential, clone_model, copy_model, load_model

__version__ = "0.1.0"
__all__ = [
    "Sequential", "clone_model", "copy_model", "load_model", "activations", "backend", "callbacks", "datasets",
    "initializers", "layers", "losses", "metrics", "models", "optimizers", "utils",
]

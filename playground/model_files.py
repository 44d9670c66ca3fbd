"""Saved models meet the current data and design (no Qt here: pure checks, easy to test).

``model.save("mnist.npz")`` writes the architecture and the weights; ``load_model`` brings them
back. Before the app uses a loaded network it checks that it *fits the data* (it takes 784
pixels and gives 10 class probabilities), and tries to read it back as Network-panel layers so
the learner can see it and continue training it. ``read_model`` does all of it, reading and
checking a file before the app adopts anything (it blocks: the app runs it on a worker thread).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import engine

from playground.specs import Dataset, LayerSpec, prepare_images

# the most hidden layers the app takes from a file (a model, or the saved settings): a Network-panel
# table of 20,000 rows froze start-up for 30 s
MAX_HIDDEN_LAYERS = 100


class ModelUnusable(ValueError):
    """A model file that loads but cannot classify the dataset's digits; the message says why."""


@dataclass(frozen=True)
class ReadModel:
    model: object  # engine.Sequential
    specs: tuple[LayerSpec, ...] | None  # the Network panel's layers, or None when it cannot show them


def read_model(path, dataset: Dataset) -> ReadModel:
    """Load ``path`` and check it can classify ``dataset``'s digits: the right numbers of inputs
    and outputs, and a prediction on two test digits that gives one row of real numbers per digit.

    Raises what ``engine.models.load_model`` raises for a bad file, ``ModelUnusable`` for a model
    that is not fit for these digits.
    """
    return check_model(engine.models.load_model(path), dataset)


def check_model(model, dataset: Dataset) -> ReadModel:
    """``read_model``'s checks on a model already in memory."""
    problem = incompatibility(model, dataset)
    if problem:
        raise ModelUnusable(problem)
    probe = prepare_images(dataset.x_test[:2])
    shape = tuple(getattr(model, "input_shape", None) or ())
    try:
        probabilities = np.asarray(model.predict(probe.reshape(len(probe), *shape), verbose=0))
    except Exception as exc:  # noqa: BLE001 - any failure means the model is unusable here
        raise ModelUnusable(f"it fails to predict a digit ({type(exc).__name__}).") from exc
    if probabilities.shape != (len(probe), dataset.num_classes) or not np.issubdtype(probabilities.dtype, np.floating):
        raise ModelUnusable(f"its predictions have shape {probabilities.shape} and type {probabilities.dtype}, "
                            f"not one row of {dataset.num_classes} real numbers per digit.")
    return ReadModel(model, layer_specs_of(model, dataset))


def incompatibility(model, dataset: Dataset) -> str | None:
    """Why ``model`` cannot classify ``dataset``'s digits, or None when it can."""
    inputs = getattr(model, "input_shape", None)
    outputs = getattr(model, "output_shape", None)
    if not inputs or not outputs:
        return "The model has no input shape, so it cannot be used on images."
    n_in, n_out = int(np.prod(inputs)), int(np.prod(outputs))
    if n_in != dataset.input_size or n_out != dataset.num_classes:
        return (f"This model takes {n_in} inputs and gives {n_out} outputs, but the dataset has "
                f"{dataset.input_size}-pixel images and {dataset.num_classes} classes.")
    return None


def layer_specs_of(model, dataset: Dataset) -> tuple[LayerSpec, ...] | None:
    """The hidden layers as ``LayerSpec``s if ``state.build_model()`` would rebuild this very
    architecture (Flatten, then Dense [Dropout] ..., then Dense softmax) with at most
    ``MAX_HIDDEN_LAYERS`` hidden layers (a longer table would stall the Network panel); otherwise None."""
    if len(model.layers) > 2 * MAX_HIDDEN_LAYERS + 2:  # each hidden Dense may be followed by a Dropout
        return None
    configs = [(type(layer).__name__, layer.get_config()) for layer in model.layers]
    if len(configs) < 2 or configs[0][0] != "Flatten":
        return None
    if tuple(configs[0][1].get("input_shape") or ()) != tuple(dataset.input_shape):
        return None
    last_class, last = configs[-1]
    if last_class != "Dense" or last.get("units") != dataset.num_classes or last.get("activation") != "softmax":
        return None
    specs: list[LayerSpec] = []
    for class_name, config in configs[1:-1]:
        if class_name == "Dense" and config.get("use_bias", True):
            specs.append(LayerSpec(int(config["units"]), str(config["activation"]), 0.0))
        elif class_name == "Dropout" and specs and specs[-1].dropout == 0 and config.get("rate", 0) > 0:
            specs[-1] = LayerSpec(specs[-1].units, specs[-1].activation, float(config["rate"]))
        else:
            return None
    return tuple(specs) if len(specs) <= MAX_HIDDEN_LAYERS else None

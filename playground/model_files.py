"""Saved models meet the current data and design (no Qt here: pure checks, easy to test).

``model.save("mnist.npz")`` writes the architecture and the weights; ``load_model`` brings them
back. Before the app uses a loaded network it checks that it *fits the data* (it takes 784
pixels and gives 10 class probabilities), and tries to read it back as Network-panel layers so
the learner can see it and continue training it.
"""
from __future__ import annotations

import numpy as np

from playground.persistence import MAX_HIDDEN_LAYERS
from playground.specs import Dataset, LayerSpec


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

"""Saved models meet the current data and design (no Qt here: pure checks, easy to test).

``model.save("mnist.npz")`` writes the architecture and the weights; ``load_model`` brings them
back. Before the app uses a loaded network it checks that it *fits the data* (it takes 784
pixels, flat or as 28 x 28 x 1 images, and gives 10 class probabilities), and tries to read it
back as Network-panel rows (Dense and convnet layers alike) so the learner can see it and
continue training it. ``read_model`` does all of it, reading and
checking a file before the app adopts anything (it blocks: the app runs it on a worker thread).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import engine

from playground.core import design
from playground.core.specs import Dataset, LayerSpec, prepare_images

# the most hidden layers the app takes from a file (a model, or the saved settings): a Network-panel
# table of 20,000 rows froze start-up for 30 s
MAX_HIDDEN_LAYERS = 100


class ModelUnusable(ValueError):
    """A model file that loads but cannot classify the dataset's digits; the message says why."""


@dataclass(frozen=True)
class ReadModel:
    model: object  # engine.Sequential
    specs: tuple | None  # the Network panel's rows (LayerSpec, LayerRow), or None when it cannot show them


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


def layer_specs_of(model, dataset: Dataset) -> tuple | None:
    """The Network panel's rows if ``state.build_model()`` would rebuild this very architecture
    (the same layers with the same configurations, between the same fixed input and output), with
    at most ``MAX_HIDDEN_LAYERS`` rows (a longer table would stall the Network panel); else None.

    Each Dense layer becomes a ``LayerSpec``, a Dropout right after it its dropout (as the panel
    shows chapter 2's networks), and every other layer a ``LayerRow`` of the settings the panel
    shows; the design is then turned back into engine layers and compared with the file's, so a
    setting the panel cannot show (``use_bias=False``, another initializer) gives None."""
    if len(model.layers) > 2 * MAX_HIDDEN_LAYERS + 2:  # each hidden Dense may be followed by a Dropout
        return None
    configs = [(type(layer).__name__, layer.get_config()) for layer in model.layers]
    if len(configs) < 2:
        return None
    flat = configs[0][0] == "Flatten" and tuple(configs[0][1].get("input_shape") or ()) == tuple(dataset.input_shape)
    middle = configs[1:-1] if flat else configs[:-1]
    rows: list = []
    for class_name, config in middle:
        if class_name == "Dropout" and rows and isinstance(rows[-1], LayerSpec) and rows[-1].dropout == 0 \
                and config.get("rate", 0) > 0:
            rows[-1] = LayerSpec(rows[-1].units, rows[-1].activation, float(config["rate"]))
        elif class_name == "Dense":
            rows.append(LayerSpec(config.get("units"), config.get("activation"), 0.0))
        elif class_name in design.kinds():
            values = {name: _value(config.get(name)) for name in design.settings_of(class_name)}
            if "pool_size" in values and values.get("strides") == values["pool_size"]:
                values["strides"] = None  # Keras's default: the pool's own size (the book never writes it)
            rows.append(design.layer_row(class_name, **values))
        else:
            return None
    if len(rows) > MAX_HIDDEN_LAYERS or design.design_errors(rows, dataset.input_shape, dataset.num_classes):
        return None
    if tuple(model.input_shape or ()) != design.model_input_shape(rows, dataset.input_shape):
        return None
    rebuilt = [_comparable(config) for _, config in design.engine_configs(rows, dataset.input_shape, dataset.num_classes)]
    theirs = [_comparable({"class_name": name, "config": config}) for name, config in configs]
    return tuple(rows) if rebuilt == theirs else None


def _value(value):
    return tuple(value) if isinstance(value, list) else value


def _comparable(config: dict) -> tuple:
    """A layer's class and full configuration (defaults filled in by the engine), without its name."""
    layer = engine.layers.deserialize({"class_name": config["class_name"], "config": config["config"]})
    full = {k: _value(v) for k, v in layer.get_config().items() if k not in ("name", "input_shape")}
    return config["class_name"], sorted(full.items(), key=lambda item: item[0])

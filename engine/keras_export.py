"""The way out to Keras, and back: a trained engine model as Keras scripts and Keras weights.

``export_keras(model, folder)`` writes three files, each atomically (a temporary file renamed
over the target, ``engine.serialization.atomic_write_bytes``):

* ``mnist_keras.R``: the book's listing (chapter 2) with this network and recipe:
  ``library(keras)``, ``keras_model_sequential() %>% layer_dense(...)``, ``compile``, ``fit``,
  ``evaluate``;
* ``mnist_keras.py``: a Keras 3 script that rebuilds the network, loads the trained weights with
  ``model.set_weights(...)``, evaluates them on the test images of the data it was trained on
  (``Recipe.dataset``: Keras's MNIST or Fashion-MNIST, or one's own with ``--data``) and, with ``--train``, goes on
  training (``keras.distribution.DataParallel`` over every device when there are several). It
  runs with any Keras 3 backend and imports nothing from this project;
* ``mnist_weights.npz``: ``model.get_weights()`` in Keras's order and shapes, as
  ``np.savez(path, *model.get_weights())`` writes them (``arr_0``, ``arr_1``...).

``load_keras_weights(model, path)`` reads such a file back into a model of the same architecture,
whether it came from here or from Keras. From the command line::

    python -m engine export-keras model.npz keras/     # a file saved by model.save
"""
from __future__ import annotations

import io
import math
import os
import stat
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import keras_code
from engine.serialization import atomic_write_bytes

R_SCRIPT = "mnist_keras.R"
PYTHON_SCRIPT = "mnist_keras.py"
WEIGHTS = "mnist_weights.npz"
DIGIT_PIXELS = 28 * 28  # the scripts train and evaluate on MNIST
CLASSES = 10
WEIGHT_DTYPES = ("float16", "float32", "float64")
DATASETS = ("mnist", "fashion_mnist", "")  # what the scripts load: Keras's two, or the user's own (--data)


@dataclass(frozen=True)
class Recipe:
    """What ``compile`` and ``fit`` are given: the optimizer's ``get_config()``, the loss, the fit."""

    optimizer: dict
    loss: str = "categorical_crossentropy"
    epochs: int = 5
    batch_size: int = 128
    validation_split: float = 0.0
    # the data the network was trained on: "mnist", "fashion_mnist" (Keras downloads both), or ""
    # for images of one's own, named ``data_name``, which the scripts ask for (28 x 28, ten classes)
    dataset: str = "mnist"
    data_name: str = ""

    def __post_init__(self):
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {', '.join(map(repr, DATASETS))}, got {self.dataset!r}")

    @property
    def data_title(self) -> str:
        """The data's name as the scripts' comments say it."""
        name = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}.get(self.dataset) or self.data_name or "your data"
        return " ".join(name.split()).replace('"""', "'''")  # one line, and no end to a docstring

    @property
    def one_hot(self) -> bool:
        """Whether the labels are one-hot encoded (``to_categorical``): all but the sparse loss."""
        return self.loss != "sparse_categorical_crossentropy"


def recipe_of(model, epochs: int = 5, batch_size: int = 128, validation_split: float = 0.0,
              dataset: str = "mnist", data_name: str = "") -> Recipe:
    """The model's compile settings (the chapter's ``rmsprop`` and cross-entropy when it was never
    compiled) with the given ``fit`` arguments (the chapter's 5 epochs of 128 digits by default)
    and data (``Recipe.dataset``)."""
    from engine import optimizers

    optimizer = model.optimizer.get_config() if model.optimizer is not None else optimizers.get("rmsprop").get_config()
    loss = model.loss.name if model.loss is not None else "categorical_crossentropy"
    return Recipe(optimizer, loss, int(epochs), int(batch_size), float(validation_split), dataset, data_name)


# ----- export ------------------------------------------------------------------------------------
def export_keras(model, folder, recipe: Recipe | None = None) -> list[Path]:
    """Write the R script, the Python script and the weights of ``model`` into ``folder`` (created
    if missing); returns their paths. Raises ``ValueError`` for a model the scripts cannot run
    (not built, diverged, not shaped for MNIST's digits) and ``OSError`` naming what cannot be written."""
    check_exportable(model)
    recipe = recipe or recipe_of(model)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"Cannot export to {folder}: it is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    files = {R_SCRIPT: r_script(model, recipe).encode("utf-8"),
             PYTHON_SCRIPT: python_script(model, recipe).encode("utf-8"),
             WEIGHTS: weights_archive(model.get_weights())}
    for name, data in files.items():
        atomic_write_bytes(folder / name, data)
    return [folder / name for name in files]


def check_exportable(model) -> None:
    """Refuse, in words, a model the exported scripts could not run on MNIST."""
    if not getattr(model, "built", False):
        raise ValueError("Cannot export a model that is not built yet (its weights don't exist)")
    if not all(np.isfinite(w).all() for w in model.get_weights()):
        raise ValueError("Cannot export the model: its weights are NaN or infinite (training diverged)")
    inputs, outputs = math.prod(model.input_shape), math.prod(model.output_shape)
    if inputs != DIGIT_PIXELS or outputs != CLASSES:
        raise ValueError(f"The exported scripts run on MNIST's 28 x 28 digits and 10 classes; this model takes "
                         f"inputs of shape {tuple(model.input_shape)} and gives {outputs} outputs")


def weights_archive(weights) -> bytes:
    """``np.savez(file, *weights)`` as bytes: ``arr_0``, ``arr_1``... in ``get_weights()`` order."""
    buffer = io.BytesIO()
    np.savez(buffer, *weights)
    return buffer.getvalue()


def _layers(model) -> list[dict]:
    return [{"class_name": type(layer).__name__, "config": layer.get_config()} for layer in model.layers]


def _input_code(model) -> str:
    """One digit's shape as the data is given to the model, written as R writes it: ``28 * 28``
    (flat: a leading Flatten is left to ``array_reshape``) or ``28, 28, 1``."""
    _, data_shape, flattened = keras_code.written_layers(_layers(model), model.input_shape)
    return keras_code.shape_code(data_shape, flattened, (28, 28))


def r_script(model, recipe: Recipe) -> str:
    """The book's chapter 2 listing, with this network and recipe."""
    dims = _input_code(model)
    optimizer = keras_code.r_optimizer(recipe.optimizer, always=())
    labels = ("train_labels <- to_categorical(train_labels)\ntest_labels <- to_categorical(test_labels)\n\n"
              if recipe.one_hot else "")
    return (
        "# A network trained in Neural Playground, as Deep Learning with R builds it (chapter 2).\n"
        f"# Its trained weights are in {WEIGHTS} (model.get_weights() order); {PYTHON_SCRIPT} loads them.\n"
        "library(keras)\n\n"
        f"{_r_load(recipe)}\n"
        "train_images <- mnist$train$x\ntrain_labels <- mnist$train$y\n"
        "test_images <- mnist$test$x\ntest_labels <- mnist$test$y\n\n"
        f"{keras_code.r_model(_layers(model), model.input_shape)}\n\n"
        "model %>% compile(\n"
        f"  optimizer = {optimizer},\n"
        f'  loss = "{recipe.loss}",\n'
        '  metrics = c("accuracy")\n'
        ")\n\n"
        f"train_images <- array_reshape(train_images, c(60000, {dims}))\n"
        "train_images <- train_images / 255\n"
        f"test_images <- array_reshape(test_images, c(10000, {dims}))\n"
        "test_images <- test_images / 255\n\n"
        f"{labels}"
        "model %>% fit(train_images, train_labels, "
        f"{keras_code.r_fit_arguments(recipe.epochs, recipe.batch_size, recipe.validation_split)})\n\n"
        "metrics <- model %>% evaluate(test_images, test_labels, verbose = 0)\n"
        "metrics\n"
    )


def python_script(model, recipe: Recipe) -> str:
    """A Keras 3 script that rebuilds ``model``, loads its weights and evaluates them (see the module)."""
    network, input_shape = keras_code.python_keras3_model(_layers(model), model.input_shape)
    targets = ("keras.utils.to_categorical(labels, CLASSES)" if recipe.one_hot
               else "labels.astype(\"int64\")  # sparse_categorical_crossentropy takes the digits themselves")
    return _PYTHON.substitute(
        weights=WEIGHTS, script=PYTHON_SCRIPT, input_shape=input_shape, classes=CLASSES,
        data=recipe.data_title, load=_python_load(recipe),
        epochs=recipe.epochs, batch_size=recipe.batch_size,
        validation_split=keras_code.number_code(recipe.validation_split),
        network=network.replace("\n", "\n    "),
        optimizer=keras_code.python_optimizer(recipe.optimizer, always=()), loss=recipe.loss, targets=targets,
    )


_PYTHON = string.Template('''\
"""A network trained in Neural Playground, rebuilt in Keras 3 with its trained weights.

    python $script                      # evaluate the trained weights on $data's test images
    python $script --data data.npz      # the same from a local .npz in Keras's format (offline)
    python $script --train --save w.npz # go on training (on every device when there are several)

It runs with any Keras 3 backend (KERAS_BACKEND=jax, tensorflow or torch) and needs nothing from
Neural Playground: the network is written below and its weights are in $weights, in the
order of model.get_weights() (arr_0, arr_1..., as np.savez(path, *model.get_weights()) writes them).
"""
import argparse
import os

import numpy as np
import keras
from keras import layers

WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "$weights")
INPUT_SHAPE = $input_shape  # one digit, as the model takes it
CLASSES = $classes
EPOCHS = $epochs
BATCH_SIZE = $batch_size
VALIDATION_SPLIT = $validation_split


def build_model():
    model = $network
    model.compile(optimizer=$optimizer, loss="$loss", metrics=["accuracy"])
    return model


def load_weights(model, path=WEIGHTS):
    """The trained weights, in the order of model.get_weights()."""
    with np.load(path, allow_pickle=False) as archive:
        model.set_weights([archive[f"arr_{i}"] for i in range(len(archive.files))])


def prepare(images):
    """The book's preprocessing: uint8 digits (n, 28, 28) as float32 in [0, 1], shaped for the model."""
    return images.reshape((len(images),) + INPUT_SHAPE).astype("float32") / 255


def targets(labels):
    return $targets


def load_mnist(path=None):
    """The data the network was trained on ($data): from Keras (downloaded once), or from a local
    .npz with x_train, y_train, x_test and y_test (Keras's mnist.npz format)."""
    if path is None:
        $load
    with np.load(path, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def evenly(array, devices):
    """The first rows of ``array``, as many as the devices divide (all of them on one device)."""
    return array[:len(array) - len(array) % devices]


def spread_over_devices():
    """Split each batch over every device when there are several (keras.distribution.DataParallel,
    with the JAX or TensorFlow backend). Call it before the model is built. Returns the device count."""
    try:
        devices = keras.distribution.list_devices()
    except (AttributeError, NotImplementedError, RuntimeError, ValueError):
        print(f"keras.distribution is not available with the {keras.backend.backend()} backend: one device")
        return 1
    if len(devices) > 1:
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return len(devices)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", metavar="PATH", help="a local .npz in Keras's mnist.npz format (offline)")
    parser.add_argument("--weights", metavar="PATH", default=WEIGHTS, help="default: %(default)s")
    parser.add_argument("--train", action="store_true", help="go on training before evaluating")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--save", metavar="PATH", help="after --train, write the weights there (same layout)")
    args = parser.parse_args(argv)

    (train_images, train_labels), (test_images, test_labels) = load_mnist(args.data)
    devices = spread_over_devices() if args.train else 1
    # DataParallel splits every batch evenly over the devices: a batch size and data sizes they divide
    batch_size = -(-args.batch_size // devices) * devices
    model = build_model()
    load_weights(model, args.weights)
    if args.train:
        print(f"Training on {devices} device(s) with the {keras.backend.backend()} backend")
        x, y = evenly(prepare(train_images), devices), evenly(targets(train_labels), devices)
        held_out = int(len(x) * VALIDATION_SPLIT) // devices * devices  # the last ones, as validation_split
        model.fit(x[:len(x) - held_out], y[:len(y) - held_out], epochs=args.epochs, batch_size=batch_size,
                  validation_data=(x[len(x) - held_out:], y[len(y) - held_out:]) if held_out else None)
        if args.save:
            np.savez(args.save, *model.get_weights())
            print(f"Saved the weights to {args.save}")
    x, y = evenly(prepare(test_images), devices), evenly(targets(test_labels), devices)
    if len(x) < len(test_images):
        print(f"Evaluating on {len(x)} of the {len(test_images)} test digits (a multiple of {devices} devices)")
    loss, accuracy = model.evaluate(x, y, batch_size=batch_size, verbose=0)
    print(f"test loss: {loss:.4f}")
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
''')


def _r_load(recipe: Recipe) -> str:
    if recipe.dataset == "mnist":
        return "mnist <- dataset_mnist()"
    if recipe.dataset == "fashion_mnist":
        return "mnist <- dataset_fashion_mnist()  # Fashion-MNIST: ten kinds of clothing, in MNIST's shapes"
    return (f"# This network was trained on {recipe.data_title}: load those images here instead, as a list\n"
            "# with MNIST's layout ($train$x, $train$y, $test$x, $test$y; 28 x 28 images, labels 0 to 9).\n"
            "mnist <- dataset_mnist()")


def _python_load(recipe: Recipe) -> str:
    if recipe.dataset:
        return f"return keras.datasets.{recipe.dataset}.load_data()"
    title = recipe.data_title.replace("\\", "\\\\").replace('"', '\\"')
    return (f'raise SystemExit("This network was trained on {title}: give its images with '
            f'--data FILE.npz (x_train, y_train, x_test, y_test, as Keras\'s mnist.npz)")')


# ----- import ------------------------------------------------------------------------------------
def load_keras_weights(model, path) -> None:
    """Set ``model``'s weights from a ``.npz`` laid out as ``np.savez(path, *keras_model.get_weights())``
    writes it (what ``export_keras`` writes too). Every array is checked before any is used: a
    missing file raises ``FileNotFoundError``; any other problem ``ValueError`` naming the file and,
    for shapes, the first array that does not fit and the layer weight it was meant for."""
    path = Path(path)
    expected = [(layer.name, name, weight) for layer in model.layers
                for name, weight in zip(layer.all_weight_names, layer.all_weights)]
    wanted = [(f"the {name} of layer '{layer}'", weight.shape) for layer, name, weight in expected]
    weights = read_keras_weights(path, wanted)
    model.set_weights([w.astype(weight.dtype, copy=False) for w, (_, _, weight) in zip(weights, expected)])


def read_keras_weights(path, expected) -> list[np.ndarray]:
    """The arrays ``arr_0``, ``arr_1``... of ``path``, checked against ``expected``, a list of
    ``(what, shape)``: their number, then each shape (headers first, no data read before they
    all fit), their type (floats) and their values (finite)."""
    from engine.serialization import _open_archive, _read_array, _Refused

    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"No weights file at {path}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is not a weights file (.npz)")
    with open(path, "rb") as f:
        try:
            archive = _open_archive(f)
        except _Refused as reason:
            raise ValueError(f"{path} is not a weights file ({reason})") from None
        with archive:
            names = sorted(name.removesuffix(".npy") for name in archive.namelist())
            if "__model__" in names:
                raise ValueError(f"{path} is a whole model saved by model.save (architecture and weights), not "
                                 "Keras weights: load it as a model")
            arrays = [f"arr_{i}" for i in range(len(names))]
            if sorted(arrays) != names:
                raise ValueError(f"{path} does not hold weights as np.savez(path, *model.get_weights()) writes "
                                 f"them (arr_0, arr_1...); it holds {', '.join(names[:5]) or 'nothing'}")
            if len(arrays) != len(expected):
                raise ValueError(f"{path} holds {len(arrays)} weight arrays, but the model has {len(expected)}: "
                                 "it was saved from another architecture")
            try:
                for key, (what, shape) in zip(arrays, expected):
                    declared = _declared_shape(archive, key)
                    if declared != tuple(shape):
                        raise ValueError(f"{key} has shape {declared}, but the model needs {tuple(shape)} for "
                                         f"{what}: the weights were saved from another architecture")
                weights = [_read_array(archive, key, WEIGHT_DTYPES, 8 * math.prod(shape), shape)
                           for key, (_, shape) in zip(arrays, expected)]
            except ValueError as error:
                raise ValueError(f"{path}: {error}") from None
    for key, weight in zip(arrays, weights):
        if not np.isfinite(weight).all():
            raise ValueError(f"{path}: {key} holds NaN or infinite values (saved after training diverged?)")
    return weights


def _declared_shape(archive, key: str) -> tuple:
    """The shape in the ``.npy`` header of member ``key`` (nothing else is read)."""
    import zipfile
    import zlib

    try:
        with archive.open(f"{key}.npy") as member:
            version = np.lib.format.read_magic(member)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                raise ValueError(f"{key} is stored in an unknown .npy version {version}")
            return tuple(read_header(member)[0])
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as error:
        raise ValueError(f"{key} is damaged ({type(error).__name__})") from None

"""File > Export > Keras, and back (issue 11, section 2): the book's R listing, a Keras 3 script
that gives the engine's predictions, the weights in Keras's order, and their way back in."""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import engine
from engine import examples, keras_code, keras_export
from engine.__main__ import main
from engine.layers import (Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten,
                           MaxPooling2D)

BOOK_LISTING = """\
library(keras)

mnist <- dataset_mnist()
train_images <- mnist$train$x
train_labels <- mnist$train$y
test_images <- mnist$test$x
test_labels <- mnist$test$y

model <- keras_model_sequential() %>%
  layer_dense(units = 512, activation = "relu", input_shape = c(28 * 28)) %>%
  layer_dense(units = 10, activation = "softmax")

model %>% compile(
  optimizer = "rmsprop",
  loss = "categorical_crossentropy",
  metrics = c("accuracy")
)

train_images <- array_reshape(train_images, c(60000, 28 * 28))
train_images <- train_images / 255
test_images <- array_reshape(test_images, c(10000, 28 * 28))
test_images <- test_images / 255

train_labels <- to_categorical(train_labels)
test_labels <- to_categorical(test_labels)

model %>% fit(train_images, train_labels, epochs = 5, batch_size = 128)

metrics <- model %>% evaluate(test_images, test_labels, verbose = 0)
metrics
"""


@pytest.fixture(scope="module")
def sample():
    return engine.datasets.mnist.load_sample()


def chapter_network(sample, seed=0):
    """Chapter 2's network, trained for one epoch on 2,000 sample digits."""
    engine.utils.set_random_seed(seed)
    (x_train, y_train), _ = sample
    model = examples.dense_network()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(examples.images(x_train[:2000], "dense"), engine.utils.to_categorical(y_train[:2000], 10),
              epochs=1, batch_size=128, verbose=0)
    return model


def small_convnet(sample):
    """Convolutions, both poolings, BatchNormalization (moving statistics trained away from 0 and 1),
    Dropout and an Activation layer, trained for one epoch."""
    engine.utils.set_random_seed(1)
    (x_train, y_train), _ = sample
    model = engine.Sequential([
        Conv2D(6, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        BatchNormalization(momentum=0.9),
        MaxPooling2D((2, 2)),
        Conv2D(8, (3, 3), strides=(2, 2), padding="same"),
        Activation("relu"),
        AveragePooling2D((2, 2), padding="same"),
        Flatten(),
        Dropout(0.25),
        Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=engine.optimizers.Adam(learning_rate=0.003), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(examples.images(x_train[:1000], "convnet"), engine.utils.to_categorical(y_train[:1000], 10),
              epochs=1, batch_size=64, verbose=0)
    return model


# -- (a) the R script is the book's listing --------------------------------------------------------
def test_the_r_script_for_the_chapters_network_is_the_books_listing(sample, tmp_path):
    model = chapter_network(sample)
    keras_export.export_keras(model, tmp_path)
    script = (tmp_path / keras_export.R_SCRIPT).read_text()
    code = "\n".join(line for line in script.splitlines() if not line.startswith("#")) + "\n"
    assert code == BOOK_LISTING


def test_the_r_script_writes_a_convnet_and_a_recipe_as_the_book_would(sample):
    model = small_convnet(sample)
    recipe = keras_export.recipe_of(model, epochs=3, batch_size=64, validation_split=0.2)
    script = keras_export.r_script(model, recipe)
    assert 'layer_conv_2d(filters = 6, kernel_size = c(3, 3), activation = "relu", input_shape = c(28, 28, 1)) %>%' in script
    assert "layer_batch_normalization(momentum = 0.9) %>%" in script
    assert "layer_max_pooling_2d(pool_size = c(2, 2)) %>%" in script  # strides = the pool: not written
    assert 'layer_conv_2d(filters = 8, kernel_size = c(3, 3), strides = c(2, 2), padding = "same", activation = "linear")' in script
    assert 'layer_average_pooling_2d(pool_size = c(2, 2), padding = "same")' in script
    assert "optimizer = optimizer_adam(learning_rate = 0.003)," in script
    assert "array_reshape(train_images, c(60000, 28, 28, 1))" in script
    assert "epochs = 3, batch_size = 64, validation_split = 0.2" in script


def test_integer_labels_are_not_one_hot_encoded_for_the_sparse_loss(sample):
    model = examples.dense_network(16)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    recipe = keras_export.recipe_of(model)
    assert "to_categorical" not in keras_export.r_script(model, recipe)
    assert "to_categorical" not in keras_export.python_script(model, recipe)
    assert "optimizer = \"sgd\"" in keras_export.r_script(model, recipe)


def test_the_generator_writes_what_the_book_writes_and_leaves_keras_defaults_out():
    assert keras_code.arguments("MaxPooling2D", {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid",
                                                 "name": "max_pooling2d"}) == [("pool_size", (2, 2))]
    assert keras_code.arguments("MaxPooling2D", {"pool_size": [2, 2], "strides": [1, 1]}) == [
        ("pool_size", (2, 2)), ("strides", (1, 1))]
    assert keras_code.arguments("Dense", Dense(64, use_bias=False).get_config()) == [
        ("units", 64), ("activation", "linear"), ("use_bias", False)]
    assert keras_code.r_value(False) == "FALSE" and keras_code.python_value(False) == "False"
    assert keras_code.number_code(1e-07) == "1e-7" and keras_code.number_code(60000) == "60000"
    dense = [{"class_name": "Dense", "config": {"units": 10, "activation": "softmax"}}]
    assert keras_code.python_model(dense, (784,)).splitlines()[-1] == (
        'model.add(layers.Dense(10, activation="softmax", input_shape=(28 * 28,)))')
    assert keras_code.r_optimizer({"name": "RMSprop", "learning_rate": 0.001, "rho": 0.9}, always=()) == '"rmsprop"'
    assert keras_code.r_optimizer({"name": "SGD", "learning_rate": 0.01, "nesterov": True}) == (
        "optimizer_sgd(learning_rate = 0.01, nesterov = TRUE)")


# -- (b) the Python script -----------------------------------------------------------------------------
@pytest.mark.parametrize("build", [chapter_network, small_convnet])
def test_the_python_script_parses_and_imports_nothing_from_this_project(sample, tmp_path, build):
    keras_export.export_keras(build(sample), tmp_path)
    tree = ast.parse((tmp_path / keras_export.PYTHON_SCRIPT).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"argparse", "os", "numpy", "keras"}
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"build_model", "load_weights", "prepare", "spread_over_devices", "main"} <= functions


def test_the_python_script_builds_keras_3s_way(sample):
    model = chapter_network(sample)
    script = keras_export.python_script(model, keras_export.recipe_of(model))
    assert "keras.Input(shape=(28 * 28,))," in script and 'layers.Dense(512, activation="relu"),' in script
    assert 'model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])' in script
    assert "keras.distribution.DataParallel(devices=devices)" in script
    assert "keras.datasets.mnist.load_data()" in script and '"--data"' in script and '"--train"' in script


# -- (c) the weights, in Keras's order -----------------------------------------------------------------
def test_the_weights_are_get_weights_as_np_savez_writes_them(sample, tmp_path):
    model = small_convnet(sample)
    paths = keras_export.export_keras(model, tmp_path / "new folder")
    assert [p.name for p in paths] == [keras_export.R_SCRIPT, keras_export.PYTHON_SCRIPT, keras_export.WEIGHTS]
    with np.load(tmp_path / "new folder" / keras_export.WEIGHTS, allow_pickle=False) as archive:
        saved = [archive[f"arr_{i}"] for i in range(len(archive.files))]
    weights = model.get_weights()
    assert len(saved) == len(weights) == 2 + 4 + 2 + 2  # conv, BN (gamma, beta, moving mean and variance), conv, dense
    assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(saved, weights))
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "new folder").iterdir())


def test_importing_the_exported_weights_gives_exactly_the_same_predictions(sample, tmp_path):
    _, (x_test, _) = sample
    for model, kind in ((chapter_network(sample), "dense"), (small_convnet(sample), "convnet")):
        keras_export.export_keras(model, tmp_path / kind)
        fresh = engine.clone_model(model)  # same architecture, new random weights
        digits = examples.images(x_test[:100], kind)
        assert not np.array_equal(fresh.predict(digits), model.predict(digits))
        keras_export.load_keras_weights(fresh, tmp_path / kind / keras_export.WEIGHTS)
        assert np.array_equal(fresh.predict(digits), model.predict(digits))


def test_weights_for_another_architecture_are_refused_naming_the_first_shape_that_differs(sample, tmp_path):
    keras_export.export_keras(chapter_network(sample), tmp_path)
    weights = tmp_path / keras_export.WEIGHTS
    smaller = examples.dense_network(64)
    before = smaller.get_weights()
    with pytest.raises(ValueError) as refused:
        keras_export.load_keras_weights(smaller, weights)
    message = str(refused.value)
    assert "arr_0 has shape (784, 512), but the model needs (784, 64) for the kernel of layer 'dense'" in message
    assert str(weights) in message
    assert all(np.array_equal(a, b) for a, b in zip(smaller.get_weights(), before))  # nothing was changed
    with pytest.raises(ValueError, match="holds 4 weight arrays, but the model has 10"):
        keras_export.load_keras_weights(small_convnet(sample), weights)


def test_a_bad_weights_file_is_refused_in_one_clear_sentence(sample, tmp_path):
    model = examples.dense_network(16)
    with pytest.raises(FileNotFoundError, match="No weights file at"):
        keras_export.load_keras_weights(model, tmp_path / "missing.npz")
    (tmp_path / "noise.npz").write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="is not a weights file"):
        keras_export.load_keras_weights(model, tmp_path / "noise.npz")
    model.save(tmp_path / "model.npz")
    with pytest.raises(ValueError, match="is a whole model saved by model.save"):
        keras_export.load_keras_weights(model, tmp_path / "model.npz")
    np.savez(tmp_path / "named.npz", kernel=np.zeros((784, 16)), bias=np.zeros(16))
    with pytest.raises(ValueError, match=r"arr_0, arr_1\.\.\.\); it holds bias, kernel"):
        keras_export.load_keras_weights(model, tmp_path / "named.npz")
    diverged = [w.copy() for w in model.get_weights()]
    diverged[2][0, 0] = np.nan
    np.savez(tmp_path / "nan.npz", *diverged)
    with pytest.raises(ValueError, match="arr_2 holds NaN or infinite values"):
        keras_export.load_keras_weights(model, tmp_path / "nan.npz")
    np.savez(tmp_path / "ints.npz", *[w.astype(np.int32) for w in model.get_weights()])
    with pytest.raises(ValueError, match="arr_0 holds int32 values"):
        keras_export.load_keras_weights(model, tmp_path / "ints.npz")


def test_a_model_the_scripts_cannot_run_on_mnist_is_refused(tmp_path):
    tiny = engine.Sequential([Dense(3, input_shape=(5,))])
    with pytest.raises(ValueError, match="28 x 28 digits and 10 classes"):
        keras_export.export_keras(tiny, tmp_path)
    diverged = examples.dense_network(8)
    diverged.layers[0].kernel[0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        keras_export.export_keras(diverged, tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- the command line ------------------------------------------------------------------------------------
def test_export_keras_from_the_command_line_round_trips(sample, tmp_path, capsys):
    model = chapter_network(sample)
    model.save(tmp_path / "model.npz")
    out = tmp_path / "keras"
    assert main(["export-keras", str(tmp_path / "model.npz"), str(out), "--epochs", "2"]) == 0
    printed = capsys.readouterr().out
    assert all(f"Wrote {out / name}" in printed for name in (keras_export.R_SCRIPT, keras_export.PYTHON_SCRIPT,
                                                             keras_export.WEIGHTS))
    assert "epochs = 2, batch_size = 128" in (out / keras_export.R_SCRIPT).read_text()
    back = engine.load_model(tmp_path / "model.npz")
    engine.utils.set_random_seed(5)
    back.set_weights([np.zeros_like(w) for w in back.get_weights()])
    keras_export.load_keras_weights(back, out / keras_export.WEIGHTS)
    _, (x_test, _) = sample
    digits = examples.images(x_test[:100], "dense")
    assert np.array_equal(back.predict(digits), model.predict(digits))


@pytest.mark.parametrize("flags, r_line", [
    (["--dataset", "fashion_mnist"], "mnist <- dataset_fashion_mnist()"),
    (["--dataset", "own", "--data-name", "my letters"], "# This network was trained on my letters: load those"),
])
def test_export_keras_from_the_command_line_takes_the_data(tmp_path, capsys, flags, r_line):
    model = compiled_chapter_network()
    model.save(tmp_path / "model.npz")
    assert main(["export-keras", str(tmp_path / "model.npz"), str(tmp_path / "keras"), *flags]) == 0
    assert r_line in (tmp_path / "keras" / keras_export.R_SCRIPT).read_text()


def test_the_command_line_says_what_is_wrong_with_the_model_file(tmp_path, capsys):
    assert main(["export-keras", str(tmp_path / "missing.npz"), str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"error: No model file at {tmp_path / 'missing.npz'}\n"
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04 broken")
    assert main(["export-keras", str(tmp_path / "corrupt.npz"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "corrupt.npz" in err and "Traceback" not in err
    examples.dense_network(8).save(tmp_path / "model.npz")
    (tmp_path / "a file").write_text("")
    assert main(["export-keras", str(tmp_path / "model.npz"), str(tmp_path / "a file")]) == 2
    assert "it is a file, not a folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# -- with Keras: the exported script gives the engine's predictions ------------------------------------
def keras_backend() -> str:
    """The backend the Keras check runs on (KERAS_BACKEND, else the first one installed); skips
    when Keras is not installed (CI). Keras runs in a subprocess: importing it here would pick
    its backend for the whole test session (and load TensorFlow, JAX or PyTorch beside NumPy)."""
    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras is not installed (pip install keras and a backend to run this check)")
    backend = os.environ.get("KERAS_BACKEND") or next(
        (name for name in ("jax", "tensorflow", "torch") if importlib.util.find_spec(name)), None)
    if backend is None:
        pytest.skip("Keras is installed without a backend (jax, tensorflow or torch)")
    return backend


RUN_EXPORTED = """
import contextlib, importlib.util, io, json, sys
import numpy as np
script, digits, data, out = sys.argv[1:]
spec = importlib.util.spec_from_file_location("exported", script)
exported = importlib.util.module_from_spec(spec)
spec.loader.exec_module(exported)
model = exported.build_model()
exported.load_weights(model)
np.save(out, model.predict(exported.prepare(np.load(digits)), verbose=0))
printed = []
for argv in (["--data", data], ["--data", data, "--train", "--epochs", "1", "--save", out + ".trained.npz"]):
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
        exported.main(argv)
    printed.append(stdout.getvalue())
exported.spread_over_devices = lambda: 3  # as with DataParallel over 3 devices: batches they divide
with contextlib.redirect_stdout(io.StringIO()) as stdout:
    exported.main(["--data", data, "--train", "--epochs", "1", "--batch-size", "127"])
printed.append(stdout.getvalue())
print(json.dumps(printed))
"""


@pytest.mark.parametrize("build, kind", [(chapter_network, "dense"), (small_convnet, "convnet")])
def test_the_exported_script_gives_the_engines_predictions_in_keras(sample, tmp_path, build, kind):
    backend = keras_backend()
    (x_train, y_train), (x_test, y_test) = sample
    model = build(sample)
    keras_export.export_keras(model, tmp_path)
    np.save(tmp_path / "digits.npy", x_test[:100])
    np.savez(tmp_path / "mnist.npz", x_train=x_train[:256], y_train=y_train[:256], x_test=x_test[:100], y_test=y_test[:100])
    done = subprocess.run([sys.executable, "-c", RUN_EXPORTED, str(tmp_path / keras_export.PYTHON_SCRIPT),
                           str(tmp_path / "digits.npy"), str(tmp_path / "mnist.npz"), str(tmp_path / "keras.npy")],
                          capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": backend}, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = np.load(tmp_path / "keras.npy")
    ours = model.predict(examples.images(x_test[:100], kind))
    assert theirs.dtype == np.float32 and theirs.shape == ours.shape == (100, 10)
    np.testing.assert_allclose(theirs, ours, rtol=1e-5, atol=1e-6)  # float32 rounding (seen: 3e-7), summed in another order
    assert np.array_equal(theirs.argmax(axis=1), ours.argmax(axis=1))

    evaluated, trained, on_three_devices = json.loads(done.stdout.splitlines()[-1])
    loss, accuracy = model.evaluate(examples.images(x_test[:100], kind), engine.utils.to_categorical(y_test[:100], 10))
    assert f"test loss: {loss:.4f}" in evaluated and f"test accuracy: {accuracy:.4f}" in evaluated
    assert "test accuracy: " in trained and f"Saved the weights to {tmp_path / 'keras.npy'}.trained.npz" in trained
    assert "Evaluating on 99 of the 100 test digits (a multiple of 3 devices)" in on_three_devices
    keras_export.load_keras_weights(model, tmp_path / "keras.npy.trained.npz")  # Keras's weights come back in
    assert np.isfinite(model.predict(examples.images(x_test[:10], kind))).all()


def test_the_generator_and_the_export_need_no_qt():
    code = ("import sys, engine.keras_code, engine.keras_export, engine.__main__; "
            "assert not [m for m in sys.modules if m.startswith(('PySide6', 'playground', 'keras'))]")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def compiled_chapter_network():
    model = examples.dense_network()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    return model


@pytest.mark.parametrize("dataset, r_line, python_line", [
    ("mnist", "mnist <- dataset_mnist()", "return keras.datasets.mnist.load_data()"),
    ("fashion_mnist", "mnist <- dataset_fashion_mnist()", "return keras.datasets.fashion_mnist.load_data()"),
])
def test_the_scripts_load_the_data_the_network_was_trained_on(dataset, r_line, python_line):
    model = compiled_chapter_network()
    recipe = keras_export.Recipe(model.optimizer.get_config(), dataset=dataset)
    assert r_line in keras_export.r_script(model, recipe)
    python = keras_export.python_script(model, recipe)
    assert python_line in python and recipe.data_title in python
    ast.parse(python)


def test_a_network_trained_on_ones_own_images_asks_for_them_by_name():
    sample = compiled_chapter_network()
    recipe = keras_export.Recipe(sample.optimizer.get_config(), dataset="", data_name='my "animals"\n.npz')
    python = keras_export.python_script(sample, recipe)
    ast.parse(python)  # the name is quoted safely, on one line
    assert 'raise SystemExit("This network was trained on my \\"animals\\" .npz: give its images with --data' in python
    assert "# This network was trained on my \"animals\" .npz: load those images here" in keras_export.r_script(sample, recipe)
    with pytest.raises(ValueError, match="dataset must be one of"):
        keras_export.Recipe({}, dataset="cifar10")

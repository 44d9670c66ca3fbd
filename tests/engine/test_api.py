"""The engine's public face: importable without Qt, Keras's names, and the chapter's recipe.

The last test is chapter 2 of *Deep Learning with R* from start to finish, on the bundled MNIST
sample (6,000 training and 1,000 test digits): reshape and scale the images, one-hot encode the
labels, a 512-unit relu layer and a 10-way softmax, rmsprop, 5 epochs of batches of 128.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import backend
from engine.layers import Dense
from engine.utils import array_reshape, set_random_seed, to_categorical

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def float32():
    backend.set_floatx("float32")
    yield
    backend.set_floatx("float32")


def test_import_engine_does_not_import_qt():
    code = "import engine, engine.datasets.mnist, engine.gradcheck, sys; assert 'PySide6' not in sys.modules, 'PySide6 imported'"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_keras_names_are_where_the_book_uses_them():
    for name in engine.__all__:
        assert hasattr(engine, name), name
    assert engine.Sequential is engine.models.Sequential
    assert engine.load_model and engine.clone_model
    for name in ("Dense", "Dropout", "Flatten", "Activation"):
        assert hasattr(engine.layers, name)
    for name in ("SGD", "RMSprop", "Adam", "Adagrad", "get"):
        assert hasattr(engine.optimizers, name)
    for name in ("History", "EarlyStopping", "LambdaCallback", "TerminateOnNaN", "Callback"):
        assert hasattr(engine.callbacks, name)
    for name in ("to_categorical", "array_reshape", "set_random_seed"):
        assert callable(getattr(engine.utils, name))
    assert callable(engine.datasets.mnist.load_data) and callable(engine.datasets.mnist.load_sample)
    assert isinstance(engine.__version__, str)


def test_float32_is_the_default_everywhere():
    assert backend.floatx() == "float32"
    model = engine.Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(6, 3))  # float64 data is converted
    model.fit(x, [0, 1, 0, 1, 0, 1], epochs=1, verbose=0)
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert all(g.dtype == np.float32 for layer in model.layers for g in layer.grads)
    assert model.predict(x).dtype == np.float32
    assert model.predict(x.astype(np.uint8)).dtype == np.float32


def test_the_chapter_recipe_on_the_bundled_sample(monkeypatch):
    monkeypatch.delenv("PLAYGROUND_SAMPLE", raising=False)
    set_random_seed(42)
    (train_images, train_labels), (test_images, test_labels) = engine.datasets.mnist.load_sample()
    assert train_images.shape == (6000, 28, 28) and test_images.shape == (1000, 28, 28)

    train_images = array_reshape(train_images, (6000, 28 * 28)).astype("float32") / 255
    test_images = array_reshape(test_images, (1000, 28 * 28)).astype("float32") / 255
    train_labels = to_categorical(train_labels)
    test_labels = to_categorical(test_labels)

    network = engine.Sequential([
        Dense(512, activation="relu", input_shape=(28 * 28,)),
        Dense(10, activation="softmax"),
    ])
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    assert network.count_params() == 407_050

    history = network.fit(train_images, train_labels, epochs=5, batch_size=128, verbose=0)

    losses = history.history["loss"]
    assert len(losses) == 5 and all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert history.history["accuracy"][-1] > 0.9
    assert network.stop_reason == "completed"

    test_loss, test_accuracy = network.evaluate(test_images, test_labels)
    assert test_accuracy > 0.90, test_accuracy
    assert test_loss < 0.4

    predictions = network.predict(test_images[:10])
    assert predictions.shape == (10, 10) and predictions.dtype == np.float32
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
    assert network.predict_classes(test_images[:10]).shape == (10,)
    assert all(w.dtype == np.float32 for w in network.get_weights())


def test_a_network_built_ahead_trains_exactly_as_one_built_just_before_fit():
    """The app builds the next seeded network while the learner is still deciding; the random
    state taken after that build puts the engine back where a build at the press of Train would
    have left it, Dropout's generator included."""
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 6), dtype=np.float32), rng.integers(0, 3, 64)

    def built(seed):
        set_random_seed(seed)
        model = engine.Sequential([Dense(8, activation="relu", input_shape=(6,)), engine.layers.Dropout(0.5),
                                   Dense(3, activation="softmax")])
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
        return model

    def trained(model):
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        return model.get_weights()

    just_before = trained(built(7))

    ahead = built(7)
    after_building = engine.utils.get_random_state()
    set_random_seed(99)  # meanwhile, the rest of the app draws random numbers of its own
    backend.rng().random(5), np.random.random(3)
    engine.utils.set_random_state(after_building)
    for expected, got in zip(just_before, trained(ahead)):
        np.testing.assert_array_equal(got, expected)

    not_restored = built(7)
    set_random_seed(99)
    assert any(not np.array_equal(a, b) for a, b in zip(just_before, trained(not_restored)))


@pytest.mark.parametrize("optimizer", ["sgd", engine.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                                       "rmsprop", "adam", "adagrad"])
def test_training_goes_on_in_another_model_from_the_weights_and_the_optimizers_state(optimizer):
    """What the app's training process does: the weights, ``optimizer.get_state()`` and the
    random state carried into a model rebuilt from its config train on exactly as the original."""
    rng = np.random.default_rng(1)
    x, y = rng.random((48, 5), dtype=np.float32), rng.integers(0, 3, 48)

    def built():
        set_random_seed(3)
        model = engine.Sequential([Dense(8, activation="relu", input_shape=(5,)), engine.layers.Dropout(0.3),
                                   Dense(3, activation="softmax")])
        model.compile(optimizer=engine.optimizers.get(optimizer) if isinstance(optimizer, str) else
                      engine.optimizers.deserialize(optimizer.get_config()), loss="sparse_categorical_crossentropy")
        return model

    in_one_go = built()
    in_one_go.fit(x, y, batch_size=16, epochs=2, verbose=0)

    first = built()
    first.fit(x, y, batch_size=16, epochs=1, verbose=0)
    state, random_state = first.optimizer.get_state(), engine.utils.get_random_state()
    assert state["iterations"] == 3 and len(state["slots"]) == len(first.trainable_weights)
    engine.utils.set_random_seed(42)  # the other place has random numbers of its own...
    engine.utils.set_random_state(random_state)  # ...so its Dropout must be built holding the carried generator
    elsewhere = engine.Sequential.from_config(first.get_config())
    elsewhere.set_weights(first.get_weights())
    elsewhere.compile(optimizer=engine.optimizers.deserialize(first.optimizer.get_config()),
                      loss="sparse_categorical_crossentropy")
    elsewhere.optimizer.set_state(state, elsewhere.trainable_weights)
    engine.utils.set_random_state(random_state)  # back where it stood: building drew the initial weights
    elsewhere.fit(x, y, batch_size=16, epochs=2, initial_epoch=1, verbose=0)

    assert elsewhere.optimizer.iterations == in_one_go.optimizer.iterations == 6
    for expected, got in zip(in_one_go.get_weights(), elsewhere.get_weights()):
        np.testing.assert_array_equal(got, expected)


def test_an_optimizer_state_that_does_not_fit_the_weights_is_refused():
    model = engine.Sequential([Dense(4, input_shape=(3,))])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 4), np.float32), verbose=0)
    state = model.optimizer.get_state()
    other = engine.Sequential([Dense(5, input_shape=(3,))])
    other.compile(optimizer="adam", loss="mse")
    other.build()
    with pytest.raises(ValueError, match="does not fit these weights"):
        other.optimizer.set_state(state, other.trainable_weights)
    fresh = engine.Sequential([Dense(4, input_shape=(3,))])
    fresh.compile(optimizer="adam", loss="mse")
    fresh.optimizer.set_state({"iterations": 0, "slots": None}, fresh.trainable_weights)
    assert fresh.optimizer.get_state() == {"iterations": 0, "slots": None}

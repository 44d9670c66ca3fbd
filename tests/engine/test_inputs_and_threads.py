"""The app predicts from its UI thread while a worker evaluates: one model, two threads."""
import threading

import numpy as np

import engine
from engine.layers import Dense


def test_two_threads_can_predict_with_one_model_at_once():
    engine.utils.set_random_seed(0)
    model = engine.Sequential([Dense(64, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])
    rng = np.random.default_rng(0)
    a, b = rng.random((500, 784), dtype=np.float32), rng.random((1, 784), dtype=np.float32)
    expected_a, expected_b = model.predict(a, batch_size=100), model.predict(b)
    results, errors = {"a": [], "b": []}, []

    def run(name, x, batch_size):
        try:
            for _ in range(100):
                results[name].append(model.predict(x, batch_size=batch_size))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=("a", a, 100)), threading.Thread(target=run, args=("b", b, 32))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(np.array_equal(r, expected_a) for r in results["a"])
    assert all(np.array_equal(r, expected_b) for r in results["b"])


def test_flat_images_feed_a_model_that_starts_with_flatten():
    """The book reshapes to (n, 784) itself; a model that flattens (28, 28) accepts either form."""
    engine.utils.set_random_seed(0)
    model = engine.Sequential([engine.layers.Flatten(input_shape=(28, 28)), Dense(10, activation="softmax")])
    images = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    assert np.array_equal(model.predict(images), model.predict(images.reshape(4, 784)))

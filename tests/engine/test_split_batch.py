"""The ``split_batch`` strategy: pieces of each batch train at once, through replicas of the model.

It must be invisible except in speed: the convnet trains to the serial step's weights (to float32
rounding), a seed gives identical runs, a NaN batch updates nothing, another thread may predict
meanwhile, Ctrl+C leaves a model that trains, and models it cannot split (BatchNormalization,
Dropout, the chapter's Dense network) are refused with the reason.
"""
from __future__ import annotations

import faulthandler
import math
import os
import signal
import threading

import numpy as np
import pytest

import engine
from engine import blas, examples, ops, strategies
from engine.callbacks import Callback, LambdaCallback
from engine.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from engine.strategies.split_batch import SplitBatch
from engine.utils import set_random_seed, to_categorical

split_batch_here = pytest.mark.skipif(
    not SplitBatch().supports(examples.convnet())[0], reason="needs two cores and an OpenBLAS whose thread count can be set")


def images(n=256, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28, 1), dtype=np.float32), to_categorical(rng.integers(0, 10, n), 10)


def convnet(**compile_kwargs):
    model = examples.convnet()
    model.compile(**{"optimizer": "rmsprop", "loss": "categorical_crossentropy", "metrics": ["accuracy"], **compile_kwargs})
    return model


def train(name, monkeypatch, data=None, callbacks=(), seed=0, **fit_kwargs):
    monkeypatch.setenv("ENGINE_STRATEGY", name)
    set_random_seed(seed)
    model = convnet()
    x, y = data if data is not None else images()
    seen = []
    record = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(ops.strategy().name))
    history = model.fit(x, y, **{"batch_size": 64, "epochs": 2, "verbose": 0, **fit_kwargs},
                        callbacks=[record, *callbacks])
    return model, history, seen


# ----- choosing -----------------------------------------------------------------------------
@split_batch_here
def test_split_batch_is_chosen_for_the_convnet_and_two_threads_for_the_chapter_network(monkeypatch):
    monkeypatch.delenv("ENGINE_STRATEGY", raising=False)
    strategy, why = strategies.choose(convnet())
    assert strategy.name == "split_batch" and "replica" in why
    chapter = examples.dense_network()
    chapter.compile("rmsprop", "categorical_crossentropy")
    strategy, why = strategies.choose(chapter)
    assert strategy.name != "split_batch"
    assert "not split_batch: its layers compute 522 values per sample, too few beside the 407,050 weights" in why


@pytest.mark.parametrize("layer, reason", [(BatchNormalization(), "BatchNormalization needs the whole batch"),
                                           (Dropout(0.5), "Dropout's random masks")])
def test_a_layer_that_needs_the_whole_batch_is_refused_and_fit_says_why(layer, reason, monkeypatch, capsys):
    model = engine.Sequential([Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)), layer,
                               MaxPooling2D(), Flatten(), Dense(10, activation="softmax")])
    model.compile("rmsprop", "categorical_crossentropy")
    ok, why = SplitBatch().supports(model)
    assert not ok and reason in why
    monkeypatch.setenv("ENGINE_STRATEGY", "split_batch")
    x, y = images(64)
    model.fit(x, y, batch_size=32, epochs=1, verbose=1)
    assert f"ENGINE_STRATEGY=split_batch is not possible here (the batch cannot be split: {reason}" in capsys.readouterr().out


def test_a_tiny_model_is_not_worth_splitting():
    model = engine.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    ok, why = SplitBatch().supports(model)
    assert not ok and "too little work to share" in why


# ----- the same numbers ---------------------------------------------------------------------
@split_batch_here
def test_the_convnet_trains_like_serial(monkeypatch):
    (split, split_history, seen), (serial, serial_history, _) = (
        train("split_batch", monkeypatch), train("serial", monkeypatch))
    assert set(seen) == {"split_batch"}
    for a, b in zip(split.get_weights(), serial.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    for key in serial_history.history:
        np.testing.assert_allclose(split_history.history[key], serial_history.history[key], rtol=1e-4)


@split_batch_here
def test_one_step_gives_the_serial_gradients():
    x, y = images(64)
    grads = []
    for strategy in (SplitBatch(), strategies.get("serial")):
        set_random_seed(0)
        model = convnet(optimizer="sgd")  # lr 0.01: the step is the gradient, scaled
        before = model.get_weights()
        with strategy.running():
            strategy.train_step(model, x, model._targets(y, len(x)))
        grads.append([b - a for a, b in zip(model.get_weights(), before)])
    for split, serial in zip(*grads):
        np.testing.assert_allclose(split, serial, rtol=1e-4, atol=1e-7)


@split_batch_here
def test_the_same_seed_gives_identical_runs_and_uneven_batches_train(monkeypatch):
    data = images(250)  # batches of 64, 64, 64 and 58: pieces of 16 and of 14 or 15
    first, second = train("split_batch", monkeypatch, data=data)[0], train("split_batch", monkeypatch, data=data)[0]
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


# ----- what a user can do during training ---------------------------------------------------
@split_batch_here
def test_a_nan_in_one_piece_updates_nothing(monkeypatch):
    x, y = images(256)
    x[64 + 50] = np.nan  # the second batch's fourth piece
    before = []

    class Record(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            before.append(self.model.get_weights())

    model, history, _ = train("split_batch", monkeypatch, data=(x, y), shuffle=False, callbacks=[Record()], epochs=1)
    assert model.stop_reason == "nan" and "NaN" in model.stop_message
    assert len(before) == 2
    for now, then in zip(model.get_weights(), before[-1]):
        np.testing.assert_array_equal(now, then)
    assert all(math.isfinite(v) for v in history.history.get("loss", []))


@split_batch_here
def test_another_thread_may_predict_and_a_callback_may_set_weights_during_fit(monkeypatch):
    x, y = images(256)
    answers, errors = [], []

    def meddle(model):
        def on_batch_end(batch, logs):
            def predict():
                try:
                    answers.append((ops.strategy().name, model.predict(x[:5])))
                except Exception as error:  # pragma: no cover - reported below
                    errors.append(error)
            thread = threading.Thread(target=predict)
            thread.start()
            thread.join()
            if batch == 1:
                model.set_weights([w * 0.5 for w in model.get_weights()])
        return on_batch_end

    results = []
    for name in ("split_batch", "serial"):
        monkeypatch.setenv("ENGINE_STRATEGY", name)
        set_random_seed(0)
        model = convnet()
        model.fit(x, y, batch_size=64, epochs=1, verbose=0, callbacks=[LambdaCallback(on_train_batch_end=meddle(model))])
        results.append(model.get_weights())
    assert not errors and len(answers) == 8
    assert all(name == "serial" and a.shape == (5, 10) and np.allclose(a.sum(axis=1), 1, atol=1e-5) for name, a in answers)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.fixture
def hang_watchdog():
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@split_batch_here
@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread")
def test_ctrl_c_at_random_moments_leaves_a_model_that_trains(monkeypatch, hang_watchdog):
    monkeypatch.setenv("ENGINE_STRATEGY", "split_batch")
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = images(256)
    model = convnet()
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)  # warm up: the first fit builds everything
    threads_before, alive_before = blas.threads(), threading.active_count()
    for trial in range(8):
        timer = threading.Timer(rng.uniform(0.0, 0.15), os.kill, (os.getpid(), signal.SIGINT))
        with pytest.raises(KeyboardInterrupt):
            timer.start()
            model.fit(x, y, batch_size=32, epochs=10_000, verbose=0)  # only Ctrl+C ends it
        timer.join()
        assert threading.active_count() == alive_before, f"trial {trial}: a thread was left behind"
        assert blas.threads() == threads_before
        before = model.get_weights()
        model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)
        after = model.get_weights()
        assert all(np.isfinite(w).all() for w in after)
        assert all(not np.array_equal(a, b) for a, b in zip(before, after)), f"trial {trial}: a weight did not move"

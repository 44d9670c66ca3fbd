"""Training on two cores (engine.parallel) gives the same numbers as training on one.

The chapter's 784 x 512 kernel is big enough to be shared with a helper thread: each thread
multiplies by half of its rows and updates those rows. These tests train such networks both
ways (``ENGINE_THREADS=1`` turns the helper off) and check that nothing a user can see differs:
weights, history, NaN handling, callbacks that change weights, predictions from other threads,
errors, and the BLAS thread setting afterwards.

On Linux x86-64 ``fit`` prefers a second *process* (``engine.second_process``, tested in
``test_second_process.py``); here ``ENGINE_PROCESSES=0`` keeps it to the helper thread.
"""
from __future__ import annotations

import math
import os
import threading
import time

import numpy as np
import pytest

import engine
from engine import blas, parallel
from engine.batches import BatchFeeder
from engine.callbacks import Callback, LambdaCallback
from engine.layers import Dense, Flatten
from engine.utils import set_random_seed, to_categorical

@pytest.fixture(autouse=True)
def threads_not_processes(monkeypatch):
    monkeypatch.setenv("ENGINE_PROCESSES", "0")


two_cores = pytest.mark.skipif(
    not (parallel.enabled() and blas.available()),
    reason="needs two cores and an OpenBLAS whose thread count can be set",
)


def digits_like(n=600, shape=(784,), seed=1):
    rng = np.random.default_rng(seed)
    x = rng.random((n, *shape), dtype=np.float32)
    return x, to_categorical(rng.integers(0, 10, n), 10)


def chapter_network(extra_hidden=False, flatten=False, optimizer="rmsprop"):
    layers = [Flatten(input_shape=(28, 28)), Dense(512, activation="relu")] if flatten else [
        Dense(512, activation="relu", input_shape=(784,))]
    if extra_hidden:
        layers.append(Dense(512, activation="relu"))  # 262,144 weights: shared too, and it needs dL/dinput
    layers.append(Dense(10, activation="softmax"))
    model = engine.Sequential(layers)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


class HelperSeen(Callback):
    """Records whether the big layers were sharing their work while batches trained."""

    def __init__(self):
        super().__init__()
        self.helped = []

    def on_train_batch_end(self, batch, logs=None):
        self.helped.append([layer.units for layer in self.model._step.helped])


def train(threads, monkeypatch, *, model_kwargs=None, data=None, callbacks=(), **fit_kwargs):
    monkeypatch.setenv("ENGINE_THREADS", threads)
    set_random_seed(0)
    model = chapter_network(**(model_kwargs or {}))
    x, y = data if data is not None else digits_like()
    seen = HelperSeen()
    fit = {"batch_size": 128, "epochs": 2, "verbose": 0, **fit_kwargs}
    history = model.fit(x, y, callbacks=[seen, *callbacks], **fit)
    return model, history, seen


def assert_same_training(a, b):
    (model_a, history_a, _), (model_b, history_b, _) = a, b
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    assert history_a.history.keys() == history_b.history.keys()
    for key in history_a.history:
        np.testing.assert_allclose(history_a.history[key], history_b.history[key], rtol=1e-5)


# ----- the same numbers ---------------------------------------------------------------------
@two_cores
@pytest.mark.parametrize("model_kwargs", [{}, {"extra_hidden": True}, {"flatten": True}, {"optimizer": "adam"}])
def test_two_cores_train_exactly_like_one(model_kwargs, monkeypatch):
    data = digits_like(shape=(28, 28)) if model_kwargs.get("flatten") else digits_like()
    both = train("2", monkeypatch, model_kwargs=model_kwargs, data=data, validation_split=0.1)
    one = train("1", monkeypatch, model_kwargs=model_kwargs, data=data, validation_split=0.1)
    shared = [512, 512] if model_kwargs.get("extra_hidden") else [512]
    assert both[2].helped and all(units == shared for units in both[2].helped)
    assert all(units == [] for units in one[2].helped)
    assert_same_training(both, one)


@two_cores
def test_a_layer_so_wide_that_its_bias_is_split_too(monkeypatch):
    """131,072 units: the bias is itself cut in halves, so it cannot ride in the helper's term."""
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 4), dtype=np.float32), to_categorical(rng.integers(0, 2, 64), 2)
    weights = []
    for threads in ("2", "1"):
        monkeypatch.setenv("ENGINE_THREADS", threads)
        set_random_seed(0)
        model = engine.Sequential([Dense(1 << 17, activation="relu", input_shape=(4,), bias_initializer="ones"),
                                   Dense(2, activation="softmax")])
        model.compile(optimizer="sgd", loss="categorical_crossentropy")
        seen = HelperSeen()
        model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[seen])
        assert seen.helped[0] == ([1 << 17, 2] if threads == "2" else [])  # both kernels are big
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@two_cores
def test_the_same_seed_gives_identical_runs_on_two_cores(monkeypatch):
    first = train("2", monkeypatch)
    second = train("2", monkeypatch)
    for a, b in zip(first[0].get_weights(), second[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert first[1].history == second[1].history


@two_cores
def test_unshuffled_and_uneven_batches(monkeypatch):
    data = digits_like(n=300)  # batches of 128, 128 and 44
    assert_same_training(train("2", monkeypatch, data=data, shuffle=False, batch_size=128),
                         train("1", monkeypatch, data=data, shuffle=False, batch_size=128))
    assert_same_training(train("2", monkeypatch, data=data, batch_size=128),
                         train("1", monkeypatch, data=data, batch_size=128))


# ----- what a user can do during training ---------------------------------------------------
@two_cores
def test_a_nan_batch_updates_nothing_on_two_cores(monkeypatch):
    x, y = digits_like(n=512)
    x[300] = np.nan  # the third batch (samples 256..383) is poisoned
    before = []

    class Record(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            before.append(self.model.get_weights())

    model, history, seen = train("2", monkeypatch, data=(x, y), shuffle=False, callbacks=[Record()], epochs=1)
    assert model.stop_reason == "nan" and "NaN" in model.stop_message
    assert len(before) == 3 and seen.helped
    for now, then in zip(model.get_weights(), before[-1]):
        np.testing.assert_array_equal(now, then)
    assert all(math.isfinite(v) for v in history.history.get("loss", []))


@two_cores
def test_weights_set_by_a_callback_are_used_by_the_next_batch(monkeypatch):
    """The first layer computes the next batch's product ahead of time; set_weights must undo that."""

    def shrink(model):
        def on_batch_end(batch, logs):
            if batch == 1:
                model.set_weights([w * 0.5 for w in model.get_weights()])
        return on_batch_end

    results = []
    for threads in ("2", "1"):
        monkeypatch.setenv("ENGINE_THREADS", threads)
        set_random_seed(0)
        model = chapter_network()
        x, y = digits_like()
        model.fit(x, y, batch_size=128, epochs=1, verbose=0,
                  callbacks=[LambdaCallback(on_train_batch_end=shrink(model))])
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@two_cores
def test_a_callback_may_evaluate_and_train_on_a_batch_during_a_two_core_fit(monkeypatch):
    x, y = digits_like()
    results = []
    for threads in ("2", "1"):
        monkeypatch.setenv("ENGINE_THREADS", threads)
        set_random_seed(0)
        model = chapter_network()
        scores = []

        class Meddle(Callback):
            def on_train_batch_end(self, batch, logs=None):
                if batch == 1:
                    scores.append(self.model.evaluate(x[:64], y[:64], batch_size=32))
                    scores.append(self.model.train_on_batch(x[:32], y[:32]))

        model.fit(x, y, batch_size=128, epochs=1, verbose=0, callbacks=[Meddle()])
        results.append((model.get_weights(), scores))
    (weights_2, scores_2), (weights_1, scores_1) = results
    np.testing.assert_allclose(np.ravel(scores_2), np.ravel(scores_1), rtol=1e-5)
    for a, b in zip(weights_2, weights_1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@two_cores
def test_another_thread_may_predict_while_two_cores_train(monkeypatch):
    x, y = digits_like()
    answers, errors = [], []

    def predict_elsewhere(model):
        def on_batch_end(batch, logs):
            def predict():
                try:
                    answers.append(model.predict(x[:5]))
                except Exception as error:  # pragma: no cover - reported below
                    errors.append(error)
            thread = threading.Thread(target=predict)
            thread.start()
            thread.join()
        return on_batch_end

    monkeypatch.setenv("ENGINE_THREADS", "2")
    set_random_seed(0)
    model = chapter_network()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0, callbacks=[LambdaCallback(on_train_batch_end=predict_elsewhere(model))])
    assert not errors and len(answers) == 5
    assert all(a.shape == (5, 10) and np.allclose(a.sum(axis=1), 1, atol=1e-5) for a in answers)
    plain = train("1", monkeypatch, epochs=1)[0]
    for a, b in zip(model.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@two_cores
def test_stop_training_and_errors_leave_the_engine_ready_for_the_next_fit(monkeypatch):
    threads_before = blas.threads()

    class Boom(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        train("2", monkeypatch, callbacks=[Boom()])
    assert blas.threads() == threads_before

    class Stop(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    model, history, seen = train("2", monkeypatch, callbacks=[Stop()])
    assert model.stop_reason == "stopped" and len(seen.helped) == 2
    assert blas.threads() == threads_before
    assert all(layer._helper is None for layer in model.layers if isinstance(layer, Dense))
    assert_same_training(train("2", monkeypatch), train("1", monkeypatch))


@two_cores
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_trains_with_its_own_helper(monkeypatch):
    """A process forked after training (multiprocessing's default on Linux) has no helper threads:
    it must start its own instead of waiting for the parent's forever."""
    train("2", monkeypatch, epochs=1)  # leaves an idle helper in the pool
    pid = os.fork()
    if pid == 0:  # the child: train again, then report through the exit status
        code = 1
        try:
            model, _, seen = train("2", monkeypatch, epochs=1)
            code = 0 if seen.helped and seen.helped[0] == [512] else 2
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child hung")


# ----- the pieces ---------------------------------------------------------------------------
@pytest.mark.skipif(not blas.available(), reason="no OpenBLAS whose thread count can be set")
def test_single_threaded_blas_is_counted_and_restored():
    before = blas.threads()
    with blas.single_threaded() as applied:
        assert applied and blas.threads() == 1
        with blas.single_threaded():
            assert blas.threads() == 1
        assert blas.threads() == 1  # the outer user still holds it
        inner_done = threading.Event()

        def elsewhere():
            with blas.single_threaded():
                pass
            inner_done.set()

        threading.Thread(target=elsewhere).start()
        assert inner_done.wait(5)
        assert blas.threads() == 1
    assert blas.threads() == before


def test_pair_runs_the_halves_on_two_threads():
    seen = {}
    with parallel.borrowed_helper() as helper:
        helper.pair(lambda: seen.setdefault("here", threading.get_ident()),
                    lambda: seen.setdefault("there", threading.get_ident()))
    assert seen["here"] == threading.get_ident() and seen["there"] != seen["here"]


@pytest.mark.parametrize("side", ["here", "there", "submitted"])
def test_pair_raises_an_error_from_either_side_after_both_finish(side):
    finished = []

    def fail():
        raise ValueError(side)

    def slow():
        threading.Event().wait(0.05)
        finished.append(True)

    with parallel.borrowed_helper() as helper:
        if side == "submitted":
            helper.submit(fail)
        with pytest.raises(ValueError, match=side):
            helper.pair(fail if side == "here" else slow, fail if side == "there" else slow)
        assert finished  # the other half ran to its end before the error came out
        helper.pair(lambda: None, lambda: None)  # and the helper is still usable


def test_batches_visit_every_sample_once_per_epoch():
    x = np.arange(10 * 3, dtype=np.float32).reshape(10, 3)
    y = np.arange(10)
    feeder = BatchFeeder(x, y, batch_size=4)
    order = np.random.default_rng(0).permutation(10)
    feeder.start_epoch(order)
    seen = []
    for step in range(feeder.steps):
        task = feeder.gather_later(step + 1)  # as fit does: the next batch on another thread
        thread = threading.Thread(target=task) if task else None
        if thread:
            thread.start()
        xb, yb = feeder.batch(step)
        np.testing.assert_array_equal(xb[:, 0] / 3, yb)
        seen += yb.tolist()
        if thread:
            thread.join()
    assert sorted(seen) == list(range(10)) and seen == order.tolist()
    assert [len(feeder.batch(s)[0]) for s in range(feeder.steps)] == [4, 4, 2]
    feeder.start_epoch(None)
    np.testing.assert_array_equal(feeder.batch(2)[1], [8, 9])

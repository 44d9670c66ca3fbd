"""The opt-in ``two_processes`` strategy: half of the first layer's rows in a forked process.

It must train exactly like the serial step (to float32 rounding), follow the optimizer's
hyperparameters when a callback changes them, leave no process behind, and say clearly when the
second process dies.
"""
from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pytest

import engine
from engine import strategies
from engine.callbacks import Callback
from engine.layers import Dense
from engine.strategies.shared_memory import is_shared
from engine.strategies.two_processes import SecondProcessError, TwoProcesses
from engine.utils import set_random_seed, to_categorical
from tests.engine.test_interrupts import children

pytestmark = pytest.mark.skipif(not TwoProcesses().supports(engine.Sequential([Dense(512, input_shape=(784,))]))[0],
                                reason="two_processes is not possible on this machine")


def chapter_network(optimizer="rmsprop"):
    set_random_seed(0)
    model = engine.Sequential([Dense(512, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def digits(n=640, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), to_categorical(rng.integers(0, 10, n), 10)


def trained(strategy_name, monkeypatch, optimizer="rmsprop", callbacks=(), **fit_args):
    monkeypatch.setenv("ENGINE_STRATEGY", strategy_name)
    model = chapter_network(optimizer)
    x, y = digits()
    history = model.fit(x, y, batch_size=64, epochs=2, verbose=0, callbacks=list(callbacks), **fit_args)
    return model, history


class SeesChildren(Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(len(children()))


@pytest.mark.parametrize("optimizer", ["rmsprop", "adam", "sgd"])
def test_it_trains_like_the_serial_step_with_a_second_process_that_then_ends(optimizer, monkeypatch):
    watcher = SeesChildren()
    got, history = trained("two_processes", monkeypatch, optimizer, callbacks=[watcher])
    want, _ = trained("serial", monkeypatch, optimizer)
    assert history.params["strategy"] == "two_processes"
    assert min(watcher.seen) == 1, "no second process ran during fit"
    assert children() == []
    for a, b in zip(got.get_weights(), want.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert is_shared(got.layers[0].kernel) and got.layers[0].kernel is got.weights[0]


def test_the_second_process_follows_a_learning_rate_a_callback_changes(monkeypatch):
    class Halve(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.optimizer.learning_rate /= 2

    got, _ = trained("two_processes", monkeypatch, callbacks=[Halve()])
    want, _ = trained("serial", monkeypatch, callbacks=[Halve()])
    for a, b in zip(got.get_weights(), want.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_validation_batches_larger_than_the_shared_room_are_multiplied_here(monkeypatch):
    got, history = trained("two_processes", monkeypatch, validation_split=0.5)
    want, _ = trained("serial", monkeypatch, validation_split=0.5)
    assert np.isclose(history.history["val_loss"][-1], _.history["val_loss"][-1], rtol=1e-4)
    for a, b in zip(got.get_weights(), want.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_a_second_process_that_dies_is_reported_and_the_model_trains_on(monkeypatch):
    class Kill(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                for pid in children():
                    os.kill(pid, signal.SIGKILL)

    monkeypatch.setenv("ENGINE_STRATEGY", "two_processes")
    model = chapter_network()
    x, y = digits()
    with pytest.raises(SecondProcessError, match="died"):
        model.fit(x, y, batch_size=64, epochs=1, verbose=0, callbacks=[Kill()])
    assert children() == []
    before = model.get_weights()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_it_says_why_it_cannot_run_on_a_worker_thread_or_for_a_small_first_layer():
    model = chapter_network()
    answers = []
    worker = threading.Thread(target=lambda: answers.append(TwoProcesses().supports(model)))
    worker.start()
    worker.join()
    assert answers[0][0] is False and "thread other than the main one" in answers[0][1]
    small = engine.Sequential([Dense(8, input_shape=(4,)), Dense(2, activation="softmax")])
    ok, why = TwoProcesses().supports(small)
    assert not ok and "fewer than" in why


def test_it_is_opt_in():
    assert "two_processes" in strategies.names()
    assert "two_processes" not in strategies.PREFERENCE


def test_a_callback_that_writes_the_kernel_between_steps_is_seen_by_the_next_step(monkeypatch):
    class Shrink(Callback):  # between two steps, while the second process makes its half ahead
        def on_train_batch_end(self, batch, logs=None):
            if batch in (1, 4):
                weights = self.model.get_weights()
                self.model.set_weights([weights[0] * 0.5, *weights[1:]])

    got, _ = trained("two_processes", monkeypatch, callbacks=[Shrink()])
    want, _ = trained("serial", monkeypatch, callbacks=[Shrink()])
    for a, b in zip(got.get_weights(), want.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_unshuffled_batches_and_a_last_smaller_batch_train_like_the_serial_step(monkeypatch):
    monkeypatch.setenv("ENGINE_STRATEGY", "two_processes")
    got = chapter_network()
    x, y = digits(n=600)
    got.fit(x, y, batch_size=64, epochs=2, verbose=0, shuffle=False)
    monkeypatch.setenv("ENGINE_STRATEGY", "serial")
    want = chapter_network()
    want.fit(x, y, batch_size=64, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(got.get_weights(), want.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("samples", [640, 704])  # 10 batches of 64, and 11: the next epoch's first
def test_epochs_whose_first_batch_reuses_the_last_batchs_buffer_train_like_the_serial_step(samples, monkeypatch):
    # batch fills the buffer the last one of the epoch before used (same address, same size)
    x, y = digits(n=samples)
    weights = {}
    for name in ("two_processes", "serial"):
        monkeypatch.setenv("ENGINE_STRATEGY", name)
        model = chapter_network()
        model.fit(x, y, batch_size=64, epochs=3, verbose=0)
        weights[name] = model.get_weights()
    for a, b in zip(weights["two_processes"], weights["serial"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_batches_made_anew_each_step_are_shared_anew(monkeypatch):
    """Direct steps, as the conformance tests take them: each batch is a new array, which may land
    at the address of the last one (freed) with the same shape."""
    from engine import strategies as registry

    got, want = chapter_network(), chapter_network()
    for model, name in ((got, "two_processes"), (want, "serial")):
        strategy = registry.get(name)
        with strategy.running():
            for step in range(6):
                x, y = digits(n=32, seed=step)
                strategy.train_step(model, model._inputs(x), model._targets(y, 32))
    for a, b in zip(got.get_weights(), want.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)

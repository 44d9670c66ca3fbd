"""Training with a second process (engine.second_process) gives the same numbers as one core.

On Linux x86-64 ``fit`` forks a copy of the engine that owns half of the rows of the first
layer's kernel: it computes their gradient, updates them and multiplies the next batch by them,
sharing those arrays through shared memory. These tests train networks both ways
(``ENGINE_THREADS=1`` keeps everything on one core) and check that a user sees no difference,
whatever callbacks do in between; and that a second process that fails or dies is reported
clearly and never leaves ``fit`` hanging.
"""
from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pytest

import engine
from engine import blas, second_process
from engine.callbacks import Callback, LambdaCallback
from engine.layers import Dense
from engine.optimizers import SGD, Adagrad, Adam, RMSprop
from engine.training import ForkedTrainingStep
from engine.utils import set_random_seed
from tests.engine.test_two_cores import chapter_network as network, digits_like

pytestmark = pytest.mark.skipif(
    not (second_process.supported() and blas.available()),
    reason="needs Linux on x86-64, two cores and an OpenBLAS whose thread count can be set",
)


class StepSeen(Callback):
    """Records which kind of step trained each batch, and the second process's pid."""

    def __init__(self):
        super().__init__()
        self.kinds, self.pids = [], set()

    def on_train_batch_end(self, batch, logs=None):
        step = self.model._step
        self.kinds.append(type(step).__name__)
        if isinstance(step, ForkedTrainingStep):
            self.pids.add(step.process.pid)


def train(cores, monkeypatch, *, optimizer="rmsprop", model_kwargs=None, data=None, callbacks=(), fits=1, **fit_kwargs):
    monkeypatch.setenv("ENGINE_THREADS", "1" if cores == 1 else "2")
    set_random_seed(0)
    model = network(optimizer=optimizer() if callable(optimizer) else optimizer, **(model_kwargs or {}))
    x, y = data if data is not None else digits_like()
    seen = StepSeen()
    fit = {"batch_size": 128, "epochs": 2, "verbose": 0, **fit_kwargs}
    callbacks = callbacks(model) if callable(callbacks) else list(callbacks)
    histories = [model.fit(x, y, callbacks=[seen, *callbacks], **fit) for _ in range(fits)]
    return model, histories, seen


def assert_same_training(a, b, exact=False):
    (model_a, histories_a, _), (model_b, histories_b, _) = a, b
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights()):
        if exact:
            np.testing.assert_array_equal(wa, wb)
        else:
            np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-5)  # float32 rounding, summed in another order
    for history_a, history_b in zip(histories_a, histories_b):
        assert history_a.history.keys() == history_b.history.keys()
        for key in history_a.history:
            np.testing.assert_allclose(history_a.history[key], history_b.history[key], rtol=1e-5)


def assert_gone(pids):
    for pid in pids:
        with pytest.raises(ChildProcessError):  # exited and reaped: no zombie is left behind
            os.waitpid(pid, os.WNOHANG)


OPTIMIZERS = {
    "rmsprop": "rmsprop",
    "rmsprop+momentum": lambda: RMSprop(momentum=0.5),
    "adam": lambda: Adam(learning_rate=0.002),
    "sgd+nesterov": lambda: SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "adagrad": lambda: Adagrad(learning_rate=0.01),
}


# ----- the same numbers ---------------------------------------------------------------------
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_two_processes_train_exactly_like_one_core(name, monkeypatch):
    # two fits in a row: the second continues from the optimizer's slots that the first left
    two = train(2, monkeypatch, optimizer=OPTIMIZERS[name], fits=2, validation_split=0.1)
    one = train(1, monkeypatch, optimizer=OPTIMIZERS[name], fits=2, validation_split=0.1)
    assert set(two[2].kinds) == {"ForkedTrainingStep"} and len(two[2].pids) == 2  # one per fit
    assert set(one[2].kinds) == {"TrainingStep"}
    assert_same_training(two, one)
    assert_gone(two[2].pids)


@pytest.mark.parametrize("model_kwargs", [{"flatten": True}, {"extra_hidden": True}])
def test_flatten_first_and_a_second_big_layer(model_kwargs, monkeypatch):
    data = digits_like(shape=(28, 28)) if model_kwargs.get("flatten") else digits_like()
    two = train(2, monkeypatch, model_kwargs=model_kwargs, data=data)
    one = train(1, monkeypatch, model_kwargs=model_kwargs, data=data)
    assert set(two[2].kinds) == {"ForkedTrainingStep"}
    assert_same_training(two, one)


def test_the_same_seed_gives_identical_runs_with_two_processes(monkeypatch):
    assert_same_training(train(2, monkeypatch), train(2, monkeypatch), exact=True)


def test_unshuffled_and_uneven_batches(monkeypatch):
    data = digits_like(n=333)
    two = train(2, monkeypatch, data=data, batch_size=50, shuffle=False)
    one = train(1, monkeypatch, data=data, batch_size=50, shuffle=False)
    assert set(two[2].kinds) == {"ForkedTrainingStep"}
    assert_same_training(two, one)


def test_small_first_layers_stay_in_one_process(monkeypatch):
    monkeypatch.setenv("ENGINE_THREADS", "2")
    model = engine.Sequential([Dense(32, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])
    model.compile("rmsprop", "categorical_crossentropy")
    seen = StepSeen()
    model.fit(*digits_like(n=200), epochs=1, verbose=0, callbacks=[seen])
    assert set(seen.kinds) == {"TrainingStep"}


def test_engine_processes_0_uses_the_helper_thread(monkeypatch):
    monkeypatch.setenv("ENGINE_PROCESSES", "0")
    two = train(2, monkeypatch)
    assert set(two[2].kinds) == {"TrainingStep"} and two[0]._step is None


# ----- what callbacks may do ------------------------------------------------------------------
def test_a_nan_batch_updates_nothing(monkeypatch):
    x, y = digits_like()
    x[300] = np.nan  # in the third batch of the first (unshuffled) epoch
    two = train(2, monkeypatch, data=(x, y), shuffle=False)
    one = train(1, monkeypatch, data=(x, y), shuffle=False)
    assert two[0].stop_reason == "nan" and two[1][0].history["loss"]  # stopped in epoch 1
    assert_same_training(two, one, exact=False)
    assert_gone(two[2].pids)


def meddling_callbacks(model):
    def on_epoch_begin(epoch, logs):
        model.optimizer.learning_rate = 0.001 / (epoch + 1)  # a learning-rate schedule

    def on_train_batch_end(batch, logs):
        if batch == 1:
            model.set_weights([w * 0.5 for w in model.get_weights()])
        if batch == 2:
            model.evaluate(*digits_like(n=64, seed=3), batch_size=32)
            model.train_on_batch(*digits_like(n=32, seed=4))
        if batch == 3:
            model.fit(*digits_like(n=64, seed=5), batch_size=32, epochs=1, verbose=0)  # fit inside fit
    return [LambdaCallback(on_epoch_begin=on_epoch_begin, on_train_batch_end=on_train_batch_end)]


def test_callbacks_may_change_weights_and_learning_rate_train_and_evaluate(monkeypatch):
    two = train(2, monkeypatch, callbacks=meddling_callbacks, epochs=3)
    one = train(1, monkeypatch, callbacks=meddling_callbacks, epochs=3)
    assert set(two[2].kinds) == {"ForkedTrainingStep"}
    assert two[0].optimizer.learning_rate == pytest.approx(0.001 / 3)
    assert_same_training(two, one)


def test_another_thread_may_predict_while_two_processes_train(monkeypatch):
    monkeypatch.setenv("ENGINE_THREADS", "2")
    set_random_seed(0)
    model = network()
    x, y = digits_like()
    model.fit(x, y, epochs=1, verbose=0)
    probe = x[:16]
    stop, bad = threading.Event(), []

    def predict():
        while not stop.is_set():
            p = model.predict(probe, batch_size=16)
            if p.shape != (16, 10) or not np.allclose(p.sum(axis=1), 1, atol=1e-4):
                bad.append(p)

    thread = threading.Thread(target=predict)
    thread.start()
    try:
        model.fit(x, y, epochs=3, verbose=0)
    finally:
        stop.set()
        thread.join()
    assert not bad


# ----- failures -----------------------------------------------------------------------------
def test_a_killed_second_process_is_reported_and_the_next_fit_works(monkeypatch):
    monkeypatch.setenv("ENGINE_THREADS", "2")
    model, x, y = network(), *digits_like()

    def kill(batch, logs):
        if batch == 1:
            os.kill(model._step.process.pid, signal.SIGKILL)

    with pytest.raises(second_process.SecondProcessError, match="died"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[LambdaCallback(on_train_batch_end=kill)])
    assert model._step is None and blas.threads() != 1 or os.cpu_count() == 1
    seen = StepSeen()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[seen])
    assert set(seen.kinds) == {"ForkedTrainingStep"}
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_an_error_in_the_second_process_is_raised_with_its_traceback(monkeypatch):
    monkeypatch.setenv("ENGINE_THREADS", "2")
    trainer = os.getpid()
    update_step = RMSprop.update_step

    def failing(self, gradient, variable, index):
        if os.getpid() != trainer:
            raise RuntimeError("boom in the second process")
        return update_step(self, gradient, variable, index)

    monkeypatch.setattr(RMSprop, "update_step", failing)
    model = network()
    seen = StepSeen()
    with pytest.raises(second_process.SecondProcessError, match="boom in the second process") as raised:
        model.fit(*digits_like(), epochs=1, verbose=0, callbacks=[seen])
    assert "Traceback" in str(raised.value)
    assert_gone(seen.pids)


def test_stop_training_ends_the_second_process(monkeypatch):
    monkeypatch.setenv("ENGINE_THREADS", "2")
    model = network()
    seen = StepSeen()

    def stop(batch, logs):
        if batch == 1:
            model.stop_training = True

    model.fit(*digits_like(), epochs=5, verbose=0, callbacks=[seen, LambdaCallback(on_train_batch_end=stop)])
    assert len(seen.kinds) == 2 and model.stop_reason == "stopped"
    assert_gone(seen.pids)


# ----- shared memory ------------------------------------------------------------------------
def test_what_a_forked_child_writes_to_the_arena_the_parent_reads():
    arena = second_process.SharedArena(second_process.SharedArena.bytes_for(((3, 4), np.float32), ((2,), np.int64)))
    a, b = arena.zeros((3, 4), np.float32), arena.empty((2,), np.int64)
    assert a.ctypes.data % 64 == 0 and b.ctypes.data % 64 == 0
    private = np.zeros(2)
    pid = os.fork()
    if pid == 0:
        a[1] = 7.0
        b[:] = (1, 2)
        private[:] = 5  # copied on write: the parent never sees it
        os._exit(0)
    os.waitpid(pid, 0)
    assert a[1].tolist() == [7.0] * 4 and b.tolist() == [1, 2] and private.tolist() == [0, 0]
    with pytest.raises(MemoryError, match="full"):
        arena.empty((100,), np.float64)


def test_disabled_keeps_fit_on_this_thread_to_threads(monkeypatch):
    monkeypatch.setenv("ENGINE_THREADS", "2")
    with second_process.disabled():
        assert not second_process.supported()
        inside = train(2, monkeypatch)
    assert set(inside[2].kinds) == {"TrainingStep"}
    assert second_process.supported()  # only within the block
    assert set(train(2, monkeypatch)[2].kinds) == {"ForkedTrainingStep"}

"""Strategies (engine.strategies): every way of running ``fit`` gives the serial step's numbers.

``ENGINE_STRATEGY=serial`` or ``two_threads`` picks one. Two threads cut each big product's output
and each big weight's update in pieces that two threads share; these tests train the same networks
both ways and check that nothing a user can see differs: weights, history, NaN handling, callbacks
that change weights or train, predictions from other threads, errors, and what is left afterwards
(BLAS's thread setting, threads).
"""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest

import engine
from engine import blas, ops, strategies
from engine.batches import BatchFeeder
from engine.callbacks import Callback, LambdaCallback
from engine.layers import Dense, Flatten
from engine.strategies.helper import Helper as _Helper
from engine.strategies.two_threads import TwoThreads
from engine.utils import set_random_seed, to_categorical

two_threads_here = pytest.mark.skipif(
    not TwoThreads().supports(engine.Sequential([Dense(1024, input_shape=(1024,))]))[0],
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
        layers.append(Dense(512, activation="relu"))  # its input gradient is split too
    layers.append(Dense(10, activation="softmax"))
    model = engine.Sequential(layers)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


class StrategySeen(Callback):
    """Records the strategy that ran each batch (callbacks run on the training thread)."""

    def __init__(self):
        super().__init__()
        self.names = []

    def on_train_batch_end(self, batch, logs=None):
        self.names.append(ops.strategy().name)


def train(name, monkeypatch, *, model_kwargs=None, data=None, callbacks=(), **fit_kwargs):
    monkeypatch.setenv("ENGINE_STRATEGY", name)
    set_random_seed(0)
    model = chapter_network(**(model_kwargs or {}))
    x, y = data if data is not None else digits_like()
    seen = StrategySeen()
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


# ----- choosing -----------------------------------------------------------------------------
def test_fit_says_which_strategy_runs_and_why(monkeypatch, capsys):
    monkeypatch.setenv("ENGINE_STRATEGY", "serial")
    model, _, seen = train("serial", monkeypatch, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("Strategy: serial (ENGINE_STRATEGY=serial: ")
    assert seen.params["strategy"] == "serial" and "ENGINE_STRATEGY=serial" in seen.params["strategy_reason"]
    assert set(seen.names) == {"serial"}
    assert ops.strategy().name == "serial"  # outside fit, operations are serial again


def test_an_unknown_strategy_is_named_in_the_error(monkeypatch):
    monkeypatch.setenv("ENGINE_STRATEGY", "four_gpus")
    with pytest.raises(ValueError, match="Unknown strategy 'four_gpus'; expected one of: serial, blas_threads, two_threads"):
        train("four_gpus", monkeypatch)


def test_a_model_too_small_to_share_trains_serially_and_says_why(monkeypatch):
    monkeypatch.delenv("ENGINE_STRATEGY", raising=False)
    model = engine.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "categorical_crossentropy")
    strategy, why = strategies.choose(model)
    ok, reason = TwoThreads().supports(model)
    assert strategy.name == "serial" and not ok and f"not two_threads: {reason}" in why


def test_the_work_a_layer_does_per_sample_counts_every_place_its_weights_apply():
    from engine.strategies.blas_threads import biggest_work_per_sample as _biggest_work_per_sample

    assert _biggest_work_per_sample(chapter_network()) == 784 * 512
    assert _biggest_work_per_sample(chapter_network(flatten=True)) == 784 * 512

    class PerPixel(engine.layers.Layer):  # a 1 x 1 convolution's bookkeeping: one kernel, every pixel
        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], 8), engine.initializers.get("zeros"))
            super().build(input_shape)

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], 8)

    model = engine.Sequential([PerPixel(input_shape=(26, 26, 4))])
    assert _biggest_work_per_sample(model) == 4 * 8 * 26 * 26


@two_threads_here
def test_two_threads_is_chosen_for_the_chapter_network(monkeypatch):
    monkeypatch.delenv("ENGINE_STRATEGY", raising=False)
    strategy, why = strategies.choose(chapter_network())
    assert strategy.name == "two_threads" and "cores" in why


# ----- the same numbers ---------------------------------------------------------------------
@two_threads_here
@pytest.mark.parametrize("model_kwargs", [{}, {"extra_hidden": True}, {"flatten": True}, {"optimizer": "adam"}])
def test_two_threads_train_like_serial(model_kwargs, monkeypatch):
    data = digits_like(shape=(28, 28)) if model_kwargs.get("flatten") else digits_like()
    both = train("two_threads", monkeypatch, model_kwargs=model_kwargs, data=data, validation_split=0.1)
    one = train("serial", monkeypatch, model_kwargs=model_kwargs, data=data, validation_split=0.1)
    assert set(both[2].names) == {"two_threads"} and set(one[2].names) == {"serial"}
    assert_same_training(both, one)


@two_threads_here
def test_a_layer_so_wide_that_its_bias_is_split_too(monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 4), dtype=np.float32), to_categorical(rng.integers(0, 2, 64), 2)
    weights = []
    for name in ("two_threads", "serial"):
        monkeypatch.setenv("ENGINE_STRATEGY", name)
        set_random_seed(0)
        model = engine.Sequential([Dense(1 << 17, activation="relu", input_shape=(4,), bias_initializer="ones"),
                                   Dense(2, activation="softmax")])
        model.compile(optimizer="sgd", loss="categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@two_threads_here
def test_the_same_seed_gives_identical_runs_on_two_threads(monkeypatch):
    first, second = train("two_threads", monkeypatch), train("two_threads", monkeypatch)
    for a, b in zip(first[0].get_weights(), second[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert first[1].history == second[1].history


@two_threads_here
def test_unshuffled_and_uneven_batches(monkeypatch):
    data = digits_like(n=300)  # batches of 128, 128 and 44
    for shuffle in (False, True):
        assert_same_training(train("two_threads", monkeypatch, data=data, shuffle=shuffle),
                             train("serial", monkeypatch, data=data, shuffle=shuffle))


@pytest.mark.parametrize("name", ["product", "at_b", "a_bt"])
@pytest.mark.parametrize("shape", [(7, 5, 3), (3, 5, 7), (2, 1, 2), (64, 33, 130)])
def test_each_product_cut_in_pieces_equals_numpy(name, shape):
    """Whatever the shapes (more rows or more columns in the output), the pieces make the product."""
    m, k, n = shape
    rng = np.random.default_rng(0)
    a, b = rng.random((m, k)), rng.random((k, n))
    strategy = TwoThreads(min_product=0, min_update=0)
    with strategy.running():
        if name == "product":
            got, want = ops.matmul(a, b, out=np.empty((m, n))), a @ b
        elif name == "at_b":
            got, want = ops.matmul_at_b(a.T.copy(), b), a @ b
        else:
            got, want = ops.matmul_a_bt(a, b.T.copy(), out=np.empty((m, n))), a @ b
    np.testing.assert_allclose(got, want, rtol=1e-12)


# ----- what a user can do during training ---------------------------------------------------
@two_threads_here
def test_a_nan_batch_updates_nothing_on_two_threads(monkeypatch):
    x, y = digits_like(n=512)
    x[300] = np.nan  # the third batch (samples 256..383) is poisoned
    before = []

    class Record(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            before.append(self.model.get_weights())

    model, history, _ = train("two_threads", monkeypatch, data=(x, y), shuffle=False, callbacks=[Record()], epochs=1)
    assert model.stop_reason == "nan" and "NaN" in model.stop_message
    assert len(before) == 3
    for now, then in zip(model.get_weights(), before[-1]):
        np.testing.assert_array_equal(now, then)
    assert all(math.isfinite(v) for v in history.history.get("loss", []))


@two_threads_here
def test_a_callback_may_set_weights_evaluate_and_train_during_fit(monkeypatch):
    x, y = digits_like()
    results = []
    for name in ("two_threads", "serial"):
        monkeypatch.setenv("ENGINE_STRATEGY", name)
        set_random_seed(0)
        model = chapter_network()
        scores = []

        class Meddle(Callback):
            def on_train_batch_end(self, batch, logs=None):
                if batch == 1:
                    self.model.set_weights([w * 0.5 for w in self.model.get_weights()])
                    scores.append(self.model.evaluate(x[:64], y[:64], batch_size=32))
                    scores.append(self.model.train_on_batch(x[:32], y[:32]))

        model.fit(x, y, batch_size=128, epochs=1, verbose=0, callbacks=[Meddle()])
        results.append((model.get_weights(), scores))
    (weights_2, scores_2), (weights_1, scores_1) = results
    np.testing.assert_allclose(np.ravel(scores_2), np.ravel(scores_1), rtol=1e-5)
    for a, b in zip(weights_2, weights_1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@two_threads_here
def test_another_thread_may_predict_while_two_threads_train(monkeypatch):
    x, y = digits_like()
    answers, errors = [], []

    def predict_elsewhere(model):
        def on_batch_end(batch, logs):
            def predict():
                try:
                    answers.append((ops.strategy().name, model.predict(x[:5])))
                except Exception as error:  # pragma: no cover - reported below
                    errors.append(error)
            thread = threading.Thread(target=predict)
            thread.start()
            thread.join()
        return on_batch_end

    monkeypatch.setenv("ENGINE_STRATEGY", "two_threads")
    set_random_seed(0)
    model = chapter_network()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0, callbacks=[LambdaCallback(on_train_batch_end=predict_elsewhere(model))])
    assert not errors and len(answers) == 5
    assert all(name == "serial" and a.shape == (5, 10) and np.allclose(a.sum(axis=1), 1, atol=1e-5) for name, a in answers)
    plain = train("serial", monkeypatch, epochs=1)[0]
    for a, b in zip(model.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@two_threads_here
def test_stop_training_and_errors_leave_nothing_behind(monkeypatch):
    threads_before, alive_before = blas.threads(), threading.active_count()

    class Boom(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        train("two_threads", monkeypatch, callbacks=[Boom()])
    assert blas.threads() == threads_before and threading.active_count() == alive_before

    class Stop(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    model, history, seen = train("two_threads", monkeypatch, callbacks=[Stop()])
    assert model.stop_reason == "stopped" and len(seen.names) == 2
    assert blas.threads() == threads_before and threading.active_count() == alive_before
    assert_same_training(train("two_threads", monkeypatch), train("serial", monkeypatch))


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
    seen, started = {}, threading.Event()

    def here():
        started.wait(10)  # the helper is idle: it takes its half while this one runs
        seen["here"] = threading.get_ident()

    def there():
        seen["there"] = threading.get_ident()
        started.set()

    with _Helper() as helper:
        helper.pair(here, there)
    assert seen["here"] == threading.get_ident() and seen["there"] != seen["here"]


@pytest.mark.parametrize("side", ["here", "there"])
def test_pair_raises_an_error_from_either_side_after_both_finish(side):
    finished = []

    def fail():
        raise ValueError(side)

    def slow():
        threading.Event().wait(0.05)
        finished.append(True)

    with _Helper() as helper:
        with pytest.raises(ValueError, match=side):
            helper.pair(fail if side == "here" else slow, fail if side == "there" else slow)
        assert finished  # the other half ran to its end before the error came out
        helper.pair(lambda: None, lambda: None)  # and the helper is still usable


def test_share_runs_every_piece_exactly_once_on_either_thread():
    ran = []
    with _Helper() as helper:
        for _ in range(50):
            helper.share([lambda i=i: ran.append(i) for i in range(7)])
    assert sorted(ran) == sorted(list(range(7)) * 50)


def test_the_caller_takes_the_pieces_the_helper_has_not_started_instead_of_waiting_for_it():
    """While the helper runs one piece, the caller does all the others rather than wait in line."""
    caller = threading.get_ident()
    helper_started, others_done = threading.Event(), threading.Event()
    done_here, helper_waited = [], []

    def piece():
        if threading.get_ident() != caller:
            helper_started.set()
            helper_waited.append(others_done.wait(30))  # held until the caller did the rest
        else:
            helper_started.wait(30)  # make sure the helper has a piece of its own
            done_here.append(True)
            if len(done_here) == 3:
                others_done.set()

    with _Helper() as helper:
        helper.share([piece, piece, piece, piece])
    assert helper_waited == [True] and len(done_here) == 3


def test_work_the_helper_has_not_started_is_done_by_the_caller():
    """On a busy machine the helper may wait for a core: the caller does not wait for it."""
    ran_on = []
    with _Helper() as helper:
        with helper.critical():
            blocker = threading.Event()
            first = helper.submit(blocker.wait)  # keeps the helper busy
            second = helper.submit(lambda: ran_on.append(threading.get_ident()))
            second.join()  # not started by the helper: runs here
            blocker.set()
            first.join()
    assert ran_on == [threading.get_ident()]


def test_an_error_in_handed_over_work_is_raised_by_join():
    with _Helper() as helper:
        task = helper.submit(lambda: 1 / 0)
        helper.pair(lambda: threading.Event().wait(0.05), lambda: None)  # the helper ran it by now
        with pytest.raises(ZeroDivisionError):
            task.join()


def test_batches_visit_every_sample_once_per_epoch():
    x = np.arange(10 * 3, dtype=np.float32).reshape(10, 3)
    y = np.arange(10)
    feeder = BatchFeeder(x, y, batch_size=4)
    order = np.random.default_rng(0).permutation(10)
    feeder.start_epoch(order)
    seen = []
    for step in range(feeder.steps):
        task = feeder.gather_later(step + 1)  # as two_threads does: the next batch on another thread
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


def test_a_ctrl_c_while_the_helper_thread_starts_leaves_no_thread_behind(monkeypatch):
    """Thread.start waits for the new thread: a Ctrl+C there must not leave it running."""
    import signal as signals

    from engine.strategies.helper import Helper

    alive_before, handler_before = threading.active_count(), signals.getsignal(signals.SIGINT)
    real_start = threading.Thread.start

    def start_then_ctrl_c(thread):
        real_start(thread)
        signals.raise_signal(signals.SIGINT)  # arrives while __enter__ is still running

    monkeypatch.setattr(threading.Thread, "start", start_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        with Helper():
            pytest.fail("the block must not run")
    monkeypatch.undo()
    assert threading.active_count() == alive_before
    assert signals.getsignal(signals.SIGINT) is handler_before


@pytest.mark.skipif(not blas.available(), reason="no OpenBLAS whose thread count can be set")
def test_threads_per_product_nests_and_spread_over_lends_all_cores_for_one_product():
    before = blas.threads()
    with blas.threads_per_product(1):
        with blas.threads_per_product(2):
            assert blas.threads() == 2
            with blas.spread_over(1):
                assert blas.threads() == 1
            assert blas.threads() == 2  # the block's own count comes back
        assert blas.threads() == 1  # the outer block's
    assert blas.threads() == before
    with blas.spread_over(2):  # outside any block it changes nothing
        assert blas.threads() == before


def test_blas_threads_gives_the_serial_weights_on_the_chapters_network(monkeypatch):
    ok, why = strategies.get("blas_threads").supports(chapter_network())
    if not ok:
        pytest.skip(why)
    assert_same_training(train("blas_threads", monkeypatch), train("serial", monkeypatch))

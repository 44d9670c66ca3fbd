"""The rule that says when training has stopped learning, the pace estimate, and the run labels.

No Qt: the rule (``playground.core.loss_watch``) is an engine callback, the labels are text.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from engine.layers import Dense
from playground.core.loss_watch import (
    MIN_WINDOWS, WINDOW, LossWatch, guessing_loss, keras_default_learning_rate, stall_message, stalled,
    weights_are_finite,
)
from playground.core.specs import LayerSpec, TrainSettings, prepare_images
from playground.text.keras_log import distinct_parts, plan_call, plan_text, run_label
from playground.core.pace import TIMED_BATCHES, pace


def test_guessing_is_ln_10_for_crossentropy_and_0_09_for_squared_error():
    assert guessing_loss("categorical_crossentropy", 10) == pytest.approx(math.log(10), rel=1e-6)
    assert guessing_loss("sparse_categorical_crossentropy", 10) == pytest.approx(math.log(10), rel=1e-6)
    assert guessing_loss("mean_squared_error", 10) == pytest.approx(0.09, rel=1e-6)  # (0.9² + 9 × 0.1²) / 10


def test_keras_default_learning_rates():
    assert keras_default_learning_rate("sgd") == 0.01
    assert [keras_default_learning_rate(name) for name in ("rmsprop", "adam", "adagrad")] == [0.001] * 3


def test_the_rule_on_window_means():
    guess = math.log(10)
    assert not stalled([8.1, 6.6], guess)  # too early to judge
    assert stalled([8.1, 6.6, 8.5], guess)  # RMSprop at 1e6: worse than guessing and worse than before
    assert stalled([2.32, 2.32, 2.31], guess)  # SGD at 1e-4: sits at the guessing level
    assert not stalled([1.0, 0.48, 0.34], guess)  # RMSprop at 0.001: learning
    assert not stalled([2.28, 2.21, 2.13], guess)  # Adagrad at 0.001: slow, but better by >1% a window
    assert not stalled([9.8, 8.5, 5.4], guess)  # Adam at 10, early on: still falling
    assert not stalled([8.1, float("nan"), 8.5], guess)  # NaN is the NaN stop's business


def test_the_message_names_an_absurd_learning_rate_and_keras_default():
    high = stall_message(12.0, 2.3026, 60, "rmsprop", 1e6)
    assert "stopped improving" in high and "no better than guessing (2.303)" in high
    assert "1,000,000,000 times Keras's default for rmsprop (0.001)" in high
    low = stall_message(2.31, 2.3026, 60, "sgd", 1e-4)
    assert "tiny" in low and "Keras's default for sgd is 0.01" in low
    plain = stall_message(0.0904, 0.09, 60, "sgd", 0.01)
    assert "times" not in plain and "tiny" not in plain and "not learning" in plain


def chapter_network(optimizer):
    engine.utils.set_random_seed(0)
    model = engine.Sequential([Dense(512, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def sample():
    (x, y), _ = engine.datasets.mnist.load_sample()
    return prepare_images(x[:2000]), engine.utils.to_categorical(y[:2000], 10).astype(np.float32)


@pytest.mark.parametrize("optimizer, warned", [
    (engine.optimizers.RMSprop(learning_rate=1e6), True),  # the case: no NaN, loss near 12
    (engine.optimizers.Adam(learning_rate=10), True),
    (engine.optimizers.RMSprop(learning_rate=0.001), False),  # the chapter's recipe
])
def test_loss_watch_speaks_once_for_an_absurd_learning_rate_and_not_for_the_chapter(sample, optimizer, warned):
    x, y = sample
    model, said = chapter_network(optimizer), []
    model.fit(x, y, batch_size=32, epochs=3, verbose=0, callbacks=[LossWatch(said.append)])  # 189 batches
    assert model.stop_reason == "completed"  # it never became NaN: only the rule can explain it
    assert len(said) == (1 if warned else 0)
    if warned:
        assert "stopped improving" in said[0] and "times Keras's default" in said[0]


def test_loss_watch_reports_at_most_once_per_fit():
    model, said = chapter_network("rmsprop"), []
    watch = LossWatch(said.append)
    watch.set_model(model)
    for _ in range(2):
        watch.on_train_begin()
        for batch in range(WINDOW * (MIN_WINDOWS + 3)):
            watch.on_train_batch_end(batch, {"batch_loss": 12.0})
        assert len(said) == 1
        said.clear()  # a new fit may say it again


def test_weights_are_finite():
    assert weights_are_finite([np.zeros(3), np.ones((2, 2))])
    assert not weights_are_finite([np.zeros(3), np.array([1.0, np.nan])])
    assert not weights_are_finite([np.array([np.inf])])


def test_pace_is_unknown_until_enough_batches_after_the_first_were_timed():
    assert pace(0, 0.0, 0, 2344) == (None, None)  # one Step one batch on full MNIST: no ETA of 0:58
    assert pace(TIMED_BATCHES - 1, 0.4, 512, 100) == (None, None)
    speed, eta = pace(10, 2.0, 1280, 100)
    assert speed == pytest.approx(640.0) and eta == pytest.approx(20.0)


# -- run labels: two runs that differ never read the same -------------------------------------
def test_run_labels_say_what_is_not_the_chapters():
    chapter = (LayerSpec(512, "relu"),)
    assert run_label(chapter, TrainSettings()) == "512 relu · rmsprop lr=0.001 · bs 128"
    label = run_label(chapter, TrainSettings(loss="mean_squared_error", validation_split=0.2, train_size=1000, seed=3))
    assert label == "512 relu · rmsprop lr=0.001 · mse · bs 128 · val 0.2 · 1,000 digits · seed 3"
    sgd = run_label(chapter, TrainSettings(optimizer="sgd", learning_rate=0.01, momentum=0.9, nesterov=True))
    assert sgd == "512 relu · sgd lr=0.01 momentum=0.9 nesterov · bs 128"
    labels = {run_label(chapter, TrainSettings(**change)) for change in (
        {}, {"loss": "sparse_categorical_crossentropy"}, {"validation_split": 0.1}, {"batch_size": 32},
        {"seed": 1}, {"learning_rate": 0.01}, {"optimizer": "adam"})}
    assert len(labels) == 7


def test_the_run_list_shows_shared_parts_once():
    shared, own = distinct_parts(["512 relu · rmsprop lr=0.001 · bs 128", "512 relu · rmsprop lr=0.1 · bs 128",
                                  "512 relu · rmsprop lr=0.001 · bs 128 · val 0.2"])
    assert shared == ["512 relu", "bs 128"]
    assert own == ["rmsprop lr=0.001", "rmsprop lr=0.1", "rmsprop lr=0.001 · val 0.2"]
    assert distinct_parts(["a · b"]) == ([], ["a · b"])  # one run: its whole label
    assert distinct_parts(["a · b", "a · b"]) == ([], ["a · b", "a · b"])  # identical runs: whole labels


def test_plans_read_as_the_book_would_call_fit():
    assert plan_text(False, 1, 5) == "Train: epochs 1 to 5"
    assert plan_text(True, 6, 10) == "Continue: epochs 6 to 10"
    assert plan_text(True, 2, 2) == "Continue: epoch 2"
    assert plan_call(6, 10) == "fit(..., epochs = 10, initial_epoch = 5)"
    assert plan_call(1, 5) == "fit(..., epochs = 5)"

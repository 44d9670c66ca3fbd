"""Training with ``fit``, as chapter 2 does it: mini-batches, epochs, History, callbacks.

Also ``evaluate``, ``predict``, ``summary``, weights, and the chapter's helpers
(``to_categorical``, ``array_reshape``). All data here is tiny, so every test runs in well under a
second.
"""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest

import engine
from engine import callbacks
from engine.callbacks import Callback, EarlyStopping, LambdaCallback
from engine.layers import Dense, Dropout, Flatten
from engine.optimizers import SGD, Adam, RMSprop
from engine.utils import array_reshape, set_random_seed, to_categorical


def blobs(n=40, features=4, classes=3, seed=0):
    """Well separated Gaussian blobs: an easy classification problem."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    centers = rng.normal(scale=3.0, size=(classes, features))
    x = (centers[labels] + rng.normal(scale=0.5, size=(n, features))).astype("float32")
    return x, labels


def classifier(features=4, classes=3, hidden=8, optimizer="rmsprop", metrics=("accuracy",)):
    model = engine.Sequential([
        Dense(hidden, activation="relu", input_shape=(features,)),
        Dense(classes, activation="softmax"),
    ])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=list(metrics) or None)
    return model


class Recorder(Callback):
    """Writes down every hook call, in order."""

    def __init__(self):
        super().__init__()
        self.calls: list[tuple] = []

    def on_train_begin(self, logs=None): self.calls.append(("train_begin",))
    def on_train_end(self, logs=None): self.calls.append(("train_end",))
    def on_epoch_begin(self, epoch, logs=None): self.calls.append(("epoch_begin", epoch))
    def on_epoch_end(self, epoch, logs=None): self.calls.append(("epoch_end", epoch))
    def on_train_batch_begin(self, batch, logs=None): self.calls.append(("batch_begin", batch))
    def on_train_batch_end(self, batch, logs=None): self.calls.append(("batch_end", batch))

    def names(self, kind):
        return [c for c in self.calls if c[0] == kind]


class WeightsAtBatchBegin(Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_train_batch_begin(self, batch, logs=None):
        self.weights.append(self.model.get_weights())


# ----- learning ---------------------------------------------------------------------------------
def test_fit_learns_xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    y = np.array([0, 1, 1, 0])
    model = engine.Sequential([Dense(8, activation="tanh", input_shape=(2,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer=Adam(learning_rate=0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=300, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.05
    assert history.history["accuracy"][-1] == 1.0
    np.testing.assert_array_equal(model.predict_classes(x), y)


def test_fit_memorises_twenty_random_points():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 5)).astype("float32")
    y = to_categorical(rng.integers(0, 3, 20), 3)
    model = engine.Sequential([Dense(64, activation="relu", input_shape=(5,)), Dense(3, activation="softmax")])
    model.compile(optimizer=RMSprop(learning_rate=0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=150, batch_size=5, verbose=0)
    loss, accuracy = model.evaluate(x, y)
    assert loss < 0.05 and accuracy == 1.0
    assert history.history["loss"][-1] < history.history["loss"][0] / 10


def test_regression_with_mse_fits_a_line():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (64, 1)).astype("float32")
    y = 3 * x[:, 0] - 0.5
    model = engine.Sequential([Dense(1, input_shape=(1,))])
    model.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    model.fit(x, y, epochs=100, batch_size=16, verbose=0)
    kernel, bias = model.get_weights()
    assert kernel[0, 0] == pytest.approx(3.0, abs=1e-3) and bias[0] == pytest.approx(-0.5, abs=1e-3)


# ----- History ----------------------------------------------------------------------------------
@pytest.mark.parametrize("metrics, validation, keys", [
    ((), None, ["loss"]),
    (("accuracy",), None, ["loss", "accuracy"]),
    ((), 0.25, ["loss", "val_loss"]),
    (("accuracy",), 0.25, ["loss", "accuracy", "val_loss", "val_accuracy"]),
    (("acc",), "data", ["loss", "accuracy", "val_loss", "val_accuracy"]),
])
def test_history_keys_and_lengths(metrics, validation, keys):
    x, labels = blobs()
    y = to_categorical(labels)
    model = classifier(metrics=metrics)
    kwargs = {}
    if validation == "data":
        kwargs["validation_data"] = (x[:8], y[:8])
    elif validation:
        kwargs["validation_split"] = validation
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, **kwargs)
    assert history is model.history
    assert sorted(history.history) == sorted(keys)
    assert all(len(values) == 3 for values in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert all(isinstance(v, float) and math.isfinite(v) for values in history.history.values() for v in values)


def test_epoch_loss_is_the_sample_weighted_mean_of_batch_losses():
    x, labels = blobs(n=10)
    y = to_categorical(labels)
    model = classifier()
    batch = []
    cb = LambdaCallback(on_train_batch_end=lambda b, logs: batch.append((logs["batch_loss"], logs["size"])))
    history = model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0, callbacks=[cb])
    assert [size for _, size in batch] == [4, 4, 2]
    expected = sum(loss * size for loss, size in batch) / 10
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-6)


# ----- callbacks --------------------------------------------------------------------------------
@pytest.mark.parametrize("n, batch_size", [(10, 4), (12, 4), (5, 32), (7, 1)])
def test_callback_hook_order_and_batch_counts(n, batch_size):
    x, labels = blobs(n=n)
    model = classifier()
    recorder = Recorder()
    model.fit(x, to_categorical(labels, 3), epochs=2, batch_size=batch_size, verbose=0, callbacks=[recorder])
    steps = math.ceil(n / batch_size)
    expected = [("train_begin",)]
    for epoch in range(2):
        expected.append(("epoch_begin", epoch))
        for step in range(steps):
            expected += [("batch_begin", step), ("batch_end", step)]
        expected.append(("epoch_end", epoch))
    expected.append(("train_end",))
    assert recorder.calls == expected


def test_callbacks_get_the_model_and_params():
    x, labels = blobs(n=10)
    model = classifier()
    seen = {}

    class Check(Callback):
        def on_train_begin(self, logs=None):
            seen["model"] = self.model
            seen["params"] = dict(self.params)

        def on_epoch_end(self, epoch, logs=None):
            seen.setdefault("logs", []).append(dict(logs))

    model.fit(x, to_categorical(labels), epochs=2, batch_size=4, verbose=0, callbacks=[Check()], validation_split=0.2)
    assert seen["model"] is model
    params = seen["params"]
    assert params["epochs"] == 2 and params["steps"] == 2 and params["verbose"] == 0  # Keras's keys
    assert params["samples"] == 8 and params["batch_size"] == 4
    assert set(seen["logs"][0]) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_lambda_callback_and_unknown_hook():
    epochs = []
    x, labels = blobs(n=6)
    classifier().fit(x, to_categorical(labels), epochs=3, verbose=0,
                     callbacks=[LambdaCallback(on_epoch_end=lambda epoch, logs: epochs.append(epoch))])
    assert epochs == [0, 1, 2]
    with pytest.raises(ValueError, match="on_epoch_finish"):
        LambdaCallback(on_epoch_finish=print)


def test_stop_training_from_a_callback_stops_after_the_current_batch():
    x, labels = blobs(n=20)
    model = classifier()
    recorder = Recorder()

    class StopAtSecondBatch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    history = model.fit(x, to_categorical(labels), epochs=5, batch_size=4, verbose=0,
                        callbacks=[recorder, StopAtSecondBatch()])
    assert recorder.names("batch_begin") == [("batch_begin", 0), ("batch_begin", 1)]
    assert recorder.calls[-2:] == [("epoch_end", 0), ("train_end",)]
    assert len(history.history["loss"]) == 1
    assert model.stop_reason == "stopped"


def test_stop_reason_completed_and_reset_by_the_next_fit():
    x, labels = blobs(n=8)
    model = classifier()
    stopper = LambdaCallback(on_train_batch_end=lambda b, logs: setattr(model, "stop_training", True))
    model.fit(x, to_categorical(labels), epochs=2, verbose=0, callbacks=[stopper])
    assert model.stop_reason == "stopped"
    model.fit(x, to_categorical(labels), epochs=2, verbose=0)
    assert model.stop_reason == "completed" and model.stop_training is False


def test_initial_epoch():
    x, labels = blobs(n=8)
    model = classifier()
    recorder = Recorder()
    history = model.fit(x, to_categorical(labels), epochs=5, initial_epoch=3, verbose=0, callbacks=[recorder])
    assert [c[1] for c in recorder.names("epoch_begin")] == [3, 4]
    assert history.epoch == [3, 4]
    assert len(history.history["loss"]) == 2


def test_a_callback_may_block_until_another_thread_resumes_training():
    """The app's Pause blocks inside a callback until the UI thread resumes; training then goes on
    where it was. The order of events is checked, never how long anything took."""
    x, labels = blobs(n=16)
    model = classifier()
    resume = threading.Event()
    events = []
    weights = WeightsAtBatchBegin()

    class Pause(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 1 and not resume.is_set():
                events.append("paused")
                self.paused_weights = self.model.get_weights()

                def resume_later():  # the UI thread's Resume button
                    events.append("resumed")
                    resume.set()

                threading.Thread(target=resume_later).start()
                resume.wait()

        def on_train_batch_end(self, batch, logs=None):
            events.append(("batch_end", batch))

    pause = Pause()
    model.fit(x, to_categorical(labels), epochs=2, batch_size=4, verbose=0, callbacks=[pause, weights])
    assert events[:4] == [("batch_end", 0), "paused", "resumed", ("batch_end", 1)]
    assert events.count("paused") == 1 and len([e for e in events if e != "paused" and e != "resumed"]) == 8
    assert model.stop_reason == "completed"
    for paused, at_batch_1 in zip(pause.paused_weights, weights.weights[1]):
        np.testing.assert_array_equal(paused, at_batch_1)  # nothing moved while paused


# ----- validation_split, shuffle, seeds ---------------------------------------------------------
def test_validation_split_holds_out_the_last_fraction():
    x, labels = blobs(n=20)
    y = to_categorical(labels)
    model = classifier()
    recorder = Recorder()
    history = model.fit(x, y, epochs=1, batch_size=5, validation_split=0.25, shuffle=True,
                        verbose=0, callbacks=[recorder])
    assert recorder.params["samples"] == 15
    assert len(recorder.names("batch_begin")) == 3
    val_loss, val_accuracy = model.evaluate(x[15:], y[15:])
    assert history.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(val_accuracy)
    first_loss, _ = model.evaluate(x[:5], y[:5])
    assert first_loss != pytest.approx(val_loss, rel=1e-6)


def test_validation_split_never_trains_on_the_held_out_tail():
    """With the tail made of garbage, training on the head is the same with or without it."""
    x, labels = blobs(n=12)
    y = to_categorical(labels)
    x_tail = np.full((4, 4), 1e3, dtype="float32")
    y_tail = to_categorical([0, 0, 0, 0], 3)
    model_a, model_b = classifier(optimizer=SGD(0.1)), classifier(optimizer=SGD(0.1))
    model_b.set_weights(model_a.get_weights())
    model_a.fit(np.concatenate([x, x_tail]), np.concatenate([y, y_tail]), epochs=3, batch_size=4,
                validation_split=0.25, shuffle=False, verbose=0)
    model_b.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_shuffle_false_processes_batches_in_order():
    x, labels = blobs(n=10)
    y = to_categorical(labels)
    fitted, manual = classifier(optimizer=SGD(0.1)), classifier(optimizer=SGD(0.1))
    manual.set_weights(fitted.get_weights())
    fitted.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    for _ in range(2):
        for lo in range(0, 10, 4):
            manual.train_on_batch(x[lo:lo + 4], y[lo:lo + 4])
    for a, b in zip(fitted.get_weights(), manual.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_shuffle_true_changes_the_order():
    x, labels = blobs(n=10)
    y = to_categorical(labels)
    a, b = classifier(optimizer=SGD(0.1)), classifier(optimizer=SGD(0.1))
    b.set_weights(a.get_weights())
    a.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    b.fit(x, y, epochs=2, batch_size=4, shuffle=True, verbose=0)
    assert not np.allclose(a.get_weights()[0], b.get_weights()[0])


def _seeded_run(seed):
    set_random_seed(seed)
    x, labels = blobs(n=30)
    model = engine.Sequential([
        Dense(8, activation="relu", input_shape=(4,)), Dropout(0.25), Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, labels, epochs=3, batch_size=8, shuffle=True, verbose=0)
    return model.get_weights(), history.history


def test_set_random_seed_makes_runs_bit_identical():
    weights_1, history_1 = _seeded_run(123)
    weights_2, history_2 = _seeded_run(123)
    weights_3, _ = _seeded_run(124)
    for a, b in zip(weights_1, weights_2):
        np.testing.assert_array_equal(a, b)
    assert history_1 == history_2
    assert not np.array_equal(weights_1[0], weights_3[0])


def test_same_initial_weights_different_shuffle_seed():
    x, labels = blobs(n=30)
    y = to_categorical(labels)
    template = classifier().get_weights()
    results = []
    for seed in (5, 5, 6):
        model = classifier(optimizer=SGD(0.1))
        model.set_weights(template)
        set_random_seed(seed)
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)
        results.append(model.get_weights()[0])
    np.testing.assert_array_equal(results[0], results[1])
    assert not np.array_equal(results[0], results[2])


# ----- EarlyStopping ----------------------------------------------------------------------------
class EpochWeightsModel:
    """Keras's DummyModel for EarlyStopping tests: its "weights" are the epoch number."""

    def __init__(self):
        self.stop_training = False
        self.stop_reason = None
        self.stop_message = None
        self.weights = -1

    def get_weights(self):
        return self.weights

    def set_weights(self, weights):
        self.weights = weights


def drive(early_stop, values, monitor="val_loss"):
    model = EpochWeightsModel()
    early_stop.set_model(model)
    early_stop.on_train_begin()
    trained = 0
    for epoch, value in enumerate(values):
        trained += 1
        model.set_weights(epoch)
        early_stop.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            break
    early_stop.on_train_end()
    return trained, model


def test_early_stopping_patience():
    trained, model = drive(EarlyStopping(monitor="val_loss", patience=2), [0.0860, 0.1096, 0.1040, 0.1019])
    assert trained == 3 and model.stop_reason == "early_stopping"


def test_early_stopping_restore_best_weights():
    # the best epoch is 2 (0.1); with patience 2 training stops at epoch 4 and goes back to epoch 2
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    trained, model = drive(stop, [0.2, 0.15, 0.1, 0.11, 0.12])
    assert trained == 5 and model.get_weights() == 2 and stop.best_epoch == 2
    # without restoring, the weights stay those of the last epoch
    trained, model = drive(EarlyStopping(monitor="val_loss", patience=2), [0.2, 0.15, 0.1, 0.11, 0.12])
    assert model.get_weights() == 4


def test_early_stopping_restores_the_best_weights_even_without_stopping():
    """Keras 3 restores the best weights at the end of training whether or not it stopped early."""
    stop = EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    trained, model = drive(stop, [0.5, 0.1, 0.3, 0.4])
    assert trained == 4 and stop.stopped_epoch == 0
    assert model.get_weights() == 1


def test_early_stopping_mode_auto_maximises_accuracy():
    stop = EarlyStopping(monitor="val_accuracy", patience=1)
    assert stop.mode == "max" and EarlyStopping(monitor="val_loss").mode == "min"
    trained, _ = drive(stop, [0.5, 0.6, 0.7, 0.65, 0.6], monitor="val_accuracy")
    assert trained == 4


def test_early_stopping_min_delta_and_baseline():
    # improvements smaller than min_delta don't count
    trained, _ = drive(EarlyStopping(monitor="val_loss", min_delta=0.1, patience=1), [1.0, 0.95, 0.92, 0.5])
    assert trained == 2
    # an improvement that doesn't beat the baseline doesn't reset the wait (Keras's rule)
    values = [0.9, 0.95, 0.97, 0.99]
    assert drive(EarlyStopping(monitor="val_loss", patience=2, baseline=0.5), values)[0] == 2
    assert drive(EarlyStopping(monitor="val_loss", patience=2), values)[0] == 3


def test_early_stopping_in_fit_with_constant_loss():
    x, labels = blobs(n=8)
    model = classifier(optimizer=SGD(learning_rate=0.0))  # nothing ever improves
    stop = EarlyStopping(monitor="loss", patience=2)
    history = model.fit(x, to_categorical(labels), epochs=10, batch_size=8, shuffle=False, verbose=0, callbacks=[stop])
    assert len(history.history["loss"]) == 3 and stop.stopped_epoch == 2
    assert model.stop_reason == "early_stopping" and "early stopping" in model.stop_message


def test_early_stopping_restores_the_best_weights_in_fit():
    """A scripted score makes epoch 1 the best; fit ends with the weights from the end of epoch 1."""
    x, labels = blobs(n=16)
    model = classifier(optimizer=SGD(0.05))
    scores = [0.5, 0.1, 0.3, 0.4, 0.2, 0.05]
    snapshots = []

    class Score(Callback):  # runs before EarlyStopping and adds "score" to the epoch's logs
        def on_epoch_end(self, epoch, logs=None):
            logs["score"] = scores[epoch]
            snapshots.append(model.get_weights())

    stop = EarlyStopping(monitor="score", mode="min", patience=3, restore_best_weights=True)
    history = model.fit(x, to_categorical(labels), epochs=6, batch_size=4, verbose=0, callbacks=[Score(), stop])
    assert len(history.history["loss"]) == 5 and stop.stopped_epoch == 4
    for restored, best in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(restored, best)
    assert not np.array_equal(model.get_weights()[0], snapshots[-1][0])


def test_history_records_logs_added_by_callbacks():
    """Keras appends History after the user's callbacks, so values they add to the epoch logs
    (a custom metric, say) are recorded."""
    x, labels = blobs(n=8)

    class AddMetric(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["custom"] = float(epoch) / 10

    history = classifier().fit(x, to_categorical(labels), epochs=3, verbose=0, callbacks=[AddMetric()])
    assert history.history["custom"] == [0.0, 0.1, 0.2]


def test_restore_best_weights_in_fit_when_patience_is_never_exhausted():
    x, labels = blobs(n=16)
    model = classifier(optimizer=SGD(0.05))
    scores = [0.5, 0.1, 0.3, 0.4]
    snapshots = []

    class Score(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["score"] = scores[epoch]
            snapshots.append(model.get_weights())

    stop = EarlyStopping(monitor="score", mode="min", patience=10, restore_best_weights=True)
    model.fit(x, to_categorical(labels), epochs=4, batch_size=4, verbose=0, callbacks=[Score(), stop])
    assert model.stop_reason == "completed"
    for restored, best in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(restored, best)


def test_early_stopping_on_a_missing_metric_warns_and_keeps_training(capsys, recwarn):
    x, labels = blobs(n=8)
    history = classifier().fit(x, to_categorical(labels), epochs=2, verbose=0,
                               callbacks=[EarlyStopping(monitor="val_loss")])
    assert len(history.history["loss"]) == 2
    said = capsys.readouterr().out + " ".join(str(w.message) for w in recwarn)  # Keras warns
    assert "val_loss" in said


# ----- NaN --------------------------------------------------------------------------------------
def diverging_regression():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")
    model = engine.Sequential([Dense(1, input_shape=(4,))])
    model.compile(optimizer=SGD(learning_rate=1e4), loss="mse")
    return model, x, y


def test_nan_loss_stops_training_and_keeps_the_weights_from_before_the_batch():
    model, x, y = diverging_regression()
    weights = WeightsAtBatchBegin()
    recorder = Recorder()
    history = model.fit(x, y, epochs=20, batch_size=8, verbose=0, callbacks=[weights, recorder])
    assert model.stop_reason == "nan"
    assert "learning rate" in model.stop_message
    assert "loss became" in model.stop_message
    # the batch whose loss was not finite began, but did not end, and nothing ran after it
    assert len(recorder.names("batch_begin")) == len(recorder.names("batch_end")) + 1
    assert recorder.calls[-1] == ("train_end",)
    for now, before in zip(model.get_weights(), weights.weights[-1]):
        np.testing.assert_array_equal(now, before)
    assert all(math.isfinite(v) for v in history.history.get("loss", []))


def test_huge_rmsprop_learning_rate_on_the_chapter_network_stops_with_nan():
    """softmax + cross-entropy: the outputs overflow to NaN on the batch after the first one."""
    x, labels = blobs(n=64)
    model = classifier(optimizer=RMSprop(learning_rate=1e20))
    weights = WeightsAtBatchBegin()
    model.fit(x, to_categorical(labels), epochs=5, batch_size=8, verbose=0, callbacks=[weights])
    assert model.stop_reason == "nan" and "learning rate" in model.stop_message
    assert len(weights.weights) == 2
    for now, before in zip(model.get_weights(), weights.weights[-1]):
        np.testing.assert_array_equal(now, before)


def test_nan_loss_keeps_finite_weights_and_says_so():
    model, x, y = diverging_regression()
    model.fit(x, y, epochs=20, batch_size=8, verbose=0)
    assert model.stop_reason == "nan" and model.stop_cause == "learning_rate"
    assert model.weights_finite and "were kept" in model.stop_message


def black_pixel_images(n=32, seed=0):
    """Images whose first and last pixels are always black, as MNIST's borders are."""
    x, labels = blobs(n=n, features=6, seed=seed)
    x[:, 0] = x[:, -1] = 0
    return x, to_categorical(labels)


@pytest.mark.parametrize("make", [
    lambda: RMSprop(), lambda: Adam(), lambda: engine.optimizers.Adagrad(initial_accumulator_value=0.1),
], ids=["rmsprop", "adam", "adagrad"])
def test_an_optimizer_that_divides_zero_by_zero_is_named_and_the_weights_are_not_called_kept(make):
    """Issue 12, item 19: epsilon 0 turned the black pixels' kernel rows to NaN after a batch
    whose loss was finite; the message claimed the weights were kept and blamed the learning rate."""
    x, y = black_pixel_images()
    optimizer = make()
    optimizer.epsilon = 0.0  # what the constructors now refuse (an older settings file, a subclass)
    if hasattr(optimizer, "initial_accumulator_value"):
        optimizer.initial_accumulator_value = 0.0
    model = classifier(features=6, optimizer=optimizer)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert model.stop_reason == "nan"
    assert model.stop_cause == "optimizer_division"
    assert not model.weights_finite
    message = model.stop_message
    assert "were kept" not in message and "learning rate" not in message
    assert "epsilon" in message and "cannot be used" in message and "reset" in message


def test_weights_broken_by_the_last_update_of_a_run_are_not_reported_as_completed():
    """No next batch shows a NaN loss when the run's very last update breaks the weights."""
    x, y = black_pixel_images(n=8)
    optimizer = RMSprop()
    optimizer.epsilon = 0.0
    model = classifier(features=6, optimizer=optimizer)
    history = model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert model.stop_reason == "nan" and model.stop_cause == "optimizer_division"
    assert not model.weights_finite and "cannot be used" in model.stop_message
    assert "Epoch 1, batch 1" in model.stop_message
    assert math.isfinite(history.history["loss"][0])  # the batch itself trained from a finite loss


def test_an_update_that_overflows_the_weights_is_named():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (1e3 * rng.normal(size=(32, 1))).astype("float32")
    model = engine.Sequential([Dense(1, input_shape=(4,))])
    model.compile(optimizer=SGD(learning_rate=1e37), loss="mse")
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False)
    assert model.stop_reason == "nan" and model.stop_cause == "update_overflow"
    assert not model.weights_finite
    assert "learning rate is probably too high" in model.stop_message and "were kept" not in model.stop_message


def test_weights_that_were_nan_before_the_run_are_named():
    model, x, y = diverging_regression()
    model.set_weights([np.full((4, 1), np.nan, dtype="float32"), np.zeros(1, dtype="float32")])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert model.stop_cause == "weights_before_run" and not model.weights_finite
    assert "already NaN" in model.stop_message and "learning rate" not in model.stop_message


def test_nan_targets_are_named_as_the_cause_not_the_learning_rate():
    x, labels = blobs(n=32)
    y = to_categorical(labels)
    y[13, 0] = np.nan
    model = classifier()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    assert model.stop_reason == "nan" and model.stop_cause == "targets" and model.weights_finite
    assert "batch 2" in model.stop_message and "targets" in model.stop_message
    assert "learning rate" not in model.stop_message


def test_nan_inputs_are_named_as_the_cause():
    x, labels = blobs(n=32)
    x[20, 1] = np.inf
    model = classifier()
    model.fit(x, to_categorical(labels), epochs=1, batch_size=8, verbose=0, shuffle=False)
    assert model.stop_cause == "inputs" and "input batch" in model.stop_message
    assert "learning rate" not in model.stop_message


def test_a_new_fit_clears_the_stop_cause():
    model, x, y = diverging_regression()
    model.fit(x, y, epochs=20, batch_size=8, verbose=0)
    assert model.stop_cause == "learning_rate"
    model.set_weights([np.zeros((4, 1), "float32"), np.zeros(1, "float32")])
    model.optimizer.learning_rate = 0.01
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert model.stop_reason == "completed" and model.stop_cause is None


def test_nan_message_is_printed_when_verbose(capsys):
    model, x, y = diverging_regression()
    model.fit(x, y, epochs=20, batch_size=8, verbose=2)
    assert model.stop_reason == "nan"
    assert "learning rate" in capsys.readouterr().out


def test_train_on_batch_with_a_non_finite_loss_changes_nothing():
    model, x, y = diverging_regression()
    model.set_weights([np.full((4, 1), 1e30, dtype="float32"), np.zeros(1, dtype="float32")])
    before = model.get_weights()
    loss = model.train_on_batch(x, y)
    assert not math.isfinite(loss)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


# ----- evaluate, predict ------------------------------------------------------------------------
def test_evaluate_matches_a_manual_computation():
    x, labels = blobs(n=23)
    y = to_categorical(labels)
    model = classifier()
    model.fit(x, y, epochs=2, verbose=0)
    p = model.predict(x).astype(np.float64)
    manual_loss = -np.mean(np.log(np.clip(p[np.arange(23), labels], 1e-7, 1)))
    manual_accuracy = np.mean(p.argmax(axis=1) == labels)
    for batch_size in (32, 5, 1):
        loss, accuracy = model.evaluate(x, y, batch_size=batch_size)
        assert loss == pytest.approx(manual_loss, rel=1e-5)
        assert accuracy == pytest.approx(manual_accuracy)
    assert model.evaluate(x, y, return_dict=True) == pytest.approx({"loss": manual_loss, "accuracy": manual_accuracy}, rel=1e-5)


def test_evaluate_without_metrics_returns_the_loss():
    x, labels = blobs(n=6)
    model = classifier(metrics=())
    assert isinstance(model.evaluate(x, to_categorical(labels)), float)


def test_sparse_labels_give_the_same_loss_and_accuracy_as_one_hot():
    x, labels = blobs(n=12)
    model = classifier()
    one_hot = model.evaluate(x, to_categorical(labels))
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    sparse = model.evaluate(x, labels)
    assert sparse == pytest.approx(one_hot, rel=1e-6)


def test_mnist_style_uint8_labels_work_with_sparse_crossentropy():
    x, labels = blobs(n=12)
    model = classifier()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    expected = model.evaluate(x, labels.astype(np.int64))
    assert model.evaluate(x, labels.astype(np.uint8)) == pytest.approx(expected)
    assert model.evaluate(x, labels.reshape(-1, 1)) == pytest.approx(expected)
    history = model.fit(x, labels.astype(np.uint8), epochs=2, verbose=0)
    assert len(history.history["accuracy"]) == 2


def test_predict_shape_dtype_and_batches():
    x, _ = blobs(n=37)
    model = classifier()
    p = model.predict(x)
    assert p.shape == (37, 3) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(model.predict(x, batch_size=5), p, rtol=1e-6)
    np.testing.assert_allclose(model(x), p, rtol=1e-6)
    assert model.predict(x.astype(np.float64)).dtype == np.float32
    assert model.predict(np.zeros((0, 4))).shape == (0, 3)


def test_predict_returns_a_fresh_array():
    x, _ = blobs(n=4)
    model = classifier()
    first = model.predict(x)
    saved = first.copy()
    model.predict(x[::-1].copy())
    np.testing.assert_array_equal(first, saved)


def test_predict_classes():
    x, _ = blobs(n=9)
    model = classifier()
    np.testing.assert_array_equal(model.predict_classes(x), model.predict(x).argmax(axis=1))
    binary = engine.Sequential([Dense(1, activation="sigmoid", input_shape=(4,))])
    p = binary.predict(x)[:, 0]
    np.testing.assert_array_equal(binary.predict_classes(x), (p > 0.5).astype(int))


def test_dropout_is_off_in_predict_and_evaluate():
    x, labels = blobs(n=8)
    model = engine.Sequential([Dense(8, activation="relu", input_shape=(4,)), Dropout(0.5), Dense(3, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    np.testing.assert_array_equal(model.predict(x), model.predict(x))
    assert model.evaluate(x, labels) == model.evaluate(x, labels)


# ----- summary and weights ----------------------------------------------------------------------
def chapter_network():
    return engine.Sequential([Dense(512, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])


def test_summary_of_the_chapter_network(capsys):
    model = chapter_network()
    model.summary()
    text = capsys.readouterr().out
    assert "Total params: 407,050" in text
    assert "Trainable params: 407,050" in text
    assert "Output Shape" in text and "Param #" in text
    lines = text.splitlines()
    dense = next(line for line in lines if "(Dense)" in line and "dense_1" not in line)
    dense_1 = next(line for line in lines if "dense_1 (Dense)" in line)
    assert "(None, 512)" in dense and "401,920" in dense  # 784 * 512 + 512
    assert "(None, 10)" in dense_1 and "5,130" in dense_1  # 512 * 10 + 10
    assert model.count_params() == 407_050


def test_summary_print_fn_and_rows():
    model = engine.Sequential([Flatten(input_shape=(28, 28)), Dense(16, use_bias=False), Dense(10, activation="softmax")])
    lines = []
    model.summary(print_fn=lines.append)
    assert any("Total params: 12,714" in line for line in lines)  # 784 * 16 + 16 * 10 + 10
    assert model.summary_rows() == [
        ("flatten", "Flatten", (None, 784), 0),
        ("dense", "Dense", (None, 16), 12_544),
        ("dense_1", "Dense", (None, 10), 170),
    ]


def test_get_and_set_weights_round_trip_with_copies():
    model = classifier()
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(4, 8), (8,), (8, 3), (3,)]
    assert all(w.dtype == np.float32 for w in weights)
    weights[0][...] = 7.0  # a copy: the model is unchanged
    assert not np.any(model.get_weights()[0] == 7.0)
    new = [np.full_like(w, i) for i, w in enumerate(model.get_weights())]
    model.set_weights(new)
    new[0][...] = -1.0  # set_weights copied the values
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_array_equal(w, np.full_like(w, i))


def test_set_weights_keeps_the_arrays_the_optimizer_updates():
    x, labels = blobs(n=8)
    model = classifier(optimizer=SGD(0.1))
    model.fit(x, to_categorical(labels), epochs=1, verbose=0)
    arrays = model.weights
    model.set_weights([np.zeros_like(w) for w in arrays])
    model.fit(x, to_categorical(labels), epochs=1, verbose=0)
    assert all(a is b for a, b in zip(arrays, model.weights))
    assert np.any(model.get_weights()[-1] != 0)  # the optimizer moved the (in place) zeroed weights


def test_model_built_from_the_first_batch_without_input_shape():
    model = engine.Sequential([Dense(5, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert not model.built
    x, labels = blobs(n=12)
    model.fit(x, labels, epochs=1, verbose=0)
    assert model.built and model.input_shape == (4,) and model.count_params() == 4 * 5 + 5 + 5 * 3 + 3
    assert model._fused  # fusion is configured when the model is built after compile


def test_layer_names_are_unique_like_keras():
    model = engine.Sequential([Dense(2, input_shape=(3,)), Dense(2), Dropout(0.1), Dense(1, name="out")])
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "dropout", "out"]


def test_verbose_one_prints_a_progress_bar(capsys):
    x, labels = blobs(n=10)
    classifier().fit(x, to_categorical(labels), epochs=2, batch_size=4, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "3/3" in out and "loss:" in out
    classifier().fit(x, to_categorical(labels), epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


# ----- chapter 2 helpers ------------------------------------------------------------------------
def test_to_categorical():
    y = to_categorical([1, 0, 3])
    np.testing.assert_array_equal(y, [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
    assert y.dtype == np.float32
    assert to_categorical(np.array([[2], [0]]), num_classes=5).shape == (2, 5)
    assert to_categorical(np.array([1, 2], dtype=np.uint8), 10).sum() == 2
    with pytest.raises(ValueError, match="out of range"):
        to_categorical([3], num_classes=3)
    with pytest.raises(ValueError, match="non-negative"):
        to_categorical([-1, 2])
    with pytest.raises(ValueError, match="integer"):
        to_categorical([0.5, 1.0])


def test_array_reshape_is_row_major_not_r_column_major():
    x = np.arange(6)
    np.testing.assert_array_equal(array_reshape(x, (2, 3)), [[0, 1, 2], [3, 4, 5]])
    # R's dim<- would fill column by column: that is NOT what array_reshape does
    r_style = np.reshape(x, (2, 3), order="F")
    np.testing.assert_array_equal(r_style, [[0, 2, 4], [1, 3, 5]])
    assert not np.array_equal(array_reshape(x, (2, 3)), r_style)
    # the chapter: an image's pixel (row, col) lands at row * 28 + col
    images = np.random.default_rng(4).integers(0, 256, (3, 28, 28)).astype(np.uint8)
    flat = array_reshape(images, (3, 28 * 28))
    assert flat.shape == (3, 784) and flat[1, 5 * 28 + 17] == images[1, 5, 17]
    np.testing.assert_array_equal(array_reshape(flat, (3, 28, 28)), images)


def test_flatten_28x28_equals_reshaping_to_784():
    rng = np.random.default_rng(5)
    images = rng.uniform(0, 1, (16, 28, 28)).astype("float32")
    labels = to_categorical(rng.integers(0, 10, 16), 10)
    with_flatten = engine.Sequential([Flatten(input_shape=(28, 28)), Dense(10, activation="softmax")])
    with_reshape = engine.Sequential([Dense(10, activation="softmax", input_shape=(784,))])
    with_reshape.set_weights(with_flatten.get_weights())
    flat = array_reshape(images, (16, 784))
    np.testing.assert_array_equal(with_flatten.predict(images), with_reshape.predict(flat))
    for model in (with_flatten, with_reshape):
        model.compile(optimizer=SGD(0.1), loss="categorical_crossentropy")
    with_flatten.fit(images, labels, epochs=2, batch_size=8, shuffle=False, verbose=0)
    with_reshape.fit(flat, labels, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(with_flatten.get_weights(), with_reshape.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_callbacks_module_exports():
    assert callbacks.History and callbacks.TerminateOnNaN and callbacks.EarlyStopping

"""Training through the real window: worker thread, controls, plots, log, NaN, closing mid-run.

Every test drives the app the way a learner does (buttons, ``state`` setters) and waits on Qt
signals; nothing sleeps. Runs use a slice of the bundled sample to stay fast, except the full
flow, which trains the chapter's network on all 6,000 sample digits as the issue asks.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, QSettings, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

import engine
import playground.training.training_worker
from playground.core.data_loading import load_sample_dataset
from playground.main_window import MainWindow
from playground.panels import training_plots
from playground.text.keras_log import (
    epoch_header, epoch_line, format_duration, progress_caption, run_label, strategy_line,
)
from playground.training.state import LayerSpec, TrainSettings
from playground.training.training_controller import IDLE, PAUSED
from playground.training.training_worker import RunControl

LONG = 120_000  # ms: generous upper bounds for a loaded 2-core machine; typical runs take < 2 s


@pytest.fixture
def window(qtbot, tmp_path):
    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)  # closed at teardown: closeEvent stops any training thread
    w.show()
    qtbot.waitExposed(w)
    return w


def batches_plotted(window) -> int:
    runs = window.training_panel.plots.runs
    return sum(run.batches.n for run in runs.values())


def click(qtbot, window, name):
    button = window.training_panel.findChild(QPushButton, name)
    assert button is not None and button.isEnabled(), f"{name} should be enabled"
    button.click()


# -- the whole flow ------------------------------------------------------------------------------
def test_one_epoch_on_the_sample_trains_plots_logs_and_evaluates(qtbot, window):
    window.state.set_settings(epochs=1, batch_size=128, train_size=0)
    assert window.state.layers == (LayerSpec(512, "relu", 0.0),)  # the chapter's network
    ticks = []
    probe = QTimer()
    probe.timeout.connect(lambda: ticks.append(1))
    probe.start(10)
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        click(qtbot, window, "trainButton")
        assert not window.training_panel.train_button.isEnabled()  # busy: no second start
    probe.stop()
    assert finished.args == ["completed"]
    assert len(ticks) >= 3, "the UI thread kept running its timers while the worker trained"
    panel = window.training_panel
    assert panel.plots.point_count("loss") >= 47  # 6000 / 128 = 47 batches, plus the epoch mark
    assert panel.plots.point_count("accuracy") >= 47
    log = panel.log_view.toPlainText()
    assert "Epoch 1/1" in log and "47/47 - " in log and "loss: " in log and "accuracy: " in log
    assert "Test set: loss:" in log
    evaluation = window.state.evaluation
    assert evaluation is not None and evaluation.accuracy > 0.85
    assert evaluation.confusion.sum() == len(window.state.dataset.x_test)
    assert window.state.model is not None and window.state.trained
    assert panel.progress.value() == panel.progress.maximum()
    assert "Test accuracy" in panel.caption
    # the run has trained the epochs it was asked for: Continue waits for a higher Epochs setting
    assert panel.train_button.text() == "Continue" and not panel.train_button.isEnabled()
    assert "raise Epochs" in panel.reason_label.text() and panel.reset_button.isEnabled()


class _PaintCounter(QObject):
    """Counts a widget's paint events, and those that came while ``inside`` was set."""

    def __init__(self):
        super().__init__()
        self.paints = self.inside_paints = 0
        self.inside = False

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Paint:
            self.paints += 1
            self.inside_paints += self.inside
        return False


def test_the_progress_bar_moves_with_the_next_frame_never_in_a_repaint_of_its_own(qtbot, window, monkeypatch):
    """``QProgressBar.setValue`` repaints at once; the bar's value and caption are painted
    together with the window's next frame instead."""
    panel = window.training_panel
    counter = _PaintCounter()
    panel.progress.installEventFilter(counter)
    real_show = type(panel)._show_progress

    def show_progress(self):
        shown.append(1)
        counter.inside = True
        try:
            real_show(self)
        finally:
            counter.inside = False

    monkeypatch.setattr(type(panel), "_show_progress", show_progress)
    moved, shown = [], []
    panel.progress.valueChanged.connect(moved.append)
    window.state.set_settings(epochs=1, batch_size=32, train_size=1000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: counter.paints > 0)
    assert shown and len(moved) >= 2 and counter.inside_paints == 0  # the first batch's news is always shown


def test_train_again_continues_the_run_until_the_design_changes(qtbot, window):
    window.state.set_settings(epochs=1, train_size=1000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    window.state.set_settings(epochs=2)  # the epoch count is not part of the design: the run goes on
    assert window.training_panel.train_button.text() == "Continue: epoch 2"
    assert window.state.evaluation is not None
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
        assert window.state.evaluation is None  # the weights change: epoch 1's test numbers would be stale
    log = window.training_panel.log_view.toPlainText()
    assert "Epoch 2/2" in log and "continuing from epoch 2 to 2" in log
    plots = window.training_panel.plots
    assert list(plots.runs) == [1]
    assert plots.runs[1].epochs.rows[:, 0].tolist() == [1.0, 2.0]  # x axis: epochs seen
    window.state.set_settings(learning_rate=0.0005)  # a new recipe is a new run (new colour)
    assert window.training_panel.train_button.text() == "Train: epochs 1–2"
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    assert list(plots.runs) == [1, 2]
    assert plots.runs[1].colour != plots.runs[2].colour
    assert "lr=0.0005" in plots.runs[2].label
    assert [number for number, _, _ in window.training_panel.run_list.entries()] == [1, 2]
    click(qtbot, window, "clearRunsButton")
    assert plots.runs == {} and plots.point_count("loss") == 0
    assert window.training_panel.run_list.entries() == []


def test_continue_says_which_epochs_it_runs_and_trains_up_to_the_epochs_setting(qtbot, window):
    """Keras's initial_epoch: after 2 epochs, Epochs 4 and Continue run fit(epochs = 4, initial_epoch = 2)."""
    panel = window.training_panel
    window.state.set_settings(epochs=2, train_size=500)
    assert panel.train_button.text() == "Train: epochs 1–2"
    assert "Ready: Train runs epochs 1 to 2" in panel.caption
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    window.state.set_settings(epochs=4)
    assert panel.train_button.isEnabled() and panel.train_button.text() == "Continue: epochs 3–4"
    assert "fit(..., epochs = 4, initial_epoch = 2)" in panel.train_button.toolTip()
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    log = panel.log_view.toPlainText()
    assert "Epoch 3/4" in log and "Epoch 4/4" in log and "Epoch 5/" not in log and "/6" not in log
    assert window.controller.run.epochs_done == 4
    assert panel.run_list.entries()[0][1].endswith("4 epochs")
    assert not panel.train_button.isEnabled() and "raise Epochs" in panel.reason_label.text()
    assert window.controller.start() is False  # the controller refuses too
    window.state.set_settings(epochs=3)  # fewer than trained: still nothing to continue
    assert not panel.train_button.isEnabled()
    click(qtbot, window, "resetButton")  # a new run from random weights
    assert panel.train_button.isEnabled() and panel.train_button.text() == "Train: epochs 1–3"


def test_a_stopped_run_continues_its_cut_epoch_up_to_the_epochs_setting(qtbot, window):
    window.state.set_settings(epochs=3, batch_size=4, train_size=0)  # 1,500 batches: Stop comes within epoch 1
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: batches_plotted(window) > 0, timeout=LONG)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "stopButton")
    assert window.controller.run.epochs_done == 0
    assert window.training_panel.train_button.text() == "Continue: epochs 1–3"


# -- pause, resume, stop, step --------------------------------------------------------------------
def test_pause_holds_training_and_resume_finishes_it(qtbot, window):
    window.state.set_settings(epochs=4, batch_size=16, train_size=0)  # 375 batches per epoch
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: batches_plotted(window) > 0, timeout=LONG)
    click(qtbot, window, "pauseButton")
    qtbot.waitUntil(lambda: window.controller.phase == PAUSED, timeout=LONG)
    pause = window.training_panel.pause_button
    assert pause.text() == "Resume"
    held = batches_plotted(window)
    assert 0 < held < 1500
    epoch, batch = divmod(held - 1, 375)  # the log says where it waits (the trainer may be in epoch 2 by now)
    assert f"Paused: Epoch {epoch + 1}, batch {batch + 1}/375 " in window.training_panel.log_view.toPlainText()
    assert window.training_panel.plots.runs[1].marks.n == 1
    assert window.training_panel.step_button.isEnabled()
    with qtbot.assertNotEmitted(window.controller.progressed, wait=200):  # a paused worker must not train
        pass
    assert batches_plotted(window) == held
    assert window.controller.threads()[0].isRunning()
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        click(qtbot, window, "pauseButton")
        qtbot.waitUntil(lambda: window.controller.phase != PAUSED, timeout=LONG)
        assert pause.text() == "Pause"
    assert finished.args == ["completed"]
    assert batches_plotted(window) == 1500


def test_stop_ends_the_run_quickly_with_reason_stopped(qtbot, window):
    window.state.set_settings(epochs=50, batch_size=4, train_size=0)  # minutes of work, 1,500 batches an epoch
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: batches_plotted(window) > 0, timeout=LONG)
    click(qtbot, window, "clearRunsButton")  # the run in progress comes back, with its epochs
    qtbot.waitUntil(lambda: batches_plotted(window) > 0, timeout=LONG)
    assert window.training_panel.run_list.entries()[0][1].endswith("0/50 epochs")
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        click(qtbot, window, "stopButton")
    assert finished.args == ["stopped"]
    assert batches_plotted(window) < 1500  # stopped within the first epoch of 50
    assert "Stopped" in window.training_panel.log_view.toPlainText()
    assert window.controller.phase == IDLE
    assert window.training_panel.train_button.text() == "Continue: epochs 1–50"


def test_step_one_batch_runs_exactly_one_more_batch(qtbot, window):
    window.state.set_settings(epochs=1, batch_size=100, train_size=2000)  # 20 batches
    click(qtbot, window, "stepButton")  # from idle: start, then pause after the first batch
    qtbot.waitUntil(lambda: window.controller.phase == PAUSED, timeout=LONG)
    assert batches_plotted(window) == 1
    panel = window.training_panel
    # the step's own loss and accuracy: a line in the log and a cross on each plot
    assert "Step: Epoch 1, batch 1/20 - loss: " in panel.log_view.toPlainText()
    assert panel.plots.runs[1].marks.n == 1 and np.isfinite(panel.plots.runs[1].marks.rows).all()
    qtbot.waitUntil(lambda: panel.plots.point_count("loss") >= 1, timeout=LONG)  # drawn, not just stored
    # one timed batch says nothing about the pace: no made-up speed or ETA
    assert "— samples/s" in panel.caption and "ETA —" in panel.caption
    for expected in (2, 3):
        click(qtbot, window, "stepButton")
        qtbot.waitUntil(lambda: window.controller.phase == PAUSED and batches_plotted(window) == expected,
                        timeout=LONG)
    with qtbot.assertNotEmitted(window.controller.progressed, wait=200):  # paused again after each step
        pass
    assert batches_plotted(window) == 3 and window.controller.phase == PAUSED
    assert window.training_panel.log_view.toPlainText().count("Step: Epoch 1, batch ") == 3
    assert window.training_panel.plots.runs[1].marks.n == 3
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        click(qtbot, window, "stopButton")  # stop also wakes a paused worker
    assert finished.args == ["stopped"]
    assert batches_plotted(window) == 3


@pytest.mark.parametrize("paused", [False, True])
def test_closing_the_window_mid_training_stops_the_thread(qtbot, window, paused):
    window.state.set_settings(epochs=50, batch_size=16, train_size=0)
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: batches_plotted(window) > 0, timeout=LONG)
    if paused:
        click(qtbot, window, "pauseButton")
        qtbot.waitUntil(lambda: window.controller.phase == PAUSED, timeout=LONG)
    threads = window.controller.threads()
    assert threads and all(t.isRunning() for t in threads)
    window.close()
    assert all(t.isFinished() for t in threads)
    assert window.controller.threads() == []


@pytest.mark.parametrize("shared", [False, True], ids=["threads", "processes"])
def test_run_control_steps_and_stops_without_qt(shared):
    import multiprocessing
    control = RunControl(multiprocessing.get_context("spawn") if shared else None)
    assert not control.should_pause_after_batch()  # running: keep going
    control.pause()
    assert control.should_pause_after_batch() and not control.wait_until_resumed(timeout=0.02)  # timed out
    threading.Timer(0.05, control.resume).start()
    assert control.wait_until_resumed(timeout=30)  # resumed from another thread
    control.step(2)
    assert not control.should_pause_after_batch()
    assert control.should_pause_after_batch()  # the second batch of the step: pause now
    control.stop()
    assert control.stop_requested and not control.should_pause_after_batch()
    control.wait_until_resumed()  # stop woke it up: returns at once


# -- the NaN lesson and invalid designs --------------------------------------------------------
def test_a_huge_learning_rate_ends_with_nan_and_says_why(qtbot, window):
    window.state.set_settings(optimizer="sgd", learning_rate=1e6, epochs=2, train_size=2000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        click(qtbot, window, "trainButton")
    assert finished.args == ["nan"]
    panel = window.training_panel
    assert panel.banner.isVisible()
    assert "NaN" in panel.banner.text() and "learning rate" in panel.banner.text()
    assert "learning rate is probably too high" in panel.log_view.toPlainText()
    assert "NaN" in window.statusBar().currentMessage()
    # diverged: Continue would diverge again at once; the way on is Reset weights (or a new rate)
    assert not panel.train_button.isEnabled() and not panel.step_button.isEnabled()
    assert panel.reset_button.isEnabled() and panel.reset_button.isDefault()
    assert "Reset weights" in panel.reason_label.text() and window.controller.start() is False
    # message and state agree: these weights are not a trained, confident network
    assert window.state.model_problem and "diverged" in window.state.model_problem
    assert panel.caption.startswith("Diverged")
    assert window.state.evaluation is None and "Test set: not evaluated" in panel.log_view.toPlainText()
    with qtbot.waitSignal(window.controller.message) as said:  # the Evaluate button has nothing to evaluate
        window.state.request_evaluation()
    assert "diverged" in said.args[0]
    assert panel.run_list.entries()[0][1].endswith("diverged in epoch 1")
    window.state.set_settings(learning_rate=0.01, epochs=1)  # a new run: the UI survives
    assert panel.train_button.isEnabled()
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        click(qtbot, window, "trainButton")
    assert finished.args == ["completed"]
    assert not panel.banner.isVisible() and not window.state.model_problem


def test_after_nan_reset_weights_trains_again_and_draw_makes_no_claim(qtbot, window):
    window.state.set_settings(optimizer="sgd", learning_rate=1e6, epochs=2, train_size=2000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    draw = window.panels["Draw"]
    QTest.mousePress(draw.canvas, Qt.LeftButton, Qt.NoModifier, QPoint(140, 40))
    try:
        for y in range(50, 250, 10):
            QTest.mouseMove(draw.canvas, QPoint(140, y))
    finally:
        QTest.mouseRelease(draw.canvas, Qt.LeftButton, Qt.NoModifier, QPoint(140, 240))
    draw.update_prediction()
    assert not draw.canvas.is_empty()
    assert draw.prediction() is None and "sure" not in draw.confidence_label.text()
    assert "diverged" in draw.status_label.text()
    click(qtbot, window, "resetButton")
    assert not window.state.model_problem and window.training_panel.train_button.text() == "Train: epochs 1–2"
    assert window.training_panel.train_button.isEnabled()


def test_after_a_nan_run_the_log_follows_new_lines_and_the_old_message_goes(qtbot, window):
    panel = window.training_panel
    window.resize(1366, 768)
    window.state.set_settings(epochs=3, train_size=1000)  # enough lines to fill the log
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    window.state.set_settings(optimizer="sgd", learning_rate=1e6, epochs=2, train_size=2000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    assert panel.banner.isVisible()  # it takes room above the log ...
    qtbot.wait(10)
    assert panel.log_view.at_end()  # ... and the log still shows its newest line
    window.state.set_settings(learning_rate=0.01, epochs=3)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
        assert "NaN" not in window.statusBar().currentMessage()  # the new run's line replaced it
    qtbot.wait(10)
    assert not panel.banner.isVisible()
    assert panel.log_view.at_end() and panel.log_view.toPlainText().endswith(
        panel.log_view.document().lastBlock().text())


def test_the_log_stays_where_the_learner_scrolled(qtbot, window):
    log = window.training_panel.log_view
    for i in range(200):
        log.log(f"line {i}")
    assert log.at_end()
    log.verticalScrollBar().setValue(10)  # the learner reads an earlier epoch
    log.log("line 200")
    assert log.verticalScrollBar().value() == 10
    log.verticalScrollBar().setValue(log.verticalScrollBar().maximum())  # back to the end: follow again
    window.training_panel.show_banner("A long message " * 30)  # the log gets shorter
    log.log("line 201")
    qtbot.wait(10)
    assert log.at_end()


def test_absurd_learning_rate_without_nan_is_explained(qtbot, window):
    """RMSprop at 1e6 never goes NaN: the loss sits near 12; the app says why it does not learn."""
    window.state.set_settings(learning_rate=1e6, epochs=2, batch_size=32, train_size=2000)  # 126 batches
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        click(qtbot, window, "trainButton")
    assert finished.args == ["completed"]
    panel = window.training_panel
    assert panel.banner.isVisible() and "stopped improving" in panel.banner.text()
    assert "times Keras's default for rmsprop (0.001)" in panel.banner.text()
    assert "Warning: The loss has stopped improving" in panel.log_view.toPlainText()


def test_an_engine_error_is_reported_and_the_app_carries_on(qtbot, window, monkeypatch):
    monkeypatch.setattr("playground.training.state.settings_errors", lambda *args: [])  # the app refuses this recipe
    window.state.set_settings(train_size=1, validation_split=0.5, epochs=1)  # nothing left to train on
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        click(qtbot, window, "trainButton")
    assert finished.args == ["error"]
    panel = window.training_panel
    assert panel.banner.isVisible() and "validation_split" in panel.banner.text()
    assert "Error: ValueError" in panel.log_view.toPlainText()
    assert window.statusBar().currentMessage().startswith("Error:")
    assert window.controller.phase == IDLE and panel.train_button.isEnabled()


def test_invalid_design_disables_train_and_says_why(qtbot, window):
    panel = window.training_panel
    assert panel.caption.startswith("Ready: Train runs epochs 1 to")
    window.state.set_layers([LayerSpec(0, "relu", 0.0)])
    assert not panel.train_button.isEnabled() and not panel.step_button.isEnabled()
    assert "units must be between" in panel.reason_label.text()
    assert "Ready" not in panel.caption and "network design" in panel.caption  # the bar says why too
    window.state.set_layers([LayerSpec(64, "relu", 0.0)])
    assert panel.train_button.isEnabled() and panel.reason_label.text() == ""
    assert panel.caption.startswith("Ready")
    window.state.set_settings(learning_rate=0.0)
    assert not panel.train_button.isEnabled()
    assert "Learning rate must be a positive number" in panel.reason_label.text()
    assert "Ready" not in panel.caption and "recipe" in panel.caption
    assert window.controller.start() is False  # the controller refuses too


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "mean_squared_error"])
def test_other_losses_get_the_targets_they_need(qtbot, window, loss):
    window.state.set_settings(loss=loss, epochs=1, train_size=500)
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        click(qtbot, window, "trainButton")
    assert finished.args == ["completed"]
    assert window.state.evaluation is not None and 0 <= window.state.evaluation.accuracy <= 1


def test_evaluate_request_runs_off_the_ui_thread(qtbot, window, monkeypatch):
    window.state.set_settings(epochs=1, train_size=1000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    window.state.set_evaluation(None)
    threads = []
    evaluate_model = playground.training.training_worker.evaluate_model

    def recording_evaluate_model(model, data):
        threads.append(threading.get_ident())  # the OS thread that really runs the evaluation
        return evaluate_model(model, data)

    monkeypatch.setattr(playground.training.training_worker, "evaluate_model", recording_evaluate_model)
    with qtbot.waitSignal(window.state.evaluation_changed, timeout=LONG):
        window.state.request_evaluation()
    assert window.state.evaluation is not None and window.state.evaluation.accuracy > 0.5
    assert len(threads) == 1, "the requested evaluation went through evaluate_model once"
    assert threads[0] != threading.main_thread().ident, "the evaluation ran on the UI thread"


def test_an_evaluation_of_a_replaced_model_is_dropped(qtbot, window):
    window.state.set_settings(epochs=1, train_size=1000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    window.state.set_evaluation(None)
    controller = window.controller
    with qtbot.waitSignal(controller.message, timeout=LONG):  # "Evaluating on the test set..."
        window.state.request_evaluation()
    click(qtbot, window, "resetButton")  # a new, untrained network replaces the evaluated one
    qtbot.waitUntil(lambda: not controller.threads(), timeout=LONG)
    qtbot.wait(50)  # let any queued result arrive
    assert window.state.evaluation is None


def test_reset_weights_starts_a_new_run_from_untrained_weights(qtbot, window):
    window.state.set_settings(epochs=1, train_size=1000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    trained = window.state.model.get_weights()
    click(qtbot, window, "resetButton")
    assert not window.state.trained and window.state.evaluation is None
    assert "Test accuracy" not in window.training_panel.caption  # those numbers were about other weights
    assert not np.allclose(trained[0], window.state.model.get_weights()[0])
    click(qtbot, window, "resetButton")  # twice, and a design that was never trained: no number used up
    window.state.set_settings(learning_rate=0.002)
    window.state.set_settings(learning_rate=0.001)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    assert list(window.training_panel.plots.runs) == [1, 2]  # run numbers do not skip
    assert "Run 2: " in window.training_panel.log_view.toPlainText()


def test_opening_another_dataset_drops_the_old_test_accuracy_from_the_caption(qtbot, window):
    window.state.set_settings(epochs=1, train_size=1000)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    assert "Test accuracy" in window.training_panel.caption
    window.state.set_dataset(load_sample_dataset())  # File > Open dataset: the model is dropped
    assert window.state.model is None
    assert "Test accuracy" not in window.training_panel.caption
    assert window.training_panel.caption.startswith("Ready: Train runs epoch 1")


# -- the run list and the axes ----------------------------------------------------------------
def test_runs_can_be_hidden_and_removed_one_by_one_and_the_axes_follow(qtbot, window):
    panel = window.training_panel
    plots, runs = panel.plots, panel.run_list
    window.state.set_settings(epochs=3, train_size=500)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    window.state.set_settings(epochs=1, loss="mean_squared_error", validation_split=0.2)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    (one, text_one, shown_one), (two, text_two, shown_two) = runs.entries()
    assert (one, two) == (1, 2) and shown_one and shown_two
    # what both share is said once; each line keeps what makes it different, and its epochs
    assert "all: 512 relu · rmsprop lr=0.001 · bs 128 · 500 digits" in runs.shared_label.text()
    assert text_one == "1  3 epochs" and text_two == "2  mse · val 0.2 · 1 epoch"
    assert plots.x_range()[1] == pytest.approx(3 * 1.04, abs=0.2)  # run 1 reaches epoch 3
    runs.item_for(1).setCheckState(Qt.Unchecked)  # hide run 1: its curves go, the axis shrinks to run 2
    assert not plots.runs[1].visible and all(not c.isVisible() for c in plots.runs[1].curves["loss"])
    assert plots.point_count("loss", visible_only=True) < plots.point_count("loss")
    assert plots.x_range()[1] == pytest.approx(1.04, abs=0.1)
    runs.item_for(1).setCheckState(Qt.Checked)
    assert plots.x_range()[1] == pytest.approx(3 * 1.04, abs=0.2)
    runs.list.setCurrentItem(runs.item_for(2))
    click(qtbot, window, "removeRunButton")
    assert list(plots.runs) == [1] and [n for n, _, _ in runs.entries()] == [1]
    click(qtbot, window, "clearRunsButton")  # everything goes, and the ranges start afresh
    assert runs.entries() == [] and plots.x_range()[1] == pytest.approx(1.04, abs=0.05)
    assert window.training_panel.plots.plots["loss"].getViewBox().viewRange()[1] == pytest.approx([0, 1])


def test_the_x_axis_shrinks_to_a_run_stopped_early(qtbot, window):
    window.state.set_settings(epochs=1000, train_size=500)  # planned: 1000 epochs
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: batches_plotted(window) > 0, timeout=LONG)
    assert window.training_panel.plots.x_range()[1] > 1000  # while it runs: how far it will go
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "stopButton")
    position = window.controller.run.position  # a fraction of the first epoch
    assert window.training_panel.plots.x_range()[1] == pytest.approx(1.04 * position)  # 4% padding


# -- which strategy trains, and why --------------------------------------------------------------
def train_one_epoch_and_read_the_log(qtbot, window) -> tuple[dict, list[str]]:
    window.state.set_settings(epochs=1, train_size=1000)
    began = []
    window.controller.fit_began.connect(began.append)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    assert len(began) == 1
    return began[0], window.training_panel.log_view.toPlainText().splitlines()


def test_the_log_says_which_strategy_trains_and_why_before_the_first_epoch(qtbot, window):
    params, lines = train_one_epoch_and_read_the_log(qtbot, window)
    assert params["strategy"] in engine.strategies.names() and params["strategy_reason"]
    line = f"Strategy: {params['strategy']} ({params['strategy_reason']})"  # as fit(verbose = 1) prints it
    assert line in lines
    assert lines.index(line) < lines.index("Epoch 1/1")


def test_the_log_shows_the_strategy_the_environment_asks_for(qtbot, window, monkeypatch):
    monkeypatch.setenv("ENGINE_STRATEGY", "serial")
    params, lines = train_one_epoch_and_read_the_log(qtbot, window)
    assert params["strategy"] == "serial"
    assert [line for line in lines if line.startswith("Strategy: ")] == [
        f"Strategy: serial ({params['strategy_reason']})"]
    assert "ENGINE_STRATEGY=serial" in params["strategy_reason"]


def test_the_strategy_line_reads_like_keras():
    assert strategy_line("two_threads", "2 cores, the biggest layer does 401,408 multiply-adds per sample") == (
        "Strategy: two_threads (2 cores, the biggest layer does 401,408 multiply-adds per sample)")
    assert strategy_line("serial", "") == "Strategy: serial"


# -- Keras-style text ---------------------------------------------------------------------------
def test_keras_log_lines_match_keras():
    assert epoch_header(0, 5) == "Epoch 1/5"
    line = epoch_line(469, 1.2, {"loss": 0.25754, "accuracy": 0.92551, "val_loss": 0.1, "val_accuracy": 0.97})
    assert line == "469/469 - 1s - 3ms/step - loss: 0.2575 - accuracy: 0.9255 - val_loss: 0.1000 - val_accuracy: 0.9700"
    assert epoch_line(16, 0.1, {"loss": float("nan")}, done=6).startswith("6/16 - 0s")
    assert "loss: nan" in epoch_line(16, 0.1, {"loss": float("nan")})
    assert format_duration(75) == "1:15" and format_duration(3725) == "1:02:05" and format_duration(None) == "—"
    caption = progress_caption(1, 5, 120, 469, 5320.4, 12)
    assert caption == "Epoch 2/5 · batch 120/469 · 5,320 samples/s · ETA 0:12"
    assert run_label((LayerSpec(512, "relu"),), TrainSettings()) == "512 relu · rmsprop lr=0.001 · bs 128"
    deep = (LayerSpec(256, "relu"), LayerSpec(64, "sigmoid", 0.5))
    assert run_label(deep, TrainSettings(optimizer="sgd", learning_rate=0.01, batch_size=32)) == (
        "256 relu, 64 sigmoid d0.5 · sgd lr=0.01 · bs 32")


def test_the_next_runs_curves_are_made_before_train_is_pressed(qtbot, window):
    """Making a run's 8 curves stalls the window for ~25 ms: it happens while nothing trains, and
    the press of Train takes those curves, in the next run's colour, instead of making new ones."""
    plots = window.training_panel.plots
    qtbot.waitUntil(lambda: plots._spare is not None)
    colour, spare = plots._spare
    spare_items = [curve for curves in spare.values() for curve in curves]
    window.state.set_settings(epochs=1, train_size=300)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    run = plots.runs[1]
    assert run.colour == QColor(colour)
    assert [curve for curves in run.curves.values() for curve in curves] == spare_items
    qtbot.waitUntil(lambda: plots._spare is not None and plots._spare[0] != colour)  # the next one's
    items = plots.plots["loss"].getPlotItem().listDataItems()
    assert len(items) == 2 * 4  # run 1's four curves and the spare's, nothing left behind


def test_the_next_runs_curves_wait_for_the_end_of_a_fit_to_pass(qtbot, window, monkeypatch):
    """The end of a fit keeps the UI thread busy (the evaluation is shown): the spare curves are
    made a moment later, not in that burst, and never while a fit runs."""
    plots = window.training_panel.plots
    qtbot.waitUntil(lambda: plots._spare is not None)
    scheduled = []
    monkeypatch.setattr(training_plots.QTimer, "singleShot", lambda *args: scheduled.append(args))
    plots.expect_until(10.0)  # a fit begins
    plots._spare = None  # taken by the run that began
    plots.prepare_next_run()
    assert plots._spare is None  # a fit runs: nothing is made
    plots.fit_ended()
    assert scheduled == [(training_plots.SPARE_AFTER_FIT_MS, plots, plots.prepare_next_run)]
    assert training_plots.SPARE_AFTER_FIT_MS >= 300
    plots.prepare_next_run()  # when the timer fires
    assert plots._spare is not None


def test_the_controller_and_the_state_never_disagree_about_training(qtbot, window):
    """One record of whether a network trains: the state's phase, which the controller reads.
    Every listener, whichever signal it hears, sees the same answer from both."""
    controller, state = window.controller, window.state
    seen = []

    def record(signal_name):
        return lambda *args: seen.append((signal_name, controller.phase, state.training_phase, state.is_training))

    controller.phase_changed.connect(record("phase_changed"))
    state.training_started.connect(record("training_started"))
    state.training_finished.connect(record("training_finished"))
    state.set_settings(epochs=1, train_size=300)
    with qtbot.waitSignal(window.training_finished, timeout=LONG):
        click(qtbot, window, "trainButton")
    assert [name for name, *_ in seen].count("training_finished") == 1
    for name, phase, state_phase, training in seen:
        assert phase == state_phase and training == (phase != IDLE), name
    assert seen[-1][1:] == (IDLE, IDLE, False) and not controller.is_busy

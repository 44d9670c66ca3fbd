"""The Runs panel with real training: runs are recorded and listed, trained again to the same
bits, slid through epoch by epoch, hidden, deleted and raced. Small runs (500 sample digits, a
32-unit layer, 2 epochs of 5 batches) keep the tests quick on a busy machine."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from playground.core.data_loading import load_sample_dataset
from playground.core.run_history import RunHistory
from playground.panels.runs_panel import RunsPanel
from playground.panels.runs_table import COLUMNS
from playground.panels.training_panel import TrainingPanel
from playground.training.run_recorder import model_from_record
from playground.training.state import AppState, LayerSpec
from playground.training.training_controller import TrainingController

LONG = 120_000  # ms: a generous bound for a loaded 2-core machine


@pytest.fixture
def app(qtbot, tmp_path):
    state = AppState(load_sample_dataset())
    state.set_layers((LayerSpec(32, "relu"),))
    state.set_settings(epochs=2, train_size=500, batch_size=100, seed=3)
    controller = TrainingController(state)
    training = TrainingPanel(state, controller)
    qtbot.addWidget(training)
    panel = RunsPanel(state, controller, RunHistory(tmp_path / "runs.sqlite"), plots=training.plots)
    qtbot.addWidget(panel)
    yield state, controller, training, panel
    controller.shutdown()
    panel.shutdown()


def train(qtbot, state, controller, panel, start=None) -> None:
    with qtbot.waitSignal(state.training_finished, timeout=LONG) as finished:
        assert (start or controller.start)()
    assert finished.args == ["completed"]
    panel.recorder.flush()
    panel.refresh()


def cell(panel, run_id, column):
    row = panel.run_ids().index(run_id)
    return panel.sorted.index(row, COLUMNS.index(column))


def test_two_runs_are_listed_newest_first_with_what_changed_highlighted(qtbot, app):
    state, controller, _, panel = app
    train(qtbot, state, controller, panel)
    state.set_settings(learning_rate=0.01)
    train(qtbot, state, controller, panel)
    first, second = sorted(panel.run_ids())
    assert panel.run_ids() == [second, first]
    panel.view.sortByColumn(COLUMNS.index("#"), Qt.AscendingOrder)  # a click on the header
    assert panel.run_ids() == [first, second]
    assert cell(panel, second, "Optimizer").data() == "rmsprop lr=0.01"
    assert cell(panel, second, "Optimizer").data(Qt.FontRole).bold()  # changed since the run before
    assert "rmsprop lr=0.001 → rmsprop lr=0.01" in cell(panel, second, "Optimizer").data(Qt.ToolTipRole)
    assert cell(panel, second, "Network").data(Qt.FontRole) is None  # unchanged: plain
    assert cell(panel, second, "Epochs").data() == "2" and cell(panel, second, "Test acc").data().endswith("%")
    record = panel.history.run(first)
    assert record.settings["seed"] == 3 and record.dataset_name == state.dataset.name and record.dataset_hash
    assert record.snapshot_epochs == [0, 1, 2] and record.test_accuracy is not None and record.duration > 0
    assert panel.history.curves(first).batches.shape == (10, 5)  # 2 epochs of 5 batches


def test_a_hidden_panel_reads_the_runs_when_it_is_shown_not_at_every_epoch(qtbot, app, monkeypatch):
    state, controller, _, panel = app
    reads, read_runs = [], panel.history.runs
    monkeypatch.setattr(panel.history, "runs", lambda *args, **kwargs: reads.append(1) or read_runs(*args, **kwargs))
    with qtbot.waitSignal(state.training_finished, timeout=LONG):
        assert controller.start()
    panel.recorder.flush()
    qtbot.wait(3 * panel._refresh_timer.interval())  # the epochs' refreshes come due while it is hidden
    assert reads == [] and panel.run_ids() == []
    panel.show()
    qtbot.waitExposed(panel)
    assert reads and len(panel.run_ids()) == 1


def test_train_again_gives_bit_identical_curves_and_weights(qtbot, app):
    state, controller, _, panel = app
    train(qtbot, state, controller, panel)
    (original,) = panel.run_ids()
    state.set_settings(learning_rate=0.05, batch_size=50, epochs=1)  # the learner moved on
    panel.select([original])
    assert panel.train_again_button.isEnabled()
    train(qtbot, state, controller, panel, start=lambda: panel.train_again_button.click() or True)
    again = max(panel.run_ids())
    assert again != original and state.settings.learning_rate == 0.001 and state.settings.batch_size == 100
    a, b = panel.history.curves(original), panel.history.curves(again)
    assert a.batches.shape == (10, 5)
    assert np.array_equal(a.batches, b.batches) and np.array_equal(a.epochs, b.epochs, equal_nan=True)
    for x, y in zip(panel.history.weights_at(original, 2), panel.history.weights_at(again, 2)):
        assert np.array_equal(x, y)


def test_the_time_machine_shows_that_epochs_weights_and_evaluates_them(qtbot, app):
    state, controller, _, panel = app
    seen = {}
    controller.epoch_ended.connect(lambda info: seen.setdefault(info["epoch"] + 1, info["run"].snapshot.get_weights()))
    train(qtbot, state, controller, panel)
    (run_id,) = panel.run_ids()
    panel.select([run_id])
    assert panel.slider.isEnabled() and panel.slider.maximum() == 2 and panel.epoch_label.text() == "Epoch 2 of 2"
    latest = state.model
    with qtbot.waitSignal(controller.evaluated, timeout=LONG):
        with qtbot.waitSignal(state.model_changed, timeout=LONG):
            panel.slider.setValue(1)  # the learner drags the slider to epoch 1
    assert panel.epoch_label.text() == "Epoch 1 of 2"
    assert state.model is not latest and state.trained
    for mine, then in zip(state.model.get_weights(), seen[1]):
        assert np.array_equal(mine, then)
    assert not np.array_equal(state.model.get_weights()[0], seen[2][0])
    assert state.evaluation is not None  # Evaluate shows epoch 1's network
    assert "epoch 1" in panel.message.text()
    assert panel.show_epoch(run_id, 0) and not state.trained  # its random start
    assert panel.slider.value() == 0 and panel.epoch_label.text() == "Epoch 0 of 2"


def test_the_draw_panels_prediction_follows_the_time_machine(qtbot, app):
    from playground.core.training_data import shaped_for
    from playground.panels.draw_panel import DrawPanel
    from tests.playground.test_draw_panel import VERTICAL, drag, settled_input

    state, controller, _, panel = app
    draw = DrawPanel(state)
    qtbot.addWidget(draw)
    draw.show()
    drag(draw.canvas, VERTICAL)  # a "1"
    digit = settled_input(draw, qtbot).reshape(1, -1)
    train(qtbot, state, controller, panel)
    (run_id,) = panel.run_ids()
    shown = {}
    for epoch in (1, 2, 1):
        assert panel.show_epoch(run_id, epoch)
        then = model_from_record(panel.history.run(run_id).model_config, panel.history.weights_at(run_id, epoch))
        expected = then.predict(shaped_for(then, digit), verbose=0)[0]
        np.testing.assert_allclose(draw.chart.probabilities(), expected, rtol=1e-6)
        shown[epoch] = draw.chart.probabilities()
    assert not np.allclose(shown[1], shown[2])  # two epochs, two different guesses


def test_runs_can_be_hidden_shown_deleted_and_come_back_after_a_restart(qtbot, app, tmp_path):
    state, controller, training, panel = app
    train(qtbot, state, controller, panel)
    state.set_settings(seed=4)
    train(qtbot, state, controller, panel)
    first, second = sorted(panel.run_ids())
    plots = training.plots
    assert set(plots.runs) == {1, 2}
    assert cell(panel, first, "Plot").data(Qt.CheckStateRole) == Qt.Checked
    panel.sorted.setData(cell(panel, first, "Plot"), Qt.Unchecked, Qt.CheckStateRole)  # untick: hidden
    assert not plots.runs[1].visible and plots.runs[2].visible
    assert cell(panel, first, "Plot").data(Qt.CheckStateRole) == Qt.Unchecked
    panel.sorted.setData(cell(panel, first, "Name"), "  baseline ", Qt.EditRole)
    panel.set_note(first, "the chapter's recipe")
    panel.confirm = lambda text: "run #" in text
    panel.select([second])
    panel.delete_selected()
    assert panel.run_ids() == [first] and 2 not in plots.runs
    assert cell(panel, first, "Name").data() == "baseline"

    # a restart: a new panel over the same file lists the run and draws it from its record
    panel.recorder.flush()
    reopened = RunsPanel(state, controller, RunHistory(tmp_path / "runs.sqlite"), plots=plots)
    qtbot.addWidget(reopened)
    try:
        assert reopened.run_ids() == [first] and reopened.problem == ""
        assert cell(reopened, first, "Note").data() == "the chapter's recipe"
        assert cell(reopened, first, "Plot").data(Qt.CheckStateRole) == Qt.Unchecked
        reopened.set_shown(first, True)
        drawn = plots.runs[f"#{first}"]
        assert drawn.visible and drawn.batches.n == 10 and drawn.epochs.n == 2
        assert np.array_equal(drawn.epochs.rows[:, 1], plots.runs[1].epochs.rows[:, 1])  # the same losses
        assert "baseline" in drawn.label
    finally:
        reopened.shutdown()


def test_continue_adds_to_the_same_record(qtbot, app):
    state, controller, _, panel = app
    state.set_settings(epochs=1)
    train(qtbot, state, controller, panel)
    state.set_settings(epochs=2)
    train(qtbot, state, controller, panel)
    (run_id,) = panel.run_ids()
    record = panel.history.run(run_id)
    assert (record.epochs_done, record.snapshot_epochs, record.status) == (2, [0, 1, 2], "completed")
    assert panel.history.curves(run_id).batches.shape == (10, 5)


def test_a_race_of_learning_rates_trains_each_from_the_same_seed_and_overlays_them(qtbot, app):
    state, controller, training, panel = app
    state.set_settings(epochs=1)
    train(qtbot, state, controller, panel)  # an earlier run: hidden while the race is drawn
    panel.race_kind.setCurrentText("learning rates")
    assert panel.race_values.text() == "0.0001, 0.001, 0.01"
    panel.race_values.setText("0.001, 0.01")
    with qtbot.waitSignal(panel.race.ended, timeout=2 * LONG):
        panel.race_button.click()
    panel.recorder.flush()
    panel.refresh()
    assert "Race done: lr=0.001, lr=0.01" in panel.message.text()
    assert state.settings.learning_rate == 0.001  # the learner's own recipe is back
    runs = [panel.history.run(i) for i in sorted(panel.run_ids())]
    assert [r.note for r in runs] == ["", "race 1/2: lr=0.001", "race 2/2: lr=0.01"]
    assert [r.settings["learning_rate"] for r in runs[1:]] == [0.001, 0.01]
    assert np.array_equal(panel.history.weights_at(runs[1].id, 0)[0], panel.history.weights_at(runs[2].id, 0)[0])
    assert [number for number, curves in training.plots.runs.items() if curves.visible] == [2, 3]


def test_a_race_needs_two_known_recipes(qtbot, app):
    _, _, _, panel = app
    panel.race_values.setText("rmsprop, nadam")
    assert not panel.start_race() and "“nadam” is not an optimizer" in panel.message.text()
    panel.race_values.setText("adam")
    assert not panel.start_race() and "at least two" in panel.message.text()


def test_a_damaged_history_is_said_and_the_panel_starts_empty(qtbot, tmp_path):
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"not a database" * 200)
    state = AppState(load_sample_dataset())
    controller = TrainingController(state)
    panel = RunsPanel(state, controller, RunHistory(path))
    qtbot.addWidget(panel)
    try:
        assert panel.run_ids() == []
        assert "could not be opened" in panel.message.text() and "runs.damaged-" in panel.message.text()
        assert panel.table.data(panel.table.index(0, 0)) is None
    finally:
        controller.shutdown()
        panel.shutdown()


@pytest.mark.parametrize("said", [True, False])
def test_closing_mid_training_keeps_the_run_with_its_batches(qtbot, app, tmp_path, said):
    state, controller, _, panel = app
    state.set_settings(epochs=1000)
    with qtbot.waitSignal(controller.epoch_ended, timeout=LONG):
        assert controller.start()
    if not said:  # the controller may close without saying training ended
        state.training_finished.disconnect(panel.recorder._on_training_finished)
    controller.shutdown()  # what the window does when it closes, then each panel's shutdown()
    panel.shutdown()
    (record,) = RunHistory(tmp_path / "runs.sqlite").runs()
    assert record.status == ("stopped" if said else "interrupted") and 1 <= record.epochs_done < 1000
    assert len(RunHistory(tmp_path / "runs.sqlite").curves(record.id).batches) >= 5 * record.epochs_done


def test_a_deleted_run_that_continues_is_not_written_again(qtbot, app):
    state, controller, _, panel = app
    state.set_settings(epochs=1)
    train(qtbot, state, controller, panel)
    panel.delete(panel.run_ids())
    state.set_settings(epochs=2)
    train(qtbot, state, controller, panel)  # Continue: the same run, whose record is gone
    assert panel.run_ids() == []
    assert panel.history._read("SELECT count(*) FROM batches") == [(0,)]  # nothing left behind


def test_export_csv_writes_the_selected_runs(qtbot, app, tmp_path):
    state, controller, _, panel = app
    train(qtbot, state, controller, panel)
    panel.select(panel.run_ids())
    written = panel.export_selected(tmp_path / "runs.csv")
    lines = written.read_text().splitlines()
    assert lines[0].startswith("run,name,kind,epoch,batch,x,loss") and len(lines) == 1 + 10 + 2
    assert "runs.csv" in panel.message.text()


def test_the_weights_cap_is_a_setting_kept_in_the_history(qtbot, tmp_path):
    state = AppState(load_sample_dataset())
    controller = TrainingController(state)
    panel = RunsPanel(state, controller, RunHistory(tmp_path / "runs.sqlite"))
    qtbot.addWidget(panel)
    try:
        assert panel.cap_spin.value() == 100  # MB per run, the default
        panel.cap_spin.setValue(7)
        panel.cap_spin.editingFinished.emit()
        assert panel.history.cap_bytes == 7 * 2**20
    finally:
        controller.shutdown()
        panel.shutdown()
    assert RunHistory(tmp_path / "runs.sqlite").cap_bytes == 7 * 2**20


def test_what_changed_is_found_in_the_recipe_and_the_digits(tmp_path):
    from playground.panels.runs_table import changes

    history = RunHistory(tmp_path / "runs.sqlite")
    base = {"optimizer": "rmsprop", "learning_rate": 0.001, "batch_size": 128, "seed": 0}
    layers = [{"units": 512, "activation": "relu", "dropout": 0.0}]
    first = history.start_run(layers=layers, settings=base, dataset_name="MNIST", dataset_hash="a")
    second = history.start_run(layers=layers, settings={**base, "loss": "mean_squared_error"},
                               dataset_name="MNIST", dataset_hash="a")
    third = history.start_run(layers=[{"units": 64, "activation": "relu", "dropout": 0.0}],
                              settings={**base, "loss": "mean_squared_error"}, dataset_name="MNIST", dataset_hash="b")
    found = changes(history.runs())
    assert found[first] == {}
    assert found[second] == {"Optimizer": "rmsprop lr=0.001"}  # now "rmsprop lr=0.001 · mse"
    assert found[third] == {"Network": "512 relu", "Data": "MNIST (other digits)"}


def test_a_run_trained_in_two_goes_is_trained_again_in_one_to_the_same_bits(qtbot, app):
    state, controller, _, panel = app
    state.set_settings(epochs=1)
    train(qtbot, state, controller, panel)
    with qtbot.waitSignal(controller.evaluated, timeout=LONG):  # Evaluate between the two goes
        state.request_evaluation()
    state.set_settings(epochs=2)
    train(qtbot, state, controller, panel)  # Continue: epoch 2
    (original,) = panel.run_ids()
    train(qtbot, state, controller, panel, start=lambda: panel.train_again(original))
    again = max(panel.run_ids())
    a, b = panel.history.curves(original), panel.history.curves(again)
    assert np.array_equal(a.batches, b.batches) and np.array_equal(a.epochs, b.epochs, equal_nan=True)


def test_a_note_being_typed_is_not_closed_by_the_next_epoch(qtbot, app):
    state, controller, _, panel = app
    state.set_settings(epochs=1)
    train(qtbot, state, controller, panel)
    (run_id,) = panel.run_ids()
    panel.show()
    panel.view.edit(cell(panel, run_id, "Note"))  # the learner double-clicks the note
    assert panel.view.state() == panel.view.State.EditingState
    panel._refresh_timer.timeout.emit()  # the refresh after an epoch of another run was written
    assert panel.view.state() == panel.view.State.EditingState
    assert panel._refresh_timer.isActive()  # tried again later


def test_a_run_from_a_loaded_model_is_marked_and_train_again_says_it_starts_from_random_weights(qtbot, app):
    state, controller, _, panel = app
    loaded = state.build_model()  # as File > Load model gives it
    loaded.set_weights([w + 0.01 for w in loaded.get_weights()])
    as_loaded = loaded.get_weights()  # (the loaded model becomes the run's snapshot, which training updates)
    assert controller.adopt_model(loaded, "my_model.npz")
    train(qtbot, state, controller, panel)
    (run_id,) = panel.run_ids()
    record = panel.history.run(run_id)
    assert record.name == "loaded model" and record.settings["from_loaded_model"] is True
    for kept, mine in zip(panel.history.weights_at(run_id, 0), as_loaded):
        assert np.array_equal(kept, mine)  # epoch 0 is the loaded weights, not random ones
    train(qtbot, state, controller, panel, start=lambda: panel.train_again(run_id))
    assert "began from a loaded model's weights" in panel.message.text()


def test_a_write_that_fails_while_training_is_said_and_training_goes_on(qtbot, app, monkeypatch):
    from playground.core.run_history import HistoryError

    state, controller, _, panel = app

    def disk_full(*args, **kwargs):
        raise HistoryError("The run history cannot be written: database or disk is full.")

    monkeypatch.setattr(panel.history, "end_epoch", disk_full)
    with qtbot.waitSignal(panel.recorder.failed, timeout=LONG):
        train(qtbot, state, controller, panel)  # completes: recording never stops training
    qtbot.waitUntil(lambda: "disk is full" in panel.message.text(), timeout=LONG)
    assert state.evaluation is not None

"""The run history on its own (no Qt): what a run leaves behind survives a restart, edits stick,
snapshots are thinned oldest first past the cap, and a damaged or locked file never stops the app."""
from __future__ import annotations

import csv
import sqlite3
import sys

import numpy as np
import pytest

from playground.core import run_history
from playground.core.run_history import HistoryError, RunHistory, thin

CHAPTER_SETTINGS = {"optimizer": "rmsprop", "learning_rate": 0.001, "batch_size": 128, "epochs": 2, "seed": 7}


def weights_for(epoch: int, size: int = 50) -> list[np.ndarray]:
    rng = np.random.default_rng(epoch)
    return [rng.standard_normal((size, 10)).astype(np.float32), rng.standard_normal(10).astype(np.float32)]


def record_run(history: RunHistory, epochs: int = 2, name: str = "run", size: int = 50) -> int:
    """What the recorder writes for one fit: the start, batches, epoch ends with weights, the test set."""
    run_id = history.start_run(name=name, layers=[{"units": 512, "activation": "relu", "dropout": 0.0}],
                               settings=CHAPTER_SETTINGS, dataset_name="MNIST sample", dataset_hash="abc",
                               model_config={"layers": []}, engine_version="0.1.0")
    history.add_weights(run_id, 0, weights_for(0, size))
    for epoch in range(1, epochs + 1):
        batches = [(epoch - 1 + b / 4, epoch, b, 2.0 / (epoch * b), 0.5 + 0.1 * b) for b in range(1, 5)]
        history.end_epoch(run_id, epoch, {"loss": 1.0 / epoch, "accuracy": 0.9, "val_loss": float("nan")},
                          weights_for(epoch, size), x=float(epoch), seconds=0.5, batches=batches)
    history.finish(run_id, {"loss": 0.3, "accuracy": 0.91}, "completed", seconds=1.25)
    return run_id


def test_a_run_survives_closing_and_reopening_the_history(tmp_path):
    path = tmp_path / "runs.sqlite"
    history = RunHistory(path)
    run_id = record_run(history)
    history.close()

    reopened = RunHistory(path)
    assert reopened.problem == ""
    (record,) = reopened.runs()
    assert (record.id, record.name, record.status, record.epochs_done) == (run_id, "run", "completed", 2)
    assert record.settings == CHAPTER_SETTINGS and record.seed == 7
    assert record.layers == [{"units": 512, "activation": "relu", "dropout": 0.0}]
    assert (record.dataset_name, record.dataset_hash, record.engine_version) == ("MNIST sample", "abc", "0.1.0")
    assert (record.test_loss, record.test_accuracy, record.duration) == (0.3, 0.91, 1.25)
    assert record.snapshot_epochs == [0, 1, 2]
    curves = reopened.curves(run_id)
    assert curves.batches.shape == (8, 5)
    assert curves.batches[0].tolist() == [0.25, 1, 1, 2.0, 0.6]
    assert curves.epoch_numbers == [1, 2]
    assert curves.epochs[:, :3].tolist() == [[1.0, 1.0, 0.9], [2.0, 0.5, 0.9]]
    assert np.isnan(curves.epochs[0, 3])  # a NaN validation loss comes back as NaN (a gap)
    assert curves.epoch_logs(1) == {"loss": 0.5, "accuracy": 0.9}


def test_weights_at_an_epoch_are_that_epochs_weights_bit_for_bit(tmp_path):
    history = RunHistory(tmp_path / "runs.sqlite")
    run_id = record_run(history, epochs=3)
    for epoch in (0, 1, 3):
        for kept, original in zip(history.weights_at(run_id, epoch), weights_for(epoch)):
            assert kept.dtype == original.dtype and np.array_equal(kept, original)
    with pytest.raises(KeyError):
        history.weights_at(run_id, 4)


def test_rename_note_and_delete_stick_across_a_restart(tmp_path):
    path = tmp_path / "runs.sqlite"
    history = RunHistory(path)
    first, second, third = (record_run(history, epochs=1, name=f"run {i}") for i in range(3))
    history.rename(first, "rmsprop baseline")
    history.set_note(first, "the chapter's recipe")
    history.delete([second, third])
    history.close()

    reopened = RunHistory(path)
    assert [(r.id, r.name, r.note) for r in reopened.runs()] == [(first, "rmsprop baseline", "the chapter's recipe")]
    assert reopened.curves(second).batches.shape == (0, 5)
    assert reopened.snapshot_epochs(second) == []


def test_a_run_is_thinned_oldest_first_past_the_cap_keeping_first_and_last(tmp_path):
    history = RunHistory(tmp_path / "runs.sqlite")
    one = len(run_history.encode_weights(weights_for(0, size=200)))
    history.set_cap_bytes(int(6.5 * one))  # room for about six snapshots
    run_id = record_run(history, epochs=7, size=200)
    kept = history.snapshot_epochs(run_id)
    assert kept == [0, 2, 4, 5, 6, 7]  # old epochs sparse, recent ones whole, the start kept
    assert history.runs()[0].snapshot_bytes <= history.cap_bytes
    history.end_epoch(run_id, 8, {"loss": 0.1}, weights_for(8, size=200), x=8.0)
    assert history.snapshot_epochs(run_id) == [0, 2, 4, 6, 7, 8]  # going on, the gaps spread evenly
    for epoch in history.snapshot_epochs(run_id):  # what is kept is still each epoch's own weights
        assert np.array_equal(history.weights_at(run_id, epoch)[0], weights_for(epoch, size=200)[0])


def test_lowering_the_cap_thins_the_runs_already_kept_and_the_setting_is_remembered(tmp_path):
    path = tmp_path / "runs.sqlite"
    history = RunHistory(path)
    run_id = record_run(history, epochs=4)
    assert history.snapshot_epochs(run_id) == [0, 1, 2, 3, 4]
    history.set_cap_bytes(1)  # nothing fits: only the first and the last stay
    assert history.snapshot_epochs(run_id) == [0, 4]
    history.close()
    assert RunHistory(path).cap_bytes == 1


def test_thinning_drops_the_snapshot_closest_to_the_one_before_it():
    assert thin(range(6), [1] * 6, cap=6) == []
    assert thin(range(6), [1] * 6, cap=5) == [1]
    assert thin(range(6), [1] * 6, cap=3) == [1, 3, 2]
    assert thin([0, 5], [10, 10], cap=1) == []  # first and last always stay


def test_a_damaged_file_is_moved_aside_and_a_fresh_history_starts(tmp_path):
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"this is not an SQLite database, just some bytes" * 100)
    history = RunHistory(path)
    assert history.moved_to is not None and history.moved_to.exists()
    assert history.moved_to.read_bytes().startswith(b"this is not an SQLite")  # kept, never deleted
    assert history.moved_to.name.startswith("runs.damaged-") and history.moved_to.suffix == ".sqlite"
    assert "could not be opened" in history.problem and "damaged" in history.problem
    assert history.moved_to.name in history.problem
    assert history.runs() == []
    record_run(history)  # and it records again
    assert len(RunHistory(path).runs()) == 1


def test_a_history_written_by_a_newer_version_is_moved_aside(tmp_path):
    path = tmp_path / "runs.sqlite"
    RunHistory(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    history = RunHistory(path)
    assert "newer version" in history.problem and history.moved_to is not None


def test_a_locked_history_is_moved_aside_and_the_app_still_starts(tmp_path):
    path = tmp_path / "runs.sqlite"
    record_run(RunHistory(path))
    other = sqlite3.connect(path, isolation_level=None)  # another program holds the write lock
    other.execute("BEGIN EXCLUSIVE")
    try:
        history = RunHistory(path, timeout=0.05)
        assert "another program is using it" in history.problem
        assert history.moved_to is not None and history.moved_to.exists()
        assert history.runs() == []
        record_run(history)
    finally:
        other.execute("ROLLBACK")
        other.close()
    aside = RunHistory(history.moved_to)  # the old runs are all still in the file moved aside
    assert len(aside.runs()) == 1


def test_a_run_cut_by_a_crash_is_kept_as_interrupted_and_the_rest_is_whole(tmp_path):
    path = tmp_path / "runs.sqlite"
    history = RunHistory(path)
    done = record_run(history)
    cut = history.start_run(name="cut", settings=CHAPTER_SETTINGS)
    history.end_epoch(cut, 1, {"loss": 1.0}, weights_for(1), x=1.0)
    # the app dies here: no finish(). A write that fails half way leaves nothing behind:
    with pytest.raises(ZeroDivisionError):
        with history._transaction() as db:
            db.execute("INSERT INTO batches VALUES (?, 9, 9, 9, 9, 9)", (cut,))
            1 / 0
    reopened = RunHistory(path)
    statuses = {r.id: (r.status, r.epochs_done) for r in reopened.runs()}
    assert statuses == {done: ("completed", 2), cut: ("interrupted", 1)}
    assert reopened.curves(cut).batches.shape == (0, 5)


def test_a_write_that_cannot_happen_raises_a_history_error_in_words(tmp_path):
    path = tmp_path / "runs.sqlite"
    history = RunHistory(path, timeout=0.05)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError, match="cannot be written: another program is using it"):
            history.rename(1, "x")
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_export_csv_writes_every_batch_and_epoch_of_the_runs_asked_for(tmp_path):
    history = RunHistory(tmp_path / "runs.sqlite")
    first = record_run(history, epochs=2, name="first")
    record_run(history, epochs=1, name="second")
    out = history.export_csv([first], tmp_path / "curves.csv")
    rows = list(csv.DictReader(out.open(newline="")))
    assert len(rows) == 8 + 2 and {row["name"] for row in rows} == {"first"}
    assert rows[0] == {"run": str(first), "name": "first", "kind": "batch", "epoch": "1", "batch": "1",
                       "x": "0.25", "loss": "2", "accuracy": "0.6", "val_loss": "", "val_accuracy": ""}
    assert rows[-1]["kind"] == "epoch" and rows[-1]["loss"] == "0.5" and rows[-1]["val_loss"] == ""
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".curves")]  # no temporary file left


def test_the_default_path_is_in_the_apps_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "data"))
    assert run_history.default_path() == tmp_path / "data" / "runs.sqlite"


def test_the_history_module_does_not_import_qt():
    import subprocess

    code = "import sys, playground.core.run_history; print('PySide6' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_write_that_fails_half_way_is_undone_and_said_in_words(tmp_path):
    history = RunHistory(tmp_path / "runs.sqlite")
    run_id = record_run(history, epochs=1)
    with pytest.raises(HistoryError, match="cannot be written"):
        with history._transaction() as db:  # a batch goes in, then the next statement fails
            db.execute("INSERT INTO batches VALUES (?, 1.5, 2, 1, 1.0, 0.5)", (run_id,))
            db.execute("INSERT INTO no_such_table VALUES (1)")
    assert history.curves(run_id).batches.shape == (4, 5)  # nothing of it stays
    history.rename(run_id, "still writable")
    assert history.runs()[0].name == "still writable"


def test_deleting_runs_gives_their_room_back(tmp_path):
    path = tmp_path / "runs.sqlite"
    history = RunHistory(path)
    ids = [record_run(history, epochs=3, size=2000) for _ in range(3)]
    history._read("PRAGMA wal_checkpoint(TRUNCATE)")
    full = path.stat().st_size
    history.delete(ids)
    history._read("PRAGMA wal_checkpoint(TRUNCATE)")
    assert path.stat().st_size < full / 4


def test_a_data_folder_that_cannot_be_made_keeps_runs_in_memory_and_says_so(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    history = RunHistory(blocker / "runs.sqlite")
    assert "cannot be created" in history.problem and "until the app closes" in history.problem
    record_run(history)
    assert len(history.runs()) == 1
    assert blocker.read_text() == "a file where the data folder should be"

"""``fit`` in a training process of its own (``playground.core.training_process`` and
``playground.training.process_worker``): the same run number for number as on the worker thread,
the same signals, the buttons across the process boundary, and nothing left behind when the
child dies or the window closes mid-fit."""
from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import textwrap
from multiprocessing import shared_memory
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, QThread

import engine
from playground.core import shared_tensors, training_process
from playground.core.data_loading import load_sample_dataset
from playground.core.progress import ProgressCallback, RunControl
from playground.core.specs import TrainSettings
from playground.core.training_data import PreparedDataCache, prepare_data
from playground.main_window import MainWindow
from playground.training import process_worker
from playground.training.process_worker import ProcessTrainingWorker
from playground.training.training_controller import PAUSED
from playground.training.training_worker import TrainingJob, TrainingWorker

LONG = 120_000
SIGNALS = ("began", "epoch_began", "progressed", "epoch_ended", "paused", "resumed", "fit_ended", "warned",
           "evaluated", "failed", "finished")

pytestmark = pytest.mark.skipif(not process_worker.available()[0], reason="no training process here")


@pytest.fixture(scope="module")
def data():
    return prepare_data(load_sample_dataset(), TrainSettings(train_size=600))


def seeded_model(seed: int = 5) -> engine.Sequential:
    engine.utils.set_random_seed(seed)
    model = engine.Sequential([engine.layers.Dense(32, activation="relu", input_shape=(784,)),
                               engine.layers.Dropout(0.3), engine.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def job(model, data, epochs=1, initial_epoch=0, **more) -> TrainingJob:
    return TrainingJob(model=model, prepare=lambda: data, batch_size=64, epochs=epochs, initial_epoch=initial_epoch,
                       **more)


def recorded(worker) -> list:
    seen = []
    for name in SIGNALS:
        getattr(worker, name).connect(lambda *args, name=name: seen.append((name, args)))
    return seen


def names(seen) -> list[str]:
    """The signals in order, a burst of progress counted once (how often it comes depends on speed)."""
    out = []
    for name, _ in seen:
        if not (name == "progressed" and out and out[-1] == "progressed"):
            out.append(name)
    return out


def shared_blocks_made(monkeypatch) -> list[str]:
    made = []
    real = shared_tensors.SharedTensors.__init__

    def remember(tensors, arrays, reuse=None):
        real(tensors, arrays, reuse)
        made.extend(block.name for block in tensors.blocks)

    monkeypatch.setattr(shared_tensors.SharedTensors, "__init__", remember)
    return made


def gone(block_name: str) -> bool:
    try:
        shared_memory.SharedMemory(name=block_name).close()
    except FileNotFoundError:
        return True
    return False


def on_a_thread(worker) -> QThread:
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    thread.start()
    return thread


# ----- the same run --------------------------------------------------------------------------------
def test_a_fit_in_the_training_process_is_the_fit_on_the_thread_number_for_number(qtbot, data):
    """Weights, the optimizer's state, the engine's random state afterwards (Dropout draws from
    it) and the signals: identical, for a first fit and for a Continue."""
    results = {}
    for kind in (TrainingWorker, ProcessTrainingWorker):
        model = seeded_model()
        runs = []
        for first, last in ((0, 1), (1, 2)):  # Train, then Continue
            worker = kind(job(model, data, epochs=last, initial_epoch=first))
            seen = recorded(worker)
            worker.train_and_report()
            runs.append((names(seen), seen[-1], model.get_weights(), model.optimizer.get_state(),
                         engine.utils.get_random_state().bits))
        results[kind] = runs
    for fits, on_thread, in_process in zip((1, 2), results[TrainingWorker], results[ProcessTrainingWorker]):
        assert in_process[0] == on_thread[0] == ["began", "epoch_began", "progressed", "epoch_ended", "fit_ended",
                                                 "evaluated", "finished"]
        assert in_process[1] == on_thread[1] == ("finished", ("completed",))
        for a, b in zip(on_thread[2], in_process[2]):
            np.testing.assert_array_equal(b, a)
        assert in_process[3]["iterations"] == on_thread[3]["iterations"] == 10 * fits  # 600 digits, batches of 64
        for a, b in zip(on_thread[3]["slots"], in_process[3]["slots"]):
            for name in a:
                np.testing.assert_array_equal(b[name], a[name])
        assert in_process[4] == on_thread[4]


def test_a_child_started_by_spawn_trains_the_same_fit(qtbot, data, monkeypatch):
    """Windows has only the "spawn" start method (and a frozen or sandboxed macOS app may need it):
    the child imports everything afresh and takes the job and its control by pickling. Here on
    Linux the same fit is run through it, against a fit on the thread."""
    monkeypatch.setattr(process_worker, "_context", multiprocessing.get_context("spawn"))
    monkeypatch.setattr(process_worker, "_spare_controls", queue.SimpleQueue())
    results = []
    for kind in (TrainingWorker, ProcessTrainingWorker):
        model = seeded_model()
        worker = kind(job(model, data, epochs=1))
        seen = recorded(worker)
        worker.train_and_report()
        results.append((names(seen), model.get_weights(), engine.utils.get_random_state().bits))
    (names_thread, weights_thread, random_thread), (names_spawned, weights_spawned, random_spawned) = results
    assert type(worker.process).__name__ == "SpawnProcess" and worker.process.exitcode == 0
    assert names_spawned == names_thread and names_spawned[-1] == "finished"
    for a, b in zip(weights_thread, weights_spawned):
        np.testing.assert_array_equal(b, a)
    assert random_spawned == random_thread


def test_the_log_says_the_fit_runs_in_a_process_of_its_own(qtbot, data):
    worker = ProcessTrainingWorker(job(seeded_model(), data))
    seen = recorded(worker)
    worker.train_and_report()
    params = dict(seen)["began"][0]
    assert f"in a training process of its own, pid {worker.process.pid}" in params["strategy_reason"]
    assert params["strategy"] in engine.strategies.names()


def test_an_error_in_the_child_is_reported_in_words_and_the_fit_ends_with_error(qtbot, data):
    broken = type(data)(x_train=data.x_train, y_train=data.y_train[:, :3], x_test=data.x_test, y_test=data.y_test,
                        test_labels=data.test_labels)  # 3 classes for a 10-way softmax
    model = seeded_model()
    before = model.get_weights()
    worker = ProcessTrainingWorker(job(model, broken))
    seen = recorded(worker)
    worker.train_and_report()
    failed = [args[0] for name, args in seen if name == "failed"]
    assert len(failed) == 1 and failed[0].startswith("ValueError") and "(in " in failed[0]
    assert seen[-1] == ("finished", ("error",))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(b, a)


# ----- the buttons across the boundary ---------------------------------------------------------------
def test_step_pause_resume_and_stop_reach_the_child(qtbot, data):
    worker = ProcessTrainingWorker(job(seeded_model(), data, epochs=20, start_paused_after=1))
    seen = recorded(worker)
    batches = []
    worker.progressed.connect(lambda news: batches.extend(news["batches"][:, 0]))
    thread = on_a_thread(worker)
    qtbot.waitUntil(lambda: names(seen)[-1:] == ["paused"], timeout=LONG)
    assert batches == [1]  # Step one batch from idle: exactly one ran
    with qtbot.waitSignal(worker.paused, timeout=LONG):
        worker.step()
    assert batches == [1, 2]
    with qtbot.waitSignal(worker.progressed, timeout=LONG):
        worker.resume()
    with qtbot.waitSignal(worker.finished, timeout=LONG) as finished:
        worker.stop()
    assert finished.args == ["stopped"]
    assert thread.wait(LONG)
    assert not worker.process.is_alive()


# ----- nothing left behind ------------------------------------------------------------------------------
def test_a_child_killed_mid_fit_is_reported_and_leaves_nothing_behind(qtbot, data, monkeypatch):
    made = shared_blocks_made(monkeypatch)
    model = seeded_model()
    before = model.get_weights()
    worker = ProcessTrainingWorker(job(model, data, epochs=200))
    seen = recorded(worker)
    thread = on_a_thread(worker)
    qtbot.waitUntil(lambda: "epoch_ended" in names(seen), timeout=LONG)
    with qtbot.waitSignal(worker.finished, timeout=LONG) as finished:
        os.kill(worker.process.pid, signal.SIGKILL)
    assert finished.args == ["error"]
    failed = [args[0] for name, args in seen if name == "failed"]
    assert len(failed) == 1 and "ended unexpectedly (exit code -9)" in failed[0]
    # the network is left where the panels show it: at the last epoch that ended, not half-way
    last = [args[0] for name, args in seen if name == "epoch_ended"][-1]
    assert f"keeps its weights from the end of epoch {last['epoch'] + 1}, the last that finished" in failed[0]
    assert "optimizer_state" not in last
    for shown, kept in zip(last["weights"], model.get_weights()):
        np.testing.assert_array_equal(kept, shown)
    assert not any(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.optimizer.get_state()["iterations"] == 10 * (last["epoch"] + 1)  # 600 digits, batches of 64
    assert thread.wait(LONG)
    assert made and all(gone(name) for name in made)


class _Pipe:
    """The pipe's reading end, with a test's twist on what ``recv`` gives (see ``piped_through``)."""

    def __init__(self, receive, worker):
        self.receive, self.worker = receive, worker

    def recv(self):
        return self.receive.recv()

    def close(self):
        self.receive.close()


def piped_through(monkeypatch, pipe: type[_Pipe]) -> None:
    """Make the process worker read its child's messages through ``pipe``."""
    real_start = ProcessTrainingWorker._start_child
    monkeypatch.setattr(ProcessTrainingWorker, "_start_child",
                        lambda worker, tensors: pipe(real_start(worker, tensors), worker))


class _DiesMidMessage(_Pipe):
    """The child is killed while its second message is half written: ``recv`` then raises
    ``OSError: got end of file during message`` rather than ``EOFError``."""

    taken = 0

    def recv(self):
        self.taken += 1
        if self.taken == 2:
            os.kill(self.worker.process.pid, signal.SIGKILL)
            self.worker.process.join()
            raise OSError("got end of file during message")
        return super().recv()


def test_a_child_killed_in_the_middle_of_a_message_is_reported_as_ended(qtbot, data, monkeypatch):
    piped_through(monkeypatch, _DiesMidMessage)
    model = seeded_model()
    before = model.get_weights()
    worker = ProcessTrainingWorker(job(model, data, epochs=200))
    seen = recorded(worker)
    worker.train_and_report()
    failed = [args[0] for name, args in seen if name == "failed"]
    assert len(failed) == 1 and "ended unexpectedly (exit code -9)" in failed[0], failed
    assert "keeps its weights from before this fit" in failed[0]  # no epoch had ended
    assert seen[-1] == ("finished", ("error",))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(b, a)


class _FailsAfterFirstEpoch(_Pipe):
    """As if the child's fit raised just after its first epoch's news: the window hears
    ("failed", ...) and ("finished", "error"), never the state sent back."""

    ended = ()

    def recv(self):
        if self.ended:
            (first, *self.ended) = self.ended
            return first
        name, args = super().recv()
        if name == "epoch_ended":
            self.worker.stop()
            self.ended = [("failed", ("RuntimeError: boom (in fit, models.py:1)",)), ("finished", ("error",))]
        return name, args


def test_a_fit_that_fails_in_the_child_leaves_the_network_at_the_last_epoch_that_ended(qtbot, data, monkeypatch):
    piped_through(monkeypatch, _FailsAfterFirstEpoch)
    model = seeded_model()
    worker = ProcessTrainingWorker(job(model, data, epochs=5))
    seen = recorded(worker)
    worker.train_and_report()
    assert seen[-1] == ("finished", ("error",))
    (first,) = [args[0] for name, args in seen if name == "epoch_ended"]
    for shown, kept in zip(first["weights"], model.get_weights()):
        np.testing.assert_array_equal(kept, shown)
    assert model.optimizer.get_state()["iterations"] == 10


@pytest.mark.parametrize("fails_in_epoch", [0, 2])
def test_a_fit_that_fails_on_the_thread_leaves_the_network_at_the_last_epoch_that_ended(qtbot, data, monkeypatch,
                                                                                        fails_in_epoch):
    """Half an epoch (or half an update) is not kept: the weights and the optimizer go back to the
    end of the last epoch that ended, which the panels show, or to where the fit began."""
    real_end = ProgressCallback.on_train_batch_end

    def fail_in_the_middle(callback, batch, logs=None):
        real_end(callback, batch, logs)
        if callback._epoch == fails_in_epoch and batch == 4:
            raise RuntimeError("boom")

    monkeypatch.setattr(ProgressCallback, "on_train_batch_end", fail_in_the_middle)
    model = seeded_model()
    before = model.get_weights()
    worker = TrainingWorker(job(model, data, epochs=5))
    seen = recorded(worker)
    worker.train_and_report()
    assert seen[-1] == ("finished", ("error",))
    (failed,) = [args[0] for name, args in seen if name == "failed"]
    ended = [args[0] for name, args in seen if name == "epoch_ended"]
    assert len(ended) == fails_in_epoch
    if ended:
        expected, iterations = ended[-1]["weights"], 10 * fails_in_epoch
        assert f"keeps its weights from the end of epoch {fails_in_epoch}, the last that finished" in failed
    else:
        expected, iterations = before, 0
        assert "keeps its weights from before this fit" in failed
    assert failed.startswith("RuntimeError: boom")
    for a, b in zip(expected, model.get_weights()):
        np.testing.assert_array_equal(b, a)
    assert model.optimizer.get_state()["iterations"] == iterations


@pytest.mark.parametrize("paused", [False, True])
def test_closing_the_window_mid_fit_ends_the_child_and_frees_its_memory(qtbot, tmp_path, monkeypatch, paused):
    made = shared_blocks_made(monkeypatch)
    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.state.set_settings(epochs=50, batch_size=16, train_size=0)
    with qtbot.waitSignal(window.controller.progressed, timeout=LONG):
        window.controller.start()
    worker = window.controller._worker
    assert isinstance(worker, ProcessTrainingWorker) and worker.process.is_alive()
    if paused:
        window.controller.pause()
        qtbot.waitUntil(lambda: window.controller.phase == PAUSED, timeout=LONG)
    window.close()
    assert not worker.process.is_alive()
    assert worker.process.exitcode == 0  # it stopped when asked; nothing had to kill it
    assert made and all(gone(name) for name in made)


def test_a_paused_child_whose_window_is_gone_stops_on_its_own():
    control = RunControl()
    control.pause()
    dead = os.fork()
    if dead == 0:  # pragma: no cover - the child exits at once
        os._exit(0)
    os.waitpid(dead, 0)
    orphan = training_process._OrphanAware(control, dead)
    orphan_check, training_process.ORPHAN_CHECK_SECONDS = training_process.ORPHAN_CHECK_SECONDS, 0.01
    try:
        orphan.wait_until_resumed()
    finally:
        training_process.ORPHAN_CHECK_SECONDS = orphan_check
    assert control.aborted and control.stop_requested


# ----- where a training process cannot be ---------------------------------------------------------------
def test_the_switch_trains_on_the_worker_thread(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv(process_worker.SWITCH, "0")
    assert process_worker.available() == (False, f"{process_worker.SWITCH}=0")
    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.state.set_settings(epochs=1, train_size=500)
    began = []
    window.controller.fit_began.connect(began.append)
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        window.controller.start()
    assert finished.args == ["completed"]
    assert not window.controller.in_process
    assert "training process" not in began[0]["strategy_reason"]


def test_without_shared_memory_the_fit_runs_on_the_thread(qtbot, data, monkeypatch):
    def no_shared_memory(tensors, arrays, reuse=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shared_tensors.SharedTensors, "__init__", no_shared_memory)
    worker = ProcessTrainingWorker(job(seeded_model(), data))
    seen = recorded(worker)
    worker.train_and_report()
    assert seen[-1] == ("finished", ("completed",))
    assert worker.process is None
    assert not [args for name, args in seen if name == "failed"]


# ----- prepared data kept in shared memory ---------------------------------------------------------------
def test_data_the_cache_put_in_shared_memory_is_named_at_the_press_not_copied(qtbot, data, monkeypatch):
    cache = PreparedDataCache(place=lambda prepared: shared_tensors.in_shared_memory(prepared, from_bytes=0))
    placed = cache.get(load_sample_dataset(), TrainSettings(train_size=600))
    assert isinstance(placed.memory, shared_tensors.SharedTensors)
    for name, array in shared_tensors.prepared_arrays(data).items():
        np.testing.assert_array_equal(getattr(placed, name), array)
    made = shared_blocks_made(monkeypatch)
    results = []
    for kind, prepared in ((TrainingWorker, data), (ProcessTrainingWorker, placed)):
        model = seeded_model()
        worker = kind(job(model, prepared))
        seen = recorded(worker)
        worker.train_and_report()
        assert seen[-1] == ("finished", ("completed",))
        results.append(model.get_weights())
    assert made == []  # the press copied nothing
    for a, b in zip(*results):
        np.testing.assert_array_equal(b, a)


def test_the_learners_digits_are_copied_and_the_rest_named():
    data = prepare_data(load_sample_dataset(), TrainSettings(train_size=100))
    placed = shared_tensors.in_shared_memory(data, from_bytes=0)
    with_digits = dataclasses.replace(placed, x_train=np.concatenate([placed.x_train[:3], placed.x_train]),
                                      y_train=np.concatenate([placed.y_train[:3], placed.y_train]))
    tensors = shared_tensors.SharedTensors(shared_tensors.prepared_arrays(with_digits), reuse=with_digits.memory)
    assert len(tensors.blocks) == 2  # x_train and y_train, with the learner's digits
    for name in ("x_test", "y_test", "test_labels"):
        assert tensors.descriptions[name] == placed.memory.descriptions[name]
    for name in ("x_train", "y_train"):
        assert tensors.descriptions[name][0] not in {d[0] for d in placed.memory.descriptions.values()}
    blocks, arrays = shared_tensors.attach(tensors.descriptions)  # what the child sees
    for name, array in shared_tensors.prepared_arrays(with_digits).items():
        np.testing.assert_array_equal(arrays[name], array)
    arrays = None
    for block in blocks:
        block.close()
    tensors.close()


def test_shared_memory_goes_with_the_data_and_a_view_still_in_use_stays_readable(monkeypatch):
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    data = prepare_data(load_sample_dataset(), TrainSettings(train_size=100))
    placed = shared_tensors.in_shared_memory(data, from_bytes=0)
    names = [block.name for block in placed.memory.blocks]
    borrower = shared_tensors.SharedTensors(shared_tensors.prepared_arrays(placed), reuse=placed.memory)
    assert borrower.blocks == []  # everything named
    kept = placed.x_test  # an Evaluation keeps test images, say
    placed = None
    gc.collect()
    assert not any(gone(name) for name in names)  # the borrower (a fit under way) still names them
    borrower.close()
    borrower = None
    gc.collect()
    assert all(gone(name) for name in names)
    np.testing.assert_array_equal(kept, data.x_test)  # still mapped for the view that outlived them
    if os.path.exists("/proc/self/maps"):
        assert [name for name in names if mapped(name)] == [placed_name_of(names, "x_test", data)]
        kept = None
        gc.collect()
        assert not any(mapped(name) for name in names)  # the last view took the mapping with it
    assert unraisable == []


def mapped(block_name: str) -> bool:
    return any(block_name in line for line in Path("/proc/self/maps").read_text().splitlines())


def placed_name_of(names, field, data) -> str:
    """The block of ``field``: blocks are made in the order of ``PreparedData``'s fields."""
    return names[[f.name for f in dataclasses.fields(data)].index(field)]


def test_data_too_big_for_the_shared_memory_left_stays_where_it_is(monkeypatch):
    data = prepare_data(load_sample_dataset(), TrainSettings(train_size=100))
    real_statvfs = os.statvfs

    def almost_full(path):
        room = real_statvfs(path)
        return os.statvfs_result((room.f_bsize, room.f_frsize, room.f_blocks, 1, 1, *room[5:]))

    monkeypatch.setattr(os, "statvfs", almost_full)
    with pytest.raises(OSError, match="free, .* MB needed"):
        shared_tensors.SharedTensors(shared_tensors.prepared_arrays(data))
    assert shared_tensors.in_shared_memory(data, from_bytes=0) is data


def test_closing_the_window_frees_the_shared_memory_of_its_prepared_data(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(shared_tensors, "SHARE_FROM_BYTES", 0)
    made = shared_blocks_made(monkeypatch)
    window = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.state.set_settings(epochs=1, train_size=500)
    with qtbot.waitSignal(window.training_finished, timeout=LONG) as finished:
        window.controller.start()
    assert finished.args == ["completed"] and window.controller.in_process
    assert made  # made by the cache, named by the fit
    window.close()
    gc.collect()
    assert all(gone(name) for name in made)


def test_a_script_without_a_main_guard_is_not_run_again_in_the_training_process(tmp_path):
    """A child started by "forkserver" or "spawn" imports the parent's main module first; a script
    that opens the window at its top level would open it again there. The training process skips it."""
    marks = tmp_path / "imported.txt"
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""
        import os
        with open({str(marks)!r}, "a") as f:
            f.write(str(os.getpid()) + "\\n")  # no `if __name__ == "__main__":` around any of this
        from playground.core.data_loading import load_sample_dataset
        from playground.core.specs import TrainSettings
        from playground.core.training_data import PreparedDataCache, prepare_data
        from playground.training.process_worker import ProcessTrainingWorker
        from playground.training.training_worker import TrainingJob
        import engine
        data = prepare_data(load_sample_dataset(), TrainSettings(train_size=256))
        model = engine.Sequential([engine.layers.Dense(10, activation="softmax", input_shape=(784,))])
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
        worker = ProcessTrainingWorker(TrainingJob(model=model, prepare=lambda: data, batch_size=64, epochs=1))
        reasons = []
        worker.finished.connect(reasons.append)
        worker.train_and_report()
        print(reasons, worker.process.pid)
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          cwd=str(Path(__file__).resolve().parents[2]), env={**os.environ, "PYTHONPATH": str(
                              Path(__file__).resolve().parents[2])})
    assert done.returncode == 0, done.stderr
    reasons, child = done.stdout.strip().rsplit(" ", 1)
    assert reasons == "['completed']"
    imported_in = marks.read_text().split()
    assert len(imported_in) == 1 and child not in imported_in  # once, in its own process: never in the child


def test_when_no_training_process_can_start_the_fit_runs_on_the_thread(qtbot, data, monkeypatch):
    def cannot_start(process):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr("multiprocessing.process.BaseProcess.start", cannot_start)
    made = shared_blocks_made(monkeypatch)
    model = seeded_model()
    before = model.get_weights()
    worker = ProcessTrainingWorker(job(model, data))
    seen = recorded(worker)
    worker.train_and_report()
    assert seen[-1] == ("finished", ("completed",))
    assert worker.process is None and not [args for name, args in seen if name == "failed"]
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # it trained
    assert made and all(gone(name) for name in made)

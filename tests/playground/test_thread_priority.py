"""Bookkeeping threads give way to the window and to training: on a two-core machine a thread
that compresses the run history or computes the Inside panel's histograms while the trainer's
two threads run kept the UI thread waiting for a core (the window's longest pauses)."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject

from playground.core import thread_priority, training_data
from playground.core.data_loading import load_sample_dataset
from playground.core.run_history import RunHistory
from playground.core.specs import TrainSettings
from playground.training.background_jobs import LatestJobs
from playground.training.run_recorder import RunRecorder
from playground.training.state import AppState
from playground.training.training_controller import TrainingController

pytestmark = pytest.mark.skipif(not thread_priority.supported(), reason="threads have their own priority on Linux only")


def lowered(from_niceness: int) -> int:
    return min(thread_priority.MOST_NICE, from_niceness + thread_priority.BACKGROUND_NICENESS)


def on_a_new_thread(function):
    result = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def test_a_thread_lowers_its_own_priority_and_no_other_threads():
    mine = thread_priority.niceness()

    def lower_and_tell():
        assert thread_priority.lower_this_thread()
        return thread_priority.niceness()

    assert on_a_new_thread(lower_and_tell) == lowered(mine)
    assert thread_priority.niceness() == mine  # the caller (here, the UI thread) keeps its priority
    assert on_a_new_thread(thread_priority.niceness) == mine  # and so do threads it starts later


def test_the_inside_panels_jobs_run_at_a_low_priority_and_a_digits_reading_does_not(qtbot):
    mine = thread_priority.niceness()
    answers = {}
    owner = QObject()
    for low in (True, False):
        jobs = LatestJobs(owner, name=f"test-jobs-{low}", low_priority=low)
        jobs.done.connect(lambda kind, result, low=low: answers.__setitem__(low, result))
        jobs.submit("niceness", thread_priority.niceness)
        qtbot.waitUntil(lambda low=low: low in answers, timeout=5000)
        jobs.shutdown()
    assert answers == {True: lowered(mine), False: mine}


def test_the_run_history_is_written_at_a_low_priority(qtbot, tmp_path):
    state = AppState(load_sample_dataset())
    controller = TrainingController(state)
    recorder = RunRecorder(state, controller, RunHistory(tmp_path / "runs.sqlite"))
    try:
        assert recorder._writer.submit(thread_priority.niceness).result(timeout=10) == lowered(thread_priority.niceness())
    finally:
        recorder.close()


def test_training_data_is_prepared_ahead_at_a_low_priority(monkeypatch):
    seen = []
    real = training_data.prepare_data
    monkeypatch.setattr(training_data, "prepare_data",
                        lambda *args: seen.append(thread_priority.niceness()) or real(*args))
    cache = training_data.PreparedDataCache()
    dataset, settings = load_sample_dataset(), TrainSettings(train_size=500)
    cache.warm(dataset, settings)
    for _ in range(1000):  # up to 10 s on a busy machine
        if cache.holds(dataset, settings):
            break
        threading.Event().wait(0.01)
    assert seen == [lowered(thread_priority.niceness())]

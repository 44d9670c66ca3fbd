"""The playground's tests run as the app does: Python's cycle collector on the UI thread only
(``playground.widgets.garbage_collection``), so that a worker thread never destroys Qt objects
of an earlier test's window. And every worker thread a test starts, or job it hands to a thread
pool, is checked: its target and arguments reach no Qt object (``qt_reach``), so that no thread
ever holds the last reference to one."""
import concurrent.futures
import threading

import pytest

from playground.training import background_jobs
from playground.widgets.garbage_collection import collect_on_ui_thread
from tests.playground.qt_reach import qt_object_path

_QT_IN_THREADS: list[str] = []


def _check_job(thread_name: str, roots) -> None:
    path = qt_object_path(roots)
    if path is not None:
        _QT_IN_THREADS.append(f"{thread_name}: {path}")


@pytest.fixture(scope="session", autouse=True)
def worker_jobs_hold_no_qt_objects():
    start, submit = threading.Thread.start, concurrent.futures.ThreadPoolExecutor.submit
    queue_job = background_jobs._JobQueue.submit

    def checked_start(thread):
        _check_job(f"thread {thread.name!r}", [("target", getattr(thread, "_target", None)),
                                              ("args", getattr(thread, "_args", ())),
                                              ("kwargs", getattr(thread, "_kwargs", {}))])
        return start(thread)

    def checked_submit(pool, fn, /, *args, **kwargs):
        _check_job(f"pool {pool._thread_name_prefix!r}", [("job", fn), ("args", args), ("kwargs", kwargs)])
        return submit(pool, fn, *args, **kwargs)

    def checked_queue_job(queue, kind, function, args, coalesce):
        _check_job(f"background job {kind!r}", [("job", function), ("args", args)])
        return queue_job(queue, kind, function, args, coalesce)

    threading.Thread.start = checked_start
    concurrent.futures.ThreadPoolExecutor.submit = checked_submit
    background_jobs._JobQueue.submit = checked_queue_job
    yield
    threading.Thread.start, concurrent.futures.ThreadPoolExecutor.submit = start, submit
    background_jobs._JobQueue.submit = queue_job


@pytest.fixture(autouse=True)
def no_qt_object_reached_from_a_worker():
    _QT_IN_THREADS.clear()
    yield
    found, _QT_IN_THREADS[:] = list(_QT_IN_THREADS), []
    assert not found, "a worker thread's job holds Qt objects (it may destroy them off the UI thread):\n" + "\n".join(found)


@pytest.fixture(scope="session", autouse=True)
def cycles_collected_on_the_ui_thread(qapp):
    collect_on_ui_thread(qapp)
    yield

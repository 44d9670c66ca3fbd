"""Computing off the UI thread, where only the newest request of each kind matters.

``LatestJobs`` runs plain functions one after another on a daemon thread of its own, so that the
UI thread never waits for them (the Inside panel's embedding takes a second on a busy machine; the
My digits panel reads up to 10,000 digits with a convnet).
Each job has a kind ("embedding", "weights"...): a new request of a kind replaces the one still
waiting, and the result of a request that a newer one has replaced is dropped, so that after a
burst of epochs only the last one is drawn. A job submitted with ``coalesce=False`` (a histogram
per epoch: every one of them is kept) is always run and delivered.

Results reach the UI thread through a QTimer that polls: the worker thread never touches, nor
holds, a Qt object (``playground.core.mailbox`` says why). Users: the Inside panel, My digits'
readings, the Draw panel's ``NeighbourSearch``.

The thread stays for ``IDLE_SECONDS`` after its last job, waiting for the next: starting a thread
makes the caller wait until the new one runs, which during training (the trainer's threads
holding Python's interpreter lock) held the press of Train up by several milliseconds. It keeps
nothing of a finished job while it waits. It is a daemon, so closing the app never waits for a
computation; ``shutdown()`` drops what is left. With ``low_priority`` (the Inside panel's
per-epoch work) the thread gives way to the UI thread and to training
(``playground.core.thread_priority``); jobs a learner waits for (a drawn digit's reading) keep
the normal priority.
"""
from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from playground.core import thread_priority

POLL_MS = 40
IDLE_SECONDS = 30.0  # the thread ends after this long without a job (a new one starts on demand)


class LatestJobs(QObject):
    """``submit(kind, function, *args)``; ``done(kind, result)`` or ``failed(kind, message)``
    fire on the UI thread."""

    done = Signal(str, object)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None, name: str = "inside-jobs", low_priority: bool = False):
        super().__init__(parent)
        self._jobs = _JobQueue(name, low_priority)  # all the worker thread sees: no Qt object
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._deliver)

    def submit(self, kind: str, function: Callable, *args, coalesce: bool = True) -> None:
        if self._jobs.submit(kind, function, args, coalesce):
            self._poll.start()

    def busy(self, kind: str | None = None) -> bool:
        """Whether a job (of ``kind``) is waiting, running or not yet delivered."""
        return self._jobs.busy(kind)

    def _deliver(self) -> None:
        current, idle = self._jobs.take_current()
        if idle:
            self._poll.stop()
        for kind, ok, result in current:
            if ok:
                self.done.emit(kind, result)
            else:
                self.failed.emit(kind, result)

    def shutdown(self) -> None:
        """Drop every waiting job and every result not yet delivered (the running one finishes
        on its own thread and is never delivered)."""
        self._poll.stop()
        self._jobs.close()


class _JobQueue:
    """The jobs and their results, shared by the UI thread and the worker thread. It holds no Qt
    object, so the worker never holds the last reference to one (``playground.core.mailbox``)."""

    def __init__(self, name: str, low_priority: bool):
        self._name = name  # the thread's name, as a traceback or a profiler shows it
        self._low_priority = low_priority  # give way to the UI thread and training (thread_priority)
        self._lock = threading.Lock()
        self._work_came = threading.Condition(self._lock)
        self._thread_alive = False  # the worker thread runs (busy, or waiting for a job)
        self._waiting: list[tuple[str, int, Callable, tuple]] = []  # in the order they were asked for
        self._finished: list[tuple[str, int, bool, object]] = []  # (kind, number, ok, result or message)
        self._newest: dict[str, int] = {}  # kind -> number of its newest request
        self._running = False
        self._numbers = itertools.count(1)
        self._closed = False

    def submit(self, kind: str, function: Callable, args: tuple, coalesce: bool) -> bool:
        """Queue a job (starting the worker thread if none waits); False once closed."""
        if self._closed:
            return False
        with self._lock:
            number = next(self._numbers)
            if coalesce:
                self._newest[kind] = number
                self._waiting = [job for job in self._waiting if job[0] != kind]
            self._waiting.append((kind, number, function, args))
            self._running = True
            start = not self._thread_alive
            self._thread_alive = True
            self._work_came.notify()
        if start:
            threading.Thread(target=self._work, name=self._name, daemon=True).start()
        return True

    def busy(self, kind: str | None) -> bool:
        with self._lock:
            if kind is None:
                return self._running or bool(self._finished)
            return kind in self._newest

    def _work(self) -> None:  # on the worker thread
        if self._low_priority:
            thread_priority.lower_this_thread()
        while True:
            with self._lock:
                if not self._waiting:
                    self._running = False
                    if not self._closed:
                        self._work_came.wait(IDLE_SECONDS)
                if not self._waiting or self._closed:
                    self._running = self._thread_alive = False
                    return
                self._running = True
                kind, number, function, args = self._waiting.pop(0)
            try:
                outcome = (True, function(*args))
            except ValueError as error:  # a message in the app's words
                outcome = (False, str(error))
            except Exception as error:  # noqa: BLE001 - reported on the UI thread as failed(kind, message)
                outcome = (False, f"{type(error).__name__}: {error}")
            with self._lock:
                self._finished.append((kind, number, *outcome))
            function = args = outcome = None  # nothing of this job lives on while the thread waits

    def take_current(self) -> tuple[list[tuple[str, bool, object]], bool]:
        """The finished jobs still wanted, as (kind, ok, result), and whether nothing is left to do."""
        with self._lock:
            finished, self._finished = self._finished, []
            current = []
            for kind, number, ok, result in finished:
                newest = self._newest.get(kind)
                if newest is None or newest == number:  # uncoalesced, or the newest of its kind
                    if newest == number:
                        del self._newest[kind]
                    current.append((kind, ok, result))
            idle = not self._running and not self._finished
        return current, idle

    def close(self) -> None:
        self._closed = True
        with self._lock:
            self._waiting, self._finished, self._newest = [], [], {}
            self._work_came.notify()  # the waiting thread ends

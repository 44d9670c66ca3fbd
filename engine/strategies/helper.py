"""The helper thread the two-thread strategies share work with, and how work is cut in pieces.

``Helper`` is a thread that runs the work the training thread hands over; ``share(pieces)`` runs
each piece once, on either thread, each taking the next piece nobody has taken until none is
left (a thread that loses its core for a while does fewer). Ctrl+C: Python runs its signal
handler on the main thread only; while pieces run (``critical``) a Ctrl+C is held back until all
have finished (milliseconds), then raised as ``KeyboardInterrupt``, so that no piece is left
writing into an array that the next ``fit`` uses.
"""
from __future__ import annotations

import contextlib
import queue
import signal
import threading


def cuts(size: int, pieces: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` bounds that cut ``range(size)`` into ``pieces`` nearly equal parts."""
    pieces = max(1, min(pieces, size))
    bounds = [size * i // pieces for i in range(pieces + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


class Task:
    """Work handed to the helper, which the caller takes back if the helper has not started it."""

    def __init__(self, work):
        self.work, self.error = work, None
        self._claim = threading.Lock()  # taken by whoever runs the work
        self._finished = threading.Lock()  # held until the helper has run it
        self._finished.acquire()

    def run_on_helper(self) -> None:
        if self._claim.acquire(blocking=False):
            try:
                self.work()
            except BaseException as error:  # raised by join(), on the caller's thread
                self.error = error
            self._finished.release()

    def run_here(self) -> bool:
        """Run the work on this thread if the helper has not started it; True if it ran here."""
        if self._claim.acquire(blocking=False):
            self.work()
            return True
        return False

    def join(self) -> None:
        """Run the work here if the helper has not started it, else wait for it; raise its error."""
        if self.run_here():
            return
        self._finished.acquire()
        if self.error is not None:
            raise self.error


class Helper:
    """A thread that runs, in order, the tasks that the thread which started it hands over.

    A task the helper has not started by the time the caller wants its result is run by the
    caller itself (``Task.join``): on a busy machine the helper may wait for a core, and then
    the caller does not wait for it.
    """

    def __init__(self):
        self.owner = threading.get_ident()
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._held_back = None  # a Ctrl+C that came inside ``critical``
        self._inside = 0
        self._thread = threading.Thread(target=self._run, name="engine-two-threads", daemon=True)

    def __enter__(self):
        self._saved_handler = None
        self._inside += 1  # a Ctrl+C while the thread starts waits: raised in __enter__, it would leave the thread
        try:
            if threading.current_thread() is threading.main_thread():
                previous = signal.getsignal(signal.SIGINT)
                if callable(previous):  # Python's (or the app's) Ctrl+C handler: hold it back in critical()
                    self._saved_handler = previous
                    signal.signal(signal.SIGINT, self._on_interrupt)
            self._thread.start()
        except BaseException:
            self._stop()
            raise
        finally:
            self._inside -= 1
        if self._held_back:  # it came while the thread started: stop the thread, then raise it
            (signum, frame), self._held_back = self._held_back, None
            try:
                self._saved_handler(signum, frame)
            except BaseException:
                self._stop()
                raise
        return self

    def __exit__(self, *exc_info):
        with self.critical():
            self._stop()
        return False

    def _stop(self) -> None:
        """End the thread (it finishes what it started and skips what it had not) and give Ctrl+C
        back to the handler it had."""
        if self._thread.is_alive():
            self._tasks.put(None)
            self._thread.join()
        if self._saved_handler is not None:
            signal.signal(signal.SIGINT, self._saved_handler)

    def _on_interrupt(self, signum, frame):
        if self._inside:
            self._held_back = (signum, frame)
        else:
            self._saved_handler(signum, frame)

    @contextlib.contextmanager
    def critical(self):
        """Within the block, a Ctrl+C waits (and is raised when the outermost block ends)."""
        self._inside += 1
        try:
            yield
        finally:
            self._inside -= 1
        if not self._inside and self._held_back:
            (signum, frame), self._held_back = self._held_back, None
            self._saved_handler(signum, frame)  # Python's default raises KeyboardInterrupt

    def _run(self) -> None:
        while True:
            tasks = self._tasks.get()
            if tasks is None:
                return
            for task in tasks:
                task.run_on_helper()

    def submit(self, work) -> Task:
        """Hand ``work()`` to the helper; ``join()`` the task for its end (call within ``critical``)."""
        task = Task(work)
        self._tasks.put((task,))
        return task

    def share(self, pieces) -> None:
        """Run each of ``pieces`` once, on this thread or on the helper: both take the next piece
        nobody has taken until none is left. Returns when all are done; an error from any piece
        is raised after all have ended."""
        tasks = [Task(piece) for piece in pieces]
        with self.critical():
            self._tasks.put(tasks)
            first_error = None
            ran_here = []
            for task in tasks:  # take every piece the helper has not started...
                try:
                    ran_here.append(task.run_here())
                except BaseException as error:
                    ran_here.append(True)
                    first_error = first_error or error
            for task, here in zip(tasks, ran_here):  # ...then wait for the helper's pieces
                if not here:
                    try:
                        task.join()
                    except BaseException as error:
                        first_error = first_error or error
            if first_error is not None:
                raise first_error

    def pair(self, here, there) -> None:
        """Run ``here()`` and ``there()`` at once, one on each thread (see ``share``)."""
        self.share((here, there))

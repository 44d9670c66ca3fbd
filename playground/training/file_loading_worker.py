"""Read model and dataset files off the UI thread, so a big, slow or stuck file never freezes it.

``FileLoader.start(kind, read, adopt, refuse)`` runs ``read()`` on a daemon thread; back on the
UI thread it calls ``adopt(result)`` or ``refuse(exception)`` (every ``Exception``: a hostile file
may raise MemoryError, RecursionError, TypeError...), then emits ``finished(kind, ok)``.

One load per kind at a time, the newest wins: opening another dataset while one is still being
read drops the first one's result. A read that never returns (a FIFO, a hung network drive) keeps
only its own daemon thread: the UI goes on, a later load of the same kind replaces it, and
quitting does not wait for it. Closing the window the loader belongs to drops every pending
result: nothing is adopted, and no message pops up, after the window has closed. The reading
thread posts its result to a mailbox and holds no Qt object (``playground.core.mailbox``).
"""
from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Signal

from playground.core.mailbox import Mailbox
from playground.training.mailbox_reader import MailboxReader


class FileLoader(QObject):
    """Runs file reads on worker threads and hands their results to the UI thread."""

    finished = Signal(str, bool)  # (kind, ok): after adopt() or refuse() ran on the UI thread
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.setObjectName("fileLoader")
        self._tickets = itertools.count(1)
        self._current: dict[str, int] = {}  # kind -> the ticket whose result is still wanted
        self._handlers: dict[int, tuple[str, Callable, Callable]] = {}
        self._reader = MailboxReader(self._deliver, lambda: self.is_loading, self)  # the worker posts (ticket, result, error)
        if parent is not None:
            parent.installEventFilter(self)  # its Close abandons what is still being read

    def abandon(self) -> None:
        """Drop every pending result (the reads themselves finish, or not, on their own threads)."""
        was_loading = self.is_loading
        self._current.clear()
        self._handlers.clear()
        if was_loading:
            self.running_changed.emit(False)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Close:
            self.abandon()
        return False

    @property
    def is_loading(self) -> bool:
        return bool(self._current)

    def loading(self, kind: str) -> bool:
        return kind in self._current

    def start(self, kind: str, read: Callable[[], object], adopt: Callable[[object], object],
              refuse: Callable[[Exception], object]) -> None:
        """Run ``read()`` on a worker thread; then ``adopt(result)`` or ``refuse(error)`` here."""
        was_loading = self.is_loading
        ticket = next(self._tickets)
        old = self._current.get(kind)
        if old is not None:
            self._handlers.pop(old, None)  # superseded: its result will be dropped
        self._current[kind] = ticket
        self._handlers[ticket] = (kind, adopt, refuse)
        threading.Thread(target=_read, args=(self._reader.mailbox, ticket, read), name=f"load-{kind}",
                         daemon=True).start()
        self._reader.wake()
        if not was_loading:
            self.running_changed.emit(True)

    def _deliver(self, ticket: int, result, error) -> None:
        handlers = self._handlers.pop(ticket, None)
        if handlers is None:
            return  # superseded by a newer load of the same kind
        kind, adopt, refuse = handlers
        del self._current[kind]
        ok = False
        try:
            if error is None:
                ok = adopt(result) is not False
            else:
                refuse(error)
        finally:
            if not self.is_loading:
                self.running_changed.emit(False)
            self.finished.emit(kind, ok)


def _read(mailbox: Mailbox, ticket: int, read: Callable[[], object]) -> None:  # on the worker thread
    """Read, and post ``(ticket, result, error)``: the thread holds no Qt object (``core.mailbox``)."""
    result, error = None, None
    try:
        result = read()
    except Exception as exc:  # noqa: BLE001 - every failure reaches the learner as a message
        error = exc
    mailbox.post(ticket, result, error)

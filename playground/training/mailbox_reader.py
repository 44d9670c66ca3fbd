"""Delivers a worker's ``Mailbox`` messages on the UI thread (see ``playground.core.mailbox``).

``MailboxReader(deliver, expecting)`` polls with a timer started by ``wake()``: every message is
passed to ``deliver(*message)`` on the UI thread, and the timer stops once the mailbox is empty
and ``expecting()`` says no more messages will come (no job left running). ``read_now()`` does
a poll at once (a caller that has just waited for its worker).
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from playground.core.mailbox import Mailbox

POLL_MS = 20


class MailboxReader(QObject):
    def __init__(self, deliver: Callable[..., object], expecting: Callable[[], bool],
                 parent: QObject | None = None, interval_ms: int = POLL_MS):
        super().__init__(parent)
        self.mailbox = Mailbox()  # what the worker threads get: never this reader
        self._deliver, self._expecting = deliver, expecting
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.read_now)

    def wake(self) -> None:
        """A job started: poll until its messages are delivered."""
        if not self._timer.isActive():
            self._timer.start()

    def read_now(self) -> None:
        for message in self.mailbox.take():
            self._deliver(*message)
        if not len(self.mailbox) and not self._expecting():
            self._timer.stop()

    def stop(self) -> None:
        """Deliver nothing more (the owner is closing); what is posted later is dropped."""
        self._timer.stop()
        self.mailbox.clear()

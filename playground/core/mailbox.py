"""How a worker thread hands its results to the UI thread: a mailbox that holds no Qt object.

A thread that holds the last reference to a Qt object destroys it on that thread when its job
ends (``threading.Thread`` lets go of its target and arguments as it finishes). ``~QObject``
takes a Qt lock, then PySide asks for Python's interpreter lock, which the UI thread may hold
while it waits for that same lock: both wait forever. The test suite hung this way in CI, a
finished range test freeing a closed window's panel while the UI thread built the next window.

So a worker's job reaches plain objects only: its inputs, and a ``Mailbox`` it posts to. On the
UI thread, ``playground.training.mailbox_reader.MailboxReader`` takes the messages and turns
them into signals. (Reference cycles are the other way a worker could free Qt objects:
``playground.widgets.garbage_collection`` collects them on the UI thread.)
"""
from __future__ import annotations

import collections


class Mailbox:
    """Messages posted by worker threads, taken in order by the UI thread."""

    def __init__(self):
        self._messages: collections.deque[tuple] = collections.deque()  # append and popleft are thread-safe

    def post(self, *message) -> None:
        self._messages.append(message)

    def take(self) -> list[tuple]:
        """Every message posted so far, oldest first."""
        taken = []
        while True:
            try:
                taken.append(self._messages.popleft())
            except IndexError:
                return taken

    def clear(self) -> None:
        self._messages.clear()

    def __len__(self) -> int:
        return len(self._messages)

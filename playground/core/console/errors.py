"""The one exception the console raises: its message is written for the learner."""
from __future__ import annotations


class ConsoleError(ValueError):
    """A statement the console cannot run. ``str(error)`` says why, in the chapter's words.

    ``kind`` tells callers what went wrong without reading the text: ``"syntax"`` (the
    statement does not parse), ``"attribute"`` (``x.something`` outside the whitelist),
    ``"name"`` (an unknown variable or function), ``"size"`` (the result would be too big),
    ``"value"`` (anything else). ``column`` is 1-based, when the error has a place.
    """

    def __init__(self, message: str, kind: str = "value", column: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.column = column

"""The console's history: statements in order, walked with the up and down keys like a shell's.

Walking up from a half-typed line keeps it as a draft, and walking back down past the newest
entry gives it back. Repeats in a row are stored once; the oldest go beyond ``MAX_ENTRIES``.
``to_text``/``from_text`` store it as JSON (the panel keeps it in QSettings); a damaged value
gives an empty history, never an error.
"""
from __future__ import annotations

import json

MAX_ENTRIES = 500


class History:
    def __init__(self, entries: list[str] | None = None):
        self.entries: list[str] = list(entries or [])[-MAX_ENTRIES:]
        self._at = len(self.entries)  # len(entries) means "the line being typed"
        self._draft = ""

    def add(self, statement: str) -> None:
        statement = statement.strip()
        if statement and (not self.entries or self.entries[-1] != statement):
            self.entries.append(statement)
            del self.entries[:-MAX_ENTRIES]
        self._at, self._draft = len(self.entries), ""

    def previous(self, current: str) -> str:
        """The entry before the one shown (the oldest stays); ``current`` is kept as the draft."""
        if self._at == len(self.entries):
            self._draft = current
        self._at = max(self._at - 1, 0)
        return self.entries[self._at] if self.entries else current

    def next(self) -> str:
        """The entry after the one shown, or the draft after the newest."""
        self._at = min(self._at + 1, len(self.entries))
        return self.entries[self._at] if self._at < len(self.entries) else self._draft

    def to_text(self) -> str:
        return json.dumps(self.entries)

    @classmethod
    def from_text(cls, text) -> History:
        try:
            entries = json.loads(text) if isinstance(text, str) and text else []
        except ValueError:
            entries = []
        if not isinstance(entries, list):
            entries = []
        return cls([e for e in entries if isinstance(e, str)])

"""What both parsers share: walking a token list, and saying clearly what was expected."""
from __future__ import annotations

from playground.core.console.errors import ConsoleError
from playground.core.console.tokens import Token, tokenize


class TokenStream:
    """Tokens of one statement with one token of look-ahead."""

    def __init__(self, text: str, language: str):
        self.language = language
        self.tokens: list[Token] = tokenize(text, language)
        self.at = 0
        self.end_column = len(text.rstrip()) + 1

    def peek(self, ahead: int = 0) -> str | None:
        at = self.at + ahead
        return self.tokens[at].kind if at < len(self.tokens) else None

    def current(self) -> Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def column(self) -> int:
        token = self.current()
        return token.column if token else self.end_column

    def take(self, kind: str, what: str | None = None) -> Token:
        if self.peek() != kind:
            raise self.error(f"expected {what or repr(kind)}")
        self.at += 1
        return self.tokens[self.at - 1]

    def accept(self, kind: str) -> Token | None:
        if self.peek() == kind:
            self.at += 1
            return self.tokens[self.at - 1]
        return None

    def error(self, expected: str) -> ConsoleError:
        token = self.current()
        found = f"{token.text!r} at column {token.column}" if token else "the end"
        return ConsoleError(f"{self.language} syntax: {expected}, found {found}", "syntax", self.column())

    def unexpected(self) -> ConsoleError:
        token = self.current()
        return ConsoleError(f"{self.language} syntax: unexpected {token.text!r} at column {token.column}",
                            "syntax", token.column)

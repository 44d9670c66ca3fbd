"""Text to tokens, for R and for NumPy: a regular expression per token kind, nothing else.

Each token is ``(kind, text, column)``. Kinds: ``num``, ``str``, ``name`` and the operator or
bracket itself (``<-``, ``%*%``, ``[``, ...). Anything else is an error that names the
character and its column, e.g. ``R syntax: unexpected '{' at column 5``.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from playground.core.console.errors import ConsoleError

MAX_STATEMENT_LENGTH = 2000  # characters in one statement


class Token(NamedTuple):
    kind: str
    text: str
    column: int  # 1-based


_NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_R = re.compile(
    rf"(?P<num>{_NUMBER}L?)|(?P<str>\"[^\"\\]*\"|'[^'\\]*')|(?P<tick>`[^`]+`)"
    r"|(?P<name>[A-Za-z.][A-Za-z0-9._]*)"
    r"|(?P<op><-|%[^%\s]*%|[-+*/^:()\[\],=$])"
)
_NUMPY = re.compile(
    rf"(?P<num>{_NUMBER})|(?P<str>\"[^\"\\]*\"|'[^'\\]*')|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\.\.\.|\*\*|//|[-+*/@:()\[\],=.])"
)
LANGUAGE_NAMES = {"R": "R", "NumPy": "NumPy"}


def tokenize(text: str, language: str) -> list[Token]:
    """Split ``text`` into tokens of ``language`` ("R" or "NumPy"); R comments (``#``) end the line."""
    if len(text) > MAX_STATEMENT_LENGTH:
        raise ConsoleError(f"That statement is too long (over {MAX_STATEMENT_LENGTH} characters)", "syntax")
    pattern = _R if language == "R" else _NUMPY
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        if text[at] == "#":
            break
        match = pattern.match(text, at)
        if match is None:
            raise ConsoleError(f"{language} syntax: unexpected {text[at]!r} at column {at + 1}", "syntax", at + 1)
        kind, value = match.lastgroup, match.group()
        if kind == "op":
            kind = value
        elif kind == "tick":  # R's `+`: an operator used as a function's name
            kind, value = "name", value[1:-1]
        tokens.append(Token(kind, value, at + 1))
        at = match.end()
    return tokens

"""One console session: statements in, results out. The only entry point the panel uses.

``Session(tensors).run("train_images[10:99,,]")`` works out the language (R or NumPy),
parses it with the console's own parser, evaluates it, and returns a ``Result``: the str()
line, the value for the view, the same statement in the other language, and notes. A
mistake is a ``Result`` with ``error`` set, in the chapter's words; nothing is ever handed
to Python's ``eval`` or ``exec``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from playground.core.console import nodes as n
from playground.core.console.describe import Description, describe
from playground.core.console.environment import R_NAMES, Environment, name_in
from playground.core.console.errors import ConsoleError
from playground.core.console.numpy_eval import NumpyEvaluator
from playground.core.console.numpy_parser import ATTRIBUTES, parse_numpy
from playground.core.console.r_eval import REvaluator
from playground.core.console.r_functions import FUNCTIONS as R_FUNCTIONS
from playground.core.console.r_parser import parse_r
from playground.core.console.translate import numpy_to_r, r_to_numpy
from playground.core.console.values import Notes

_R_SIGNS = re.compile(r"<-|%|\$|`|\[\s*,|,\s*,|,\s*\]|\^|\bTRUE\b|\bFALSE\b|\b(" + "|".join(
    re.escape(name) for name in list(R_FUNCTIONS) + list(R_NAMES.values())) + r")\b")
_NUMPY_SIGNS = re.compile(r"\bnp\.|\bplt\.|\*\*|@|\.\.\.|\bTrue\b|\bFalse\b|\[\s*:|:\s*\]|::|:\s*,|\b("
                          + "|".join(R_NAMES) + r")\b|[\w)\]]\.(" + "|".join(ATTRIBUTES) + r")\b")


def split_statements(text: str) -> list[str]:
    """``x <- 1; y <- 2`` is two statements (a ``;`` inside quotes does not split)."""
    parts, current, quote = [], [], None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'`":
            quote = char
        elif char == ";":
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def detect_language(text: str, previous: str = "R") -> str:
    """"R" or "NumPy": what the statement's own signs say, else the language used last."""
    r_signs = len(_R_SIGNS.findall(text))
    numpy_signs = len(_NUMPY_SIGNS.findall(text))
    if r_signs > numpy_signs:
        return "R"
    if numpy_signs > r_signs:
        return "NumPy"
    return previous


@dataclass(frozen=True)
class Result:
    statement: str
    language: str  # "R" or "NumPy": how it was read
    str_line: str = ""
    view: str = "none"  # "grid", "image", "table", "text", "none" (see describe)
    text: str = ""
    images: np.ndarray | None = None
    image_max: float = 255.0
    value: object = None
    other_form: str | None = None  # the same statement in the other language
    notes: tuple[str, ...] = ()
    error: str = ""
    name: str | None = None  # the variable assigned, if any

    @property
    def other_language(self) -> str:
        return "NumPy" if self.language == "R" else "R"

    @property
    def kind(self) -> str:
        """"error", "image" (a plot), "tensor", "text" or "none"."""
        if self.error:
            return "error"
        if self.view == "image" and not isinstance(self.value, np.ndarray):
            return "image"
        return "tensor" if isinstance(self.value, np.ndarray) else "text" if self.view == "text" else self.view


@dataclass
class Session:
    """The learner's variables and the language they typed last; ``run`` one statement at a time."""

    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    language: str = "R"

    def __post_init__(self):
        self.env = Environment(self.tensors)

    def set_dataset(self, tensors: dict[str, np.ndarray]) -> None:
        self.env.set_dataset(tensors)

    def run(self, statement: str, language: str | None = None) -> Result:
        text = (statement or "").strip()
        language = language or detect_language(text, self.language)
        try:
            result = self._run(text, language)
        except ConsoleError as exc:
            return Result(text, language, error=str(exc))
        except RecursionError:
            return Result(text, language, error="That statement nests too deeply for the console: split it into "
                                                 "steps with variables (x <- ...)")
        except (MemoryError, ArithmeticError, ValueError, TypeError, IndexError) as exc:  # a case we did not foresee
            return Result(text, language, error=f"The console could not do that: {exc}")
        self.language = language
        return result

    def _run(self, text: str, language: str) -> Result:
        notes = Notes()
        if language == "R":
            tree = parse_r(text)
            evaluator = REvaluator(self.env, notes)
        else:
            tree = parse_numpy(text)
            evaluator = NumpyEvaluator(self.env, notes)
        value = evaluator.evaluate(tree)
        name = None
        if isinstance(tree, n.Assign):
            target = tree.target if isinstance(tree.target, n.Name) else tree.target.args[0].value
            name = name_in(target.id, language)
        other = r_to_numpy(tree, evaluator.info) if language == "R" else numpy_to_r(tree, evaluator.info)
        shown: Description = describe(value, name, language)
        return Result(text, language, shown.str_line, shown.view, shown.text, shown.images, shown.image_max,
                      value, other, tuple(notes.items), name=name)

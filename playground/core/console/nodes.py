"""The syntax tree both parsers build (R and NumPy share it): plain frozen dataclasses.

Nothing here can run: a tree is data, and only ``r_eval`` and ``numpy_eval`` give it a
meaning, by dispatching on the node's class to functions they list themselves. ``column`` is
where the node starts in the typed text (1-based), so errors can point at it.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Node:
    column: int = field(default=0, compare=False, kw_only=True)


@dataclass(frozen=True)
class Num(Node):
    value: int | float | bool
    text: str = ""  # as typed: 1L, 255, 1e-3, TRUE


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Empty(Node):
    """An empty position in R's brackets (``train_images[10:99,,]``): the whole dimension."""


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "+"
    operand: Node


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # + - * / ^ ** %*% @ : //
    left: Node
    right: Node
    op_column: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Arg(Node):
    name: str | None  # the keyword (dim = ..., by = ...), or None
    value: Node


@dataclass(frozen=True)
class Call(Node):
    func: Node  # Name for R and for np.* (Attr), or Attr for a method
    args: tuple[Arg, ...] = ()


@dataclass(frozen=True)
class Index(Node):
    """``target[a, b, ...]``: R positions (expressions or ``Empty``) or NumPy subscripts."""

    target: Node
    items: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Slice(Node):
    """NumPy's ``start:stop:step`` inside brackets (any part may be None)."""

    start: Node | None = None
    stop: Node | None = None
    step: Node | None = None


@dataclass(frozen=True)
class EllipsisNode(Node):
    """NumPy's ``...`` inside brackets."""


@dataclass(frozen=True)
class Attr(Node):
    """``value.name`` (NumPy only, and only names on the whitelist get this far)."""

    value: Node
    name: str


@dataclass(frozen=True)
class Dollar(Node):
    """R's ``mnist$train$x``."""

    value: Node
    name: str


@dataclass(frozen=True)
class Sequence(Node):
    """A NumPy tuple ``(60000, 784)`` or list ``[1, 2, 3]``."""

    items: tuple[Node, ...] = ()
    brackets: str = "()"


@dataclass(frozen=True)
class Assign(Node):
    """``target <- value`` / ``target = value``; R's target may be ``dim(x)``."""

    target: Node
    value: Node
    op: str = "<-"

"""Syntax trees written back as text (``r_text``, ``numpy_text``), and what both translators share:
operator precedence, numbers as a learner writes them, and the literal values of ``c(2, 3)``.
"""
from __future__ import annotations

import numpy as np

from playground.core.console import nodes as n

R_PRECEDENCE = {"<-": 0, "=": 0, "+": 1, "-": 1, "*": 2, "/": 2, "%": 3, ":": 4, "unary": 5, "^": 6}
NUMPY_PRECEDENCE = {"=": 0, "+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "@": 2, "unary": 3, "**": 4}


class NoShortForm(Exception):
    """The other language has no short way to say this."""


def precedence(table, op: str) -> int:
    return table["%"] if op.startswith("%") and "%" in table else table[op]


def _wrap(text: str, node: n.Node, table, parent: int, right: bool = False) -> str:
    if isinstance(node, n.BinOp):
        mine = precedence(table, node.op)
        if mine < parent or (right and mine == parent):
            return f"({text})"
    if isinstance(node, n.Unary) and parent >= table["unary"]:
        return f"({text})"
    return text


def number(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


# ----- writing trees back as text -----------------------------------------------------------------
def r_text(node: n.Node) -> str:
    """An R tree as R text (the learner's own statement, tidied)."""
    if isinstance(node, n.Num):
        return node.text or number(node.value).upper()
    if isinstance(node, n.Str):
        return f'"{node.value}"'
    if isinstance(node, n.Name):
        return node.id if node.id.replace(".", "").replace("_", "").isalnum() else f"`{node.id}`"
    if isinstance(node, n.Empty):
        return ""
    if isinstance(node, n.Unary):
        return node.op + _wrap(r_text(node.operand), node.operand, R_PRECEDENCE, R_PRECEDENCE["unary"])
    if isinstance(node, n.BinOp):
        p = precedence(R_PRECEDENCE, node.op)
        left = _wrap(r_text(node.left), node.left, R_PRECEDENCE, p + (node.op == "^"))
        right = _wrap(r_text(node.right), node.right, R_PRECEDENCE, p, right=node.op != "^")
        return f"{left}{node.op}{right}" if node.op in (":", "^") else f"{left} {node.op} {right}"
    if isinstance(node, n.Call):
        return f"{r_text(node.func)}({', '.join(_arg(a, r_text) for a in node.args)})"
    if isinstance(node, n.Index):
        items = [r_text(item) for item in node.items]
        return f"{r_text(node.target)}[{', '.join(items) if any(items) else ','.join(items)}]"
    if isinstance(node, n.Dollar):
        return f"{r_text(node.value)}${node.name}"
    if isinstance(node, n.Assign):
        return f"{r_text(node.target)} {node.op} {r_text(node.value)}"
    raise NoShortForm(type(node).__name__)


def numpy_text(node: n.Node) -> str:
    """A NumPy tree as Python text."""
    if isinstance(node, n.Num):
        return node.text or number(node.value)
    if isinstance(node, n.Str):
        return f'"{node.value}"'
    if isinstance(node, n.Name):
        return node.id
    if isinstance(node, n.EllipsisNode):
        return "..."
    if isinstance(node, n.Slice):
        parts = ["" if p is None else numpy_text(p) for p in (node.start, node.stop, node.step)]
        return ":".join(parts if parts[2] else parts[:2])
    if isinstance(node, n.Unary):
        return node.op + _wrap(numpy_text(node.operand), node.operand, NUMPY_PRECEDENCE, NUMPY_PRECEDENCE["unary"])
    if isinstance(node, n.BinOp):
        p = NUMPY_PRECEDENCE[node.op]
        left = _wrap(numpy_text(node.left), node.left, NUMPY_PRECEDENCE, p + (node.op == "**"))
        right = _wrap(numpy_text(node.right), node.right, NUMPY_PRECEDENCE, p, right=node.op != "**")
        return f"{left} {node.op} {right}"
    if isinstance(node, n.Call):
        return f"{numpy_text(node.func)}({', '.join(_arg(a, numpy_text, '=') for a in node.args)})"
    if isinstance(node, n.Index):
        return f"{numpy_text(node.target)}[{', '.join(numpy_text(item) for item in node.items)}]"
    if isinstance(node, n.Attr):
        return f"{numpy_text(node.value)}.{node.name}"
    if isinstance(node, n.Sequence):
        inner = ", ".join(numpy_text(item) for item in node.items)
        if node.brackets == "()" and len(node.items) == 1:
            inner += ","
        return node.brackets[0] + inner + node.brackets[1]
    if isinstance(node, n.Assign):
        return f"{numpy_text(node.target)} = {numpy_text(node.value)}"
    raise NoShortForm(type(node).__name__)


def _arg(arg: n.Arg, write, equals: str = " = ") -> str:
    return f"{arg.name}{equals}{write(arg.value)}" if arg.name else write(arg.value)



def broadcast_agrees_with_recycling(a: tuple, b: tuple) -> bool:
    """R recycles column-major; NumPy broadcasts from the last axis. Same result only when the
    shapes are equal or one side is a single value."""
    return a == b or int(np.prod(a)) == 1 or int(np.prod(b)) == 1


def literal(node) -> float | bool | None:
    if isinstance(node, n.Num):
        return node.value
    if isinstance(node, n.Unary) and isinstance(node.operand, n.Num) and not isinstance(node.operand.value, bool):
        return -node.operand.value if node.op == "-" else node.operand.value
    if isinstance(node, n.BinOp) and node.op in "*+-" and node.op != ":":
        a, b = literal(node.left), literal(node.right)
        if a is not None and b is not None and not isinstance(a, bool) and not isinstance(b, bool):
            return a * b if node.op == "*" else a + b if node.op == "+" else a - b
    return None


def literal_vector(node) -> list | None:
    """``c(2, 3)``, ``c(60000, 28 * 28)`` or a single number: the values, when all are literal."""
    single = literal(node)
    if single is not None:
        return [single]
    if isinstance(node, n.Call) and node.func == n.Name("c"):
        values = [literal(arg.value) for arg in node.args]
        return None if any(v is None for v in values) else values
    if isinstance(node, n.BinOp) and node.op == ":":
        a, b = literal(node.left), literal(node.right)
        if a is not None and b is not None and abs(b - a) < 20:
            step = 1 if b >= a else -1
            return list(np.arange(a, b + step, step))
    return None

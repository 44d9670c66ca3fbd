"""NumPy -> R: the book's R for an evaluated NumPy statement (``x_train[9:99]`` -> ``train_images[10:99,,]``).

Indices become 1-based and inclusive with empty positions for whole axes, ``@``/``np.dot``
become ``%*%``, ``x.reshape`` becomes keras's ``array_reshape``, and a vector broadcast over
the rows of a matrix becomes ``sweep(x, 2, y, `+`)`` (R would recycle it down the columns).
"""
from __future__ import annotations

from playground.core.console import nodes as n
from playground.core.console.environment import name_in
from playground.core.console.r_index import expand_ellipsis, r_index_text
from playground.core.console.unparse import (
    R_PRECEDENCE, NoShortForm, broadcast_agrees_with_recycling, literal, number, precedence,
)


def numpy_to_r(node: n.Node, info: dict) -> str | None:
    """The book's R for an evaluated NumPy statement, or None."""
    try:
        return _NumpyToR(info).text(node)
    except NoShortForm:
        return None


class _NumpyToR:
    def __init__(self, info: dict):
        self.info = info

    def shape(self, node):
        return self.info.get(id(node), {}).get("shape")

    def text(self, node: n.Node, parent: int = 0, right: bool = False) -> str:
        out = self._text(node)
        if isinstance(node, n.BinOp):
            op = {"**": "^", "@": "%", "//": "%"}.get(node.op, node.op)
            mine = precedence(R_PRECEDENCE, op)
            if mine < parent or (right and mine == parent):
                return f"({out})"
        if isinstance(node, n.Unary) and parent >= R_PRECEDENCE["unary"]:
            return f"({out})"
        return out

    def _text(self, node: n.Node) -> str:
        if isinstance(node, n.Num):
            return "TRUE" if node.value is True else "FALSE" if node.value is False else number(node.value)
        if isinstance(node, n.Str):
            return f'"{node.value}"'
        if isinstance(node, n.Name):
            return name_in(node.id, "R")
        if isinstance(node, n.Assign):
            return f"{self.text(node.target)} <- {self.text(node.value)}"
        if isinstance(node, n.Unary):
            return node.op + self.text(node.operand, R_PRECEDENCE["unary"])
        if isinstance(node, n.Sequence):
            return "c(" + ", ".join(self.text(item) for item in node.items) + ")"
        if isinstance(node, n.BinOp):
            return self.binary(node)
        if isinstance(node, n.Index):
            record = self.info.get(id(node), {})
            if "index" not in record or any(item is None for item in record["index"]):
                raise NoShortForm("index")
            target = self.text(node.target, 99)
            if not isinstance(node.target, n.Name):
                target = f"({target})" if not target.endswith(")") or "[" in target else target
            index = tuple(record["index"])
            text = r_index_text(target, expand_ellipsis(index, len(record["target_shape"])), record["target_shape"])
            if text is None:
                raise NoShortForm("index")
            return text
        if isinstance(node, n.Attr):
            a = self.text(node.value, 99)
            table = {"T": "t({0})", "shape": "dim({0})", "ndim": "length(dim({0}))", "size": "length({0})",
                     "dtype": "typeof({0})"}
            if node.name in table:
                return table[node.name].format(a)
            raise NoShortForm(node.name)
        if isinstance(node, n.Call):
            return self.call(node)
        raise NoShortForm(type(node).__name__)

    def binary(self, node: n.BinOp) -> str:
        if node.op == "@":
            return f"{self.text(node.left, 3)} %*% {self.text(node.right, 3, True)}"
        if node.op == "//":
            return f"{self.text(node.left, 3)} %/% {self.text(node.right, 3, True)}"
        op = "^" if node.op == "**" else node.op
        p = R_PRECEDENCE[op]
        a, b = self.text(node.left, p + (op == "^")), self.text(node.right, p, right=op != "^")
        left, right = self.shape(node.left), self.shape(node.right)
        if left is not None and right is not None and not broadcast_agrees_with_recycling(left, right):
            if len(left) == 2 and right == (left[1],):
                name = {"+": "`+`", "-": "`-`", "*": "`*`", "/": "`/`"}.get(node.op)
                if name:
                    return f"sweep({self.text(node.left)}, 2, {self.text(node.right)}, {name})"
            raise NoShortForm("broadcast")
        return f"{a} {op} {b}"

    def shape_text(self, value_nodes) -> str:
        parts = [self.text(v) for v in value_nodes]
        return parts[0] if len(parts) == 1 else "c(" + ", ".join(parts) + ")"

    def call(self, node: n.Call) -> str:
        func = node.func
        positional = [a.value for a in node.args if a.name is None]
        named = {a.name: a.value for a in node.args if a.name is not None}
        if isinstance(func, n.Attr) and func.value == n.Name("np"):
            return self.function(func.name, positional, named, node)
        if isinstance(func, n.Attr) and func.value == n.Name("plt") and func.name == "imshow" and positional:
            return f"plot(as.raster({self.text(positional[0])}, max = 255))"
        if isinstance(func, n.Attr) and func.value == n.Attr(n.Name("np"), "random") and func.name == "uniform" \
                and len(positional) == 3:
            low, high, size = (self.text(p) for p in positional)
            return f"runif({size}, {low}, {high})"
        if isinstance(func, n.Attr):
            return self.method(self.text(func.value, 99), func.name, positional, named)
        raise NoShortForm("call")

    def method(self, x: str, name: str, positional: list, named: dict) -> str:
        if name == "reshape":
            items = positional[0].items if len(positional) == 1 and isinstance(positional[0], n.Sequence) else positional
            order = named.get("order")
            extra = f', order = "{order.value}"' if isinstance(order, n.Str) and order.value == "F" else ""
            return f"array_reshape({x}, {self.shape_text(items)}{extra})"
        if name in ("max", "min", "sum", "mean") and not positional and not named:
            return f"{name}({x})"
        if name == "transpose" and not positional:
            return f"t({x})"
        raise NoShortForm(name)

    def function(self, name: str, positional: list, named: dict, node: n.Call) -> str:
        args = [self.text(p) for p in positional]
        if name in ("dot", "matmul") and len(args) == 2:
            return f"{self.text(positional[0], 3)} %*% {self.text(positional[1], 3, True)}"
        if name in ("maximum", "minimum") and len(args) == 2:
            return f"{'pmax' if name == 'maximum' else 'pmin'}({args[0]}, {args[1]})"
        if name in ("max", "min", "sum", "mean", "exp", "sqrt", "abs", "round") and len(args) == 1 and not named:
            return f"{name}({args[0]})"
        if name == "transpose" and len(args) == 1:
            return f"t({args[0]})"
        if name == "shape" and len(args) == 1:
            return f"dim({args[0]})"
        if name == "reshape" and len(positional) == 2:
            items = positional[1].items if isinstance(positional[1], n.Sequence) else [positional[1]]
            return self.method(self.text(positional[0], 99), "reshape", [n.Sequence(tuple(items))], named)
        if name in ("zeros", "ones", "full") and positional:
            items = positional[0].items if isinstance(positional[0], n.Sequence) else [positional[0]]
            value = "0" if name == "zeros" else "1" if name == "ones" else self.text(positional[1])
            return f"array({value}, dim = {self.shape_text(items)})"
        if name == "arange" and all(literal(p) is not None for p in positional) and 1 <= len(positional) <= 3:
            numbers = [literal(p) for p in positional]
            start, stop, step = (0, numbers[0], 1) if len(numbers) == 1 else (*numbers[:2], numbers[2] if len(numbers) > 2 else 1)
            count = len(range(int(start), int(stop), int(step))) if all(float(v).is_integer() for v in (start, stop, step)) else None
            if not count:
                raise NoShortForm("arange")
            last = start + (count - 1) * step
            return f"{number(start)}:{number(last)}" if step == 1 else \
                f"seq({number(start)}, {number(last)}, by = {number(step)})"
        if name == "array" and len(positional) == 1 and isinstance(positional[0], n.Sequence):
            rows = positional[0].items
            if all(isinstance(r, n.Sequence) for r in rows) and rows:
                values = [self.text(v) for r in rows for v in r.items]
                return f"matrix(c({', '.join(values)}), nrow = {len(rows)}, byrow = TRUE)"
            return "c(" + ", ".join(self.text(v) for v in rows) + ")"
        raise NoShortForm(name)

"""NumPy expressions, parsed by recursive descent into ``nodes`` (Python never sees them).

The grammar is a small part of Python's: names, numbers, strings, ``+ - * / // @ **``,
calls with keyword arguments, subscripts with slices and ``...``, tuples and lists, one
``name = value`` assignment, and attribute access, but only to the names in ``ATTRIBUTES``
(``x.T``, ``x.reshape``, ...) and ``NUMPY_FUNCTIONS`` (``np.dot``, ``np.maximum``, ...). Any
other attribute is refused while parsing, so ``x.__class__`` never gets near an object.
"""
from __future__ import annotations

from playground.core.console import nodes as n
from playground.core.console.errors import ConsoleError
from playground.core.console.parsing import TokenStream

#: ``np.<name>``: the functions numpy_eval knows (see its FUNCTIONS table)
NUMPY_FUNCTIONS = (
    "array", "arange", "zeros", "ones", "full", "linspace", "reshape", "transpose", "dot", "matmul", "maximum",
    "minimum", "max", "min", "sum", "mean", "shape", "ndim", "size", "exp", "sqrt", "abs", "round", "tile",
    "repeat", "concatenate", "expand_dims", "squeeze", "argmax", "newaxis", "float32", "float64", "int32",
    "uint8", "random",
)
#: ``x.<name>`` on a tensor
ATTRIBUTES = ("T", "shape", "ndim", "dtype", "size", "reshape", "transpose", "astype", "max", "min", "sum",
              "mean", "ravel", "flatten", "argmax", "copy", "squeeze")
#: ``np.random.<name>`` and ``plt.<name>``, ``plt.cm.<name>``
RANDOM_FUNCTIONS = ("uniform", "normal", "seed", "randint", "random")
PLOT_NAMES = ("imshow", "cm", "binary", "gray", "show")
CONSTANTS = {"True": True, "False": False}


def parse_numpy(text: str) -> n.Node:
    """Parse one NumPy statement; raises ``ConsoleError`` (kind ``"syntax"`` or ``"attribute"``)."""
    parser = _NumpyParser(text)
    if parser.s.peek() is None:
        raise ConsoleError("Type a NumPy expression, e.g. x_train[9:99].shape", "syntax", 1)
    node = parser.statement()
    if parser.s.peek() is not None:
        raise parser.s.unexpected()
    return node


def allowed_attribute(owner: n.Node, name: str) -> bool:
    """``np.dot`` and ``x.reshape`` yes, ``x.__class__`` no: the whitelist, by owner."""
    if owner == n.Name("np"):
        return name in NUMPY_FUNCTIONS
    if owner == n.Attr(n.Name("np"), "random"):
        return name in RANDOM_FUNCTIONS
    if owner in (n.Name("plt"), n.Attr(n.Name("plt"), "cm")):
        return name in PLOT_NAMES
    return name in ATTRIBUTES


class _NumpyParser:
    def __init__(self, text: str):
        self.s = TokenStream(text, "NumPy")

    def statement(self) -> n.Node:
        node = self.tuple_or_expression()
        token = self.s.accept("=")
        if token:
            if not isinstance(node, n.Name):
                raise ConsoleError("NumPy: the left of = must be a name (x = ...); "
                                   "assigning into part of a tensor is not supported here", "syntax", token.column)
            return n.Assign(node, self.tuple_or_expression(), "=", column=node.column)
        return node

    def tuple_or_expression(self) -> n.Node:
        first = self.expression()
        if self.s.peek() != ",":
            return first
        items = [first]
        while self.s.accept(","):
            if self.s.peek() in (None, "=", ")"):
                break
            items.append(self.expression())
        return n.Sequence(tuple(items), "()", column=first.column)

    def expression(self) -> n.Node:
        return self.binary(0)

    LEVELS = (("+", "-"), ("*", "/", "//", "@"))

    def binary(self, level: int) -> n.Node:
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.s.peek() in self.LEVELS[level]:
            token = self.s.current()
            self.s.at += 1
            right = self.binary(level + 1)
            left = n.BinOp(token.kind, left, right, token.column, column=left.column)
        return left

    def unary(self) -> n.Node:
        token = self.s.accept("-") or self.s.accept("+")
        if token:
            return n.Unary(token.kind, self.unary(), column=token.column)
        return self.power()

    def power(self) -> n.Node:
        base = self.postfix()
        token = self.s.accept("**")
        if token:
            return n.BinOp("**", base, self.unary(), token.column, column=base.column)
        return base

    def postfix(self) -> n.Node:
        node = self.primary()
        while True:
            if self.s.peek() == "(":
                self.s.take("(")
                node = n.Call(node, self.arguments(), column=node.column)
            elif self.s.peek() == "[":
                self.s.take("[")
                node = n.Index(node, self.subscripts(), column=node.column)
            elif self.s.peek() == ".":
                dot = self.s.take(".")
                name = self.s.take("name", "a name after .").text
                if not allowed_attribute(node, name):
                    raise ConsoleError(_attribute_refusal(node, name), "attribute", dot.column)
                node = n.Attr(node, name, column=node.column)
            else:
                return node

    def arguments(self) -> tuple[n.Arg, ...]:
        args = []
        while self.s.peek() != ")":
            if self.s.peek() is None:
                raise ConsoleError("NumPy syntax: a ) is missing at the end", "syntax", self.s.column())
            column = self.s.column()
            if self.s.peek() == "name" and self.s.peek(1) == "=":
                name = self.s.take("name").text
                self.s.take("=")
                args.append(n.Arg(name, self.expression(), column=column))
            else:
                args.append(n.Arg(None, self.expression(), column=column))
            if not self.s.accept(","):
                break
        self.s.take(")", "a comma or )")
        return tuple(args)

    def subscripts(self) -> tuple[n.Node, ...]:
        items = [self.subscript()]
        while self.s.accept(","):
            if self.s.peek() == "]":
                break
            items.append(self.subscript())
        self.s.take("]", "a comma or ]")
        return tuple(items)

    def subscript(self) -> n.Node:
        column = self.s.column()
        if self.s.accept("..."):
            return n.EllipsisNode(column=column)
        if self.s.peek() in (",", "]", None) and self.s.peek() != ":":
            raise self.s.error("an index")
        start = None if self.s.peek() == ":" else self.expression()
        if not self.s.accept(":"):
            return start
        stop = None if self.s.peek() in (":", ",", "]") else self.expression()
        step = None
        if self.s.accept(":"):
            step = None if self.s.peek() in (",", "]") else self.expression()
        return n.Slice(start, stop, step, column=column)

    def primary(self) -> n.Node:
        token = self.s.current()
        if token is None:
            raise ConsoleError("NumPy syntax: the statement ends too soon", "syntax", self.s.column())
        self.s.at += 1
        if token.kind == "num":
            is_int = all(c.isdigit() for c in token.text)
            return n.Num(int(token.text) if is_int else float(token.text), token.text, column=token.column)
        if token.kind == "str":
            return n.Str(token.text[1:-1], column=token.column)
        if token.kind == "name":
            if token.text in CONSTANTS:
                return n.Num(CONSTANTS[token.text], token.text, column=token.column)
            if token.text == "None":
                return n.Name("None", column=token.column)
            return n.Name(token.text, column=token.column)
        if token.kind in ("(", "["):
            close = ")" if token.kind == "(" else "]"
            items, trailing_comma = [], False
            while self.s.peek() != close:
                items.append(self.expression())
                trailing_comma = bool(self.s.accept(","))
                if not trailing_comma:
                    break
            self.s.take(close, f"a comma or {close}")
            if token.kind == "(" and len(items) == 1 and not trailing_comma:
                return items[0]
            return n.Sequence(tuple(items), token.kind + close, column=token.column)
        self.s.at -= 1
        raise self.s.unexpected()


def _attribute_refusal(owner: n.Node, name: str) -> str:
    if owner == n.Name("np"):
        return (f"np.{name} is not one of the NumPy functions this console knows: "
                + ", ".join(f"np.{f}" for f in NUMPY_FUNCTIONS if f not in ("random", "newaxis")))
    return (f".{name} is not something this console does with a tensor; it knows "
            + ", ".join(f".{a}" for a in ATTRIBUTES))

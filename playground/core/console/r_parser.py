"""The book's R, parsed by recursive descent into ``nodes`` (never handed to R or Python).

Precedence, lowest first, as R's ``?Syntax`` lists it::

    <-  =          assignment (right to left; the target is a name or dim(name))
    + -            binary
    * /
    %*% %any%
    :              ranges: 10:99
    - +            unary
    ^              power (-2^2 is -4)
    f(...) x[...] x$name

Inside brackets a position may be empty (``train_images[10:99,,]``): an ``Empty`` node.
"""
from __future__ import annotations

from playground.core.console import nodes as n
from playground.core.console.errors import ConsoleError
from playground.core.console.parsing import TokenStream

CONSTANTS = {"TRUE": True, "FALSE": False, "T": True, "F": False}


def parse_r(text: str) -> n.Node:
    """Parse one R statement; raises ``ConsoleError`` (kind ``"syntax"``) with the column."""
    parser = _RParser(text)
    if parser.s.peek() is None:
        raise ConsoleError("Type an R statement, e.g. dim(train_images[10:99,,])", "syntax", 1)
    node = parser.statement()
    if parser.s.peek() is not None:
        raise parser.s.unexpected()
    return node


class _RParser:
    def __init__(self, text: str):
        self.s = TokenStream(text, "R")

    def statement(self) -> n.Node:
        target = self.expression()
        for op in ("<-", "="):
            token = self.s.accept(op)
            if token:
                if not (isinstance(target, n.Name) or _is_dim_call(target)):
                    raise ConsoleError(f"R: the left of {op} must be a name (x {op} ...) or dim(x); "
                                       "assigning into part of a tensor is not supported here", "syntax", token.column)
                return n.Assign(target, self.statement(), op, column=target.column)
        return target

    def expression(self) -> n.Node:
        return self.binary(0)

    LEVELS = (("+", "-"), ("*", "/"), ("%",), (":",))

    def binary(self, level: int) -> n.Node:
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self._is_op(level):
            token = self.s.current()
            self.s.at += 1
            if self.s.peek() is None:
                raise ConsoleError(f"R syntax: {token.text!r} at column {token.column} needs something on its right",
                                   "syntax", token.column)
            if token.kind == ":" and self.s.peek() in (",", "]"):
                raise self._colon_error()
            right = self.binary(level + 1)
            left = n.BinOp(token.kind, left, right, token.column, column=left.column)
        return left

    def _is_op(self, level: int) -> bool:
        kind = self.s.peek()
        if kind is None:
            return False
        if level == 2:
            return kind.startswith("%") and len(kind) > 1
        return kind in self.LEVELS[level]

    def unary(self) -> n.Node:
        token = self.s.accept("-") or self.s.accept("+")
        if token:
            return n.Unary(token.kind, self.unary(), column=token.column)
        return self.power()

    def power(self) -> n.Node:
        base = self.postfix()
        token = self.s.accept("^")
        if token:
            return n.BinOp("^", base, self.unary(), token.column, column=base.column)
        return base

    def postfix(self) -> n.Node:
        node = self.primary()
        while True:
            if self.s.peek() == "(":
                self.s.take("(")
                node = n.Call(node, self.arguments(), column=node.column)
            elif self.s.peek() == "[":
                self.s.take("[")
                node = n.Index(node, self.positions(), column=node.column)
            elif self.s.peek() == "$":
                self.s.take("$")
                node = n.Dollar(node, self.s.take("name", "a name after $").text, column=node.column)
            else:
                return node

    def arguments(self) -> tuple[n.Arg, ...]:
        args = []
        while self.s.peek() != ")":
            if self.s.peek() is None:
                raise ConsoleError("R syntax: a ) is missing at the end", "syntax", self.s.column())
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

    def positions(self) -> tuple[n.Node, ...]:
        items = [self.position()]
        while self.s.accept(","):
            items.append(self.position())
        if self.s.peek() is None:
            raise ConsoleError("R syntax: a ] is missing at the end", "syntax", self.s.column())
        self.s.take("]", "a comma or ]")
        return tuple(items)

    def position(self) -> n.Node:
        kind = self.s.peek()
        if kind is None:
            raise ConsoleError("R syntax: a ] is missing at the end", "syntax", self.s.column())
        if kind in (",", "]"):
            return n.Empty(column=self.s.column())
        if kind == ":":
            raise self._colon_error()
        return self.expression()

    def _colon_error(self) -> ConsoleError:
        return ConsoleError("R syntax: ':' needs a number on each side, e.g. 10:99 "
                            "(an empty position, as in train_images[10:99,,], takes the whole dimension)",
                            "syntax", self.s.column())

    def primary(self) -> n.Node:
        token = self.s.current()
        if token is None:
            raise ConsoleError("R syntax: the statement ends too soon", "syntax", self.s.column())
        if token.kind == "num":
            self.s.at += 1
            return _number(token)
        if token.kind == "str":
            self.s.at += 1
            return n.Str(token.text[1:-1], column=token.column)
        if token.kind == "name":
            self.s.at += 1
            if token.text in CONSTANTS:
                return n.Num(CONSTANTS[token.text], token.text, column=token.column)
            return n.Name(token.text, column=token.column)
        if token.kind == "(":
            self.s.at += 1
            inner = self.expression()
            self.s.take(")", "a )")
            return inner
        raise self.s.unexpected()


def _number(token) -> n.Num:
    text = token.text
    if text.endswith("L"):
        value = float(text[:-1])
        if value != int(value):
            raise ConsoleError(f"R: {text} is not a whole number, so it cannot be an integer (L)", "syntax", token.column)
        return n.Num(int(value), text, column=token.column)
    return n.Num(float(text), text, column=token.column)  # R's 5 is a double


def _is_dim_call(node: n.Node) -> bool:
    return (isinstance(node, n.Call) and node.func == n.Name("dim") and len(node.args) == 1
            and node.args[0].name is None and isinstance(node.args[0].value, n.Name))

"""The same statement in the other language: the book's R <-> NumPy (section 2.2.6's
``train_images[10:99,,]`` is ``x_train[9:99]``).

``r_text`` and ``numpy_text`` write a tree back as text. ``r_to_numpy`` and ``numpy_to_r``
translate, using what the evaluator recorded about each node (``info``: shapes, and NumPy's
index for each bracket) so that indices come out exact: R's ``10:99`` on the first axis is
NumPy's ``9:99``, and an empty position is ``:``. They return None where the other language
has no short form (R's recycling of an odd-length vector, a chain of brackets ...).
"""
from __future__ import annotations

import numpy as np

from playground.console import nodes as n
from playground.console.environment import name_in
from playground.console.r_index import numpy_index_text, r_index_text

R_PRECEDENCE = {"<-": 0, "=": 0, "+": 1, "-": 1, "*": 2, "/": 2, "%": 3, ":": 4, "unary": 5, "^": 6}
NUMPY_PRECEDENCE = {"=": 0, "+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "@": 2, "unary": 3, "**": 4}


class NoShortForm(Exception):
    """The other language has no short way to say this."""


def _precedence(table, op: str) -> int:
    return table["%"] if op.startswith("%") and "%" in table else table[op]


def _wrap(text: str, node: n.Node, table, parent: int, right: bool = False) -> str:
    if isinstance(node, n.BinOp):
        mine = _precedence(table, node.op)
        if mine < parent or (right and mine == parent):
            return f"({text})"
    if isinstance(node, n.Unary) and parent >= table["unary"]:
        return f"({text})"
    return text


def _number(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


# ----- writing trees back as text -----------------------------------------------------------------
def r_text(node: n.Node) -> str:
    """An R tree as R text (the learner's own statement, tidied)."""
    if isinstance(node, n.Num):
        return node.text or _number(node.value).upper()
    if isinstance(node, n.Str):
        return f'"{node.value}"'
    if isinstance(node, n.Name):
        return node.id if node.id.replace(".", "").replace("_", "").isalnum() else f"`{node.id}`"
    if isinstance(node, n.Empty):
        return ""
    if isinstance(node, n.Unary):
        return node.op + _wrap(r_text(node.operand), node.operand, R_PRECEDENCE, R_PRECEDENCE["unary"])
    if isinstance(node, n.BinOp):
        p = _precedence(R_PRECEDENCE, node.op)
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
        return node.text or _number(node.value)
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


# ----- R -> NumPy ---------------------------------------------------------------------------------
def r_to_numpy(node: n.Node, info: dict) -> str | None:
    """The NumPy form of an evaluated R statement, or None."""
    try:
        return _RToNumpy(info).text(node)
    except NoShortForm:
        return None


class _RToNumpy:
    def __init__(self, info: dict):
        self.info = info

    def shape(self, node: n.Node):
        return self.info.get(id(node), {}).get("shape")

    def text(self, node: n.Node, parent: int = 0, right: bool = False) -> str:
        out = self._text(node)
        if isinstance(node, n.BinOp) and node.op not in (":", "%*%"):
            mine = NUMPY_PRECEDENCE["**" if node.op == "^" else node.op]
            if mine < parent or (right and mine == parent):
                return f"({out})"
        if isinstance(node, n.Unary) and parent >= NUMPY_PRECEDENCE["unary"]:
            return f"({out})"
        return out

    def _text(self, node: n.Node) -> str:
        if isinstance(node, n.Num):
            return "True" if node.value is True else "False" if node.value is False else _number(node.value)
        if isinstance(node, n.Str):
            return f'"{node.value}"'
        if isinstance(node, n.Name):
            return {"+": "np.add", "-": "np.subtract", "pmax": "np.maximum", "pmin": "np.minimum"}.get(
                node.id, name_in(node.id, "NumPy"))
        if isinstance(node, n.Dollar):
            if isinstance(node.value, n.Dollar) and node.value.value == n.Name("mnist") and node.name in "xy":
                return f"{node.name}_{node.value.name}"
            raise NoShortForm("$")
        if isinstance(node, n.Assign):
            if isinstance(node.target, n.Call):  # dim(x) <- c(...)
                name = self.text(node.target.args[0].value)
                if node.value == n.Name("NULL"):
                    return f'{name} = {name}.ravel(order="F")'
                return f'{name} = {name}.reshape({self.shape_text(node.value)}, order="F")'
            return f"{self.text(node.target)} = {self.text(node.value)}"
        if isinstance(node, n.Unary):
            return node.op + self.text(node.operand, NUMPY_PRECEDENCE["unary"])
        if isinstance(node, n.BinOp):
            return self.binary(node)
        if isinstance(node, n.Index):
            return self.index(node)
        if isinstance(node, n.Call):
            return self.call(node)
        raise NoShortForm(type(node).__name__)

    def binary(self, node: n.BinOp) -> str:
        if node.op == ":":
            a, b = _literal(node.left), _literal(node.right)
            if a is not None and b is not None:
                return f"np.arange({_number(a)}, {_number(b + (1 if b >= a else -1))}" + (", -1)" if b < a else ")")
            return f"np.arange({self.text(node.left)}, {self.text(node.right, 1)} + 1)"
        if node.op == "%*%":
            return f"np.dot({self.text(node.left)}, {self.text(node.right)})"
        op = "**" if node.op == "^" else node.op
        left, right = self.shape(node.left), self.shape(node.right)
        p = NUMPY_PRECEDENCE[op]
        a, b = self.text(node.left, p + (op == "**")), self.text(node.right, p, right=op != "**")
        if left is not None and right is not None and not _broadcast_agrees_with_recycling(left, right):
            if len(left) == 2 and right == (left[0],):
                b = f"{self.text(node.right, 99)}[:, None]"
            elif len(right) == 2 and left == (right[0],):
                a = f"{self.text(node.left, 99)}[:, None]"
            else:
                raise NoShortForm("recycling")
        return f"{a} {op} {b}"

    def index(self, node: n.Index) -> str:
        record = self.info.get(id(node), {})
        if "index" not in record:
            raise NoShortForm("index")
        target = self.text(node.target, 99)
        index, shape = record["index"], record["target_shape"]
        if record.get("linear"):
            flat = numpy_index_text((index,))
            positions = np.arange(int(np.prod(shape)))[index] if isinstance(index, slice) else np.atleast_1d(index)
            if positions.size and positions.max() < shape[0]:
                return f"{target}[{flat}{', 0' * (len(shape) - 1)}]"
            return f'{target}.ravel(order="F")[{flat}]'
        arrays = sum(isinstance(item, np.ndarray) for item in index)
        if arrays > 1 or (arrays and any(isinstance(item, int) for item in index)):
            raise NoShortForm("outer index")
        text = numpy_index_text(index)
        return f"{target}[{text}]" if text else target

    def shape_text(self, node: n.Node) -> str:
        values = _literal_vector(node)
        if values is None:
            raise NoShortForm("shape")
        return "(" + ", ".join(_number(v) for v in values) + ("," if len(values) == 1 else "") + ")"

    def call(self, node: n.Call) -> str:
        if not isinstance(node.func, n.Name):
            raise NoShortForm("call")
        name, args = node.func.id, node.args
        positional = [a.value for a in args if a.name is None]
        named = {a.name: a.value for a in args if a.name is not None}

        def arg(position: int, key: str):
            if key in named:
                return named[key]
            return positional[position] if position < len(positional) else None

        simple = {"dim": "{0}.shape", "length": "{0}.size", "typeof": "{0}.dtype", "str": "{0}.dtype, {0}.shape",
                  "t": "{0}.T", "max": "np.max({0})", "min": "np.min({0})", "sum": "np.sum({0})",
                  "mean": "np.mean({0})", "print": "{0}", "as.array": "{0}", "exp": "np.exp({0})",
                  "sqrt": "np.sqrt({0})", "abs": "np.abs({0})", "nrow": "{0}.shape[0]", "ncol": "{0}.shape[1]",
                  "as.numeric": 'np.ravel({0}, order="F").astype("float64")', "as.integer": '{0}.astype("int32")'}
        if name == "length" and len(positional) == 1 and isinstance(positional[0], n.Call) \
                and positional[0].func == n.Name("dim") and len(positional[0].args) == 1:
            return f"{self.text(positional[0].args[0].value, 99)}.ndim"
        if name in simple and len(positional) == 1 and not named:
            return simple[name].format(self.text(positional[0], 99))
        if name in ("pmax", "pmin") and len(positional) == 2:
            return f"np.{'maximum' if name == 'pmax' else 'minimum'}({self.text(positional[0])}, {self.text(positional[1])})"
        if name == "c":
            values = _literal_vector(node)
            if values is not None:
                return "np.array([" + ", ".join(_number(v) for v in values) + "])"
            return "np.concatenate([" + ", ".join(f"np.ravel({self.text(v)}, order=\"F\")" for v in positional) + "])"
        if name in ("array", "matrix"):
            return self.array(node, name, arg)
        if name == "rep":
            x, times, each = arg(0, "x"), arg(1, "times"), arg(2, "each")
            text = self.text(x)
            if each is not None:
                text = f"np.repeat({text}, {self.text(each)})"
            return f"np.tile({text}, {self.text(times)})" if times is not None else text
        if name == "seq":
            a, b, by = (_literal(arg(k, key)) for k, key in enumerate(("from", "to", "by")))
            if None in (a, b) or (arg(2, "by") is not None and by is None) or "length.out" in named:
                raise NoShortForm("seq")
            by = by if by is not None else (1 if b >= a else -1)
            last = a + int((b - a) / by + 1e-10) * by
            whole = all(float(v).is_integer() for v in (a, by))
            stop = last + (1 if by > 0 else -1) if whole else last + by / 2
            return f"np.arange({_number(a)}, {_number(stop)}, {_number(by)})" if by != 1 else \
                f"np.arange({_number(a)}, {_number(stop)})"
        if name == "array_reshape":
            order = arg(2, "order")
            extra = f', order="{order.value}"' if isinstance(order, n.Str) else ""
            return f"{self.text(arg(0, 'x'), 99)}.reshape({self.shape_text(arg(1, 'dim'))}{extra})"
        if name == "sweep":
            return self.sweep(arg(0, "x"), arg(1, "MARGIN"), arg(2, "STATS"), arg(3, "FUN"))
        if name == "plot" and positional and isinstance(positional[0], n.Call) \
                and positional[0].func == n.Name("as.raster"):
            return f"plt.imshow({self.text(positional[0].args[0].value)}, cmap=plt.cm.binary)"
        if name == "round":
            return f"np.round({self.text(arg(0, 'x'))})"
        if name == "runif":
            low, high = arg(1, "min"), arg(2, "max")
            return f"np.random.uniform({self.text(low) if low else 0}, {self.text(high) if high else 1}, " \
                   f"{self.text(arg(0, 'n'))})"
        raise NoShortForm(name)

    def array(self, node: n.Call, name: str, arg) -> str:
        shape = self.shape(node)
        data = arg(0, "data")
        if shape is None or data is None:
            raise NoShortForm(name)
        dims = "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        byrow = name == "matrix" and _literal(arg(3, "byrow")) is True
        data_shape = self.shape(data)
        single = _literal(data)
        if single is not None or (isinstance(data, n.Call) and data.func == n.Name("rep")
                                  and _literal(data.args[0].value) is not None):
            value = single if single is not None else _literal(data.args[0].value)
            return f"np.zeros({dims})" if value == 0 else f"np.full({dims}, {_number(value)})"
        if data_shape is not None and int(np.prod(data_shape)) == int(np.prod(shape)):
            order = "" if byrow else ', order="F"'
            return f"np.reshape({self.text(data)}, {dims}{order})"
        raise NoShortForm(name)

    def sweep(self, x, margin, stats, fun) -> str:
        x_shape, margins = self.shape(x), _literal_vector(margin) if margin is not None else None
        if x_shape is None or margins is None or fun is None:
            raise NoShortForm("sweep")
        margins = [int(m) for m in margins]
        operator = fun.id if isinstance(fun, n.Name) else fun.value if isinstance(fun, n.Str) else None
        a, b = self.text(x, 99), self.text(stats, 99)
        if margins != list(range(len(x_shape) - len(margins) + 1, len(x_shape) + 1)):
            if len(x_shape) == 2 and margins == [1]:
                b = f"{b}[:, None]"
            else:
                raise NoShortForm("sweep")
        if operator in ("+", "-", "*", "/"):
            return f"{a} {operator} {b}"
        if operator in ("pmax", "pmin"):
            return f"np.{'maximum' if operator == 'pmax' else 'minimum'}({a}, {b})"
        raise NoShortForm("sweep")


def _broadcast_agrees_with_recycling(a: tuple, b: tuple) -> bool:
    """R recycles column-major; NumPy broadcasts from the last axis. Same result only when the
    shapes are equal or one side is a single value."""
    return a == b or int(np.prod(a)) == 1 or int(np.prod(b)) == 1


def _literal(node) -> float | bool | None:
    if isinstance(node, n.Num):
        return node.value
    if isinstance(node, n.Unary) and isinstance(node.operand, n.Num) and not isinstance(node.operand.value, bool):
        return -node.operand.value if node.op == "-" else node.operand.value
    if isinstance(node, n.BinOp) and node.op in "*+-" and node.op != ":":
        a, b = _literal(node.left), _literal(node.right)
        if a is not None and b is not None and not isinstance(a, bool) and not isinstance(b, bool):
            return a * b if node.op == "*" else a + b if node.op == "+" else a - b
    return None


def _literal_vector(node) -> list | None:
    """``c(2, 3)``, ``c(60000, 28 * 28)`` or a single number: the values, when all are literal."""
    single = _literal(node)
    if single is not None:
        return [single]
    if isinstance(node, n.Call) and node.func == n.Name("c"):
        values = [_literal(arg.value) for arg in node.args]
        return None if any(v is None for v in values) else values
    if isinstance(node, n.BinOp) and node.op == ":":
        a, b = _literal(node.left), _literal(node.right)
        if a is not None and b is not None and abs(b - a) < 20:
            step = 1 if b >= a else -1
            return list(np.arange(a, b + step, step))
    return None


# ----- NumPy -> R ---------------------------------------------------------------------------------
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
            mine = _precedence(R_PRECEDENCE, op)
            if mine < parent or (right and mine == parent):
                return f"({out})"
        if isinstance(node, n.Unary) and parent >= R_PRECEDENCE["unary"]:
            return f"({out})"
        return out

    def _text(self, node: n.Node) -> str:
        if isinstance(node, n.Num):
            return "TRUE" if node.value is True else "FALSE" if node.value is False else _number(node.value)
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
            from playground.console.r_index import expand_ellipsis
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
        if left is not None and right is not None and not _broadcast_agrees_with_recycling(left, right):
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
        if name == "arange" and all(_literal(p) is not None for p in positional) and 1 <= len(positional) <= 3:
            numbers = [_literal(p) for p in positional]
            start, stop, step = (0, numbers[0], 1) if len(numbers) == 1 else (*numbers[:2], numbers[2] if len(numbers) > 2 else 1)
            count = len(range(int(start), int(stop), int(step))) if all(float(v).is_integer() for v in (start, stop, step)) else None
            if not count:
                raise NoShortForm("arange")
            last = start + (count - 1) * step
            return f"{_number(start)}:{_number(last)}" if step == 1 else \
                f"seq({_number(start)}, {_number(last)}, by = {_number(step)})"
        if name == "array" and len(positional) == 1 and isinstance(positional[0], n.Sequence):
            rows = positional[0].items
            if all(isinstance(r, n.Sequence) for r in rows) and rows:
                values = [self.text(v) for r in rows for v in r.items]
                return f"matrix(c({', '.join(values)}), nrow = {len(rows)}, byrow = TRUE)"
            return "c(" + ", ".join(self.text(v) for v in rows) + ")"
        raise NoShortForm(name)

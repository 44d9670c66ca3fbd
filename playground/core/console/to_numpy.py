"""R -> NumPy: the NumPy form of an evaluated R statement (``train_images[10:99,,]`` -> ``x_train[9:99]``).

Indices come from what the evaluator recorded (``info``: NumPy's index for each bracket and
the shape of each value), so R's 1-based inclusive ``10:99`` is exactly NumPy's ``9:99``.
R's recycling of a vector down the columns has a NumPy form only when the vector is a column
(``y[:, None]``); otherwise there is none (None).
"""
from __future__ import annotations

import numpy as np

from playground.core.console import nodes as n
from playground.core.console.environment import name_in
from playground.core.console.r_index import numpy_index_text
from playground.core.console.unparse import (
    NUMPY_PRECEDENCE, NoShortForm, broadcast_agrees_with_recycling, literal, literal_vector, number,
)


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
            return "True" if node.value is True else "False" if node.value is False else number(node.value)
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
            a, b = literal(node.left), literal(node.right)
            if a is not None and b is not None:
                return f"np.arange({number(a)}, {number(b + (1 if b >= a else -1))}" + (", -1)" if b < a else ")")
            return f"np.arange({self.text(node.left)}, {self.text(node.right, 1)} + 1)"
        if node.op == "%*%":
            return f"np.dot({self.text(node.left)}, {self.text(node.right)})"
        op = "**" if node.op == "^" else node.op
        left, right = self.shape(node.left), self.shape(node.right)
        p = NUMPY_PRECEDENCE[op]
        a, b = self.text(node.left, p + (op == "**")), self.text(node.right, p, right=op != "**")
        if left is not None and right is not None and not broadcast_agrees_with_recycling(left, right):
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
        values = literal_vector(node)
        if values is None:
            raise NoShortForm("shape")
        return "(" + ", ".join(number(v) for v in values) + ("," if len(values) == 1 else "") + ")"

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
            values = literal_vector(node)
            if values is not None:
                return "np.array([" + ", ".join(number(v) for v in values) + "])"
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
            a, b, by = (literal(arg(k, key)) for k, key in enumerate(("from", "to", "by")))
            if None in (a, b) or (arg(2, "by") is not None and by is None) or "length.out" in named:
                raise NoShortForm("seq")
            by = by if by is not None else (1 if b >= a else -1)
            last = a + int((b - a) / by + 1e-10) * by
            whole = all(float(v).is_integer() for v in (a, by))
            stop = last + (1 if by > 0 else -1) if whole else last + by / 2
            return f"np.arange({number(a)}, {number(stop)}, {number(by)})" if by != 1 else \
                f"np.arange({number(a)}, {number(stop)})"
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
        byrow = name == "matrix" and literal(arg(3, "byrow")) is True
        data_shape = self.shape(data)
        single = literal(data)
        if single is not None or (isinstance(data, n.Call) and data.func == n.Name("rep")
                                  and literal(data.args[0].value) is not None):
            value = single if single is not None else literal(data.args[0].value)
            return f"np.zeros({dims})" if value == 0 else f"np.full({dims}, {number(value)})"
        if data_shape is not None and int(np.prod(data_shape)) == int(np.prod(shape)):
            order = "" if byrow else ', order="F"'
            return f"np.reshape({self.text(data)}, {dims}{order})"
        raise NoShortForm(name)

    def sweep(self, x, margin, stats, fun) -> str:
        x_shape, margins = self.shape(x), literal_vector(margin) if margin is not None else None
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

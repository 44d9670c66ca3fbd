"""NumPy expressions evaluated with NumPy's own meaning, but only through our own tables.

The parser lets through only the attributes on its whitelist (``numpy_parser``), and a call
reaches NumPy only through a branch of ``numpy_functions`` (``np.dot``, ``x.reshape``,
``np.random.uniform`` ...). Sizes are checked from shapes first (``limits``). Errors explain broadcasting and
``np.dot``'s rule in the chapter's words, and a note warns when uint8 arithmetic wraps around.
"""
from __future__ import annotations

from math import prod

import numpy as np

from playground.core.console import nodes as n
from playground.core.console import r_index
from playground.core.console.environment import Environment
from playground.core.console.errors import ConsoleError
from playground.core.console.limits import check_count, check_size
from playground.core.console.numpy_functions import (
    DTYPES, broadcast_error, call_function, call_method, call_random, tensor,
)
from playground.core.console.values import Notes, Plot


class NumpyEvaluator:
    """Evaluate NumPy syntax trees in an ``Environment``."""

    def __init__(self, env: Environment, notes: Notes | None = None):
        self.env = env
        self.notes = notes or Notes()
        self.info: dict[int, dict] = {}
        self.handlers = {n.Num: self.eval_Num, n.Str: self.eval_Str, n.Name: self.eval_Name,
                         n.Assign: self.eval_Assign, n.Unary: self.eval_Unary, n.BinOp: self.eval_BinOp,
                         n.Call: self.eval_Call, n.Index: self.eval_Index, n.Attr: self.eval_Attr,
                         n.Sequence: self.eval_Sequence}

    def evaluate(self, node: n.Node):
        method = self.handlers.get(type(node))
        if method is None:
            raise ConsoleError("NumPy: that cannot be evaluated here", "syntax", node.column)
        value = method(node)
        if isinstance(value, np.ndarray):
            self.info.setdefault(id(node), {})["shape"] = value.shape
        return value

    def eval_Num(self, node: n.Num):
        return np.asarray(node.value)

    def eval_Str(self, node: n.Str):
        return node.value

    def eval_Name(self, node: n.Name):
        if node.id == "None":
            return None
        if node.id in ("np", "plt"):
            raise ConsoleError(f"{node.id} is a module: use one of its functions, e.g. np.dot(x, y)", column=node.column)
        return self.env.get(node.id, "NumPy", node.column)

    def eval_Sequence(self, node: n.Sequence):
        items = [self.evaluate(item) for item in node.items]
        items = [item.item() if isinstance(item, np.ndarray) and item.ndim == 0 else item for item in items]
        return tuple(items) if node.brackets == "()" else list(items)

    def eval_Assign(self, node: n.Assign):
        value = self.evaluate(node.value)
        self.env.set(node.target.id, value)
        return value

    def eval_Unary(self, node: n.Unary):
        value = tensor(self.evaluate(node.operand))
        if value.dtype == np.bool_ and node.op == "-":
            raise ConsoleError("NumPy does not negate True/False values with -: use ~x (R's -TRUE is -1)")
        return -value if node.op == "-" else value

    def eval_BinOp(self, node: n.BinOp):
        a, b = tensor(self.evaluate(node.left), "The left operand"), tensor(self.evaluate(node.right), "The right")
        if node.op == "@":
            return self.dot(a, b, node)
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ConsoleError(broadcast_error(a.shape, b.shape, node.op)) from None
        functions = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide,
                     "//": np.floor_divide, "**": np.power}
        dtype = np.result_type(a, b) if node.op != "/" else np.result_type(a, b, 1.0)
        check_size(shape, dtype)
        if a.shape != b.shape and a.ndim and b.ndim:
            self.notes.add(f"Broadcasting: {a.shape} {node.op} {b.shape} -> {shape}. NumPy lines the shapes up from "
                           "the last axis and repeats the smaller tensor along the axes it lacks (section 2.3.2).")
        if node.op in "+-*" and a.dtype == np.uint8 and (b.dtype == np.uint8 or (b.ndim == 0 and b.dtype.kind in "iu")):
            self.notes.add("NumPy keeps uint8 here, so results past 255 wrap around (250 + 10 is 4); R's integers "
                           "do not. Use x.astype('int32') or divide by 255 first.")
        if node.op == "**" and a.dtype.kind in "iu" and b.dtype.kind in "iu" and b.size and b.min() < 0:
            raise ConsoleError("NumPy does not raise integers to negative integer powers: make one side a float, "
                               "e.g. x ** -1.0 (R's ^ always gives doubles)")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.asarray(functions[node.op](a, b))

    def dot(self, a: np.ndarray, b: np.ndarray, node: n.Node, name: str = "@") -> np.ndarray:
        from playground.core.console.translate import numpy_text

        if a.ndim == 0 or b.ndim == 0:
            check_size(np.broadcast_shapes(a.shape, b.shape), np.result_type(a, b))
            return np.asarray(a * b)
        inner_a = a.shape[-1]
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if inner_a != inner_b:
            x, y = numpy_text(node.left if isinstance(node, n.BinOp) else node.args[0].value), \
                numpy_text(node.right if isinstance(node, n.BinOp) else node.args[1].value)
            axis = "first" if b.ndim == 1 else "second-to-last" if b.ndim > 2 else "first"
            raise ConsoleError(
                f"shapes {a.shape} and {b.shape} not aligned: in np.dot({x}, {y}) the last axis of {x} must match "
                f"the {axis} axis of {y}, but they are {inner_a} and {inner_b}. (R: the columns of x must match "
                "the rows of y.)")
        if name == "dot" or a.ndim == 1 or b.ndim == 1:
            shape = a.shape[:-1] + (b.shape[:-2] + b.shape[-1:] if b.ndim > 1 else ())
        else:  # @ and np.matmul: a stack of matrices, the leading axes broadcast
            try:
                shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
            except ValueError:
                raise ConsoleError(f"@ multiplies stacks of matrices: the leading axes {a.shape[:-2]} and "
                                   f"{b.shape[:-2]} must broadcast, and they do not") from None
        check_size(shape, np.result_type(a, b))
        return np.asarray(np.dot(a, b) if name == "dot" else np.matmul(a, b))

    def eval_Attr(self, node: n.Attr):
        if node.value == n.Name("np"):
            if node.name == "newaxis":
                return None
            if node.name in DTYPES:
                return np.dtype(DTYPES[node.name])
            raise ConsoleError(f"np.{node.name} is a function: call it, e.g. np.{node.name}(x)", column=node.column)
        if node.value in (n.Attr(n.Name("plt"), "cm"),):
            return node.name
        value = self.evaluate(node.value)
        array = tensor(value, "What comes before the dot")
        properties = {"T": lambda: array.T, "shape": lambda: tuple(array.shape), "ndim": lambda: array.ndim,
                      "dtype": lambda: array.dtype, "size": lambda: array.size}
        if node.name in properties:
            return properties[node.name]()
        raise ConsoleError(f"x.{node.name} is a method: call it, e.g. x.{node.name}()", column=node.column)

    def eval_Call(self, node: n.Call):
        func = node.func
        if not isinstance(func, n.Attr):
            raise ConsoleError("NumPy: call np.<function> or a tensor's method, e.g. np.dot(x, y) or x.reshape(...)",
                               "name", node.column)
        args = [self.evaluate(arg.value) for arg in node.args if arg.name is None]
        kwargs = {arg.name: self.evaluate(arg.value) for arg in node.args if arg.name is not None}
        if func.value == n.Name("np"):
            return call_function(self, func.name, args, kwargs, node)
        if func.value == n.Attr(n.Name("np"), "random"):
            return call_random(self, func.name, args, kwargs)
        if func.value == n.Name("plt"):
            if func.name != "imshow":
                raise ConsoleError("This console draws with plt.imshow(digit, cmap=plt.cm.binary)")
            array = tensor(args[0] if args else None, "plt.imshow()'s image")
            if array.ndim != 2:
                raise ConsoleError(f"plt.imshow() draws one image (2D); this is {array.ndim}D {array.shape}")
            return Plot(array, 255.0 if array.dtype == np.uint8 else float(array.max()) if array.size else 1.0)
        target = tensor(self.evaluate(func.value), "What comes before the dot")
        return call_method(self, target, func.name, args, kwargs)

    def eval_Index(self, node: n.Index):
        array = tensor(self.evaluate(node.target), "What is indexed")
        index = tuple(self.subscript(item) for item in node.items)
        if sum(item is Ellipsis for item in index) > 1:
            raise ConsoleError("Use ... at most once inside one pair of brackets")
        explicit = sum(item is not Ellipsis and item is not None for item in index)
        if explicit > array.ndim:
            raise ConsoleError(f"Too many indices: the tensor is {array.ndim}D {array.shape} but {explicit} were given")
        full = r_index.expand_ellipsis(index, array.ndim + sum(item is None for item in index))
        axis = 0
        for item in full:
            if item is None:
                continue
            size = array.shape[axis]
            if isinstance(item, int) and not -size <= item < size:
                raise ConsoleError(f"Index {item} is out of range for axis {axis} (size {size}; valid 0..{size - 1} "
                                   f"or -{size}..-1)")
            if isinstance(item, np.ndarray) and item.dtype.kind in "iu" and item.size and (
                    item.max() >= size or item.min() < -size):
                raise ConsoleError(f"An index in the list is out of range for axis {axis} (size {size})")
            axis += 1
        arrays = [item for item in index if isinstance(item, np.ndarray)]
        if arrays:
            stand_in = np.broadcast_to(np.zeros((), np.uint8), array.shape)
            basic = tuple(0 if isinstance(item, np.ndarray) else item for item in index)
            try:
                count = prod(stand_in[basic].shape) * prod(np.broadcast_shapes(*(a.shape for a in arrays)))
            except (ValueError, IndexError) as exc:
                raise ConsoleError(f"NumPy could not index that way: {exc}") from None
            check_count(count, "That index")
        try:
            result = array[index]
        except (IndexError, ValueError) as exc:
            raise ConsoleError(f"NumPy could not index that way: {exc}") from None
        self.info.setdefault(id(node), {}).update(index=index, target_shape=array.shape)
        return np.asarray(result)

    def subscript(self, node: n.Node):
        if isinstance(node, n.EllipsisNode):
            return Ellipsis
        if isinstance(node, n.Slice):
            parts = [None if part is None else self.integer(self.evaluate(part)) for part in
                     (node.start, node.stop, node.step)]
            if parts[2] == 0:
                raise ConsoleError("A slice step cannot be zero (x_train[::0] goes nowhere)")
            return slice(*parts)
        value = self.evaluate(node)
        if value is None:
            return None
        array = tensor(value, "An index")
        if array.ndim == 0:
            return self.integer(array)
        if array.dtype.kind not in "biu":
            raise ConsoleError("Indices must be whole numbers")
        return array

    @staticmethod
    def integer(value) -> int:
        array = np.asarray(value)
        if array.ndim or array.dtype.kind not in "iu":
            raise ConsoleError(f"Indices must be whole numbers, got {array!s}")
        return int(array)

"""NumPy expressions evaluated with NumPy's own meaning, but only through the tables below.

A call reaches NumPy only if its name is in ``FUNCTIONS`` (``np.dot``), ``METHODS``
(``x.reshape``) or ``RANDOM`` (``np.random.uniform``); the parser already refused any other
attribute. Sizes are checked from shapes first (``limits``). Errors explain broadcasting and
``np.dot``'s rule in the chapter's words, and a note warns when uint8 arithmetic wraps around.
"""
from __future__ import annotations

from math import prod

import numpy as np

from playground.console import nodes as n
from playground.console import r_index
from playground.console.environment import Environment
from playground.console.errors import ConsoleError
from playground.console.limits import check_count, check_size
from playground.console.values import Notes, Plot

DTYPES = {"float32": np.float32, "float64": np.float64, "int32": np.int32, "uint8": np.uint8,
          "int64": np.int64, "bool": np.bool_, "float": np.float64, "int": np.int64}


def tensor(value, what: str = "This") -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (int, float, bool, np.generic)):
        return np.asarray(value)
    if isinstance(value, (tuple, list)):
        try:
            array = np.asarray(value)
        except ValueError:
            raise ConsoleError(f"{what}: the lists are ragged (rows of different lengths)") from None
        if array.dtype == object:
            raise ConsoleError(f"{what} is not a tensor of numbers")
        return array
    raise ConsoleError(f"{what} is not a tensor of numbers")


def shape_value(value, what: str = "shape") -> tuple[int, ...]:
    items = value if isinstance(value, (tuple, list)) else [value]
    shape = []
    for item in items:
        array = np.asarray(item)
        if array.ndim or array.dtype.kind not in "iu":
            raise ConsoleError(f"{what} takes whole numbers, e.g. (60000, 784)")
        shape.append(int(array))
    return tuple(shape)


def dtype_value(value) -> np.dtype:
    if isinstance(value, np.dtype):
        return value
    if isinstance(value, str) and value in DTYPES:
        return np.dtype(DTYPES[value])
    raise ConsoleError(f"Unknown dtype {value!r}: use one of {', '.join(DTYPES)}")


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
        from playground.console.translate import numpy_text

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


def broadcast_error(a: tuple, b: tuple, op: str) -> str:
    width = max(len(a), len(b))
    pa, pb = (1,) * (width - len(a)) + tuple(a), (1,) * (width - len(b)) + tuple(b)
    bad = next(k for k in range(width - 1, -1, -1) if pa[k] != pb[k] and 1 not in (pa[k], pb[k]))
    return (f"operands could not be broadcast together with shapes {a} and {b}: NumPy lines shapes up from the "
            f"last axis, and each pair must be equal or 1. Here {pa[bad]} and {pb[bad]} differ "
            f"(axis {bad - width} from the end). R would refuse too (non-conformable arrays).")


# ----- np.<function> --------------------------------------------------------------------------------
def _first(args, kwargs, name, what):
    if args:
        return args[0]
    if name in kwargs:
        return kwargs[name]
    raise ConsoleError(f"{what} is missing")


def call_function(ev: NumpyEvaluator, name: str, args: list, kwargs: dict, node: n.Call):
    dtype = dtype_value(kwargs["dtype"]) if "dtype" in kwargs else None
    if name in ("zeros", "ones", "full"):
        shape = shape_value(_first(args, kwargs, "shape", f"np.{name}()'s shape"))
        fill_value = 0 if name == "zeros" else 1 if name == "ones" else tensor(args[1] if len(args) > 1 else kwargs["fill_value"])
        check_size(shape, dtype or np.float64)
        return np.full(shape, fill_value, dtype=dtype or (np.float64 if name != "full" else None))
    if name == "array":
        value = tensor(_first(args, kwargs, "object", "np.array()'s values"))
        check_size(value.shape, dtype or value.dtype)
        return value.astype(dtype) if dtype else value.copy()
    if name == "arange":
        numbers = [tensor(a).item() for a in args]
        start, stop, step = (0, numbers[0], 1) if len(numbers) == 1 else (*numbers[:2], numbers[2] if len(numbers) > 2 else 1)
        if step == 0:
            raise ConsoleError("np.arange()'s step cannot be zero")
        check_count(max(0, int(np.ceil((stop - start) / step))), "np.arange()")
        return np.arange(start, stop, step, dtype=dtype)
    if name == "linspace":
        count = int(args[2]) if len(args) > 2 else int(kwargs.get("num", 50))
        check_count(count, "np.linspace()")
        return np.linspace(tensor(args[0]).item(), tensor(args[1]).item(), count)
    if name in ("dot", "matmul"):
        if len(args) != 2:
            raise ConsoleError(f"np.{name}(x, y) takes two tensors")
        return ev.dot(tensor(args[0]), tensor(args[1]), node, name)
    if name in ("maximum", "minimum"):
        if len(args) != 2:
            raise ConsoleError(f"np.{name}(x, y) compares two tensors element by element, e.g. np.maximum(x, 0.)")
        a, b = tensor(args[0]), tensor(args[1])
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ConsoleError(broadcast_error(a.shape, b.shape, name)) from None
        check_size(shape, np.result_type(a, b))
        return np.asarray((np.maximum if name == "maximum" else np.minimum)(a, b))
    target = tensor(_first(args, kwargs, "a", f"np.{name}()'s tensor"))
    if name == "reshape":
        return call_method(ev, target, "reshape", args[1:], kwargs)
    if name == "transpose":
        return call_method(ev, target, "transpose", args[1:], kwargs)
    if name in ("shape", "ndim", "size"):
        return {"shape": tuple(target.shape), "ndim": target.ndim, "size": target.size}[name]
    if name in ("max", "min", "sum", "mean", "argmax", "squeeze"):
        return call_method(ev, target, name, args[1:], kwargs)
    if name in ("exp", "sqrt", "abs", "round"):
        check_size(target.shape, np.float64)
        functions = {"exp": np.exp, "sqrt": np.sqrt, "abs": np.abs, "round": np.round}
        with np.errstate(invalid="ignore", over="ignore"):
            return np.asarray(functions[name](target, *[int(a) for a in args[1:]]))
    if name == "tile":
        reps = shape_value(args[1] if len(args) > 1 else kwargs["reps"], "reps")
        check_count(target.size * prod(reps), "np.tile()")
        return np.tile(target, reps)
    if name == "repeat":
        repeats = int(tensor(args[1] if len(args) > 1 else kwargs["repeats"]))
        check_count(target.size * max(repeats, 0), "np.repeat()")
        return np.repeat(target, repeats, axis=kwargs.get("axis"))
    if name == "expand_dims":
        return np.expand_dims(target, int(args[1] if len(args) > 1 else kwargs["axis"]))
    if name == "concatenate":
        parts = [tensor(p) for p in _first(args, kwargs, "arrays", "np.concatenate()'s tensors")]
        check_count(sum(p.size for p in parts), "np.concatenate()")
        try:
            return np.concatenate(parts, axis=int(kwargs.get("axis", args[1] if len(args) > 1 else 0)))
        except ValueError as exc:
            raise ConsoleError(f"np.concatenate: {exc}") from None
    raise ConsoleError(f"np.{name} is not something this console runs")


def call_method(ev: NumpyEvaluator, x: np.ndarray, name: str, args: list, kwargs: dict):
    if name == "reshape":
        shape = shape_value(args[0] if len(args) == 1 else tuple(args) if args else kwargs.get("shape", ()), "reshape")
        order = kwargs.get("order", "C")
        if order not in ("C", "F"):
            raise ConsoleError("reshape's order is 'C' (row-major, NumPy's default) or 'F' (column-major, R's)")
        known = prod(s for s in shape if s != -1)
        if shape.count(-1) > 1 or (shape.count(-1) == 0 and known != x.size) or (known and x.size % known):
            raise ConsoleError(f"cannot reshape a tensor of {x.size:,} elements into shape {shape}: reshaping keeps "
                               "every element, so the product of the new shape must be the same")
        return x.reshape(shape, order=order)
    if name in ("transpose",):
        axes = tuple(int(a) for a in args) if args else None
        return np.transpose(x, axes) if axes else x.T
    if name == "astype":
        dtype = dtype_value(args[0] if args else kwargs.get("dtype"))
        check_size(x.shape, dtype)
        return x.astype(dtype)
    if name in ("ravel", "flatten", "copy"):
        order = kwargs.get("order", args[0] if args else "C")
        check_size(x.shape, x.dtype)
        return x.ravel(order=order).copy() if name != "copy" else x.copy()
    if name == "squeeze":
        return x.squeeze()
    if name in ("max", "min", "sum", "mean", "argmax"):
        axis = kwargs.get("axis", args[0] if args else None)
        axis = None if axis is None else int(tensor(axis))
        if x.size == 0:
            raise ConsoleError(f"{name}() of an empty tensor has no value")
        if axis is not None and not -x.ndim <= axis < x.ndim:
            raise ConsoleError(f"axis {axis} is out of bounds for a {x.ndim}D tensor")
        functions = {"max": np.max, "min": np.min, "sum": np.sum, "mean": np.mean, "argmax": np.argmax}
        return np.asarray(functions[name](x, axis=axis))
    raise ConsoleError(f"x.{name}() is not something this console runs")


def call_random(ev: NumpyEvaluator, name: str, args: list, kwargs: dict):
    rng = ev.env.rng
    if name == "seed":
        ev.env.rng = np.random.default_rng(int(tensor(args[0])))
        return None
    size = kwargs.get("size", args[-1] if len(args) == (1 if name == "random" else 3) else None)
    shape = shape_value(size) if size is not None else ()
    check_size(shape, np.float64)
    numbers = [tensor(a).item() for a in args[: (0 if name == "random" else 2)]]
    if name == "uniform":
        return np.asarray(rng.uniform(*(numbers or [0.0, 1.0]), size=shape))
    if name == "normal":
        return np.asarray(rng.normal(*(numbers or [0.0, 1.0]), size=shape))
    if name == "randint":
        return np.asarray(rng.integers(*numbers, size=shape))
    return np.asarray(rng.random(size=shape))

"""The book's R, evaluated on NumPy arrays with R's meaning.

What R does differently from NumPy, and this module does as R does:

* indexing is 1-based and inclusive, empty positions take a whole dimension, and a dimension
  left with one element is dropped (``r_index``);
* ``dim(x) <- c(...)`` and ``array()``/``matrix()`` fill in column-major order;
* ``+ - * /`` *recycle* a shorter vector along the longer operand in column-major order,
  where NumPy would *broadcast* (the note says when the two differ);
* integers stay integers for ``+ - *`` (no uint8 wrap-around), ``/`` gives doubles;
* ``%*%`` needs the columns of x to match the rows of y.

A tensor keeps the same shape as in NumPy (R's ``dim(train_images)`` is 60000 28 28 and so is
``x_train.shape``); only the order in which elements are *filled* differs. The functions live
in ``r_functions``. For each node the evaluator records the value's shape and, for indexing,
NumPy's index (``info``), which ``translate`` uses to write the NumPy form.
"""
from __future__ import annotations

import numpy as np

from playground.core.console import nodes as n
from playground.core.console import r_index
from playground.core.console.environment import Environment
from playground.core.console.errors import ConsoleError
from playground.core.console.limits import check_count, check_size
from playground.core.console.values import Function, Notes

R_INTEGER = np.int32


def r_numeric(value) -> np.ndarray:
    """A tensor as R computes with it: integers (uint8 included) as R's 32-bit integers, logicals as integers."""
    array = as_array(value)
    if array.dtype.kind in "biu" and array.dtype != R_INTEGER:
        check_size(array.shape, R_INTEGER)
        return array.astype(R_INTEGER)
    if array.dtype.kind == "f" and array.dtype != np.float64:
        check_size(array.shape, np.float64)
        return array.astype(np.float64)
    return array


def as_array(value, what: str = "This") -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value if value.ndim else value.reshape(1)
    if value is None:
        raise ConsoleError(f"{what} is NULL: there is no tensor to compute with")
    if isinstance(value, str):
        raise ConsoleError(f"{what} is a character string ({value!r}), not a tensor of numbers")
    raise ConsoleError(f"{what} is not a tensor of numbers")


def is_whole(array: np.ndarray) -> bool:
    return array.dtype.kind in "biu" or bool(np.all(array == np.trunc(array)))


class REvaluator:
    """Evaluate R syntax trees in an ``Environment``; ``notes`` collects what is worth knowing."""

    def __init__(self, env: Environment, notes: Notes | None = None):
        from playground.core.console import r_functions

        self.env = env
        self.notes = notes or Notes()
        self.info: dict[int, dict] = {}
        self.functions = r_functions.FUNCTIONS
        self.handlers = {n.Num: self.eval_Num, n.Str: self.eval_Str, n.Name: self.eval_Name, n.Empty: self.eval_Empty,
                         n.Dollar: self.eval_Dollar, n.Assign: self.eval_Assign, n.Unary: self.eval_Unary,
                         n.BinOp: self.eval_BinOp, n.Call: self.eval_Call, n.Index: self.eval_Index}

    def evaluate(self, node: n.Node):
        method = self.handlers.get(type(node))  # our own node classes only
        if method is None:
            raise ConsoleError(f"R: this console cannot evaluate {type(node).__name__}", "syntax", node.column)
        value = method(node)
        if isinstance(value, np.ndarray):
            self.info.setdefault(id(node), {})["shape"] = value.shape
        return value

    # ----- atoms -------------------------------------------------------------------------------
    def eval_Num(self, node: n.Num):
        if isinstance(node.value, bool):
            return np.array([node.value])
        if isinstance(node.value, int):  # 5L
            return np.array([node.value], dtype=R_INTEGER)
        return np.array([node.value], dtype=np.float64)

    def eval_Str(self, node: n.Str):
        return node.value

    def eval_Name(self, node: n.Name):
        if node.id in self.env:
            return self.env.get(node.id, "R", node.column)
        if node.id in self.functions or node.id in ("+", "-", "*", "/"):
            return Function(node.id)
        if node.id == "NULL":
            return None
        if node.id == "mnist":  # the book's mnist <- dataset_mnist(), already there
            return self.functions["dataset_mnist"](self, node)
        return self.env.get(node.id, "R", node.column)  # raises: object not found

    def eval_Empty(self, node: n.Empty):
        raise ConsoleError("R syntax: an empty position only makes sense inside brackets, as in train_images[10:99,,]",
                           "syntax", node.column)

    def eval_Dollar(self, node: n.Dollar):
        value = self.evaluate(node.value)
        if not isinstance(value, dict):
            raise ConsoleError("$ picks a part of a list (mnist$train$x); this is not a list", column=node.column)
        if node.name not in value:
            raise ConsoleError(f"This list has no ${node.name}: its parts are {', '.join(value)}", column=node.column)
        return value[node.name]

    # ----- assignment ---------------------------------------------------------------------------
    def eval_Assign(self, node: n.Assign):
        value = self.evaluate(node.value)
        if isinstance(node.target, n.Name):
            self.env.set(node.target.id, value)
            return value
        name = node.target.args[0].value.id  # dim(x) <- c(...)
        old = as_array(self.env.get(name, "R", node.column), name)
        if value is None:  # dim(x) <- NULL: a plain vector, its elements in column-major order
            new = old.ravel(order="F")
            self.env.set(name, new)
            self.info.setdefault(id(node), {})["shape"] = new.shape
            return new
        dims = as_array(value, "The new dim")
        if not is_whole(dims) or np.any(dims < 0):
            raise ConsoleError("dim(x) <- c(...) takes whole numbers of zero or more")
        shape = tuple(int(d) for d in dims)
        if int(np.prod(shape)) != old.size:
            raise ConsoleError(f"dims [product {int(np.prod(shape)):,}] do not match the length of object "
                               f"[{old.size:,}]: dim(x) <- c({', '.join(map(str, shape))}) must keep all "
                               f"{old.size:,} elements of {name}")
        new = old.reshape(shape, order="F")
        self.env.set(name, new)
        self.notes.add("dim(x) <- fills the new shape in column-major order (the first dimension runs fastest), "
                       "as R stores arrays; array_reshape() fills row by row, as NumPy's reshape does.")
        self.info.setdefault(id(node), {})["shape"] = new.shape
        return new

    # ----- operators ----------------------------------------------------------------------------
    def eval_Unary(self, node: n.Unary):
        value = r_numeric(self.evaluate(node.operand))
        return -value if node.op == "-" else value

    def eval_BinOp(self, node: n.BinOp):
        if node.op == ":":
            return self.colon(self.evaluate(node.left), self.evaluate(node.right))
        left, right = self.evaluate(node.left), self.evaluate(node.right)
        if node.op == "%*%":
            return self.matrix_product(left, right, node)
        if node.op in ("+", "-", "*", "/", "^"):
            return self.arithmetic(node.op, left, right)
        raise ConsoleError(f"R's {node.op} is not one of the operators this console knows "
                           "(+ - * / ^ : %*%)", "name", node.op_column)

    def colon(self, left, right) -> np.ndarray:
        a, b = as_array(left, "The left of :"), as_array(right, "The right of :")
        if a.size != 1 or b.size != 1:
            raise ConsoleError("a:b takes one number on each side (10:99)")
        first, last = a[0].item(), b[0].item()
        count = int(abs(last - first)) + 1
        check_count(count, f"{first:g}:{last:g}")
        step = 1 if last >= first else -1
        values = first + step * np.arange(count)
        return values.astype(R_INTEGER) if float(first).is_integer() else values.astype(np.float64)

    def arithmetic(self, op: str, left, right) -> np.ndarray:
        a, b = as_array(left, "The left operand"), as_array(right, "The right operand")
        shape = self.recycled_shape(a, b, op)  # sizes are checked before anything is converted
        integer = a.dtype.kind in "biu" and b.dtype.kind in "biu" and op in "+-*"
        check_size(shape, R_INTEGER if integer else np.float64)
        a, b = self.recycle(r_numeric(a), shape), self.recycle(r_numeric(b), shape)
        if op == "^":
            return np.power(a.astype(np.float64), b)
        if op == "/":
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.true_divide(a, b, dtype=np.float64)
        if integer:
            wide = {"+": np.add, "-": np.subtract, "*": np.multiply}[op](a.astype(np.int64), b)
            if wide.size and (wide.max() > np.iinfo(R_INTEGER).max or wide.min() < -np.iinfo(R_INTEGER).max):
                self.notes.add("R: some results are too big for R's 32-bit integers, which would give NA; "
                               "here they are doubles.")
                return wide.astype(np.float64)
            return wide.astype(R_INTEGER)
        return {"+": np.add, "-": np.subtract, "*": np.multiply}[op](a, b, dtype=np.float64)

    def recycled_shape(self, a: np.ndarray, b: np.ndarray, op: str) -> tuple[int, ...]:
        """R's rule for the shape of ``a op b``: arrays must agree exactly; a vector is recycled."""
        if a.ndim > 1 and b.ndim > 1:
            if a.shape != b.shape:
                raise ConsoleError(
                    f"non-conformable arrays: {_dims(a)} {op} {_dims(b)}. Element-wise operations in R need two "
                    "tensors of the same dim (or a vector R can recycle). To add a vector to every row of a matrix, "
                    "as NumPy broadcasting would, use sweep(x, 2, y, `+`).")
            return a.shape
        array, vector = (a, b) if a.ndim > 1 else (b, a) if b.ndim > 1 else (None, None)
        if array is None:
            long, short = (a, b) if a.size >= b.size else (b, a)
            if short.size and long.size % short.size:
                self.notes.add(f"R: longer object length ({long.size}) is not a multiple of shorter object length "
                               f"({short.size}); R recycles the shorter one anyway and warns.")
            return long.shape if short.size else (0,)
        if vector.size > array.size:
            raise ConsoleError(f"dims [product {array.size:,}] do not match the length of object [{vector.size:,}]: "
                               "R recycles a vector along a tensor only when the vector is not longer")
        if vector.size not in (0, 1) and array.size % vector.size:
            self.notes.add(f"R: the tensor's length ({array.size:,}) is not a multiple of the vector's "
                           f"({vector.size:,}); R recycles it anyway and warns.")
        if array.ndim == 2 and vector.size > 1:
            rows, cols = array.shape
            if vector.size == rows:
                self.notes.add(f"R recycles the {rows} values down each column (column-major): row i gets "
                               f"element i, which in NumPy is x + y[:, None]. NumPy broadcasting lines y up "
                               "with the last axis instead.")
            elif vector.size == cols:
                self.notes.add(f"Careful: R recycles a vector down the columns (column-major), so these {cols} values "
                               f"do not land one per column as NumPy broadcasting would put them. To add y to every "
                               "row, as the book's dense layer adds its bias, use sweep(x, 2, y, `+`).")
        return array.shape

    @staticmethod
    def recycle(value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        if value.shape == shape:
            return value
        if value.size == 1:
            return value.reshape(())
        if len(shape) >= 1 and value.size == shape[0]:  # down the first dimension: a view
            return value.reshape((-1,) + (1,) * (len(shape) - 1))
        return np.resize(value.reshape(-1), int(np.prod(shape))).reshape(shape, order="F")

    def matrix_product(self, left, right, node: n.BinOp) -> np.ndarray:
        from playground.core.console.translate import r_text

        x, y = as_array(left, "x"), as_array(right, "y")
        if x.ndim > 2 or y.ndim > 2:
            raise ConsoleError(f"%*% multiplies matrices (2D tensors): {r_text(node.left)} is {_dims(x)} and "
                               f"{r_text(node.right)} is {_dims(y)}. Reshape first, e.g. "
                               "array_reshape(train_images, c(60000, 28 * 28)).")
        if x.ndim == 1 and y.ndim == 1:  # two vectors: their dot product, a 1 x 1 matrix
            x, y = (x.reshape(1, -1), y.reshape(-1, 1)) if x.size == y.size else (x.reshape(-1, 1), y.reshape(1, -1))
        elif x.ndim == 1:
            x = x.reshape(1, -1) if x.size == y.shape[0] else x.reshape(-1, 1)
        elif y.ndim == 1:
            y = y.reshape(-1, 1) if y.size == x.shape[1] else y.reshape(1, -1)
        if x.shape[1] != y.shape[0]:
            short = 24  # longer operands get a letter, and are spelled out once
            a = r_text(node.left) if len(r_text(node.left)) <= short else "x"
            b = r_text(node.right) if len(r_text(node.right)) <= short else "y" if a != "y" else "z"
            spelled = [f"{label} is {r_text(side)}" for label, side in ((a, node.left), (b, node.right))
                       if label != r_text(side)]
            where = f" ({', '.join(spelled)})" if spelled else ""
            raise ConsoleError(
                f"non-conformable arguments: in {a} %*% {b} the columns of {a} must match the rows of {b}{where}. "
                f"{a} is {x.shape[0]} x {x.shape[1]} and {b} is {y.shape[0]} x {y.shape[1]}, so "
                f"dim({a})[2] = {x.shape[1]} must equal dim({b})[1] = {y.shape[0]}. "
                f"(If they did, the result would be {x.shape[0]} x {y.shape[1]}.)", column=node.op_column)
        for operand in (x, y):
            if operand.dtype != np.float64:
                check_size(operand.shape, np.float64)
        check_size((x.shape[0], y.shape[1]), np.float64)
        return np.dot(x.astype(np.float64), y.astype(np.float64))

    # ----- calls and indexing -------------------------------------------------------------------
    def eval_Call(self, node: n.Call):
        if not isinstance(node.func, n.Name):
            raise ConsoleError("R: call a function by its name, e.g. dim(x)", column=node.column)
        name = node.func.id
        function = self.functions.get(name)
        if function is None:
            if name in self.env and isinstance(self.env.get(name, "R"), Function):
                function = self.functions.get(self.env.get(name, "R").name)
        if function is None:
            known = ", ".join(sorted(k for k in self.functions if k[0].isalpha()))
            raise ConsoleError(f'could not find function "{name}". This console knows: {known}', "name", node.column)
        return function(self, node)

    def eval_Index(self, node: n.Index):
        value = self.evaluate(node.target)
        array = as_array(value, "What is indexed")
        positions = []
        for item in node.items:
            if isinstance(item, n.Empty):
                positions.append(None)
            else:
                positions.append(as_array(self.evaluate(item), "An index"))
        label = node.target.id if isinstance(node.target, n.Name) else "the tensor"
        if isinstance(node.target, n.Name):
            label = node.target.id
        result, index, linear = r_index.subset(array, positions, label, label)
        self.info.setdefault(id(node), {}).update(index=index, linear=linear, target_shape=array.shape)
        if linear and array.ndim > 1:
            self.notes.add("One index on a tensor of several dimensions counts its elements in R's column-major "
                           f"order (the first dimension runs fastest); for whole digits write {label}[10:99,,].")
        return np.asarray(result) if np.ndim(result) else np.asarray(result).reshape(1)


def _dims(array: np.ndarray) -> str:
    return " x ".join(str(s) for s in array.shape) if array.ndim > 1 else f"a vector of length {array.size}"

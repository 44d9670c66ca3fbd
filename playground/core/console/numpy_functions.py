"""What ``np.<function>``, ``x.<method>()`` and ``np.random.<function>`` do in the console: each
name the parser lets through has its branch here, with the size of its result checked first.

Also the helpers both NumPy modules use: values to tensors, shapes and dtypes, and the
broadcasting error in the chapter's words.
"""
from __future__ import annotations

from math import prod

import numpy as np

from playground.core.console import nodes as n
from playground.core.console.errors import ConsoleError
from playground.core.console.limits import check_count, check_size

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


def call_function(ev, name: str, args: list, kwargs: dict, node: n.Call):
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


def call_method(ev, x: np.ndarray, name: str, args: list, kwargs: dict):
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


def call_random(ev, name: str, args: list, kwargs: dict):
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

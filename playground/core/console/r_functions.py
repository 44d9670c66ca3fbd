"""The R functions the console knows, each as the book uses it (section 2.2 and 2.3).

Each takes the evaluator and the call's node, and binds the arguments R's way: by position,
or by name (``dim = c(2, 3)``, ``by = 2``, ``max = 255``). Sizes are checked before anything
big is built. ``FUNCTIONS`` is the whole list: a name not in it is "could not find function".
"""
from __future__ import annotations

from math import prod

import numpy as np

from playground.core.console import nodes as n
from playground.core.console.errors import ConsoleError
from playground.core.console.limits import check_count, check_size
from playground.core.console.r_eval import R_INTEGER, as_array, is_whole, r_numeric
from playground.core.console.values import Function, Invisible, Plot, Printed, Raster, r_type
from playground.text import tensor_text

MISSING = object()


def bind(ev, node: n.Call, params: tuple[str, ...], required: int = 1, lazy: tuple[str, ...] = ()) -> dict:
    """R's argument matching: names first (exact, then unique prefix), then positions in order."""
    name = node.func.id
    bound, positional = {}, []
    for arg in node.args:
        if arg.name is None:
            positional.append(arg)
            continue
        matches = [p for p in params if p == arg.name] or [p for p in params if p.startswith(arg.name)]
        if len(matches) != 1 or matches[0] in bound:
            raise ConsoleError(f"{name}() has no argument called {arg.name} (it takes {', '.join(params)})",
                               column=arg.column)
        bound[matches[0]] = arg.value
    free = [p for p in params if p not in bound and p != "..."]
    if len(positional) > len(free):
        raise ConsoleError(f"{name}() takes at most {len(params)} arguments ({', '.join(params)})", column=node.column)
    bound.update(zip(free, (arg.value for arg in positional)))
    missing = [p for p in params[:required] if p not in bound]
    if missing:
        raise ConsoleError(f"{name}() needs {missing[0]}: {name}({', '.join(params[:max(required, 1)])}, ...)",
                           column=node.column)
    return {p: (v if p in lazy else ev.evaluate(v)) for p, v in bound.items()}


def values_of(ev, node: n.Call) -> list:
    """The arguments of ``c(...)``, ``pmax(...)``, ``max(...)``: all positional."""
    return [ev.evaluate(arg.value) for arg in node.args if arg.name != "na.rm"]


def whole(value, what: str) -> int:
    array = as_array(value, what)
    if array.size != 1 or not is_whole(array):
        raise ConsoleError(f"{what} must be one whole number, got {tensor_text.first_values(array, 4)}")
    return int(array.reshape(-1)[0])


def dims_of(value, what: str = "dim") -> tuple[int, ...]:
    array = as_array(value, what)
    if not is_whole(array) or np.any(array < 0):
        raise ConsoleError(f"{what} takes whole numbers of zero or more, e.g. c(2, 3)")
    return tuple(int(d) for d in array.reshape(-1))


def column_major(array: np.ndarray) -> np.ndarray:
    """The elements in R's order: the first dimension runs fastest."""
    return array.ravel(order="F")


def fill(data: np.ndarray, shape: tuple[int, ...], byrow: bool = False) -> np.ndarray:
    """``data`` recycled to fill ``shape``, column by column as R fills arrays (row by row if ``byrow``)."""
    count = prod(shape)
    check_size(shape, data.dtype)
    flat = column_major(data)
    if flat.size == 0:
        raise ConsoleError("There is no data to fill the tensor with")
    values = np.resize(flat, count) if flat.size != count else flat
    return values.reshape(shape) if byrow else values.reshape(shape, order="F")


# ----- building tensors (2.2.1-2.2.4) -------------------------------------------------------------
def r_c(ev, node):
    parts = [as_array(v, "c() argument") for v in values_of(ev, node) if v is not None]
    if not parts:
        return None
    check_count(sum(p.size for p in parts), "c()")
    kinds = {p.dtype.kind for p in parts}
    dtype = np.float64 if "f" in kinds else R_INTEGER if kinds & set("iu") else np.bool_
    if all(p.dtype == parts[0].dtype for p in parts) and parts[0].dtype == np.uint8:
        dtype = np.uint8
    return np.concatenate([column_major(p).astype(dtype) for p in parts])


def r_array(ev, node):
    args = bind(ev, node, ("data", "dim", "dimnames"), required=0)
    data = as_array(args.get("data", np.array([np.nan])), "data")
    shape = dims_of(args["dim"]) if "dim" in args else (data.size,)
    return fill(data, shape)


def r_matrix(ev, node):
    args = bind(ev, node, ("data", "nrow", "ncol", "byrow"), required=0)
    data = as_array(args.get("data", np.array([np.nan])), "data")
    rows = whole(args["nrow"], "nrow") if "nrow" in args else None
    cols = whole(args["ncol"], "ncol") if "ncol" in args else None
    if rows is None and cols is None:
        rows, cols = data.size, 1
    elif rows is None:
        rows = -(-data.size // max(cols, 1))
    elif cols is None:
        cols = -(-data.size // max(rows, 1))
    byrow = bool(as_array(args.get("byrow", np.array([False]))).reshape(-1)[0])
    return fill(data, (rows, cols), byrow)


def r_rep(ev, node):
    args = bind(ev, node, ("x", "times", "each", "length.out"))
    x = as_array(args["x"], "x")
    times = whole(args.get("times", np.array([1])), "times")
    each = whole(args.get("each", np.array([1])), "each")
    count = x.size * each * times
    if "length.out" in args:
        count = whole(args["length.out"], "length.out")
    check_count(count, "rep()")
    values = np.tile(np.repeat(column_major(x), each), times)
    return np.resize(values, count) if values.size != count else values


def r_seq(ev, node):
    args = bind(ev, node, ("from", "to", "by", "length.out"), required=0)
    if set(args) == {"from"}:  # seq(10) is 1:10
        return ev.colon(np.array([1]), as_array(args["from"], "from").reshape(-1)[:1])
    first = as_array(args.get("from", np.array([1])), "from").reshape(-1)[0].item()
    if "length.out" in args:
        count = whole(args["length.out"], "length.out")
        check_count(count, "seq()")
        if "to" not in args:
            by = as_array(args.get("by", np.array([1]))).reshape(-1)[0].item()
            return first + by * np.arange(count, dtype=np.float64)
        return np.linspace(first, as_array(args["to"]).reshape(-1)[0].item(), count)
    last = as_array(args.get("to", np.array([1])), "to").reshape(-1)[0].item()
    if "by" not in args:
        return ev.colon(np.array([first]), np.array([last]))
    by = as_array(args["by"], "by").reshape(-1)[0].item()
    if by == 0 or (last - first) * by < 0:
        raise ConsoleError(f"seq({first:g}, {last:g}, by = {by:g}) goes nowhere: the step must lead from "
                           f"{first:g} to {last:g}")
    count = int(np.floor((last - first) / by + 1e-10)) + 1
    check_count(count, "seq()")
    return (first + by * np.arange(count)).astype(np.float64)  # R's seq(1, 9, by = 2) is a double


# ----- looking at tensors (2.2.5) -----------------------------------------------------------------
def r_dim(ev, node):
    value = ev.evaluate(_one(node))
    if not isinstance(value, np.ndarray):
        return None
    return np.array(value.shape if value.ndim else (1,), dtype=R_INTEGER)


def r_length(ev, node):
    value = ev.evaluate(_one(node))
    size = len(value) if isinstance(value, (dict, str)) else 0 if value is None else as_array(value).size
    return np.array([1 if isinstance(value, str) else size], dtype=R_INTEGER)


def r_str(ev, node):
    value = ev.evaluate(_one(node))
    if isinstance(value, np.ndarray):
        return Printed(" " + tensor_text.r_str(value))
    if isinstance(value, str):
        return Printed(f' chr "{value}"')
    if isinstance(value, dict):
        return Printed(f"List of {len(value)}\n" + "\n".join(f" $ {k}: List of {len(v)}" if isinstance(v, dict)
                                                              else f" $ {k}:{tensor_text.r_str(v)}" for k, v in value.items()))
    return Printed(" NULL")


def r_typeof(ev, node):
    return r_type(ev.evaluate(_one(node)))


def r_nrow(ev, node):
    array = as_array(ev.evaluate(_one(node)))
    return np.array([array.shape[0]], R_INTEGER) if array.ndim > 1 else None


def r_ncol(ev, node):
    array = as_array(ev.evaluate(_one(node)))
    return np.array([array.shape[1]], R_INTEGER) if array.ndim > 1 else None


def r_identity(ev, node):
    return ev.evaluate(_one(node))


def _one(node: n.Call) -> n.Node:
    if len(node.args) != 1:
        raise ConsoleError(f"{node.func.id}() takes one argument, e.g. {node.func.id}(train_images)", column=node.column)
    return node.args[0].value


# ----- tensor operations (2.3) ----------------------------------------------------------------------
def r_t(ev, node):
    array = as_array(ev.evaluate(_one(node)), "t()'s argument")
    if array.ndim == 1:
        return array.reshape(1, -1)
    if array.ndim != 2:
        raise ConsoleError(f"t() transposes a matrix (2D tensor); this one is {array.ndim}D {array.shape}. "
                           "For more dimensions R has aperm().")
    return array.T


def _elementwise(name: str, numpy_function):
    def function(ev, node):
        values = [as_array(v, f"{name}()'s argument") for v in values_of(ev, node)]
        if len(values) < 2:
            raise ConsoleError(f"{name}() compares tensors element by element: {name}(x, 0)")
        result = values[0]
        for other in values[1:]:
            shape = ev.recycled_shape(result, other, name)
            check_size(shape, np.float64 if "f" in (result.dtype.kind, other.dtype.kind) else R_INTEGER)
            result = numpy_function(ev.recycle(r_numeric(result), shape), ev.recycle(r_numeric(other), shape))
        return result
    return function


def r_sweep(ev, node):
    """``sweep(x, MARGIN, STATS, FUN)``: STATS spans the dimensions in MARGIN and is applied across the others."""
    args = bind(ev, node, ("x", "MARGIN", "STATS", "FUN"), required=3)
    x, stats = r_numeric(args["x"]), r_numeric(args["STATS"])
    margin = [d - 1 for d in dims_of(args["MARGIN"], "MARGIN")]
    if any(not 0 <= d < x.ndim for d in margin):
        raise ConsoleError(f"MARGIN names dimensions of x, which has {x.ndim}: 1..{x.ndim}")
    wanted = tuple(x.shape[d] for d in margin)
    if stats.size != prod(wanted):
        raise ConsoleError(f"STATS must have the size of x's dimensions {', '.join(str(d + 1) for d in margin)} "
                           f"({' x '.join(map(str, wanted))} = {prod(wanted)} values), got {stats.size}")
    shaped = column_major(stats).reshape(wanted, order="F")
    order = np.argsort(margin)
    shaped = shaped.transpose(order) if len(margin) > 1 else shaped
    expand = [x.shape[d] if d in margin else 1 for d in range(x.ndim)]
    stats_full = shaped.reshape(expand)
    fun = args.get("FUN", "-")
    fun = fun.name if isinstance(fun, Function) else fun
    operations = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide,
                  "pmax": np.maximum, "pmin": np.minimum}
    if fun not in operations:
        raise ConsoleError(f"sweep()'s FUN may be `+`, `-`, `*`, `/`, pmax or pmin, not {fun!r}")
    check_size(x.shape, np.float64)
    result = operations[fun](x, stats_full)
    return result.astype(np.float64) if fun == "/" else result


def r_array_reshape(ev, node):
    """keras's ``array_reshape(x, dim)``: row-major, as NumPy reshapes (the order R's ``dim<-`` does not use)."""
    args = bind(ev, node, ("x", "dim", "order"), required=2)
    x = as_array(args["x"], "x")
    shape = dims_of(args["dim"])
    order = args.get("order", "C")
    if order not in ("C", "F"):
        raise ConsoleError('array_reshape()\'s order is "C" (row-major, the default) or "F" (column-major)')
    if prod(shape) != x.size:
        raise ConsoleError(f"array_reshape() must keep every element: {x.size:,} elements cannot fill "
                           f"{' x '.join(map(str, shape))} = {prod(shape):,}")
    return x.reshape(shape, order=order)


def _reduction(name: str, numpy_function, integer_result: bool):
    def function(ev, node):
        arrays = [as_array(v) for v in values_of(ev, node)]
        if not arrays:
            raise ConsoleError(f"{name}() needs a tensor: {name}(train_images)")
        values = [numpy_function(r_numeric(a)) if a.size else np.nan for a in arrays]
        total = numpy_function(np.array(values))
        integer = integer_result and all(a.dtype.kind in "biu" for a in arrays)
        if integer and abs(total) <= np.iinfo(R_INTEGER).max:
            return np.array([total], dtype=R_INTEGER)
        return np.array([total], dtype=np.float64)
    return function


def r_round(ev, node):
    args = bind(ev, node, ("x", "digits"))
    return np.round(r_numeric(args["x"]).astype(np.float64), whole(args.get("digits", np.array([0])), "digits"))


def _math(numpy_function):
    def function(ev, node):
        array = r_numeric(ev.evaluate(_one(node)))
        check_size(array.shape, np.float64)
        return numpy_function(array.astype(np.float64))
    return function


def r_runif(ev, node):
    args = bind(ev, node, ("n", "min", "max"))
    count = whole(args["n"], "n")
    check_count(count, "runif()")
    low, high = (as_array(args.get(k, np.array([d]))).reshape(-1)[0] for k, d in (("min", 0.0), ("max", 1.0)))
    return ev.env.rng.uniform(low, high, count)


def r_rnorm(ev, node):
    args = bind(ev, node, ("n", "mean", "sd"))
    count = whole(args["n"], "n")
    check_count(count, "rnorm()")
    mean, sd = (as_array(args.get(k, np.array([d]))).reshape(-1)[0] for k, d in (("mean", 0.0), ("sd", 1.0)))
    return ev.env.rng.normal(mean, sd, count)


def r_as_integer(ev, node):
    array = as_array(ev.evaluate(_one(node)))
    check_size(array.shape, R_INTEGER)
    return np.trunc(array).astype(R_INTEGER)


def r_as_numeric(ev, node):
    array = as_array(ev.evaluate(_one(node)))
    check_size(array.shape, np.float64)
    return array.astype(np.float64).reshape(-1, order="F")


# ----- showing a digit (2.2.5) ----------------------------------------------------------------------
def r_as_raster(ev, node):
    args = bind(ev, node, ("x", "max"))
    array = as_array(args["x"], "as.raster()'s x")
    if array.ndim != 2:
        raise ConsoleError(f"as.raster() draws a matrix (one digit is 28 x 28); this is {array.ndim}D {array.shape}. "
                           "Pick one digit first: digit <- train_images[5,,]")
    return Raster(array, float(as_array(args.get("max", np.array([1.0]))).reshape(-1)[0]))


def r_plot(ev, node):
    value = ev.evaluate(_one(node))
    if isinstance(value, Raster):
        return Plot(value.array, value.max)
    array = as_array(value, "plot()'s argument")
    if array.ndim == 2:
        return Plot(array, float(array.max()) if array.size else 1.0)
    raise ConsoleError("This console plots images: plot(as.raster(digit, max = 255))")


def r_library(ev, node):
    return Invisible("The console has keras's tensors built in: nothing to load.")


def r_dataset_mnist(ev, node):
    t = ev.env
    def part(split):
        return {"x": t.get(f"x_{split}", "NumPy"), "y": t.get(f"y_{split}", "NumPy")}
    return {"train": part("train"), "test": part("test")}


def r_rm(ev, node):
    for arg in node.args:
        if not isinstance(arg.value, n.Name):
            raise ConsoleError("rm() takes variable names: rm(x)")
        ev.env.remove(arg.value.id)
    return Invisible()


FUNCTIONS = {
    "c": r_c, "array": r_array, "matrix": r_matrix, "rep": r_rep, "seq": r_seq,
    "dim": r_dim, "length": r_length, "str": r_str, "typeof": r_typeof, "nrow": r_nrow, "ncol": r_ncol,
    "print": r_identity, "as.array": r_identity, "as.integer": r_as_integer, "as.numeric": r_as_numeric,
    "as.double": r_as_numeric, "t": r_t, "pmax": _elementwise("pmax", np.maximum),
    "pmin": _elementwise("pmin", np.minimum), "sweep": r_sweep, "array_reshape": r_array_reshape,
    "max": _reduction("max", np.max, True), "min": _reduction("min", np.min, True),
    "sum": _reduction("sum", np.sum, True), "mean": _reduction("mean", np.mean, False),
    "round": r_round, "exp": _math(np.exp), "sqrt": _math(np.sqrt), "abs": _math(np.abs),
    "runif": r_runif, "rnorm": r_rnorm, "as.raster": r_as_raster, "plot": r_plot,
    "library": r_library, "dataset_mnist": r_dataset_mnist, "rm": r_rm,
}

"""The Network panel's arithmetic and text, without Qt: reading the table, ``summary()``, R code.

Chapter 2's network is ``layer_dense(units = 512, activation = "relu", input_shape = c(28 * 28))``
followed by ``layer_dense(units = 10, activation = "softmax")``: 407,050 parameters, which
``layer_summary`` computes as ``model.summary()`` prints it (a Dense layer holds
``inputs x units`` weights plus ``units`` biases); ``r_code`` writes the design the way the
book builds it in R.
"""
from __future__ import annotations

import math

from playground.number_text import number_text, parse_number
from playground.specs import ACTIVATIONS, MAX_UNITS, LayerSpec

FIX_FIRST = "# Fix the layers marked red first."


def parse_units(text: str):
    """'512' -> 512; '1,024' -> 1024; '1e3' -> 1000; '12.5' -> 12.5 and 'abc' -> 'abc' (kept, so state reports them)."""
    text = text.strip()
    if parse_number(text, whole=True) is not None:  # thousands separated as the app writes counts
        return parse_number(text, whole=True)
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def parse_dropout(text: str):
    """'0.5' -> 0.5; '0,5' -> 0.5 (a decimal comma, as in every decimal field); '' -> 0.0; 'x' -> 'x'
    (kept as typed, so every message quotes what was typed)."""
    number = parse_number(text.strip() or "0")
    return text.strip() if number is None else number


def units_valid(units) -> bool:
    return isinstance(units, int) and not isinstance(units, bool) and 1 <= units <= MAX_UNITS


def dropout_valid(rate) -> bool:
    return isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0.0 <= rate < 1.0


def layer_valid(spec: LayerSpec) -> bool:
    """Every cell of this hidden layer holds a value the engine can build."""
    return units_valid(spec.units) and spec.activation in ACTIVATIONS and dropout_valid(spec.dropout)


def byte_size(n_bytes: float) -> str:
    """Bytes in the unit that reads best, two significant digits: 850 bytes, 31 KB, 1.6 MB, 80 MB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n_bytes >= scale:
            value = n_bytes / scale
            return f"{value:.1f} {unit}" if value < 9.95 else f"{value:,.0f} {unit}"
    return f"{n_bytes:,.0f} bytes"


def layer_summary(layers, input_shape=(28, 28), classes: int = 10) -> list[tuple[str, tuple, int | None]]:
    """``model.summary()`` by arithmetic: (class name, output shape, params) for every engine layer.

    Flatten has no parameters; Dense(units) after n inputs has n * units + units; Dropout has
    none. Once a layer's units are invalid the following counts are unknown (None).
    """
    width = math.prod(int(side) for side in input_shape)
    rows = [("Flatten", (None, width), 0)]
    known = True
    for spec in list(layers) + [LayerSpec(classes, "softmax", 0.0)]:
        ok = known and units_valid(spec.units)
        rows.append(("Dense", (None, spec.units), width * spec.units + spec.units if ok else None))
        known, width = ok, spec.units if ok else width
        if isinstance(spec.dropout, (int, float)) and spec.dropout > 0:
            rows.append(("Dropout", (None, spec.units), 0))
    return rows


def r_code(layers, input_shape=(28, 28), classes: int = 10, width: int | None = None) -> str:
    """The same network written the way the book builds it in R (``FIX_FIRST`` while a cell is invalid).

    Only valid designs are written: an invalid cell (units ``abc``, dropout ``1``) never reaches
    code the learner might copy. ``width`` (characters) breaks longer calls after a comma, the
    arguments lined up under the first one, as R code is usually wrapped.
    """
    if not all(layer_valid(spec) for spec in layers):
        return FIX_FIRST
    dims = " * ".join(str(side) for side in input_shape)
    lines = ["model <- keras_model_sequential() %>%"]
    for i, spec in enumerate(list(layers) + [LayerSpec(classes, "softmax", 0.0)]):
        shape = f", input_shape = c({dims})" if i == 0 else ""
        lines.append(f'  layer_dense(units = {spec.units}, activation = "{spec.activation}"{shape}) %>%')
        if isinstance(spec.dropout, (int, float)) and spec.dropout > 0:
            lines.append(f"  layer_dropout(rate = {number_text(spec.dropout)}) %>%")
    lines[-1] = lines[-1].removesuffix(" %>%")
    return "\n".join(wrapped for line in lines for wrapped in wrap_call(line, width))


def wrap_call(line: str, width: int | None) -> list[str]:
    """``line`` cut after the commas of its call so that each piece fits ``width`` where it can."""
    if width is None or len(line) <= width or "(" not in line:
        return [line]
    indent = " " * (line.index("(") + 1)
    pieces, rest = [], line
    while len(rest) > width:
        cut = rest.rfind(", ", len(indent) + 1, width)  # the last argument boundary that fits,
        if cut < 0:
            cut = rest.find(", ", len(indent) + 1)  # else the first one (one long argument per line)
        if cut < 0:
            break
        pieces.append(rest[: cut + 1])
        rest = indent + rest[cut + 2:]
    return pieces + [rest]

"""The Network panel's text, without Qt: reading what is typed in the table, writing values back.

Chapter 2's network is ``layer_dense(units = 512, activation = "relu", input_shape = c(28 * 28))``
followed by ``layer_dense(units = 10, activation = "softmax")``: 407,050 parameters, which
``layer_summary`` gives as ``model.summary()`` prints them (asked of the engine, through
``playground.core.design``); ``r_code`` writes the design the way the book builds it in R
(``playground.text.keras_code``). Cells read numbers with the app's rules (``number_text``): ``1,024``
units, a decimal comma in a rate, ``3x3`` or ``3`` for a 3 x 3 kernel.
"""
from __future__ import annotations

import re

from playground.core.design import PAIR_SETTINGS, summarise
from playground.core.specs import ACTIVATIONS, MAX_UNITS, LayerSpec
from playground.text.keras_code import FIX_FIRST, python_code, r_code, wrap_call  # noqa: F401 (re-exported)
from playground.text.number_text import number_text, parse_number


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
    """``model.summary()`` for the design: (class name, output shape, params) for every engine
    layer, the input's Flatten and each Dropout included, as the engine plans them."""
    return list(summarise(layers, input_shape, classes).layers)


_PAIR = re.compile(r"\s*(?:c?\(\s*)?(\d+)\s*(?:(?:[x×*,]|\s)\s*(\d+))?\s*\)?\s*")


def parse_pair(text: str, empty=None):
    """A window or stride as typed: '3' -> (3, 3); '3x3', '3 x 3', '(3, 3)', 'c(3, 3)' -> (3, 3);
    '2x1' -> (2, 1); '' -> ``empty`` (the setting's default); anything else is kept as typed."""
    if not text.strip():
        return empty
    match = _PAIR.fullmatch(text)
    if not match:
        return text.strip()
    first = int(match[1])
    return (first, int(match[2]) if match[2] else first)


def pair_text(value) -> str:
    """(3, 3) -> '3x3'; None -> '' (pooling's strides: the pool size); a typo as it was typed."""
    if value is None:
        return ""
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return "x".join(str(v) for v in value)
    return str(value)


def parse_setting(name: str, text: str, default=None):
    """What a cell of setting ``name`` holds once ``text`` is typed in it (kept as typed when
    it is not a value: the message quotes it)."""
    if name in ("units", "filters"):
        return parse_units(text)
    if name in ("dropout", "rate"):
        return parse_dropout(text)
    if name in PAIR_SETTINGS:
        return parse_pair(text, default)
    return text.strip()


def setting_text(name: str, value) -> str:
    """What a cell of setting ``name`` shows for ``value``: exactly the value used."""
    if name in PAIR_SETTINGS:
        return pair_text(value)
    return number_text(value) if isinstance(value, float) else str(value)

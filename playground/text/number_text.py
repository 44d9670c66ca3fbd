"""Numbers as the app shows them and reads them back (no Qt: the fields and the messages share it).

What a field shows is exactly the number used: ``number_text`` writes as few digits as give back
the same float (``0.001``, ``1e-7``, ``1e-20``, ``0.30000000000000004``), in scientific notation
when it is very small or very large, and whole numbers with thousands separators (``6,000``), as
the rest of the app writes counts.

``parse_number`` reads what a learner types. In a decimal field a comma is a decimal point
(``0,001`` is 0.001, as many keyboards write it); in a whole-number field a comma only separates
thousands (``6,000``), so ``0,5`` there is not a number. Letters, ``inf`` and ``nan`` are never
numbers.
"""
from __future__ import annotations

import math
import re

from engine.keras_code import number_code

_DECIMAL = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_DECIMAL_PREFIX = re.compile(r"[+-]?\d*([.,]\d*)?([eE][+-]?\d*)?")
_WHOLE = re.compile(r"[+-]?(\d+|[1-9]\d{0,2}(,\d{3})+)")
_WHOLE_PREFIX = re.compile(r"[+-]?[\d,]*")


def number_text(value, group: bool = True) -> str:
    """``value`` written so that reading it back gives the same number.

    Whole numbers (``int``) get thousands separators unless ``group`` is False (code wants
    ``batch_size = 60000``); floats never do, since a comma typed into a decimal field is a
    decimal point.
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return f"{int(value):,}" if group else str(int(value))
    return number_code(float(value))  # the shortest text that reads back as the same float


def parse_number(text: str, whole: bool = False):
    """The number ``text`` spells (an ``int`` when ``whole``), or None when it spells none."""
    text = text.strip()
    if whole:
        if not _WHOLE.fullmatch(text):
            return None
        try:
            return int(text.replace(",", ""))
        except ValueError:  # more digits than Python reads
            return None
    if not _DECIMAL.fullmatch(text):
        return None
    value = float(text.replace(",", "."))
    return value if math.isfinite(value) else None


def could_become_number(text: str, whole: bool = False) -> bool:
    """Whether ``text`` is on its way to a number (``""``, ``-``, ``1e-``, ``6,0``): typing may go on."""
    pattern = _WHOLE_PREFIX if whole else _DECIMAL_PREFIX
    return bool(pattern.fullmatch(text.strip()))

"""How a result is shown: the ``str()`` line the Data panel uses, and the value as a small table,
a grid of digits or one image.

``3D tensor uint8 (90, 28, 28) 0 0 0 ...`` is ``tensor_text.describe`` (section 2.2's rank,
dtype and shape); a stack of images goes to a digit grid (at most ``MAX_IMAGES``), a matrix
of at least ``IMAGE_SIDE`` on each side is drawn as one image, anything else as text.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from playground.core.console.values import Invisible, Plot, Printed, Raster
from playground.text import tensor_text

MAX_IMAGES = 100
IMAGE_SIDE = 8
TABLE_ROWS, TABLE_COLUMNS = 12, 10


@dataclass(frozen=True)
class Description:
    str_line: str
    view: str  # "grid", "image", "table", "text" or "none"
    text: str = ""  # the table, or the printed text
    images: np.ndarray | None = None  # (n, h, w) for "grid", (h, w) for "image"
    image_max: float = 255.0


def str_line(array: np.ndarray, name: str | None = None) -> str:
    """``3D tensor uint8 (90, 28, 28) 0 0 0 ...``, with ``name: `` in front when it has one."""
    array = np.asarray(array)
    first = array.flat[:tensor_text.FIRST_VALUES + 1]  # no copy of a big strided view, unlike reshape(-1)
    values = tensor_text.first_values(first[:tensor_text.FIRST_VALUES]) + (" ..." if first.size > tensor_text.FIRST_VALUES else "")
    line = f"{tensor_text.rank_name(array.ndim)} {array.dtype} {tensor_text.format_shape(array.shape)} {values}".rstrip()
    return f"{name}: {line}" if name else line


def describe(value, name: str | None = None, language: str = "NumPy") -> Description:
    """How to show ``value``; ``language`` decides how a tensor of 3 or more dimensions is cut into
    matrices for the table: R prints ``, , 1`` (the last dimensions fixed), NumPy ``[0, :, :]``."""
    if isinstance(value, Plot):
        h, w = value.array.shape
        return Description(f"image {h} x {w}, grey levels 0..{tensor_text.format_value(value.max)}", "image",
                           images=np.asarray(value.array), image_max=value.max)
    if isinstance(value, Raster):
        h, w = value.array.shape
        return Description(f"raster {h} x {w} (max = {tensor_text.format_value(value.max)}): plot() draws it", "image",
                           images=np.asarray(value.array), image_max=value.max)
    if isinstance(value, Printed):
        return Description(value.text.strip().splitlines()[0] if value.text.strip() else "", "text", value.text)
    if isinstance(value, Invisible):
        return Description("", "none", value.note)
    if value is None:
        return Description("NULL", "text", "NULL")
    if isinstance(value, str):
        return Description(f'chr "{value}"', "text", f'[1] "{value}"')
    if isinstance(value, np.dtype):
        return Description(f"dtype {value}", "text", f"dtype('{value}')")
    if isinstance(value, (tuple, list)):
        text = "(" + ", ".join(str(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        kind = "tuple" if isinstance(value, tuple) else "list"
        return Description(f"{kind} {text}" if len(text) < 80 else f"{kind} of {len(value)}", "text", text)
    if isinstance(value, dict):
        return Description(f"List of {len(value)}: {', '.join(value)}", "text",
                           "\n".join(f"$ {k}" for k in value))
    if isinstance(value, (int, float, bool, np.generic)):
        value = np.asarray(value)
    array = np.asarray(value)
    line = str_line(array, name)
    if array.ndim == 3 and array.shape[1] >= IMAGE_SIDE and array.shape[2] >= IMAGE_SIDE and array.size:
        images = np.array(array[:MAX_IMAGES])
        return Description(line, "grid", images=images, image_max=_image_max(images))
    if array.ndim == 2 and min(array.shape) >= IMAGE_SIDE and max(array.shape) <= 4 * min(array.shape):
        return Description(line, "image", table(array, language), images=array, image_max=_image_max(array))
    return Description(line, "table", table(array, language))


def _image_max(array: np.ndarray) -> float:
    return 255.0 if array.dtype == np.uint8 else float(np.nanmax(array)) if array.size else 1.0


def table(array: np.ndarray, language: str = "NumPy") -> str:
    """A small tensor as text: a vector in lines, a matrix as rows and columns (cut with ``...``).

    More dimensions are cut into matrices as each language prints them: R fixes the last
    dimensions (``, , 1``, the first of them running fastest), NumPy the first (``[0, :, :]``).
    """
    array = np.asarray(array)
    if array.size == 0:
        return "(empty: no elements)"
    if array.ndim <= 1:
        return tensor_text.values_text(array, limit=200)
    if array.ndim == 2:
        return _matrix(array)
    if language == "R":
        rest = array.shape[2:]
        positions = (np.unravel_index(k, rest, order="F") for k in range(int(np.prod(rest))))
        cut = ((", , " + ", ".join(str(int(p) + 1) for p in position), array[(slice(None), slice(None)) + position])
               for position in positions)
    else:
        cut = ((f"[{', '.join(map(str, position))}, :, :]", array[position])
               for position in np.ndindex(*array.shape[:-2]))
    blocks = []
    for k, (title, matrix) in enumerate(cut):
        if k == 3:
            blocks.append(f"... and {int(np.prod(array.shape)) // (matrix.size or 1) - 3:,} more matrices")
            break
        blocks.append(f"{title}\n" + _matrix(matrix))
    return "\n\n".join(blocks)


def _matrix(array: np.ndarray) -> str:
    rows, cols = array.shape
    shown = array[:TABLE_ROWS, :TABLE_COLUMNS]
    cells = [[tensor_text.format_value(v) for v in row] for row in shown]
    width = max(len(c) for row in cells for c in row)
    lines = [" ".join(c.rjust(width) for c in row) + (" ..." if cols > TABLE_COLUMNS else "") for row in cells]
    if rows > TABLE_ROWS:
        lines.append(f"... {rows - TABLE_ROWS:,} more rows")
    return "\n".join(lines)

"""Turn a free-hand drawing into a digit the network has a fair chance to read (pure NumPy, no Qt).

A network trained on MNIST (chapter 2) has only ever seen digits prepared one particular way, and
it reads *pixels*, not shapes: a "1" drawn in the corner of the canvas is, to it, a different
picture from the same "1" in the middle. So before predicting we repeat the recipe LeCun,
Cortes and Burges used to build MNIST from NIST's scanned forms:

1. crop the image to the bounding box of the ink;
2. scale it, keeping its aspect ratio, so that the larger side is 20 pixels, with anti-aliasing
   (each output pixel is the *average* of the input area it covers: a box filter), which is what
   gives MNIST digits their soft grey edges;
3. paste it into a 28x28 black field so that its centre of mass sits at the centre of the field.

``to_mnist(image)`` does exactly that and returns float32 (28, 28) in [0, 1]: the same layout as
one row of ``prepare_images(x_train)`` before it is flattened to 784 values.
"""
from __future__ import annotations

import numpy as np

MNIST_SIZE = 28  # side of the field, in pixels
BOX_SIZE = 20  # the digit's larger side after scaling
INK_THRESHOLD = 0.02  # fainter than this counts as background when finding the bounding box


def to_mnist(image: np.ndarray) -> np.ndarray:
    """Crop, scale and centre a drawing the way MNIST digits were prepared.

    image: (H, W) grey levels, white ink on black; float in [0, 1] or uint8 in [0, 255].
    Returns float32 (28, 28) in [0, 1]. An empty drawing (no ink) gives all zeros.

    The brightest pixel is stretched to 1.0: every MNIST digit reaches full white, while a thin
    stroke averaged down to 20 pixels may not. Centring uses pixel-centre coordinates (pixel
    ``i`` covers ``[i, i + 1)``), in which the field's centre is (14, 14).
    """
    image = _as_unit_float(image)
    cropped = crop_to_ink(image)
    if cropped is None:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    digit = resize_area(cropped, _box_shape(cropped.shape))
    peak = digit.max()
    if peak > 0:
        digit = digit / peak
    return paste_centred(digit)


def _as_unit_float(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D grey image (H, W), got shape {image.shape}")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    image = np.nan_to_num(image.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(image, 0.0, 1.0)


def crop_to_ink(image: np.ndarray, threshold: float = INK_THRESHOLD) -> np.ndarray | None:
    """The smallest rectangle holding every pixel brighter than ``threshold`` (None if none)."""
    rows = np.flatnonzero((image > threshold).any(axis=1))
    cols = np.flatnonzero((image > threshold).any(axis=0))
    if rows.size == 0:
        return None
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _box_shape(shape: tuple[int, int], box: int = BOX_SIZE) -> tuple[int, int]:
    """(rows, cols) after scaling the larger side to ``box``, keeping the aspect ratio."""
    height, width = shape
    scale = box / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix: row i averages the input pixels that output pixel i covers.

    Output pixel i covers input coordinates [i * s, (i + 1) * s) with s = n_in / n_out; an
    input pixel j that is only partly inside counts for the overlapping fraction. Rows sum to 1.
    Works for shrinking (a true box filter) and for enlarging (then it is nearest-neighbour
    with blended borders).
    """
    s = n_in / n_out
    out_lo = np.arange(n_out)[:, None] * s
    in_lo = np.arange(n_in)[None, :]
    overlap = np.minimum(out_lo + s, in_lo + 1) - np.maximum(out_lo, in_lo)
    return np.clip(overlap, 0.0, None) / s


def resize_area(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize by area averaging: ``R_rows @ image @ R_cols.T`` (float32)."""
    rows = _area_weights(image.shape[0], shape[0])
    cols = _area_weights(image.shape[1], shape[1])
    return (rows @ image.astype(np.float64) @ cols.T).astype(np.float32)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, col) of the ink's centre of mass in pixel-centre coordinates (pixel i at i + 0.5)."""
    total = float(image.sum())
    if total <= 0:
        h, w = image.shape
        return h / 2, w / 2
    rows = np.arange(image.shape[0]) + 0.5
    cols = np.arange(image.shape[1]) + 0.5
    return float(rows @ image.sum(axis=1)) / total, float(cols @ image.sum(axis=0)) / total


def paste_centred(digit: np.ndarray, size: int = MNIST_SIZE) -> np.ndarray:
    """Place ``digit`` in a size x size black field with its centre of mass at the centre.

    The shift is rounded to whole pixels (as MNIST did), so the centre of mass ends up within
    half a pixel of (size / 2, size / 2). Ink pushed past the border is cut off.
    """
    cy, cx = centre_of_mass(digit)
    top = int(np.floor(size / 2 - cy + 0.5))
    left = int(np.floor(size / 2 - cx + 0.5))
    field = np.zeros((size, size), dtype=np.float32)
    h, w = digit.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, size), min(left + w, size)
    if y1 > y0 and x1 > x0:
        field[y0:y1, x0:x1] = digit[y0 - top : y1 - top, x0 - left : x1 - left]
    return np.clip(field, 0.0, 1.0)

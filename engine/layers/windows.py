"""Sliding windows over images ``(batch, height, width, channels)``: shared by Conv2D and pooling.

Keras (and TensorFlow) size a layer's output like this, per spatial axis of length ``n``, with a
window of ``k`` moved ``s`` steps at a time:

* ``padding="valid"``: only whole windows, ``out = (n - k) // s + 1`` (nothing if ``k > n``);
* ``padding="same"``:  ``out = ceil(n / s)``; the input gets ``pad = max((out - 1) * s + k - n, 0)``
  extra rows, ``pad // 2`` before and the rest after (TensorFlow puts the odd one at the end).
"""
from __future__ import annotations

import numbers

import numpy as np

PADDINGS = ("valid", "same")


def pair(value, what: str) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(3, 2)`` stays; anything else is a clear error."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value, value)
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a positive integer or a pair of them, got {value!r}") from None
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v <= 0 for v in (a, b)):
        raise ValueError(f"{what} must be a positive integer or a pair of them, got {value!r}")
    return int(a), int(b)


def padding_name(padding) -> str:
    name = padding.lower() if isinstance(padding, str) else padding
    if name not in PADDINGS:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return name


def output_length(n: int, k: int, s: int, padding: str) -> int:
    """Positions of a window of ``k`` moved by ``s`` along ``n`` (0 when ``valid`` leaves nothing)."""
    return -(-n // s) if padding == "same" else max((n - k) // s + 1, 0)


def pad_before_after(n: int, k: int, s: int, padding: str) -> tuple[int, int]:
    if padding == "valid":
        return 0, 0
    total = max((output_length(n, k, s, padding) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def image_shape(layer, input_shape, example="(28, 28, 1)") -> tuple[int, int, int]:
    """``(height, width, channels)``, or an error that says what a 2-D layer needs."""
    shape = tuple(input_shape)
    name = type(layer).__name__
    if len(shape) == 3:
        return shape
    if len(shape) == 2:
        hint = (f"add a channel axis: samples of shape {(*shape, 1)} "
                f"(x.reshape(n, {shape[0]}, {shape[1]}, 1), or Reshape({(*shape, 1)}) first)")
    elif len(shape) == 1:
        hint = "it cannot follow Flatten or Dense, which give flat vectors"
    else:
        hint = "channels last"
    raise ValueError(f"{name} expects images of shape (height, width, channels) such as {example}, "
                     f"got samples of shape {shape}: {hint}")


class Geometry:
    """Where a ``(kh, kw)`` window moved by ``(sh, sw)`` goes over an image, padding included."""

    def __init__(self, input_shape, kernel, strides, padding):
        self.h, self.w, self.c = input_shape
        self.kh, self.kw = kernel
        self.sh, self.sw = strides
        self.oh = output_length(self.h, self.kh, self.sh, padding)
        self.ow = output_length(self.w, self.kw, self.sw, padding)
        self.top, bottom = pad_before_after(self.h, self.kh, self.sh, padding)
        self.left, right = pad_before_after(self.w, self.kw, self.sw, padding)
        self.padded = self.top + bottom + right + self.left > 0
        self.padded_shape = (self.h + self.top + bottom, self.w + self.left + right, self.c)
        # windows that overlap must add their gradients up; windows that leave positions
        # uncovered leave them a zero gradient; tiles that do neither can simply be written
        self.overlapping = self.sh < self.kh or self.sw < self.kw
        self.tiles = (not self.overlapping and self.padded_shape[0] == self.oh * self.kh
                      and self.padded_shape[1] == self.ow * self.kw)

    def pad(self, x: np.ndarray, buffer, fill=0.0) -> np.ndarray:
        """``x`` surrounded by ``fill`` (in ``buffer``), or ``x`` itself when nothing is padded."""
        if not self.padded:
            return x
        xp = buffer.view(len(x), self.padded_shape, x.dtype)
        rows = slice(self.top, self.top + self.h)
        xp[:, :self.top] = fill  # the border only: the inside is overwritten next
        xp[:, self.top + self.h:] = fill
        xp[:, rows, :self.left] = fill
        xp[:, rows, self.left + self.w:] = fill
        xp[:, rows, self.left:self.left + self.w] = x
        return xp

    def unpad(self, xp: np.ndarray) -> np.ndarray:
        return xp[:, self.top:self.top + self.h, self.left:self.left + self.w] if self.padded else xp

    def window(self, xp: np.ndarray, i: int, j: int) -> np.ndarray:
        """The view of ``xp`` that offset ``(i, j)`` of every window sees: ``(batch, oh, ow, c)``.

        Inside one offset the positions are distinct, so ``window(dx, i, j) += g`` scatters
        without collisions; looping over the ``kh * kw`` offsets adds the overlaps up.
        """
        return xp[:, i:i + self.sh * (self.oh - 1) + 1:self.sh, j:j + self.sw * (self.ow - 1) + 1:self.sw]

    def offsets(self):
        return [(i, j) for i in range(self.kh) for j in range(self.kw)]

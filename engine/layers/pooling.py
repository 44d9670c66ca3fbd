"""Pooling: ``MaxPooling2D``, ``AveragePooling2D`` and ``GlobalAveragePooling2D`` (channels last).

A 2 x 2 max pooling keeps the largest of every 2 x 2 block of each channel, halving the image's
height and width (the book's ``layer_max_pooling_2d(pool_size = c(2, 2))``). Nothing is learnt:
backward sends each output's gradient to the input that won (the first one, in row-major order
within the window, when several tie, as TensorFlow and PyTorch do). Average pooling shares it out
equally. The work loops over the ``pool_height * pool_width`` offsets of a window, each a strided
view of the whole batch, never over pixels or samples.
"""
from __future__ import annotations

import numpy as np

from engine import backend
from engine.layers import windows
from engine.layers.base import Layer
from engine.memory import Buffer


class _Pooling2D(Layer):
    example_input_shape = (6, 7, 2)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = windows.pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else windows.pair(strides, "strides")
        self.padding = windows.padding_name(padding)
        self._padded, self._out, self._dx = Buffer(), Buffer(), Buffer()

    def _geometry(self, input_shape) -> windows.Geometry:
        shape = windows.image_shape(self, input_shape)
        g = windows.Geometry(shape, self.pool_size, self.strides, self.padding)
        if g.oh == 0 or g.ow == 0:
            raise ValueError(f"{type(self).__name__}'s pool_size {self.pool_size} leaves nothing of its "
                             f"input {shape} (padding='valid' keeps only whole windows): use a smaller "
                             "pool, padding='same', or fewer layers that shrink the image before it")
        return g

    def build(self, input_shape):
        self.geometry = self._geometry(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        g = self._geometry(input_shape)
        return (g.oh, g.ow, g.c)

    def _input_gradient(self, n, dtype, part) -> np.ndarray:
        """dL/dinput from ``part(i, j, target, accumulate)``, which writes offset (i, j)'s share."""
        g = self.geometry
        dxp = self._dx.view(n, g.padded_shape, dtype)
        if not g.tiles:
            dxp.fill(0)  # positions no window covers get nothing (and overlaps add up from 0)
        for i, j in g.offsets():
            part(i, j, g.window(dxp, i, j), g.overlapping)
        return g.unpad(dxp)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """The largest value of each window (``pool_size``, moved by ``strides``, default ``pool_size``)."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(pool_size, strides, padding, **kwargs)
        self._winner, self._larger, self._hit = Buffer(np.uint16), Buffer(np.bool_), Buffer(np.bool_)
        self._candidate = Buffer(np.uint16)

    def forward(self, x, training=False):
        g = self.geometry
        xp = g.pad(x, self._padded, fill=-np.inf)  # "same" pads with -inf: padding never wins
        y = self._out.view(len(x), (g.oh, g.ow, g.c), x.dtype)
        last = self._last
        last.xp, last.y, last.winner = xp, y, self._maximum(xp, y, keep_winner=training)
        return y

    def _maximum(self, xp, y, keep_winner):
        """``y`` = each window's maximum; with ``keep_winner``, also returns which offset of the
        window held it (the first one, when several tie): what backward needs."""
        g = self.geometry
        offsets = g.offsets()
        np.copyto(y, g.window(xp, *offsets[0]))
        winner = self._winner.view(len(y), y.shape[1:]) if keep_winner else None
        if keep_winner:
            winner.fill(0)
            larger = self._larger.view(len(y), y.shape[1:])
            candidate = self._candidate.view(len(y), y.shape[1:])
        for k, (i, j) in enumerate(offsets[1:], start=1):
            if keep_winner:
                np.greater(g.window(xp, i, j), y, out=larger)  # strictly: a tie keeps the first
                np.multiply(larger, np.uint16(k), out=candidate)
                np.maximum(winner, candidate, out=winner)  # a later offset that is larger wins
            np.maximum(y, g.window(xp, i, j), out=y)
        return winner

    def backward(self, dy):
        if not self.need_input_grad:
            return None
        last = self._last
        winner = last.winner
        if winner is None:  # the forward pass was not a training one: find the winners now
            winner = self._maximum(last.xp, self._out.view(len(dy), dy.shape[1:], dy.dtype).copy(), True)
        hit = self._hit.view(len(dy), dy.shape[1:])
        offsets = self.geometry.offsets()

        def part(i, j, target, accumulate):
            np.equal(winner, offsets.index((i, j)), out=hit)
            if accumulate:
                target += dy * hit
            else:
                np.multiply(dy, hit, out=target)

        return self._input_gradient(len(dy), dy.dtype, part)


class AveragePooling2D(_Pooling2D):
    """The mean of each window. With ``padding="same"`` the padding is left out of the mean
    (a corner window of 2 x 2 over 1 real pixel is that pixel), as in Keras."""

    def build(self, input_shape):
        super().build(input_shape)
        g = self.geometry
        real = g.pad(np.ones((1, g.h, g.w, 1)), Buffer(np.float64))  # 1 on the image, 0 on the padding
        counts = sum(g.window(real, i, j) for i, j in g.offsets())[0]  # real pixels per window
        self._scale = (1.0 / counts).astype(self.dtype or backend.floatx())  # (oh, ow, 1)

    def forward(self, x, training=False):
        g = self.geometry
        xp = g.pad(x, self._padded)
        y = self._out.view(len(x), (g.oh, g.ow, g.c), x.dtype)
        (i, j), *rest = g.offsets()
        np.copyto(y, g.window(xp, i, j))
        for i, j in rest:
            y += g.window(xp, i, j)
        y *= self._scale.astype(y.dtype, copy=False)
        return y

    def backward(self, dy):
        if not self.need_input_grad:
            return None
        share = dy * self._scale.astype(dy.dtype, copy=False)  # each input of a window gets its share

        def part(i, j, target, accumulate):
            if accumulate:
                target += share
            else:
                np.copyto(target, share)

        return self._input_gradient(len(dy), dy.dtype, part)


class GlobalAveragePooling2D(Layer):
    """The mean of each channel over the whole image: ``(batch, h, w, c)`` -> ``(batch, c)``."""

    example_input_shape = (4, 5, 3)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._out, self._dx = Buffer(), Buffer()

    def build(self, input_shape):
        windows.image_shape(self, input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return (windows.image_shape(self, input_shape)[2],)

    def forward(self, x, training=False):
        y = self._out.view(len(x), x.shape[3:], x.dtype)
        return np.mean(x, axis=(1, 2), out=y)

    def backward(self, dy):
        if not self.need_input_grad:
            return None
        h, w, c = self.input_shape
        dx = self._dx.view(len(dy), (h, w, c), dy.dtype)
        np.copyto(dx, (dy / (h * w))[:, None, None, :])
        return dx

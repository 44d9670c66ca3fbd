"""``Conv2D``: the convolution of the book's chapter 5, channels last, as one matrix product.

A 3 x 3 convolution looks at every 3 x 3 patch of its input and multiplies it by the same kernel.
Laying the patches out as the rows of a matrix ("im2col") turns the whole layer into one product:

    patches (batch * oh * ow, kh * kw * channels)  .  kernel (kh * kw * channels, filters)

and backward is two more: dL/dkernel = patches^T . dz, and dL/dpatches = dz . kernel^T, whose
rows are added back onto the input positions they were copied from ("col2im").

Checked against Keras 3.15 (torch backend): weights copied with ``set_weights`` into the same
layers give the same outputs to float32 rounding, "same" padding with strides and even kernels
included.
"""
from __future__ import annotations

import numbers

import numpy as np

from engine import initializers, ops
from engine.layers import windows
from engine.layers.base import Layer
from engine.memory import Buffer


class Conv2D(Layer):
    """A 2-D convolution layer (Keras's ``layer_conv_2d``).

    Args:
        filters: positive integer, the number of output channels (the book's ``filters = 32``).
        kernel_size: an integer or a pair ``(height, width)`` of the window (``3`` means 3 x 3).
        strides: how far the window moves, an integer or a pair (default ``(1, 1)``).
        padding: ``"valid"`` (only whole windows) or ``"same"`` (zero-pad so that, with strides 1,
            the output has the input's size), with Keras's arithmetic (see ``engine.layers.windows``).
        activation, use_bias, kernel_initializer, bias_initializer, input_shape: as in ``Dense``.

    Shapes: input ``(batch, height, width, channels)``, kernel ``(kh, kw, channels, filters)``,
    bias ``(filters,)``, output ``(batch, out_height, out_width, filters)``.
    """

    example_input_shape = (6, 6, 2)
    example_config = {"filters": 3, "kernel_size": 3, "padding": "same", "activation": "tanh"}

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 input_shape=None, name=None, **kwargs):
        super().__init__(name=name, input_shape=input_shape, activation=activation, **kwargs)
        if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters <= 0:
            raise ValueError(f"filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = windows.pair(kernel_size, "kernel_size")
        self.strides = windows.pair(strides, "strides")
        self.padding = windows.padding_name(padding)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._initializer_names = (kernel_initializer, bias_initializer)
        self._padded, self._patches, self._out = Buffer(), Buffer(), Buffer()
        self._dpatches, self._dx = Buffer(), Buffer()

    def _geometry(self, input_shape) -> windows.Geometry:
        h, w, c = windows.image_shape(self, input_shape)
        g = windows.Geometry((h, w, c), self.kernel_size, self.strides, self.padding)
        if g.oh == 0 or g.ow == 0:
            raise ValueError(f"Conv2D's kernel_size {self.kernel_size} is larger than its input "
                             f"{(h, w, c)} (padding='valid' keeps only whole windows): use a smaller "
                             "kernel, padding='same', or fewer layers that shrink the image before it")
        return g

    def build(self, input_shape):
        self.geometry = g = self._geometry(input_shape)
        self.kernel = self.add_weight("kernel", (g.kh, g.kw, g.c, self.filters), self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        g = self._geometry(input_shape)
        return (g.oh, g.ow, self.filters)

    def forward(self, x, training=False):
        g, n = self.geometry, len(x)
        patches = self._im2col(g.pad(x, self._padded))
        rows = patches.reshape(n * g.oh * g.ow, -1)  # one patch per row
        y = self._out.view(n, (g.oh, g.ow, self.filters), x.dtype)
        ops.matmul(rows, self.kernel.reshape(-1, self.filters), out=y.reshape(len(rows), self.filters))
        if self.use_bias:
            y += self.bias
        self._last.rows = rows
        return self.activate(y)

    def _im2col(self, xp):
        """Row ``(b, r, c)`` holds the window at output position ``(r, c)`` of sample ``b``, in the
        kernel's order ``(kh, kw, channels)``: ``(batch, oh, ow, kh, kw, channels)``."""
        g = self.geometry
        patches = self._patches.view(len(xp), (g.oh, g.ow, g.kh, g.kw, g.c), xp.dtype)
        if g.c >= 8:  # one strided copy of every window at once
            views = np.lib.stride_tricks.sliding_window_view(xp, (g.kh, g.kw), axis=(1, 2))
            np.copyto(patches, views[:, ::g.sh, ::g.sw].transpose(0, 1, 2, 4, 5, 3))
        else:  # few channels (a grey image): a copy per offset runs along whole rows, faster
            for i, j in g.offsets():
                patches[:, :, :, i, j] = g.window(xp, i, j)
        return patches

    def backward(self, dy):
        g, rows = self.geometry, self._last.rows
        dz = self.activation_gradient(dy).reshape(len(rows), self.filters)
        if self.use_bias:  # dL/dbias: dz summed over samples and positions (as a product: faster)
            ops.matmul(self._ones(len(rows), dz.dtype), dz, out=self.grads[1].reshape(1, -1))
        ops.matmul_at_b(rows, dz, out=self.grads[0].reshape(-1, self.filters))  # dL/dkernel = patches^T . dz
        if not self.need_input_grad:
            return None
        # dL/dpatches = dz . kernel^T, one kernel offset (i, j) at a time: each piece is added back
        # where offset (i, j) of every window was copied from ("col2im"); overlaps add up
        n = len(dy)
        dxp = self._dx.view(n, g.padded_shape, dz.dtype)
        dxp.fill(0)
        piece = self._dpatches.view(n, (g.oh, g.ow, g.c), dz.dtype)
        for i, j in g.offsets():
            ops.matmul_a_bt(dz, self.kernel[i, j], out=piece.reshape(len(rows), g.c))
            target = g.window(dxp, i, j)
            target += piece
        return g.unpad(dxp)

    def _ones(self, n, dtype):
        ones = getattr(self._last, "ones", None)
        if ones is None or ones.shape[1] < n or ones.dtype != dtype:
            ones = self._last.ones = np.ones((1, n), dtype)
        return ones[:, :n]

    def get_config(self):
        kernel_init, bias_init = self._initializer_names
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "activation": self.activation.name,
            "use_bias": self.use_bias,
            "kernel_initializer": kernel_init if isinstance(kernel_init, str) else "glorot_uniform",
            "bias_initializer": bias_init if isinstance(bias_init, str) else "zeros",
        }

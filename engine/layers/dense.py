"""``Dense``: the fully connected layer of chapter 2, ``output = activation(dot(input, kernel) + bias)``."""
from __future__ import annotations

import numbers

from engine import initializers, ops
from engine.layers.base import Layer
from engine.memory import Buffer


class Dense(Layer):
    """A densely connected layer.

    Args:
        units: positive integer, the number of outputs (the book's ``units = 512``).
        activation: name of the activation (``"relu"``, ``"softmax"``...) or None for linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: Keras names (``"glorot_uniform"``, ``"zeros"``).
        input_shape: the shape of one sample, e.g. ``(784,)``, for the first layer of a model.

    Shapes: input ``x`` ``(batch, input_dim)``, kernel ``(input_dim, units)``, output ``(batch, units)``.

    Forward:  ``z = x . kernel + bias``, ``y = activation(z)``.
    Backward, from ``dy`` = dL/dy (chain rule, chapter 2.3)::

        dz       = dy * activation'(z)
        dkernel  = x^T . dz           (each weight's gradient sums over the batch)
        dbias    = sum of dz over the batch
        dx       = dz . kernel^T      (handed to the layer below)
    """

    example_input_shape = (5,)
    example_config = {"units": 4, "activation": "tanh"}

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", input_shape=None, name=None, **kwargs):
        super().__init__(name=name, input_shape=input_shape, activation=activation, **kwargs)
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._initializer_names = (kernel_initializer, bias_initializer)
        self._z = Buffer()
        self._dx = Buffer()

    def build(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(
                f"Dense expects flat inputs (batch, features), got samples of shape {tuple(input_shape)}; "
                "add a Flatten() layer first"
            )
        self.kernel = self.add_weight("kernel", (input_shape[0], self.units), self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return (self.units,)

    def forward(self, x, training=False):
        self._last.x = x
        z = ops.matmul(x, self.kernel, out=self._z.view(len(x), (self.units,), self.kernel.dtype))
        if self.use_bias:
            z += self.bias
        return self.activate(z)

    def backward(self, dy):
        x = self._last.x
        dz = self.activation_gradient(dy)
        ops.matmul_at_b(x, dz, out=self.grads[0])
        if self.use_bias:
            dz.sum(axis=0, out=self.grads[1])
        if not self.need_input_grad:
            return None  # the first layer: nobody below needs dL/dx
        return ops.matmul_a_bt(dz, self.kernel, out=self._dx.view(len(dz), (self.kernel.shape[0],), dz.dtype))

    def get_config(self):
        kernel_init, bias_init = self._initializer_names
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation.name,
            "use_bias": self.use_bias,
            "kernel_initializer": kernel_init if isinstance(kernel_init, str) else "glorot_uniform",
            "bias_initializer": bias_init if isinstance(bias_init, str) else "zeros",
        }

"""``Dense``: the fully connected layer of chapter 2, ``output = activation(dot(input, kernel) + bias)``."""
from __future__ import annotations

import numbers
import threading

import numpy as np

from engine import activations, initializers, parallel
from engine.layers.base import Buffer, Layer


class Dense(Layer):
    """A densely connected layer.

    Args:
        units: positive integer, the number of outputs (the book's ``units = 512``).
        activation: name of the activation (``"relu"``, ``"softmax"``...) or None for linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: Keras names (``"glorot_uniform"``, ``"zeros"``).
        input_shape: the shape of one sample, e.g. ``(784,)``, for the first layer of a model.

    Shapes: input ``(batch, input_dim)`` float32, kernel ``(input_dim, units)``, output ``(batch, units)``.

    During ``fit`` a big kernel shares its work with a helper thread (``use_helper``; see
    ``engine.parallel``): each thread multiplies by half of the kernel's rows, and ``backward``
    leaves the kernel's gradient to ``kernel_gradient(half)`` so that the model can compute each
    half and update it on the same thread. As the first layer, it can even compute its half of the
    next batch's product right after that update (``compute_ahead``), so that the next forward
    pass starts with both terms ready (``forward(x, ahead=token)``).
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        input_shape=None,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name, input_shape=input_shape, **kwargs)
        if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._initializer_names = (kernel_initializer, bias_initializer)
        self._out = Buffer()
        self._dx = Buffer()
        self._partial = Buffer()
        self._helper = self._helper_thread = None
        self._deferring_thread = None  # see defer_kernel_gradient
        self._pending = None  # (x, dz) whose kernel gradient kernel_gradient() computes
        self._ahead = [None, None]  # each thread's term of the next batch's x @ kernel
        self._ahead_token = [None, None]  # (batch token, weights_version) each term was computed for
        # set by the model when this Dense ends in softmax/sigmoid and the loss hands back the
        # gradient with respect to the pre-activation scores (the fused, stable form)
        self.loss_gives_logit_grad = False

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

    def use_helper(self, helper) -> bool:
        """Share big products with ``helper`` (an ``engine.parallel.Helper``; None stops it).

        Only calls from the thread that sets it use the helper; others (a UI thread predicting
        with the same model) take the ordinary path. Returns whether this layer uses it.
        """
        use = helper is not None and self.built and parallel.splits(self.kernel)
        self._helper = helper if use else None
        self._helper_thread = threading.get_ident() if use else None
        self._pending = None
        self._ahead_token = [None, None]
        return use

    def _helped(self) -> bool:
        return self._helper is not None and threading.get_ident() == self._helper_thread

    def defer_kernel_gradient(self, on: bool) -> None:
        """While on, ``backward`` on this thread leaves dL/dkernel to ``kernel_gradient(half)``
        (``engine.second_process`` computes one half in another process)."""
        self._deferring_thread = threading.get_ident() if on else None
        self._pending = None
        self._ahead_token = [None, None]

    def _defers(self) -> bool:
        return self._helped() or (self._deferring_thread is not None and threading.get_ident() == self._deferring_thread)

    def forward(self, x, training=False, ahead=None):
        y = self._out.view(len(x), (self.units,), self.kernel.dtype)
        if ahead is not None and self.ahead_ready(ahead, len(x)):
            np.add(self._ahead[0][:len(x)], self._ahead[1][:len(x)], out=y)
        elif self._helped():
            # x @ W = x[:, :k] @ W[:k] + x[:, k:] @ W[k:], one term on each thread
            k, kernel = parallel.split_row(self.kernel.shape[0]), self.kernel
            other = self._partial.view(len(x), (self.units,), kernel.dtype)
            self._helper.pair(lambda: np.matmul(x[:, :k], kernel[:k], out=y),
                              lambda: np.matmul(x[:, k:], kernel[k:], out=other))
            y += other
        else:
            np.matmul(x, self.kernel, out=y)
        if self.use_bias:
            y += self.bias
        last = self._last
        last.x, last.y = x, self.activation.forward(y)
        return last.y

    def compute_ahead(self, x, half: int, token) -> None:
        """This thread's term of ``x @ kernel`` (rows ``[0, k)`` or ``[k, end)``) for a coming batch ``x``.

        Called by the model right after this thread updated those rows; ``forward(x, ahead=token)``
        then adds the two terms instead of multiplying, unless ``set_weights`` came in between.
        """
        k = parallel.split_row(self.kernel.shape[0])
        rows = slice(0, k) if half == 0 else slice(k, None)
        term = self._ahead[half]
        if term is None or len(term) < len(x) or term.dtype != self.kernel.dtype:
            term = self._ahead[half] = np.empty((len(x), self.units), self.kernel.dtype)
        np.matmul(x[:, rows], self.kernel[rows], out=term[:len(x)])
        self._ahead_token[half] = (token, self.weights_version)

    def take_ahead(self, half: int, term: np.ndarray, token) -> None:
        """Use ``term``, computed elsewhere from the current weights, as half ``half``'s term of
        batch ``token``'s product."""
        self._ahead[half] = term
        self._ahead_token[half] = (token, self.weights_version)

    def ahead_ready(self, token, n: int) -> bool:
        """Whether both terms of a batch's product were computed ahead, from the current weights."""
        key = (token, self.weights_version)
        return self._ahead_token[0] == key and self._ahead_token[1] == key and len(self._ahead[0]) >= n

    def backward(self, dy):
        x, y = self._last.x, self._last.y
        dz = dy if self.loss_gives_logit_grad else self.activation.backward(dy, y)
        if self.use_bias:
            np.sum(dz, axis=0, out=self.grads[1])  # dL/dbias = sum of dz over the batch
        helped = self._helped()
        if self._defers():
            self._pending = (x, dz)  # dL/dkernel: kernel_gradient(0) and (1), called by the model
        else:
            np.matmul(x.T, dz, out=self.grads[0])  # dL/dkernel = x^T . dz
        if not self.need_input_grad:
            return None
        dx = self._dx.view(len(dz), (self.kernel.shape[0],), dz.dtype)
        if helped:  # dx = dz . kernel^T, its columns k.. on the helper
            k, kernel = parallel.split_row(self.kernel.shape[0]), self.kernel
            self._helper.pair(lambda: np.matmul(dz, kernel[:k].T, out=dx[:, :k]),
                              lambda: np.matmul(dz, kernel[k:].T, out=dx[:, k:]))
            return dx
        return np.matmul(dz, self.kernel.T, out=dx)  # dL/dx = dz . kernel^T

    def finish_kernel_gradient(self) -> None:
        """Compute dL/dkernel in full if a helped ``backward`` left it to ``kernel_gradient``
        (``train_on_batch`` called by a callback in the middle of a two-core ``fit``)."""
        if self._pending is not None and self._defers():
            self.kernel_gradient(0)
            self.kernel_gradient(1)

    def kernel_gradient(self, half: int) -> None:
        """After a helped ``backward``: rows ``[0, k)`` (half 0) or ``[k, end)`` (half 1) of dL/dkernel."""
        x, dz = self._pending
        k = parallel.split_row(self.kernel.shape[0])
        rows = slice(0, k) if half == 0 else slice(k, None)
        np.matmul(x[:, rows].T, dz, out=self.grads[0][rows])

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

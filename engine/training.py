"""One step of mini-batch gradient descent, and one epoch of them: what ``Sequential.fit`` runs.

A step (chapter 2.4): run the layers forward on a batch, measure the loss, run them backward to
get every weight's gradient (backpropagation), and let the optimizer move each weight a little
against its gradient. If the loss is NaN or infinite, nothing is updated.

``TrainingStep`` runs steps on one core, or on two with a ``Helper`` (``engine.parallel``): then
each big Dense kernel's gradient is computed and applied in two halves of rows, one per thread,
and the first layer multiplies the next batch by its freshly updated half right away, so that the
next forward pass starts with its product ready. ``ForkedTrainingStep`` does the same with a
forked second process instead of a thread (``engine.second_process``), on Linux x86-64;
``training_steps`` picks the kind this machine and model allow.
"""
from __future__ import annotations

import contextlib
import math
import threading

import numpy as np

from engine import blas, parallel, second_process
from engine.batches import BatchFeeder
from engine.callbacks import CallbackList
from engine.layers import Dense, Flatten
from engine.layers.base import Buffer


class TrainingStep:
    """Training steps for ``model`` (compiled and built); with ``helper``, on two threads.

    While it is open, the model's big Dense layers share their work with the helper; ``close``
    lets them go.
    """

    def __init__(self, model, helper=None):
        self.model = model
        self.helper = helper
        self._grad_buffer = Buffer()
        self._measured = threading.Event()  # set in a two-core step once the batch's loss is known
        # a one-core step (train_on_batch, maybe called during a two-core fit) leaves layers as they are
        self.helped: list[Dense] = [] if helper is None else [
            layer for layer in model.layers if isinstance(layer, Dense) and layer.use_helper(helper)
        ]
        # the first layer with weights can compute its next product ahead when only Flatten precedes it
        first = next((layer for layer in model.layers if not isinstance(layer, Flatten)), None)
        self.ahead_layer = first if first in self.helped else None

    def close(self) -> None:
        for layer in self.helped:
            layer.use_helper(None)
        self.helped, self.ahead_layer = [], None

    def __call__(self, x: np.ndarray, y: np.ndarray, accuracy, then=None, ahead=None) -> tuple[float, float]:
        """One step on the batch ``(x, y)``; returns its (loss, accuracy).

        On two cores, ``then`` are two tasks (one per thread) to run after each thread's update,
        and ``ahead`` names the batch when the first layer computed its product in the last step.
        """
        output = self._forward(x, ahead)
        if self.helper is not None:
            return self._two_core_rest(y, output, accuracy, then)
        model = self.model
        loss = model.loss(y, output)
        if not math.isfinite(loss):
            return loss, float("nan")
        acc = accuracy(y, output) if accuracy else float("nan")
        model._backward(self._output_gradient(y, output))
        for layer in model.layers:
            if isinstance(layer, Dense):
                layer.finish_kernel_gradient()  # left to do by a layer that shares work with a helper
        model.optimizer.apply(model._params, model._grads)
        for layer in model.layers:
            layer.weights_version += 1  # products computed ahead from the old weights are stale
        return loss, acc

    def train_batch(self, feeder: BatchFeeder, index: int, x, y, accuracy) -> tuple[float, float]:
        """One step of ``fit`` on batch ``index`` of ``feeder`` (which is ``(x, y)``)."""
        tasks = None
        if self.helper is not None:
            gather = feeder.gather_later(index + 1)  # the helper gathers the next batch meanwhile
            if gather is not None:
                self.helper.submit(gather)
            tasks, _ = self.ahead_tasks(feeder, index + 1)
        return self(x, y, accuracy, tasks, ahead=(feeder.epoch, index))

    def start_epoch(self, feeder: BatchFeeder) -> None:
        """Called once ``feeder`` knows the epoch's order."""

    def _forward(self, x: np.ndarray, ahead) -> np.ndarray:
        for layer in self.model.layers:
            if ahead is not None and layer is self.ahead_layer:
                x = layer.forward(x, training=True, ahead=ahead)
            else:
                x = layer.forward(x, training=True)
        return x

    def _output_gradient(self, y, output) -> np.ndarray:
        loss = self.model.loss
        if self.model._fused:
            return loss.logit_gradient(y, output, out=self._grad_buffer.view(len(y), output.shape[1:], output.dtype))
        return loss.gradient(y, output)

    def _two_core_rest(self, y, output, accuracy, then) -> tuple[float, float]:
        """The rest of a two-core step, after the (already shared) forward pass.

        This thread backpropagates to every layer; then each thread computes its rows of the big
        kernels' gradients, updates its rows of every big weight, and runs its task of ``then``.
        The small weights go to whichever thread is done with its rows first: which one that is
        depends on the machine's mood, and a thread that waits for the other costs a wake-up.
        This thread first measures the batch's loss and accuracy, while the helper wakes up; as on
        one core, a NaN or infinite loss updates nothing.
        """
        model = self.model
        model._backward(self._output_gradient(y, output))
        optimizer, helped, measured = model.optimizer, self.helped, self._measured
        optimizer.prepare(model._params, model._grads)
        measured.clear()
        result = [float("nan"), float("nan")]
        small_weights = threading.Lock()  # taken by the thread that updates them

        def half(which: int):
            def run():
                if which == 0:
                    try:
                        result[0] = model.loss(y, output)
                        if accuracy and math.isfinite(result[0]):
                            result[1] = accuracy(y, output)
                    finally:
                        measured.set()
                for layer in helped:
                    layer.kernel_gradient(which)  # this thread's rows of dL/dkernel...
                measured.wait()
                if math.isfinite(result[0]):
                    optimizer.update_halves(which)  # ...then its rows of every big weight
                    if small_weights.acquire(blocking=False):
                        optimizer.update_small()  # element-wise: the same numbers on either thread
                    if then:
                        then[which]()
            return run

        self.helper.pair(half(0), half(1))
        if math.isfinite(result[0]):
            optimizer.finish_step()
        return result[0], result[1]

    def ahead_tasks(self, feeder: BatchFeeder, step: int):
        """Two tasks, one per thread, that compute the first layer's product for batch ``step``
        right after this step's update, and the token that names that batch (or None, None)."""
        layer = self.ahead_layer
        if layer is None or not 0 <= step < feeder.steps:
            return None, None
        token = (feeder.epoch, step)

        def product(half: int):
            return lambda: layer.compute_ahead(feeder.flat_x(step), half, token)

        return (product(0), product(1)), token


class ForkedTrainingStep(TrainingStep):
    """Training steps on two cores, the second one in a forked process (``engine.second_process``).

    The second process owns rows ``[k, end)`` of the first layer's kernel: their gradient, their
    update, and their term of the next batch's product. This process does everything else,
    including rows ``[0, k)`` and their term. Results are the same as on one core.
    """

    def __init__(self, model, feeder: BatchFeeder):
        super().__init__(model)
        self.first = layer = self.first_layer(model)
        optimizer = model.optimizer
        optimizer.prepare(model._params, model._grads)  # builds the slots on the first fit
        kernel, capacity = layer.kernel, feeder.batch_size
        which = next(i for i, p in enumerate(model._params) if p is kernel)
        self.part = optimizer.part_index(which, parallel.split_row(kernel.shape[0]))
        slots = [slot[self.part] for name in optimizer.slot_names for slot in [getattr(optimizer, name)] if slot]
        arena = second_process.SharedArena(second_process.SharedArena.bytes_for(
            (kernel.shape, kernel.dtype), *((slot.shape, slot.dtype) for slot in slots),
            ((len(feeder.x),), np.int64), ((capacity, layer.units), kernel.dtype),
            ((capacity, layer.units), kernel.dtype), *second_process.SecondProcess.shared_arrays(optimizer),
        ))
        # the kernel moves into shared memory (same values), and so do the slots of its rows [k, end)
        layer.kernel = layer.params[0] = layer.all_weights[0] = arena.copy(kernel)
        model._collect_weights()
        optimizer.move_variables(model._params)
        optimizer.prepare(model._params, model._grads)
        optimizer.move_slots(self.part, arena.copy)
        self.parts = [p for p in range(len(optimizer._cuts)) if p != self.part]  # ours to update
        self.order = arena.empty((len(feeder.x),), np.int64)
        self.order[:] = np.arange(len(feeder.x))
        self.dz = arena.empty((capacity, layer.units), layer.kernel.dtype)
        term = arena.empty((capacity, layer.units), layer.kernel.dtype)
        self.ahead_layer = layer
        layer.defer_kernel_gradient(True)
        try:
            self.process = second_process.SecondProcess(
                arena, layer, optimizer, self.part, feeder.x, capacity, self.order, self.dz, term)
        except BaseException:
            layer.defer_kernel_gradient(False)
            raise

    @staticmethod
    def first_layer(model):
        """The model's first Dense layer if only Flatten precedes it and it is big enough to share."""
        first = next((layer for layer in model.layers if not isinstance(layer, Flatten)), None)
        if isinstance(first, Dense) and first.built and parallel.splits(first.kernel):
            return first
        return None

    def close(self) -> None:
        try:
            self.process.close()
        finally:
            self.first.defer_kernel_gradient(False)
            self.first._ahead = [None, None]
            super().close()

    def start_epoch(self, feeder: BatchFeeder) -> None:
        if feeder._order is not None:
            self.order[:] = feeder._order
            feeder._order = self.order
        else:
            self.order[:] = np.arange(len(feeder.x))

    def train_batch(self, feeder: BatchFeeder, index: int, x, y, accuracy) -> tuple[float, float]:
        model, layer, process = self.model, self.first, self.process
        token = (feeder.epoch, index)
        output = self._forward(x, token)
        model._backward(self._output_gradient(y, output))
        _, dz = layer._pending
        n = len(x)
        np.copyto(self.dz[:n], dz)
        after = index + 1 if index + 1 < feeder.steps else -1
        lo, hi = feeder.bounds(after) if after >= 0 else (0, 0)
        after_rows = hi - lo
        process.post_step(feeder.epoch, index, n, after, after_rows)
        loss = acc = float("nan")
        try:
            loss = model.loss(y, output)
            if accuracy and math.isfinite(loss):
                acc = accuracy(y, output)
        finally:
            process.post_go(math.isfinite(loss))
        optimizer = model.optimizer
        if math.isfinite(loss):
            layer.kernel_gradient(0)
            optimizer.update_parts(self.parts)
        if after >= 0:
            feeder.batch(after)  # gathered now, into the buffer that the last batch used
            layer.compute_ahead(feeder.flat_x(after), 0, (feeder.epoch, after))
        process.wait_done()
        if after >= 0:
            layer.take_ahead(1, process.term, (feeder.epoch, after))
        if math.isfinite(loss):
            optimizer.finish_step()
        return loss, acc


@contextlib.contextmanager
def training_steps(model, feeder: BatchFeeder, wanted: bool = True):
    """The steps ``fit`` runs: on two processes, two threads or one core (see the modules
    ``engine.second_process`` and ``engine.parallel``), whichever this machine and model allow."""
    if (wanted and second_process.supported() and blas.available() and model._step is None
            and ForkedTrainingStep.first_layer(model) is not None):
        with blas.single_threaded() as single:
            step = None
            # no fork while another thread runs a product (then: threads); nor if it fails
            with blas.quiet_for_fork() as quiet, contextlib.suppress(OSError, MemoryError):
                if single and quiet:
                    step = ForkedTrainingStep(model, feeder)
            if step is not None:
                try:
                    with blas.in_use():
                        yield step
                finally:
                    step.close()
                return
    with parallel.two_cores(wanted) as helper, blas.in_use(), contextlib.ExitStack() as one_core:
        if helper is None:  # OpenBLAS's own threads wait for each other: on a busy machine (or a
            one_core.enter_context(blas.single_threaded())  # convnet's many products) ~5x slower
        step = TrainingStep(model, helper)
        try:
            yield step
        finally:
            step.close()


def run_epoch(model, step: TrainingStep, feeder: BatchFeeder, accuracy, callbacks: CallbackList,
              epoch: int, verbose, bar) -> dict | None:
    """Train on every batch of one epoch; returns the epoch's logs (None if no batch trained)."""
    loss_sum = acc_sum = 0.0
    seen = 0
    logs = None
    for index in range(feeder.steps):
        xb, yb = feeder.batch(index)
        callbacks.on_train_batch_begin(index)
        loss, acc = step.train_batch(feeder, index, xb, yb, accuracy)
        if not math.isfinite(loss):
            model.stop_training, model.stop_reason = True, "nan"
            model.stop_cause, model.stop_message = explain_non_finite_loss(model, epoch, index, loss, xb, yb)
            if verbose:
                print(model.stop_message, flush=True)
            break
        size = len(xb)
        seen += size
        loss_sum += loss * size
        logs = {"loss": loss_sum / seen}
        if accuracy:
            acc_sum += acc * size
            logs["accuracy"] = acc_sum / seen
        callbacks.on_train_batch_end(index, {**logs, "batch_loss": loss, "batch_accuracy": acc, "size": size})
        if bar:
            bar.update(index + 1, logs)
        if model.stop_training:
            break
    if logs is not None and model.stop_reason != "nan" and not model.weights_finite:
        # the epoch's last update, from a finite loss, broke the weights: no next batch will say so
        model.stop_training, model.stop_reason = True, "nan"
        model.stop_cause, why = _broken_weights_cause(model, first_batch=False)
        model.stop_message = (
            f"Epoch {epoch + 1}, batch {index + 1}: the loss was {loss:.4g}, but the update made the weights "
            f"NaN or infinite. Training stopped: the weights cannot be used; reset them before training "
            f"again. Cause: {why}."
        )
        if verbose:
            print(model.stop_message, flush=True)
    return logs


def _broken_weights_cause(model, first_batch: bool) -> tuple[str, str]:
    """Why the weights are NaN or infinite: ``(cause, explanation)``."""
    optimizer = model.optimizer
    if first_batch:
        return "weights_before_run", "they were already NaN or infinite when this run started"
    if getattr(optimizer, "epsilon", None) == 0 and not getattr(optimizer, "initial_accumulator_value", 0):
        return "optimizer_division", (
            "the optimizer divided 0 by 0 in the last update (epsilon is 0 and some weights, such as "
            "those of always-black pixels, always get a zero gradient); use an epsilon > 0")
    return "update_overflow", "the last update, from a finite loss, overflowed: the learning rate is probably too high"


def explain_non_finite_loss(model, epoch: int, index: int, loss: float, xb, yb) -> tuple[str, str]:
    """Why batch ``index`` of ``epoch`` gave a NaN or infinite ``loss``: ``(cause, message)``.

    The step updated nothing, so the weights are those from before this batch, but an earlier
    update (whose loss was finite) may already have made them NaN or infinite: the weights are
    checked before the message says they were kept. ``cause`` is one of "inputs", "targets",
    "learning_rate", "overflow" (weights finite), or "weights_before_run", "optimizer_division",
    "update_overflow" (weights not finite: unusable until they are reset).
    """
    where = f"Epoch {epoch + 1}, batch {index + 1}: the loss became {loss}."
    first_batch = index == 0 and not (model.history is not None and model.history.epoch)
    if not model.weights_finite:
        cause, why = _broken_weights_cause(model, first_batch)
        return cause, (f"{where} Training stopped: the weights are NaN or infinite and cannot be used; "
                       f"reset them before training again. Cause: {why}.")
    if not np.isfinite(xb).all():
        cause, why = "inputs", "the input batch contains NaN or infinite values"
    elif np.issubdtype(yb.dtype, np.inexact) and not np.isfinite(yb).all():
        cause, why = "targets", "the targets (labels) of this batch contain NaN or infinite values"
    elif first_batch:
        cause, why = "overflow", "the network's outputs overflowed before any update in this run (very large weights or inputs)"
    else:
        cause, why = "learning_rate", "the learning rate is probably too high"
    return cause, f"{where} Training stopped and the weights from before this batch were kept: {why}."

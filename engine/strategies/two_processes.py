"""Two processes: a forked copy of the engine takes half of the first layer's rows (opt-in).

Threads of one Python process take turns holding its interpreter lock: each of the dozen NumPy
calls of an optimizer's update hands it over, so an update never runs faster on two threads, and
every hand-over may wait for a wake-up. A second *process* has its own lock. On Linux (x86-64)
``fit`` forks one, a copy of the engine at that moment, which shares with the trainer only arrays
in an anonymous shared mapping (``shared_memory.SharedArena``):

* the first layer's kernel, its gradient and its optimizer slots (they move into shared memory
  the first time, and stay there): the second process owns rows ``[k, end)``, the trainer
  rows ``[0, k)``;
* the columns ``[k, end)`` of the batch, the layer's ``dz``, the second process's term of the
  product, and a small control block (the command, the batch's size, the optimizer's
  ``iterations`` and hyperparameters, an error message).

Three operations of a step are cut in two this way, each half on its own core:

* ``matmul(x, kernel)``      ``x[:, :k] . kernel[:k]`` here + ``x[:, k:] . kernel[k:]`` there;
* ``matmul_at_b(x, dz)``     rows ``[:k]`` of the kernel's gradient here, rows ``[k:]`` there;
* ``update(kernel)``         the optimizer's rule on rows ``[:k]`` here, on rows ``[k:]`` there.

Every other operation runs in the trainer, as in ``serial``. With its update the second process
also gets the next batch's columns (the trainer gathers that batch a little early), and
multiplies them by its freshly updated rows while the trainer finishes the step: the next
forward pass then finds its half of the product made. It is used only if nobody wrote to those
rows in between (a callback's ``set_weights``: a sample of them must still match); otherwise the
trainer multiplies them itself. Each side waits for the other by re-reading a counter in shared
memory (microseconds); the second process sleeps on a pipe when no command has come for a few
milliseconds.

Opt-in (``ENGINE_STRATEGY=two_processes``): it needs Linux on x86-64, two cores, ``fit`` on the
main thread (a GUI trains on a worker thread, and a forked copy of a process whose other threads
hold locks can deadlock; the copy here only runs NumPy on arrays it already has), and a first
layer with a big kernel. Ctrl+C ends the second process before ``KeyboardInterrupt`` reaches the
caller.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import os
import platform
import select
import signal
import sys
import threading
import time
import traceback
import warnings

import numpy as np

from engine import blas, ops, training
from engine.strategies.base import Strategy
from engine.strategies.blas_threads import cores
from engine.strategies.shared_memory import SharedArena, interrupts_held, is_shared, spin_until

MIN_WORK = 1 << 17  # multiply-adds per sample of the first layer's kernel: below, one process
SPIN_SECONDS = 0.003  # how long the second process spins for the next command before it sleeps
STALL_SECONDS = 30.0  # a command not done in this time means the second process is stuck
SAMPLE_SIZE = 512  # kernel values compared to tell that nobody wrote to the kernel meanwhile
_SEQ, _COMMAND, _ROWS, _DONE, _FAILED, _UPDATED, _AHEAD_ROWS = range(7)  # the control block: int64 each
_PRODUCT, _GRADIENT, _UPDATE, _EXIT = 1, 2, 3, 4
_ERROR_BYTES = 4096


class SecondProcessError(RuntimeError):
    """The second process failed or died; the message says how."""


class TwoProcesses(Strategy):
    """Half of the first layer's rows in a forked second process; everything else here."""

    name = "two_processes"

    def __init__(self, min_work: int = MIN_WORK):
        self.min_work = min_work
        self._second: _SecondProcess | None = None
        self._running = self._tried = False
        self._step = None  # (feeder, step) of the batch in training

    def supports(self, model) -> tuple[bool, str]:
        if not (sys.platform.startswith("linux") and platform.machine().lower() in ("x86_64", "amd64")):
            return False, "a second process needs Linux on x86-64 (its waits rely on x86's ordered stores)"
        if cores() < 2:
            return False, "this machine gives the process one core"
        if not blas.available():
            return False, "NumPy's BLAS cannot be told to use one thread per product (not OpenBLAS)"
        if threading.current_thread() is not threading.main_thread():
            return False, ("fit runs on a thread other than the main one (a GUI's worker): a forked copy of a "
                           "process whose other threads hold locks can deadlock")
        kernel = _first_kernel(model)
        if kernel is None:
            return False, "the first layer has no 2-D kernel (a Dense layer) to share"
        if kernel.size < self.min_work:
            return False, (f"the first layer's kernel has {kernel.size:,} weights, fewer than {self.min_work:,}: "
                           "handing half over would cost more than it saves")
        return True, (f"{cores()} cores: a second process takes rows [{kernel.shape[0] // 2}, {kernel.shape[0]}) "
                      "of the first layer's products and updates")

    @contextlib.contextmanager
    def running(self):
        with blas.single_threaded(), ops.using(self):
            self._running, self._tried = True, False
            try:
                yield self
            finally:
                self._running, self._step = False, None
                with interrupts_held():
                    second, self._second = self._second, None
                    if second is not None:
                        second.close()

    def train_step(self, model, x, y, accuracy=None):
        if not self._tried and self._running:  # the first step forks the second process
            self._tried = True
            if self.supports(model)[0] and hasattr(os, "fork") and len(_first_kernel(model)) >= 2:
                with interrupts_held():
                    self._second = _SecondProcess.start(model, rows=max(len(x), 256))
        if self._second is not None:
            self._second.check()
            self._second.new_step()
        return training.train_step(model, x, y, accuracy)

    def batch(self, feeder, step: int):
        self._step = (feeder, step)
        return feeder.batch(step)

    def _next_batch_x(self):
        """The next step's ``x``, gathered now (it is kept for that step), or None at an epoch's end."""
        if self._step is None:
            return None
        feeder, step = self._step
        return feeder.batch(step + 1)[0] if step + 1 < feeder.steps else None

    # ----- the operations ---------------------------------------------------------------------
    def matmul(self, a, b, out=None):
        second = self._second
        if (second is None or b is not second.kernel or a.ndim != 2 or a.shape[1] != len(b)
                or len(a) > second.capacity or a.dtype != b.dtype):
            return np.matmul(a, b, out=out)  # not the first layer's kernel, or a batch that does not fit
        k, rows = second.k, len(a)
        if out is None:
            out = np.empty((rows, b.shape[1]), np.result_type(a, b))
        sample = second.made_ahead(a)  # its rows as they were when it made its half, or None
        if sample is None:
            second.post_product(a)
        np.matmul(a[:, :k], b[:k], out=out)
        second.wait()
        if sample is not None and not np.array_equal(second.sample(), sample):
            out += a[:, k:] @ b[k:]  # someone wrote to the kernel since: that half is stale
        else:
            out += second.term[:rows]
        return out

    def matmul_at_b(self, a, b, out=None):
        second = self._second
        if (second is None or out is not second.gradient or a.shape != (len(b), len(out))
                or len(a) > second.capacity or a.dtype != out.dtype or b.dtype != out.dtype):
            return np.matmul(a.T, b, out=out)  # every row here (the second process updates from them)
        second.post_gradient(a, b)
        np.matmul(a[:, :second.k].T, b, out=out[:second.k])
        second.wait()
        return out

    def update(self, rule, gradient, variable, slots) -> None:
        second = self._second
        if second is None or variable is not second.kernel or gradient is not second.gradient:
            rule(gradient, variable, slots)
            return
        x_next = self._next_batch_x()
        second.post_update(x_next if x_next is not None and x_next.dtype == variable.dtype else None)
        rule(gradient[:second.k], variable[:second.k], slots.rows(0, second.k))
        second.wait_updated()


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _first_kernel(model):
    """The first layer's 2-D kernel, if its first layer has one and sees the model's input."""
    layers = getattr(model, "layers", [])
    if not layers or not getattr(layers[0], "params", None):
        return None
    kernel = layers[0].params[0]
    return kernel if kernel.ndim == 2 else None


def _move_into_shared_memory(model) -> tuple[np.ndarray, np.ndarray, object]:
    """Put the first layer's kernel, its gradient and its optimizer slots in shared memory (once;
    they stay there) and point every reference at the shared arrays. Returns them."""
    layer, optimizer = model.layers[0], model.optimizer
    kernel, gradient = layer.params[0], layer.grads[0]
    if optimizer._variables is None or len(optimizer._variables) != len(model._params) or any(
            a is not b for a, b in zip(optimizer._variables, model._params)):
        optimizer.build(model._params)  # the slots exist before the copy is made
    index = next(i for i, v in enumerate(optimizer._variables) if v is kernel)
    slots = optimizer.slots[index]
    moving = [a for a in (kernel, gradient, *(getattr(slots, n) for n in slots.names)) if not is_shared(a)]
    if moving:
        arena = SharedArena(SharedArena.bytes_for(*((a.shape, a.dtype) for a in moving)))
        shared = {id(a): arena.copy(a) for a in moving}
        new_kernel, new_gradient = shared.get(id(kernel), kernel), shared.get(id(gradient), gradient)
        _replace(layer, model, optimizer, kernel, new_kernel)
        _replace(layer, model, optimizer, gradient, new_gradient)
        for name in slots.names:
            value = getattr(slots, name)
            setattr(slots, name, shared.get(id(value), value))
        slots._pieces.clear()
        kernel, gradient = new_kernel, new_gradient
    return kernel, gradient, slots


def _replace(layer, model, optimizer, old: np.ndarray, new: np.ndarray) -> None:
    if old is new:
        return
    for name, value in list(vars(layer).items()):
        if value is old:
            setattr(layer, name, new)
    for arrays in (layer.params, layer.grads, layer.all_weights, model._params, model._grads, optimizer._variables):
        for i, value in enumerate(arrays):
            if value is old:
                arrays[i] = new


class _SecondProcess:
    """The trainer's handle on the forked second process; the child runs ``_serve``."""

    @classmethod
    def start(cls, model, rows: int) -> "_SecondProcess":
        kernel, gradient, slots = _move_into_shared_memory(model)
        return cls(model.optimizer, kernel, gradient, slots, rows)

    def __init__(self, optimizer, kernel, gradient, slots, rows: int):
        self.optimizer, self.kernel, self.gradient, self.slots = optimizer, kernel, gradient, slots
        self.k = len(kernel) // 2  # rows [0, k) here, [k, end) there (a 45/55 split measured slower)
        self.names = [name for name, value in optimizer.get_config().items()
                      if isinstance(value, (int, float)) and not isinstance(value, bool) and hasattr(optimizer, name)]
        width, units = kernel.shape[0] - self.k, kernel.shape[1]
        arena = SharedArena(SharedArena.bytes_for(((16,), np.int64), ((1 + len(self.names),), np.float64),
                                                  ((_ERROR_BYTES,), np.uint8)))
        self.control = arena.zeros((16,), np.int64)
        self.hyperparameters = arena.zeros((1 + len(self.names),), np.float64)
        self.error = arena.zeros((_ERROR_BYTES,), np.uint8)
        self.capacity = rows  # the largest batch shared with the second process (larger: all here)
        arena = SharedArena(SharedArena.bytes_for(((rows, width), kernel.dtype), ((rows, units), kernel.dtype),
                                                  ((rows, units), kernel.dtype)))
        self.x = arena.empty((rows, width), kernel.dtype)
        self.dz = arena.empty((rows, units), kernel.dtype)
        self.term = arena.empty((rows, units), kernel.dtype)
        self._seq, self._closed = 0, False
        self._x_holds = None  # (address, rows) of the batch whose columns [k:] are in self.x
        self._ahead = None  # (address, rows, sample of rows [k:]) of the product made ahead
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+ warns of forking with threads
            pid = os.fork()
        if pid == 0:  # the second process
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the trainer's to handle
                os.close(write_end)
                code = self._serve(read_end)
            finally:
                os._exit(code)  # never the parent's exit handlers (pytest, Qt...)
        os.close(read_end)
        fcntl.fcntl(write_end, fcntl.F_SETFL, fcntl.fcntl(write_end, fcntl.F_GETFL) | os.O_NONBLOCK)
        self.pid, self._wake = pid, write_end

    # ----- the trainer's side -----------------------------------------------------------------
    def check(self) -> None:
        """Raise if the second process failed or died."""
        if self.control[_FAILED]:
            message = bytes(self.error).rstrip(b"\0").decode("utf-8", "replace")
            raise SecondProcessError(f"the engine's second process failed:\n{message}")

    def new_step(self) -> None:
        """A step begins: the columns in shared memory are this step's batch only if they were
        shared ahead, from the batch buffer the step now trains on (an address alone does not
        say: a buffer is refilled, and freed memory is reused for new arrays)."""
        if self._ahead is None:
            self._x_holds = None

    def _share_columns(self, x: np.ndarray) -> None:
        """Put columns ``[k:]`` of ``x`` where the second process reads them (unless they are there)."""
        holds = (_address(x), len(x))
        if self._x_holds != holds:
            self.wait()  # the second process may still be reading the last ones
            np.copyto(self.x[:len(x)], x[:, self.k:])
            self._x_holds = holds

    def post_product(self, x: np.ndarray) -> None:
        self._share_columns(x)
        self._post(_PRODUCT, len(x))

    def post_gradient(self, x: np.ndarray, dz: np.ndarray) -> None:
        self._share_columns(x)
        self.wait()
        np.copyto(self.dz[:len(dz)], dz)
        self._post(_GRADIENT, len(x))

    def post_update(self, x_next: np.ndarray | None) -> None:
        """The update of rows ``[k:]``, then (``x_next`` not None) their product with the next batch."""
        self._ahead = None
        if x_next is not None and len(x_next) <= self.capacity:
            x_next = x_next.reshape(len(x_next), -1)
            self._share_columns(x_next)
            self._ahead = (_address(x_next), len(x_next), None)
        self.wait()
        h, optimizer = self.hyperparameters, self.optimizer
        h[0] = optimizer.iterations
        for i, name in enumerate(self.names, 1):
            h[i] = getattr(optimizer, name)
        self.control[_AHEAD_ROWS] = self._ahead[1] if self._ahead else 0
        self._post(_UPDATE, 0)

    def wait_updated(self) -> None:
        """Wait until the second process has updated its rows (its product may still run)."""
        c = self.control
        if not spin_until(lambda: c[_UPDATED], self._seq, self._alive, STALL_SECONDS):
            self.wait()  # says why (dead or stuck)
        self.check()
        if self._ahead is not None:
            self._ahead = (*self._ahead[:2], self.sample())

    def made_ahead(self, x: np.ndarray) -> np.ndarray | None:
        """If the second process's half of ``x . kernel`` was made with its update: a sample of its
        rows as they were then (to tell whether anyone wrote to them since); else None."""
        ahead, self._ahead = self._ahead, None
        if ahead is None or (_address(x), len(x)) != ahead[:2]:
            return None
        return ahead[2]

    def sample(self) -> np.ndarray:
        """A few of the values of rows ``[k:]`` of the kernel (a copy)."""
        rows = self.kernel[self.k:].reshape(-1)
        return rows[:: max(1, rows.size // SAMPLE_SIZE)].copy()

    def _post(self, command: int, rows: int) -> None:
        """Hand the second process a command (the last one must be done: ``wait``)."""
        c = self.control
        c[_COMMAND], c[_ROWS] = command, rows
        self._seq += 1
        c[_SEQ] = self._seq  # last: the second process reads the fields once it sees this move
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake, b"\0")  # wakes it if it sleeps; a full pipe wakes it too

    def wait(self) -> None:
        """Wait until the second process has done the last command; raise if it failed or died."""
        c = self.control
        if not spin_until(lambda: c[_DONE], self._seq, self._alive, STALL_SECONDS):
            if self._alive():
                self.close(kill=True)
                raise SecondProcessError(
                    f"the engine's second process stopped responding (nothing done in {STALL_SECONDS:.0f} s)")
            self._closed = True
            raise SecondProcessError("the engine's second process died during training (killed, or out of memory?)")
        self.check()

    def close(self, kill: bool = False) -> None:
        """Let the second process finish its command and exit, and wait for it (``kill``: do not)."""
        if self._closed:
            return
        self._closed = True
        if not kill:
            spin_until(lambda: self.control[_DONE], self._seq, self._alive, 5.0)
        else:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self._post(_EXIT, 0)
        with contextlib.suppress(OSError):
            os.close(self._wake)
        deadline = time.monotonic() + 5.0
        while True:
            try:
                pid, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return
            if pid or time.monotonic() > deadline:
                break
            time.sleep(0.001)
        if not pid:  # stuck: it holds nothing the trainer needs
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)

    def _alive(self) -> bool:
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return pid == 0

    # ----- the second process's side ----------------------------------------------------------
    def _serve(self, wake: int) -> int:
        gc.disable()  # this loop allocates almost nothing; a collection would copy shared pages
        fcntl.fcntl(wake, fcntl.F_SETFL, fcntl.fcntl(wake, fcntl.F_GETFL) | os.O_NONBLOCK)
        parent = os.getppid()
        alive = lambda: os.getppid() == parent  # noqa: E731
        k, c = self.k, self.control
        rows_of = (self.kernel[k:], self.gradient[k:], self.slots.rows(k, len(self.kernel)))
        kernel, gradient, slots = rows_of
        seq = 0
        while True:
            seq += 1
            while not spin_until(lambda: c[_SEQ], seq, alive, SPIN_SECONDS):
                if not alive():
                    return 0
                _sleep_on(wake, lambda: c[_SEQ] >= seq)
            command, rows = int(c[_COMMAND]), int(c[_ROWS])
            if command == _EXIT:
                return 0
            try:
                if command == _PRODUCT:
                    np.matmul(self.x[:rows], kernel, out=self.term[:rows])
                elif command == _GRADIENT:
                    np.matmul(self.x[:rows].T, self.dz[:rows], out=gradient)
                elif command == _UPDATE:
                    self._follow_the_optimizer()
                    self.optimizer.update_step(gradient, kernel, slots)
                    c[_UPDATED] = seq
                    ahead = int(c[_AHEAD_ROWS])
                    if ahead:  # the next batch's half of the product, with the fresh rows
                        np.matmul(self.x[:ahead], kernel, out=self.term[:ahead])
            except BaseException:  # reported to the trainer, which raises it
                text = traceback.format_exc().encode("utf-8", "replace")[:_ERROR_BYTES - 1]
                self.error[:len(text)] = np.frombuffer(text, np.uint8)
                c[_FAILED] = 1
            c[_UPDATED] = seq
            c[_DONE] = seq

    def _follow_the_optimizer(self) -> None:
        """Take the trainer's ``iterations`` and hyperparameters (a callback may change them)."""
        h, optimizer = self.hyperparameters, self.optimizer
        optimizer.iterations = int(h[0])
        for i, name in enumerate(self.names, 1):
            if getattr(optimizer, name) != h[i]:
                setattr(optimizer, name, float(h[i]))


def _sleep_on(fd: int, ready) -> None:
    """Sleep until a byte arrives on the pipe ``fd`` (or a second passes), unless ``ready()``."""
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 4096):  # drain the wake-ups of commands seen while spinning
            pass
    if ready():
        return
    try:
        select.select([fd], [], [], 1.0)
    except OSError as error:
        if error.errno != errno.EINTR:
            raise

"""Two cores without one GIL: a forked copy of the engine takes half of the first layer's work.

``engine.parallel`` shares a step with a helper *thread*. Threads take turns holding Python's
interpreter lock: each of the dozen NumPy calls in a step hands it over twice, and on a virtual
machine a thread that finds it taken sleeps for a wake-up of tens of microseconds. The step's
small NumPy calls run four times slower while the other thread works, and starting and joining
the helper costs two more wake-ups.

A process has its own interpreter lock. On Linux ``fit`` forks a *second process*, a copy of the
engine at that moment, which then shares with the trainer only the arrays that live in one
anonymous shared memory mapping (``SharedArena``):

* the first layer's kernel: the second process updates rows ``[k, end)``, the trainer rows
  ``[0, k)``, and both read all of it;
* the optimizer's slots for rows ``[k, end)`` (e.g. RMSprop's running average);
* each epoch's shuffled order: the second process gathers its own copy of each batch from the
  training data it inherited;
* the layer's ``dz`` (the gradient with respect to its pre-activation output) for the batch,
  written by the trainer;
* the second process's term of the next batch's product ``x[:, k:] @ kernel[k:]``;
* a small control block: which batch, whether its loss is finite, the optimizer's
  ``iterations`` and hyperparameters, and an error message.

A step, once the trainer has back-propagated ``dz``: both processes compute their rows of
dL/dkernel, update those rows (only if the loss is finite), gather the next batch and multiply it
by their fresh rows; the trainer also measures the loss and updates every other weight. Each side
waits for the other by spinning on the control block (a wait is a few microseconds, not a
wake-up); the second process sleeps on a pipe when no batch has come for a few milliseconds.

Spinning relies on x86-64's ordered stores: a process that sees a sequence number change also
sees everything written before it. Other machines, and NumPy without OpenBLAS, use the thread.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import mmap
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

from engine import parallel

SPIN_SECONDS = 0.003  # how long the second process spins for the next batch before it sleeps
STALL_SECONDS = 30.0  # a step that takes longer than this means the second process is stuck

# the control block: one int64 each
_COMMAND_SEQ, _COMMAND, _EPOCH, _STEP, _ROWS, _NEXT, _NEXT_ROWS, _GO_SEQ, _FINITE, _DONE_SEQ, _FAILED = range(11)
_CONTROL_SIZE = 16
_STEP_COMMAND, _EXIT_COMMAND = 1, 2
_ERROR_BYTES = 4096


_this_thread = threading.local()


@contextlib.contextmanager
def disabled():
    """Within this block, ``fit`` on this thread keeps to the helper thread (``engine.parallel``).

    The app trains this way: a second process that spins on the other core leaves the UI thread
    no core of its own, and its frames come late (measured by ``python -m playground.bench``).
    """
    before = getattr(_this_thread, "off", False)
    _this_thread.off = True
    try:
        yield
    finally:
        _this_thread.off = before


def supported() -> bool:
    """Whether this machine can train with a second process (see the module's docstring)."""
    return (
        not getattr(_this_thread, "off", False)
        and sys.platform.startswith("linux")
        and platform.machine().lower() in ("x86_64", "amd64")
        and hasattr(os, "fork")
        and os.environ.get("ENGINE_PROCESSES", "2") != "0"
        and parallel.enabled()
        and len(os.sched_getaffinity(0)) >= 2
    )


class SecondProcessError(RuntimeError):
    """The second process failed or died; the message says how."""


class SharedArena:
    """Arrays carved from one anonymous shared mapping, which a forked child shares with us."""

    ALIGN = 64  # one cache line

    def __init__(self, nbytes: int):
        self._map = mmap.mmap(-1, max(int(nbytes), 1))  # MAP_SHARED | MAP_ANONYMOUS
        self._used = 0

    @classmethod
    def bytes_for(cls, *arrays: tuple[tuple[int, ...], object]) -> int:
        """The size of an arena that holds arrays of these ``(shape, dtype)``."""
        return sum(int(np.prod(shape)) * np.dtype(dtype).itemsize + cls.ALIGN for shape, dtype in arrays)

    def empty(self, shape, dtype) -> np.ndarray:
        shape, dtype = tuple(int(s) for s in shape), np.dtype(dtype)
        count = int(np.prod(shape))
        start = -(-self._used // self.ALIGN) * self.ALIGN
        end = start + count * dtype.itemsize
        if end > len(self._map):
            raise MemoryError(f"the shared arena is full ({len(self._map)} bytes)")
        self._used = end
        return np.frombuffer(self._map, dtype, count, start).reshape(shape)

    def zeros(self, shape, dtype) -> np.ndarray:
        array = self.empty(shape, dtype)
        array[...] = 0
        return array

    def copy(self, array: np.ndarray) -> np.ndarray:
        shared = self.empty(array.shape, array.dtype)
        shared[...] = array
        return shared


def _spin_until(read, at_least: int, alive, give_up_seconds: float | None = None, share: bool = False) -> bool:
    """Spin until ``read() >= at_least``; calls ``alive()`` now and then (False stops the wait).

    After ``give_up_seconds`` (None: never) returns False, so that the caller can sleep instead.
    After a millisecond it yields the core between checks, in case both processes share one.
    ``share``: yield at every check, which also lets this process's other threads take the GIL.
    """
    start = None
    spins = 0
    while read() < at_least:
        spins += 1
        if share:
            os.sched_yield()  # releases the GIL
        if spins & 1023 == 0:
            now = time.perf_counter()
            start = start or now
            if not alive():
                return False
            if give_up_seconds is not None and now - start > give_up_seconds:
                return False
            if now - start > 0.001:
                os.sched_yield()
    return True


class SecondProcess:
    """The trainer's handle on the forked second process; the child runs ``_serve``.

    ``layer`` is the first Dense layer, whose kernel must already live in ``arena``; ``part`` is
    the optimizer's index of the kernel's rows ``[k, end)`` (their slots must live in ``arena``
    too); ``x`` and ``batch_size`` are the training data and batch size (the child gathers its own
    batches); ``order``, ``dz`` and ``term`` are arena arrays.
    """

    def __init__(self, arena: SharedArena, layer, optimizer, part: int, x: np.ndarray, batch_size: int,
                 order: np.ndarray, dz: np.ndarray, term: np.ndarray):
        self.arena, self.layer, self.optimizer, self.part = arena, layer, optimizer, part
        self.order, self.dz, self.term = order, dz, term
        self.hyperparameter_names = self._hyperparameter_names(optimizer)
        (control, _), (hyperparameters, _), (error, _) = self.shared_arrays(optimizer)
        self.control = arena.zeros(control, np.int64)
        self.hyperparameters = arena.zeros(hyperparameters, np.float64)
        self.error = arena.zeros(error, np.uint8)
        self._x, self._batch_size = x, batch_size
        self._seq = 0
        self._exited = False
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns that forking a process with threads may deadlock the child: this
            # child takes no lock the trainer's other threads could hold (it only runs NumPy).
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                os.close(write_end)
                code = self._serve(read_end)
            finally:
                os._exit(code)  # never run the parent's exit handlers (Qt, pytest...)
        os.close(read_end)
        fcntl.fcntl(write_end, fcntl.F_SETFL, fcntl.fcntl(write_end, fcntl.F_GETFL) | os.O_NONBLOCK)
        self.pid, self._wake = pid, write_end

    @staticmethod
    def _hyperparameter_names(optimizer) -> list[str]:
        return [name for name, value in optimizer.get_config().items()
                if isinstance(value, (int, float)) and not isinstance(value, bool) and hasattr(optimizer, name)]

    @classmethod
    def shared_arrays(cls, optimizer) -> list[tuple[tuple[int, ...], object]]:
        """The (shape, dtype) of the arrays this class adds to the arena: control, hyperparameters
        (``iterations`` first), error message."""
        return [((_CONTROL_SIZE,), np.int64), ((1 + len(cls._hyperparameter_names(optimizer)),), np.float64),
                ((_ERROR_BYTES,), np.uint8)]

    # ----- the trainer's side -------------------------------------------------------------------
    def post_step(self, epoch: int, step: int, rows: int, next_step: int, next_rows: int) -> None:
        """Start the second process on batch ``step`` (its ``dz`` is in place); ``next_step`` is
        the batch to multiply ahead by the updated rows (-1: none)."""
        c = self.control
        c[_EPOCH], c[_STEP], c[_ROWS], c[_NEXT], c[_NEXT_ROWS] = epoch, step, rows, next_step, next_rows
        h, optimizer = self.hyperparameters, self.optimizer
        h[0] = optimizer.iterations
        for i, name in enumerate(self.hyperparameter_names, 1):
            h[i] = getattr(optimizer, name)
        c[_COMMAND] = _STEP_COMMAND
        self._post()

    def post_go(self, finite: bool) -> None:
        """Tell the second process whether the batch's loss is finite (then it updates its rows)."""
        self.control[_FINITE] = int(finite)
        self.control[_GO_SEQ] = self._seq

    def wait_done(self) -> None:
        """Wait until the second process has finished the step; raise if it failed or died."""
        c, seq = self.control, self._seq
        if not _spin_until(lambda: c[_DONE_SEQ], seq, self._alive, STALL_SECONDS, share=True):
            if self._alive():
                self.close(kill=True)
                raise SecondProcessError(
                    f"the engine's second process stopped responding (no step done in {STALL_SECONDS:.0f} s)")
            self._exited = True
            raise SecondProcessError("the engine's second process died during training (killed, or out of memory?)")
        if c[_FAILED]:
            message = bytes(self.error).rstrip(b"\0").decode("utf-8", "replace")
            raise SecondProcessError(f"the engine's second process failed:\n{message}")

    def close(self, kill: bool = False) -> None:
        """Let the second process exit and wait for it (``kill``: do not wait)."""
        if self._exited:
            return
        self._exited = True
        if kill:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
        self.post_go(False)  # in case a step was posted and then abandoned (an exception in between)
        self.control[_COMMAND] = _EXIT_COMMAND
        with contextlib.suppress(OSError):
            self._post()
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

    def _post(self) -> None:
        self._seq += 1
        self.control[_COMMAND_SEQ] = self._seq
        try:
            os.write(self._wake, b"\0")  # wakes the child if it sleeps; a full pipe wakes it too
        except BlockingIOError:
            pass

    def _alive(self) -> bool:
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return pid == 0

    # ----- the second process's side ------------------------------------------------------------
    def _serve(self, wake: int) -> int:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the trainer's to handle
        gc.disable()  # this loop allocates almost nothing; collections would copy shared pages
        fcntl.fcntl(wake, fcntl.F_SETFL, fcntl.fcntl(wake, fcntl.F_GETFL) | os.O_NONBLOCK)
        parent = os.getppid()
        alive = lambda: os.getppid() == parent  # noqa: E731
        self._batches = [np.empty((self._batch_size, *self._x.shape[1:]), self._x.dtype) for _ in range(2)]
        self._holds = [None, None]
        self._k = parallel.split_row(self.layer.kernel.shape[0])
        self._rows = self.layer.kernel[self._k:]
        self._gradient = np.empty_like(self._rows)
        c = self.control
        seq = 0
        while True:
            seq += 1
            # yielding while spinning gives the core to any thread that wants it (the app's UI)
            while not _spin_until(lambda: c[_COMMAND_SEQ], seq, alive, SPIN_SECONDS, share=True):
                if not alive():
                    return 0
                _sleep_on(wake, lambda: c[_COMMAND_SEQ] >= seq)
            if c[_COMMAND] == _EXIT_COMMAND:
                return 0
            try:
                self._step(seq, alive)
            except BaseException:  # reported to the trainer, which raises it
                text = traceback.format_exc().encode("utf-8", "replace")[:_ERROR_BYTES - 1]
                self.error[:len(text)] = np.frombuffer(text, np.uint8)
                c[_FAILED] = 1
            c[_DONE_SEQ] = seq

    def _step(self, seq: int, alive) -> None:
        c = self.control
        epoch, step, rows, next_step, next_rows = (int(c[i]) for i in (_EPOCH, _STEP, _ROWS, _NEXT, _NEXT_ROWS))
        x = self._batch(epoch, step, rows)
        np.matmul(x[:, self._k:].T, self.dz[:rows], out=self._gradient)  # our rows of dL/dkernel
        if not _spin_until(lambda: c[_GO_SEQ], seq, alive):
            raise SystemExit(0)
        if c[_FINITE]:
            self._follow_the_optimizer()
            self.optimizer.update_step(self._gradient, self._rows, self.part)
        if next_step >= 0:
            x = self._batch(epoch, next_step, next_rows)
            np.matmul(x[:, self._k:], self._rows, out=self.term[:next_rows])

    def _follow_the_optimizer(self) -> None:
        """Take the trainer's ``iterations`` and hyperparameters (a callback may change them)."""
        h, optimizer = self.hyperparameters, self.optimizer
        optimizer.iterations = int(h[0])
        for i, name in enumerate(self.hyperparameter_names, 1):
            if getattr(optimizer, name) != h[i]:
                setattr(optimizer, name, float(h[i]))

    def _batch(self, epoch: int, step: int, rows: int) -> np.ndarray:
        """Batch ``step`` of this epoch as ``(rows, features)``, gathered into our own buffer."""
        slot = step % 2
        buffer = self._batches[slot]
        if self._holds[slot] != (epoch, step):
            start = step * self._batch_size
            np.take(self._x, self.order[start:start + rows], axis=0, out=buffer[:rows], mode="clip")
            self._holds[slot] = (epoch, step)
        return buffer[:rows].reshape(rows, -1)


def _sleep_on(fd: int, ready) -> None:
    """Sleep until a byte arrives on the pipe ``fd`` (or a second passes), unless ``ready()``."""
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 4096):  # drain the wake-ups of batches we saw while spinning
            pass
    if ready():
        return
    try:
        select.select([fd], [], [], 1.0)
    except OSError as error:
        if error.errno != errno.EINTR:
            raise

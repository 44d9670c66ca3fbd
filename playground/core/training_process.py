"""``fit`` in a process of its own, so that the window never waits for the trainer's threads.

Python runs one thread at a time in a process (its interpreter lock). Trained on a thread of the
window's process, the engine's two threads held that lock so often that the window's UI thread
waited for it tens of milliseconds at a time: the longest pauses of the window while it trained.
Trained in a child process, ``fit`` has the lock of that process to itself, and the window waits
only for a core (measured with ``python -m playground.bench``: see the README's Speed section).

The window's side is ``playground.training.process_worker``; this module is the child's side and
what both share, without Qt (the child never imports it):

* ``job_for(...)``: everything ``fit`` needs, as the child receives it: the model (config,
  weights, compile settings, the optimizer's state), the prepared tensors in shared memory
  (``playground.core.shared_tensors``: no copy through a pipe), ``fit``'s arguments, the engine's
  random state and the strategy asked for.
* ``train(conn, control, job)``: the child's whole life. It trains with the app's own
  ``ProgressCallback`` and ``LossWatch``; their ``worker`` is a ``Messages`` object whose
  ``progressed.emit(news)`` sends ``("progressed", (news,))`` down the pipe, where the window's
  worker emits the same Qt signal. When ``fit`` ends it sends the model's state back
  (``("trained", state)``), so that the window's model goes on from there (Continue), then
  evaluates on the test set, and always ends with ``("finished", reason)``. Each epoch's news
  carries the optimizer's state beside the weights: a child that dies leaves the window's network
  at the last epoch the window saw end.
"""
from __future__ import annotations

import os
import signal
import traceback

import engine
from playground.core.shared_tensors import SharedTensors, attach, release

ORPHAN_CHECK_SECONDS = 1.0  # a paused child checks this often that the window still exists


# ----- the model, there and back -------------------------------------------------------------------
def model_state(model) -> dict:
    """What rebuilds ``model`` elsewhere and trains it on as if it had never moved."""
    return {"config": model.get_config(), "optimizer": model.optimizer.get_config(), "loss": model.loss.name,
            "metrics": list(model.metrics), **training_state(model)}


def rebuild(state: dict):
    """The model ``model_state`` describes, compiled, its optimizer where it was."""
    model = engine.Sequential.from_config(state["config"])
    model.set_weights(state["weights"])
    model.compile(optimizer=engine.optimizers.deserialize(state["optimizer"]), loss=state["loss"],
                  metrics=state["metrics"] or None)
    model.optimizer.set_state(state["optimizer_state"], model.trainable_weights)
    return model


def take_state(model, state: dict) -> None:
    """Make ``model`` what ``state`` (from the child, or ``training_state``) describes: its
    weights and optimizer."""
    model.set_weights(state["weights"])
    model.optimizer.set_state(state["optimizer_state"], model.trainable_weights)


def training_state(model) -> dict:
    """A copy of what training changes in ``model``: its weights and its optimizer's state."""
    return {"weights": model.get_weights(), "optimizer_state": model.optimizer.get_state()}


class EpochCheckpoint(engine.callbacks.Callback):
    """``training_state`` as ``fit`` began and after each epoch: a fit that fails half-way puts
    the model back there with ``restore()`` (where the panels show it), not half through an
    epoch, or half through an update."""

    def __init__(self, model):
        super().__init__()
        self.state, self.epoch = training_state(model), None  # epoch None: as the fit began

    def on_epoch_end(self, epoch, logs=None):
        self.state, self.epoch = training_state(self.model), int(epoch)

    def restore(self, model) -> str:
        """Put ``model`` back at the checkpoint; says where, for the log."""
        take_state(model, self.state)
        return kept_weights(self.epoch)


def kept_weights(epoch: int | None) -> str:
    """Where a failed fit left the network, for the log."""
    if epoch is None:
        return "the network keeps its weights from before this fit"
    return f"the network keeps its weights from the end of epoch {epoch + 1}, the last that finished"


def job_for(model, tensors: SharedTensors, random_state, *, batch_size: int, epochs: int, initial_epoch: int,
            validation_split: float) -> dict:
    """Everything the child needs to train ``model`` on the tensors (a ``PreparedData``'s, shared),
    starting from the engine's ``random_state`` (``engine.utils.get_random_state()``)."""
    return {"model": model_state(model), "data": tensors.descriptions, "random": random_state,
            "strategy": os.environ.get("ENGINE_STRATEGY", ""), "window_pid": os.getpid(),
            "fit": {"batch_size": batch_size, "epochs": epochs, "initial_epoch": initial_epoch,
                    "validation_split": validation_split}}


# ----- the child ----------------------------------------------------------------------------------------
class _Channel:
    def __init__(self, conn, name: str):
        self.conn, self.name = conn, name

    def emit(self, *args) -> None:
        self.conn.send((self.name, args))


class Messages:
    """Stands for the window's worker: ``messages.progressed.emit(news)`` sends ``("progressed", (news,))``."""

    def __init__(self, conn):
        self.conn = conn

    def __getattr__(self, name: str) -> _Channel:
        if name.startswith("_"):
            raise AttributeError(name)
        channel = _Channel(self.conn, name)
        setattr(self, name, channel)
        return channel


class _OrphanAware:
    """The run control as the child uses it: a pause also ends when the window's process is gone."""

    def __init__(self, control, window_pid: int):
        self.control, self.window_pid = control, window_pid

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.control, name)

    def wait_until_resumed(self) -> None:
        while not self.control.wait_until_resumed(timeout=ORPHAN_CHECK_SECONDS):
            if not _alive(self.window_pid):
                self.control.abort()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process took the number
        return False
    return True


class _EpochEnded(_Channel):
    """``epoch_ended`` with the optimizer's state beside the weights the news already holds, in the
    same message: should the child die later, the window's network keeps the weights of the last
    epoch its panels showed, with their optimizer state, and a Continue goes on from there."""

    def __init__(self, conn, optimizer):
        super().__init__(conn, "epoch_ended")
        self.optimizer = optimizer

    def emit(self, info) -> None:
        super().emit({**info, "optimizer_state": self.optimizer.get_state()})


def train(conn, control, job: dict) -> None:
    """The child's whole life: train, send the state back, evaluate; always ends with ("finished", reason)."""
    from playground.core.loss_watch import LossWatch, weights_are_finite
    from playground.core.progress import ProgressCallback
    from playground.core.training_data import PreparedData, evaluate_model, shaped_for

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is the window's to handle
    messages, blocks, reason = Messages(conn), [], "error"
    model = data = arrays = callback = None
    try:
        blocks, arrays = attach(job["data"])
        data = PreparedData(**arrays)
        engine.utils.set_random_state(job["random"])  # a Dropout built now holds the window's generator...
        model = rebuild(job["model"])
        messages.epoch_ended = _EpochEnded(conn, model.optimizer)
        engine.utils.set_random_state(job["random"])  # ...at the position the window left it (building drew)
        callback = ProgressCallback(messages, _OrphanAware(control, job["window_pid"]))
        fit = job["fit"]
        callback.initial_epoch, callback.final_epoch = fit["initial_epoch"], fit["epochs"]
        with engine.strategies.named(job["strategy"] or None):
            model.fit(shaped_for(model, data.x_train), data.y_train, verbose=0, shuffle=True,
                      callbacks=[LossWatch(messages.warned.emit), callback], **fit)
        reason = getattr(model, "stop_reason", None) or "completed"
        message = getattr(model, "stop_message", "") or ""
        conn.send(("trained", ({**model_state(model), "random": engine.utils.get_random_state()},)))
        weights = model.get_weights()
        messages.fit_ended.emit(reason, message, weights)
        if not control.aborted and reason != "nan" and weights_are_finite(weights):
            try:
                messages.evaluated.emit(evaluate_model(model, data))
            except Exception as exc:  # noqa: BLE001 - reported in words, as on a thread
                messages.failed.emit("Evaluation failed: " + describe(exc))
    except (BrokenPipeError, EOFError):
        return  # the window is gone: nobody to tell
    except Exception as exc:  # noqa: BLE001 - any engine error is reported, never a crash
        reason = "error"
        _tell(messages.failed, describe(exc))
    finally:
        model = data = arrays = callback = None
        for block in blocks:
            release(block)
    _tell(messages.finished, reason)
    conn.close()


def _tell(channel: _Channel, *args) -> None:
    try:
        channel.emit(*args)
    except (BrokenPipeError, EOFError, OSError):
        pass  # the window is gone


def describe(exc: BaseException) -> str:
    """``ValueError: message`` plus where it came from (the last frame), for the log."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (in {frames[-1].name}, {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"

"""A ``TrainingWorker`` whose ``fit`` runs in a training process (``playground.core.training_process``).

The worker's QThread prepares the data as before, copies it into shared memory, starts the child
and relays its messages as the worker's own signals: the controller and the panels see the same
signals in the same order as from a fit on the thread. Waiting for the next message
(``conn.recv``) does not hold Python's interpreter lock, so the window's UI thread no longer
shares that lock with the trainer.

When the child ends, the window's model takes its weights, its optimizer's state and the engine's
random state, so that Continue, a save or the next seeded run go on exactly as after a fit on the
thread (the tests compare them number for number). If the child dies instead (killed, out of
memory), the model takes the weights and optimizer state of the last epoch that ended, which are
what the panels show. The pause, step and stop buttons reach the child through a ``RunControl``
made with the process context.

Where a training process cannot start (no shared memory, no process start method: see
``available()``), or ``PLAYGROUND_TRAINING_PROCESS=0`` asks for it, the controller uses the
thread worker; if the child cannot be started for this one fit, the worker trains on its thread.
The child is forked from a small server process (multiprocessing's "forkserver", started once
by ``warm_up()``): never from the window's process, whose Qt threads a fork must not copy.
"""
from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import os
import queue
import sys
from multiprocessing import spawn

import engine
from playground.core import shared_tensors, training_process
from playground.core.progress import RunControl
from playground.training.training_worker import TrainingJob, TrainingWorker

SWITCH = "PLAYGROUND_TRAINING_PROCESS"  # "0": train on the worker thread instead
PROCESS_NAME = "playground-training"
PRELOADED = ["engine", "playground.core.training_process", "playground.core.shared_tensors", "playground.core.progress",
             "playground.core.training_data", "playground.core.loss_watch"]
RELAYED = ("epoch_began", "progressed", "epoch_ended", "paused", "resumed", "fit_ended", "warned", "evaluated",
           "failed")  # the worker's signals the child's messages become ("began", "finished" have their own code)
JOIN_SECONDS = 5.0  # after its last message, the child has this long to exit before it is terminated

_context = None
_spare_controls: queue.SimpleQueue = queue.SimpleQueue()  # made ahead: the first costs ~10 ms (imports, shared memory)


def _without_main(get_preparation_data):
    """multiprocessing's ``spawn.get_preparation_data``, minus the main module for a training
    process. A child started by "forkserver" or "spawn" imports the window's main module first,
    as ``__mp_main__``; a script that opens the window without ``if __name__ == "__main__":``
    would open it again in the child. The child needs nothing of it: ``training_process.train``
    and what it imports are the whole job."""
    @functools.wraps(get_preparation_data)
    def prepare(name):
        data = get_preparation_data(name)
        if name == PROCESS_NAME:
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    prepare.strips_main = True
    return prepare


def context():
    """The multiprocessing context training processes start from (made once)."""
    global _context
    if not getattr(spawn.get_preparation_data, "strips_main", False):
        spawn.get_preparation_data = _without_main(spawn.get_preparation_data)
    if _context is None:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        _context = multiprocessing.get_context(method)
        if method == "forkserver":
            _context.set_forkserver_preload(PRELOADED)
    return _context


def available() -> tuple[bool, str]:
    """Whether fits run in a training process here, and why not."""
    if os.environ.get(SWITCH, "").strip() == "0":
        return False, f"{SWITCH}=0"
    if getattr(sys, "frozen", False):
        return False, "a frozen app cannot start Python child processes"
    return True, ""


def warm_up() -> bool:
    """Start what a training process needs (the fork server, the resource tracker), so that the
    press of Train does not wait for it. Safe to call from any thread, and more than once; False
    if it failed (the press then tries again, and trains on the thread if it must)."""
    try:
        ctx = context()
        if ctx.get_start_method() == "forkserver":
            from multiprocessing import forkserver
            forkserver.ensure_running()
        from multiprocessing import resource_tracker
        resource_tracker.ensure_running()
        _make_spare_control()
    except Exception:  # noqa: BLE001 - only a head start: nothing is lost
        return False
    return True


def _make_spare_control() -> None:
    if _spare_controls.empty():
        _spare_controls.put(RunControl(context()))


def _take_control() -> RunControl:
    """A ``RunControl`` shared with a child, made ahead when possible (the press of Train waits less)."""
    try:
        return _spare_controls.get_nowait()
    except queue.Empty:
        return RunControl(context())


class ProcessTrainingWorker(TrainingWorker):
    """Runs one ``TrainingJob`` in a training process; the same signals as ``TrainingWorker``."""

    def __init__(self, job: TrainingJob):
        super().__init__(job)
        self.control = _take_control()  # shared with the child
        # the engine's random state at the press, on the UI thread: what the worker thread meets
        # later may already include another thread's draws (a fit on the thread draws at once)
        self.random_at_start = engine.utils.get_random_state()
        if job.start_paused_after:
            self.control.step(job.start_paused_after)
        self.process = None  # the child, once started (tests look at it)

    def train_and_report(self) -> None:
        job = self.job
        _make_spare_control()  # for the next press, here on the worker's thread
        try:
            data = job.prepare()
        except Exception as exc:  # noqa: BLE001 - reported as on the thread
            self.failed.emit(training_process.describe(exc))
            self.finished.emit("error")
            return
        try:  # what the cache put in shared memory is named, not copied (the learner's digits are)
            tensors = shared_tensors.SharedTensors(shared_tensors.prepared_arrays(data), reuse=data.memory)
        except OSError as exc:  # no shared memory here (or not enough)
            self._train_here(data, f"no shared memory for a training process ({exc})")
            return
        try:
            try:
                receive = self._start_child(tensors)
            except (OSError, RuntimeError, ValueError) as exc:  # no process could start
                self._train_here(data, f"the training process could not start ({type(exc).__name__}: {exc})")
                return
            data = None  # the child reads the shared arrays (``tensors`` keeps them alive)
            self._relay(receive)
        finally:
            tensors.close()

    def _train_here(self, data, why: str) -> None:
        """Train on this worker's thread after all (the control works within a process too)."""
        print(f"Training on the window's worker thread: {why}", file=sys.stderr)
        self.job = dataclasses.replace(self.job, prepare=lambda: data)
        TrainingWorker.train_and_report(self)

    def _start_child(self, tensors: shared_tensors.SharedTensors):
        """Start the child on this job; the end of the pipe its messages arrive at."""
        job, ctx = self.job, context()
        spec = training_process.job_for(job.model, tensors, self.random_at_start, batch_size=job.batch_size,
                                        epochs=job.epochs, initial_epoch=job.initial_epoch,
                                        validation_split=job.validation_split)
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=training_process.train, args=(send, self.control, spec), name=PROCESS_NAME,
                              daemon=True)
        try:
            process.start()
        except BaseException:
            receive.close()
            raise
        finally:
            send.close()  # the child holds the only sending end: its exit ends recv() with EOFError
        self.process = process
        return receive

    def _relay(self, receive) -> None:
        """Turn the child's messages into this worker's signals until it says it has finished.

        A fit that ends without sending its state back (an error, a death) leaves the window's
        model at the last epoch that ended, whose weights and optimizer state came with that
        epoch's news (or as it was, if none did): where the panels show it."""
        job, random_before = self.job, self.random_at_start
        finished = trained = False
        last_epoch = None  # the state, and the epoch, at the end of the last epoch the child finished

        def keep_last_epoch() -> str:
            if last_epoch is not None and not trained:
                training_process.take_state(job.model, last_epoch[0])
            return training_process.kept_weights(None if last_epoch is None else last_epoch[1])

        try:
            while True:
                try:
                    name, args = receive.recv()
                except (EOFError, OSError):  # OSError: it died in the middle of a message
                    self.process.join(JOIN_SECONDS)
                    if self.process.exitcode is None:
                        raise  # the pipe broke while the child lives on: not a death to report as one
                    kept = keep_last_epoch()
                    self.failed.emit(f"The training process ended unexpectedly (exit code {self.process.exitcode}); "
                                     f"{kept}.")
                    break
                if name == "trained":
                    state = args[0]
                    training_process.take_state(job.model, state)
                    trained = True
                    if _untouched_since(random_before):
                        # the engine's generators go on from where the child left them, as after a fit
                        # on the thread (the window's generator object stays the one its layers hold)
                        engine.utils.set_random_state(
                            dataclasses.replace(state["random"], generator=random_before.generator))
                elif name == "epoch_ended":
                    info = dict(args[0])
                    last_epoch = ({"weights": info["weights"], "optimizer_state": info.pop("optimizer_state")},
                                  info["epoch"])
                    self.epoch_ended.emit(info)
                elif name == "finished":
                    keep_last_epoch()  # the child failed before it sent its state back
                    finished = True
                    self.finished.emit(*args)
                    break
                elif name == "began":  # the log says where fit runs, beside the strategy and why
                    params = dict(args[0])
                    where = f"in a training process of its own, pid {self.process.pid}"
                    params["strategy_reason"] = "; ".join(filter(None, [params.get("strategy_reason", ""), where]))
                    self.began.emit(params)
                elif name in RELAYED:
                    getattr(self, name).emit(*args)
        except Exception as exc:  # noqa: BLE001 - a message that cannot be read or taken: say so, end the fit
            self.failed.emit("The training process's news could not be taken: " + training_process.describe(exc))
            self.control.abort()
        finally:
            receive.close()
            self.process.join(JOIN_SECONDS)
            if self.process.is_alive():
                self.process.terminate()
                self.process.join()
            if not finished:
                self.finished.emit("error")


def _untouched_since(before) -> bool:
    """Whether the engine's generator is still where it stood when the fit began. If the window
    has seeded or drawn since (a new run began after this fit was stopped), its numbers are kept."""
    now = engine.utils.get_random_state()
    return now.generator is before.generator and now.bits == before.bits

"""Ctrl+C during ``fit``, under every strategy: a ``KeyboardInterrupt``, and a model that still trains.

A thread sends SIGINT to this process at a random moment of a long ``fit`` (Python runs the
handler on the main thread, which is the one training). Each time: ``fit`` raises
``KeyboardInterrupt``, no thread or process (``two_processes``) is left behind, BLAS's thread
setting is restored, and the next ``fit`` trains and moves every weight. No timing is asserted; a hang is turned into a failure
with every thread's traceback by ``faulthandler``.
"""
from __future__ import annotations

import faulthandler
import glob
import os
import signal
import threading

import numpy as np
import pytest

import engine
from engine import blas, strategies
from engine.layers import Dense
from engine.utils import set_random_seed, to_categorical

TRIALS = 12


def children() -> list[int]:
    """The processes whose parent is this one (Linux), including any not yet waited for."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.append(int(stat.split("/")[2]))
    return found


@pytest.fixture
def hang_watchdog():
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread")
@pytest.mark.parametrize("name", strategies.names())
def test_ctrl_c_at_random_moments_of_many_fits(name, monkeypatch, hang_watchdog):
    monkeypatch.setenv("ENGINE_STRATEGY", name)
    set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((512, 784), dtype=np.float32)
    y = to_categorical(rng.integers(0, 10, 512), 10)
    model = engine.Sequential([Dense(512, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)  # warm up: the first fit builds everything
    threads_before, alive_before = blas.threads(), threading.active_count()
    for trial in range(TRIALS):
        timer = threading.Timer(rng.uniform(0.0, 0.15), os.kill, (os.getpid(), signal.SIGINT))
        with pytest.raises(KeyboardInterrupt):
            timer.start()
            model.fit(x, y, batch_size=32, epochs=10_000, verbose=0)  # only Ctrl+C ends it
        timer.join()
        assert threading.active_count() == alive_before, f"trial {trial}: a thread was left behind"
        assert not children(), f"trial {trial}: a process was left behind"
        assert blas.threads() == threads_before
        before = model.get_weights()
        model.fit(x[:128], y[:128], batch_size=32, epochs=1, verbose=0)
        after = model.get_weights()
        assert all(np.isfinite(w).all() for w in after)
        assert all(not np.array_equal(a, b) for a, b in zip(before, after)), f"trial {trial}: a weight did not move"

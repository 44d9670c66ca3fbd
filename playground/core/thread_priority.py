"""Bookkeeping threads give way to the window and to training.

On a two-core machine the trainer's two threads ask for both cores. A third thread that
compresses the run history's weights, hashes the dataset, prepares the training tensors or
computes the Inside panel's histograms at the same time kept the UI thread waiting for a core:
tens of milliseconds at a time, the longest pauses of the window while it trained (measured
with ``python -m playground.bench``: up to 30 ms of a 50-100 ms pause spent waiting in the
scheduler's queue). Such a thread calls ``lower_this_thread()`` when it starts. Its nice value
rises by ``BACKGROUND_NICENESS``, so the scheduler runs it on a core the UI thread and the
trainer leave free; with nothing else to do, it still gets a whole core.

Only Linux gives each thread its own nice value. Elsewhere ``setpriority`` would change the
whole process (or another one), so this does nothing there and returns False.
"""
from __future__ import annotations

import os
import sys
import threading

BACKGROUND_NICENESS = 10
MOST_NICE = 19  # Linux's lowest priority


def supported() -> bool:
    """Whether threads can have their own priority here (Linux)."""
    return sys.platform.startswith("linux") and hasattr(os, "setpriority")


def niceness(native_id: int | None = None) -> int:
    """A thread's nice value (this thread's by default); Linux only."""
    return os.getpriority(os.PRIO_PROCESS, native_id or threading.get_native_id())


def lower_this_thread(by: int = BACKGROUND_NICENESS) -> bool:
    """Make the calling thread nicer by ``by`` (at most 19); True if it now is. A thread can
    never take this back (raising a priority needs privileges), so call it on threads of one job."""
    if not supported():
        return False
    try:
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, min(MOST_NICE, niceness(me) + by))
    except OSError:
        return False
    return True

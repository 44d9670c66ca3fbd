"""Garbage cycles are collected on the UI thread, never on a worker that happens to allocate:
Qt objects destroyed on a worker thread can deadlock against the UI thread (see the module)."""
from __future__ import annotations

import gc
import threading

from playground.widgets.garbage_collection import collect_on_ui_thread


class Witness:
    """Part of a reference cycle; says on which thread it was freed."""

    freed_on: list = []

    def __init__(self):
        self.me = self  # a cycle: only the cycle collector frees it

    def __del__(self):
        Witness.freed_on.append(threading.get_ident())


def test_a_worker_that_allocates_never_collects_cycles_and_the_ui_thread_does(qapp, qtbot):
    collect_on_ui_thread(qapp)
    assert not gc.isenabled()
    Witness.freed_on.clear()
    Witness()
    kept = []  # the worker's allocations outlive it: they count towards a collection
    worker = threading.Thread(target=lambda: kept.extend([] for _ in range(5 * gc.get_threshold()[0])))
    worker.start()
    worker.join()
    assert Witness.freed_on == []
    qtbot.waitUntil(lambda: bool(Witness.freed_on), timeout=5000)
    assert Witness.freed_on == [threading.main_thread().ident]

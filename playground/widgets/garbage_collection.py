"""Python's cycle collector runs on the UI thread only.

Python collects reference cycles on whichever thread happens to allocate when its counters pass
a threshold. If that is a worker thread (a lab's computation, a background job) and the cycles
hold Qt objects (a closed window, a menu), their C++ destructors run there: ``~QObject`` takes a
Qt lock, then PySide asks for Python's interpreter lock, which the UI thread may hold while it
waits for that same Qt lock. Both wait forever. The test suite hung this way once: the Backprop
lab's worker collected a closed window's menu while the UI thread deleted another.

So automatic collection is switched off, and a timer on the UI thread collects instead, each
generation when its count passes Python's own threshold (pyqtgraph's ``GarbageCollector`` does
the same, for the same reason). Objects without cycles are still freed at once, wherever the
last reference goes: so a worker thread never holds a Qt object at all (``playground.core.mailbox``).
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QTimer

INTERVAL_MS = 500

_timer: QTimer | None = None


def collect_on_ui_thread(app: QCoreApplication | None = None) -> QTimer:
    """Switch automatic collection off and collect from a timer of the application (once per
    process; later calls return the same timer)."""
    global _timer
    app = app or QCoreApplication.instance()
    if _timer is None or not _belongs_to(_timer, app):
        thresholds = gc.get_threshold()
        _timer = QTimer(app)
        _timer.setInterval(INTERVAL_MS)
        _timer.timeout.connect(lambda: collect_due(thresholds))
        _timer.start()
    gc.disable()
    return _timer


def freeze_what_lives_now() -> int:
    """Leave every object alive now out of later collections (``gc.freeze``); how many.

    A full collection walks every tracked object. With the window built (about 90,000 of them,
    Qt's wrappers, pyqtgraph's items, the panels) that took 53-62 ms on the UI thread: a stall
    the learner sees, each time Python's counters asked for one. What exists once the window is
    up lives as long as the app, so the app freezes it then (``playground.app``), and a full
    collection afterwards walks only what came later (measured: under 1 ms). Tests never call
    it: they build hundreds of windows in one process, and a frozen closed one would never be freed."""
    gc.freeze()
    return gc.get_freeze_count()


def collect_due(thresholds: tuple[int, int, int]) -> None:
    """Collect the generations whose counts passed their thresholds (as automatic collection would)."""
    counts = gc.get_count()
    if counts[0] <= thresholds[0]:
        return
    generation = 0
    if counts[1] > thresholds[1]:
        generation = 2 if counts[2] > thresholds[2] else 1
    gc.collect(generation)


def _belongs_to(timer: QTimer, app) -> bool:
    try:
        return timer.parent() is app
    except RuntimeError:  # its application was deleted (a script that made a new one)
        return False

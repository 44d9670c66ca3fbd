"""Garbage cycles are collected on the UI thread, never on a worker that happens to allocate:
Qt objects destroyed on a worker thread can deadlock against the UI thread (see the module)."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

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


def test_once_the_window_is_frozen_a_full_collection_walks_only_what_came_later(tmp_path):
    """Run in a fresh interpreter: a frozen object is never freed, which this test process must not do."""
    script = tmp_path / "frozen.py"
    script.write_text(textwrap.dedent(f"""
        import gc, os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from playground.main_window import MainWindow
        from playground.widgets.garbage_collection import freeze_what_lives_now
        window = MainWindow(settings=QSettings({str(tmp_path / 's.ini')!r}, QSettings.IniFormat))
        window.show()
        app.processEvents()
        gc.collect()
        before = len(gc.get_objects(generation=2))
        frozen = freeze_what_lives_now()
        after = len(gc.get_objects(generation=2))
        print(before, frozen, after)
    """))
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=str(root),
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    before, frozen, after = map(int, done.stdout.split())
    assert before > 20_000 and frozen >= before  # the window's objects, which a full collection walked
    assert after < 100  # and now does not

"""Worker threads hold no Qt object; their results come back through a mailbox read on the UI
thread (``playground.core.mailbox``). The conftest checks every thread and pool job the tests
start with ``qt_object_path``; here is the check itself, and the mailbox."""
from __future__ import annotations

import threading

from PySide6.QtCore import QObject

from playground.core.mailbox import Mailbox
from playground.training.mailbox_reader import MailboxReader
from tests.playground.qt_reach import qt_object_path

SOME_QOBJECT_IN_A_MODULE = None  # a module's globals are not what a job holds


class Holder:
    def __init__(self, thing):
        self.things = {"inner": [thing]}

    def work(self):
        return self.things


def test_a_qt_object_is_found_through_closures_bound_methods_containers_and_attributes(qapp):
    panel = QObject()
    panel.setObjectName("panel")

    def closure():
        return panel

    assert qt_object_path([("target", closure)]) == "target <closure panel> -> QObject"
    path = qt_object_path([("target", Holder(panel).work)])
    assert path is not None and path.endswith("-> QObject") and ".work of" in path
    assert qt_object_path([("args", ({"a": (1, [Holder(panel)])},))]) is not None


def test_plain_jobs_and_module_globals_are_not_qt_objects(qapp):
    global SOME_QOBJECT_IN_A_MODULE
    SOME_QOBJECT_IN_A_MODULE = QObject()
    mailbox = Mailbox()

    def uses_a_global():
        return SOME_QOBJECT_IN_A_MODULE, mailbox

    assert qt_object_path([("target", uses_a_global), ("args", (Holder(3), [1.0, "x"]))]) is None
    SOME_QOBJECT_IN_A_MODULE = None


def test_a_mailbox_gives_its_messages_once_in_order():
    mailbox = Mailbox()
    mailbox.post("timed", 1)
    mailbox.post("done")
    assert len(mailbox) == 2
    assert mailbox.take() == [("timed", 1), ("done",)]
    assert mailbox.take() == [] and len(mailbox) == 0


def test_the_reader_delivers_a_workers_messages_on_the_ui_thread_then_stops_polling(qtbot):
    delivered, running = [], [True]
    reader = MailboxReader(lambda *message: delivered.append((threading.get_ident(), message)),
                           expecting=lambda: running[0])

    def work(mailbox):
        for number in range(3):
            mailbox.post(number)
        running[0] = False

    thread = threading.Thread(target=work, args=(reader.mailbox,))
    reader.wake()
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(delivered) == 3, timeout=5000)
    assert delivered == [(threading.get_ident(), (n,)) for n in range(3)]
    qtbot.waitUntil(lambda: not reader._timer.isActive(), timeout=5000)  # nothing more expected


def test_a_stopped_reader_drops_what_comes_later(qtbot):
    delivered = []
    reader = MailboxReader(lambda *message: delivered.append(message), expecting=lambda: True)
    reader.wake()
    reader.stop()
    reader.mailbox.post("late")
    qtbot.wait(60)
    assert delivered == []

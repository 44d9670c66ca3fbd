"""The playground's tests run as the app does: Python's cycle collector on the UI thread only
(``playground.widgets.garbage_collection``), so that a worker thread never destroys Qt objects
of an earlier test's window."""
import pytest

from playground.widgets.garbage_collection import collect_on_ui_thread


@pytest.fixture(scope="session", autouse=True)
def cycles_collected_on_the_ui_thread(qapp):
    collect_on_ui_thread(qapp)
    yield

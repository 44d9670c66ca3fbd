"""The Data panel (section 2.2: tensors): descriptions, one digit, slicing, batches, downloading."""
import hashlib
import http.server
import io
import socket
import threading

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QMainWindow, QPushButton, QScrollArea, QTabBar

from engine.datasets import mnist
from playground.panels.data_panel import DataPanel
from playground.text import tensor_text
from playground.training.download_worker import Downloader, DownloadWorker
from playground.training.state import AppState, Dataset
from playground.widgets.theme import error_colour


def make_dataset(n_train=300, n_test=100, seed=1, name="Test digits") -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset(
        name, "/tmp/test-digits.npz",
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), (np.arange(n_train) % 10).astype(np.uint8),
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), ((np.arange(n_test) + 3) % 10).astype(np.uint8),
    )


@pytest.fixture
def panel(qtbot):
    state = AppState(make_dataset())
    widget = DataPanel(state)
    qtbot.addWidget(widget)
    widget.resize(560, 760)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.shutdown()


# ----- tensor_text: the str()-like descriptions ------------------------------------------------
def test_describe_matches_the_books_str_view():
    x = np.zeros((60000, 28, 28), dtype=np.uint8)
    y = np.array([5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5], dtype=np.uint8)
    assert tensor_text.describe("x_train", x) == "x_train: 3D tensor uint8 (60000, 28, 28) 0 0 0 0 0 0 0 0 0 0 ..."
    assert tensor_text.describe("y_train", y) == "y_train: 1D tensor (vector) uint8 (12,) 5 0 4 1 9 2 1 3 1 4 ..."
    assert tensor_text.describe("s", np.float32(0.5)) == "s: 0D tensor (scalar) float32 () 0.5"
    assert tensor_text.describe("m", np.eye(2)) == "m: 2D tensor (matrix) float64 (2, 2) 1 0 0 1"
    assert tensor_text.r_str(x).startswith("int [1:60000, 1:28, 1:28] 0 0 0 0 0 0 ...")
    assert tensor_text.r_str(np.ones(3, np.float32)) == "num [1:3] 1 1 1"
    assert tensor_text.shape_and_dtype(x[9:99]) == "(90, 28, 28) uint8"
    assert tensor_text.memory_size(x) == "47.0 MB"
    assert tensor_text.rank_name(4) == "4D tensor"
    assert tensor_text.values_text(np.arange(25), per_line=10).splitlines()[2] == "20 21 22 23 24"
    assert tensor_text.values_text(np.arange(30), limit=20).endswith("... and 10 more")


# ----- the panel ---------------------------------------------------------------------------------
def test_summary_and_source_show_the_four_tensors(panel):
    lines = panel.findChild(type(panel.summary), "tensorSummary").toPlainText().splitlines()
    assert lines[0].startswith("x_train: 3D tensor uint8 (300, 28, 28)")
    assert lines[1].startswith("y_train: 1D tensor (vector) uint8 (300,) 0 1 2 3 4 5 6 7 8 9 ...")
    assert lines[3].startswith("y_test: 1D tensor (vector) uint8 (100,) 3 4 5")
    assert "300 train / 100 test digits" in panel.source_bar.source_label.text()
    assert panel.objectName() == "dataPanel"


def test_digit_index_changes_the_view_and_the_label(panel):
    ds = panel.state.dataset
    panel.digit_index.setValue(7)
    np.testing.assert_array_equal(panel.digit_view.values(), ds.x_train[7])
    assert panel.label_text.text() == "Label: 7"
    assert "x_train[7]" in panel.digit_code.text() and "train_images[8,,]" in panel.digit_code.text()
    panel.digit_index.setValue(10_000)  # the spin box clamps to the last digit
    assert panel.digit_index.value() == 299
    assert panel.label_text.text() == "Label: 9"


def test_neighbour_strip_marks_the_digit_and_a_click_shows_another(panel, qtbot):
    panel.digit_index.setValue(45)
    strip = panel.findChild(type(panel.neighbours), "digitNeighbours")
    assert strip.count() == 40 and strip.key(0) == 40 and strip.selected() == 5
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=strip.item_rect(12).center())
    assert panel.digit_index.value() == 52 and panel.label_text.text() == "Label: 2"
    panel.set_split("test")  # same page, other tensor: the strip shows the test digits
    np.testing.assert_array_equal(strip._images[0].constBits().tobytes()[:28], panel.state.dataset.x_test[40, 0].tobytes())


def test_hovering_a_pixel_reads_out_its_row_column_and_value(panel, qtbot):
    ds = panel.state.dataset
    panel.digit_index.setValue(3)
    view = panel.findChild(type(panel.digit_view), "digitView")
    assert view.hasMouseTracking()
    with qtbot.waitSignal(view.hovered, timeout=1000) as hover:
        QTest.mouseMove(view, view.pixel_center(14, 7).toPoint())
    assert hover.args[:2] == [14, 7]
    value = int(ds.x_train[3, 14, 7])
    assert panel.pixel_readout.text() == f"row 14, column 7: {value}"
    QTest.mouseMove(view, view.pixel_center(0, 27).toPoint())
    assert panel.pixel_readout.text() == f"row 0, column 27: {int(ds.x_train[3, 0, 27])}"
    outside = QPoint(view.width() - 1, view.height() - 1)
    assert not view.image_rect().contains(outside)
    QTest.mouseMove(view, outside)
    assert "Hover" in panel.pixel_readout.text()


def test_split_chooser_switches_to_the_test_digits(panel, qtbot):
    ds = panel.state.dataset
    panel.findChild(QPushButton, "split_test").click()
    assert panel.split == "test"
    assert panel.digit_index.maximum() == 99
    panel.digit_index.setValue(2)
    np.testing.assert_array_equal(panel.digit_view.values(), ds.x_test[2])
    assert panel.label_text.text() == f"Label: {ds.y_test[2]}"
    assert "x_test[" in panel.batch_code.text()


def test_slice_box_shows_shape_dtype_and_grid(panel):
    edit = panel.findChild(type(panel.slice_edit), "sliceEdit")
    panel.tabs.setCurrentIndex(1)
    edit.setText("x_train[9:99]")
    assert panel.slice_result.text().startswith("(90, 28, 28) uint8")
    assert not panel.slice_error.isVisible()
    grid = panel.slice_grid
    assert grid.count() == 90 and grid.key(0) == 9 and grid.caption(0) == "9: 9"
    assert "train_images[10:99,,]" in panel.slice_r_hint.text()

    edit.setText("x_train[:, 14:, 14:]")
    assert panel.slice_result.text().startswith("(300, 14, 14) uint8")
    assert grid.count() == 100  # the first 100 of 300 crops
    assert "showing the first 100 of 300" in panel.slice_result.text()

    edit.setText("x_train[4]")  # a 2-D result is one image
    assert panel.slice_result.text().startswith("(28, 28) uint8")
    assert grid.count() == 1 and "label 4" in grid.caption(0)

    edit.setText("y_train[:12]")  # labels are shown as text
    assert panel.slice_pages.currentWidget() is panel.slice_values
    assert panel.slice_values.toPlainText().split() == [str(i % 10) for i in range(12)]


def test_slice_box_shows_inline_errors_clears_the_old_result_and_recovers(panel):
    panel.tabs.setCurrentIndex(1)
    assert "In R: train_images[10:99,,]" in panel.slice_r_hint.text()  # the default x_train[9:99]
    panel.slice_edit.setText("x_train[300]")
    assert panel.slice_error.isVisible()
    assert "out of range for axis 0 of x_train (size 300" in panel.slice_error.text()
    assert error_colour() in panel.slice_edit.styleSheet()
    # nothing of x_train[9:99] stays to pass for a translation or a picture of what was just typed
    assert panel.slice_result.text() == "" and "In R:" not in panel.slice_r_hint.text()
    assert panel.slice_grid.count() == 0 and panel.slice_values.toPlainText() == ""
    panel.slice_edit.setText("x_train[::0]")
    assert "step cannot be zero" in panel.slice_error.text()
    panel.slice_edit.setText("x_train[2:5]")
    assert not panel.slice_error.isVisible() and panel.slice_edit.styleSheet() == ""
    assert panel.slice_result.text().startswith("(3, 28, 28) uint8")
    assert panel.slice_grid.count() == 3 and "In R: train_images[3:5,,]" in panel.slice_r_hint.text()


def test_slice_box_takes_the_books_r_and_shows_the_numpy_form(panel):
    panel.tabs.setCurrentIndex(1)
    panel.slice_edit.setText("train_images[10:99,,]")  # what the hint shows, as typed in the book
    assert not panel.slice_error.isVisible()
    assert panel.slice_result.text().startswith("(90, 28, 28) uint8")
    assert panel.slice_grid.count() == 90 and panel.slice_grid.key(0) == 9 and panel.slice_grid.caption(0) == "9: 9"
    assert "In NumPy: x_train[9:99]" in panel.slice_r_hint.text()
    panel.slice_edit.setText("train_images[, 15:28, 15:28]")
    assert panel.slice_result.text().startswith("(300, 14, 14) uint8")
    assert "In NumPy: x_train[:, 14:, 14:]" in panel.slice_r_hint.text()
    panel.slice_edit.setText("train_labels[5]")
    assert panel.slice_values.toPlainText().strip() == "4" and "In NumPy: y_train[4]" in panel.slice_r_hint.text()
    panel.slice_edit.setText("train_images[10:99]")  # one index: R's column-major order, pixel [1, 1] of 90 digits
    assert panel.slice_result.text().startswith("(90,) uint8")
    assert "In NumPy: x_train[9:99, 0, 0]" in panel.slice_r_hint.text() and "column-major" in panel.slice_r_hint.text()
    first_pixels = panel.state.dataset.x_train[9:99, 0, 0]
    assert panel.slice_values.toPlainText().split() == [str(v) for v in first_pixels]


def test_the_batch_count_stays_on_one_line_and_says_batch_for_one(panel):
    from playground.panels.data_panel import batch_count_text

    assert batch_count_text(47) == "of\u00a00\u00a0…\u00a046\u00a0(47\u00a0batches)"
    assert batch_count_text(1).endswith("(1\u00a0batch)")
    panel.tabs.setCurrentIndex(2)
    panel.batch_size.setValue(300)
    label = panel.findChild(type(panel.batch_count_label), "batchCountHint")
    assert label.text().replace("\u00a0", " ") == "of 0 … 0 (1 batch)"
    assert not label.wordWrap() and " " not in label.text()


def test_batch_navigator_ranges_and_the_short_last_batch(panel):
    panel.batch_size.setValue(128)
    assert panel.batch_index.maximum() == 2  # 300 digits -> batches 0, 1, 2
    panel.batch_index.setValue(1)
    assert "batch 1 = samples 128..255 of x_train (128 digits)" in panel.batch_range_label.text()
    assert panel.batch_grid.count() == 128 and panel.batch_grid.key(0) == 128
    panel.batch_index.setValue(2)
    assert "samples 256..299" in panel.batch_range_label.text()
    assert "44 digits: the last batch is short" in panel.batch_range_label.text()
    assert panel.batch_grid.count() == 44
    assert "x_train[256:300]" in panel.batch_code.text() and "train_images[257:300,,]" in panel.batch_code.text()
    panel.batch_size.setValue(100)  # now 3 full batches; the index stays in range
    assert panel.batch_index.maximum() == 2 and panel.batch_grid.count() == 100


def test_digit_requested_switches_split_index_tab_and_raises_the_dock(qtbot):
    state = AppState(make_dataset())
    window = QMainWindow()
    qtbot.addWidget(window)
    data_dock, other_dock = QDockWidget("Data"), QDockWidget("Other")
    panel = DataPanel(state)
    data_dock.setWidget(panel)
    other_dock.setWidget(QPushButton("other"))
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, data_dock)
    window.tabifyDockWidget(data_dock, other_dock)
    window.resize(900, 700)
    window.show()
    qtbot.waitExposed(window)
    other_dock.raise_()
    panel.tabs.setCurrentIndex(1)
    tab_bar = window.findChild(QTabBar)
    assert tab_bar.tabText(tab_bar.currentIndex()) == "Other"

    state.request_digit("test", 42)
    assert panel.split == "test" and panel.digit_index.value() == 42
    assert panel.tabs.currentIndex() == 0
    np.testing.assert_array_equal(panel.digit_view.values(), state.dataset.x_test[42])
    qtbot.waitUntil(lambda: tab_bar.tabText(tab_bar.currentIndex()) == "Data")


def test_dataset_changed_refreshes_and_clamps(panel):
    panel.digit_index.setValue(250)
    panel.batch_index.setValue(2)
    panel.state.set_dataset(make_dataset(n_train=50, n_test=20, name="Smaller"))
    assert panel.digit_index.value() == 49
    assert panel.batch_index.value() == 0 and panel.batch_grid.count() == 50
    assert "Smaller" in panel.source_bar.source_label.text() and "50 train / 20 test digits" in panel.source_bar.source_label.text()
    assert "(50, 28, 28)" in panel.summary.toPlainText()
    panel.slice_edit.setText("x_train[9:99]")
    assert panel.slice_grid.count() == 41


def test_the_panel_fits_a_short_dock_instead_of_scrolling_as_a_whole(qtbot):
    area = QScrollArea(widgetResizable=True)  # what the main window wraps each dock's panel in
    panel = DataPanel(AppState(make_dataset()))
    area.setWidget(panel)
    qtbot.addWidget(area)
    area.resize(800, 400)
    area.show()
    qtbot.waitExposed(area)
    qtbot.waitUntil(lambda: panel.height() <= area.viewport().height())
    assert not area.verticalScrollBar().isVisible()


# ----- downloading against a local server (no network) ------------------------------------------
@pytest.fixture(scope="module")
def full_npz() -> bytes:
    """A file shaped like the full MNIST (60,000 + 10,000 digits) that compresses to ~0.3 MB."""
    x = np.zeros((60000, 28, 28), dtype=np.uint8)
    x[:, 6:22, 12:16] = 255
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x_train=x, y_train=(np.arange(60000) % 10).astype(np.uint8),
                        x_test=x[:10000], y_test=(np.arange(10000) % 10).astype(np.uint8))
    return buffer.getvalue()


@pytest.fixture
def server(full_npz):
    """127.0.0.1 serving /mnist.npz at once and /slow.npz that stalls after 64 KB until released (or 2 minutes)."""
    release = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(full_npz)))
            self.end_headers()
            try:
                if self.path == "/slow.npz":
                    self.wfile.write(full_npz[:65536])
                    self.wfile.flush()
                    release.wait(120)
                    self.wfile.write(full_npz[65536:])
                else:
                    self.wfile.write(full_npz)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    httpd.release = release
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def content_sha256(npz: bytes) -> str:
    """The content hash ``mnist.is_mnist`` compares with, for the arrays in ``npz``."""
    with np.load(io.BytesIO(npz)) as arrays:
        return hashlib.sha256(b"".join(arrays[k].tobytes() for k in mnist.KEYS)).hexdigest()


def test_download_success_loads_the_full_dataset(panel, qtbot, server, tmp_path, full_npz, monkeypatch):
    monkeypatch.setattr(mnist, "MNIST_CONTENT_SHA256", content_sha256(full_npz))  # take the fake for MNIST
    bar = panel.source_bar
    bar.url, bar.dest, bar.sha256 = f"{server.url}/mnist.npz", tmp_path / "mnist.npz", None
    with qtbot.waitSignal(panel.state.dataset_changed, timeout=10000):
        panel.findChild(QPushButton, "downloadButton").click()
        assert bar.progress.isVisible() and bar.cancel_button.isVisible()
    assert len(panel.state.dataset.x_train) == 60000 and len(panel.state.dataset.x_test) == 10000
    assert "Full MNIST loaded: 60,000 training and 10,000 test digits" in bar.message.text()
    assert "60,000 train / 10,000 test digits" in panel.source_bar.source_label.text()
    qtbot.waitUntil(lambda: not bar.downloader.is_running())
    assert not bar.progress.isVisible()
    assert not bar.button.isEnabled() and bar.button.text() == "Full MNIST loaded"
    assert (tmp_path / "mnist.npz").is_file()


def test_download_offline_says_what_to_do_in_the_apps_words(panel, qtbot, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on: connection refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bar = panel.source_bar
    bar.url, bar.dest = f"http://127.0.0.1:{port}/mnist.npz", tmp_path / "mnist.npz"
    with qtbot.waitSignal(bar.downloader.failed, timeout=10000):
        panel.start_download()
    qtbot.waitUntil(lambda: not bar.downloader.is_running())
    message = bar.message.text()
    assert "Could not reach the download server" in message and "seems to be offline" in message
    assert "File > Open dataset…" in message and "Nothing was saved" in message
    for developer_words in ("PLAYGROUND_MNIST", "load_sample()", "--data", "validate("):
        assert developer_words not in message
    assert error_colour() in bar.message.styleSheet()
    assert bar.button.isEnabled() and len(panel.state.dataset.x_train) == 300
    assert list(tmp_path.iterdir()) == []


def test_download_cancel_during_a_stall_answers_without_the_server_and_saves_nothing(qtbot, server, tmp_path):
    downloader = Downloader()
    dest = tmp_path / "mnist.npz"
    try:
        with qtbot.waitSignal(downloader.progressed, timeout=10000, check_params_cb=lambda done, total: done > 0):
            downloader.start(url=f"{server.url}/slow.npz", dest=dest, sha256=None, timeout=120)
        # the server now stalls for 2 minutes and the socket timeout is as long: only the cancel can end it
        with qtbot.waitSignal(downloader.cancelled, timeout=30000):
            downloader.cancel()
        assert not server.release.is_set()
        qtbot.waitUntil(lambda: not downloader.is_running())
    finally:
        downloader.shutdown()
    assert list(tmp_path.iterdir()) == []


def test_a_stalled_download_fails_as_too_slow_in_the_apps_words(panel, qtbot, server, tmp_path):
    bar = panel.source_bar
    bar.url, bar.dest, bar.sha256 = f"{server.url}/slow.npz", tmp_path / "m.npz", None
    bar.transfer = {"timeout": 120, "min_rate": 1_000_000, "stall_window": 0.3, "poll_interval": 0.02}
    with qtbot.waitSignal(bar.downloader.failed, timeout=30000):
        panel.start_download()
    assert not server.release.is_set()
    assert "stopped because it was too slow" in bar.message.text() and "Nothing was saved" in bar.message.text()
    qtbot.waitUntil(lambda: not bar.downloader.is_running())
    assert list(tmp_path.iterdir()) == []


def test_progress_beyond_two_gigabytes_does_not_overflow(qtbot, panel):
    worker, big = DownloadWorker(), 3 * 2**31  # a Content-Length of 6 GiB
    with qtbot.waitSignal(worker.progressed, timeout=1000) as progressed:
        worker._report(big, 2 * big)
    assert progressed.args == [big, 2 * big]
    panel.source_bar._on_progress(big, 2 * big)
    assert panel.source_bar.progress.value() == 500 and panel.source_bar.progress.maximum() == 1000


def test_an_earlier_download_is_reused_without_the_network(qtbot, full_npz, tmp_path):
    dest = tmp_path / "mnist.npz"
    dest.write_bytes(full_npz)
    trusted = hashlib.sha256(full_npz).hexdigest()  # as if this file were the one the URL serves
    downloader = Downloader()
    try:
        with qtbot.waitSignal(downloader.succeeded, timeout=10000) as done:
            downloader.start(url=None, dest=dest, sha256=trusted)  # the default URL is never contacted
        assert len(done.args[0].x_train) == 60000 and done.args[0].source == str(dest)
        qtbot.waitUntil(lambda: not downloader.is_running())
    finally:
        downloader.shutdown()


def test_a_cached_file_with_the_right_shapes_but_an_unknown_hash_is_not_taken_for_mnist(
        qtbot, server, full_npz, tmp_path):
    dest = tmp_path / "mnist.npz"
    dest.write_bytes(full_npz)  # 60,000 + 10,000 digits, but not Keras's file
    downloader = Downloader()
    try:
        with qtbot.assertNotEmitted(downloader.succeeded), qtbot.waitSignal(downloader.failed, timeout=10000) as failed:
            downloader.start(url=f"{server.url}/mnist.npz", dest=dest)  # expects the real MNIST's SHA-256
        qtbot.waitUntil(lambda: not downloader.is_running())
    finally:
        downloader.shutdown()
    assert "SHA-256" in failed.args[0]  # fetched again, and the server's copy is refused too
    assert dest.read_bytes() == full_npz  # left as it was


def test_cancel_button_and_shutdown_stop_a_running_download(panel, qtbot, server, tmp_path):
    bar = panel.source_bar
    bar.url, bar.dest, bar.sha256 = f"{server.url}/slow.npz", tmp_path / "m.npz", None
    with qtbot.waitSignal(bar.downloader.progressed, timeout=10000, check_params_cb=lambda done, total: done > 0):
        panel.start_download()
    assert not bar.button.isEnabled()
    bar.cancel_button.click()
    qtbot.waitUntil(lambda: "cancelled" in bar.message.text(), timeout=30000)
    assert not server.release.is_set()
    qtbot.waitUntil(lambda: not bar.downloader.is_running())
    assert len(panel.state.dataset.x_train) == 300

    with qtbot.waitSignal(bar.downloader.progressed, timeout=10000, check_params_cb=lambda done, total: done > 0):
        panel.start_download()
    panel.shutdown()  # as when the window closes: the server still stalls, the thread has ended
    assert not server.release.is_set() and not bar.downloader.is_running()
    assert not any(tmp_path.iterdir())


def test_no_dataset_shows_empty_views_without_errors(qtbot):
    panel = DataPanel(AppState())
    qtbot.addWidget(panel)
    assert "No dataset loaded" in panel.source_bar.source_label.text()
    assert panel.digit_view.values() is None and panel.label_text.text() == "Label: –"
    assert panel.batch_range_label.text() == "No digits loaded"
    panel.slice_edit.setText("x_train[4]")
    assert "Unknown tensor 'x_train'" in panel.slice_error.text()
    panel.state.request_digit("train", 3)  # nothing to show, nothing breaks
    panel.state.set_dataset(make_dataset())
    assert panel.digit_view.values() is not None and not panel.slice_error.isVisibleTo(panel)

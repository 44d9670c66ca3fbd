"""Where the data comes from, and downloading the full MNIST (11 MB) on a worker thread.

The sample that ships with the app has 6,000 training digits; the book trains on all 60,000.
``Downloader`` fetches Keras's ``mnist.npz`` with ``engine.datasets.mnist.download`` (which
streams to a temporary file, checks the SHA-256 and only then moves it into place), loads it
with ``playground.data_loading.load_dataset_file``, and hands the ``Dataset`` back to the UI
thread. The UI never waits: the work happens in a ``QThread``.

Threading, in short (see /work/shared/STACK.md): ``DownloadWorker`` is moved to a new
``QThread`` whose ``started`` runs ``worker.run``. The busy worker runs no event loop, so
Cancel is a direct, thread-safe call that sets a ``threading.Event``; ``download`` polls it
between chunks. When ``run`` ends the thread quits, and ``shutdown()`` (called when the app
closes) cancels and waits for it, so a QThread is never destroyed while running.

``DatasetSourceBar`` is the small view the Data panel shows on top: the dataset's source line,
the "Download full MNIST (11 MB)" button, a progress bar with Cancel, and a message line (red
when offline: the engine's ``DownloadError`` message says what to do).
"""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QApplication, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout, QWidget

from engine.datasets import mnist
from playground.data_loading import load_dataset_file
from playground.widgets import wrapped_label

#: Pass as ``sha256`` to use the engine's default (the hash of Keras's file).
DEFAULT_SHA256 = mnist.MNIST_SHA256
ERROR_STYLE = "color: #e5484d;"  # a red readable on light and dark backgrounds


def short_path(path: str) -> str:
    """``assets/mnist_sample.npz`` for files in the project, ``~/...`` for the home folder."""
    file, root = Path(path), mnist.SAMPLE_PATH.parents[1]
    return str(file.relative_to(root)) if file.is_relative_to(root) else str(file).replace(str(Path.home()), "~", 1)


class DownloadWorker(QObject):
    """Runs on the worker thread: download (or reuse the cached file), then load it.

    Exactly one of ``succeeded(dataset)``, ``failed(message)`` or ``cancelled()`` is emitted,
    then ``finished()``.
    """

    progressed = Signal(int, int)  # bytes done, total bytes (-1 when the server does not say)
    succeeded = Signal(object)  # playground.state.Dataset
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, url: str | None = None, dest: str | Path | None = None, sha256: str | None = DEFAULT_SHA256, timeout: float = 15.0):
        super().__init__()
        self.url = url
        self.dest = Path(dest) if dest is not None else mnist.cache_path()
        self.sha256 = sha256
        self.timeout = timeout
        self._cancel = threading.Event()
        self._last_step = -1

    def cancel(self) -> None:
        """Thread-safe: ask the download to stop at the next chunk (nothing is saved)."""
        self._cancel.set()

    def _report(self, done: int, total: int | None) -> None:
        # Throttle at the source: one signal per percent (or per 256 KB when the size is unknown).
        step = done * 100 // total if total else done // (256 * 1024)
        if step != self._last_step:
            self._last_step = step
            self.progressed.emit(done, total if total else -1)

    def _load(self):
        if self.url is None and self.dest.is_file():
            try:
                return load_dataset_file(self.dest)  # downloaded by an earlier run: no network needed
            except mnist.DatasetError:
                pass  # damaged: fetch it again (download() replaces it atomically)
        url = self.url or mnist.MNIST_URL
        path = mnist.download(url=url, dest=self.dest, sha256=self.sha256, progress=self._report, timeout=self.timeout, cancel=self._cancel)
        return load_dataset_file(path)

    @Slot()
    def run(self) -> None:
        try:
            dataset = self._load()
        except mnist.DownloadCancelled:
            self.cancelled.emit()
        except (mnist.DownloadError, mnist.DatasetError) as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - never let a worker thread die silently
            self.failed.emit(f"Unexpected error while getting MNIST: {type(exc).__name__}: {exc}")
        else:
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.succeeded.emit(dataset)
        finally:
            self.finished.emit()


class Downloader(QObject):
    """Owns one download at a time: its worker, its thread and their clean-up (UI thread side).

    The signals below are re-emitted on the UI thread, so slots may touch widgets and state.
    """

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: DownloadWorker | None = None

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, url: str | None = None, dest: str | Path | None = None, sha256: str | None = DEFAULT_SHA256) -> bool:
        """Start downloading (``url``/``dest``/``sha256`` override the defaults, e.g. in tests).

        Returns False (and does nothing) if a download is already running.
        """
        if self._thread is not None:
            return False
        worker = DownloadWorker(url=url, dest=dest, sha256=sha256)
        thread = QThread()
        thread.setObjectName("mnistDownload")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progressed.connect(self._on_progressed)
        worker.succeeded.connect(self._on_succeeded)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        worker.finished.connect(thread.quit)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        self.running_changed.emit(True)
        thread.start()
        return True

    def cancel(self) -> None:
        """Ask the running download to stop; ``cancelled`` follows (unless it already finished)."""
        if self._worker is not None:
            self._worker.cancel()

    def shutdown(self) -> None:
        """Cancel and wait for the thread to end (for app close; safe to call any time)."""
        thread = self._thread
        if thread is None:
            return
        self.cancel()
        thread.quit()
        thread.wait()
        self._on_thread_finished()

    # ----- worker -> UI thread ----------------------------------------------------------
    @Slot(int, int)
    def _on_progressed(self, done: int, total: int) -> None:
        self.progressed.emit(done, total)

    @Slot(object)
    def _on_succeeded(self, dataset) -> None:
        self.succeeded.emit(dataset)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    @Slot()
    def _on_cancelled(self) -> None:
        self.cancelled.emit()

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is None or not self._thread.isFinished():
            return  # already cleaned up by shutdown(), or a newer download is running
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        thread.wait()
        worker.deleteLater()
        thread.deleteLater()
        self.running_changed.emit(False)


class DatasetSourceBar(QWidget):
    """The source line and the download controls; puts the downloaded data in ``state``.

    ``url``, ``dest`` and ``sha256`` override the engine's defaults (tests point ``url`` at a
    server on 127.0.0.1). A download that finishes while training runs is applied when
    training ends, so the data never changes under a running ``fit``.
    """

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.url: str | None = None  # None: Keras's URL, or the file an earlier download left
        self.dest: str | Path | None = None  # None: the engine's cache file
        self.sha256: str | None = DEFAULT_SHA256
        self._pending = None
        self.downloader = Downloader(self)
        self.source_label = wrapped_label(objectName="datasetSource")
        self.button = QPushButton("Download full MNIST (11 MB)", objectName="downloadButton")
        self.button.setToolTip("60,000 training and 10,000 test digits: Keras's mnist.npz, checked with SHA-256")
        self.button.clicked.connect(self.start_download)
        self.progress = QProgressBar(objectName="downloadProgress", visible=False)
        self.cancel_button = QPushButton("Cancel", objectName="cancelDownloadButton", visible=False)
        self.cancel_button.clicked.connect(self.downloader.cancel)
        self.message = wrapped_label(objectName="downloadMessage", visible=False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for left, right in ((self.source_label, self.button), (self.progress, self.cancel_button)):
            row = QHBoxLayout()
            row.addWidget(left, 1)
            row.addWidget(right, 0, Qt.AlignmentFlag.AlignTop)
            layout.addLayout(row)
        layout.addWidget(self.message)

        state.dataset_changed.connect(self.refresh)
        state.training_started.connect(self.refresh)
        state.training_finished.connect(self._on_training_finished)
        self.downloader.progressed.connect(self._on_progress)
        self.downloader.succeeded.connect(self._on_succeeded)
        self.downloader.failed.connect(lambda text: self.show_message(text, error=True))
        self.downloader.cancelled.connect(lambda: self.show_message("Download cancelled."))
        self.downloader.running_changed.connect(self._on_running)
        if QApplication.instance() is not None:
            QApplication.instance().aboutToQuit.connect(self.shutdown)
        self.refresh()

    def refresh(self) -> None:
        ds = self.state.dataset
        if ds is None:
            self.source_label.setText("<b>No dataset loaded</b>")
        else:
            self.source_label.setText(f"<b>{ds.name}</b> · {len(ds.x_train):,} train / {len(ds.x_test):,} test digits"
                                      f"<br><small>from {short_path(ds.source)}</small>")
        full = ds is not None and len(ds.x_train) == mnist.FULL_SIZES["train"]
        self.button.setText("Full MNIST loaded" if full else "Download full MNIST (11 MB)")
        self.button.setEnabled(not full and not self.downloader.is_running() and not self.state.is_training)

    def start_download(self) -> None:
        self.show_message("")
        self.downloader.start(url=self.url, dest=self.dest, sha256=self.sha256)

    def shutdown(self) -> None:
        """Cancel a running download and wait for its thread (safe to call any time)."""
        self.downloader.shutdown()

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setVisible(bool(text))

    def _on_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.progress.setRange(0, 0)  # busy until the size is known
        self.refresh()

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        self.progress.setFormat(f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total > 0 else f"{done / 1e6:.1f} MB")

    def _on_succeeded(self, dataset) -> None:
        if self.state.is_training:  # never swap the data under a running training
            self._pending = dataset
            self.show_message("Full MNIST downloaded: it replaces the current data when training ends.")
            return
        self.state.set_dataset(dataset)
        self.show_message(f"Full MNIST loaded: {len(dataset.x_train):,} training and {len(dataset.x_test):,} test digits.")

    def _on_training_finished(self, _reason: str = "") -> None:
        dataset, self._pending = self._pending, None
        if dataset is not None:
            self._on_succeeded(dataset)
        self.refresh()

"""Getting the full MNIST (11 MB) or Fashion-MNIST (31 MB) on a worker thread.

The sample that ships with the app has 6,000 training digits; the book trains on all 60,000.
``Downloader`` runs ``playground.core.data_loading.load_full_dataset`` on a ``QThread``: the file an
earlier download left in the cache if the engine trusts it (its SHA-256), else a fresh
``engine.datasets.mnist.download`` (which streams to a temporary file, checks the SHA-256 and
only then moves it into place). The ``Dataset`` goes back to the UI thread; the UI never waits.
``start(dataset="fashion_mnist")`` gets Fashion-MNIST the same way, through
``data_loading.load_fashion_dataset``: Keras's four files, each checked by its SHA-256 and kept
in the user data folder, with one progress bar over all four.

Threading, in short (see /work/shared/STACK.md): ``DownloadWorker`` is moved to a new
``QThread`` whose ``started`` runs ``worker.run``. The busy worker runs no event loop, so
Cancel is a direct, thread-safe call that sets a ``threading.Event``; ``download`` checks it
between reads, and its watchdog closes the connection within ``poll_interval`` while a read
waits, so Cancel and closing the window answer at once even when the server stalls. A transfer
slower than ``min_rate`` bytes per second for ``stall_window`` seconds fails with a message.
When ``run`` ends the thread quits, and ``shutdown()`` (called when the app closes) cancels
and waits for it, so a QThread is never destroyed while running.

Progress travels as 64-bit integers: a ``Content-Length`` above 2**31 does not overflow.

The view (the button, the progress bar, the messages) is ``playground.widgets.dataset_source_bar``.
"""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.datasets import mnist
from playground.core.data_loading import DOWNLOADS, download_failed_text, load_fashion_dataset, load_full_dataset

#: Pass as ``sha256`` to use the engine's default (the hash of Keras's file).
DEFAULT_SHA256 = mnist.MNIST_SHA256


class DownloadWorker(QObject):
    """Runs on the worker thread: reuse the cached file if its hash is trusted, else download; load it.

    Exactly one of ``succeeded(dataset)``, ``failed(message)`` or ``cancelled()`` is emitted,
    then ``finished()``.
    """

    progressed = Signal("qint64", "qint64")  # bytes done, total bytes (-1 when the server does not say)
    succeeded = Signal(object)  # playground.training.state.Dataset
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, url: str | None = None, dest: str | Path | None = None, sha256: str | None = DEFAULT_SHA256,
                 timeout: float = 15.0, dataset: str = "mnist", **transfer):
        super().__init__()
        if dataset not in DOWNLOADS:
            raise ValueError(f"dataset must be one of {', '.join(DOWNLOADS)}, got {dataset!r}")
        self.dataset = dataset  # "mnist" or "fashion_mnist" (url, dest, sha256 and transfer are MNIST's)
        self.url = url  # None: Keras's URL
        self.dest = Path(dest) if dest is not None else mnist.cache_path()
        self.sha256 = sha256
        self.timeout = timeout
        self.transfer = transfer  # min_rate, stall_window, poll_interval for mnist.download
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
        if self.dataset == "fashion_mnist":  # the engine's URL (PLAYGROUND_FASHION_MNIST_URL), hashes and folder
            return load_fashion_dataset(progress=self._report, cancel=self._cancel)
        return load_full_dataset(url=self.url, dest=self.dest, sha256=self.sha256, progress=self._report,
                                 timeout=self.timeout, cancel=self._cancel, **self.transfer)

    @property
    def name(self) -> str:
        """What is downloaded, as the learner reads it: "MNIST" or "Fashion-MNIST"."""
        return DOWNLOADS[self.dataset][0]

    @Slot()
    def run(self) -> None:
        try:
            dataset = self._load()
        except mnist.DownloadCancelled:
            self.cancelled.emit()
        except (mnist.DownloadError, mnist.DatasetError) as exc:
            self.failed.emit(download_failed_text(exc, self.name))
        except MemoryError:
            self.failed.emit(f"There was not enough memory to load the full {self.name}. Close other programs and try again.")
        except Exception as exc:  # noqa: BLE001 - never let a worker thread die silently
            self.failed.emit(f"Unexpected error while getting {self.name}: {type(exc).__name__}: {exc}")
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

    progressed = Signal("qint64", "qint64")
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

    def running_dataset(self) -> str | None:
        """The key of the dataset being downloaded ("mnist", "fashion_mnist"), or None."""
        return self._worker.dataset if self._worker is not None else None

    def start(self, url: str | None = None, dest: str | Path | None = None, sha256: str | None = DEFAULT_SHA256,
              dataset: str = "mnist", **transfer) -> bool:
        """Start downloading ``dataset`` ("mnist" or "fashion_mnist"). For MNIST ``url``/``dest``/``sha256``
        override the defaults, e.g. in tests, and ``transfer`` may set ``timeout``, ``min_rate``,
        ``stall_window``, ``poll_interval``; Fashion-MNIST uses the engine's (its files, their hashes).

        Returns False (and does nothing) if a download is already running.
        """
        if self._thread is not None:
            return False
        worker = DownloadWorker(url=url, dest=dest, sha256=sha256, dataset=dataset, **transfer)
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
    @Slot("qint64", "qint64")
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

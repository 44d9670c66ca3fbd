"""The dataset's source line and the "Download full MNIST (11 MB)" controls, atop the Data panel.

Shows where the current data came from, the download button ("Full MNIST loaded" only when the
data is Keras's MNIST, not any 60,000 digits), a progress bar with Cancel (per mille, so files
over 2 GB do not overflow it), and a message line, in the error red when the download failed,
saying what happened and what to do in the app's words (``data_loading.download_failed_text``).
The work happens in ``playground.download_worker.Downloader``, on a worker thread.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout, QWidget

from engine.datasets import mnist
from playground.data_loading import is_full_mnist
from playground.download_worker import DEFAULT_SHA256, Downloader
from playground.widgets import wrapped_label
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style


def where_from(path: str) -> str:
    """"bundled with the app" for the shipped sample, else "from <path>" (``~/...`` in the home folder)."""
    if Path(path) == mnist.SAMPLE_PATH:
        return "bundled with the app"
    home = str(Path.home())
    return "from " + (str(path).replace(home, "~", 1) if str(path).startswith(home) else str(path))


class DatasetSourceBar(QWidget):
    """The source line and the download controls; puts the downloaded data in ``state``.

    ``url``, ``dest`` and ``sha256`` override the engine's defaults (tests point ``url`` at a
    server on 127.0.0.1). A download that finishes while training runs is applied when
    training ends, so the data never changes under a running ``fit``.
    """

    def __init__(self, state, parent: QWidget | None = None):
        super().__init__(parent)
        self.state = state
        self.url: str | None = None  # None: Keras's URL
        self.dest: str | Path | None = None  # None: the engine's cache file (reused if its hash is sha256)
        self.sha256: str | None = DEFAULT_SHA256
        self.transfer: dict = {}  # timeout, min_rate, stall_window, poll_interval (tests use small values)
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
        state.download_requested.connect(self.button.click)  # e.g. the Evaluate panel's; a disabled button ignores it
        state.training_finished.connect(self._on_training_finished)
        self.downloader.progressed.connect(self._on_progress)
        self.downloader.succeeded.connect(self._on_succeeded)
        self.downloader.failed.connect(lambda text: self.show_message(text, error=True))
        self.downloader.cancelled.connect(lambda: self.show_message("Download cancelled."))
        self.downloader.running_changed.connect(self._on_running)
        if QApplication.instance() is not None:
            QApplication.instance().aboutToQuit.connect(self.shutdown)
        follow_theme(self, lambda: refresh_error_styles(self))
        self.refresh()

    def refresh(self) -> None:
        ds = self.state.dataset
        if ds is None:
            self.source_label.setText("<b>No dataset loaded</b>")
        else:
            self.source_label.setText(f"<b>{ds.name}</b><br><small>{len(ds.x_train):,} train / {len(ds.x_test):,} "
                                      f"test digits, {where_from(ds.source)}</small>")
        full = is_full_mnist(ds)
        self.button.setText("Full MNIST loaded" if full else "Download full MNIST (11 MB)")
        self.button.setEnabled(not full and not self.downloader.is_running() and not self.state.is_training)

    def start_download(self) -> None:
        self.show_message("")
        self.downloader.start(url=self.url, dest=self.dest, sha256=self.sha256, **self.transfer)

    def shutdown(self) -> None:
        """Cancel a running download and wait for its thread (safe to call any time)."""
        self.downloader.shutdown()

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        show_error_style(self.message, error)
        self.message.setVisible(bool(text))

    def _on_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.progress.setRange(0, 0)  # busy until the size is known
        self.refresh()

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:  # per mille: a QProgressBar holds 32-bit ints, a file may be larger
            self.progress.setRange(0, 1000)
            self.progress.setValue(min(done * 1000 // total, 1000))
        self.progress.setFormat(f"{done / 1e6:.1f} of {total / 1e6:.1f} MB" if total > 0 else f"{done / 1e6:.1f} MB")

    def _on_succeeded(self, dataset) -> None:
        what = "Full MNIST" if is_full_mnist(dataset) else dataset.name
        if self.state.is_training:  # never swap the data under a running training
            self._pending = dataset
            self.show_message(f"{what} downloaded: it replaces the current data when training ends.")
            return
        self.state.set_dataset(dataset)
        self.show_message(f"{what} loaded: {len(dataset.x_train):,} training and {len(dataset.x_test):,} test digits.")

    def _on_training_finished(self, _reason: str = "") -> None:
        dataset, self._pending = self._pending, None
        if dataset is not None:
            self._on_succeeded(dataset)
        self.refresh()

"""The dataset's source line and the "Download full MNIST (11 MB)" controls, atop the Data panel.

Shows where the current data came from, a choice of what to download (MNIST or Fashion-MNIST,
``downloadChoice``), the download button ("Full MNIST loaded" only when the data is Keras's MNIST,
not any 60,000 digits), a progress bar with Cancel (per mille, so files
over 2 GB do not overflow it), and a message line, in the error red when the download failed,
saying what happened and what to do in the app's words (``data_loading.download_failed_text``).
The work happens in ``playground.training.download_worker.Downloader``, on a worker thread.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout, QWidget

from engine.datasets import mnist
from playground.core.data_loading import DOWNLOADS, is_downloaded, is_full_mnist
from playground.core.specs import names_are_digits
from playground.training.download_worker import DEFAULT_SHA256, Downloader
from playground.widgets import wrapped_label
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style


def where_from(path: str) -> str:
    """"bundled with the app" for the shipped sample, else "from <path>" (``~/...`` in the home folder)."""
    if Path(path) == mnist.SAMPLE_PATH:
        return "bundled with the app"
    home = str(Path.home())
    return "from " + (str(path).replace(home, "~", 1) if str(path).startswith(home) else str(path))


def _noun(dataset) -> str:
    """"digits" for a dataset of digits (MNIST's classes), "images" for any other."""
    return "digits" if names_are_digits(dataset.label_names) else "images"


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
        self.choice = QComboBox(objectName="downloadChoice")
        for key, (name, size) in DOWNLOADS.items():
            self.choice.addItem(name, key)
        self.choice.setItemData(0, "Handwritten digits: the book's dataset", Qt.ItemDataRole.ToolTipRole)
        self.choice.setItemData(1, "Photos of clothes in MNIST's format, ten classes (Zalando Research, MIT licence)",
                                Qt.ItemDataRole.ToolTipRole)
        self.choice.setToolTip("Which dataset the button downloads")
        self.choice.currentIndexChanged.connect(self.refresh)
        self.button = QPushButton("Download full MNIST (11 MB)", objectName="downloadButton")
        self.button.clicked.connect(lambda: self.start_download())
        self.progress = QProgressBar(objectName="downloadProgress", visible=False)
        self.cancel_button = QPushButton("Cancel", objectName="cancelDownloadButton", visible=False)
        self.cancel_button.clicked.connect(self.downloader.cancel)
        self.message = wrapped_label(objectName="downloadMessage", visible=False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.source_label)  # the whole width: a narrow dock does not stack it word by word
        self.controls = row = QHBoxLayout()  # what to download and the button; while downloading, the progress and Cancel
        row.addWidget(self.progress, 1)
        row.addStretch(1)  # idle: the choice and the button to the right
        for widget in (self.choice, self.button, self.cancel_button):
            row.addWidget(widget)
        layout.addLayout(row)
        layout.addWidget(self.message)

        state.dataset_changed.connect(self.refresh)
        state.training_started.connect(self.refresh)
        state.download_requested.connect(self._download_mnist)  # e.g. the Evaluate panel's
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
                                      f"test {_noun(ds)}, {where_from(ds.source)}</small>")
        key = self.choice.currentData()
        loaded = is_downloaded(ds, key)
        name, size = DOWNLOADS[key]
        full = "full MNIST" if key == "mnist" else name
        self.button.setText(f"{full[0].upper() + full[1:]} loaded" if loaded else f"Download {full} ({size})")
        self.button.setToolTip("60,000 training and 10,000 test digits: Keras's mnist.npz, checked with SHA-256"
                               if key == "mnist" else "60,000 training and 10,000 test images of clothes: Keras's "
                               "four files, each checked with SHA-256, kept in your data folder")
        idle = not self.downloader.is_running() and not self.state.is_training
        self.button.setEnabled(not loaded and idle)
        self.choice.setEnabled(idle)

    def start_download(self, dataset: str | None = None) -> None:
        """Download ``dataset`` ("mnist", "fashion_mnist"; None: the one chosen) on a worker thread."""
        if dataset is not None:
            self.choice.setCurrentIndex(self.choice.findData(dataset))
        self.show_message("")
        self.downloader.start(url=self.url, dest=self.dest, sha256=self.sha256,
                              dataset=self.choice.currentData(), **self.transfer)

    def _download_mnist(self) -> None:
        """Another panel asked for the full MNIST: choose it, and download it unless that cannot be done now."""
        if self.downloader.is_running() or self.state.is_training:
            return
        self.choice.setCurrentIndex(self.choice.findData("mnist"))
        if self.button.isEnabled():
            self.button.click()

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
        self.choice.setVisible(not running)  # the progress bar takes their room meanwhile
        self.button.setVisible(not running)
        self.controls.setStretch(1, 0 if running else 1)
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
        self.show_message(f"{what} loaded: {len(dataset.x_train):,} training and {len(dataset.x_test):,} "
                          f"test {_noun(dataset)}.")

    def _on_training_finished(self, _reason: str = "") -> None:
        dataset, self._pending = self._pending, None
        if dataset is not None:
            self._on_succeeded(dataset)
        self.refresh()

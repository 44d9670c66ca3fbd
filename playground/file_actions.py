"""The File menu's actions: open a dataset, save and load a model, export the plots.

Each action is a method that takes a path and returns whether it worked (tests call them
directly); the menu's ``_ask_*`` wrappers only add the file dialog. Every failure becomes a clear,
non-blocking message box (the engine's own error text, e.g. "... is not a valid MNIST file:
missing key 'x_test'") and leaves the app as it was: the old dataset, the old model.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

import engine
from playground.data_loading import load_dataset_file, load_sample_dataset
from playground.model_files import incompatibility, layer_specs_of

MODEL_FILTER = "Neural Playground model (*.npz);;All files (*)"


class FileActions:
    """Mixed into ``MainWindow``: needs ``state``, ``controller``, ``store``, ``training_panel``
    and the window's ``statusBar()``."""

    last_message = ""  # the text of the last message box (tests read it)
    _message_box: QMessageBox | None = None

    def open_dataset(self, path) -> bool:
        """Open a local ``mnist.npz``; on any problem say why and keep the current dataset."""
        if self.controller.is_busy:
            return self.show_error("Training is running", "Stop training before opening another dataset.")
        try:
            dataset = load_dataset_file(path)
        except (ValueError, OSError) as exc:
            return self.show_error("Could not open the dataset", str(exc))
        self.state.set_dataset(dataset)
        self._remember_folder(path)
        self.statusBar().showMessage(f"Opened {path}", 8000)
        return True

    def use_sample_dataset(self) -> bool:
        if self.controller.is_busy:
            return self.show_error("Training is running", "Stop training before switching datasets.")
        try:
            dataset = load_sample_dataset()
        except (ValueError, OSError) as exc:
            return self.show_error("Could not open the sample", str(exc))
        self.state.set_dataset(dataset)
        return True

    def save_model(self, path) -> bool:
        """Save the current network (architecture and weights) with the engine's ``model.save``."""
        model = self.state.model
        if model is None:
            return self.show_error("Nothing to save", "Train a network (or load a model) first.")
        try:
            model.save(path)
        except (ValueError, OSError) as exc:
            return self.show_error("Could not save the model", str(exc))
        self._remember_folder(path)
        self.statusBar().showMessage(f"Saved the model to {path}", 8000)
        return True

    def load_model(self, path) -> bool:
        """Load a saved model; if it fits the data it becomes the current network and is evaluated."""
        if self.controller.is_busy:
            return self.show_error("Training is running", "Stop training before loading a model.")
        try:
            model = engine.models.load_model(path)
        except (ValueError, OSError) as exc:
            return self.show_error("Could not load the model", str(exc))
        if self.state.dataset is None:
            return self.show_error("No dataset", "Open a dataset first: a model is checked against its data.")
        problem = incompatibility(model, self.state.dataset)
        if problem:
            return self.show_error("This model does not fit the data", problem)
        specs = layer_specs_of(model, self.state.dataset)
        if specs is not None:
            self.state.set_layers(specs)
            self.controller.adopt_model(model, f"loaded {Path(path).name}")
        else:  # a design the Network panel cannot show: view and evaluate it, train afresh
            self.controller.forget_run()
        self.state.set_model(model, trained=True)
        self.state.request_evaluation()
        self._remember_folder(path)
        self.statusBar().showMessage(f"Loaded {path}; evaluating it on the test set…", 8000)
        return True

    def export_plots(self, folder) -> list[Path]:
        """Write loss.png, accuracy.png and the per-batch and per-epoch CSV files to ``folder``."""
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            paths = self.training_panel.plots.export_png(folder) + self.training_panel.plots.export_csv(folder)
        except (OSError, RuntimeError, ValueError) as exc:
            self.show_error("Could not export the plots", str(exc))
            return []
        self.statusBar().showMessage(f"Exported {len(paths)} files to {folder}", 8000)
        return paths

    def _ask_open_dataset(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an MNIST dataset (mnist.npz)", self._folder(),
                                              "NumPy archive (*.npz);;All files (*)")
        if path:
            self.open_dataset(path)

    def _ask_save_model(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save model", str(Path(self._folder()) / "mnist_model.npz"),
                                              MODEL_FILTER)
        if path:
            self.save_model(path if Path(path).suffix else path + ".npz")

    def _ask_load_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load model", self._folder(), MODEL_FILTER)
        if path:
            self.load_model(path)

    def _ask_export_plots(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export plots to folder", self._folder())
        if folder:
            self.export_plots(folder)

    def _folder(self) -> str:
        folder = self.store.value("files/last_folder", "")
        return folder if isinstance(folder, str) and Path(folder).is_dir() else str(Path.home())

    def _remember_folder(self, path) -> None:
        self.store.setValue("files/last_folder", str(Path(path).resolve().parent))

    def show_error(self, title: str, text: str) -> bool:
        """A window-modal message that does not block the caller (tests read ``last_message``)."""
        self.last_message = text
        self.statusBar().showMessage(f"{title}: {text}", 15000)
        if self._message_box is not None:
            self._message_box.close()
        box = QMessageBox(QMessageBox.Warning, title, text, QMessageBox.Ok, self)
        box.setObjectName("errorMessageBox")
        box.setWindowModality(Qt.WindowModal)
        box.open()
        self._message_box = box
        return False

"""The File menu's actions: open a dataset, save and load a model, export the plots, and the way
out to Keras and back (``engine.keras_export``: the book's R script, a Keras 3 script, the weights).

Each action is a method that takes a path (tests call them directly); the menu's ``_ask_*``
wrappers only add the file dialog. Opening a dataset and loading a model read the file on a
worker thread (``file_loader``): the window stays responsive however big, slow or stuck the
file is, and the file is read and checked completely before anything is adopted. Those two
return True when the read started; ``file_loader.finished(kind, ok)`` says how it ended.

Every failure, whatever the exception (a hostile file can raise MemoryError, RecursionError,
TypeError...), becomes a clear, non-blocking message in the app's words (``error_messages``):
what happened and what to do. The app stays as it was: the old dataset, the old model.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine import keras_export
from engine import optimizers as engine_optimizers
from playground.core import data_loading, error_messages
from playground.core.data_loading import load_dataset_file, load_sample_dataset, open_failed_text
from playground.core.model_files import ModelUnusable, read_model
from playground.training.file_loading_worker import FileLoader

MODEL_FILTER = "Neural Playground model (*.npz);;All files (*)"
KERAS_WEIGHTS_FILTER = "Keras weights, np.savez(path, *model.get_weights()) (*.npz);;All files (*)"


class FileActions:
    """Mixed into ``MainWindow``: needs ``state``, ``controller``, ``store``, ``training_panel``
    and the window's ``statusBar()``."""

    last_message = ""  # the text of the last message box (tests read it)
    _message_box: QMessageBox | None = None
    _file_loader: FileLoader | None = None

    @property
    def file_loader(self) -> FileLoader:
        """Reads dataset and model files on worker threads (created on first use)."""
        if self._file_loader is None:
            self._file_loader = FileLoader(self)
        return self._file_loader

    def open_dataset(self, path) -> bool:
        """Start reading a dataset on a worker thread: an ``.npz`` in Keras's format (``mnist.npz``,
        optionally with ``class_names``) or a folder of IDX files (``data_loading.load_dataset_file``).
        When it is read and checked it becomes the dataset. On any problem say why and keep the current one."""
        if self.controller.is_busy:
            return self.show_error("Training is running", "Stop training before opening another dataset.")
        self.statusBar().showMessage(f"Opening {Path(path).name}…")
        self.file_loader.start("dataset", partial(load_dataset_file, path),
                               partial(self._adopt_dataset, path), partial(self._dataset_failed, path))
        return True

    def _adopt_dataset(self, path, dataset) -> bool:
        if self.controller.is_busy:
            return self.show_error("Training is running",
                                   f"Training started while {Path(path).name} was being read, so it was not "
                                   "opened. Stop training and open it again.")
        self.state.set_dataset(dataset)
        self._remember_folder(path)
        self.statusBar().showMessage(f"Opened {path}", 8000)
        return True

    def _dataset_failed(self, path, exc: Exception) -> bool:
        return self.show_error("Could not open the dataset", open_failed_text(path, exc))

    def use_sample_dataset(self) -> bool:
        if self.controller.is_busy:
            return self.show_error("Training is running", "Stop training before switching datasets.")
        try:
            dataset = load_sample_dataset()
        except Exception as exc:  # noqa: BLE001 - a broken install: say so, keep what is open
            return self.show_error("Could not open the sample",
                                   "The bundled MNIST sample could not be read, so the dataset you had stays "
                                   f"open. Reinstalling Neural Playground restores it.\n\n"
                                   f"({error_messages.plain(str(exc)) or type(exc).__name__})")
        self.state.set_dataset(dataset)
        return True

    def save_model(self, path) -> bool:
        """Save the current network (architecture and weights) with the engine's ``model.save``."""
        model = self.state.model
        if model is None:
            return self.show_error("Nothing to save", "Train a network (or load a model) first, then save it.")
        try:
            if not Path(path).parent.is_dir():
                raise FileNotFoundError(2, "No such folder", str(Path(path).parent))
            model.save(path)
        except Exception as exc:  # noqa: BLE001 - whatever it is, the learner gets a message
            return self.show_error("Could not save the model", error_messages.save_model_failed(path, exc))
        self._remember_folder(path)
        self.statusBar().showMessage(f"Saved the model to {path}", 8000)
        return True

    def load_model(self, path) -> bool:
        """Start reading a saved model on a worker thread; once it is read and checked against the
        data it becomes the current network and is evaluated. On any problem say why, keep the old."""
        if self.controller.is_busy:
            return self.show_error("Training is running", "Stop training before loading a model.")
        dataset = self.state.dataset
        if dataset is None:
            return self.show_error("No dataset", "Open a dataset first: a model is checked against its data.")
        self.statusBar().showMessage(f"Loading {Path(path).name}…")
        self.file_loader.start("model", partial(read_model, path, dataset),
                               partial(self._adopt_model, path, dataset), partial(self._model_failed, path))
        return True

    def _adopt_model(self, path, dataset, read) -> bool:
        if self.controller.is_busy or self.state.dataset is not dataset:
            what = "training started" if self.controller.is_busy else "the dataset changed"
            return self.show_error("Model not loaded", f"While {Path(path).name} was being read, {what}, so it "
                                   "was not loaded. Load it again when training has ended.")
        model, specs = read.model, read.specs
        if specs is not None:
            with self.state.loading():  # the file's design, not an edit to undo
                self.state.set_layers(specs)
            self.controller.adopt_model(model, f"loaded {Path(path).name}")
        else:  # a design the Network panel cannot show: view and evaluate it, train afresh
            self.controller.forget_run()
        self.state.set_model(model, trained=True)
        self.state.request_evaluation()
        self._remember_folder(path)
        self.statusBar().showMessage(f"Loaded {path}; evaluating it on the test set…", 8000)
        return True

    def _model_failed(self, path, exc: Exception) -> bool:
        if isinstance(exc, ModelUnusable):
            return self.show_error("This model does not fit the data", error_messages.model_unusable(path, str(exc)))
        return self.show_error("Could not load the model", error_messages.load_model_failed(path, exc))

    def export_plots(self, folder) -> list[Path]:
        """Write loss.png, accuracy.png and the per-batch and per-epoch CSV files to ``folder``."""
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            paths = self.training_panel.plots.export_png(folder) + self.training_panel.plots.export_csv(folder)
        except Exception as exc:  # noqa: BLE001 - whatever it is, the learner gets a message
            self.show_error("Could not export the plots", error_messages.export_failed(folder, exc))
            return []
        self.statusBar().showMessage(f"Exported {len(paths)} files to {folder}", 8000)
        return paths

    def export_keras(self, folder) -> list[Path]:
        """Write the trained network into ``folder`` as the book's R script, a Keras 3 script and
        its weights (``engine.keras_export``), with the Optimizer panel's recipe."""
        model = self.state.model
        if model is None or not self.state.trained:
            self.show_error("Nothing to export", "Train a network (or load a model) first, then export it to Keras.")
            return []
        if self.state.model_problem:
            self.show_error("Nothing to export", "This network diverged and its weights are unusable. "
                            "Press Reset weights and train again, then export it.")
            return []
        s = self.state.settings
        try:
            optimizer = engine_optimizers.get(s.optimizer, **s.optimizer_kwargs()).get_config()
            dataset = self.state.dataset
            recipe = keras_export.Recipe(optimizer, s.loss, s.epochs, s.batch_size, s.validation_split,
                                         dataset=data_loading.keras_dataset(dataset),
                                         data_name=dataset.name if dataset is not None else "")
            paths = keras_export.export_keras(model, folder, recipe)
        except Exception as exc:  # noqa: BLE001 - whatever it is, the learner gets a message
            self.show_error("Could not export to Keras", error_messages.export_keras_failed(folder, exc))
            return []
        self._remember_folder(paths[0])
        self.statusBar().showMessage(f"Exported the network to Keras: {', '.join(p.name for p in paths)} "
                                     f"in {Path(folder)}", 8000)
        return paths

    def import_keras_weights(self, path) -> bool:
        """Start reading weights saved by Keras (``np.savez(path, *model.get_weights())``, or an
        export) into the network of the Network panel, on a worker thread; once every array fits,
        the network takes them and is evaluated. On any problem say why and keep the old weights.
        Returns True when the read started; ``file_loader.finished("keras weights", ok)`` says how it ended."""
        if self.controller.is_busy:
            return self.show_error("Training is running", "Stop training before importing weights.")
        dataset = self.state.dataset
        if dataset is None:
            return self.show_error("No dataset", "Open a dataset first: the weights are checked on its digits.")
        try:
            model = self.state.build_model()
        except ValueError as exc:
            return self.show_error("The network cannot be built",
                                   f"{exc}\n\nFix the Network panel first: the weights go into its layers.")
        layers = self.state.layers
        self.statusBar().showMessage(f"Importing {Path(path).name}…")
        self.file_loader.start("keras weights", partial(keras_export.load_keras_weights, model, path),
                               partial(self._adopt_keras_weights, path, dataset, layers, model),
                               partial(self._keras_weights_failed, path))
        return True

    def _adopt_keras_weights(self, path, dataset, layers, model, _loaded=None) -> bool:
        if self.controller.is_busy or self.state.dataset is not dataset or self.state.layers != layers:
            what = "training started" if self.controller.is_busy else "the dataset or the network changed"
            return self.show_error("Weights not imported", f"While {Path(path).name} was being read, {what}, so "
                                   "its weights were not used. Import them again.")
        self.controller.adopt_model(model, f"Keras weights {Path(path).name}")
        self.state.set_model(model, trained=True)
        self.state.request_evaluation()
        self._remember_folder(path)
        self.statusBar().showMessage(f"Imported the weights of {path}; evaluating them on the test set…", 8000)
        return True

    def _keras_weights_failed(self, path, exc: Exception) -> bool:
        return self.show_error("Could not import the weights", error_messages.import_keras_weights_failed(path, exc))

    def _ask_export_keras(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to Keras: choose a folder", self._folder())
        if folder:
            self.export_keras(folder)

    def _ask_import_keras_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import Keras weights", self._folder(), KERAS_WEIGHTS_FILTER)
        if path:
            self.import_keras_weights(path)

    def _ask_open_dataset(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a dataset in MNIST's format (mnist.npz, or an IDX file)",
                                              self._folder(), "NumPy archive (*.npz);;IDX files (*-ubyte *-ubyte.gz);;"
                                              "All files (*)")
        if path:
            self.open_dataset(path)

    def _ask_open_dataset_folder(self) -> None:
        """File > Open dataset folder…: a folder of the four IDX files (and an optional class_names.txt)."""
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of IDX files (train-images-idx3-ubyte.gz …)",
                                                  self._folder())
        if folder:
            self.open_dataset(folder)

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
        if self._message_box is not None:  # one message at a time: the newest replaces the last
            self._message_box.close()
            self._message_box.setObjectName("")
            self._message_box.deleteLater()
        box = QMessageBox(QMessageBox.Warning, title, text, QMessageBox.Ok, self)
        box.setObjectName("errorMessageBox")
        box.setWindowModality(Qt.WindowModal)
        box.open()
        self._message_box = box
        return False

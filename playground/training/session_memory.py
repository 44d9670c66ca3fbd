"""What a launch takes back from the last one: the dataset that was open, and the trained network.

``SessionMemory(window)`` (``app.main`` attaches it to the real window; tests to theirs):

- **The dataset.** Whenever a dataset from a file becomes the current one (File > Open dataset,
  ``--data``, the downloaded MNIST), its path is kept in the window's settings
  (``session/dataset``); the bundled sample clears it. ``restore()`` reopens that file the way
  File > Open does (read and checked on a worker thread, the window usable meanwhile). A file
  that is gone is forgotten, with a note in the status bar; the sample stays open.
- **The trained network.** When the window closes, the network it holds is saved (atomically:
  ``model.save`` writes a temporary file, then renames it) as ``last_model.npz`` in the user's
  data folder (``engine.datasets.mnist.data_dir()``), if it was trained, did not diverge, and is
  the design the Network panel shows; otherwise an older file is removed, so a launch never
  brings back a network the learner had already left behind. ``restore()`` reads it (worker
  thread, after the dataset) and, when its design is the one restored from the settings, makes it
  the current network, as File > Load model would: the Draw panel predicts at once, Continue
  trains on from it, Reset weights starts afresh. A polished app puts the learner back where they
  left off (an editor reopens its files) instead of asking; restoring is safe because nothing is
  lost (no run is replaced) and one click undoes it. A network of another design is not
  restored; the note says where the file is (File > Load model… opens it). A damaged file is set
  aside (``last_model.damaged.npz``) with a note, and the launch goes on.

Every note is collected in ``notes`` and shown together in the status bar.
"""
from __future__ import annotations

import os
import sys
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal

from engine.datasets import mnist
from playground.core import model_files

DATASET_KEY = "session/dataset"
LAST_MODEL = "last_model.npz"
NOTE_MS = 30_000


def last_model_path() -> Path:
    """Where the network trained before the app closed is kept (the user's data folder)."""
    return mnist.data_dir() / LAST_MODEL


class SessionMemory(QObject):
    """Remembers the window's dataset and trained network across launches (see the module)."""

    restored = Signal()  # restore() has done everything it will do (dataset and network)

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("sessionMemory")
        self.window = window
        self.notes: list[str] = []
        self._waiting_for_dataset: str | None = None
        window.state.dataset_changed.connect(self.remember_dataset)
        window.file_loader.finished.connect(self._on_file_read)
        window.installEventFilter(self)
        dataset = window.state.dataset
        if dataset is not None and not _is_sample(dataset):  # --data chose it; the sample is just where a launch starts
            self.remember_dataset()

    # ----- the dataset --------------------------------------------------------------------------
    def remember_dataset(self) -> None:
        dataset, store = self.window.state.dataset, self.window.store
        if dataset is None:
            return
        if _is_sample(dataset):  # the learner chose the sample
            store.remove(DATASET_KEY)
        else:
            store.setValue(DATASET_KEY, str(Path(dataset.source).resolve()))

    def remembered_dataset(self) -> str | None:
        value = self.window.store.value(DATASET_KEY)
        return value if isinstance(value, str) and value else None

    def restore(self, reopen_dataset: bool = True) -> None:
        """Reopen the dataset last open (unless ``reopen_dataset`` is False: ``--data`` chose one),
        then restore the network trained last time; ``restored`` is emitted when both are done."""
        path = self.remembered_dataset() if reopen_dataset else None
        current = self.window.state.dataset
        if path is None or (current is not None and _same_file(current.source, path)):
            self._restore_model()
            return
        if not Path(path).exists():
            self.window.store.remove(DATASET_KEY)
            self.note(f"The dataset you had open last time is gone ({path}), so the bundled sample is open.")
            self._restore_model()
            return
        self._waiting_for_dataset = path
        if not self.window.open_dataset(path):  # refused (it says why): go on with what is open
            self._waiting_for_dataset = None
            self._restore_model()

    def _on_file_read(self, kind: str, ok: bool) -> None:
        if kind == "dataset" and self._waiting_for_dataset is not None:
            if not ok:  # File > Open's message said why; the next launch does not try again
                self.window.store.remove(DATASET_KEY)
            self._waiting_for_dataset = None
            self._restore_model()

    # ----- the trained network ------------------------------------------------------------------
    def _restore_model(self) -> None:
        path, dataset = last_model_path(), self.window.state.dataset
        if not path.is_file() or dataset is None:
            self.restored.emit()
            return
        self.window.file_loader.start("model", partial(model_files.read_model, path, dataset),
                                      partial(self._adopt_model, dataset), self._model_failed)

    def _adopt_model(self, dataset, read) -> bool:
        window, state = self.window, self.window.state
        try:
            if window.controller.is_busy or state.dataset is not dataset or state.model is not None:
                return False  # the learner moved on while it was read: leave what they have
            if read.specs is None or tuple(read.specs) != tuple(state.layers):
                self.note(f"The network trained last time has another design than the Network panel's, so it "
                          f"was not restored. File > Load model… opens it: {last_model_path()}")
                return False
            window.controller.adopt_model(read.model, "restored from the last session")
            state.set_model(read.model, trained=True)
            state.request_evaluation()
            self.note("The network you trained last time is back (Continue trains it on, Reset weights "
                      "starts afresh); evaluating it on the test set…")
            return True
        finally:
            self.restored.emit()

    def _model_failed(self, exc: Exception) -> None:
        path = last_model_path()
        aside = path.with_name("last_model.damaged.npz")
        try:
            os.replace(path, aside)
        except OSError:
            aside = path
        reason = str(exc).strip() or type(exc).__name__
        self.note(f"The network trained last time could not be read ({reason}), so it was not restored; "
                  f"the file is kept as {aside}.")
        self.restored.emit()

    def save_model(self) -> Path | None:
        """Keep the window's trained network for the next launch (or remove an older one)."""
        path, state = last_model_path(), self.window.state
        model, dataset = state.model, state.dataset
        keep = model is not None and state.trained and not state.model_problem and dataset is not None
        if keep:
            specs = model_files.layer_specs_of(model, dataset)
            keep = specs is not None and tuple(specs) == tuple(state.layers)
        try:
            if not keep:
                path.unlink(missing_ok=True)
                return None
            path.parent.mkdir(parents=True, exist_ok=True)
            model.save(path)
            return path
        except Exception as exc:  # noqa: BLE001 - the window is closing: say it where it can be seen
            print(f"neural-playground: could not keep the trained network in {path}: {exc}", file=sys.stderr)
            return None

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt name)
        if watched is self.window and event.type() == QEvent.Close:
            self.save_model()
        return False

    # ----- notes -----------------------------------------------------------------------------------
    def note(self, text: str) -> None:
        self.notes.append(text)
        self.window.statusBar().showMessage(" ".join(self.notes), NOTE_MS)


def _is_sample(dataset) -> bool:
    return _same_file(dataset.source, mnist.sample_path())


def _same_file(a, b) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError, TypeError):
        return False

"""Chapter 2's data preparation and the test-set evaluation (plain NumPy: safe on any thread).

The book reshapes the images from (60000, 28, 28) to (60000, 784), scales the grey levels from
0..255 to 0..1 (``train_images / 255``), and one-hot encodes the labels with
``to_categorical`` (a 5 becomes ``0 0 0 0 0 1 0 0 0 0``). The sparse loss takes the integer
labels as they are. Full MNIST as float32 is 190 MB, so the result is cached.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

import engine
from playground.core import thread_priority
from playground.core.specs import Dataset, Evaluation, TrainSettings, prepare_images

EVALUATION_BATCH_SIZE = 256


@dataclass
class PreparedData:
    """Tensors ready for the engine (chapter 2: reshape, scale to [0, 1], one-hot the labels)."""

    x_train: np.ndarray  # float32 (n, 784)
    y_train: np.ndarray  # one-hot float32 (n, classes), or int labels for a sparse loss
    x_test: np.ndarray
    y_test: np.ndarray
    test_labels: np.ndarray  # int (n,): what the Evaluate panel compares predictions with
    # what owns the arrays' memory when it is not ordinary memory (the ``SharedTensors`` a training
    # process maps them from: ``shared_tensors.in_shared_memory``); kept alive with them
    memory: object = field(default=None, repr=False, compare=False)


def prepare_data(dataset: Dataset, settings: TrainSettings) -> PreparedData:
    """Chapter 2's preprocessing for the first ``train_size`` digits (0 = all) and the test set."""
    n = len(dataset.x_train) if settings.train_size <= 0 else min(settings.train_size, len(dataset.x_train))
    sparse = settings.loss.startswith("sparse")

    def targets(labels):
        if sparse:
            return labels.astype(np.int64)
        return engine.utils.to_categorical(labels, dataset.num_classes).astype(np.float32)

    return PreparedData(
        prepare_images(dataset.x_train[:n]), targets(dataset.y_train[:n]),
        prepare_images(dataset.x_test), targets(dataset.y_test), dataset.y_test.astype(np.int64),
    )


class PreparedDataCache:
    """Remembers the last prepared tensors (full MNIST as float32 is 190 MB: prepare it once).

    ``warm`` prepares them on a background thread as soon as the dataset (or the training-set
    size, or the label form) changes, so that pressing Train does not wait for them: the first
    time, 220 MB of fresh memory costs the operating system almost half a second.
    """

    def __init__(self, place=None):
        self._place = place  # applied to freshly prepared tensors (e.g. ``shared_tensors.in_shared_memory``)
        self._lock = threading.Lock()  # held while preparing
        self._dataset: Dataset | None = None
        self._key = None
        self._data: PreparedData | None = None
        self._request_lock = threading.Lock()
        self._wanted: tuple[Dataset, TrainSettings] | None = None  # the newest warm() request
        self._warming = False

    @staticmethod
    def _key_for(settings: TrainSettings):
        return settings.train_size, settings.loss.startswith("sparse")

    def get(self, dataset: Dataset, settings: TrainSettings) -> PreparedData:
        key = self._key_for(settings)
        with self._lock:
            if self._data is None or self._dataset is not dataset or self._key != key:
                self._data = None  # free the old tensors before making new ones
                data = prepare_data(dataset, settings)
                if self._place is not None:
                    data = self._place(data)
                self._data, self._dataset, self._key = data, dataset, key
            return self._data

    def clear(self) -> None:
        """Forget the tensors now (the window is closing: their shared memory goes with them).
        Does not wait for a preparation in progress: what it makes goes with this cache."""
        self._data = self._dataset = self._key = None

    def holds(self, dataset: Dataset, settings: TrainSettings) -> bool:
        """Whether ``get`` would return at once (a glance: it may change right after)."""
        return self._data is not None and self._dataset is dataset and self._key == self._key_for(settings)

    def warm(self, dataset: Dataset | None, settings: TrainSettings) -> None:
        """Prepare for ``(dataset, settings)`` on a background thread; returns at once.

        Requests that arrive while one is being prepared are folded: only the newest is done next.
        """
        if dataset is None or self.holds(dataset, settings):
            return
        with self._request_lock:
            self._wanted = (dataset, settings)
            if self._warming:
                return
            self._warming = True
        threading.Thread(target=self._warm_until_done, name="prepare-data", daemon=True).start()

    def _warm_until_done(self) -> None:
        thread_priority.lower_this_thread()  # the window and a fit in progress go first
        while True:
            with self._request_lock:
                wanted, self._wanted = self._wanted, None
                if wanted is None:
                    self._warming = False
                    return
            try:
                self.get(*wanted)
            except Exception:  # noqa: BLE001 - Train prepares again and reports the problem
                pass


def shaped_for(model, x: np.ndarray) -> np.ndarray:
    """``x`` (n, 784) viewed as the model's input shape (no copy): (n, 28, 28) for a network that
    starts with ``Flatten`` (chapter 2), (n, 28, 28, 1) for a convnet (chapter 5: one grey channel)."""
    shape = tuple(getattr(model, "input_shape", None) or ())
    if shape and int(np.prod(shape)) == int(np.prod(x.shape[1:])) and tuple(x.shape[1:]) != shape:
        return x.reshape(len(x), *shape)
    return x


def evaluate_model(model, data: PreparedData) -> Evaluation:
    """``evaluate`` + ``predict`` on the test set, packed for the Evaluate panel."""
    x_test = shaped_for(model, data.x_test)
    loss, accuracy = model.evaluate(x_test, data.y_test, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    probabilities = model.predict(x_test, batch_size=EVALUATION_BATCH_SIZE, verbose=0)
    y_pred = np.argmax(probabilities, axis=1).astype(np.int64)
    return Evaluation(float(loss), float(accuracy), data.test_labels.astype(np.int64), y_pred, probabilities)

"""Your own handwriting: a personal test set, kept in MNIST's format (no Qt here).

Chapter 2 tests the network on ``test_images``, digits written by strangers in the 1990s. The
learner's own digits, drawn in the Draw panel and added with "Add to my digits", make a test
set of their own: each is stored as the network sees it (the 28x28 image after MNIST's
crop / scale / centre recipe), in MNIST's format, uint8 images ``(n, 28, 28)`` with grey
levels 0..255 and uint8 labels ``(n,)``, in one ``.npz`` file (``x_test`` and ``y_test``, the
names Keras's ``mnist.npz`` gives its test set) in the app's data folder.

Every change is written at once and atomically (a temporary file, then ``os.replace``): a crash
mid-write leaves the previous file whole. A file that cannot be read is moved aside (its name
gets ``.damaged-<time>``), the set starts empty, and ``problem`` says what happened in the
app's words; nothing else is touched. Imported files are not trusted: their ``.npy`` headers
are checked (shapes, dtypes, sizes) before any array is read, and labels must be 0..9.

``score(model, images, labels)`` runs a model on the set (``predict``, shaped with
``training_data.shaped_for`` so convnets get ``(n, 28, 28, 1)``) and gives its accuracy and
confusion matrix, as the Evaluate panel does for the test set.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from engine.datasets import npz_file
from engine.datasets.mnist import data_dir
from engine.serialization import atomic_write_bytes
from playground.core.damaged_files import move_aside
from playground.core.error_messages import plain
from playground.core.specs import prepare_images
from playground.core.training_data import EVALUATION_BATCH_SIZE, shaped_for

FILE_NAME = "my_digits.npz"
IMAGE_SHAPE = (28, 28)
CLASSES = 10
MAX_DIGITS = 10_000  # 7.8 MB of images: far more than anyone draws, small enough to predict at once
MAX_FILE_BYTES = 64 * 1024 * 1024  # an imported file larger than this is refused before it is opened
KEY_PAIRS = (("x_test", "y_test"), ("images", "labels"), ("x", "y"), ("x_train", "y_train"))  # read in this order


class HandwritingError(ValueError):
    """A problem with the learner's digits or a file of digits, in the app's words."""


def default_path() -> Path:
    """``<data folder>/my_digits.npz``, beside the downloaded MNIST (tests point the folder elsewhere)."""
    return data_dir() / FILE_NAME


# ----- images and labels -----------------------------------------------------------------------
def to_uint8(image: np.ndarray) -> np.ndarray:
    """A 28x28 float image in [0, 1] (the Draw panel's ``network_input()``) as MNIST's 0..255 grey levels."""
    image = np.asarray(image, dtype=np.float64)
    if image.shape != IMAGE_SHAPE:
        raise HandwritingError(f"A digit must be a 28x28 image; this one is {image.shape[0]}x{image.shape[-1]}."
                               if image.ndim == 2 else f"A digit must be a 28x28 image, not shape {image.shape}.")
    if not np.isfinite(image).all():
        raise HandwritingError("This drawing has pixels that are not numbers; clear it and draw again.")
    return np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)


def check_label(label) -> int:
    """``label`` as an int 0..9, or a HandwritingError."""
    try:
        value = int(label)
    except (TypeError, ValueError):
        raise HandwritingError(f"A label is a digit from 0 to 9, not {label!r}.") from None
    if value != label or not 0 <= value < CLASSES:
        raise HandwritingError(f"A label is a digit from 0 to 9, not {label!r}.")
    return value


def check_arrays(images, labels, what: str = "These digits") -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 (n, 28, 28) and labels 0..9 (n,) of one length, returned as uint8; else HandwritingError."""
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8:
        raise HandwritingError(f"{what} are not in MNIST's format: the images are {images.dtype}, not uint8 (0..255).")
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise HandwritingError(f"{what} are not in MNIST's format: the images have shape {images.shape}, "
                               "not (n, 28, 28).")
    if labels.ndim != 1 or not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == np.bool_):
        raise HandwritingError(f"{what} are not in MNIST's format: the labels must be whole numbers of shape (n,), "
                               f"not {labels.dtype} {labels.shape}.")
    if len(labels) != len(images):
        raise HandwritingError(f"{what} do not match: {len(images):,} images but {len(labels):,} labels.")
    if len(labels) and (labels.min() < 0 or labels.max() >= CLASSES):
        bad = int(labels.min() if labels.min() < 0 else labels.max())
        raise HandwritingError(f"{what} have the label {bad}; labels must be digits from 0 to 9.")
    if len(images) > MAX_DIGITS:
        raise HandwritingError(f"{what} are {len(images):,} digits; at most {MAX_DIGITS:,} are kept.")
    return np.ascontiguousarray(images), labels.astype(np.uint8)


# ----- files ------------------------------------------------------------------------------------
def to_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """The ``.npz`` file of a set (``x_test``, ``y_test``), ready to be written atomically."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x_test=images, y_test=labels)
    return buffer.getvalue()


def read_file(path) -> tuple[np.ndarray, np.ndarray]:
    """The (images, labels) in the ``.npz`` at ``path``; a HandwritingError says plainly what is wrong.

    Accepts the keys ``x_test``/``y_test`` (what this app writes), ``images``/``labels``, ``x``/``y``
    or ``x_train``/``y_train``. Headers are checked before anything is read: a small file that
    declares millions of images is refused without allocating them.
    """
    path = Path(path)
    name = f"“{path.name}”"
    if not path.is_file():
        raise HandwritingError(f"{name} does not exist or is not a file.")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise HandwritingError(f"{name} is larger than {MAX_FILE_BYTES // 2**20} MB: too big for a set of your digits.")
    if not zipfile.is_zipfile(path):
        raise HandwritingError(f"{name} is not a .npz file of digits (it is damaged, or another kind of file).")
    try:
        with zipfile.ZipFile(path) as archive:
            found = npz_file.members(archive)
            keys = next((pair for pair in KEY_PAIRS if all(k in found for k in pair)), None)
            if keys is None:
                names = ", ".join(sorted(found)) or "nothing"
                raise HandwritingError(f"{name} holds no digits: it has {names}, not x_test and y_test "
                                       "(uint8 images (n, 28, 28) and their labels).")
            headers = [npz_file.declared(archive, key, found[key]) for key in keys]
            x_head, y_head = headers
            if len(x_head.shape) == 3 and x_head.shape[0] > MAX_DIGITS:
                raise HandwritingError(f"{name} holds {x_head.shape[0]:,} digits; at most {MAX_DIGITS:,} are kept.")
            if x_head.dtype != np.uint8 or len(x_head.shape) != 3 or x_head.shape[1:] != IMAGE_SHAPE:
                raise HandwritingError(f"{name} is not in MNIST's format: its images are {x_head.dtype} "
                                       f"{x_head.shape}, not uint8 (n, 28, 28).")
            if len(y_head.shape) != 1 or y_head.shape[0] != x_head.shape[0] or y_head.dtype.itemsize > 8:
                raise HandwritingError(f"{name} does not match: {x_head.shape[0]:,} images but labels of shape "
                                       f"{y_head.shape}.")
            labels = npz_file.read(archive, y_head)
            images = npz_file.read(archive, x_head)
    except HandwritingError:
        raise
    except MemoryError:
        raise HandwritingError(f"{name} declares more data than fits in memory.") from None
    except npz_file.READ_ERRORS as exc:
        raise HandwritingError(f"{name} could not be read ({plain(str(exc)) or type(exc).__name__}); "
                               "is it damaged?") from None
    return check_arrays(images, labels, what=f"The digits in {name}")


def write_file(path, images: np.ndarray, labels: np.ndarray) -> None:
    """Write a set to ``path`` atomically: readers see the old file or the whole new one."""
    images, labels = check_arrays(images, labels)
    atomic_write_bytes(Path(path), to_bytes(images, labels))


# ----- the store --------------------------------------------------------------------------------
class MyDigits:
    """The learner's digits, in memory and in ``path`` (``default_path()`` if None).

    ``images`` uint8 (n, 28, 28), ``labels`` uint8 (n,). Each change writes the file first and
    changes the set only once the file is safely written: if writing fails, a HandwritingError
    says so and both the file and the set stay as they were.
    """

    def __init__(self, path=None):
        self.path = Path(path) if path is not None else default_path()
        self.images = np.zeros((0, *IMAGE_SHAPE), dtype=np.uint8)
        self.labels = np.zeros(0, dtype=np.uint8)
        self.problem = ""  # what happened to an unreadable file, in the app's words ("" if nothing)
        self.moved_to: Path | None = None
        self._load()

    def __len__(self) -> int:
        return len(self.labels)

    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            self.images, self.labels = read_file(self.path)
        except HandwritingError as error:
            self._move_aside(str(error))

    def _move_aside(self, reason: str) -> None:
        """Keep the unreadable file under another name (never delete it) and start empty."""
        try:
            aside = move_aside(self.path)
        except OSError as error:
            self.problem = (f"Your digits could not be read: {reason} It could not be moved aside either "
                            f"({error.strerror or error}), so it is left as it is and nothing will be saved over it.")
            self._read_only = True
            return
        self.moved_to = aside
        self.problem = (f"Your digits could not be read: {reason} The file was kept as “{aside.name}” in "
                        f"{aside.parent}, and My digits starts empty. Nothing else was changed.")

    _read_only = False

    # ----- changes (each written at once) -------------------------------------------------------
    def _commit(self, images: np.ndarray, labels: np.ndarray) -> None:
        if self._read_only:
            raise HandwritingError(f"“{self.path.name}” could not be read or moved aside, so it is not "
                                   "saved over. Move or delete it, then restart Neural Playground.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_file(self.path, images, labels)
        except OSError as error:
            raise HandwritingError(f"Your digits could not be saved in {self.path.parent} "
                                   f"({error.strerror or plain(str(error)) or type(error).__name__}). "
                                   "My digits is as it was before; nothing was lost.") from error
        self.images, self.labels = images, labels

    def add(self, image: np.ndarray, label) -> int:
        """Add one 28x28 image in [0, 1] (as the network sees it) with its label; returns its index."""
        if len(self) >= MAX_DIGITS:
            raise HandwritingError(f"My digits already holds {MAX_DIGITS:,} digits, the most it keeps. "
                                   "Delete some before adding more.")
        pixels, label = to_uint8(image), check_label(label)
        self._commit(np.concatenate([self.images, pixels[None]]),
                     np.concatenate([self.labels, np.array([label], dtype=np.uint8)]))
        return len(self) - 1

    def delete(self, indices) -> None:
        """Remove the digits at ``indices``."""
        indices = np.unique(np.asarray(indices, dtype=np.int64).ravel())
        if len(indices) and (indices.min() < 0 or indices.max() >= len(self)):
            raise HandwritingError(f"There is no digit number {int(indices.max()) + 1} in My digits.")
        keep = np.ones(len(self), dtype=bool)
        keep[indices] = False
        self._commit(self.images[keep], self.labels[keep])

    def relabel(self, index: int, label) -> None:
        """Give digit ``index`` a new label."""
        if not 0 <= int(index) < len(self):
            raise HandwritingError(f"There is no digit number {int(index) + 1} in My digits.")
        labels = self.labels.copy()
        labels[int(index)] = check_label(label)
        self._commit(self.images, labels)

    def export(self, path) -> None:
        """Write the set to ``path`` (atomically; an earlier file there stays whole if this fails)."""
        try:
            write_file(path, self.images, self.labels)
        except OSError as error:
            raise HandwritingError(f"“{Path(path).name}” could not be written "
                                   f"({error.strerror or plain(str(error)) or type(error).__name__}). "
                                   "Choose another folder; an earlier file of that name is unchanged.") from error

    def import_file(self, path) -> int:
        """Append the digits of the ``.npz`` at ``path``; returns how many were added."""
        images, labels = read_file(path)
        if len(self) + len(images) > MAX_DIGITS:
            raise HandwritingError(f"“{Path(path).name}” has {len(images):,} digits; with the {len(self):,} you "
                                   f"have that is more than the {MAX_DIGITS:,} My digits keeps. Nothing was added.")
        self._commit(np.concatenate([self.images, images]), np.concatenate([self.labels, labels]))
        return len(images)

    def network_inputs(self) -> np.ndarray:
        """The images as the book's ``x_test``: (n, 784) float32 in [0, 1]."""
        return prepare_images(self.images)


# ----- a model on the set -----------------------------------------------------------------------
@dataclass
class Score:
    """A model's answers on a set: predicted digits, probabilities, accuracy and confusion matrix."""

    predictions: np.ndarray  # (n,) int
    probabilities: np.ndarray  # (n, 10) float
    accuracy: float  # NaN for an empty set
    confusion: np.ndarray  # (10, 10) int: rows the true digit, columns the predicted one


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, dtype=np.int64), np.asarray(predictions, dtype=np.int64)), 1)
    return matrix


def read(model, images: np.ndarray) -> np.ndarray:
    """The model's softmax outputs (n, classes) for ``images`` (uint8 (n, 28, 28)): its readings."""
    if len(images) == 0:
        return np.zeros((0, CLASSES), np.float32)
    x = shaped_for(model, prepare_images(images))
    return np.asarray(model.predict(x, batch_size=EVALUATION_BATCH_SIZE, verbose=0))


def score_from(probabilities: np.ndarray, labels: np.ndarray) -> Score:
    """A Score from readings already made: predicted digits, accuracy and confusion matrix."""
    labels = np.asarray(labels, dtype=np.int64)
    probabilities = np.asarray(probabilities)
    if len(labels) == 0:
        return Score(np.zeros(0, np.int64), np.zeros((0, CLASSES), np.float32), float("nan"),
                     np.zeros((CLASSES, CLASSES), np.int64))
    predictions = np.argmax(probabilities, axis=1).astype(np.int64)
    classes = max(CLASSES, probabilities.shape[1])
    return Score(predictions, probabilities, float(np.mean(predictions == labels)),
                 confusion_matrix(labels, predictions, classes))


def score(model, images: np.ndarray, labels: np.ndarray) -> Score:
    """``predict`` on ``images`` (uint8 (n, 28, 28)), compared with ``labels``."""
    return score_from(read(model, images), labels)


class Readings:
    """One model's readings of digits, remembered by image: after an edit only the digits it has
    not read yet go through the network (adding a digit: one prediction; relabelling: none).

    The same picture twice is read once. No Qt and no thread of its own: the My digits panel
    predicts off the UI thread and hands the results to ``remember`` on the UI thread.
    """

    def __init__(self):
        self._rows: dict[bytes, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def missing(self, images: np.ndarray) -> np.ndarray:
        """Positions in ``images`` of the digits not read yet."""
        return np.array([i for i, image in enumerate(images) if image.tobytes() not in self._rows], dtype=np.int64)

    def remember(self, images: np.ndarray, probabilities: np.ndarray) -> None:
        for image, row in zip(images, np.asarray(probabilities)):
            self._rows[image.tobytes()] = row

    def lookup(self, images: np.ndarray) -> np.ndarray:
        """(n, classes) float: the readings of ``images``, a row of NaN for a digit not read yet."""
        width = len(next(iter(self._rows.values()))) if self._rows else CLASSES
        found = np.full((len(images), width), np.nan, dtype=np.float32)
        for i, image in enumerate(images):
            row = self._rows.get(image.tobytes())
            if row is not None and len(row) == width:
                found[i] = row
        return found


# ----- training on them ------------------------------------------------------------------------
def with_training_digits(data, extra: tuple[np.ndarray, np.ndarray] | None):
    """``data`` (a ``training_data.PreparedData``) with the learner's digits put first in the training set.

    They go first because Keras's ``validation_split`` holds out the *last* training samples:
    the learner's digits are trained on, never held out. Their targets take the form of
    ``data.y_train`` (one-hot rows or integer labels). ``extra`` None: ``data`` itself.
    The test set is untouched; a new ``PreparedData`` is returned (the cached one is shared).
    """
    if extra is None or len(extra[1]) == 0:
        return data
    images, labels = check_arrays(*extra)
    x = prepare_images(images)
    if data.y_train.ndim == 2:  # one-hot, as to_categorical makes it
        y = np.zeros((len(labels), data.y_train.shape[1]), dtype=data.y_train.dtype)
        y[np.arange(len(labels)), labels] = 1
    else:
        y = labels.astype(data.y_train.dtype)
    return replace(data, x_train=np.concatenate([x, data.x_train]), y_train=np.concatenate([y, data.y_train]))

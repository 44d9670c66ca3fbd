"""Turn the engine's dataset loaders into the app's ``Dataset`` (no Qt here: safe on any thread).

A dataset is named by what it is: "MNIST" only when its arrays are exactly Keras's MNIST
(``mnist.is_mnist`` hashes them), "Fashion-MNIST" when it is Keras's Fashion-MNIST (downloaded,
or a folder of Keras's four files, checked by their SHA-256), "MNIST sample (6,000 + 1,000)" for
the sample that ships with the app, and otherwise its file's or folder's name: a file of 60,000
digits is not MNIST for its size alone.

File > Open dataset takes (``load_dataset_file``) a Keras-style ``.npz`` (``x_train``, ``y_train``,
``x_test``, ``y_test``, and an optional ``class_names`` array of ten strings) or a folder of the
four IDX files MNIST and Fashion-MNIST were published as (gzipped or not) with an optional
``class_names.txt``, one name per line. The names travel on the ``Dataset`` (``class_names``),
the one source every panel reads a label's name from; without names a class is its digit.

``download_failed_text`` and ``open_failed_text`` word a failure for the learner.
"""
from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

from engine.datasets import fashion_mnist, idx, mnist, npz_file
from playground.core import error_messages
from playground.core.specs import Dataset

FULL_MNIST_NAME = "MNIST"
FASHION_MNIST_NAME = fashion_mnist.NAME
OPEN_DATASET = "File > Open dataset…"
OPEN_DATASET_FOLDER = "File > Open dataset folder…"
CLASS_NAMES_KEY = "class_names"  # the optional array in an .npz
CLASS_NAMES_FILE = "class_names.txt"  # the optional file in a folder of IDX files: one name per line
MAX_NAME_LENGTH = 40  # characters; longer names are refused rather than cut where the learner cannot see
MAX_NAMES_BYTES = 64 * 1024  # a class_names.txt or class_names array larger than this is not ten names
#: The datasets the Data panel downloads: key -> (name, size shown on the button).
DOWNLOADS = {
    "mnist": (FULL_MNIST_NAME, "11 MB"),
    "fashion_mnist": (FASHION_MNIST_NAME, f"{sum(fashion_mnist.FILE_SIZES.values()) / 1e6:.0f} MB"),
}
_IDX_NAMES = {stem for stem in idx.FILES.values()} | {stem.replace("-idx", ".idx") for stem in idx.FILES.values()}


def sample_name(n_train: int, n_test: int) -> str:
    return f"MNIST sample ({n_train:,} + {n_test:,})"


def is_full_mnist(dataset: Dataset | None) -> bool:
    """Whether ``dataset`` is Keras's full MNIST (as the loaders below name it)."""
    return dataset is not None and dataset.name == FULL_MNIST_NAME


def is_downloaded(dataset: Dataset | None, key: str) -> bool:
    """Whether ``dataset`` is the one the Data panel downloads as ``key`` ("mnist", "fashion_mnist")."""
    return dataset is not None and dataset.name == DOWNLOADS[key][0]


def load_sample_dataset() -> Dataset:
    """The real MNIST sample shipped with the app: what a fresh, offline machine trains on."""
    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    return Dataset(sample_name(len(x_train), len(x_test)), str(mnist.sample_path()), x_train, y_train, x_test, y_test)


def load_dataset_file(path: str | Path) -> Dataset:
    """What File > Open dataset (and ``--data``) opens: a folder of IDX files (or one of its four files), or an ``.npz``.

    Raises ``mnist.DatasetError`` (a ``ValueError``) saying what is wrong; nothing is kept then.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        return load_dataset_folder(path)
    if is_idx_file_name(path.name):  # one of the four files chosen: its folder is the dataset
        return load_dataset_folder(path.parent)
    return load_npz_dataset(path)


def is_idx_file_name(name: str) -> bool:
    """``train-images-idx3-ubyte.gz`` and the three others (gzipped or not): a dataset's IDX files."""
    return name.removesuffix(".gz") in _IDX_NAMES


def load_npz_dataset(path: str | Path) -> Dataset:
    """A local ``.npz`` in Keras's MNIST format, of any size; raises ``mnist.DatasetError`` (a ``ValueError``).

    Named "MNIST" if its arrays are Keras's MNIST, else after the file (``fashion.npz``). An optional
    ``class_names`` array (ten strings) names the classes.
    """
    arrays = mnist.validate(path, expect_full=False)
    names = read_npz_class_names(path)
    (x_train, y_train), (x_test, y_test) = arrays
    name = FULL_MNIST_NAME if mnist.is_mnist(arrays) else _own_name(Path(path).name, "file")
    return Dataset(name, str(path), x_train, y_train, x_test, y_test, class_names=names or ())


def load_dataset_folder(folder: str | Path) -> Dataset:
    """A folder of the four IDX files (``engine.datasets.idx.load_folder``) and an optional ``class_names.txt``.

    Named "MNIST" or "Fashion-MNIST" when it is Keras's (MNIST by its arrays, Fashion-MNIST by its
    files' SHA-256; Fashion-MNIST then has its ten names), else after the folder.
    """
    folder = Path(folder).expanduser()
    arrays = idx.load_folder(folder)
    names = read_class_names_file(folder / CLASS_NAMES_FILE) if (folder / CLASS_NAMES_FILE).exists() else None
    if mnist.is_mnist(arrays):
        name = FULL_MNIST_NAME
    elif is_kerass_fashion_mnist(folder):
        name, names = FASHION_MNIST_NAME, names or fashion_mnist.CLASS_NAMES
    else:
        name = _own_name(folder.name or str(folder), "folder")
    (x_train, y_train), (x_test, y_test) = arrays
    return Dataset(name, str(folder), x_train, y_train, x_test, y_test, class_names=tuple(names or ()))


def keras_dataset(dataset: Dataset | None) -> str:
    """What an exported Keras script loads for ``dataset`` (``engine.keras_export.DATASETS``): Keras's
    "mnist" (the full set or the bundled sample of it), "fashion_mnist", or "" (the learner's own)."""
    if dataset is None or dataset.name == FULL_MNIST_NAME or dataset.name.startswith("MNIST sample ("):
        return "mnist"
    return "fashion_mnist" if dataset.name == FASHION_MNIST_NAME else ""


def _own_name(name: str, kind: str) -> str:
    """A file's or folder's name, unless it is the name of a dataset it has not been shown to be."""
    reserved = (FULL_MNIST_NAME, FASHION_MNIST_NAME)
    return f"{name} ({kind})" if name.casefold() in {r.casefold() for r in reserved} else name


def is_kerass_fashion_mnist(folder: Path) -> bool:
    """True if ``folder``'s four files are Keras's Fashion-MNIST files, byte for byte (SHA-256)."""
    try:
        paths = idx.find_files(folder)
        for path in paths.values():
            if fashion_mnist.FILE_SIZES.get(path.name) != path.stat().st_size:
                return False  # not the gzipped file Keras publishes: no need to hash it
        for path in paths.values():
            hasher = hashlib.sha256()
            with open(path, "rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    hasher.update(chunk)
            if hasher.hexdigest() != fashion_mnist.FILE_HASHES[path.name]:
                return False
    except (OSError, ValueError):
        return False
    return True


def load_fashion_dataset(progress=None, cancel=None) -> Dataset:
    """Keras's Fashion-MNIST from the app's data folder, or downloaded into it; blocks (use a worker).

    ``engine.datasets.fashion_mnist.load_data``: each of the four files is used if its SHA-256 is
    Keras's, else downloaded, checked and moved into place; ``progress(done, total)`` runs over
    all four files, ``cancel`` (an Event) stops it. Raises ``mnist.DownloadError`` or ``DatasetError``.
    """
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(progress=progress, cancel=cancel)
    return Dataset(FASHION_MNIST_NAME, str(fashion_mnist.cache_dir()), x_train, y_train, x_test, y_test,
                   class_names=fashion_mnist.CLASS_NAMES)


# ----- class names -------------------------------------------------------------------------------
def check_class_names(names, where: str, classes: int = mnist.NUM_CLASSES) -> tuple[str, ...]:
    """``names`` as a tuple of ``classes`` tidy strings, or ``DatasetError`` saying what is wrong."""
    names = [re.sub(r"\s+", " ", str(name)).strip() for name in names]
    if len(names) != classes:
        raise mnist.DatasetError(f"{where} has {len(names)} name{'s' if len(names) != 1 else ''}; it needs one "
                                 f"for each of the {classes} labels 0 to {classes - 1}")
    for label, name in enumerate(names):
        if not name:
            raise mnist.DatasetError(f"{where}: the name of label {label} is empty")
        if len(name) > MAX_NAME_LENGTH:
            raise mnist.DatasetError(f"{where}: the name of label {label} has {len(name)} characters; "
                                     f"at most {MAX_NAME_LENGTH} are shown")
        if name in names[:label]:
            raise mnist.DatasetError(f"{where}: labels {names.index(name)} and {label} are both called “{name}”")
    return tuple(names)


def read_class_names_file(path: str | Path) -> tuple[str, ...]:
    """The ten names in a ``class_names.txt`` (UTF-8, one per line; blank lines at the end ignored)."""
    path = Path(path)
    if not path.is_file():
        raise mnist.DatasetError(f"{path.name} is not a regular file")
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_NAMES_BYTES + 1)
    except OSError as exc:
        raise mnist.DatasetError(f"{path.name} cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_NAMES_BYTES:
        raise mnist.DatasetError(f"{path.name} is larger than {MAX_NAMES_BYTES // 1024} KB: it is not a list of ten names")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise mnist.DatasetError(f"{path.name} is not UTF-8 text") from None
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return check_class_names(lines, path.name)


def read_npz_class_names(path: str | Path) -> tuple[str, ...] | None:
    """The ``class_names`` array of an ``.npz`` (strings, checked before it is read), or None if it has none."""
    def bad(problem: str) -> mnist.DatasetError:
        return mnist.DatasetError(f"{path} is not a valid MNIST file: {problem}")

    try:
        with zipfile.ZipFile(path) as archive:
            member = npz_file.members(archive).get(CLASS_NAMES_KEY)
            if member is None:
                return None
            header = npz_file.declared(archive, CLASS_NAMES_KEY, member)
            if header.dtype.kind not in "US":
                raise bad(f"{CLASS_NAMES_KEY} holds {header.dtype} values; it must be an array of strings, "
                          "such as np.array([\"T-shirt/top\", \"Trouser\", ...])")
            if len(header.shape) != 1:
                raise bad(f"{CLASS_NAMES_KEY} has shape {header.shape}; it must be a list of names, shape (10,)")
            if header.nbytes > MAX_NAMES_BYTES:
                raise bad(f"{CLASS_NAMES_KEY} declares {header.nbytes:,} bytes: it is not a list of ten names")
            values = npz_file.read(archive, header)
    except mnist.DatasetError:
        raise
    except npz_file.READ_ERRORS as exc:
        raise bad(f"could not read {CLASS_NAMES_KEY} ({exc}); is it corrupt?") from exc
    try:
        names = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values.tolist()]
    except UnicodeDecodeError:
        raise bad(f"{CLASS_NAMES_KEY} is not UTF-8 text") from None
    try:
        return check_class_names(names, CLASS_NAMES_KEY)
    except mnist.DatasetError as exc:
        raise bad(str(exc)) from None


def load_full_dataset(url: str | None = None, dest: str | Path | None = None, sha256: str | None = mnist.MNIST_SHA256,
                      progress=None, timeout: float = 30.0, cancel=None, **transfer) -> Dataset:
    """The full MNIST from the app's download cache, or downloaded into it; blocks (use a worker).

    The cache and download steps of ``mnist.load_data``, with the engine's own code for both:

    1. ``dest`` (default ``mnist.cache_path()``) is used if the engine trusts it as
       ``mnist.load_data`` trusts its cache: its SHA-256 is ``sha256``. The hash is computed
       once and then remembered in the engine's ``.sha256`` stamp beside the file, so a
       file of the right shapes but unknown origin is never taken for the full MNIST.
    2. Otherwise ``mnist.download`` fetches ``url`` (default Keras's) into ``dest``: it streams
       to a temporary file, checks the hash and only then moves the file into place.
       ``sha256=None`` trusts no earlier file and validates the download's contents instead.

    ``progress(done, total)``, ``timeout``, ``cancel`` (an Event) and ``transfer``
    (``min_rate``, ``stall_window``, ``poll_interval``) go to ``mnist.download``. Raises
    ``mnist.DownloadError`` (``DownloadCancelled``) or ``mnist.DatasetError``.
    """
    dest = Path(dest).expanduser() if dest is not None else mnist.cache_path()
    # the trust check mnist.load_data applies to its cache (step 3 there); the engine has no public name for it
    if sha256 is not None and dest.is_file() and mnist.cached_file_is_trusted(dest, sha256.lower()):
        return load_npz_dataset(dest)  # downloaded by an earlier run: no network needed
    path = mnist.download(url=url or mnist.MNIST_URL, dest=dest, sha256=sha256, progress=progress,
                          timeout=timeout, cancel=cancel, **transfer)
    return load_npz_dataset(path)


def download_failed_text(error: BaseException, dataset: str = FULL_MNIST_NAME) -> str:
    """What the learner reads when downloading ``dataset`` ("MNIST" or "Fashion-MNIST") fails: what
    happened, then what to do.

    The engine's own message is for people running scripts (it names ``--data``, environment
    variables and ``load_sample()``); this one speaks of the app's panels and menus.
    """
    mnist_file = dataset == FULL_MNIST_NAME
    if isinstance(error, mnist.DatasetError):
        return (f"The downloaded {'file is' if mnist_file else 'files are'} not usable: {error}. Nothing was kept. "
                f"You can keep working with the sample, or open "
                + (f"an mnist.npz you have with {OPEN_DATASET}" if mnist_file else
                   f"a folder of {dataset}'s files you have with {OPEN_DATASET_FOLDER}"))
    kind, reason = getattr(error, "kind", "failed"), getattr(error, "reason", "") or str(error)
    what = {
        "offline": f"Could not reach the download server ({reason}): this computer seems to be offline.",
        "http": f"The download server refused the file ({reason}).",
        "slow": f"The download was stopped because it was too slow ({reason.removeprefix('too slow: ')}).",
        "interrupted": f"The connection was lost ({reason}).",
        "hash": f"The downloaded file is not Keras's {dataset} (its SHA-256 checksum does not match): "
                "it was damaged on the way, or the server's file changed.",
        "not_mnist": f"The downloaded file is not an MNIST dataset ({reason}).",
        "cancelled": "The download was cancelled.",
    }.get(kind, f"The download failed ({reason}).")
    if mnist_file:
        have, open_it = "mnist.npz (11 MB)", f"open it here with {OPEN_DATASET}"
        already = f"open an mnist.npz you already have with {OPEN_DATASET}"
    else:
        have = f"{dataset}'s four files ({DOWNLOADS['fashion_mnist'][1]})" if dataset == FASHION_MNIST_NAME else dataset
        open_it = f"open their folder here with {OPEN_DATASET_FOLDER}"
        already = f"open a folder of {dataset}'s files you already have with {OPEN_DATASET_FOLDER}"
    todo = (f"Try again when you are online, or download {have} on another computer and {open_it}."
            if kind == "offline" else f"Try again, or {already}.")
    return f"{what} Nothing was saved. {todo} Until then, the bundled sample works offline."


def open_failed_text(path, exc: BaseException, kept: str = "The dataset you had stays open.") -> str:
    """File > Open dataset (or Open dataset folder) failed: what happened, what to do, ``kept``."""
    path = Path(path)
    if not (path.is_dir() or is_idx_file_name(path.name)):
        return error_messages.open_dataset_failed(path, exc, kept=kept)
    folder = path if path.is_dir() else path.parent
    name = f"“{folder.name or folder}”"
    if isinstance(exc, MemoryError):
        what = f"The files in the folder {name} declare more data than this computer's memory can hold."
    elif isinstance(exc, PermissionError):
        what = f"Neural Playground is not allowed to read the folder {name}: check its permissions."
    else:
        detail = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        for spelled in {str(folder), str(folder.expanduser()), str(path)}:
            detail = detail.replace(spelled + ": ", "").replace(spelled, name)
        detail = error_messages.plain(detail).rstrip(".")
        what = f"The folder {name} could not be opened as a dataset: {detail}."
    files = ", ".join(stem + ".gz" for stem in idx.FILES.values())
    return (f"{what}\n\nA dataset folder holds the four IDX files of MNIST's format ({files}; gzipped or not) "
            f"and, if you like, a {CLASS_NAMES_FILE} with one class name per line. Choose one with "
            f"{OPEN_DATASET_FOLDER}, or an .npz with {OPEN_DATASET}. {kept}")

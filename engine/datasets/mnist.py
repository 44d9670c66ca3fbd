"""MNIST handwritten digits, loaded the way Keras loads them.

What MNIST is
-------------
70,000 grayscale images of handwritten digits, each 28 x 28 pixels with
values 0 (background) to 255 (ink), and a label 0..9 saying which digit it is.
Yann LeCun, Corinna Cortes and Christopher J.C. Burges built it in the 1990s by
re-mixing two NIST databases (census employees and high-school students), so
that the 60,000 training images and the 10,000 test images were written by
different people. A model that scores well on the test set therefore reads
handwriting it has never seen, which is the whole point.

Where the file comes from
-------------------------
Keras publishes the data as one NumPy archive, ``mnist.npz`` (about 11 MB),
holding four arrays::

    x_train  uint8 (60000, 28, 28)    y_train  uint8 (60000,)
    x_test   uint8 (10000, 28, 28)    y_test   uint8 (10000,)

This is the very file behind ``dataset_mnist()`` in *Deep Learning with R*
(Chollet & Allaire), chapter 2, where the book's first network starts with::

    mnist <- dataset_mnist()
    train_images <- mnist$train$x
    train_labels <- mnist$train$y

The Python spelling used here is the same as Keras's::

    from engine.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data()

:func:`load_data` looks for the file, in order: the ``path`` you pass; the file
named by the environment variable ``PLAYGROUND_MNIST``; this app's cache
(:func:`cache_path`); Keras's own cache (``~/.keras/datasets/mnist.npz``);
and only then downloads it (:func:`download`) into the app's cache. Files you
point at are *validated* (right arrays, shapes, dtypes, labels); the cached
download is *hashed* (SHA-256) so a damaged or half-written file is never used.

Offline? :func:`load_sample` returns a 7,000-digit stratified subset that ships
with the app in ``engine/datasets/data/mnist_sample.npz`` - enough to train a small network
to roughly 90 % accuracy in seconds.

Licence
-------
MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, a
derivative of NIST data, and is made available under the Creative Commons
Attribution-Share Alike 3.0 licence (CC BY-SA 3.0). The ``mnist.npz``
packaging is Keras's.

Environment variables
---------------------
``PLAYGROUND_MNIST``        a local mnist.npz to use instead of downloading.
``PLAYGROUND_DATA_DIR``     overrides the app's data directory (the cache).
``PLAYGROUND_MNIST_URL``    download from this URL instead of :data:`MNIST_URL`.
``PLAYGROUND_MNIST_SHA256`` the SHA-256 that URL's file must have.
``PLAYGROUND_SAMPLE``       a different file for :func:`load_sample`.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.resources
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Union

import numpy as np

from . import http_fetch, npz_file

__all__ = [
    "MNIST_URL",
    "MNIST_SHA256",
    "SAMPLE_PATH",
    "DatasetError",
    "DownloadError",
    "DownloadCancelled",
    "load_data",
    "load_sample",
    "sample_path",
    "download",
    "validate",
    "is_mnist",
    "cache_path",
    "data_dir",
]

#: Keras's canonical copy of the file (the one ``keras.datasets.mnist`` uses).
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
#: SHA-256 of the file at :data:`MNIST_URL`; a download must match it exactly.
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
#: SHA-256 of the contents of Keras's file: the bytes of ``x_train``, ``y_train``, ``x_test`` and
#: ``y_test``, in that order, row-major. Unlike :data:`MNIST_SHA256` it does not change when the
#: same arrays are saved again or recompressed; :func:`is_mnist` compares with it.
MNIST_CONTENT_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
#: The small offline subset, shipped inside this package as package data (see assets/README.md).
SAMPLE_RESOURCE = importlib.resources.files(__package__) / "data" / "mnist_sample.npz"
#: Where that file is in an ordinary (unzipped) install or checkout.
SAMPLE_PATH = Path(str(SAMPLE_RESOURCE))

APP_NAME = "neural-playground"
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10
FULL_SIZES = {"train": 60_000, "test": 10_000}
#: The most images a file may declare per set (train or test): five times the full MNIST's
#: training set, 235 MB. Files that declare more are refused before anything is read.
MAX_DIGITS = 300_000
KEYS = ("x_train", "y_train", "x_test", "y_test")
#: A download slower than this (bytes per second) over a whole :data:`STALL_WINDOW` is abandoned.
MIN_RATE = 10_000
STALL_WINDOW = 30.0  # seconds

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
Progress = Callable[[int, Union[int, None]], Any]
PathLike = Union[str, "os.PathLike[str]"]


class DatasetError(ValueError):
    """A data file cannot be used: missing, not an archive, or not MNIST."""


class DownloadError(OSError):
    """Fetching MNIST failed; nothing was written to the cache.

    Besides the message, it says what happened in fields an app can word for its own
    users: ``url``, ``reason`` (the technical cause) and ``kind``, one of ``"offline"``,
    ``"http"``, ``"slow"``, ``"interrupted"``, ``"hash"``, ``"not_mnist"``,
    ``"cancelled"`` or ``"failed"``.
    """

    def __init__(self, message: str, *, url: str = "", reason: str = "", kind: str = "failed"):
        super().__init__(message)
        self.url, self.reason, self.kind = url, reason, kind


class DownloadCancelled(DownloadError):
    """The caller cancelled the download; nothing was written to the cache."""


# --------------------------------------------------------------------------
# Where things live
# --------------------------------------------------------------------------


def data_dir() -> Path:
    """The app's per-user data directory (``PLAYGROUND_DATA_DIR`` overrides).

    Uses :mod:`platformdirs` when available (``~/.local/share/neural-playground``
    on Linux, ``~/Library/Application Support/neural-playground`` on macOS,
    ``%LOCALAPPDATA%\\neural-playground`` on Windows), else the Linux default.
    """
    override = os.environ.get("PLAYGROUND_DATA_DIR")
    if override:
        return Path(override).expanduser()
    try:
        from platformdirs import user_data_dir
    except ImportError:
        base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        return Path(base) / APP_NAME
    return Path(user_data_dir(APP_NAME, appauthor=False))


def cache_path() -> Path:
    """Where :func:`download` puts mnist.npz: ``data_dir()/datasets/mnist.npz``."""
    return data_dir() / "datasets" / "mnist.npz"


def keras_cache_path() -> Path:
    """Where Keras keeps its copy (``$KERAS_HOME`` or ``~/.keras``)."""
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "datasets" / "mnist.npz"


def _configured_url() -> str:
    return os.environ.get("PLAYGROUND_MNIST_URL") or MNIST_URL


def _configured_sha256() -> str:
    return (os.environ.get("PLAYGROUND_MNIST_SHA256") or MNIST_SHA256).lower()


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """Read the four MNIST arrays from ``path``, or say clearly why not.

    The archive is not trusted: the ``.npy`` headers of the four arrays are read and checked
    (dtype, shapes, counts, :data:`MAX_DIGITS`, sizes) before any array is allocated; the
    labels are read and checked before the images; other members are never read.
    """

    def bad(problem: str) -> DatasetError:
        return DatasetError(f"{path} is not a valid MNIST file: {problem}")

    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    if not path.is_file():
        raise DatasetError(f"{path} is not a file")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise DatasetError(f"{path} cannot be read ({exc.strerror or exc})") from exc
    if not zipfile.is_zipfile(path):
        raise bad("not a .npz archive (is it corrupt or truncated?)")
    try:
        with zipfile.ZipFile(path) as archive:
            found = npz_file.members(archive)
            missing = [key for key in KEYS if key not in found]
            if missing:
                names = ", ".join(repr(k) for k in found) or "nothing"
                noun = "key" if len(missing) == 1 else "keys"
                raise bad(f"missing {noun} {', '.join(repr(k) for k in missing)} (found {names})")
            headers = {key: npz_file.declared(archive, key, found[key]) for key in KEYS}
            problem = _layout_problem({k: (h.shape, h.dtype) for k, h in headers.items()})
            problem = problem or next(filter(None, (h.size_problem() for h in headers.values())), None)
            if problem:
                raise bad(problem)
            arrays = {key: npz_file.read(archive, headers[key]) for key in ("y_train", "y_test")}
            problem = _labels_problem(arrays)
            if problem:
                raise bad(problem)
            arrays.update({key: npz_file.read(archive, headers[key]) for key in ("x_train", "x_test")})
            return {key: arrays[key] for key in KEYS}
    except DatasetError:
        raise
    except npz_file.READ_ERRORS as exc:
        raise bad(f"could not read it ({exc}); is it corrupt?") from exc
    except MemoryError as exc:
        raise bad("its arrays do not fit in memory") from exc


def _layout_problem(layout: Mapping[str, tuple[tuple[int, ...], np.dtype]]) -> str | None:
    """What is wrong with the four arrays' ``(shape, dtype)``, or None (nothing is read)."""
    for key in KEYS:
        if layout[key][1] != np.uint8:
            return f"{key} has dtype {layout[key][1]}, expected uint8"
    for split in ("train", "test"):
        (x_shape, _), (y_shape, _) = layout[f"x_{split}"], layout[f"y_{split}"]
        if len(x_shape) != 3 or tuple(x_shape[1:]) != IMAGE_SHAPE:
            return f"x_{split} has shape {tuple(x_shape)}, expected (n, 28, 28)"
        if len(y_shape) != 1:
            return f"y_{split} has shape {tuple(y_shape)}, expected (n,)"
        if y_shape[0] != x_shape[0]:
            return f"y_{split} has {y_shape[0]} labels but x_{split} has {x_shape[0]} images"
        if x_shape[0] > MAX_DIGITS:
            return (f"x_{split} declares {x_shape[0]:,} images; "
                    f"at most {MAX_DIGITS:,} per set are accepted (the full MNIST has {FULL_SIZES[split]:,})")
    return None


def _labels_problem(arrays: Mapping[str, np.ndarray]) -> str | None:
    for split in ("train", "test"):
        y = arrays[f"y_{split}"]
        if len(y) and int(y.max()) >= NUM_CLASSES:
            return f"y_{split} contains label {int(y.max())}; labels must be 0..9"
    return None


def _check_arrays(arrays: Mapping[str, Any], name: str, expect_full: bool) -> None:
    """Raise :class:`DatasetError` unless ``arrays`` look like MNIST."""

    def bad(problem: str) -> DatasetError:
        return DatasetError(f"{name} is not a valid MNIST file: {problem}")

    for key in KEYS:
        if key not in arrays:
            raise bad(f"missing key {key!r}")
        value = arrays[key]
        if not isinstance(value, np.ndarray):
            raise bad(f"{key} is a {type(value).__name__}, not a NumPy array")
    problem = _layout_problem({key: (arrays[key].shape, arrays[key].dtype) for key in KEYS})
    problem = problem or _labels_problem(arrays)
    if problem:
        raise bad(problem)
    if expect_full:
        for split in ("train", "test"):
            count = len(arrays[f"x_{split}"])
            if count != FULL_SIZES[split]:
                raise bad(
                    f"x_{split} has {count} images, but the full MNIST has {FULL_SIZES[split]} "
                    "(for a subset, use validate(..., expect_full=False) or load_sample())"
                )


def validate(
    source: PathLike | Mapping[str, Any] | Arrays, *, expect_full: bool = True
) -> Arrays:
    """Check that ``source`` is MNIST and return it as ``(train, test)`` tuples.

    ``source`` may be a path to an ``.npz`` file, a mapping with the keys
    ``x_train``, ``y_train``, ``x_test``, ``y_test`` (a dict or an opened npz),
    or the ``((x_train, y_train), (x_test, y_test))`` tuple itself.

    Checked: the four keys exist; all arrays are uint8; images are
    ``(n, 28, 28)`` with one label each; labels are 0..9; and, with
    ``expect_full`` (the default), there are exactly 60,000 training and
    10,000 test images. Pass ``expect_full=False`` for subsets such as the
    bundled sample. Raises :class:`DatasetError` naming the problem.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        arrays: Mapping[str, Any] = _read_npz(path)
        name = str(path)
    elif isinstance(source, Mapping) or hasattr(source, "files"):
        arrays, name = source, "the given arrays"
    else:
        try:
            (x_train, y_train), (x_test, y_test) = source  # type: ignore[misc]
        except (TypeError, ValueError) as exc:
            raise DatasetError(
                "validate() needs a path, a mapping of arrays, or "
                "((x_train, y_train), (x_test, y_test))"
            ) from exc
        arrays = dict(zip(KEYS, (x_train, y_train, x_test, y_test)))
        name = "the given arrays"
    _check_arrays(arrays, name, expect_full)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def is_mnist(arrays: Arrays) -> bool:
    """True if ``((x_train, y_train), (x_test, y_test))`` are exactly Keras's MNIST.

    Same digits, labels and order, however the file was saved: the arrays' bytes are hashed
    (about 0.1 s) and compared with :data:`MNIST_CONTENT_SHA256`. A subset, a shuffled copy
    or another dataset of the same shapes (Fashion-MNIST, say) is not MNIST.
    """
    (x_train, y_train), (x_test, y_test) = arrays
    if len(x_train) != FULL_SIZES["train"] or len(x_test) != FULL_SIZES["test"]:
        return False
    hasher = hashlib.sha256()
    for array in (x_train, y_train, x_test, y_test):
        hasher.update(memoryview(np.ascontiguousarray(array, dtype=np.uint8)).cast("B"))
    return hasher.hexdigest() == MNIST_CONTENT_SHA256


# --------------------------------------------------------------------------
# Hashing the cache
# --------------------------------------------------------------------------


def _sha256_of(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _write_stamp(path: Path, digest: str) -> None:
    """Remember ``path``'s hash next to it, keyed by its size and mtime."""
    stamp, tmp = _stamp_path(path), None
    try:
        st = path.stat()
        fd, tmp = tempfile.mkstemp(dir=stamp.parent, prefix=f".{stamp.name}.", suffix=".part")
        with os.fdopen(fd, "w") as out:
            out.write(f"{digest} {st.st_size} {st.st_mtime_ns}\n")
        os.replace(tmp, stamp)  # atomic, and never opens whatever odd file was there
    except OSError:  # the stamp is only a speed-up; without it we simply hash again
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def cached_file_is_trusted(path: Path, expected: str) -> bool:
    """True if ``path`` has SHA-256 ``expected``.

    Hashing 11 MB on every start would be wasteful, so the digest is stored in
    a ``.sha256`` stamp beside the file together with the file's size and
    modification time. If either changed, the stamp is stale and we hash again.
    """
    try:
        st = path.stat()
        if not _stamp_path(path).is_file():  # missing, or something odd (a FIFO would block)
            raise OSError("no stamp")
        with open(_stamp_path(path), "rb") as stamp:  # a stamp is one short line: never read more
            digest, size, mtime_ns = stamp.read(200).decode("ascii").split()
        if int(size) == st.st_size and int(mtime_ns) == st.st_mtime_ns:
            return digest == expected
    except (OSError, ValueError):
        pass
    try:
        digest = _sha256_of(path)
    except OSError:
        return False
    _write_stamp(path, digest)
    return digest == expected


# --------------------------------------------------------------------------
# Downloading
# --------------------------------------------------------------------------


def _download_error(url: str, reason: object, offline: bool, kind: str = "failed", dataset: str = "MNIST") -> DownloadError:
    """Build a DownloadError whose message tells a script's user what to do next."""
    hint = "You appear to be offline" if offline else "Nothing was saved; try again"
    advice = ("download mnist.npz on another machine and pass it with --data PATH "
              "or set PLAYGROUND_MNIST=/path/to/mnist.npz, or use the bundled sample (load_sample())."
              if dataset == "MNIST" else
              f"download the {dataset} files on another machine and load them from their folder.")
    return DownloadError(
        f"Could not download {dataset} from {url} ({reason}). {hint}: {advice}",
        url=url, reason=str(reason), kind="offline" if offline else kind,
    )


def _stream(url: str, out: Any, progress: Progress | None, timeout: float, cancel: Any,
            min_rate: float, stall_window: float, poll_interval: float, dataset: str = "MNIST") -> str:
    """Copy ``url`` into the open file ``out``; return the SHA-256 of the bytes."""
    try:
        digest, done, total = http_fetch.fetch(
            url, out, user_agent=APP_NAME, timeout=timeout, cancel=cancel, progress=progress,
            min_rate=min_rate, stall_window=stall_window, poll_interval=poll_interval)
    except http_fetch.Cancelled:
        raise DownloadCancelled(f"{dataset} download cancelled; nothing was saved.", url=url, kind="cancelled") from None
    except http_fetch.TooSlow as exc:
        received = exc.args[0] if exc.args else 0
        raise _download_error(
            url, f"too slow: {received:,} bytes in the last {stall_window:g} s, "
            f"below the minimum of {min_rate:,.0f} bytes per second", offline=False, kind="slow",
            dataset=dataset) from None
    except http_fetch.HTTPStatusError as exc:
        raise _download_error(url, str(exc), offline=False, kind="http", dataset=dataset) from exc
    except http_fetch.CannotConnect as exc:
        raise _download_error(url, exc, offline=True, dataset=dataset) from exc
    except (TimeoutError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = f"connection lost: {exc}" if str(exc) else type(exc).__name__
        raise _download_error(url, reason, offline=False, dataset=dataset) from exc
    # a connection that closes early reads as the end: compare with what the server promised
    if total is not None and done != total:
        raise _download_error(
            url, f"transfer interrupted after {done:,} of {total:,} bytes", offline=False, kind="interrupted",
            dataset=dataset,
        )
    return digest


def download(
    url: str = MNIST_URL,
    dest: PathLike | None = None,
    sha256: str | None = MNIST_SHA256,
    progress: Progress | None = None,
    timeout: float = 30,
    cancel: Any = None,
    min_rate: float = MIN_RATE,
    stall_window: float = STALL_WINDOW,
    poll_interval: float = 0.1,
    dataset: str = "MNIST",
) -> Path:
    """Download ``url`` to ``dest`` (default :func:`cache_path`), safely.

    The bytes are streamed in chunks into a temporary file *in the destination
    folder*, calling ``progress(done_bytes, total_bytes_or_None)`` as they
    arrive. Only when the transfer is complete and its SHA-256 equals
    ``sha256`` is the file moved into place with :func:`os.replace`, which is
    atomic: ``dest`` is either the old file or the complete new one, never
    half a download. (``sha256=None`` skips the hash and validates the
    contents as MNIST instead, e.g. for a mirror with its own packaging.)

    ``cancel`` is a callable returning True, or a :class:`threading.Event`-like
    object with ``is_set()``. It is checked between reads and, while a read
    waits, every ``poll_interval`` seconds by a watchdog thread that then closes
    the connection: a cancel takes effect within about ``poll_interval``.
    A transfer that brings fewer than ``min_rate`` bytes per second over a whole
    ``stall_window`` seconds is abandoned (a stalled or trickling server);
    ``timeout`` bounds connecting and each read. ``dataset`` names what is downloaded in messages.

    On any failure - network error, timeout, short transfer, wrong hash,
    cancellation - the temporary file is deleted, nothing is left behind, and
    :class:`DownloadError` (or its subclass :class:`DownloadCancelled`) is
    raised with a message that says what to do.
    """
    dest = Path(dest).expanduser() if dest is not None else cache_path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _stream(url, out, progress, timeout, cancel, min_rate, stall_window, poll_interval, dataset)
        if sha256 is not None and digest != sha256.lower():
            raise _download_error(
                url,
                f"the file's SHA-256 is {digest}, expected {sha256.lower()}; "
                "the transfer was corrupted or the server's file changed",
                offline=False, kind="hash", dataset=dataset,
            )
        if sha256 is None:
            try:
                validate(tmp)
            except DatasetError as exc:
                raise _download_error(url, f"not an MNIST file: {exc}", offline=False, kind="not_mnist") from exc
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_stamp(dest, digest)
    return dest


# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------


def load_data(path: PathLike | None = None, progress: Progress | None = None) -> Arrays:
    """Return MNIST as ``(x_train, y_train), (x_test, y_test)`` uint8 arrays.

    Shapes: ``(60000, 28, 28)``, ``(60000,)``, ``(10000, 28, 28)``,
    ``(10000,)``. Pixels are 0..255, labels 0..9; scaling to floats is the
    model's job, as in the book.

    Sources, first match wins:

    1. ``path``, if given (validated; errors are raised, not skipped);
    2. the file named by ``PLAYGROUND_MNIST`` (same);
    3. our cache, :func:`cache_path`, if its SHA-256 is the expected one;
    4. Keras's cache ``~/.keras/datasets/mnist.npz`` (skipped with a warning
       if it is not valid MNIST);
    5. a fresh :func:`download` into our cache, reporting ``progress``.
    """
    if path is not None:
        return validate(path)
    env_path = os.environ.get("PLAYGROUND_MNIST")
    if env_path:
        return validate(env_path)

    cached = cache_path()
    expected = _configured_sha256()
    if cached.is_file() and cached_file_is_trusted(cached, expected):
        return validate(cached)

    keras_file = keras_cache_path()
    if keras_file.is_file():
        try:
            return validate(keras_file)
        except DatasetError as exc:
            warnings.warn(f"Ignoring Keras's cached MNIST: {exc}", stacklevel=2)

    return validate(download(_configured_url(), cached, expected, progress=progress))


def load_sample(path: PathLike | None = None) -> Arrays:
    """Return the bundled offline subset as ``(x_train, y_train), (x_test, y_test)``.

    6,000 training and 1,000 test digits (600 and 100 of each class), drawn
    reproducibly from the full MNIST by ``scripts/make_mnist_sample.py``.
    Reads ``path``, else ``PLAYGROUND_SAMPLE``, else the file shipped in this package
    (:data:`SAMPLE_RESOURCE`, found with :mod:`importlib.resources`, so it works from any
    folder after ``pip install``).
    """
    if path is None:
        path = os.environ.get("PLAYGROUND_SAMPLE")
    if path:
        return validate(path, expect_full=False)
    with importlib.resources.as_file(SAMPLE_RESOURCE) as shipped:
        return validate(shipped, expect_full=False)


def sample_path() -> Path:
    """The file :func:`load_sample` reads when given no path (``PLAYGROUND_SAMPLE`` overrides)."""
    override = os.environ.get("PLAYGROUND_SAMPLE")
    return Path(override).expanduser() if override else SAMPLE_PATH

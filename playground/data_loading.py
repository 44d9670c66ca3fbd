"""Turn the engine's MNIST loaders into the app's ``Dataset`` (no Qt here: safe on any thread).

A dataset is named by what it is: "MNIST" only when its arrays are exactly Keras's MNIST
(``mnist.is_mnist`` hashes them), "MNIST sample (6,000 + 1,000)" for the sample that ships with
the app, and otherwise its file's name: a file of 60,000 digits is not MNIST for its size alone.
``download_failed_text`` words a failed download for the learner.
"""
from __future__ import annotations

from pathlib import Path

from engine.datasets import mnist
from playground.specs import Dataset

FULL_MNIST_NAME = "MNIST"
OPEN_DATASET = "File > Open dataset…"


def sample_name(n_train: int, n_test: int) -> str:
    return f"MNIST sample ({n_train:,} + {n_test:,})"


def is_full_mnist(dataset: Dataset | None) -> bool:
    """Whether ``dataset`` is Keras's full MNIST (as the loaders below name it)."""
    return dataset is not None and dataset.name == FULL_MNIST_NAME


def load_sample_dataset() -> Dataset:
    """The real MNIST sample shipped with the app: what a fresh, offline machine trains on."""
    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    return Dataset(sample_name(len(x_train), len(x_test)), str(mnist.sample_path()), x_train, y_train, x_test, y_test)


def load_dataset_file(path: str | Path) -> Dataset:
    """A local ``.npz`` in Keras's MNIST format, of any size; raises ``mnist.DatasetError`` (a ``ValueError``).

    Named "MNIST" if its arrays are Keras's MNIST, else after the file (``fashion.npz``).
    """
    arrays = mnist.validate(path, expect_full=False)
    (x_train, y_train), (x_test, y_test) = arrays
    if mnist.is_mnist(arrays):
        name = FULL_MNIST_NAME
    else:
        name = Path(path).name
        if name.casefold() == FULL_MNIST_NAME.casefold():
            name = f"{name} (file)"  # a file called "MNIST" is not thereby MNIST
    return Dataset(name, str(path), x_train, y_train, x_test, y_test)


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
        return load_dataset_file(dest)  # downloaded by an earlier run: no network needed
    path = mnist.download(url=url or mnist.MNIST_URL, dest=dest, sha256=sha256, progress=progress,
                          timeout=timeout, cancel=cancel, **transfer)
    return load_dataset_file(path)


def download_failed_text(error: BaseException) -> str:
    """What the learner reads when "Download full MNIST" fails: what happened, then what to do.

    The engine's own message is for people running scripts (it names ``--data``, environment
    variables and ``load_sample()``); this one speaks of the app's panels and menus.
    """
    if isinstance(error, mnist.DatasetError):
        return (f"The downloaded file is not usable: {error}. Nothing was kept. "
                f"You can keep working with the sample, or open an mnist.npz you have with {OPEN_DATASET}")
    kind, reason = getattr(error, "kind", "failed"), getattr(error, "reason", "") or str(error)
    what = {
        "offline": f"Could not reach the download server ({reason}): this computer seems to be offline.",
        "http": f"The download server refused the file ({reason}).",
        "slow": f"The download was stopped because it was too slow ({reason.removeprefix('too slow: ')}).",
        "interrupted": f"The connection was lost ({reason}).",
        "hash": "The downloaded file is not Keras's MNIST (its SHA-256 checksum does not match): "
                "it was damaged on the way, or the server's file changed.",
        "not_mnist": f"The downloaded file is not an MNIST dataset ({reason}).",
        "cancelled": "The download was cancelled.",
    }.get(kind, f"The download failed ({reason}).")
    todo = ("Try again when you are online, or download mnist.npz (11 MB) on another computer "
            f"and open it here with {OPEN_DATASET}." if kind == "offline" else
            f"Try again, or open an mnist.npz you already have with {OPEN_DATASET}.")
    return f"{what} Nothing was saved. {todo} Until then, the bundled sample works offline."

"""Turn the engine's MNIST loaders into the app's ``Dataset`` (no Qt here: safe on any thread)."""
from __future__ import annotations

from pathlib import Path

from engine.datasets import mnist
from playground.specs import Dataset


def load_sample_dataset() -> Dataset:
    """The real MNIST sample shipped in ``assets/``: what a fresh, offline machine trains on."""
    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    return Dataset("MNIST sample", str(mnist.SAMPLE_PATH), x_train, y_train, x_test, y_test)


def load_dataset_file(path: str | Path) -> Dataset:
    """A local ``mnist.npz`` in Keras's format; raises ``mnist.DatasetError`` with a clear message."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=path)
    return Dataset("MNIST", str(path), x_train, y_train, x_test, y_test)


def load_full_dataset(url: str | None = None, dest: str | Path | None = None, sha256: str | None = mnist.MNIST_SHA256,
                      progress=None, timeout: float = 30.0, cancel=None) -> Dataset:
    """The full MNIST from the app's download cache, or downloaded into it; blocks (use a worker).

    The cache and download steps of ``mnist.load_data``, with the engine's own code for both:

    1. ``dest`` (default ``mnist.cache_path()``) is used if the engine trusts it as
       ``mnist.load_data`` trusts its cache: its SHA-256 is ``sha256``. The hash is computed
       once and then remembered in the engine's ``.sha256`` stamp beside the file, so a
       file of the right shapes but unknown origin is never taken for the full MNIST.
    2. Otherwise ``mnist.download`` fetches ``url`` (default Keras's) into ``dest``: it streams
       to a temporary file, checks the hash and only then moves the file into place.
       ``sha256=None`` trusts no earlier file and validates the download's contents instead.

    ``progress(done, total)``, ``timeout`` and ``cancel`` (an Event, polled between chunks) go
    to ``mnist.download``. Raises ``mnist.DownloadError`` (``DownloadCancelled``) or
    ``mnist.DatasetError`` with a message for the learner.
    """
    dest = Path(dest).expanduser() if dest is not None else mnist.cache_path()
    # the trust check mnist.load_data applies to its cache (step 3 there); the engine has no public name for it
    if sha256 is not None and dest.is_file() and mnist.cached_file_is_trusted(dest, sha256.lower()):
        return load_dataset_file(dest)  # downloaded by an earlier run: no network needed
    path = mnist.download(url=url or mnist.MNIST_URL, dest=dest, sha256=sha256, progress=progress,
                          timeout=timeout, cancel=cancel)
    return load_dataset_file(path)

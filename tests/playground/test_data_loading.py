"""Datasets are named by what they are; a failed download is told in the app's words."""
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import mnist
from playground.core import data_loading

FULL_MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist.npz"
DEVELOPER_WORDS = ("PLAYGROUND_", "load_sample", "validate(", "expect_full", "--data", "load_data")


def write_npz(path: Path, n_train: int, n_test: int) -> Path:
    """MNIST-shaped digits (a bar each), saved under exactly ``path``."""
    x = np.zeros((n_train, 28, 28), np.uint8)
    x[:, 6:22, 12:16] = 255
    with open(path, "wb") as f:
        np.savez_compressed(f, x_train=x, y_train=(np.arange(n_train) % 10).astype(np.uint8),
                            x_test=x[:n_test], y_test=(np.arange(n_test) % 10).astype(np.uint8))
    return path


def test_the_sample_is_named_with_its_counts():
    dataset = data_loading.load_sample_dataset()
    assert dataset.name == "MNIST sample (6,000 + 1,000)"
    assert Path(dataset.source) == mnist.SAMPLE_PATH and not data_loading.is_full_mnist(dataset)


def test_sixty_thousand_digits_that_are_not_mnist_are_named_after_their_file(tmp_path):
    dataset = data_loading.load_dataset_file(write_npz(tmp_path / "my-digits.npz", 60_000, 10_000))
    assert dataset.name == "my-digits.npz" and not data_loading.is_full_mnist(dataset)


def test_a_file_called_mnist_is_not_thereby_mnist(tmp_path):
    assert data_loading.load_dataset_file(write_npz(tmp_path / "MNIST", 60_000, 10_000)).name == "MNIST (file)"


@pytest.mark.skipif(not FULL_MNIST.exists(), reason="full MNIST not available")
def test_kerass_mnist_is_named_mnist_however_it_was_saved(tmp_path):
    assert data_loading.load_dataset_file(FULL_MNIST).name == "MNIST"
    (x_train, y_train), (x_test, y_test) = mnist.validate(FULL_MNIST)
    resaved = tmp_path / "resaved.npz"
    np.savez(resaved, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)  # other bytes, same arrays
    assert data_loading.is_full_mnist(data_loading.load_dataset_file(resaved))
    shuffled = tmp_path / "shuffled.npz"
    np.savez(shuffled, x_train=x_train[::-1], y_train=y_train[::-1], x_test=x_test, y_test=y_test)
    assert data_loading.load_dataset_file(shuffled).name == "shuffled.npz"


def test_a_subset_file_opens_instead_of_asking_for_load_sample(tmp_path):
    dataset = data_loading.load_dataset_file(write_npz(tmp_path / "small.npz", 500, 100))
    assert (len(dataset.x_train), len(dataset.x_test), dataset.name) == (500, 100, "small.npz")


@pytest.mark.parametrize("kind, expected", [
    ("offline", "seems to be offline"), ("http", "refused the file (HTTP 404 Not Found)"),
    ("slow", "too slow (1,024 bytes in the last 30 s"), ("interrupted", "connection was lost"),
    ("hash", "SHA-256 checksum does not match"), ("not_mnist", "not an MNIST dataset"), ("failed", "failed"),
])
def test_download_failures_say_what_happened_and_what_to_do_in_the_apps_words(kind, expected):
    reasons = {"http": "HTTP 404 Not Found", "slow": "too slow: 1,024 bytes in the last 30 s, below the minimum"}
    engine_error = mnist.DownloadError("Could not download MNIST ... set PLAYGROUND_MNIST=... (load_sample()).",
                                       url="https://example.org/mnist.npz", reason=reasons.get(kind, "x"), kind=kind)
    text = data_loading.download_failed_text(engine_error)
    assert expected in text and "Nothing was saved" in text and "File > Open dataset…" in text
    assert not any(word in text for word in DEVELOPER_WORDS)


def test_a_downloaded_file_that_is_not_mnist_is_told_without_developer_words(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"not an archive")
    with pytest.raises(mnist.DatasetError) as info:
        data_loading.load_dataset_file(bad)
    text = data_loading.download_failed_text(info.value)
    assert "not usable" in text and not any(word in text for word in DEVELOPER_WORDS)


def test_the_sample_ships_as_package_data_found_through_importlib_resources():
    import importlib.resources
    import tomllib

    resource = importlib.resources.files("engine.datasets") / "data" / "mnist_sample.npz"
    assert resource.is_file() and mnist.SAMPLE_RESOURCE == resource
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert "data/mnist_sample.npz" in pyproject["tool"]["setuptools"]["package-data"]["engine.datasets"]
    assert not (Path(__file__).resolve().parents[2] / "assets" / "mnist_sample.npz").exists()  # one copy in git
    (x_train, _), _ = mnist.load_sample()
    assert len(x_train) == 6000


def test_the_sample_is_read_through_importlib_resources(monkeypatch):
    import contextlib

    opened = []

    @contextlib.contextmanager
    def as_file(resource):
        opened.append(resource)
        yield Path(str(resource))

    monkeypatch.delenv("PLAYGROUND_SAMPLE", raising=False)
    monkeypatch.setattr(mnist.importlib.resources, "as_file", as_file)
    mnist.load_sample()
    assert opened == [mnist.SAMPLE_RESOURCE]

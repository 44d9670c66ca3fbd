"""Fashion-MNIST and IDX files: Keras's four files, each checked by its SHA-256, read safely."""
from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

from engine.datasets import fashion_mnist, idx, mnist
from tests.engine.test_mnist import isolated, server  # noqa: F401 - fixtures: no real home, a local server


def small_set(n_train=30, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": (np.arange(n_train) % 10).astype(np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": ((np.arange(n_test) + 3) % 10).astype(np.uint8)}


def write_set(folder, arrays, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in idx.FILES.items():
        idx.write_idx(folder / (stem + (".gz" if compress else "")), arrays[key], compress=compress)
    return folder


def idx_bytes(header: bytes, body: bytes = b"") -> bytes:
    return gzip.compress(header + body)


def test_a_folder_of_idx_files_reads_as_mnist_load_data_returns(tmp_path):
    arrays = small_set()
    for compress in (True, False):
        (x_train, y_train), (x_test, y_test) = idx.load_folder(write_set(tmp_path / str(compress), arrays, compress))
        np.testing.assert_array_equal(x_train, arrays["x_train"])
        np.testing.assert_array_equal(y_test, arrays["y_test"])
        assert x_train.dtype == np.uint8 and x_test.shape == (10, 28, 28) and y_train.shape == (30,)


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04 not idx", "not an IDX file"),
    (bytes([0, 0, 0x0D, 1]) + struct.pack(">I", 3) + b"\0" * 12, "IDX type 0x0d"),
    (bytes([0, 0, 8, 5]) + struct.pack(">5I", 1, 1, 1, 1, 1), "5 dimensions"),
    (bytes([0, 0, 8, 3]) + struct.pack(">3I", 2_000_000_000, 28, 28), "more than the 300,000"),
    (bytes([0, 0, 8, 3]) + struct.pack(">3I", 2, 32, 32), "32 x 32"),
    (bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\1" * 4, "holds 4"),
    (bytes([0, 0, 8, 1]) + struct.pack(">I", 2) + b"\1" * 4, "holds more"),
    (bytes([0, 0, 8, 3]) + b"\0\0", "ends inside its header"),
])
def test_a_damaged_or_foreign_file_is_refused_before_it_is_read(tmp_path, content, message):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(content))
    with pytest.raises(mnist.DatasetError, match=message):
        idx.read_idx(path)


def test_a_truncated_gzip_and_a_missing_file_say_so(tmp_path):
    whole = gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 100_000) + bytes(100_000))
    (tmp_path / "cut.gz").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(mnist.DatasetError, match="cannot be read"):
        idx.read_idx(tmp_path / "cut.gz")
    with pytest.raises(mnist.DatasetError, match="no such file"):
        idx.read_idx(tmp_path / "absent.gz")
    with pytest.raises(mnist.DatasetError, match="has no train-images-idx3-ubyte.gz"):
        idx.load_folder(tmp_path)


def test_labels_and_images_must_agree(tmp_path):
    arrays = small_set()
    arrays["y_train"] = arrays["y_train"][:-1]
    with pytest.raises(mnist.DatasetError, match="30 images for 29 labels"):
        idx.load_folder(write_set(tmp_path, arrays))
    arrays = small_set()
    arrays["y_test"][0] = 12
    with pytest.raises(mnist.DatasetError, match="label 12"):
        idx.load_folder(write_set(tmp_path / "b", arrays))


def serve_fashion(server, monkeypatch, arrays, corrupt=None):  # noqa: F811
    """Serve the four files and make their hashes the trusted ones (``corrupt``: a file served
    with other bytes than its hash says)."""
    hashes = {}
    for key, stem in idx.FILES.items():
        name = stem + ".gz"
        array = np.ascontiguousarray(arrays[key])
        body = gzip.compress(bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
                             + array.tobytes(), mtime=0)
        hashes[name] = hashlib.sha256(body).hexdigest()
        server.files["/fashion/" + name] = body + (b"x" if name == corrupt else b"")
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", hashes)
    monkeypatch.setenv("PLAYGROUND_FASHION_MNIST_URL", server.url("/fashion/"))


def test_load_data_downloads_the_four_files_checks_them_and_then_reuses_them(server, monkeypatch):  # noqa: F811
    arrays = small_set(seed=4)
    serve_fashion(server, monkeypatch, arrays)
    seen = []
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(progress=lambda done, total: seen.append((done, total)))
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    assert seen[-1] == (sum(fashion_mnist.FILE_SIZES.values()),) * 2
    assert all(b >= a for (a, _), (b, _) in zip(seen, seen[1:]))  # progress never goes back
    assert sorted(p.name for p in fashion_mnist.cache_dir().glob("*.gz")) == sorted(fashion_mnist.FILE_HASHES)
    server.files.clear()  # offline now: the cached, trusted files are enough
    np.testing.assert_array_equal(fashion_mnist.load_data()[0][0], arrays["x_train"])


def test_a_file_whose_hash_differs_is_not_kept_and_the_error_names_fashion_mnist(server, monkeypatch):  # noqa: F811
    serve_fashion(server, monkeypatch, small_set(), corrupt="t10k-images-idx3-ubyte.gz")
    with pytest.raises(mnist.DownloadError, match="Could not download Fashion-MNIST") as failure:
        fashion_mnist.load_data()
    assert failure.value.kind == "hash"
    assert not (fashion_mnist.cache_dir() / "t10k-images-idx3-ubyte.gz").exists()
    assert not list(fashion_mnist.cache_dir().glob(".*.part"))  # nothing half-written left behind


def test_offline_with_nothing_cached_says_what_to_do(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_FASHION_MNIST_URL", mnist.MNIST_URL.rsplit("/", 1)[0] + "/")  # refused port
    with pytest.raises(mnist.DownloadError, match="offline.*load them from their folder") as failure:
        fashion_mnist.load_data()
    assert failure.value.kind == "offline"


def test_ten_class_names_as_keras_documents_them():
    assert len(fashion_mnist.CLASS_NAMES) == 10
    assert fashion_mnist.CLASS_NAMES[0] == "T-shirt/top" and fashion_mnist.CLASS_NAMES[9] == "Ankle boot"

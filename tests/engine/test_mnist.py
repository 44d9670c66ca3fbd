"""Tests for engine.datasets.mnist and the bundled sample.

No test touches the network or the real user cache: HOME and
PLAYGROUND_DATA_DIR point into tmp_path, the default download URL points at a
closed local port, and downloads are served by a throwaway HTTP server on
127.0.0.1.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import io
import os
import socket
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import mnist, npz_file

REPO = Path(__file__).resolve().parents[2]
FULL_MNIST = REPO.parent / "shared" / "data" / "mnist.npz"
SCRIPT = REPO / "scripts" / "make_mnist_sample.py"


# --------------------------------------------------------------------------
# Helpers and fixtures
# --------------------------------------------------------------------------


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist.npz"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Keep every test away from the real home, cache and network."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "data"))
    for name in (
        "PLAYGROUND_MNIST",
        "PLAYGROUND_MNIST_URL",
        "PLAYGROUND_MNIST_SHA256",
        "PLAYGROUND_SAMPLE",
        "KERAS_HOME",
        "XDG_DATA_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(mnist, "MNIST_URL", closed_port_url())


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


@functools.lru_cache(maxsize=None)
def fake_mnist(marker: int = 0) -> bytes:
    """A full-size MNIST-shaped .npz (blank images, compresses to ~50 kB).

    Labels cycle 0..9; the first test label is ``marker``, so tests can tell
    which of several files was loaded.
    """
    return npz_bytes(
        x_train=np.zeros((60_000, 28, 28), np.uint8),
        y_train=(np.arange(60_000) % 10).astype(np.uint8),
        x_test=np.zeros((10_000, 28, 28), np.uint8),
        y_test=((np.arange(10_000) + marker) % 10).astype(np.uint8),
    )


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def marker(result: mnist.Arrays) -> int:
    return int(result[1][1][0])


def small_arrays(n_train: int = 20, n_test: int = 10) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def trust(monkeypatch, data: bytes) -> None:
    """Make ``data`` the file whose hash the cache must have."""
    monkeypatch.setattr(mnist, "MNIST_SHA256", sha256(data))


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files``; under /truncated/ it promises more than it sends."""

    def do_GET(self) -> None:
        if self.path.startswith("/moved/"):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/moved"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith(("/stall/", "/trickle/")):
            self.send_slowly(self.server.files.get(self.path[self.path.index("/", 1):], b""))  # type: ignore[attr-defined]
            return
        truncated = self.path.startswith("/truncated/")
        name = self.path.removeprefix("/truncated")
        body = self.server.files.get(name)  # type: ignore[attr-defined]
        if body is None:
            self.send_error(404)
            return
        length = len(body) + 5_000 if truncated else len(body)
        sent = body[: len(body) // 2] if truncated else body
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        try:
            for start in range(0, len(sent), 16_384):
                self.wfile.write(sent[start : start + 16_384])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client cancelled; that is what some tests want
        self.close_connection = True

    def send_slowly(self, body: bytes) -> None:
        """/stall/: 1 KB, then nothing until ``server.release``; /trickle/: 10 bytes every 20 ms."""
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if self.path.startswith("/stall/"):
                self.wfile.write(body[:1024])
                self.wfile.flush()
                self.server.release.wait(120)  # type: ignore[attr-defined]
                self.wfile.write(body[1024:])
            else:
                for start in range(0, len(body), 10):
                    self.wfile.write(body[start : start + 10])
                    self.wfile.flush()
                    if self.server.release.wait(0.02):  # type: ignore[attr-defined]
                        break
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def log_message(self, *args) -> None:
        pass


class LocalServer:
    def __init__(self) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.files = {}  # type: ignore[attr-defined]
        self.release = self.httpd.release = threading.Event()  # type: ignore[attr-defined]
        self.files: dict[str, bytes] = self.httpd.files  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server():
    srv = LocalServer()
    yield srv
    srv.close()


@pytest.fixture
def payload() -> bytes:
    """~300 kB of random bytes: many chunks, so progress is reported often."""
    return np.random.default_rng(1).integers(0, 256, 300_000, dtype=np.uint8).tobytes()


def load_script():
    spec = importlib.util.spec_from_file_location("make_mnist_sample", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------
# The bundled sample
# --------------------------------------------------------------------------


def test_sample_loads_offline_and_is_stratified():
    (x_train, y_train), (x_test, y_test) = mnist.load_sample()
    assert x_train.shape == (6000, 28, 28) and y_train.shape == (6000,)
    assert x_test.shape == (1000, 28, 28) and y_test.shape == (1000,)
    for array in (x_train, y_train, x_test, y_test):
        assert array.dtype == np.uint8
    assert np.bincount(y_train, minlength=10).tolist() == [600] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [100] * 10
    assert y_train.max() <= 9 and y_test.max() <= 9
    assert x_train.max() == 255 and x_train.mean() > 10  # real digits, not blanks


def test_sample_file_is_small_and_records_its_rows():
    assert mnist.SAMPLE_PATH.stat().st_size < 3_000_000
    with np.load(mnist.SAMPLE_PATH) as npz:
        for split, n_full in (("train", 60_000), ("test", 10_000)):
            index = npz[f"{split}_index"]
            assert len(index) == len(npz[f"y_{split}"])
            assert np.all(np.diff(index) > 0)  # sorted, no duplicates: MNIST order
            assert 0 <= index[0] and index[-1] < n_full


def test_sample_path_can_be_overridden(tmp_path, monkeypatch):
    other = write(tmp_path / "other.npz", npz_bytes(**small_arrays()))
    monkeypatch.setenv("PLAYGROUND_SAMPLE", str(other))
    (x_train, _), (x_test, _) = mnist.load_sample()
    assert len(x_train) == 20 and len(x_test) == 10


@pytest.mark.skipif(not FULL_MNIST.exists(), reason="full MNIST not available")
def test_sample_is_reproducible_from_full_mnist():
    script = load_script()
    full = mnist.validate(FULL_MNIST)
    first, second = script.make_sample(full), script.make_sample(full)
    with np.load(mnist.SAMPLE_PATH) as shipped:
        assert sorted(shipped.files) == sorted(first)
        for key in first:
            np.testing.assert_array_equal(first[key], second[key])
            np.testing.assert_array_equal(shipped[key], first[key])
            assert shipped[key].dtype == first[key].dtype
        (x_full, y_full), _ = full
        np.testing.assert_array_equal(shipped["x_train"], x_full[shipped["train_index"]])
        np.testing.assert_array_equal(shipped["y_train"], y_full[shipped["train_index"]])


def test_sample_script_is_deterministic(tmp_path):
    script = load_script()
    source = write(tmp_path / "full.npz", fake_mnist())
    outs = [tmp_path / "a.npz", tmp_path / "b.npz"]
    for out in outs:
        assert script.main(["--source", str(source), "--out", str(out)]) == 0
    with np.load(outs[0]) as a, np.load(outs[1]) as b:
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])
        assert np.bincount(a["y_train"]).tolist() == [600] * 10
    mnist.validate(outs[0], expect_full=False)


# --------------------------------------------------------------------------
# Validating local files
# --------------------------------------------------------------------------


@pytest.mark.skipif(not FULL_MNIST.exists(), reason="full MNIST not available")
def test_real_mnist_file_is_accepted():
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=FULL_MNIST)
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert y_train.dtype == np.uint8 and set(np.unique(y_test)) == set(range(10))


def test_good_local_file_is_accepted_via_path(tmp_path):
    path = write(tmp_path / "mine.npz", fake_mnist())
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=str(path))
    assert x_train.shape == (60_000, 28, 28) and y_train.shape == (60_000,)
    assert x_test.shape == (10_000, 28, 28) and y_test.shape == (10_000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert not mnist.cache_path().exists()  # a local file is used, not copied


def test_validate_accepts_paths_mappings_and_tuples(tmp_path):
    arrays = small_arrays()
    path = write(tmp_path / "small.npz", npz_bytes(**arrays))
    (x_train, _), (_, y_test) = mnist.validate(path, expect_full=False)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    mnist.validate(arrays, expect_full=False)
    mnist.validate(((arrays["x_train"], arrays["y_train"]),
                    (arrays["x_test"], arrays["y_test"])), expect_full=False)
    with pytest.raises(mnist.DatasetError, match="60000"):
        mnist.validate(path)  # a subset is not "the full MNIST"


def _without(key):
    def change(a):
        del a[key]
    return change


def _set(key, value_fn):
    def change(a):
        a[key] = value_fn(a[key])
    return change


@pytest.mark.parametrize(
    "change, message",
    [
        (_without("x_test"), "missing key 'x_test'"),
        (_set("x_train", lambda x: x.astype(np.float32)), "x_train has dtype float32"),
        (_set("y_test", lambda y: y.astype(np.int64)), "y_test has dtype int64"),
        (_set("y_train", lambda y: y + 3), "y_train contains label 12"),
        (_set("x_test", lambda x: x.reshape(len(x), 784)), r"x_test has shape \(10, 784\)"),
        (_set("y_train", lambda y: y[:-1]), "y_train has 19 labels but x_train has 20"),
    ],
    ids=["missing-key", "float-images", "int64-labels", "label-range", "flat", "count"],
)
def test_foreign_files_are_rejected_with_a_helpful_message(tmp_path, change, message):
    arrays = small_arrays()
    change(arrays)
    path = write(tmp_path / "foo.npz", npz_bytes(**arrays))
    with pytest.raises(mnist.DatasetError, match=message) as info:
        mnist.load_data(path=path)
    assert str(info.value).startswith(f"{path} is not a valid MNIST file: ")


def test_not_a_zip_and_truncated_files_are_rejected(tmp_path):
    text = write(tmp_path / "notes.npz", b"these are not the digits you are looking for\n")
    good = fake_mnist()
    half = write(tmp_path / "half.npz", good[: len(good) // 2])
    for path in (text, half):
        with pytest.raises(mnist.DatasetError, match="not a .npz archive") as info:
            mnist.load_data(path=path)
        assert str(path) in str(info.value)


def test_corrupt_archive_member_is_rejected(tmp_path):
    data = bytearray(npz_bytes(**small_arrays()))
    middle = len(data) // 4  # inside x_train's compressed bytes
    data[middle : middle + 64] = bytes(64)
    path = write(tmp_path / "bitrot.npz", bytes(data))
    with pytest.raises(mnist.DatasetError, match="corrupt"):
        mnist.validate(path, expect_full=False)


def test_missing_file_and_directory_are_rejected(tmp_path):
    with pytest.raises(mnist.DatasetError, match="does not exist"):
        mnist.load_data(path=tmp_path / "nope.npz")
    with pytest.raises(mnist.DatasetError, match="not a file"):
        mnist.load_data(path=tmp_path)


def test_error_types_fit_the_standard_hierarchy():
    assert issubclass(mnist.DatasetError, ValueError)
    assert issubclass(mnist.DownloadError, OSError)
    assert issubclass(mnist.DownloadCancelled, mnist.DownloadError)


# --------------------------------------------------------------------------
# Where load_data looks, and in which order
# --------------------------------------------------------------------------


def test_data_dir_and_cache_path_follow_the_environment(tmp_path):
    assert mnist.data_dir() == tmp_path / "data"
    assert mnist.cache_path() == tmp_path / "data" / "datasets" / "mnist.npz"
    assert mnist.keras_cache_path() == tmp_path / "home" / ".keras" / "datasets" / "mnist.npz"


def test_path_beats_env(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MNIST", str(write(tmp_path / "env.npz", fake_mnist(1))))
    assert marker(mnist.load_data(path=write(tmp_path / "arg.npz", fake_mnist(2)))) == 2


def test_env_beats_cache_and_keras(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MNIST", str(write(tmp_path / "env.npz", fake_mnist(1))))
    write(mnist.cache_path(), fake_mnist(3))
    trust(monkeypatch, fake_mnist(3))
    write(mnist.keras_cache_path(), fake_mnist(4))
    assert marker(mnist.load_data()) == 1


def test_bad_env_file_is_an_error_not_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MNIST", str(tmp_path / "typo.npz"))
    write(mnist.keras_cache_path(), fake_mnist(4))
    with pytest.raises(mnist.DatasetError, match="typo.npz does not exist"):
        mnist.load_data()


def test_trusted_cache_beats_keras_and_is_hashed_once(monkeypatch):
    cached = write(mnist.cache_path(), fake_mnist(3))
    trust(monkeypatch, fake_mnist(3))
    write(mnist.keras_cache_path(), fake_mnist(4))
    assert marker(mnist.load_data()) == 3
    assert cached.with_name("mnist.npz.sha256").read_text().startswith(sha256(fake_mnist(3)))

    def no_rehash(path):
        raise AssertionError("the stamp should have spared us hashing again")

    monkeypatch.setattr(mnist, "_sha256_of", no_rehash)
    assert marker(mnist.load_data()) == 3


def test_keras_cache_is_used_when_our_cache_is_empty():
    write(mnist.keras_cache_path(), fake_mnist(4))
    assert marker(mnist.load_data()) == 4  # the default URL is dead: no download


def test_cache_with_wrong_hash_is_not_trusted():
    write(mnist.cache_path(), fake_mnist(3))  # valid MNIST, but not Keras's bytes
    write(mnist.keras_cache_path(), fake_mnist(4))
    assert marker(mnist.load_data()) == 4
    mnist.keras_cache_path().unlink()
    with pytest.raises(mnist.DownloadError):  # it tries to fetch a trusted copy
        mnist.load_data()


def test_cache_changed_after_stamping_is_hashed_again(monkeypatch):
    cached = write(mnist.cache_path(), fake_mnist(3))
    trust(monkeypatch, fake_mnist(3))
    mnist.load_data()  # writes the stamp
    cached.write_bytes(fake_mnist(5))  # new size or mtime: the stamp is stale
    with pytest.raises(mnist.DownloadError):
        mnist.load_data()


def test_invalid_keras_cache_is_skipped_with_a_warning():
    write(mnist.keras_cache_path(), b"garbage")
    with pytest.warns(UserWarning, match="Keras"), pytest.raises(mnist.DownloadError):
        mnist.load_data()


# --------------------------------------------------------------------------
# Downloading
# --------------------------------------------------------------------------


def test_download_streams_with_progress_and_verifies(server, payload, tmp_path):
    server.files["/mnist.npz"] = payload
    calls: list[tuple[int, int | None]] = []
    dest = tmp_path / "dl" / "mnist.npz"
    result = mnist.download(
        server.url("/mnist.npz"), dest, sha256(payload), progress=lambda d, t: calls.append((d, t))
    )
    assert result == dest and dest.read_bytes() == payload
    done = [d for d, _ in calls]
    assert len(calls) > 2 and done == sorted(done)
    assert {t for _, t in calls} == {len(payload)}
    assert calls[-1] == (len(payload), len(payload))
    assert sorted(p.name for p in dest.parent.iterdir()) == ["mnist.npz", "mnist.npz.sha256"]


def test_hash_mismatch_leaves_nothing(server, payload, tmp_path):
    server.files["/mnist.npz"] = payload
    folder = tmp_path / "dl"
    with pytest.raises(mnist.DownloadError, match="SHA-256"):
        mnist.download(server.url("/mnist.npz"), folder / "mnist.npz", "0" * 64)
    assert list(folder.iterdir()) == []


def test_interrupted_transfer_leaves_nothing(server, payload, tmp_path):
    server.files["/mnist.npz"] = payload
    folder = tmp_path / "dl"
    with pytest.raises(mnist.DownloadError, match="interrupted"):
        mnist.download(server.url("/truncated/mnist.npz"), folder / "mnist.npz", sha256(payload))
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("kind", ["event", "callable"])
def test_cancel_midway_leaves_nothing(server, payload, tmp_path, kind):
    server.files["/mnist.npz"] = payload
    folder = tmp_path / "dl"
    stop = threading.Event()
    cancel = stop if kind == "event" else stop.is_set
    seen: list[int] = []

    def progress(done, total):
        seen.append(done)
        if done > 0:
            stop.set()  # the user presses Cancel after the first chunk

    with pytest.raises(mnist.DownloadCancelled, match="cancelled"):
        mnist.download(server.url("/mnist.npz"), folder / "mnist.npz", sha256(payload),
                       progress=progress, cancel=cancel)
    assert 0 < seen[-1] < len(payload)
    assert list(folder.iterdir()) == []


def test_failed_download_keeps_the_previous_file(server, payload, tmp_path):
    dest = write(tmp_path / "dl" / "mnist.npz", b"previous")
    server.files["/mnist.npz"] = payload
    with pytest.raises(mnist.DownloadError):
        mnist.download(server.url("/truncated/mnist.npz"), dest, sha256(payload))
    assert dest.read_bytes() == b"previous"
    assert [p.name for p in dest.parent.iterdir()] == ["mnist.npz"]


def run_in_thread(function, *args, **kwargs) -> tuple[threading.Thread, list]:
    """Start ``function`` on a thread; the list receives its result or the exception it raised."""
    outcome: list = []

    def target():
        try:
            outcome.append(function(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def test_cancel_during_a_stalled_read_answers_without_waiting_for_the_server(server, payload, tmp_path):
    server.files["/mnist.npz"] = payload
    folder, stop, started = tmp_path / "dl", threading.Event(), threading.Event()
    progress = lambda done, total: done and started.set()  # noqa: E731
    thread, outcome = run_in_thread(mnist.download, server.url("/stall/mnist.npz"), folder / "mnist.npz",
                                    sha256(payload), progress=progress, timeout=120, cancel=stop)
    assert started.wait(30)  # the first kilobyte arrived; the server now stalls for 120 s
    stop.set()
    thread.join(60)  # far less than the stall and the socket timeout: only the cancel can end it
    assert not server.release.is_set() and not thread.is_alive()
    assert isinstance(outcome[0], mnist.DownloadCancelled) and outcome[0].kind == "cancelled"
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("route", ["/stall", "/trickle"])
def test_a_stalled_or_trickling_transfer_fails_as_too_slow(server, payload, tmp_path, route):
    server.files["/mnist.npz"] = payload
    folder = tmp_path / "dl"
    with pytest.raises(mnist.DownloadError, match="too slow") as info:
        mnist.download(server.url(f"{route}/mnist.npz"), folder / "mnist.npz", sha256(payload), timeout=120,
                       min_rate=100_000, stall_window=0.3, poll_interval=0.02)
    assert info.value.kind == "slow" and not server.release.is_set()
    assert "bytes per second" in str(info.value)
    assert list(folder.iterdir()) == []


def test_a_slow_but_steady_transfer_is_not_abandoned(server, tmp_path):
    data = bytes(range(256)) * 4  # 1 KB in 10-byte pieces every 20 ms: ~2 s
    server.files["/small.bin"] = data
    dest = mnist.download(server.url("/trickle/small.bin"), tmp_path / "small.bin", sha256(data),
                          min_rate=1, stall_window=1.0, poll_interval=0.02)
    assert dest.read_bytes() == data


def test_redirects_are_followed(server, payload, tmp_path):
    server.files["/mnist.npz"] = payload
    dest = mnist.download(server.url("/moved/mnist.npz"), tmp_path / "mnist.npz", sha256(payload))
    assert dest.read_bytes() == payload


def test_download_errors_say_what_happened_in_fields_an_app_can_word(server, tmp_path):
    with pytest.raises(mnist.DownloadError) as offline:
        mnist.download(closed_port_url(), tmp_path / "a.npz", timeout=5)
    with pytest.raises(mnist.DownloadError) as missing:
        mnist.download(server.url("/missing.npz"), tmp_path / "b.npz")
    assert (offline.value.kind, missing.value.kind) == ("offline", "http")
    assert missing.value.reason == "HTTP 404 Not Found" and missing.value.url.endswith("/missing.npz")


def test_offline_gives_an_actionable_error(tmp_path):
    url = closed_port_url()
    folder = tmp_path / "dl"
    with pytest.raises(mnist.DownloadError) as info:
        mnist.download(url, folder / "mnist.npz", timeout=5)
    message = str(info.value)
    assert url in message and "offline" in message
    for hint in ("--data PATH", "PLAYGROUND_MNIST=", "load_sample()"):
        assert hint in message
    assert isinstance(info.value, OSError)
    assert list(folder.iterdir()) == []


def test_http_error_is_a_download_error(server, tmp_path):
    with pytest.raises(mnist.DownloadError, match="HTTP 404"):
        mnist.download(server.url("/missing.npz"), tmp_path / "mnist.npz")
    assert list(tmp_path.iterdir()) == []


def test_download_without_hash_validates_contents(server, tmp_path):
    server.files["/mirror.npz"] = b"not an archive"
    with pytest.raises(mnist.DownloadError, match="not an MNIST file"):
        mnist.download(server.url("/mirror.npz"), tmp_path / "mnist.npz", sha256=None)
    assert list(tmp_path.iterdir()) == []


def test_load_data_downloads_into_cache_then_reuses_it(server, monkeypatch):
    data = fake_mnist(7)
    server.files["/mnist.npz"] = data
    monkeypatch.setenv("PLAYGROUND_MNIST_URL", server.url("/mnist.npz"))
    monkeypatch.setenv("PLAYGROUND_MNIST_SHA256", sha256(data))
    calls: list[tuple[int, int | None]] = []

    assert marker(mnist.load_data(progress=lambda d, t: calls.append((d, t)))) == 7
    assert mnist.cache_path().read_bytes() == data
    assert calls[-1] == (len(data), len(data))

    del server.files["/mnist.npz"]  # a second download would now fail with 404
    assert marker(mnist.load_data()) == 7


def test_load_data_uses_the_module_url(server, monkeypatch):
    data = fake_mnist(8)
    server.files["/keras/mnist.npz"] = data
    monkeypatch.setattr(mnist, "MNIST_URL", server.url("/keras/mnist.npz"))
    trust(monkeypatch, data)
    assert marker(mnist.load_data()) == 8
    assert mnist.cache_path().is_file()


def test_load_data_offline_with_nothing_local_says_what_to_do():
    with pytest.raises(mnist.DownloadError, match="offline") as info:
        mnist.load_data()
    assert "load_sample()" in str(info.value)
    assert not mnist.cache_path().exists()


# --------------------------------------------------------------------------
# Hostile files: headers are checked before anything big is read
# --------------------------------------------------------------------------


def npy_bytes(shape, descr="|u1", data: bytes = b"") -> bytes:
    """A .npy member whose header declares ``shape`` and whose data is ``data`` (maybe much less)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def hostile_npz(path: Path, **members: bytes) -> Path:
    """An archive with the four MNIST keys (small and valid unless overridden) plus ``members``."""
    arrays = small_arrays()
    contents = {f"{key}.npy": npy_bytes(a.shape, data=a.tobytes()) for key, a in arrays.items()}
    contents.update({f"{key}.npy": data for key, data in members.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def reads(monkeypatch):
    """The keys whose data the loader reads (headers aside), in order."""
    seen: list[str] = []
    real_read = npz_file.read

    def read(archive, header):
        seen.append(header.key)
        return real_read(archive, header)

    monkeypatch.setattr(npz_file, "read", read)
    return seen


def test_a_small_file_declaring_millions_of_images_is_refused_before_anything_is_read(tmp_path, reads):
    # the attack: 2.7 million blank images compress to ~2 MB, and NumPy would allocate 2.1 GB for them
    path = hostile_npz(tmp_path / "evil.npz", x_train=npy_bytes((2_700_000, 28, 28)),
                       y_train=npy_bytes((2_700_000,)))
    with pytest.raises(mnist.DatasetError, match=r"declares 2,700,000 images; at most 300,000") as info:
        mnist.load_data(path=path)
    assert str(info.value).startswith(f"{path} is not a valid MNIST file: ")
    assert reads == []


def test_the_limit_applies_to_files_that_really_hold_the_images(tmp_path, monkeypatch, reads):
    monkeypatch.setattr(mnist, "MAX_DIGITS", 15)
    with pytest.raises(mnist.DatasetError, match="x_train declares 20 images; at most 15"):
        mnist.validate(hostile_npz(tmp_path / "many.npz"), expect_full=False)
    assert reads == []


def test_a_member_holding_less_than_its_header_declares_is_refused_unread(tmp_path, reads):
    path = hostile_npz(tmp_path / "short.npz", x_test=npy_bytes((10, 28, 28), data=bytes(100)))
    with pytest.raises(mnist.DatasetError, match="x_test declares 7,840 bytes of data but holds 100 bytes"):
        mnist.validate(path, expect_full=False)
    assert reads == []


def test_an_object_array_is_refused_from_its_header_and_never_unpickled(tmp_path, reads):
    path = hostile_npz(tmp_path / "pickle.npz", y_train=npy_bytes((20,), descr="|O", data=b"\x80\x04junk"))
    with pytest.raises(mnist.DatasetError, match="y_train has dtype object, expected uint8"):
        mnist.validate(path, expect_full=False)
    assert reads == []


def test_labels_are_checked_before_the_images_are_read(tmp_path, reads):
    labels = (np.arange(20) % 10 + 3).astype(np.uint8)
    path = hostile_npz(tmp_path / "labels.npz", y_train=npy_bytes((20,), data=labels.tobytes()))
    with pytest.raises(mnist.DatasetError, match="y_train contains label 12"):
        mnist.validate(path, expect_full=False)
    assert reads == ["y_train", "y_test"]


def test_keys_the_loader_does_not_need_are_never_read(tmp_path, reads):
    path = hostile_npz(tmp_path / "extra.npz", junk=npy_bytes((10**12,), descr="<f8"))
    (x_train, _), _ = mnist.validate(path, expect_full=False)
    assert len(x_train) == 20
    assert sorted(reads) == sorted(mnist.KEYS)


def test_damaged_archives_raise_dataset_errors_not_python_internals(tmp_path):
    plain = write(tmp_path / "digits.npy", b"")
    np.save(plain, np.zeros((3, 28, 28), np.uint8))
    not_npy = hostile_npz(tmp_path / "text.npz", x_train=b"hello, these are not digits")
    unsupported = bytearray(hostile_npz(tmp_path / "method.npz").read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # compression method 99
        at = unsupported.find(signature)
        while at >= 0:
            unsupported[at + offset : at + offset + 2] = (99).to_bytes(2, "little")
            at = unsupported.find(signature, at + 4)
    method = write(tmp_path / "method.npz", bytes(unsupported))
    negative = hostile_npz(tmp_path / "negative.npz", x_train=npy_bytes((-5, 28, 28)), y_train=npy_bytes((-5,)))
    for path, message in ((plain, "not a .npz archive"), (not_npy, "x_train is not a NumPy array"),
                          (method, "could not read it"), (negative, "impossible shape")):
        with pytest.raises(mnist.DatasetError, match=message):
            mnist.validate(path, expect_full=False)


def test_an_unreadable_file_is_a_dataset_error(tmp_path):
    path = write(tmp_path / "locked.npz", npz_bytes(**small_arrays()))
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        with pytest.raises(mnist.DatasetError, match="cannot be read"):
            mnist.validate(path, expect_full=False)
    finally:
        path.chmod(0o600)


def test_an_odd_stamp_beside_the_cache_is_ignored_not_waited_on(monkeypatch):
    cached = write(mnist.cache_path(), fake_mnist(3))
    trust(monkeypatch, fake_mnist(3))
    os.mkfifo(cached.with_name("mnist.npz.sha256"))  # opening a FIFO to read waits for a writer
    thread, outcome = run_in_thread(mnist.cached_file_is_trusted, cached, sha256(fake_mnist(3)))
    thread.join(60)
    if thread.is_alive():  # release a blocked reader or writer so that the test run can end
        os.close(os.open(cached.with_name("mnist.npz.sha256"), os.O_RDWR | os.O_NONBLOCK))
    assert outcome == [True]
    assert cached.with_name("mnist.npz.sha256").read_text().startswith(sha256(fake_mnist(3)))  # a real stamp now


def test_cancel_while_connecting_answers_without_waiting_for_the_connection(tmp_path, monkeypatch):
    connecting, real_getaddrinfo = threading.Event(), socket.getaddrinfo

    def getaddrinfo(*args, **kwargs):  # the step just before connecting
        connecting.set()
        return real_getaddrinfo(*args, **kwargs)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # never accepts: once its queue is full, new connections hang (as behind a firewall)
    port = listener.getsockname()[1]
    held = []
    try:
        while True:  # fill the queue until a connection attempt no longer completes
            probe = socket.socket()
            probe.settimeout(0.5)
            try:
                probe.connect(("127.0.0.1", port))
            except OSError:
                probe.close()
                break
            held.append(probe)
        stop, folder = threading.Event(), tmp_path / "dl"
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        thread, outcome = run_in_thread(mnist.download, f"http://127.0.0.1:{port}/mnist.npz", folder / "mnist.npz",
                                        timeout=120, cancel=stop)
        assert connecting.wait(60)
        stop.set()
        thread.join(60)  # half the connect timeout: only the cancel can end it this soon
        assert not thread.is_alive()
        assert isinstance(outcome[0], mnist.DownloadCancelled)
        assert list(folder.iterdir()) == []
    finally:
        for probe in held:
            probe.close()
        listener.close()

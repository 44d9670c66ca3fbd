"""Datasets beyond MNIST in the app (issue 11, section 4): Fashion-MNIST downloaded from Keras's four
files, any dataset in MNIST's format opened as an .npz or a folder of IDX files, each named by what
it is, and its class names shown wherever a label is (Data, Evaluate, Draw's bars).

No test needs the network: the four files come from a server on 127.0.0.1 whose files' SHA-256 are
patched in as Keras's, and the engine's data folder is a temporary one.
"""
from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from engine.datasets import fashion_mnist, idx, mnist
from playground.core import data_loading
from playground.core.specs import Dataset, Evaluation
from playground.panels.data_panel import DataPanel
from playground.training.state import AppState
from playground.widgets.probability_chart import ProbabilityChart
from tests.engine.test_mnist import LocalServer
from tests.playground.test_draw_panel import VERTICAL, FakeModel, drag

LONG = 30_000  # ms: generous, never a timing claim (a busy machine is slow)
DEVELOPER_WORDS = ("PLAYGROUND_", "load_sample", "load_data", "validate(", "--data", "Traceback", "allow_pickle")
NAMES = ("Cat", "Dog", "Frog", "Horse", "Ship", "Truck", "Deer", "Bird", "Plane", "Automobile (car)")


def small_set(n_train=60, n_test=20, seed=0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": (np.arange(n_train) % 10).astype(np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": ((np.arange(n_test) * 7 + 3) % 10).astype(np.uint8)}


def idx_gz(array: np.ndarray) -> bytes:
    """One gzipped IDX file, as Keras's are published (mtime 0: the same bytes every time)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.tobytes(), mtime=0)


def write_folder(folder, arrays, class_names: str | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in idx.FILES.items():
        (folder / (stem + ".gz")).write_bytes(idx_gz(arrays[key]))
    if class_names is not None:
        (folder / data_loading.CLASS_NAMES_FILE).write_text(class_names, encoding="utf-8")
    return folder


def make_keras_files(monkeypatch, arrays) -> dict[str, bytes]:
    """The four files of a small Fashion-MNIST, made Keras's own: their SHA-256 and sizes patched in."""
    files = {stem + ".gz": idx_gz(arrays[key]) for key, stem in idx.FILES.items()}
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", {n: hashlib.sha256(b).hexdigest() for n, b in files.items()})
    monkeypatch.setattr(fashion_mnist, "FILE_SIZES", {n: len(b) for n, b in files.items()})
    return files


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """The engine's data folder (where downloads are cached), inside the test's own folder."""
    folder = tmp_path / "data"
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def server(monkeypatch, data_dir):
    """127.0.0.1 serving Fashion-MNIST's four (small, fake) files under /fashion/, and under
    /stall/fashion/ the same files, each sent 1 KB at a time and then held until released."""
    srv = LocalServer()
    srv.arrays = small_set(seed=4)
    for name, body in make_keras_files(monkeypatch, srv.arrays).items():
        srv.files["/fashion/" + name] = body
    srv.base = lambda path="/fashion/": monkeypatch.setenv("PLAYGROUND_FASHION_MNIST_URL", srv.url(path))
    srv.base()
    yield srv
    srv.close()


@pytest.fixture
def panel(qtbot):
    widget = DataPanel(AppState(data_loading.load_sample_dataset()))
    qtbot.addWidget(widget)
    widget.resize(560, 700)
    widget.show()
    yield widget
    widget.shutdown()


@pytest.fixture
def window(qtbot, tmp_path):
    from playground.main_window import MainWindow
    from playground.widgets.theme import apply_theme

    w = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)
    yield w
    w.panels["Data"].shutdown()
    apply_theme(False)


def open_in(qtbot, window, path) -> bool:
    """File > Open dataset with ``path``, waited for; True if the dataset was adopted."""
    with qtbot.waitSignal(window.file_loader.finished, timeout=LONG,
                          check_params_cb=lambda kind, ok: kind == "dataset") as blocker:
        assert window.open_dataset(path) is True
    return blocker.args[1]


def choose(bar, key: str) -> None:
    bar.choice.setCurrentIndex(bar.choice.findData(key))


# ----- Fashion-MNIST from Keras's four files ----------------------------------------------------
def test_fashion_mnist_downloads_its_four_files_with_one_progress_bar_and_opens_with_its_names(qtbot, panel, server,
                                                                                                 data_dir):
    bar, seen = panel.source_bar, []
    choose(bar, "fashion_mnist")
    assert bar.button.text() == f"Download Fashion-MNIST ({data_loading.DOWNLOADS['fashion_mnist'][1]})"
    bar.downloader.progressed.connect(lambda done, total: seen.append((done, total)))
    with qtbot.waitSignal(panel.state.dataset_changed, timeout=LONG):
        bar.button.click()
        assert bar.progress.isVisible() and bar.cancel_button.isVisible() and not bar.choice.isEnabled()
    dataset, total = panel.state.dataset, sum(fashion_mnist.FILE_SIZES.values())
    assert dataset.name == "Fashion-MNIST" and dataset.class_names == fashion_mnist.CLASS_NAMES
    np.testing.assert_array_equal(dataset.x_test, server.arrays["x_test"])
    assert seen[-1] == (total, total) and all(b >= a for (a, _), (b, _) in zip(seen, seen[1:]))
    assert all(t == total for _, t in seen)  # one bar over the four files, never one per file
    assert len({done for done, _ in seen}) >= 4  # it moved file after file
    assert sorted(p.name for p in (data_dir / "datasets" / "fashion-mnist").glob("*.gz")) == sorted(
        fashion_mnist.FILE_HASHES)  # kept in the user data folder (here a temporary one)
    assert "Fashion-MNIST loaded: 60 training and 20 test images." in bar.message.text()
    assert "<b>Fashion-MNIST</b>" in bar.source_label.text()
    qtbot.waitUntil(lambda: not bar.downloader.is_running())
    assert bar.button.text() == "Fashion-MNIST loaded" and not bar.button.isEnabled()
    panel.digit_index.setValue(9)  # y_train[9] is 9: an ankle boot
    assert panel.label_text.text() == "Label: 9" and panel.class_name_text.text() == "Ankle boot"
    assert panel.class_name_text.isVisibleTo(panel)

    server.files.clear()  # offline now: the trusted files in the data folder are enough
    panel.state.set_dataset(data_loading.load_sample_dataset())
    with qtbot.waitSignal(panel.state.dataset_changed, timeout=LONG):
        bar.button.click()
    assert panel.state.dataset.name == "Fashion-MNIST"
    qtbot.waitUntil(lambda: not bar.downloader.is_running())


def test_cancelling_fashion_mnist_keeps_the_data_and_leaves_no_file_half_written(qtbot, panel, server, data_dir):
    server.base("/stall/fashion/")  # each file: 1 KB, then nothing until released
    bar, sample = panel.source_bar, panel.state.dataset
    choose(bar, "fashion_mnist")
    with qtbot.waitSignal(bar.downloader.progressed, timeout=LONG,
                          check_params_cb=lambda done, total: done > fashion_mnist.FILE_SIZES["train-labels-idx1-ubyte.gz"]):
        bar.button.click()  # the labels (under 1 KB) arrive whole; the images stall
    bar.cancel_button.click()
    qtbot.waitUntil(lambda: "cancelled" in bar.message.text(), timeout=LONG)
    qtbot.waitUntil(lambda: not bar.downloader.is_running(), timeout=LONG)
    assert not server.release.is_set()  # the cancel ended it, not the server
    assert panel.state.dataset is sample and bar.button.isEnabled() and bar.choice.isEnabled()
    cached = data_dir / "datasets" / "fashion-mnist"
    assert not list(cached.glob("*.part")) and not (cached / "train-images-idx3-ubyte.gz").exists()


def test_a_file_that_is_not_kerass_is_refused_in_the_apps_words(qtbot, panel, server, data_dir):
    server.files["/fashion/t10k-images-idx3-ubyte.gz"] += b"x"  # not the bytes its SHA-256 says
    bar, sample = panel.source_bar, panel.state.dataset
    choose(bar, "fashion_mnist")
    with qtbot.waitSignal(bar.downloader.failed, timeout=LONG):
        bar.button.click()
    message = bar.message.text()
    assert "not Keras's Fashion-MNIST" in message and "Nothing was saved" in message
    assert "File > Open dataset folder…" in message and not any(word in message for word in DEVELOPER_WORDS)
    assert panel.state.dataset is sample
    assert not (data_dir / "datasets" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").exists()
    qtbot.waitUntil(lambda: not bar.downloader.is_running())


def test_another_panels_request_downloads_mnist_whatever_is_chosen(panel, monkeypatch):
    asked = []
    monkeypatch.setattr(panel.source_bar.downloader, "start", lambda **kwargs: asked.append(kwargs["dataset"]))
    choose(panel.source_bar, "fashion_mnist")
    panel.state.request_download()  # the Evaluate panel's "Download full MNIST (11 MB)"
    assert asked == ["mnist"] and panel.source_bar.button.text() == "Download full MNIST (11 MB)"


# ----- any dataset in MNIST's format, with its class names ----------------------------------------
def test_an_npz_with_class_names_shows_them_in_data_evaluate_and_draw(qtbot, window, tmp_path):
    arrays = small_set()
    path = tmp_path / "animals.npz"
    np.savez_compressed(path, **arrays, class_names=np.array(NAMES))
    assert open_in(qtbot, window, path) is True
    state = window.state
    assert state.dataset.name == "animals.npz" and state.class_names == NAMES

    data = window.panels["Data"]
    data.digit_index.setValue(3)
    assert data.class_name_text.text() == "Horse" and data.class_name_text.isVisibleTo(data)
    assert data.neighbours.caption(3) == "Horse" and data.neighbours.caption(9) == "Automobile (car)"
    data.slice_edit.setText("x_train[0:5]")
    assert data.slice_grid.caption(1) == "1: Dog"
    data.set_split("test")
    assert data.batch_grid.caption(0) == NAMES[arrays["y_test"][0]]

    state.set_model(FakeModel(np.eye(10)[4] * 0.7 + 0.03), trained=True)
    y_true = arrays["y_test"].astype(np.int64)
    probabilities = np.full((len(y_true), 10), 0.02, np.float32)
    probabilities[np.arange(len(y_true)), (y_true + (np.arange(len(y_true)) % 4 == 0)) % 10] = 0.82
    state.set_evaluation(Evaluation(0.5, 0.75, y_true, probabilities.argmax(1), probabilities))
    evaluate = window.panels["Evaluate"]
    assert [evaluate.confusion.class_name(i) for i in range(10)] == list(NAMES)
    first = int(evaluate._mistakes[0])
    assert evaluate.mistakes_grid.caption(0) == f"{NAMES[y_true[first]]} → {NAMES[(y_true[first] + 1) % 10]}"
    evaluate.filter_mistakes(3, 4)
    assert "true Horse predicted as Ship" in evaluate.mistakes_label.text()

    draw = window.panels["Draw"]
    assert draw.chart.class_names() == NAMES
    drag(draw.canvas, VERTICAL)
    draw.update_prediction()
    assert draw.prediction_label.text() == "Ship" and "Ship" in draw.chart.toolTip()
    draw.chart.resize(320, 220)
    assert draw.chart.on_its_side()  # "Automobile (car)" does not fit under a tenth of the chart
    combo = draw.why.class_combo  # the saliency map is asked for by the class's name
    assert [combo.itemText(i) for i in range(1, combo.count())] == list(NAMES)
    assert [combo.itemData(i) for i in range(1, combo.count())] == list(range(10)) and "class" in combo.toolTip()
    assert draw.why.title.text() == "Why this answer?" and draw.canvas.hint == "draw here"


def test_a_folder_of_idx_files_with_class_names_txt_opens_named_after_it(qtbot, window, tmp_path):
    folder = write_folder(tmp_path / "my animals", small_set(seed=2), "\ufeff" + "\n".join(NAMES) + "\n\n")
    assert open_in(qtbot, window, folder) is True
    assert window.state.dataset.name == "my animals" and window.state.class_names == NAMES
    assert window.panels["Draw"].chart.class_names() == NAMES
    assert "<b>my animals</b>" in window.panels["Data"].source_bar.source_label.text()
    # one of its four files, chosen in File > Open dataset, opens its folder
    sample = data_loading.load_sample_dataset()
    window.state.set_dataset(sample)
    assert open_in(qtbot, window, folder / "t10k-labels-idx1-ubyte.gz") is True
    assert window.state.dataset.name == "my animals"


def test_a_folder_without_names_has_its_digits_as_names(tmp_path):
    dataset = data_loading.load_dataset_file(write_folder(tmp_path / "digits-idx", small_set(), class_names=None))
    assert dataset.class_names == () and dataset.label_names == tuple(str(i) for i in range(10))


def test_a_dataset_is_named_by_what_it_is(tmp_path, monkeypatch):
    arrays = small_set(seed=5)
    assert data_loading.load_sample_dataset().name == "MNIST sample (6,000 + 1,000)"
    # the arrays of Keras's MNIST, whatever the file: "MNIST" (its content hash patched in for the fake)
    content = hashlib.sha256(b"".join(arrays[k].tobytes() for k in mnist.KEYS)).hexdigest()
    monkeypatch.setattr(mnist, "FULL_SIZES", {"train": 60, "test": 20})
    monkeypatch.setattr(mnist, "MNIST_CONTENT_SHA256", content)
    np.savez(tmp_path / "copy.npz", **arrays)
    assert data_loading.load_dataset_file(tmp_path / "copy.npz").name == "MNIST"
    assert data_loading.load_dataset_file(write_folder(tmp_path / "idx", arrays)).name == "MNIST"
    monkeypatch.undo()
    # Keras's four Fashion-MNIST files, wherever they are: "Fashion-MNIST", with its names
    fashion = small_set(seed=6)
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "data"))
    make_keras_files(monkeypatch, fashion)
    dataset = data_loading.load_dataset_file(write_folder(tmp_path / "downloads", fashion))
    assert dataset.name == "Fashion-MNIST" and dataset.class_names == fashion_mnist.CLASS_NAMES
    # anything else: its file's or folder's name, never a dataset's it has not been shown to be
    other = small_set(seed=7)
    assert data_loading.load_dataset_file(write_folder(tmp_path / "Fashion-MNIST", other)).name == "Fashion-MNIST (folder)"
    assert data_loading.load_dataset_file(write_folder(tmp_path / "MNIST", other)).name == "MNIST (folder)"
    np.savez(tmp_path / "sixty.npz", **other)
    assert data_loading.load_dataset_file(tmp_path / "sixty.npz").name == "sixty.npz"


# ----- bad files refused, the dataset kept ---------------------------------------------------------
def test_a_bad_idx_file_is_refused_clearly_and_the_dataset_is_kept(qtbot, window, tmp_path):
    folder = write_folder(tmp_path / "broken", small_set())
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"PK\x03\x04 a zip, not IDX"))
    before = window.state.dataset
    assert open_in(qtbot, window, folder) is False
    message = window.last_message
    assert window.state.dataset is before
    assert "The folder “broken” could not be opened as a dataset" in message
    assert "t10k-labels-idx1-ubyte.gz: not an IDX file" in message
    assert "File > Open dataset folder…" in message and "The dataset you had stays open." in message
    assert str(tmp_path) not in message and not any(word in message for word in DEVELOPER_WORDS)


@pytest.mark.parametrize("names, problem", [
    (NAMES[:7], "class_names has 7 names; it needs one for each of the 10 labels 0 to 9"),
    (NAMES[:9] + ("Cat",), "labels 0 and 9 are both called “Cat”"),
    (NAMES[:9] + ("x" * 50,), "the name of label 9 has 50 characters"),
    (np.arange(10), "class_names holds int64 values; it must be an array of strings"),
])
def test_class_names_that_do_not_name_ten_classes_are_refused(qtbot, window, tmp_path, names, problem):
    path = tmp_path / "named.npz"
    np.savez(path, **small_set(), class_names=np.array(names))
    before = window.state.dataset
    assert open_in(qtbot, window, path) is False
    assert problem in window.last_message and window.state.dataset is before
    assert "The dataset you had stays open." in window.last_message


def test_a_class_names_txt_that_is_not_ten_names_is_refused(tmp_path):
    folder = write_folder(tmp_path / "two", small_set(), "Cat\nDog\n")
    with pytest.raises(mnist.DatasetError, match="class_names.txt has 2 names") as refused:
        data_loading.load_dataset_file(folder)
    text = data_loading.open_failed_text(folder, refused.value)
    assert "The folder “two” could not be opened as a dataset: class_names.txt has 2 names" in text
    (folder / "class_names.txt").write_bytes(b"\xff\xfe" + "Cat".encode("utf-16-le"))
    with pytest.raises(mnist.DatasetError, match="not UTF-8 text"):
        data_loading.load_dataset_file(folder)


# ----- MNIST looks as it always did ----------------------------------------------------------------
def test_mnists_classes_are_its_digits_and_nothing_changes_on_screen(qtbot, panel):
    state = panel.state
    assert state.class_names == tuple(str(i) for i in range(10))
    assert not panel.class_name_text.isVisibleTo(panel) and panel.neighbours.caption(0) == str(state.dataset.y_train[0])
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    chart.set_class_names(state.class_names)
    chart.resize(320, 120)
    assert not chart.on_its_side() and chart.minimumHeight() == 110
    chart.set_class_names(fashion_mnist.CLASS_NAMES)
    assert chart.on_its_side() and chart.minimumHeight() > 110  # a row per class, each name readable
    assert Dataset("x", "x", *(np.zeros((1, 28, 28), np.uint8), np.zeros(1, np.uint8)) * 2).label_names == state.class_names


def test_my_digits_read_their_labels_by_the_datasets_class_names(qtbot, data_dir):
    from playground.panels.handwriting_panel import AddToMyDigits, HandwritingPanel

    state = AppState(data_loading.load_sample_dataset())
    mine, add = HandwritingPanel(state), AddToMyDigits(state)
    for widget in (mine, add):
        qtbot.addWidget(widget)
    mine.my_digits.add(np.zeros((28, 28), np.float32), 8)
    assert add.combo.itemText(8) == "8" and mine.relabel_combo.itemText(8) == "8" and mine.grid.caption(0) == "8"
    arrays = small_set()
    state.set_dataset(Dataset("animals", "animals.npz", arrays["x_train"], arrays["y_train"], arrays["x_test"],
                              arrays["y_test"], class_names=NAMES))
    assert add.combo.itemText(8) == "Plane" and mine.relabel_combo.itemText(9) == "Automobile (car)"
    assert mine.grid.caption(0) == "Plane"


def test_a_short_confusion_matrix_numbers_its_columns_instead_of_writing_names_up_them(qtbot):
    from playground.panels.evaluate_panel import ConfusionMatrix

    matrix = ConfusionMatrix()
    qtbot.addWidget(matrix)
    matrix.set_matrix(np.diag(np.full(10, 100)))
    matrix.set_class_names(fashion_mnist.CLASS_NAMES)
    matrix.resize(matrix.sizeHint())
    assert not matrix.numbered_columns()  # room for the names up the columns
    matrix.resize(matrix.minimumSizeHint())
    assert matrix.numbered_columns()  # too short: "Ankle boot 9" beside the row, 9 above the column
    top, bottom = matrix.cell_rect(0, 0), matrix.cell_rect(9, 9)
    assert top.top() >= 0 and bottom.bottom() <= matrix.height() and bottom.right() <= matrix.width()
    matrix.set_class_names(tuple(str(i) for i in range(10)))  # MNIST: the digits, as always
    assert not matrix.numbered_columns()

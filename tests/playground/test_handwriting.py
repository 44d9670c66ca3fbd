"""Your own handwriting (issue 10, section 3): a personal test set in MNIST's format.

First the store without Qt (round trip, a damaged file, a crash mid-write, import checks, a
model's score), then the Draw panel's "Add to my digits" and the My digits panel.
"""
import os

import numpy as np
import pytest

import engine
from playground import handwriting
from playground.handwriting import HandwritingError, MyDigits


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    """The app's data folder for this test only (never the learner's)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(folder))
    return folder


def drawing(seed=0):
    """A 28x28 float image in [0, 1], as the Draw panel's network_input() gives it."""
    image = np.zeros((28, 28), dtype=np.float32)
    rng = np.random.default_rng(seed)
    image[4:24, 10 + seed % 5:13 + seed % 5] = rng.uniform(0.5, 1.0, size=(20, 3))
    return image


# -- the store, without Qt ----------------------------------------------------------------------
def test_added_digits_are_kept_in_mnists_format_in_the_data_folder(data_folder):
    digits = MyDigits()
    assert digits.path == data_folder / "my_digits.npz" and len(digits) == 0 and digits.problem == ""
    assert digits.add(drawing(0), 7) == 0
    assert digits.add(drawing(1), 1) == 1
    with np.load(data_folder / "my_digits.npz") as saved:  # what Keras's mnist.npz calls its test set
        assert saved["x_test"].dtype == np.uint8 and saved["x_test"].shape == (2, 28, 28)
        assert saved["y_test"].dtype == np.uint8 and saved["y_test"].tolist() == [7, 1]
        np.testing.assert_array_equal(saved["x_test"][0], np.round(drawing(0) * 255).astype(np.uint8))
    again = MyDigits()  # the next start of the app
    np.testing.assert_array_equal(again.images, digits.images)
    assert again.labels.tolist() == [7, 1]
    np.testing.assert_allclose(again.network_inputs()[0], drawing(0).ravel(), atol=0.5 / 255)


def test_delete_and_relabel_are_saved_at_once(data_folder):
    digits = MyDigits()
    for seed, label in enumerate((3, 5, 8, 9)):
        digits.add(drawing(seed), label)
    digits.delete([1, 3])
    digits.relabel(1, 6)
    assert MyDigits().labels.tolist() == [3, 6]
    np.testing.assert_array_equal(MyDigits().images[1], handwriting.to_uint8(drawing(2)))


@pytest.mark.parametrize("label", [10, -1, 2.5, "seven", None])
def test_a_label_must_be_a_digit(data_folder, label):
    digits = MyDigits()
    with pytest.raises(HandwritingError, match="0 to 9"):
        digits.add(drawing(), label)
    assert len(digits) == 0 and not digits.path.exists()


def test_a_damaged_file_is_moved_aside_with_a_clear_message_and_the_set_starts_empty(data_folder):
    data_folder.mkdir()
    (data_folder / "my_digits.npz").write_bytes(b"PK\x03\x04 half a zip file")
    (data_folder / "mnist.npz").write_bytes(b"someone else's file")
    digits = MyDigits()
    assert len(digits) == 0
    assert "could not be read" in digits.problem and "starts empty" in digits.problem
    assert digits.moved_to.name in digits.problem and digits.moved_to.read_bytes() == b"PK\x03\x04 half a zip file"
    assert (data_folder / "mnist.npz").read_bytes() == b"someone else's file"  # nothing else touched
    assert not any(word in digits.problem for word in ("Traceback", "BadZipFile", ".tmp"))
    digits.add(drawing(), 4)  # and the set works again
    assert MyDigits().labels.tolist() == [4] and MyDigits().problem == ""


def test_a_file_of_the_wrong_shape_is_moved_aside_too(data_folder):
    data_folder.mkdir()
    np.savez(data_folder / "my_digits.npz", x_test=np.zeros((2, 14, 14), np.uint8), y_test=np.zeros(2, np.uint8))
    digits = MyDigits()
    assert "not in MNIST's format" in digits.problem and "(2, 14, 14)" in digits.problem
    assert digits.moved_to.exists() and not digits.path.exists()


def test_a_crash_mid_write_loses_nothing(data_folder, monkeypatch):
    digits = MyDigits()
    digits.add(drawing(0), 2)
    before = digits.path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "fsync", crash)  # the temporary file is half written when the "crash" comes
        with pytest.raises(HandwritingError, match=r"could not be saved .*\(No space left on device\).* nothing was lost"):
            digits.add(drawing(1), 3)
        with pytest.raises(HandwritingError, match="could not be saved"):
            digits.delete([0])
    assert digits.labels.tolist() == [2]  # the set in memory is as it was...
    assert digits.path.read_bytes() == before  # ...and so is the file
    assert [p.name for p in data_folder.iterdir()] == ["my_digits.npz"]  # no temporary file left behind
    assert MyDigits().labels.tolist() == [2]


def test_export_then_import_round_trips(data_folder, tmp_path):
    digits = MyDigits()
    for seed, label in enumerate((0, 4, 9)):
        digits.add(drawing(seed), label)
    exported = tmp_path / "mine.npz"
    digits.export(exported)
    digits.delete([0, 1, 2])
    assert digits.import_file(exported) == 3
    assert digits.import_file(exported) == 3  # imported digits are added to those there
    assert MyDigits().labels.tolist() == [0, 4, 9, 0, 4, 9]
    images, labels = handwriting.read_file(exported)
    np.testing.assert_array_equal(images, MyDigits().images[:3])


def test_import_accepts_other_key_names_and_integer_labels(data_folder, tmp_path):
    path = tmp_path / "theirs.npz"
    np.savez(path, images=np.full((2, 28, 28), 9, np.uint8), labels=np.array([3, 8], dtype=np.int64))
    digits = MyDigits()
    assert digits.import_file(path) == 2 and digits.labels.dtype == np.uint8 and digits.labels.tolist() == [3, 8]


@pytest.mark.parametrize("arrays, message", [
    (dict(x_test=np.zeros((2, 28, 28), np.float32), y_test=np.zeros(2, np.uint8)), "float32"),
    (dict(x_test=np.zeros((2, 784), np.uint8), y_test=np.zeros(2, np.uint8)), "(n, 28, 28)"),
    (dict(x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.array([1, 12], np.uint8)), "label 12"),
    (dict(x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(3, np.uint8)), "does not match"),
    (dict(x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.array([0.0, 1.0])), "whole numbers"),
    (dict(weights=np.zeros(3)), "holds no digits"),
])
def test_import_refuses_what_is_not_a_set_of_digits_and_adds_nothing(data_folder, tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    digits = MyDigits()
    digits.add(drawing(), 1)
    with pytest.raises(HandwritingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        digits.import_file(path)
    assert MyDigits().labels.tolist() == [1]


def test_import_refuses_a_small_file_that_declares_too_many_digits_before_reading_it(data_folder, tmp_path):
    path = tmp_path / "bomb.npz"
    n = handwriting.MAX_DIGITS + 1
    np.savez_compressed(path, x_test=np.zeros((n, 28, 28), np.uint8), y_test=np.zeros(n, np.uint8))
    assert path.stat().st_size < 100_000
    with pytest.raises(HandwritingError, match="at most 10,000"):
        MyDigits().import_file(path)


def test_import_of_a_damaged_or_missing_file_says_so(data_folder, tmp_path):
    damaged = tmp_path / "damaged.npz"
    np.savez(damaged, x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8))
    damaged.write_bytes(damaged.read_bytes()[:300])
    with pytest.raises(HandwritingError, match="damaged"):
        MyDigits().import_file(damaged)
    with pytest.raises(HandwritingError, match="does not exist"):
        MyDigits().import_file(tmp_path / "nowhere.npz")


def test_export_to_a_missing_folder_says_so(data_folder, tmp_path):
    digits = MyDigits()
    digits.add(drawing(), 5)
    with pytest.raises(HandwritingError, match="could not be written"):
        digits.export(tmp_path / "no such folder" / "mine.npz")


def test_the_score_of_a_model_is_its_accuracy_and_confusion_matrix_on_my_digits():
    class Fixed:  # a "model" that always answers 7
        input_shape = (28, 28)

        def predict(self, x, batch_size=None, verbose=0):
            assert x.shape[1:] == (28, 28)
            out = np.zeros((len(x), 10), np.float32)
            out[:, 7] = 1
            return out

    images, labels = np.zeros((4, 28, 28), np.uint8), np.array([7, 7, 1, 3], np.uint8)
    result = handwriting.score(Fixed(), images, labels)
    assert result.accuracy == 0.5 and result.predictions.tolist() == [7, 7, 7, 7]
    assert result.confusion[7, 7] == 2 and result.confusion[1, 7] == 1 and result.confusion.sum() == 4
    assert np.isnan(handwriting.score(Fixed(), images[:0], labels[:0]).accuracy)


def test_a_convnet_scores_my_digits_too():
    engine.utils.set_random_seed(0)
    model = engine.Sequential([engine.layers.Conv2D(2, (3, 3), activation="relu", input_shape=(28, 28, 1)),
                               engine.layers.Flatten(), engine.layers.Dense(10, activation="softmax")])
    model.build((28, 28, 1))
    result = handwriting.score(model, np.zeros((3, 28, 28), np.uint8), np.array([1, 2, 3]))
    assert result.probabilities.shape == (3, 10) and result.confusion.sum() == 3

"""Your own handwriting (issue 10, section 3): a personal test set in MNIST's format.

First the store without Qt (round trip, a damaged file, a crash mid-write, import checks, a
model's score), then the Draw panel's "Add to my digits" and the My digits panel.
"""
import os

import numpy as np
import pytest

import engine
from playground.core import handwriting, shared_tensors
from playground.core.handwriting import HandwritingError, MyDigits


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


def test_readings_are_remembered_by_image_and_unread_digits_are_nan():
    readings = handwriting.Readings()
    images = np.stack([handwriting.to_uint8(drawing(i)) for i in range(3)])
    assert readings.missing(images).tolist() == [0, 1, 2] and np.isnan(readings.lookup(images)).all()
    rows = np.eye(10, dtype=np.float32)[[4, 2]]
    readings.remember(images[[0, 2]], rows)
    assert readings.missing(images).tolist() == [1]
    again = images[[2, 0, 0]]  # the same pictures in another order (a delete, a duplicate)
    np.testing.assert_array_equal(readings.lookup(again), rows[[1, 0, 0]])
    assert readings.missing(again).tolist() == []
    labels = np.array([2, 4, 1])
    assert handwriting.score_from(readings.lookup(again), labels).accuracy == pytest.approx(2 / 3)


def test_a_convnet_scores_my_digits_too():
    engine.utils.set_random_seed(0)
    model = engine.Sequential([engine.layers.Conv2D(2, (3, 3), activation="relu", input_shape=(28, 28, 1)),
                               engine.layers.Flatten(), engine.layers.Dense(10, activation="softmax")])
    model.build((28, 28, 1))
    result = handwriting.score(model, np.zeros((3, 28, 28), np.uint8), np.array([1, 2, 3]))
    assert result.probabilities.shape == (3, 10) and result.confusion.sum() == 3


# -- the Draw panel's "Add to my digits" and the My digits panel ---------------------------------
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QComboBox, QPushButton, QWidget  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from playground.core.data_loading import load_sample_dataset  # noqa: E402
from playground.panels.draw_panel import DrawPanel  # noqa: E402
from playground.panels.handwriting_panel import HandwritingPanel  # noqa: E402
from playground.training.my_digits import my_digits_for  # noqa: E402
from playground.training.state import AppState  # noqa: E402
from tests.playground.test_draw_panel import drag  # noqa: E402
from tests.playground.test_why import SEVEN, stroke  # noqa: E402


@pytest.fixture(scope="module")
def sample():
    return load_sample_dataset()


@pytest.fixture(scope="module")
def trained(sample):
    """The chapter's network, two epochs on the bundled sample."""
    engine.utils.set_random_seed(0)
    model = engine.Sequential([engine.layers.Flatten(input_shape=(28, 28)),
                               engine.layers.Dense(512, activation="relu"),
                               engine.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    model.fit(sample.x_train / np.float32(255), engine.utils.to_categorical(sample.y_train, 10),
              batch_size=128, epochs=2, verbose=0)
    return model


@pytest.fixture
def panels(qtbot, data_folder, sample, trained):
    """The Draw panel and the My digits panel on one state with a trained network."""
    state = AppState(sample)
    draw, mine = DrawPanel(state), HandwritingPanel(state)
    for widget in (draw, mine):
        qtbot.addWidget(widget)
    mine.resize(500, 500)
    mine.show()  # the panel reads the digits when it can be seen
    qtbot.waitExposed(mine)
    state.set_model(trained, trained=True)
    return draw, mine


def read(qtbot, mine):
    """Wait until the panel shows the newest weights' readings (they are made off the UI thread)."""
    qtbot.waitUntil(mine.is_current, timeout=60_000)


def test_draw_a_digit_and_add_it_to_my_digits_with_its_label(panels, qtbot, data_folder):
    draw, mine = panels
    button = draw.findChild(QPushButton, "addToMyDigitsButton")
    combo = draw.findChild(QComboBox, "myDigitLabelCombo")
    assert not button.isEnabled()  # nothing drawn yet
    drag(draw.canvas, stroke(SEVEN))
    qtbot.waitUntil(lambda: draw.prediction() is not None, timeout=10_000)
    assert button.isEnabled() and combo.currentIndex() == draw.prediction()  # the label starts at the guess
    combo.setCurrentIndex(7)
    combo.activated.emit(7)  # as the learner picks it
    seen = handwriting.to_uint8(draw.network_input())
    with qtbot.waitSignal(mine.my_digits.changed, timeout=10_000):
        QTest.mouseClick(button, Qt.LeftButton)
    assert MyDigits().labels.tolist() == [7]  # saved at once, in the data folder
    np.testing.assert_array_equal(MyDigits().images[0], seen)  # the drawing as the network saw it
    assert draw.canvas.is_empty() and not button.isEnabled()  # ready for the next digit
    assert "Added as a 7" in draw.findChild(QWidget, "addToMyDigitsNote").text()
    assert mine.grid.count() == 1 and mine.grid.caption(0).startswith("7")
    read(qtbot, mine)
    assert mine.accuracy_label.text().startswith("My digits: ")


def test_the_panel_shows_label_and_prediction_accuracy_and_confusion_matrix(panels, qtbot, sample, trained):
    _, mine = panels
    for i in range(6):  # the first six test digits, labelled right except two
        label = int(sample.y_test[i]) if i < 4 else (int(sample.y_test[i]) + 1) % 10
        mine.my_digits.add(sample.x_test[i] / 255, label)
    read(qtbot, mine)
    predicted = np.argmax(trained.predict(sample.x_test[:6] / np.float32(255), verbose=0), axis=1)
    labels = mine.my_digits.digits.labels
    right = int(np.sum(predicted == labels))
    assert mine.accuracy_label.text() == f"My digits: {100 * right / 6:.0f}%"
    assert f"{right} of your 6 digits" in mine.summary_label.text()
    for i in range(6):
        expected = f"{labels[i]} ✓" if predicted[i] == labels[i] else f"{labels[i]} → {predicted[i]}"
        assert mine.grid.caption(i) == expected
    assert mine.confusion.isVisibleTo(mine) and mine.confusion._matrix.sum() == 6
    assert mine.confusion._matrix[labels[5], predicted[5]] >= 1


def test_relabel_and_delete_the_selected_digit(panels):
    _, mine = panels
    for i in range(3):
        mine.my_digits.add(drawing(i), i)
    assert not mine.delete_button.isEnabled()  # nothing selected
    mine.select(1)
    assert mine.grid.selected() == 1 and mine.relabel_combo.currentIndex() == 1
    mine.relabel_combo.setCurrentIndex(8)
    mine.relabel_button.click()
    assert MyDigits().labels.tolist() == [0, 8, 2] and mine.selected() == 1
    assert "now labelled 8" in mine.message_label.text()
    mine.delete_button.click()
    assert MyDigits().labels.tolist() == [0, 2] and mine.grid.count() == 2 and mine.selected() == -1


def test_clicking_a_digit_selects_it(panels, qtbot):
    _, mine = panels
    mine.my_digits.add(drawing(0), 3)
    mine.my_digits.add(drawing(1), 4)
    QTest.mouseClick(mine.grid, Qt.LeftButton, Qt.NoModifier, mine.grid.item_rect(1).center())
    assert mine.selected() == 1 and mine.delete_button.isEnabled()


def test_a_new_model_updates_the_predictions(panels, qtbot, trained):
    _, mine = panels
    mine.my_digits.add(drawing(0), 1)
    state = mine.state
    state.set_model(None)
    assert mine.grid.caption(0) == "1" and mine.accuracy_label.text() == "My digits"
    assert "Train the network" in mine.summary_label.text() and not mine.confusion.isVisibleTo(mine)
    state.set_model(trained, trained=True)
    read(qtbot, mine)
    guess = int(np.argmax(trained.predict(drawing(0).reshape(1, 28, 28), verbose=0)))
    assert mine.grid.caption(0) == ("1 ✓" if guess == 1 else f"1 → {guess}")
    assert mine.confusion.isVisibleTo(mine) and mine.confusion._matrix[1, guess] == 1


@pytest.fixture
def predictions(monkeypatch):
    """Every predict of a Sequential, as (thread name, digits), with a gate that holds them back."""
    import threading

    seen, gate = [], threading.Event()
    gate.set()
    real = engine.models.Sequential.predict

    def predict(self, x, *args, **kwargs):
        seen.append((threading.current_thread().name, len(x)))
        assert gate.wait(60), "the test never opened the gate"
        return real(self, x, *args, **kwargs)

    monkeypatch.setattr(engine.models.Sequential, "predict", predict)
    return seen, gate


def test_the_network_reads_my_digits_off_the_ui_thread(panels, qtbot, predictions):
    import threading

    _, mine = panels
    seen, _ = predictions
    for i in range(3):
        mine.my_digits.add(drawing(i), i)
    read(qtbot, mine)
    assert seen and all(name != threading.main_thread().name for name, _ in seen)
    assert mine.accuracy_label.text().startswith("My digits: ")


def test_a_slow_network_never_holds_the_panel_up(panels, qtbot, predictions):
    _, mine = panels
    _, gate = predictions
    gate.clear()  # the network takes as long as the test wants
    mine.my_digits.add(drawing(0), 4)  # returns at once: the reading waits on its own thread
    assert mine.grid.count() == 1 and mine.grid.caption(0) == "4 …" and not mine.is_current()
    assert "reading" in mine.summary_label.text() and not mine.confusion.isVisibleTo(mine)
    mine.my_digits.relabel(0, 5)  # the panel stays usable meanwhile
    assert mine.grid.caption(0) == "5 …"
    gate.set()
    read(qtbot, mine)
    guess = mine.score.predictions[0]
    assert mine.grid.caption(0) == ("5 ✓" if guess == 5 else f"5 → {guess}") and mine.confusion.isVisibleTo(mine)


def test_an_edit_reads_only_the_new_digits_and_a_relabel_none(panels, qtbot, predictions):
    _, mine = panels
    seen, _ = predictions
    for i in range(4):
        mine.my_digits.add(drawing(i), i)
    read(qtbot, mine)
    before = sum(n for _, n in seen)
    assert before >= 4
    mine.my_digits.relabel(2, 9)
    mine.my_digits.delete([0])
    read(qtbot, mine)
    assert sum(n for _, n in seen) == before  # nothing new to read
    assert mine.grid.caption(1).startswith("9")
    mine.my_digits.add(drawing(7), 7)
    read(qtbot, mine)
    assert sum(n for _, n in seen) == before + 1  # only the added digit


def test_new_weights_are_read_afresh_and_the_old_readings_stay_until_then(panels, qtbot, predictions, trained):
    _, mine = panels
    _, gate = predictions
    mine.my_digits.add(drawing(0), 1)
    read(qtbot, mine)
    shown = mine.grid.caption(0)
    gate.clear()
    other = engine.models.clone_model(trained)  # another epoch's weights
    other.set_weights([w * 0.5 for w in trained.get_weights()])
    mine.state.set_model(other, trained=True)
    assert not mine.is_current() and mine.grid.caption(0) == shown  # no flicker while the new ones come
    gate.set()
    read(qtbot, mine)
    guess = int(np.argmax(other.predict(drawing(0).reshape(1, 28, 28), verbose=0)))
    assert mine.score.predictions.tolist() == [guess]


def test_a_hidden_panel_reads_nothing_until_it_is_shown(panels, qtbot, predictions):
    _, mine = panels
    seen, _ = predictions
    mine.hide()
    mine.my_digits.add(drawing(0), 3)
    assert not mine.jobs.busy() and not mine.is_current()  # nothing asked of the network (nor will be)
    mine.show()
    read(qtbot, mine)
    assert [n for _, n in seen] == [1]


def test_a_network_that_cannot_read_digits_is_said_so(panels, qtbot):
    _, mine = panels
    mine.my_digits.add(drawing(0), 3)
    narrow = engine.Sequential([engine.layers.Dense(10, activation="softmax", input_shape=(12,))])
    narrow.build((12,))
    mine.state.set_model(narrow, trained=True)
    read(qtbot, mine)
    assert "cannot read these digits" in mine.message_label.text() and mine.message_label.styleSheet()
    assert mine.grid.caption(0) == "3" and mine.score is None


def test_export_and_import_through_the_panel(panels, tmp_path):
    _, mine = panels
    mine.my_digits.add(drawing(0), 5)
    assert mine.export_to(tmp_path / "shared.npz") and "Exported 1 digits" in mine.message_label.text()
    assert mine.import_from(tmp_path / "shared.npz") and "Imported 1 digit from" in mine.message_label.text()
    assert mine.grid.count() == 2
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert not mine.import_from(tmp_path / "bad.npz")
    assert "not a .npz file" in mine.message_label.text() and mine.message_label.styleSheet()  # in red
    assert mine.grid.count() == 2


def test_a_damaged_file_is_reported_in_the_panel(qtbot, data_folder, sample):
    data_folder.mkdir()
    (data_folder / "my_digits.npz").write_bytes(b"garbage")
    panel = HandwritingPanel(AppState(sample))
    qtbot.addWidget(panel)
    assert not panel.message_label.isHidden() and "could not be read" in panel.message_label.text()
    assert "starts empty" in panel.message_label.text() and panel.grid.count() == 0


def test_the_draw_panel_and_my_digits_share_one_set_per_state(qtbot, data_folder, sample):
    state = AppState(sample)
    assert my_digits_for(state) is my_digits_for(state)
    assert my_digits_for(AppState(sample)) is not my_digits_for(state)


def test_the_window_has_a_my_digits_tab_beside_evaluate(qtbot, tmp_path, data_folder):
    from PySide6.QtCore import QSettings
    from playground.main_window import MainWindow

    window = MainWindow(settings=QSettings(str(tmp_path / "w.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    dock = window.findChild(QWidget, "handwritingDock")
    assert dock is window.docks["My digits"] and window.panels["My digits"].objectName() == "handwritingPanel"
    window.switch_workspace("Inspect")  # beside the test results; Draw is in Train
    assert dock in window.tabifiedDockWidgets(window.docks["Evaluate"])
    draw, mine = window.panels["Draw"], window.panels["My digits"]
    assert draw.add_to_my_digits.my_digits is mine.my_digits  # added in Draw, shown in My digits


# -- adding my digits to the training data -----------------------------------------------------
from playground.core.specs import TrainSettings  # noqa: E402
from playground.core.training_data import prepare_data  # noqa: E402


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_my_digits_go_first_in_the_training_data_and_the_test_set_is_untouched(sample, loss):
    data = prepare_data(sample, TrainSettings(train_size=100, loss=loss))
    images, labels = np.full((3, 28, 28), 255, np.uint8), np.array([4, 0, 9], np.uint8)
    more = handwriting.with_training_digits(data, (images, labels))
    assert more.x_train.shape == (103, 784) and more.x_train.dtype == np.float32
    np.testing.assert_array_equal(more.x_train[:3], 1.0)  # first: a validation split (the last rows) never holds them
    np.testing.assert_array_equal(more.x_train[3:], data.x_train)
    if loss.startswith("sparse"):
        assert more.y_train[:3].tolist() == [4, 0, 9] and more.y_train.dtype == data.y_train.dtype
    else:
        np.testing.assert_array_equal(more.y_train[:3], engine.utils.to_categorical(labels, 10))
    assert more.x_test is data.x_test and more.test_labels is data.test_labels
    assert handwriting.with_training_digits(data, None) is data


def test_ticking_the_option_trains_on_my_digits_from_the_next_train(qtbot, tmp_path, data_folder, monkeypatch):
    from PySide6.QtCore import QSettings
    import playground.training.training_controller as controller_module
    from playground.main_window import MainWindow

    used = []
    real = controller_module.with_training_digits
    monkeypatch.setattr(controller_module, "with_training_digits", lambda data, extra: used.append(real(data, extra)) or used[-1])
    window = MainWindow(settings=QSettings(str(tmp_path / "w.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.state.set_settings(epochs=1, batch_size=64, train_size=200, validation_split=0.2)
    mine = window.panels["My digits"]
    for seed, label in enumerate((1, 7)):
        mine.my_digits.add(drawing(seed), label)
    mine.train_check.setChecked(True)
    assert "trained on too" in mine.message_label.text()
    with qtbot.waitSignal(window.training_finished, timeout=120_000):
        assert window.controller.start()
    assert len(used[-1].x_train) == 202
    np.testing.assert_array_equal(used[-1].x_train[:2], MyDigits().network_inputs())
    mine.train_check.setChecked(False)
    window.state.set_settings(epochs=2)
    with qtbot.waitSignal(window.training_finished, timeout=120_000):
        assert window.controller.start()
    assert len(used[-1].x_train) == 200  # unticked: MNIST's digits only


def _window(qtbot, ini):
    from PySide6.QtCore import QSettings
    from playground.main_window import MainWindow

    window = MainWindow(settings=QSettings(str(ini), QSettings.IniFormat))
    qtbot.addWidget(window)
    return window


def test_the_choice_to_train_on_my_digits_is_remembered_between_launches(qtbot, tmp_path, data_folder):
    import configparser

    ini = tmp_path / "w.ini"
    first = _window(qtbot, ini)
    mine = first.panels["My digits"]
    assert not mine.train_check.isChecked()  # the chapter trains on MNIST's digits only
    mine.my_digits.add(drawing(0), 1)
    mine.train_check.setChecked(True)
    # written soon, as the design is: a crash after ticking it loses nothing
    def saved():
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(ini)
        return parser.get("myDigits", "trainWithThem", fallback=None)
    qtbot.waitUntil(lambda: saved() == "true", timeout=10_000)
    first.close()

    second = _window(qtbot, ini)  # the next launch
    again = second.panels["My digits"]
    assert again.train_check.isChecked() and again.my_digits.train_with_them
    assert again.message_label.isHidden()  # restored quietly, not announced as a change
    again.train_check.setChecked(False)
    second.close()
    assert not _window(qtbot, ini).panels["My digits"].train_check.isChecked()


@pytest.mark.parametrize("value", ["yes", "1", "", "garbage", 7])
def test_an_unreadable_saved_choice_leaves_my_digits_out_of_training(qtbot, tmp_path, data_folder, value):
    from PySide6.QtCore import QSettings

    ini = tmp_path / "w.ini"
    store = QSettings(str(ini), QSettings.IniFormat)
    store.setValue("myDigits/trainWithThem", value)
    store.sync()
    assert not _window(qtbot, ini).panels["My digits"].train_check.isChecked()


@pytest.mark.parametrize("in_shared_memory", [False, True])
def test_ticked_the_worker_really_trains_on_my_digits_and_unticked_it_does_not(qtbot, tmp_path, data_folder,
                                                                               monkeypatch, in_shared_memory):
    """No stand-in: what fit receives on the worker thread (its sample count, and the weights it
    ends with) changes with the option, and only with it (the same seed gives the same weights).
    Also with the prepared data in shared memory from the start, as full MNIST is: the training
    process is then given my digits beside the shared test set."""
    if in_shared_memory:
        monkeypatch.setattr(shared_tensors, "SHARE_FROM_BYTES", 0)
    window = _window(qtbot, tmp_path / "w.ini")
    window.state.set_settings(epochs=1, batch_size=64, train_size=200, validation_split=0.0, seed=3)
    mine = window.panels["My digits"]
    for seed, label in enumerate((1, 7, 4)):
        mine.my_digits.add(drawing(seed), label)
    began = []
    window.controller.fit_began.connect(lambda params: began.append(params["samples"]))

    def train_afresh():
        window.controller.reset_weights()
        with qtbot.waitSignal(window.training_finished, timeout=120_000):
            assert window.controller.start()
        return began[-1], [w.copy() for w in window.state.model.get_weights()]

    samples, mnist_only = train_afresh()
    assert samples == 200
    mine.train_check.setChecked(True)
    samples, with_mine = train_afresh()
    assert samples == 203  # MNIST's 200 and my 3
    assert not all(np.array_equal(a, b) for a, b in zip(mnist_only, with_mine))
    mine.train_check.setChecked(False)
    samples, again = train_afresh()
    assert samples == 200 and all(np.array_equal(a, b) for a, b in zip(mnist_only, again))
    if in_shared_memory and window.controller.in_process:  # the path this case is for was taken
        assert isinstance(window.controller._cache.get(window.state.dataset, window.state.settings).memory,
                          shared_tensors.SharedTensors)

"""The Reshape lab (issue 9, section 3; the book's section 2.3.4).

First the model without Qt: the two orders against NumPy's ``order="C"`` and ``order="F"``, the
fill order cell by cell, the scrambled digit and ``t()`` on the book's small matrix. Then the
panel, driven as a person would: pick a digit, move the slider, switch the order.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.datasets import mnist
from playground.core.labs import reshape
from playground.core.labs.reshape import COLUMN_MAJOR, ROW_MAJOR


@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    (x_train, _), _ = mnist.load_sample()
    return x_train[reshape.BOOK_DIGIT - 1]  # digit <- train_images[5,,]


# ----- the model ------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", [ROW_MAJOR, COLUMN_MAJOR])
def test_flatten_and_unflatten_are_numpys_reshape_in_that_order(digit, order):
    vector = reshape.flatten(digit, order)
    assert vector.shape == (784,)
    np.testing.assert_array_equal(vector, digit.reshape(784, order=order))
    np.testing.assert_array_equal(reshape.unflatten(vector, (28, 28), order), digit)


def test_array_reshape_reads_along_the_rows_and_dim_down_the_columns():
    x = np.array([[0, 1, 2], [3, 4, 5]])
    assert reshape.flatten(x, ROW_MAJOR).tolist() == [0, 1, 2, 3, 4, 5]  # array_reshape(x, c(6))
    assert reshape.flatten(x, COLUMN_MAJOR).tolist() == [0, 3, 1, 4, 2, 5]  # dim(x) <- c(6)
    assert reshape.unflatten(np.arange(6), (2, 3), COLUMN_MAJOR).tolist() == [[0, 2, 4], [1, 3, 5]]  # 1:6, dim<- c(2, 3)


def test_unflatten_refuses_a_shape_with_another_number_of_cells():
    with pytest.raises(ValueError, match="cannot fill 784 values into shape \\(28, 27\\)"):
        reshape.unflatten(np.zeros(784), (28, 27), ROW_MAJOR)
    with pytest.raises(ValueError, match="row-major"):
        reshape.flatten(np.zeros((2, 2)), "A")


@pytest.mark.parametrize("order", [ROW_MAJOR, COLUMN_MAJOR])
def test_one_order_both_ways_gives_the_digit_back(digit, order):
    np.testing.assert_array_equal(reshape.round_trip(digit, order, order), digit)
    assert not reshape.is_mirrored(digit, order, order)


@pytest.mark.parametrize("there, back", [(ROW_MAJOR, COLUMN_MAJOR), (COLUMN_MAJOR, ROW_MAJOR)])
def test_one_way_there_and_the_other_back_scrambles_the_digit_into_its_transpose(digit, there, back):
    scrambled = reshape.round_trip(digit, there, back)
    assert not np.array_equal(scrambled, digit)
    np.testing.assert_array_equal(scrambled, digit.T)  # every pixel [i, j] lands at [j, i]
    np.testing.assert_array_equal(scrambled, digit.reshape(784, order=there).reshape(28, 28, order=back))
    assert reshape.is_mirrored(digit, there, back)
    assert sorted(scrambled.ravel()) == sorted(digit.ravel())  # the same values, in other places


def test_a_non_square_image_is_scrambled_but_not_transposed():
    image = np.arange(12).reshape(3, 4)
    scrambled = reshape.round_trip(image, ROW_MAJOR, COLUMN_MAJOR)
    assert scrambled.shape == (3, 4) and scrambled.tolist() == [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8, 11]]
    assert not reshape.is_mirrored(image, ROW_MAJOR, COLUMN_MAJOR)


def test_the_fill_order_cell_by_cell():
    steps = reshape.fill_steps((28, 28), ROW_MAJOR)
    assert steps[0, 1] == 1 and steps[1, 0] == 28  # along the row first
    steps = reshape.fill_steps((28, 28), COLUMN_MAJOR)
    assert steps[1, 0] == 1 and steps[0, 1] == 28  # down the column first
    for k in (0, 27, 28, 300, 783):
        assert steps[reshape.cell_of(k, (28, 28), COLUMN_MAJOR)] == k
    assert reshape.cell_of(300, (28, 28), ROW_MAJOR) == (10, 20)
    assert reshape.cell_of(300, (28, 28), COLUMN_MAJOR) == (20, 10)
    with pytest.raises(ValueError):
        reshape.cell_of(784, (28, 28), ROW_MAJOR)


def test_a_fill_step_names_its_cell_in_r_and_numpy():
    step = reshape.fill_step(300, (28, 28))
    assert step.text(ROW_MAJOR) == "v[301] → [11, 21]   (NumPy: v[300] → [10, 20])"
    assert step.text(COLUMN_MAJOR) == "v[301] → [21, 11]   (NumPy: v[300] → [20, 10])"


@pytest.mark.parametrize("order", [ROW_MAJOR, COLUMN_MAJOR])
def test_partly_filled_shows_the_first_values_where_that_order_puts_them(digit, order):
    vector = reshape.flatten(digit, ROW_MAJOR)
    values, filled = reshape.partly_filled(vector, (28, 28), order, 300)
    assert filled.sum() == 300
    assert filled[reshape.cell_of(299, (28, 28), order)] and not filled[reshape.cell_of(300, (28, 28), order)]
    np.testing.assert_array_equal(values[filled], vector.reshape(28, 28, order=order)[filled])
    assert not values[~filled].any()
    full, _ = reshape.partly_filled(vector, (28, 28), order, 784)
    np.testing.assert_array_equal(full, digit if order == ROW_MAJOR else digit.T)


def test_the_code_is_the_books_r_beside_numpy():
    assert reshape.digit_code(5) == ("digit <- train_images[5,,]", "digit = x_train[4]")
    assert reshape.flatten_code(784, ROW_MAJOR) == ("v <- array_reshape(digit, c(784))", "v = digit.reshape(784)")
    assert reshape.flatten_code(784, COLUMN_MAJOR) == ("v <- digit; dim(v) <- c(784)",
                                                       'v = digit.reshape(784, order="F")')
    assert reshape.unflatten_code((28, 28), COLUMN_MAJOR) == ("x <- v; dim(x) <- c(28, 28)",
                                                              'x = v.reshape(28, 28, order="F")')
    assert "t(digit)" in reshape.round_trip_text(ROW_MAJOR, COLUMN_MAJOR, square=True)
    assert "exactly as it was" in reshape.round_trip_text(COLUMN_MAJOR, COLUMN_MAJOR, square=True)


def test_t_and_the_two_reshapes_of_the_books_matrix():
    x, transposed, row_major, column_major = reshape.matrix_steps()
    assert x.value.tolist() == [[0, 1], [2, 3], [4, 5]]  # matrix(c(0, 1, 2, 3, 4, 5), nrow = 3, ncol = 2, byrow = TRUE)
    assert transposed.r_code == "t(x)" and transposed.value.tolist() == [[0, 2, 4], [1, 3, 5]]
    assert row_major.r_code == "array_reshape(x, c(2, 3))" and row_major.value.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert column_major.r_code == "dim(x) <- c(2, 3)" and column_major.value.tolist() == [[0, 4, 3], [2, 1, 5]]
    for step in (transposed, row_major, column_major):
        assert step.value.shape == (2, 3)
    assert not np.array_equal(transposed.value, row_major.value)  # reshaping is not transposing


# ----- the panel, as a person uses it ---------------------------------------------------------------
from PySide6.QtCore import QSettings, Qt  # noqa: E402

from playground.core import data_loading  # noqa: E402
from playground.panels.reshape_lab import ReshapeLab  # noqa: E402
from playground.training.state import AppState, Dataset  # noqa: E402


@pytest.fixture
def lab(qtbot):
    state = AppState(data_loading.load_sample_dataset())
    panel = ReshapeLab(state)
    qtbot.addWidget(panel)
    panel.resize(540, 1000)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def test_the_lab_fills_the_books_digit_cell_by_cell_as_the_slider_moves(lab, qtbot):
    x_train = lab.state.dataset.x_train
    assert lab.objectName() == "reshapeLab"
    np.testing.assert_array_equal(lab.digit(), x_train[4])  # digit <- train_images[5,,]
    assert "x_train[4]" in lab.digit_caption.text()
    lab.slider.setValue(301)
    row_major, column_major = lab.grids[ROW_MAJOR], lab.grids[COLUMN_MAJOR]
    assert lab.count_label.text() == "301 of 784"
    assert lab.step_labels[ROW_MAJOR].text() == "v[301] → [11, 21]\nNumPy v[300] → [10, 20]"
    assert lab.step_labels[COLUMN_MAJOR].text() == "v[301] → [21, 11]\nNumPy v[300] → [20, 10]"
    assert row_major.current == (10, 20) and column_major.current == (20, 10)
    assert row_major.filled.sum() == column_major.filled.sum() == 301
    assert row_major.filled[:10].all() and not row_major.filled[11:].any()  # whole rows first
    assert column_major.filled[:, :10].all() and not column_major.filled[:, 11:].any()  # whole columns first
    qtbot.keyClick(lab.slider, Qt.Key.Key_End)
    assert lab.slider.value() == 784
    np.testing.assert_array_equal(row_major.values, x_train[4])  # array_reshape(v, c(28, 28)): the digit
    np.testing.assert_array_equal(column_major.values, x_train[4].T)  # dim(v) <- c(28, 28): scrambled
    qtbot.keyClick(lab.slider, Qt.Key.Key_Home)
    assert not row_major.filled.any() and row_major.current is None


def test_switching_the_order_swaps_which_way_back_scrambles(lab, qtbot):
    digit = lab.digit()
    np.testing.assert_array_equal(lab.digit_views["same"].values(), digit)
    np.testing.assert_array_equal(lab.digit_views["other"].values(), digit.T)
    assert "array_reshape(digit, c(784))" in lab.code_label.text()
    qtbot.mouseClick(lab.order_buttons[COLUMN_MAJOR], Qt.MouseButton.LeftButton)
    assert lab.order == COLUMN_MAJOR
    assert "dim(v) &lt;- c(784)" in lab.code_label.text() and 'order="F"' in lab.code_label.text().replace("&quot;", '"')
    lab.slider.setValue(784)
    np.testing.assert_array_equal(lab.grids[COLUMN_MAJOR].values, digit)  # read and filled down the columns
    np.testing.assert_array_equal(lab.grids[ROW_MAJOR].values, digit.T)
    assert "t(digit)" in lab.round_trip_label.text()


def test_picking_another_digit_and_loading_another_dataset(lab, qtbot):
    lab.digit_spin.selectAll()
    qtbot.keyClicks(lab.digit_spin, "1")
    np.testing.assert_array_equal(lab.digit(), lab.state.dataset.x_train[0])
    assert "x_train[0]" in lab.digit_caption.text()
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    images[2, 5, :] = 255  # one bright row
    lab.state.set_dataset(Dataset("tiny", "tiny.npz", images, np.arange(3, dtype=np.uint8), images, np.arange(3)))
    assert lab.digit_spin.maximum() == 3
    lab.digit_spin.setValue(3)
    lab.slider.setValue(784)
    assert lab.grids[ROW_MAJOR].values[5].all() and lab.grids[COLUMN_MAJOR].values[:, 5].all()  # a row became a column


def test_play_fills_every_cell_and_stops(lab, qtbot):
    lab.slider.setValue(700)
    lab.play_button.click()
    qtbot.waitUntil(lambda: not lab.play_button.isChecked(), timeout=10_000)
    assert lab.slider.value() == 784 and not lab.play_timer.isActive()


def test_the_labs_are_tabs_of_the_learn_workspace(qtbot, tmp_path):
    from playground.main_window import MainWindow

    window = MainWindow(settings=QSettings(str(tmp_path / "labs.ini"), QSettings.IniFormat))
    qtbot.addWidget(window)
    window.switch_workspace("Learn")
    for title, dock_name, panel_name in (("Reshape", "reshapeDock", "reshapeLab"), ("Shapes", "shapesDock", "shapesLab")):
        dock = window.docks[title]
        assert dock.objectName() == dock_name and not dock.isHidden()
        assert window.docks["Gradient"] in window.tabifiedDockWidgets(dock)  # beside the other labs
        assert window.findChild(type(window.panels[title]), panel_name) is window.panels[title]
    window.close()

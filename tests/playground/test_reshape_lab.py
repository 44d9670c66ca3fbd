"""The Reshape lab (issue 9, section 3; the book's section 2.3.4).

First the model without Qt: the two orders against NumPy's ``order="C"`` and ``order="F"``, the
fill order cell by cell, the scrambled digit and ``t()`` on the book's small matrix. Then the
panel, driven as a person would: pick a digit, move the slider, switch the order.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.datasets import mnist
from playground.labs import reshape
from playground.labs.reshape import COLUMN_MAJOR, ROW_MAJOR


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
    assert reshape.unflatten_code((28, 28), COLUMN_MAJOR) == ("back <- v; dim(back) <- c(28, 28)",
                                                              'back = v.reshape(28, 28, order="F")')
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

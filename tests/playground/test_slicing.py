"""Safe NumPy slicing of the MNIST tensors (playground/core/slicing.py): results, errors, R, batches."""
import numpy as np
import pytest

from playground.core.slicing import (
    SliceError, batch_count, batch_range, evaluate_slice, parse_slice, sample_ids, select, to_r,
)

rng = np.random.default_rng(0)
TENSORS = {
    "x_train": rng.integers(0, 256, size=(120, 28, 28), dtype=np.uint8),
    "y_train": rng.integers(0, 10, size=120, dtype=np.uint8),
    "x_test": rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8),
    "y_test": rng.integers(0, 10, size=30, dtype=np.uint8),
}
X = TENSORS["x_train"]
Y = TENSORS["y_train"]


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("x_train[4]", X[4]),
        ("x_train[9:99]", X[9:99]),
        ("x_train[:, 14:, 14:]", X[:, 14:, 14:]),
        ("x_train[10:100:2, ::2]", X[10:100:2, ::2]),
        ("x_train[-1]", X[-1]),
        ("x_train[-3:]", X[-3:]),
        ("x_train[::-1]", X[::-1]),
        ("x_train[..., 0]", X[..., 0]),
        ("x_train[4, ...]", X[4]),
        ("x_train[4, 14]", X[4, 14]),
        ("x_train[4, 14, 7]", X[4, 14, 7]),
        ("x_train[4][14]", X[4][14]),
        ("x_train[+2]", X[2]),
        ("x_train[--2]", X[2]),
        ("x_train[:1000]", X[:1000]),  # like NumPy, ranges may run past the end
        ("  x_train [ 9 : 99 ]  ", X[9:99]),
        ("x_train", X),
        ("y_train[:20]", TENSORS["y_train"][:20]),
        ("y_test[-1]", TENSORS["y_test"][-1]),
    ],
)
def test_good_slices_match_numpy(expr, expected):
    name, result = evaluate_slice(expr, TENSORS)
    assert name == expr.strip().split("[")[0].strip()
    assert result.shape == np.shape(expected)
    assert result.dtype == np.uint8
    np.testing.assert_array_equal(result, expected)


def test_slices_are_views_not_copies():
    _, result = evaluate_slice("x_train[9:99]", TENSORS)
    assert np.shares_memory(result, X)


def test_parse_gives_numpy_index_tuples():
    assert parse_slice("x_train[10:100:2, ::2]") == ("x_train", [(slice(10, 100, 2), slice(None, None, 2))])
    assert parse_slice("x_test[..., -1]") == ("x_test", [(Ellipsis, -1)])
    assert parse_slice("y_train") == ("y_train", [])


@pytest.mark.parametrize(
    "expr, message",
    [
        ("foo[4]", "Unknown tensor 'foo'"),
        ("train_images[4]", "use one of x_train, y_train, x_test, y_test"),
        ("x_train[4", "Syntax error"),
        ("x_train[4]]", "Syntax error"),
        ("x_train[120]", "Index 120 is out of range for axis 0 of x_train (size 120"),
        ("x_train[-121]", "Index -121 is out of range"),
        ("x_train[0, 28]", "Index 28 is out of range for axis 1"),
        ("x_train[0][28]", "out of range for axis 0 of the result so far"),
        ("x_train[1, 2, 3, 4]", "Too many indices: x_train is 3D (120, 28, 28) but 4 were given"),
        ("y_train[1, 2]", "Too many indices"),
        ("x_train[1.5]", "Indices must be whole numbers, got 1.5"),
        ("x_train[1:2.5]", "whole numbers"),
        ("x_train['a']", "whole numbers, got 'a'"),
        ("x_train[True]", "whole numbers, got True"),
        ("x_train[i]", "not names like 'i'"),
        ("x_train[::0]", "step cannot be zero"),
        ("x_train[..., ...]", "at most once"),
        ("x_train[[1, 2]]", "fancy indexing"),
        ("x_train[1 + 1]", "Only whole numbers"),
        ("__import__('os').system('echo hi')", "Start with a tensor name"),
        ("x_train.T", "Start with a tensor name"),
        ("x_train[4](0)", "Start with a tensor name"),
        ("", "Type an expression"),
        ("x_train[" + "1" * 300 + "]", "too long"),
    ],
)
def test_bad_slices_raise_a_clear_slice_error(expr, message):
    with pytest.raises(SliceError) as info:
        evaluate_slice(expr, TENSORS)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_nothing_is_executed():
    calls = []
    tensors = {**TENSORS, "f": calls}  # even a present name is only ever subscripted
    with pytest.raises(SliceError):
        evaluate_slice("f.append(1)", tensors)
    assert calls == []


def test_sample_ids_say_which_digit_each_element_came_from():
    ids = sample_ids("x_train[9:99]", TENSORS)
    assert ids.shape == (90, 28, 28)
    np.testing.assert_array_equal(ids[:, 0, 0], np.arange(9, 99))
    assert np.all(sample_ids("x_train[4, 14:]", TENSORS) == 4)
    np.testing.assert_array_equal(sample_ids("x_train[10:100:2, ::2]", TENSORS)[:3, 0, 0], [10, 12, 14])
    np.testing.assert_array_equal(sample_ids("y_test[-3:]", TENSORS), [27, 28, 29])


@pytest.mark.parametrize(
    "expr, r",
    [
        ("x_train[9:99]", "train_images[10:99,,]"),
        ("x_train[:, 14:, 14:]", "train_images[, 15:28, 15:28]"),
        ("x_train[4]", "train_images[5,,]"),
        ("x_train[-1]", "train_images[120,,]"),
        ("x_train[10:100:2, ::2]", "train_images[seq(11, 99, by = 2), seq(1, 27, by = 2),]"),
        ("y_train[:20]", "train_labels[1:20]"),
        ("y_test[5]", "test_labels[6]"),
        ("x_test", "test_images"),
        ("x_train[..., 0]", "train_images[, , 1]"),
        ("x_train[5:5]", None),  # empty: R has no short form
        ("x_train[4][2]", None),
        ("x_train[4", None),
    ],
)
def test_r_translation_is_one_based_and_inclusive(expr, r):
    assert to_r(expr, TENSORS) == r


def test_batches_cover_the_data_and_the_last_one_is_short():
    assert batch_count(6000, 128) == 47
    assert batch_range(6000, 128, 0) == (0, 128)
    assert batch_range(6000, 128, 3) == (384, 512)
    assert batch_range(6000, 128, 46) == (5888, 6000)  # 112 digits
    assert batch_count(60000, 128) == 469
    assert batch_count(256, 128) == 2 and batch_range(256, 128, 1) == (128, 256)
    with pytest.raises(ValueError, match="batch 47 does not exist"):
        batch_range(6000, 128, 47)
    with pytest.raises(ValueError, match="at least 1"):
        batch_count(6000, 0)


def test_batch_description_names_the_samples():
    from playground.core.slicing import describe_batch

    assert describe_batch("x_train", 60000, 128, 3) == "batch 3 = samples 384..511 of x_train (128 digits)"
    assert describe_batch("x_test", 6000, 128, 46) == (
        "batch 46 = samples 5,888..5,999 of x_test (112 digits: the last batch is short, 6,000 − 5,888 = 112)")
    assert describe_batch("x_train", 5, 2, 2) == "batch 2 = samples 4..4 of x_train (1 digit: the last batch is short, 5 − 4 = 1)"
    assert describe_batch("x_train", 6000, 6000, 0) == "batch 0 = samples 0..5,999 of x_train (6,000 digits)"  # not "6000"


# ----- the book's R, as typed in section 2.2.6 ---------------------------------------------------
@pytest.mark.parametrize(
    "r, expected, numpy",
    [
        ("train_images[10:99,,]", X[9:99], "x_train[9:99]"),  # the hint's own example
        ("train_images[, 15:28, 15:28]", X[:, 14:, 14:], "x_train[:, 14:, 14:]"),
        ("train_images[5,,]", X[4], "x_train[4]"),
        ("train_images[5:5,,]", X[4], "x_train[4]"),  # R drops a dimension of extent 1
        ("train_images[1:3, 1:2, 1]", X[:3, :2, 0], "x_train[:3, :2, 0]"),
        ("train_images[5:1,,]", X[4::-1], "x_train[4::-1]"),  # a descending range
        ("train_images[seq(11, 99, by = 2), seq(1, 27, by = 2),]", X[10:99:2, :27:2], "x_train[10:99:2, :27:2]"),
        ("train_images", X, "x_train"),
        ("train_images[]", X, "x_train"),
        ("train_labels[5]", Y[4], "y_train[4]"),
        ("train_labels[1:20]", Y[:20], "y_train[:20]"),
        ("test_labels[30]", TENSORS["y_test"][29], "y_test[29]"),
        ("  train_images [ 10 : 99 , , ]  ", X[9:99], "x_train[9:99]"),
        ("mnist$train$x[10:99,,]", X[9:99], "x_train[9:99]"),  # the book's other spelling
        # one index on a 3D tensor counts its elements in column-major order: pixel [1, 1] of digits 10..99
        ("train_images[10:99]", X[9:99, 0, 0], "x_train[9:99, 0, 0]"),
        ("train_images[121]", X.ravel(order="F")[120], 'x_train.ravel(order="F")[120]'),
    ],
)
def test_the_books_r_selects_what_r_would_and_shows_the_numpy_form(r, expected, numpy):
    selection = select(r, TENSORS)
    assert selection.language == "R" and selection.other_form == numpy
    assert selection.result.shape == np.shape(expected)
    np.testing.assert_array_equal(selection.result, expected)
    if "ravel" not in numpy:  # the NumPy form, typed in the box, selects the same
        np.testing.assert_array_equal(select(numpy, TENSORS).result, expected)


@pytest.mark.parametrize("numpy", ["x_train[9:99]", "x_train[:, 14:, 14:]", "x_train[4]", "x_train[-1]",
                                   "x_train[10:100:2, ::2]", "y_train[:20]", "y_test[5]", "x_train[..., 0]"])
def test_numpy_shows_the_r_form_and_the_r_form_selects_the_same(numpy):
    selection = select(numpy, TENSORS)
    assert selection.language == "NumPy" and selection.other_form == to_r(numpy, TENSORS)
    np.testing.assert_array_equal(select(selection.other_form, TENSORS).result, selection.result)


def test_r_selections_know_which_digit_each_element_came_from():
    np.testing.assert_array_equal(select("train_images[10:99,,]", TENSORS).ids[:, 0, 0], np.arange(9, 99))
    np.testing.assert_array_equal(select("train_images[10:99]", TENSORS).ids, np.arange(9, 99))
    assert np.all(select("train_images[5,,]", TENSORS).ids == 4)


@pytest.mark.parametrize(
    "r, message",
    [
        ("train_images[0,,]", "R counts from 1"),
        ("train_images[121,,]", "Index 121 is out of bounds for dimension 1 of train_images (R counts 1..120)"),
        ("train_images[1, 29,]", "out of bounds for dimension 2"),
        ("train_images[1:10,]", "train_images has 3 dimensions: give 3 positions separated by commas"),
        ("train_images[-1,,]", "a negative index leaves elements out"),
        ("train_images[c(1, 2),,]", "c(...) picks a list of positions"),
        ("train_images[10:99,,", "a ] is missing"),
        ("train_images[:, 1]", "':' needs a number on each side"),
        ("train_images[1.5,,]", "whole numbers, got 1.5"),
        ("train_images[seq(1, 10, by = 0),,]", "goes nowhere"),
        ("train_images[seq(10, 1, by = 2),,]", "goes nowhere"),
        ("train_images[10:99,,] + 1", "unexpected '+'"),
        ("train_images[system('ls'),,]", "unexpected \"'\" at column 21"),
        ("train_images[i,,]", "not names like 'i'"),
        ("train_images[1:94081]", "out of bounds for the 94,080 elements of train_images"),
        ("train_labels[1][1]", "single value"),
    ],
)
def test_bad_r_raises_a_clear_slice_error(r, message):
    with pytest.raises(SliceError) as info:
        select(r, TENSORS)
    assert message in str(info.value)


def test_r_on_a_tensor_that_is_not_loaded_and_unknown_names():
    with pytest.raises(SliceError, match="train_images is not loaded"):
        select("train_images[1,,]", {})
    with pytest.raises(SliceError, match=r"or the book's train_images, train_labels, test_images, test_labels \(R\)"):
        select("images[1]", TENSORS)


def test_numpy_names_with_rs_empty_positions_get_a_hint_not_just_a_column():
    with pytest.raises(SliceError, match=r"empty positions like \[10:99,,\] are R.*train_images\[10:99,,\]"):
        select("x_train[10:99,,]", TENSORS)


# ----- one parser for the slice box and the console ------------------------------------------------
def test_the_slice_box_reads_with_the_consoles_parser_and_r_indexing():
    from pathlib import Path

    from playground.core.console import Session

    source = Path("playground/core/slicing.py").read_text()
    assert "import ast" not in source and "parse_r(" in source and "parse_numpy(" in source
    assert "r_index.range_index(" in source  # R's 1-based inclusive ranges come from one place
    console = Session(TENSORS)
    for expr in ("train_images[10:99,,]", "train_images[, 15:28, 15:28]", "train_images[5,,]", "train_labels[5]",
                 "train_images[10:99]", "x_train[9:99]", "x_train[:, 14:, 14:]", "y_train[4]"):
        box, typed = select(expr, TENSORS), console.run(expr)
        np.testing.assert_array_equal(np.ravel(box.result), np.ravel(typed.value))
        assert box.other_form == typed.other_form, expr

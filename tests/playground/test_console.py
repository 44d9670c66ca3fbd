"""The tensor console without Qt (playground/core/console): the book's R and NumPy, side by side.

Section 2.2 and 2.3 of *Deep Learning with R*, typed as the book writes them, on a small
MNIST-shaped dataset: each result's shape, type and values, the same statement in the other
language, the errors a learner meets, and the limits that keep the console safe.
"""
import ast
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from playground.core.console import Session, detect_language
from playground.core.console.limits import MAX_BYTES

rng = np.random.default_rng(0)
TENSORS = {
    "x_train": rng.integers(0, 256, size=(120, 28, 28), dtype=np.uint8),
    "y_train": rng.integers(0, 10, size=120, dtype=np.uint8),
    "x_test": rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8),
    "y_test": rng.integers(0, 10, size=30, dtype=np.uint8),
}
X, Y = TENSORS["x_train"], TENSORS["y_train"]


@pytest.fixture
def console():
    return Session(TENSORS)


def run(console, *statements):
    """Run each statement; every one must succeed; return the last result."""
    for statement in statements:
        result = console.run(statement)
        assert not result.error, f"{statement}: {result.error}"
    return result


# ----- 2.2.5 and 2.2.6: the MNIST tensors, sliced as the book slices them ----------------------------
def test_the_books_slice_of_ninety_digits_has_dim_90_28_28(console):
    result = run(console, "my_slice <- train_images[10:99,,]")
    np.testing.assert_array_equal(result.value, X[9:99])
    assert result.str_line.startswith("my_slice: 3D tensor uint8 (90, 28, 28)")
    assert result.other_form == "my_slice = x_train[9:99]"
    assert result.view == "grid"
    np.testing.assert_array_equal(run(console, "dim(my_slice)").value, [90, 28, 28])
    np.testing.assert_array_equal(run(console, "dim(train_images[10:99, 1:28, 1:28])").value, [90, 28, 28])


def test_the_fifth_digit_is_a_28_by_28_matrix_because_r_drops_its_first_dimension(console):
    result = run(console, "digit <- train_images[5,,]")
    assert result.value.shape == (28, 28)
    np.testing.assert_array_equal(result.value, X[4])
    assert result.other_form == "digit = x_train[4]"


def test_plotting_a_digit_as_a_raster_shows_the_image(console):
    run(console, "digit <- train_images[5,,]")
    result = run(console, "plot(as.raster(digit, max = 255))")
    assert result.kind == "image" and result.view == "image"
    np.testing.assert_array_equal(result.images, X[4])
    assert result.image_max == 255
    assert result.other_form == "plt.imshow(digit, cmap=plt.cm.binary)"


def test_the_bottom_right_corner_of_every_digit(console):
    result = run(console, "train_images[, 15:28, 15:28]")
    np.testing.assert_array_equal(result.value, X[:, 14:, 14:])
    assert result.other_form == "x_train[:, 14:, 14:]"


def test_the_fifth_label_counts_from_one(console):
    result = run(console, "train_labels[5]")
    assert result.value.tolist() == [Y[4]]
    assert result.other_form == "y_train[4]"


def test_a_batch_of_128_digits_and_the_next_one():
    digits = rng.integers(0, 256, size=(300, 28, 28), dtype=np.uint8)
    console = Session({"x_train": digits})
    first = run(console, "batch <- train_images[1:128,,]")
    np.testing.assert_array_equal(first.value, digits[:128])
    assert first.other_form == "batch = x_train[:128]"
    second = run(console, "batch <- train_images[129:256,,]")
    np.testing.assert_array_equal(second.value, digits[128:256])
    assert second.other_form == "batch = x_train[128:256]"


def test_the_tensors_attributes_as_the_book_reads_them(console):
    assert run(console, "length(dim(train_images))").value.tolist() == [3]
    assert run(console, "dim(train_images)").value.tolist() == [120, 28, 28]
    result = run(console, "typeof(train_images)")
    assert result.value == "integer" and result.other_form == "x_train.dtype"
    assert run(console, "str(train_images)").text.strip().startswith("int [1:120, 1:28, 1:28]")
    assert run(console, "str(mnist$train$x)").text.strip().startswith("int [1:120, 1:28, 1:28]")


def test_negative_positions_leave_elements_out_as_in_r(console):
    result = run(console, "train_images[-1,,]")
    np.testing.assert_array_equal(result.value, X[1:])
    np.testing.assert_array_equal(run(console, "train_images[c(1, 3, 7), 1, ]").value, X[[0, 2, 6], 0, :])


def test_one_index_on_a_3d_tensor_counts_column_major(console):
    result = run(console, "train_images[10:99]")
    np.testing.assert_array_equal(result.value, X[9:99, 0, 0])
    assert result.other_form == "x_train[9:99, 0, 0]"
    assert any("column-major" in note for note in result.notes)


# ----- 2.2.1-2.2.4: building tensors ----------------------------------------------------------------
def test_a_vector_of_five_doubles(console):
    run(console, "x <- c(12, 3, 6, 14, 10)")
    assert run(console, "str(x)").text.strip() == "num [1:5] 12 3 6 14 10"
    assert run(console, "dim(as.array(x))").value.tolist() == [5]
    assert run(console, "typeof(x)").value == "double"


def test_integers_and_doubles_are_different_types_as_typeof_says(console):
    assert run(console, "typeof(1:10)").value == "integer"
    assert run(console, "typeof(c(1, 2))").value == "double"
    assert run(console, "typeof(5L)").value == "integer"
    assert run(console, "typeof(train_images / 255)").value == "double"
    assert run(console, "typeof(train_images + train_images)").value == "integer"


def test_a_3d_array_is_printed_as_r_prints_it_or_as_numpy_does(console):
    r = run(console, "array(1:12, dim = c(2, 3, 2))")
    assert r.text.splitlines()[:3] == [", , 1", "1 3 5", "2 4 6"]
    assert ", , 2" in r.text
    numpy = run(console, "np.arange(12).reshape((2, 3, 2))")
    assert numpy.text.splitlines()[:3] == ["[0, :, :]", "0 1", "2 3"]


def test_a_matrix_and_a_3d_array_of_zeros(console):
    result = run(console, "x <- matrix(rep(0, 3*5), nrow = 3, ncol = 5)")
    assert result.value.shape == (3, 5) and result.other_form == "x = np.zeros((3, 5))"
    result = run(console, "x <- array(rep(0, 2*3*2), dim = c(2,3,2))")
    assert result.value.shape == (2, 3, 2) and not result.value.any()
    assert run(console, "str(x)").text.strip() == "num [1:2, 1:3, 1:2] 0 0 0 0 0 0 ..."


def test_array_and_matrix_fill_column_by_column_unless_byrow(console):
    assert run(console, "array(1:6, dim = c(2, 3))").value.tolist() == [[1, 3, 5], [2, 4, 6]]
    assert run(console, "matrix(1:6, nrow = 2)").value.tolist() == [[1, 3, 5], [2, 4, 6]]
    assert run(console, "matrix(c(0, 1, 2, 3, 4, 5), nrow = 3, ncol = 2, byrow = TRUE)").value.tolist() == \
        [[0, 1], [2, 3], [4, 5]]


def test_rep_seq_and_ranges(console):
    assert run(console, "rep(c(1, 2), 3)").value.tolist() == [1, 2, 1, 2, 1, 2]
    assert run(console, "rep(c(1, 2), each = 2)").value.tolist() == [1, 1, 2, 2]
    result = run(console, "seq(1, 10, by = 2)")
    assert result.value.tolist() == [1, 3, 5, 7, 9]
    assert result.other_form == "np.arange(1, 10, 2)"
    assert run(console, "5:1").value.tolist() == [5, 4, 3, 2, 1]
    assert run(console, "seq(4)").value.tolist() == [1, 2, 3, 4]
    assert run(console, "seq(2, 8)").value.tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert run(console, "-1:2").value.tolist() == [-1, 0, 1, 2]  # unary minus binds tighter than :
    assert run(console, "-2^2").value.tolist() == [-4]  # and ^ tighter than unary minus


# ----- 2.3.4: reshaping, column-major and row-major ---------------------------------------------------
def test_dim_assignment_fills_column_major_as_r_does(console):
    run(console, "x <- 1:6")
    result = run(console, "dim(x) <- c(2, 3)")
    assert result.value.tolist() == [[1, 3, 5], [2, 4, 6]]
    assert result.other_form == 'x = x.reshape((2, 3), order="F")'
    assert run(console, "x").value.tolist() == [[1, 3, 5], [2, 4, 6]]
    assert any("column-major" in note for note in result.notes)
    assert run(console, "x[2, 3]").value.tolist() == [6]
    assert run(console, "x[4]").value.tolist() == [4]  # one index counts down the columns
    result = run(console, "dim(x) <- NULL")
    assert result.value.tolist() == [1, 2, 3, 4, 5, 6] and result.other_form == 'x = x.ravel(order="F")'
    assert run(console, "c(matrix(1:6, nrow = 2, byrow = TRUE))").value.tolist() == [1, 4, 2, 5, 3, 6]


def test_array_reshape_fills_row_major_as_the_books_keras_function_does(console):
    run(console, "x <- matrix(c(0, 1, 2, 3, 4, 5), nrow = 3, ncol = 2, byrow = TRUE)")
    assert run(console, "x <- array_reshape(x, dim = c(6, 1))").value.ravel().tolist() == [0, 1, 2, 3, 4, 5]
    result = run(console, "x <- array_reshape(x, dim = c(2, 3))")
    assert result.value.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert result.other_form == "x = x.reshape((2, 3))"


def test_the_first_examples_reshape_of_the_images_to_784_columns(console):
    result = run(console, "train_images <- array_reshape(train_images, c(120, 28 * 28))")
    assert result.value.shape == (120, 784)
    np.testing.assert_array_equal(result.value[4], X[4].ravel())
    assert result.other_form == "x_train = x_train.reshape((120, 784))"
    assert run(console, "x_train.shape").value == (120, 784)  # one variable, two names
    assert run(console, "train_images <- train_images / 255").value.max() <= 1


def test_transposing_a_300_by_20_matrix(console):
    run(console, "x <- matrix(0, nrow = 300, ncol = 20)")
    result = run(console, "x <- t(x)")
    assert result.value.shape == (20, 300) and result.other_form == "x = x.T"
    assert run(console, "dim(x)").value.tolist() == [20, 300]


# ----- 2.3.1-2.3.3: element-wise, broadcasting, dot -------------------------------------------------
def test_pmax_is_the_books_relu(console):
    result = run(console, "pmax(c(-1, 2, -3), 0)")
    assert result.value.tolist() == [0, 2, 0]
    assert result.other_form == "np.maximum(np.array([-1, 2, -3]), 0)"


def test_sweep_adds_a_vector_to_every_row_as_numpy_broadcasting_does(console):
    run(console, "m <- matrix(1:6, nrow = 2)")
    result = run(console, "sweep(m, 2, c(10, 20, 30), `+`)")
    assert result.value.tolist() == [[11, 23, 35], [12, 24, 36]]
    assert result.other_form == "m + np.array([10, 20, 30])"


def test_the_books_sweep_with_pmax_over_the_last_two_dimensions(console):
    run(console, "x <- array(round(runif(1000, 0, 9)), dim = c(64, 3, 32, 10))",
        "y <- array(5, dim = c(32, 10))")
    result = run(console, "z <- sweep(x, c(3, 4), y, pmax)")
    assert result.value.shape == (64, 3, 32, 10)
    x = console.env.get("x", "R")
    np.testing.assert_array_equal(result.value, np.maximum(x, 5))
    assert result.other_form == "z = np.maximum(x, y)"


def test_r_recycling_a_vector_along_a_matrix_is_explained_beside_broadcasting(console):
    run(console, "m <- matrix(1:6, nrow = 2)")
    result = run(console, "m + c(10, 20, 30)")
    assert result.value.tolist() == [[11, 33, 25], [22, 14, 36]]  # down the columns, as R does
    assert any("sweep(x, 2, y, `+`)" in note and "column-major" in note for note in result.notes)
    assert result.other_form is None  # NumPy has no short form for that
    result = run(console, "m + c(100, 200)")
    assert result.value.tolist() == [[101, 103, 105], [202, 204, 206]]
    assert result.other_form == "m + np.array([100, 200])[:, None]"


def test_arrays_of_different_dims_do_not_conform_in_r(console):
    run(console, "a <- matrix(0, nrow = 2, ncol = 3)", "b <- matrix(0, nrow = 3, ncol = 2)")
    error = console.run("a + b").error
    assert "non-conformable arrays: 2 x 3 + 3 x 2" in error and "sweep" in error


def test_matrix_product_of_conforming_shapes_is_numpys_dot(console):
    run(console, "x <- matrix(runif(128 * 784), nrow = 128)", "y <- matrix(runif(784 * 512), nrow = 784)")
    result = run(console, "z <- x %*% y")
    assert result.value.shape == (128, 512) and result.other_form == "z = np.dot(x, y)"
    np.testing.assert_allclose(result.value, console.env.get("x", "R") @ console.env.get("y", "R"))
    assert run(console, "typeof(1:3 %*% 1:3)").value == "double"
    assert run(console, "1:3 %*% 1:3").value.tolist() == [[14]]


def test_matrix_product_of_non_conforming_shapes_says_which_dimensions_must_agree(console):
    run(console, "x <- matrix(0, nrow = 128, ncol = 784)", "y <- matrix(0, nrow = 512, ncol = 10)")
    error = console.run("x %*% y").error
    assert "the columns of x must match the rows of y" in error
    assert "x is 128 x 784 and y is 512 x 10" in error
    assert "dim(x)[2] = 784 must equal dim(y)[1] = 512" in error


def test_numpy_dot_of_non_conforming_shapes_says_which_axes_must_agree(console):
    error = console.run("np.dot(np.zeros((128, 784)), np.zeros((512, 10)))").error
    assert "shapes (128, 784) and (512, 10) not aligned" in error and "784 and 512" in error


def test_broadcasting_error_names_the_axes_that_differ(console):
    error = console.run("np.zeros((128, 784)) + np.zeros((512,))").error
    assert "could not be broadcast" in error and "784 and 512 differ" in error


# ----- NumPy, on Keras's names ----------------------------------------------------------------------
@pytest.mark.parametrize("statement, expected, r", [
    ("x_train[9:99]", X[9:99], "train_images[10:99,,]"),
    ("x_train[:, 14:, 14:]", X[:, 14:, 14:], "train_images[, 15:28, 15:28]"),
    ("y_train[4]", Y[4], "train_labels[5]"),
    ("x_train[9:99].reshape((90, 784))", X[9:99].reshape(90, 784), "array_reshape(train_images[10:99,,], c(90, 784))"),
    ("x_train[0].T", X[0].T, "t(train_images[1,,])"),
    ("np.maximum(x_train[0] - 100.0, 0)", np.maximum(X[0] - 100.0, 0), "pmax(train_images[1,,] - 100, 0)"),
    ("np.dot(x_train[0], x_train[1])", np.dot(X[0], X[1]), "train_images[1,,] %*% train_images[2,,]"),
    ("x_train[0] @ x_train[1]", X[0] @ X[1], "train_images[1,,] %*% train_images[2,,]"),
    ("np.zeros((3, 5))", np.zeros((3, 5)), "array(0, dim = c(3, 5))"),
    ("np.arange(1, 11)", np.arange(1, 11), "1:10"),
    ("np.ones((4, 3)) + np.array([1, 2, 3])", np.ones((4, 3)) + [1, 2, 3],
     "sweep(array(1, dim = c(4, 3)), 2, c(1, 2, 3), `+`)"),
])
def test_numpy_expressions_give_numpys_results_and_the_books_r(console, statement, expected, r):
    result = run(console, statement)
    assert result.language == "NumPy"
    np.testing.assert_array_equal(result.value, expected)
    assert result.other_form == r


def test_numpy_attributes_and_reductions(console):
    assert run(console, "x_train.shape").value == (120, 28, 28)
    assert run(console, "x_train.ndim").value == 3
    assert str(run(console, "x_train.dtype").value) == "uint8"
    assert run(console, "x_train.max()").value == X.max()
    assert run(console, "x_train[9:99].shape").other_form == "dim(train_images[10:99,,])"
    assert run(console, "x_train[:2].astype(np.float32)").value.dtype == np.float32
    assert run(console, "(x_train[:2] / 255).astype('float32').dtype").value == np.float32
    assert run(console, "y_train[:5].reshape(5, 1)").value.shape == (5, 1)


# ----- the book's snippets and what they give --------------------------------------------------------
BOOK = [  # (statement, shape, dtype, first values)
    ("train_images[10:99,,]", (90, 28, 28), "uint8", X[9:99].ravel()[:5]),
    ("train_images[5,,]", (28, 28), "uint8", X[4].ravel()[:5]),
    ("train_images[, 15:28, 15:28]", (120, 14, 14), "uint8", X[:, 14:, 14:].ravel()[:5]),
    ("train_labels[5]", (1,), "uint8", [Y[4]]),
    ("dim(train_images)", (3,), "int32", [120, 28, 28]),
    ("c(12, 3, 6, 14, 10)", (5,), "float64", [12, 3, 6, 14, 10]),
    ("matrix(rep(0, 3*5), nrow = 3, ncol = 5)", (3, 5), "float64", [0] * 5),
    ("array(rep(0, 2*3*2), dim = c(2,3,2))", (2, 3, 2), "float64", [0] * 5),
    ("1:10", (10,), "int32", [1, 2, 3, 4, 5]),
    ("array_reshape(train_images, c(120, 28 * 28))", (120, 784), "uint8", X.reshape(120, 784).ravel()[:5]),
    ("train_images / 255", (120, 28, 28), "float64", X.ravel()[:5] / 255),
    ("t(matrix(0, nrow = 300, ncol = 20))", (20, 300), "float64", [0] * 5),
    ("pmax(c(-2, -1, 0, 1, 2), 0)", (5,), "float64", [0, 0, 0, 1, 2]),
    ("x_train[9:99]", (90, 28, 28), "uint8", X[9:99].ravel()[:5]),
    ("x_train.reshape((120, 784)).T", (784, 120), "uint8", X.reshape(120, 784).T.ravel()[:5]),
]


@pytest.mark.parametrize("statement, shape, dtype, first", BOOK, ids=[b[0] for b in BOOK])
def test_the_books_statements_give_these_shapes_types_and_values(console, statement, shape, dtype, first):
    result = run(console, statement)
    assert result.value.shape == shape and str(result.value.dtype) == dtype
    np.testing.assert_allclose(result.value.ravel()[:5], first)
    assert f"{shape}" in result.str_line and dtype in result.str_line


# ----- R and NumPy give the same tensors -------------------------------------------------------------
SAME = [
    ("train_images[10:99,,]", "x_train[9:99]"),
    ("train_images[, 15:28, 15:28]", "x_train[:, 14:, 14:]"),
    ("train_images[5,,]", "x_train[4]"),
    ("train_images[seq(11, 99, by = 2), seq(1, 27, by = 2),]", "x_train[10:99:2, :27:2]"),
    ("t(train_images[5,,])", "x_train[4].T"),
    ("array_reshape(train_images[1:10,,], c(10, 784))", "x_train[:10].reshape((10, 784))"),
    ("pmax(train_images[5,,] - 100, 0)", "np.maximum(x_train[4] - 100.0, 0)"),
    ("train_images[5,,] / 255", "x_train[4] / 255"),
    ("max(train_images)", "np.max(x_train)"),
    ("sum(train_labels)", "np.sum(y_train)"),
    ("array(1:6, dim = c(2, 3))", 'np.reshape(np.arange(1, 7), (2, 3), order="F")'),
]


@pytest.mark.parametrize("r, numpy", SAME)
def test_r_and_numpy_give_the_same_tensor_and_translate_into_each_other(r, numpy):
    from_r, from_numpy = Session(TENSORS).run(r), Session(TENSORS).run(numpy)
    assert not from_r.error and not from_numpy.error
    np.testing.assert_array_equal(np.squeeze(from_r.value), np.squeeze(from_numpy.value))
    translated = Session(TENSORS).run(from_r.other_form)
    assert translated.language == "NumPy" and not translated.error
    np.testing.assert_array_equal(np.squeeze(translated.value), np.squeeze(from_r.value))


# ----- what the console refuses, and why -----------------------------------------------------------
@pytest.mark.parametrize("statement, message", [
    ("train_images[0,,]", "R counts from 1"),
    ("train_images[121,,]", "Index 121 is out of bounds for dimension 1 of train_images (R counts 1..120)"),
    ("train_images[1:10,]", "train_images has 3 dimensions: give 3 positions"),
    ("train_images[10:99,,", "a ] is missing"),
    ("foo(1)", 'could not find function "foo"'),
    ("eval(parse(text = 'q()'))", 'could not find function "eval"'),
    ("system('ls')", 'could not find function "system"'),
    ("x_train.__class__", ".__class__ is not something this console does"),
    ("np.load('secrets.npy')", "np.load is not one of the NumPy functions"),
    ("__import__('os').system('ls')", "R syntax: unexpected '_' at column 1"),
    ("x_train + __import__('os').system('ls')", ".system is not something"),
    ("x_train.reshape(1, 2)", "cannot reshape a tensor of 94,080 elements"),
    ("dim(train_images) <- c(2, 3)", "dims [product 6] do not match the length of object [94,080]"),
    ("nothing_here", "object 'nothing_here' not found"),
    ("train_images[[1]]", "unexpected '['"),
    ("x <- ", "the statement ends too soon"),
    ("1 +", "needs something on its right"),
    ("a" * 2001, "too long"),
    ("-" * 1900 + "1", "nests too deeply"),
    ("(" * 900 + "1" + ")" * 900, "nests too deeply"),
])
def test_refused_statements_say_why(console, statement, message):
    result = console.run(statement)
    assert message in result.error


def test_injection_attempts_run_nothing(console, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append(args))
    for statement in ("__import__('os').system('echo hi')", "os.system('echo hi')", "x_train.__reduce__()",
                      "np.random.__dict__", "library(os); system('echo hi')", "`system`('echo hi')",
                      "(lambda: 0)()", "[c for c in ()]", "x_train[__import__('os').system('hi')]"):
        assert console.run(statement).error, statement
    assert calls == []


def test_nothing_reaches_eval():
    """The console and the slice box never call eval, exec, compile, __import__, getattr or open."""
    forbidden = {"eval", "exec", "compile", "__import__", "getattr", "setattr", "globals", "locals", "open", "vars"}
    files = sorted(Path("playground/core/console").glob("*.py")) + [Path("playground/core/slicing.py")]
    assert len(files) > 5
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        assert not called & forbidden, f"{path} calls {called & forbidden}"
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                    for alias in node.names}
        assert "ast" not in imported and "builtins" not in imported, path


def test_a_result_over_200_mb_is_refused_before_it_is_computed():
    # the full MNIST, without the memory: a zero-strided view
    full = {"x_train": np.broadcast_to(np.zeros((), np.uint8), (60000, 28, 28))}
    console = Session(full)
    tracemalloc.start()
    try:
        divided = console.run("train_images / 255")  # 60000 x 28 x 28 doubles = 376 MB
        repeated = console.run("rep(0, 1e10)")
        ones = console.run("np.ones((100000, 100000))")
        product = console.run("matrix(1, nrow = 60000, ncol = 1) %*% matrix(1, nrow = 1, ncol = 60000)")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "376.3 MB (60,000 x 28 x 28 doubles)" in divided.error and "200.0 MB" in divided.error
    for result in (repeated, ones, product):
        assert "the console stops at 200.0 MB and computed nothing" in result.error
    assert peak < MAX_BYTES / 10
    assert not console.run("train_images[1:1000,,] / 255").error  # the way out it suggests works


def test_the_variables_together_are_bounded_but_slices_of_the_dataset_are_free(monkeypatch):
    from playground.core.console import environment

    monkeypatch.setattr(environment, "MAX_TOTAL_BYTES", 10_000_000)
    console = Session(TENSORS)
    run(console, "a <- matrix(0, nrow = 1000, ncol = 1000)")  # 8 MB of doubles
    assert "Your variables would hold 16.0 MB" in console.run("b <- matrix(0, nrow = 1000, ncol = 1000)").error
    run(console, "a <- 1", "b <- matrix(0, nrow = 1000, ncol = 1000)")  # replacing a frees its 8 MB
    for k in range(5):
        run(console, f"slice{k} <- train_images[1:100,,]")  # views: no memory of their own


def test_uint8_arithmetic_in_numpy_wraps_and_the_note_says_so(console):
    result = run(console, "x_train[0] + x_train[0]")
    assert result.value.dtype == np.uint8
    assert any("wrap around" in note for note in result.notes)
    assert run(console, "train_images[1,,] + train_images[1,,]").value.max() > 255 or X[0].max() < 128


# ----- languages and variables --------------------------------------------------------------------
@pytest.mark.parametrize("text, language", [
    ("train_images[10:99,,]", "R"), ("x <- c(1, 2)", "R"), ("dim(x) <- c(2, 3)", "R"), ("x %*% y", "R"),
    ("x_train[9:99]", "NumPy"), ("np.dot(x, y)", "NumPy"), ("x.reshape((2, 3))", "NumPy"), ("x.T", "NumPy"),
    ("x[::2]", "NumPy"), ("sweep(x, 2, y, `+`)", "R"),
])
def test_the_language_is_read_from_the_statement(text, language):
    assert detect_language(text, previous="other") == language


def test_an_ambiguous_statement_is_read_in_the_language_used_last(console):
    run(console, "x <- c(10, 20, 30)")
    assert run(console, "x[2]").value.tolist() == [20]  # R: 1-based
    run(console, "x_train.shape")
    assert run(console, "x[2]").value == 30  # NumPy: 0-based


def test_loading_another_dataset_brings_the_tensors_back(console):
    run(console, "train_images <- 1:3")
    console.set_dataset(TENSORS)
    assert run(console, "dim(train_images)").value.tolist() == [120, 28, 28]


def test_every_result_has_a_str_line(console):
    for statement in ("train_images[10:99,,]", "x_train.shape", "typeof(train_labels)", "str(train_labels)",
                      "plot(as.raster(train_images[1,,], max = 255))", "x_train.dtype", "library(keras)"):
        result = run(console, statement)
        assert result.str_line or result.view == "none", statement


# ----- the Snippets menu's listings ---------------------------------------------------------------
def test_every_snippet_of_the_book_runs_on_the_sample_in_order():
    from playground.core.console.snippets import SNIPPETS

    console = Session({**TENSORS, "x_train": rng.integers(0, 256, size=(300, 28, 28), dtype=np.uint8)})
    expected_errors = {"x %*% y"}  # 2.3.3's listing that shows the error on purpose
    for snippet in SNIPPETS:
        for line in snippet.lines:
            result = console.run(line)
            assert bool(result.error) == (line in expected_errors), f"{snippet.label}: {line}: {result.error}"
            assert result.language == "R"


def test_snippets_are_found_by_section():
    from playground.core.console.snippets import for_section

    assert [s.section for s in for_section("2.2.6")] == ["2.2.6"] * 3
    assert {s.section for s in for_section("2.3")} == {"2.3.1", "2.3.2", "2.3.3", "2.3.4"}


def test_random_statements_get_a_result_or_a_clear_error_never_an_exception():
    """Fragments of both languages glued at random: the console answers each (no crash, no hang)."""
    import random

    pieces = ["train_images", "x_train", "y_train", "x", "np.", "dot", "reshape", "(", ")", "[", "]", ",", ":", "-",
              "+", "*", "/", "%*%", "<-", "=", "1", "2", "28", "0", "-1", "c(", "dim(", "t(", "sweep(", "pmax(",
              "array(", "matrix(", "rep(", "seq(", ".T", ".shape", " ", "'a'", "TRUE", "...", "**", "@", "$",
              "mnist", "str(", "1e9", "2.5", "`+`", "np.maximum(", "array_reshape(", "plot(", "as.raster("]
    draw = random.Random(7)
    console = Session(TENSORS)
    for _ in range(3000):
        text = "".join(draw.choice(pieces) for _ in range(draw.randint(1, 12)))
        result = console.run(text)
        assert result.error or result.view in ("grid", "image", "table", "text", "none"), text
        assert not result.error.startswith("The console could not do that"), (text, result.error)


def test_semicolons_split_statements_but_not_inside_quotes():
    from playground.core.console import split_statements

    assert split_statements("x <- 1; y <- 2;") == ["x <- 1", "y <- 2"]
    assert split_statements('x <- "a;b"; y') == ['x <- "a;b"', "y"]

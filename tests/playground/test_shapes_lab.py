"""The Shapes lab (issue 9, section 4; the book's sections 2.3.1-2.3.3).

First the model without Qt: shape fields, broadcast result shapes and errors for a table of
shape pairs (checked against NumPy itself), the dot's conformity rule (checked against
``np.dot``), R's recycling beside broadcasting, and the naive loops giving NumPy's results.
Then the panel, driven as a person would: type shapes, pick an operation, time the loops.
"""
from __future__ import annotations

import numpy as np
import pytest

from playground.core.labs import naive_loops, shapes
from playground.core.labs.shapes import DOT, NONE, Expression, ShapeError


# ----- shape fields ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, shape", [
    ("(128, 784)", (128, 784)), ("128, 784", (128, 784)), ("c(128, 784)", (128, 784)), ("128 x 784", (128, 784)),
    ("(512,)", (512,)), ("512", (512,)), ("()", ()), ("  (64, 3, 32, 10) ", (64, 3, 32, 10)), ("[28, 28]", (28, 28)),
])
def test_a_shape_is_typed_as_numpy_or_r_writes_it(text, shape):
    assert shapes.parse_shape(text) == shape


@pytest.mark.parametrize("text, message", [
    ("", "an empty field is not a shape"), ("(128, -1)", "is not a shape"), ("(a, b)", "is not a shape"),
    ("(128, 0)", "at least 1"), ("(1, 2, 3, 4, 5, 6, 7)", "up to 6"), ("(128.5, 2)", "is not a shape"),
    ("(99999999, 2)", "keep each axis smaller"),
])
def test_a_field_that_is_not_a_shape_says_how_to_write_one(text, message):
    with pytest.raises(ShapeError, match=message):
        shapes.parse_shape(text)


def test_shapes_are_written_as_numpy_and_r_write_them():
    assert [shapes.shape_text(s) for s in ((128, 784), (512,), ())] == ["(128, 784)", "(512,)", "()"]
    assert [shapes.r_dims(s) for s in ((128, 784), (512,), ())] == ["128 x 784", "a vector of 512", "a single number"]


# ----- broadcasting ---------------------------------------------------------------------------------
BROADCAST_TABLE = [  # (left, right, result or None)
    ((128, 512), (512,), (128, 512)),  # the bias of the first layer
    ((32, 10), (10,), (32, 10)),  # section 2.3.2
    ((64, 3, 32, 10), (32, 10), (64, 3, 32, 10)),  # the book's pmax over two axes
    ((28, 28), (28, 28), (28, 28)),
    ((), (3, 4), (3, 4)),
    ((3, 1), (1, 4), (3, 4)),
    ((8, 1, 6, 1), (7, 1, 5), (8, 7, 6, 5)),
    ((5, 4), (1,), (5, 4)),
    ((128, 512), (10,), None),
    ((128, 512), (128,), None),  # R would recycle it down the columns; NumPy refuses
    ((2, 3), (3, 2), None),
    ((4, 3, 2), (3, 1, 3), None),
]


@pytest.mark.parametrize("left, right, result", BROADCAST_TABLE, ids=str)
def test_broadcast_result_shapes_and_errors_agree_with_numpy(left, right, result):
    step = shapes.broadcast(left, right, "+")
    assert step.result == result
    try:
        expected = np.broadcast_shapes(left, right)
    except ValueError:
        expected = None
    assert step.result == expected
    if result is None:
        assert step.error.startswith(f"operands could not be broadcast together with shapes {shapes.shape_text(left)} "
                                     f"{shapes.shape_text(right)}")
        assert "equal, or one of them 1" in step.error
        assert any(axis.clash for axis in step.axes)
    else:
        assert step.error == "" and step.ok


def test_the_axes_are_lined_up_from_the_last_with_the_repeated_ones_marked():
    step = shapes.broadcast((128, 512), (512,))
    first, last = step.axes
    assert (first.position, first.left, first.right, first.result) == (-2, 128, None, 128)
    assert first.stretched("right") and not first.stretched("left")  # b is repeated down the 128 rows
    assert (last.left, last.right, last.result) == (512, 512, 512) and not last.stretched("right")
    bad = shapes.broadcast((128, 512), (10,))
    assert "axis -1 has 512 in x and 10 in y" in bad.error
    assert bad.axes[-1].clash and not bad.axes[0].clash


def test_the_same_shape_is_plain_element_wise_and_the_rule_says_which_applies():
    assert shapes.broadcast((28, 28), (28, 28)).rule == shapes.SAME_SHAPE_RULE
    assert shapes.broadcast((32, 10), (10,)).rule == shapes.BROADCAST_RULE


# ----- R's recycling beside broadcasting ------------------------------------------------------------
@pytest.mark.parametrize("left, right, words", [
    ((28, 28), (28, 28), "R works element by element too"),
    ((32, 10), (), "recycles it over every element"),
    ((128, 512), (512,), "sweep(x, 2, y, `+`)"),
    ((128, 512), (128,), "y[:, None]"),
    ((64, 3, 32, 10), (32, 10), "sweep(x, c(3, 4), y, `+`)"),
    ((2, 3), (3, 2), "non-conformable arrays (2 x 3 and 3 x 2)"),
    ((6,), (4,), "longer object length is not a multiple of shorter object length"),
    ((2, 3), (12,), "do not match the length of object [12]"),
    ((128, 512), (10,), "not a multiple of 10"),
])
def test_r_recycles_where_numpy_broadcasts(left, right, words):
    assert words in shapes.recycling_note(left, right, "+")


def test_the_code_writes_sweep_in_r_where_numpy_broadcasts_over_rows():
    assert shapes.elementwise_code((32, 10), (10,), "+") == ("sweep(x, 2, y, `+`)", "x + y")
    assert shapes.elementwise_code((64, 3, 32, 10), (32, 10), "max") == ("sweep(x, c(3, 4), y, pmax)",
                                                                         "np.maximum(x, y)")
    assert shapes.elementwise_code((28, 28), (28, 28), "*") == ("x * y", "x * y")


# ----- dot --------------------------------------------------------------------------------------------
DOT_TABLE = [
    ((128, 784), (784, 512)), ((784,), (784,)), ((128, 784), (784,)), ((784,), (784, 512)),
    ((4, 3, 28, 28), (28, 10)), ((2, 3, 4), (5, 4, 6)), ((), (3, 4)), ((3, 4), ()),
    ((128, 784), (512, 10)), ((784,), (10,)), ((128, 784), (10,)), ((10,), (784, 512)), ((2, 3, 4), (5, 3, 6)),
]


@pytest.mark.parametrize("left, right", DOT_TABLE, ids=str)
def test_dots_conformity_rule_and_result_shape_agree_with_np_dot(left, right):
    step = shapes.dot(left, right)
    try:
        expected = np.dot(np.zeros(left), np.zeros(right)).shape
    except ValueError:
        expected = None
    assert step.result == expected
    assert bool(step.error) == (expected is None)


def test_a_matrix_dot_that_does_not_conform_says_which_dimensions_must_agree():
    step = shapes.dot((128, 784), (512, 10))
    assert not step.ok
    assert "ncol(x) == nrow(y)" in step.error
    assert "dim(x)[2] = 784 must equal dim(y)[1] = 512" in step.error
    assert step.matched == (1, 0)
    assert step.r_note == "R stops too: Error in x %*% y : non-conformable arguments."
    assert "same number of elements" in shapes.dot((784,), (10,)).error
    assert "the last axis of x (4) must match the second-to-last axis of y (3)" in shapes.dot((2, 3, 4), (5, 3, 6)).error


def test_the_first_layer_is_the_default_expression():
    evaluation = shapes.evaluate(shapes.FIRST_LAYER)
    assert evaluation.summary == "(128, 784) . (784, 512) + (512,) -> (128, 512)"
    assert evaluation.result == (128, 512)
    first, second = evaluation.steps
    assert first.result == (128, 512) and first.names == ("x", "W") and first.rule == shapes.DOT_RULE
    assert second.result == (128, 512) and second.names == ("z", "b")
    assert evaluation.r_code == "z <- sweep(x %*% W, 2, b, `+`)"
    assert evaluation.numpy_code == "z = np.dot(x, W) + b"


def test_an_expression_stops_at_the_step_that_has_no_result():
    evaluation = shapes.evaluate(Expression(((128, 784), (512, 10), (10,)), (DOT, "+")))
    assert len(evaluation.steps) == 1 and evaluation.result is None
    assert evaluation.summary == "(128, 784) . (512, 10) -> error"
    assert "ncol(x) == nrow(W)" in evaluation.error
    one_step = shapes.evaluate(Expression(((32, 10), (10,), (5,)), ("+", NONE)))
    assert one_step.summary == "(32, 10) + (10,) -> (32, 10)" and one_step.r_code == "z <- sweep(x, 2, W, `+`)"


def test_every_example_evaluates():
    for name, expression in shapes.EXAMPLES.items():
        evaluation = shapes.evaluate(expression)
        assert evaluation.summary.startswith(shapes.shape_text(expression.shapes[0])), name
        assert ("not" in name) == (evaluation.result is None), name


# ----- the naive loops ------------------------------------------------------------------------------
def test_the_naive_loops_give_numpys_results():
    rng = np.random.default_rng(7)
    x, y = rng.uniform(-1, 1, (13, 17)), rng.uniform(-1, 1, (13, 17))
    np.testing.assert_array_equal(naive_loops.naive_relu(x), np.maximum(x, 0))
    np.testing.assert_array_equal(naive_loops.naive_add(x, y), x + y)
    v, w = rng.uniform(-1, 1, 50), rng.uniform(-1, 1, 50)
    assert naive_loops.naive_vector_dot(v, w) == pytest.approx(np.dot(v, w), rel=1e-12)
    a, b = rng.uniform(-1, 1, (6, 9)), rng.uniform(-1, 1, (9, 4))
    np.testing.assert_allclose(naive_loops.naive_matrix_dot(a, b), np.dot(a, b), rtol=1e-12)
    assert (x < 0).any() and (naive_loops.naive_relu(x) >= 0).all()  # relu did something
    assert (x < 0).any() and not (naive_loops.naive_relu(x) == x).all()


def test_the_naive_loops_leave_their_inputs_alone():
    x = np.array([[-1.0, 2.0], [3.0, -4.0]])
    naive_loops.naive_relu(x)
    naive_loops.naive_add(x, x)
    assert x.tolist() == [[-1.0, 2.0], [3.0, -4.0]]


def test_a_race_reports_each_contest_with_the_same_results_both_ways():
    timings = list(naive_loops.race(seed=3))
    assert [t.contest.name for t in timings] == ["naive_relu", "naive_add", "naive_vector_dot", "naive_matrix_dot"]
    for timing in timings:
        assert timing.same_result and timing.max_difference < 1e-9, timing.contest.name
        assert timing.naive_seconds > 0 and timing.vectorised_seconds > 0  # measured, whatever the machine's load
    assert list(naive_loops.race(stop=lambda: True)) == []


# ----- the panel, as a person uses it ---------------------------------------------------------------
from PySide6.QtCore import Qt  # noqa: E402

from playground.panels.shapes_lab import ShapesLab  # noqa: E402


@pytest.fixture
def lab(qtbot):
    panel = ShapesLab()
    qtbot.addWidget(panel)
    yield panel
    panel.shutdown()


def type_into(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


def test_the_lab_opens_on_the_first_layer(lab):
    assert lab.objectName() == "shapesLab"
    assert [edit.text() for edit in lab.shape_edits] == ["(128, 784)", "(784, 512)", "(512,)"]
    assert lab.summary_label.text() == "(128, 784) . (784, 512) + (512,) -> (128, 512)"
    first, second = (widgets[1].step for widgets in lab.step_widgets)
    assert first.result == (128, 512) and second.result == (128, 512)
    assert "sweep(x %*% W, 2, b, `+`)" in lab.code_label.text()
    assert "np.dot(x, W) + b" in lab.code_label.text()
    assert "sweep(z, 2, b, `+`)" in lab.step_widgets[1][4].text()  # R's recycling, beside broadcasting


def test_typing_shapes_that_do_not_conform_shows_the_dot_error(lab, qtbot):
    type_into(qtbot, lab.shape_edits[1], "512, 10")
    assert lab.summary_label.text() == "(128, 784) . (512, 10) -> error"
    title, diagram, rule, error, _ = lab.step_widgets[0]
    assert not error.isHidden() and "ncol(x) == nrow(W)" in error.text()
    assert "dim(x)[2] = 784 must equal dim(W)[1] = 512" in error.text()
    assert not diagram.step.ok and "no result" in title.text()
    assert all(widget.isHidden() for widget in lab.step_widgets[1])  # nothing to add the bias to
    type_into(qtbot, lab.shape_edits[1], "(784, 10)")
    type_into(qtbot, lab.shape_edits[2], "(10,)")
    assert lab.summary_label.text() == "(128, 784) . (784, 10) + (10,) -> (128, 10)"


def test_a_field_that_is_not_a_shape_says_so_and_keeps_the_rest(lab, qtbot):
    type_into(qtbot, lab.shape_edits[1], "(784, a)")
    assert not lab.field_error.isHidden()
    assert lab.field_error.text().startswith("W: (784, a) is not a shape")
    assert lab.shape_edits[1].styleSheet()  # the field is marked
    assert lab.shape_edits[0].text() == "(128, 784)"  # nothing else lost
    type_into(qtbot, lab.shape_edits[1], "(784, 512)")
    assert lab.field_error.isHidden() and not lab.shape_edits[1].styleSheet()
    assert lab.summary_label.text().endswith("-> (128, 512)")


def test_picking_operations_broadcasts_and_explains_the_error(lab, qtbot):
    lab.op_boxes[0].setCurrentIndex(lab.op_boxes[0].findData("+"))
    lab.op_boxes[1].setCurrentIndex(lab.op_boxes[1].findData(NONE))
    assert not lab.shape_edits[2].isEnabled()
    type_into(qtbot, lab.shape_edits[0], "(32, 10)")
    type_into(qtbot, lab.shape_edits[1], "(10,)")
    assert lab.summary_label.text() == "(32, 10) + (10,) -> (32, 10)"
    step = lab.step_widgets[0][1].step
    assert step.axes[0].stretched("right")  # drawn dashed: W is repeated down the 32 rows
    type_into(qtbot, lab.shape_edits[1], "(32,)")
    assert lab.summary_label.text() == "(32, 10) + (32,) -> error"
    assert "could not be broadcast together with shapes (32, 10) (32,)" in lab.step_widgets[0][3].text()
    assert "W[:, None]" in lab.step_widgets[0][4].text()  # what R's recycling would have done


def test_the_examples_fill_the_fields(lab):
    lab.examples.setCurrentText("The book's pmax over two axes: (64, 3, 32, 10) max (32, 10)")
    assert lab.summary_label.text() == "(64, 3, 32, 10) max (32, 10) -> (64, 3, 32, 10)"
    assert "sweep(x, c(3, 4), y, pmax)" in lab.code_label.text()
    assert [label.text() for label in lab.name_labels[:2]] == ["x", "y"]


def test_the_loops_are_timed_on_a_worker_and_agree_with_numpy(lab, qtbot):
    with qtbot.waitSignal(lab.timing_finished, timeout=60_000):
        lab.show()  # the first look starts the race
    assert set(lab.timings) == {"naive_relu", "naive_add", "naive_vector_dot", "naive_matrix_dot"}
    assert all(timing.same_result for timing in lab.timings.values())
    for cells in lab.timing_cells.values():
        assert cells[4].text() == "yes" and cells[3].text().endswith(" x")
    assert lab.time_button.isEnabled() and "times faster" in lab.race_status.text()
    with qtbot.waitSignal(lab.timing_finished, timeout=60_000):
        lab.time_button.click()
        assert not lab.time_button.isEnabled()  # one race at a time


@pytest.mark.parametrize("left, right, op", [
    ((128, 784), (784, 512), DOT), ((784,), (784,), DOT), ((), (3, 4), DOT), ((4, 3, 28, 28), (28, 10), DOT),
    ((128, 784), (512, 10), DOT), ((1, 2, 3, 4, 5, 6), (6,), "+"), ((), (), "*"), ((8, 1, 6, 1), (7, 1, 5), "max"),
    ((128, 512), (10,), "-"),
])
def test_every_kind_of_step_is_drawn(lab, qtbot, left, right, op):
    lab.op_boxes[0].setCurrentIndex(lab.op_boxes[0].findData(op))
    lab.op_boxes[1].setCurrentIndex(lab.op_boxes[1].findData(NONE))
    type_into(qtbot, lab.shape_edits[0], shapes.shape_text(left))
    type_into(qtbot, lab.shape_edits[1], shapes.shape_text(right))
    diagram = lab.step_widgets[0][1]
    assert (diagram.step.left, diagram.step.right, diagram.step.op) == (left, right, op)
    lab.resize(420, 900)
    assert not lab.grab().isNull()  # painted without an exception (pytest-qt reports those from paintEvent)

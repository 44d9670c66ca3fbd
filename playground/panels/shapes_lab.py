"""The Shapes lab: which shapes go together in element-wise operations, broadcasting and dot.

Issue 9, section 4 (the book's sections 2.3.1-2.3.3). The learner types three shapes and picks
two operations (by default the first layer, ``(128, 784) . (784, 512) + (512,) -> (128, 512)``);
each step is drawn as aligned boxes as in the book's figures: the dot as x beside z under y, the
axes that must agree marked; a broadcast as the axes lined up from the last, the repeated ones
dashed. Under each drawing, the rule that decided the result shape, or the error in the
chapter's words, and what R would do (it recycles and sweeps where NumPy broadcasts). The code
of the expression is written in the book's R beside NumPy.

Below, the naive loops of section 2.3.1 against the vectorised calls, timed on this machine on
a worker thread (``playground.core.labs.naive_loops``), with the speed-up.

A thin view over ``playground.core.labs.shapes`` (no Qt there).
"""
from __future__ import annotations

import html
import math
import threading

from PySide6.QtCore import QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget,
)

from playground.core.labs import naive_loops, shapes
from playground.core.labs.shapes import DOT, NONE, Expression, ShapeError, Step, shape_text
from playground.core.mailbox import Mailbox
from playground.panels.reshape_lab import code_table, monospace_font
from playground.training.mailbox_reader import MailboxReader
from playground.widgets import hint_label, wrapped_label
from playground.widgets.theme import error_colour
from playground.widgets.theming import follow_theme, refresh_error_styles, show_error_style

INTRO = ("Sections 2.3.1-2.3.3. Type the shapes of x, W and b and pick the operations: element-wise needs the "
         "same shape (or NumPy's broadcasting), a dot needs the inner dimensions to agree. The default is the "
         "first layer of the chapter's network, relu(x . W + b) on a batch of 128 digits.")
OPERATION_LABELS = {DOT: ".", "+": "+", "-": "-", "*": "*", "max": "max", NONE: "—"}
OPERATION_TIPS = {DOT: "dot: x %*% y, np.dot(x, y)", "+": "add, element-wise", "-": "subtract, element-wise",
                  "*": "multiply, element-wise", "max": "maximum, element-wise: pmax(x, y), np.maximum(x, y)",
                  NONE: "no second operation"}
LOOPS_INTRO = ("Section 2.3.1: the book writes element-wise operations and the dot product as loops over single "
               "entries, then uses the built-in, vectorised calls. Here are the same loops in plain Python against "
               "NumPy, timed now on this machine.")
HEADERS = ("loop, on", "loop", "NumPy", "speed-up", "same")


def seconds_text(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


# ----- the drawing ------------------------------------------------------------------------------------
def axis_length(size: int) -> float:
    """A box edge for an axis of ``size``: logarithmic, so 784 and 10 both fit."""
    return 1.0 + math.log2(max(size, 1))


class ShapeDiagram(QWidget):
    """One step drawn as boxes: a dot as the book's figure 2.5, a broadcast as lined-up axes."""

    def __init__(self, parent: QWidget | None = None, **qt_properties):
        super().__init__(parent, **qt_properties)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.step: Step | None = None

    def set_step(self, step: Step | None) -> None:
        self.step = step
        self.setFixedHeight(self._height())
        self.update()

    def _height(self) -> int:
        if self.step is None:
            return 0
        row = QFontMetricsF(self.font()).height() + 10
        return 190 if self.step.op == DOT else round(3 * row + 16)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(420, self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(240, self._height())

    # -- colours ---------------------------------------------------------------------------------------
    def _colours(self):
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        accent = palette.color(QPalette.ColorRole.Highlight)
        fill = QColor(accent)
        fill.setAlpha(45)
        return text, accent, fill, QColor(error_colour(palette)), palette.color(QPalette.ColorRole.Base)

    def paintEvent(self, event) -> None:  # noqa: N802
        if self.step is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.step.op == DOT:
            self._paint_dot(painter)
        else:
            self._paint_broadcast(painter)
        painter.end()

    # -- dot: x beside z, y above z (figure 2.5) ----------------------------------------------------------
    @staticmethod
    def _as_matrix(shape: tuple[int, ...], role: str) -> tuple[int | None, int | None]:
        """(rows, columns) drawn for a shape: its last two axes; a vector is a row (x) or a column (y)."""
        if not shape:
            return None, None
        if len(shape) == 1:
            return (None, shape[0]) if role == "left" else (shape[0], None)
        return shape[-2], shape[-1]  # for y too: np.dot meets its second-to-last axis

    def _paint_dot(self, painter: QPainter) -> None:
        step = self.step
        text, accent, fill, red, base = self._colours()
        x_rows, x_cols = self._as_matrix(step.left, "left")
        y_rows, y_cols = self._as_matrix(step.right, "right")
        thin = 0.7

        def length(size):
            return axis_length(size) if size is not None else thin

        units_w = length(x_cols) + 1.2 + length(y_cols)
        units_h = length(y_rows) + 1.2 + length(x_rows)
        metrics = QFontMetricsF(self.font())
        margin = metrics.height() + 4
        scale = min((self.width() - 2 * margin - 60) / units_w, (self.height() - 2 * margin) / units_h)
        left = (self.width() - units_w * scale) / 2
        top = margin
        gap = 1.2 * scale
        y_box = QRectF(left + length(x_cols) * scale + gap, top, length(y_cols) * scale, length(y_rows) * scale)
        x_box = QRectF(left, y_box.bottom() + gap, length(x_cols) * scale, length(x_rows) * scale)
        z_box = QRectF(y_box.left(), x_box.top(), y_box.width(), x_box.height())
        agree = step.ok
        x_name, y_name = step.names
        for box, name, shape in ((x_box, x_name, step.left), (y_box, y_name, step.right)):
            painter.setPen(QPen(text, 1.2))
            painter.setBrush(base)
            painter.drawRect(box)
            self._label(painter, box, f"{name} {shape_text(shape)}", text)
        if agree:
            painter.setPen(QPen(accent, 1.2, Qt.PenStyle.SolidLine))
            painter.setBrush(fill)
            painter.drawRect(z_box)
            self._label(painter, z_box, f"z {shape_text(step.result)}", text)
        else:
            painter.setPen(QPen(red, 1.2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(z_box)
            self._label(painter, z_box, "?", red)
        # the edges that must agree: the columns of x (its top) and the rows of y (its left)
        must = accent if agree else red
        painter.setPen(QPen(must, 3))
        painter.drawLine(x_box.topLeft(), x_box.topRight())
        painter.drawLine(y_box.topLeft(), y_box.bottomLeft())
        painter.setPen(must)
        if x_cols is not None:
            painter.drawText(QRectF(x_box.left(), x_box.top() - margin, x_box.width(), margin),
                             Qt.AlignmentFlag.AlignCenter, str(x_cols))
        if y_rows is not None:
            painter.drawText(QRectF(y_box.left() - 60, y_box.top(), 56, y_box.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(y_rows))
        painter.setPen(text)
        if y_cols is not None:
            painter.drawText(QRectF(y_box.left(), y_box.top() - margin, y_box.width(), margin),
                             Qt.AlignmentFlag.AlignCenter, str(y_cols))
        if x_rows is not None:
            painter.drawText(QRectF(x_box.left() - 60, x_box.top(), 56, x_box.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(x_rows))
        leading = [f"{name}'s first axes {shape_text(shape[:-2])}" for name, shape in
                   ((x_name, step.left), (y_name, step.right)) if len(shape) > 2]
        if leading:
            painter.drawText(QRectF(0, self.height() - margin, self.width(), margin),
                             Qt.AlignmentFlag.AlignCenter, "not drawn: " + ", ".join(leading))

    @staticmethod
    def _label(painter: QPainter, box: QRectF, label: str, colour: QColor) -> None:
        metrics = QFontMetricsF(painter.font())
        painter.setPen(colour)
        if metrics.horizontalAdvance(label) > box.width() - 4 or metrics.height() > box.height():
            label = label.split(" ")[0]  # just the name when the box is small
        if metrics.height() <= box.height() + 2:
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)

    # -- broadcast: the axes lined up from the last -------------------------------------------------------
    def _paint_broadcast(self, painter: QPainter) -> None:
        step = self.step
        text, accent, fill, red, base = self._colours()
        metrics = QFontMetricsF(self.font())
        row_height = metrics.height() + 8
        name_width = max(metrics.horizontalAdvance(n) for n in (*step.names, "result")) + 12
        count = max(len(step.axes), 1)
        cell = min(88.0, (self.width() - name_width - 8) / count)
        right = self.width() - 4
        rows = (("left", step.names[0]), ("right", step.names[1]), ("result", "result"))
        for index, (side, name) in enumerate(rows):
            y = 4 + index * (row_height + 4)
            painter.setPen(text)
            painter.drawText(QRectF(right - count * cell - name_width, y, name_width - 6, row_height),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            for position, axis in enumerate(step.axes):
                box = QRectF(right - (count - position) * cell + 2, y, cell - 4, row_height)
                size = axis.left if side == "left" else axis.right if side == "right" else axis.result
                if side == "result":
                    if axis.clash:
                        painter.setPen(QPen(red, 1.2, Qt.PenStyle.DashLine))
                        painter.setBrush(Qt.BrushStyle.NoBrush)
                        label, colour = "?", red
                    else:
                        painter.setPen(QPen(accent, 1.2))
                        painter.setBrush(fill)
                        label, colour = str(size), text
                elif axis.clash:
                    painter.setPen(QPen(red, 2))
                    painter.setBrush(base)
                    label, colour = str(size) if size is not None else "", red
                elif axis.stretched(side):
                    painter.setPen(QPen(accent, 1.2, Qt.PenStyle.DashLine))
                    painter.setBrush(fill)
                    label = f"{'(1)' if size is None else size} → {axis.result}"
                    colour = text
                else:
                    painter.setPen(QPen(text, 1.2))
                    painter.setBrush(base)
                    label, colour = str(size), text
                painter.drawRect(box)
                painter.setPen(colour)
                if metrics.horizontalAdvance(label) > box.width() - 2:
                    label = label.split(" → ")[-1]
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)


# ----- the worker that times the loops ---------------------------------------------------------------------
class LoopRace(QObject):
    """Runs ``naive_loops.race`` on a thread of its own; ``timed(timing)`` for each loop and then
    ``done()`` arrive on the UI thread. The thread posts them to a mailbox and holds no Qt object
    (``playground.core.mailbox``).

    ``running`` is true from ``start`` until ``done`` has been delivered on the UI thread (the
    thread itself may still be ending then, which is harmless).
    """

    timed = Signal(object)
    done = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.running = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._reader = MailboxReader(self._deliver, lambda: self.running, self)

    def start(self) -> bool:
        if self.running:
            return False
        self.running = True
        self._stop = threading.Event()  # a new one: an ending thread keeps its own
        self._thread = threading.Thread(target=_race, args=(self._reader.mailbox, self._stop), name="loop-race",
                                        daemon=True)
        self._thread.start()
        self._reader.wake()
        return True

    def _deliver(self, kind: str, timing=None) -> None:
        if kind == "timed":
            self.timed.emit(timing)
        else:
            self.running = False
            self.done.emit()

    def stop(self, wait: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait)


def _race(mailbox: Mailbox, stop: threading.Event) -> None:  # on the worker thread
    try:
        for timing in naive_loops.race(stop=stop.is_set):
            mailbox.post("timed", timing)
    finally:
        mailbox.post("done")


# ----- the panel -----------------------------------------------------------------------------------------
class ShapesLab(QWidget):
    """The panel (objectName ``shapesLab``)."""

    timing_finished = Signal()  # every loop has been timed

    def __init__(self, state=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("shapesLab")
        self.state = state
        layout = QVBoxLayout(self)
        layout.addWidget(hint_label(INTRO))

        self.examples = QComboBox(objectName="shapesExamples")
        self.examples.addItems(list(shapes.EXAMPLES))
        self.examples.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.examples.setMinimumContentsLength(20)
        examples_row = QHBoxLayout()
        examples_row.addWidget(QLabel("Examples"))
        examples_row.addWidget(self.examples, 1)
        layout.addLayout(examples_row)

        fields = QGridLayout()  # the names above their fields: x . W + b reads along one line
        fields.setHorizontalSpacing(4)
        fields.setVerticalSpacing(1)
        self.shape_edits: list[QLineEdit] = []
        self.name_labels: list[QLabel] = []
        self.op_boxes: list[QComboBox] = []
        for index, name in enumerate(("x", "W", "b")):
            label = QLabel(name)
            edit = QLineEdit(objectName=f"shape{name.upper()}")
            edit.setFont(monospace_font())
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("(128, 784") + 8)
            edit.setToolTip("A shape: sizes separated by commas, e.g. (128, 784); (512,) is a vector")
            self.name_labels.append(label)
            self.shape_edits.append(edit)
            fields.addWidget(label, 0, 2 * index)
            fields.addWidget(edit, 1, 2 * index)
            fields.setColumnStretch(2 * index, 1)
            if index < 2:
                box = QComboBox(objectName=("firstOp", "secondOp")[index])
                for op in shapes.OPERATIONS + ((NONE,) if index == 1 else ()):
                    box.addItem(OPERATION_LABELS[op], op)
                    box.setItemData(box.count() - 1, OPERATION_TIPS[op], Qt.ItemDataRole.ToolTipRole)
                box.setToolTip("The operation between the shapes on either side")
                self.op_boxes.append(box)
                fields.addWidget(box, 1, 2 * index + 1)
        layout.addLayout(fields)

        self.summary_label = QLabel(objectName="shapesSummary")
        summary_font = monospace_font()
        summary_font.setBold(True)
        self.summary_label.setFont(summary_font)
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)
        self.field_error = wrapped_label(objectName="shapesFieldError")
        layout.addWidget(self.field_error)

        self.step_widgets = []
        for index in range(2):
            title = wrapped_label(objectName=f"stepTitle{index + 1}")
            diagram = ShapeDiagram(objectName=f"stepDiagram{index + 1}")
            rule = hint_label(objectName=f"stepRule{index + 1}")
            error = wrapped_label(objectName=f"stepError{index + 1}")
            r_note = wrapped_label(objectName=f"stepR{index + 1}")
            for widget in (title, diagram, rule, error, r_note):
                layout.addWidget(widget)
            self.step_widgets.append((title, diagram, rule, error, r_note))

        self.code_label = wrapped_label(objectName="shapesCode", textFormat=Qt.TextFormat.RichText)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.code_label)

        layout.addWidget(QLabel("<b>Loops against vectorised calls</b>"))
        layout.addWidget(hint_label(LOOPS_INTRO))
        table = QGridLayout()
        table.setHorizontalSpacing(8)
        for column, header in enumerate(HEADERS):
            table.addWidget(QLabel(f"<b>{header}</b>"), 0, column)
        self.timing_cells: dict[str, list[QLabel]] = {}
        for row, contest in enumerate(naive_loops.CONTESTS, start=1):
            cells = [QLabel(f"<code>{contest.name}</code><br><small>{contest.size_text}</small>")]
            cells += [QLabel("…") for _ in HEADERS[1:]]
            cells[0].setToolTip(f"The book's R:\n{contest.r_loop}\n\nvectorised: {contest.r_vectorised}   "
                                f"(NumPy: {contest.numpy_vectorised})")
            for column, cell in enumerate(cells):
                table.addWidget(cell, row, column, alignment=Qt.AlignmentFlag.AlignRight if column >= 1 else
                                Qt.AlignmentFlag.AlignLeft)
            self.timing_cells[contest.name] = cells
        layout.addLayout(table)
        race_row = QHBoxLayout()
        self.time_button = QPushButton("Time again", objectName="timeLoops")
        self.race_status = hint_label(objectName="raceStatus")
        race_row.addWidget(self.time_button)
        race_row.addWidget(self.race_status, 1)
        layout.addLayout(race_row)
        layout.addStretch(1)

        self.race = LoopRace(self)
        self.timings: dict[str, naive_loops.Timing] = {}
        self.race.timed.connect(self._show_timing)
        self.race.done.connect(self._race_done)
        self.time_button.clicked.connect(self.start_timing)
        self.examples.currentIndexChanged.connect(self._use_example)
        for edit in self.shape_edits:
            edit.textChanged.connect(self._recompute)
        for box in self.op_boxes:
            box.currentIndexChanged.connect(self._recompute)
        self._use_example(0)
        follow_theme(self, self._restyle)

    # ----- the expression ---------------------------------------------------------------------------
    def set_expression(self, expression: Expression) -> None:
        """Fill the fields with ``expression`` (as a person picking an example would)."""
        widgets = (*self.shape_edits, *self.op_boxes)
        for widget in widgets:
            widget.blockSignals(True)
        for index, edit in enumerate(self.shape_edits):
            edit.setText(shape_text(expression.shapes[index]) if index < len(expression.shapes) else "")
        for index, box in enumerate(self.op_boxes):
            op = expression.ops[index] if index < len(expression.ops) else NONE
            box.setCurrentIndex(max(0, box.findData(op)))
        for label, name in zip(self.name_labels, expression.names + ("b",) * 3):
            label.setText(name)
        for widget in widgets:
            widget.blockSignals(False)
        self._recompute()

    def _use_example(self, index: int) -> None:
        self.set_expression(shapes.EXAMPLES[self.examples.itemText(index)])

    def expression(self) -> Expression:
        """The expression the fields hold; a ``ShapeError`` names the field that is not a shape."""
        ops = [box.currentData() for box in self.op_boxes]
        count = 3 if ops[1] != NONE else 2
        names = tuple(label.text() for label in self.name_labels[:count])
        parsed = []
        for name, edit in zip(names, self.shape_edits[:count]):
            try:
                parsed.append(shapes.parse_shape(edit.text()))
            except ShapeError as exc:
                raise ShapeError(f"{name}: {exc}") from None
        return Expression(tuple(parsed), tuple(ops[:count - 1]), names)

    def _recompute(self) -> None:
        second = self.op_boxes[1].currentData() != NONE
        self.shape_edits[2].setEnabled(second)
        bad = None
        for edit in self.shape_edits:
            try:
                if edit.isEnabled():
                    shapes.parse_shape(edit.text())
                show_error_style(edit, False)
            except ShapeError:
                show_error_style(edit, True, "QLineEdit { border: 1px solid {red}; }")
        try:
            evaluation = shapes.evaluate(self.expression())
        except ShapeError as exc:
            bad = str(exc)
        self.evaluation = None if bad else evaluation
        self.field_error.setText(bad or "")
        show_error_style(self.field_error, bool(bad))
        self.field_error.setVisible(bool(bad))
        if bad:
            self.summary_label.setText("")
            for widgets in self.step_widgets:
                for widget in widgets:
                    widget.hide()
            self.code_label.setText("")
            return
        self.summary_label.setText(evaluation.summary)
        show_error_style(self.summary_label, evaluation.result is None)
        for index, (title, diagram, rule, error, r_note) in enumerate(self.step_widgets):
            step = evaluation.steps[index] if index < len(evaluation.steps) else None
            for widget in (title, diagram, rule, error, r_note):
                widget.setVisible(step is not None)
            if step is None:
                continue
            x, y = step.names
            what = "dot" if step.op == DOT else shapes.OPERATION_NAMES[step.op] + (
                ", element-wise" if step.left == step.right else ", broadcasting")
            outcome = shape_text(step.result) if step.ok else "no result"
            named = f"   ({x} = {self.name_labels[0].text()} . {self.name_labels[1].text()})" if index == 1 and \
                evaluation.steps[0].op == DOT else ""
            title.setText(f"<b>{html.escape(x)} {html.escape(step.op)} {html.escape(y)}</b> ({what}): "
                          f"{shape_text(step.left)} {html.escape(step.op)} {shape_text(step.right)} → {outcome}"
                          f"{html.escape(named)}")
            diagram.set_step(step)
            rule.setText(step.rule)
            error.setText(step.error)
            error.setVisible(bool(step.error))
            show_error_style(error, bool(step.error))
            r_note.setText(step.r_note)
            r_note.setVisible(bool(step.r_note))
        self.code_label.setText(code_table([(evaluation.r_code, evaluation.numpy_code)]))

    def _restyle(self) -> None:
        refresh_error_styles(self)

    # ----- the loops --------------------------------------------------------------------------------
    def start_timing(self) -> bool:
        """Time the loops again on the worker thread (False while a race is still running)."""
        if not self.race.start():
            return False
        self.timings = {}
        for cells in self.timing_cells.values():
            for cell in cells[1:]:
                cell.setText("…")
        self.time_button.setEnabled(False)
        self.race_status.setText("Timing on this machine…")
        return True

    def _show_timing(self, timing: naive_loops.Timing) -> None:
        self.timings[timing.contest.name] = timing
        cells = self.timing_cells[timing.contest.name]
        cells[1].setText(seconds_text(timing.naive_seconds))
        cells[2].setText(seconds_text(timing.vectorised_seconds))
        cells[3].setText(f"{timing.speedup:,.0f} x")
        cells[4].setText("yes" if timing.same_result else f"no ({timing.max_difference:.2g})")

    def _race_done(self) -> None:
        self.time_button.setEnabled(True)
        if self.timings:
            best = max(self.timings.values(), key=lambda t: t.speedup)
            self.race_status.setText(f"The vectorised calls win; the biggest gap is {best.contest.name}, "
                                     f"{best.speedup:,.0f} times faster. Times vary with the machine's load.")
        self.timing_finished.emit()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        if not self.timings and not self.race.running:
            self.start_timing()  # the first time the learner looks, not at the window's start

    def shutdown(self) -> None:
        """Stop a race that is still running (the window calls this when it closes)."""
        self.race.stop()

"""``NumberSpinBox``: a number field that shows exactly the number used and never changes a typed one.

Qt's own spin boxes quietly change what a learner types: a value above the maximum loses its last
keystrokes (batch size 99999 becomes 999), a minus sign is dropped (seed -1 becomes 1), a comma
is thrown away (0,001 becomes 1), and a value below the shown decimals reads "0" while another one
is used. This field instead

- takes any number typed, in or out of its range; one outside it is kept, shown as invalid (a red
  tint) with the range in its tooltip, and the panel shows why and disables Train;
- reads a decimal comma as a decimal point (``0,001``); whole-number fields read ``6,000`` as six
  thousand and refuse ``0,5``;
- shows the value exactly as used (``1e-20``, ``0.30000000000000004``, ``6,000``:
  ``playground.text.number_text``);
- refuses letters as they are typed; an unfinished number (``1e-``) left behind is put back to
  the value in use, so the text and the value always agree;
- steps with the arrows inside its range, on a 1-2-5 log ladder for rates (``log_steps=True``).

``valueChanged(value)`` carries an ``int`` (``whole=True``) or a ``float``, in range or not (the
Optimizer panel writes it to the state, whose checks stop Train); ``validValueChanged(value)``
only a value inside the range (a view that navigates, such as the Data panel's batch index, uses
that one). Keyboard tracking is off unless turned on: a typed value is taken on Enter or when the
field loses focus, so a view never acts on the ``999`` typed on the way to ``9999``. ``follows_range=True`` moves the value into the range when the program sets it or the
range (an index into a list that got shorter), as Qt's spin boxes do; a typed value is still
never moved.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Signal
from PySide6.QtGui import QColor, QPalette, QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QStyle, QStyleOptionSpinBox, QWidget

from playground.text.number_text import could_become_number, number_text, parse_number
from playground.widgets.theme import error_colour

LOG_LADDER = [m * 10.0**e for e in range(-10, 7) for m in (1, 2, 5)]


class NumberSpinBox(QAbstractSpinBox):
    """A number field with an allowed range it marks but never enforces on typed values."""

    valueChanged = Signal(object)  # noqa: N815 (Qt name)
    validValueChanged = Signal(object)  # noqa: N815 (Qt name): only values inside the range

    def __init__(self, parent: QWidget | None = None, log_steps: bool = False, whole: bool = False,
                 follows_range: bool = False, **qt_properties):
        numbers = {k: qt_properties.pop(k) for k in ("minimum", "maximum", "value", "singleStep", "suffix")
                   if k in qt_properties}
        tracking = qt_properties.pop("keyboardTracking", False)  # off: never act on the 999 on the way to 9999
        super().__init__(parent, **qt_properties)
        self._whole = whole
        self._log_steps = log_steps
        self._follows_range = follows_range
        self._value = 0 if whole else 0.0
        self._minimum, self._maximum = (0, 99) if whole else (0.0, 99.0)
        self._step = 1 if whole else 1.0
        self._suffix = ""
        self._problem: str | None = None  # set by the panel; None: only the range is checked
        self._tip = ""
        self.setKeyboardTracking(tracking)
        self.editingFinished.connect(self._commit)
        self.lineEdit().textEdited.connect(self._on_text_edited)
        self.setRange(numbers.get("minimum", self._minimum), numbers.get("maximum", self._maximum))
        self.setSingleStep(numbers.get("singleStep", self._step))
        self.setSuffix(numbers.get("suffix", ""))
        self.setValue(numbers.get("value", self._value))

    # ----- value and range ------------------------------------------------------------------
    def value(self):
        return self._value

    def setValue(self, value) -> None:  # noqa: N802 (Qt name)
        """Show ``value`` as it is, even outside the range (then marked invalid); with
        ``follows_range`` the program's values are moved into the range, as in Qt's spin boxes."""
        if self._follows_range:
            value = min(max(value, self._minimum), self._maximum)
        self._take(value)

    def _take(self, value) -> None:
        """The value typed or set, as it is."""
        value = int(value) if self._whole else float(value)
        changed = value != self._value or type(value) is not type(self._value)
        self._value = value
        self._show_value()
        if changed:
            self._emit(value)

    def _emit(self, value) -> None:
        self.valueChanged.emit(value)
        if self.in_range():
            self.validValueChanged.emit(value)

    def minimum(self):
        return self._minimum

    def maximum(self):
        return self._maximum

    def setMinimum(self, low) -> None:  # noqa: N802 (Qt name)
        self.setRange(low, max(low, self._maximum))

    def setMaximum(self, high) -> None:  # noqa: N802 (Qt name)
        self.setRange(min(self._minimum, high), high)

    def setRange(self, low, high) -> None:  # noqa: N802 (Qt name)
        """The allowed range: the arrows stay in it; a value outside it is kept and marked."""
        cast = int if self._whole else float
        self._minimum, self._maximum = cast(low), cast(high)
        if self._follows_range and not self.in_range():
            self.setValue(min(max(self._value, self._minimum), self._maximum))
        self._show_value()

    def singleStep(self):  # noqa: N802 (Qt name)
        return self._step

    def setSingleStep(self, step) -> None:  # noqa: N802 (Qt name)
        self._step = int(step) if self._whole else float(step)

    def suffix(self) -> str:
        return self._suffix

    def setSuffix(self, suffix: str) -> None:  # noqa: N802 (Qt name)
        """Text shown after the number (``" px"``); typing it is optional."""
        self._suffix = suffix
        self._show_value()

    def in_range(self) -> bool:
        return self._minimum <= self._value <= self._maximum

    def range_text(self) -> str:
        return f"{number_text(self._minimum)} to {number_text(self._maximum)}"

    # ----- invalid marking --------------------------------------------------------------------
    def problem(self) -> str | None:
        """Why the value cannot be used: what the panel said, else the range it is outside."""
        if self._problem:
            return self._problem
        return None if self.in_range() else f"Out of range: {self.range_text()}"

    def set_problem(self, problem: str | None) -> None:
        """The panel's reason this value cannot be used (None: only the range is checked)."""
        self._problem = problem or None
        self._mark()

    def setToolTip(self, tip: str) -> None:  # noqa: N802 (Qt name)
        self._tip = tip
        self._mark()

    def _mark(self) -> None:
        problem = self.problem()
        parts = [self._tip, problem or f"Allowed: {self.range_text()}"]
        super().setToolTip("\n".join(p for p in parts if p))
        self.setProperty("invalid", problem is not None)
        self._tint(problem is not None)

    def _tint(self, invalid: bool) -> None:
        """The text area in the theme's base colour, half way to the theme's error red when invalid.

        Only the line edit gets a palette of its own: the spin box keeps following the theme, so
        its PaletteChange after a light <-> dark switch re-tints (``changeEvent``).
        """
        edit = self.lineEdit()
        if not invalid:
            edit.setPalette(QPalette())
            return
        palette = QPalette(self.palette())
        base, red = palette.color(QPalette.Base), QColor(error_colour(palette))
        palette.setColor(QPalette.Base, QColor((base.red() + red.red()) // 2, (base.green() + red.green()) // 2,
                                               (base.blue() + red.blue()) // 2))
        edit.setPalette(palette)

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark: the tint follows
            self._tint(self.property("invalid") is True)

    # ----- text ---------------------------------------------------------------------------------
    def textFromValue(self, value) -> str:  # noqa: N802 (Qt name)
        if self.specialValueText() and value == self._minimum:
            return self.specialValueText()
        return number_text(value) + self._suffix

    def valueFromText(self, text: str):  # noqa: N802 (Qt name)
        """The number ``text`` spells, or None."""
        suffix = self._suffix.strip()
        if suffix and text.rstrip().endswith(suffix):
            text = text.rstrip()[: -len(suffix)]
        special = self.specialValueText()
        if special and text.strip().lower() == special.lower():
            return self._minimum
        return parse_number(text, whole=self._whole)

    def validate(self, text: str, pos: int):
        if self.valueFromText(text) is not None:
            return QValidator.Acceptable, text, pos
        special, suffix = self.specialValueText().lower(), self._suffix.strip()
        number = text.rstrip()
        for end in range(len(suffix), 0, -1):  # "12 p" while the suffix is being typed or deleted
            if number.endswith(suffix[:end]):
                number = number[:-end]
                break
        partial = could_become_number(number, self._whole) or (special and special.startswith(text.strip().lower()))
        return (QValidator.Intermediate if partial else QValidator.Invalid), text, pos

    def fixup(self, text: str) -> str:
        return self.textFromValue(self._value)

    def _show_value(self) -> None:
        text = self.textFromValue(self._value)
        if self.lineEdit().text() != text:
            self.lineEdit().setText(text)
            self.updateGeometry()  # a longer value may want more room
        self._mark()
        self.update()

    def _commit(self) -> None:
        """Enter or focus out: take the typed number as it is, or put back the value in use."""
        value = self.valueFromText(self.lineEdit().text())
        if value is None:
            self._show_value()
        else:
            self._take(value)
            self._show_value()  # in this field's own spelling: 0,5 -> 0.5, 6000 -> 6,000

    def _on_text_edited(self, text: str) -> None:
        if self.keyboardTracking():
            value = self.valueFromText(text)
            if value is not None and value != self._value:
                self._value = value
                self._mark()
                self._emit(value)

    # ----- size -------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        """Wide enough for the range's ends and the value shown, as Qt's spin boxes are."""
        self.ensurePolished()
        texts = [self.textFromValue(v) for v in (self._minimum, self._maximum, self._value)]
        width = max(self.fontMetrics().horizontalAdvance(t[:24] + " ") for t in texts + [self.specialValueText()])
        option = QStyleOptionSpinBox()
        self.initStyleOption(option)
        content = QSize(width + 2, self.lineEdit().sizeHint().height())  # + 2: the blinking cursor
        return self.style().sizeFromContents(QStyle.ContentsType.CT_SpinBox, option, content, self)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return self.sizeHint()

    # ----- arrows -------------------------------------------------------------------------------
    def stepEnabled(self):  # noqa: N802 (Qt name)
        if self.isReadOnly():
            return QAbstractSpinBox.StepNone
        flags = QAbstractSpinBox.StepNone
        if self._value < self._maximum:
            flags |= QAbstractSpinBox.StepUpEnabled
        if self._value > self._minimum:
            flags |= QAbstractSpinBox.StepDownEnabled
        return flags

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt name)
        typed = self.valueFromText(self.lineEdit().text())  # a number typed but not yet entered
        value = self._value if typed is None else typed
        if self._log_steps:
            for _ in range(abs(steps)):
                if steps > 0:
                    value = next((v for v in LOG_LADDER if v > value * (1 + 1e-9)), self._maximum)
                else:
                    value = next((v for v in reversed(LOG_LADDER) if v < value * (1 - 1e-9)), self._minimum)
        else:
            value = value + steps * self._step
            value = value if self._whole else round(value, 10)  # 0.1 + 0.05 is 0.15, not 0.15000000000000002
        self.setValue(min(max(value, self._minimum), self._maximum))  # the arrows stay in the range
        self.selectAll()

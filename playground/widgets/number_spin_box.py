"""``NumberSpinBox``: a spin box for hyperparameters such as 0.001, 0.9 or 1e-07."""
from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget


class NumberSpinBox(QDoubleSpinBox):
    """A spin box for hyperparameters: shows 0.001, 0.9 or 1e-07 compactly, accepts typed
    scientific notation, and (``log_steps=True``, for rates) steps along 1, 2, 5, 10, 20, 50...
    so the arrows move on a log scale, the way learning rates are tuned."""

    def __init__(self, parent: QWidget | None = None, log_steps: bool = False):
        super().__init__(parent)
        self.setDecimals(12)
        self._log_steps = log_steps

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        stripped = text.strip()
        try:
            value = float(stripped)
        except ValueError:
            partial = stripped in ("", "+", "-", ".") or stripped[-1:] in ("e", "E", "-", "+", ".")
            return (QValidator.Intermediate if partial else QValidator.Invalid), text, pos
        ok = self.minimum() <= value <= self.maximum()
        return (QValidator.Acceptable if ok else QValidator.Intermediate), text, pos

    def stepBy(self, steps: int) -> None:
        if not self._log_steps:
            super().stepBy(steps)
            return
        ladder = [m * 10.0**e for e in range(-10, 3) for m in (1, 2, 5)]
        value = self.value()
        for _ in range(abs(steps)):
            if steps > 0:
                value = next((v for v in ladder if v > value * (1 + 1e-9)), self.maximum())
            else:
                value = next((v for v in reversed(ladder) if v < value * (1 - 1e-9)), self.minimum())
        self.setValue(value)

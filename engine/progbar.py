"""Keras-style progress lines: ``469/469 [==============================] - 1s 2ms/step - loss: ...``."""
from __future__ import annotations

import sys
import time


def format_logs(logs: dict) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if isinstance(v, float))


class Progbar:
    """Prints one epoch's progress; redraws in place at most every 0.1 s on a terminal."""

    def __init__(self, steps: int, stream=None, width: int = 30):
        self.steps, self.width = steps, width
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._interactive = hasattr(self.stream, "isatty") and self.stream.isatty()

    def _line(self, step: int, logs: dict) -> str:
        filled = int(self.width * step / max(self.steps, 1))
        bar = "=" * max(filled - 1, 0) + (">" if step < self.steps else "=") * (filled > 0)
        bar = bar.ljust(self.width, ".")
        elapsed = time.perf_counter() - self.start
        digits = len(str(self.steps))
        timing = f"{elapsed:.0f}s {elapsed / max(step, 1) * 1000:.0f}ms/step"
        text = format_logs(logs)
        return f"{step:>{digits}}/{self.steps} [{bar}] - {timing}" + (f" - {text}" if text else "")

    def update(self, step: int, logs: dict) -> None:
        now = time.perf_counter()
        if self._interactive and now - self._last_draw > 0.1:
            self._last_draw = now
            self.stream.write("\r" + self._line(step, logs))
            self.stream.flush()

    def finish(self, logs: dict) -> None:
        self.stream.write(("\r" if self._interactive else "") + self._line(self.steps, logs) + "\n")
        self.stream.flush()

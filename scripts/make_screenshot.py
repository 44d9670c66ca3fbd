"""Render the README screenshot: the real window, offscreen, after a short training run.

    python scripts/make_screenshot.py                       # assets/screenshot.png
    python scripts/make_screenshot.py --dark --out assets/screenshot-dark.png
    python scripts/make_screenshot.py --left Network --right Draw --size 1366x768
    python scripts/make_screenshot.py --right Draw --panel Draw --out assets/screenshots/why.png   # the Why panel

Builds ``MainWindow`` with throw-away settings (the user's are never touched), trains the
chapter's network on the bundled sample, lets the test-set evaluation arrive, shows one tab
of each column (the Data panel's tensors and digits beside the Training curves by default;
with ``--right Draw`` it draws a 7 on the canvas) and saves ``window.grab()``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QPoint, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

SEVEN = [(75, 70), (140, 66), (205, 70), (185, 115), (160, 165), (140, 215)]  # canvas pixels


def wait(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds (timers, queued signals, repaints)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def draw(canvas: QWidget, points) -> None:
    pts = [QPoint(x, y) for x, y in points]
    QTest.mousePress(canvas, Qt.LeftButton, Qt.NoModifier, pts[0])
    try:
        for p in pts[1:]:
            QTest.mouseMove(canvas, p)
    finally:
        QTest.mouseRelease(canvas, Qt.LeftButton, Qt.NoModifier, pts[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "assets" / "screenshot.png"))
    parser.add_argument("--dark", action="store_true", help="use the dark theme")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--size", default="1400x900", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--left", default="Data", choices=("Data", "Network", "Optimizer", "Guide", "Console", "Evaluate"),
                        help="left tab shown")
    parser.add_argument("--right", default="Training", choices=("Training", "Evaluate", "Draw", "Inside", "Shapes", "Reshape",
                                                                "Geometry", "Gradient", "Backprop"),
                        help="right tab shown (its workspace: Train, Learn for the labs, Inspect for Inside)")
    parser.add_argument("--console", default="", help="an R or NumPy statement run in the console first")
    parser.add_argument("--panel", default=None, help="save only this panel (e.g. Draw: the drawing and the Why "
                        "panel under it), not the whole window")
    parser.add_argument("--inside-tab", default="weights", choices=("weights", "activations", "embedding", "histograms"),
                        help="with --right Inside: the Inside panel's tab shown")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    app = QApplication.instance() or QApplication([])
    app.setStyle("Fusion")
    from playground.main_window import MainWindow

    with tempfile.TemporaryDirectory() as folder:
        window = MainWindow(settings=QSettings(str(Path(folder) / "shot.ini"), QSettings.IniFormat))
        window.set_dark_theme(args.dark)
        window.resize(width, height)
        window.show()
        window.state.set_settings(epochs=args.epochs, validation_split=0.1)
        finished = QEventLoop()
        window.training_finished.connect(lambda reason: finished.quit())
        if not window.controller.start():
            print("could not start training:", window.state.training_errors(), file=sys.stderr)
            return 1
        finished.exec()
        window.show_panel(args.left)
        window.show_panel(args.right)  # last: its workspace is the one shown (Inspect for Inside)
        if args.console:
            window.panels["Console"].run_statement(args.console)
            wait(1500)  # the console computes on a thread of its own
        wait(300)  # the evaluation arrives, the tabs lay out
        canvas = window.findChild(QWidget, "drawCanvas")
        if args.right == "Draw" and canvas is not None:
            draw(canvas, SEVEN)
            wait(400)  # the Draw panel predicts ~30 ms after the last stroke
            why = window.findChild(QWidget, "whyPanel")
            for _ in range(100):  # the nearest training digits are found on a thread of their own
                if why is None or (why.neighbours.count() and not why.explaining()):  # the saliency too
                    break
                wait(100)
        inside = window.findChild(QWidget, "insidePanel")
        if args.right == "Inside" and inside is not None:
            inside.show_tab(args.inside_tab)
            for _ in range(600):  # computed on a thread of its own
                if inside.is_current(args.inside_tab):
                    break
                wait(100)
            wait(200)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shown = window.panels[args.panel] if args.panel else window
        if not shown.grab().save(str(out)):
            print(f"could not write {out}", file=sys.stderr)
            return 1
        window.close()
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

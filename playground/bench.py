"""How much does the app cost training?  ``python -m playground.bench [--epochs 2]``

Trains the chapter's network (512 relu, rmsprop, batch 128) twice on the same data with the
same seed:

1. *headless*: plain ``model.fit`` (plus the same data preparation), no Qt at all;
2. *in the app*: the real ``MainWindow`` (offscreen), Train pressed through the
   ``TrainingController``, with live plots, progress and the log - while a 10 ms ``QTimer``
   on the UI thread measures the longest time the window could not react.

Prints one JSON line. Targets: ``ratio`` (in-app / headless) <= 1.10 and ``max_ui_gap_ms``
<= 50. A shared 2-core machine is noisy (+-15 % from run to run), so after a warm-up
epoch each side runs ``--repeats`` times, alternating: ``ratio`` compares the medians and
``ratio_best`` the fastest runs; ``max_ui_gap_ms`` is the worst over all in-app runs. Data: the file named by ``PLAYGROUND_MNIST`` (e.g. the full mnist.npz), else the bundled
sample (with a warning: the sample is too small to measure much).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def load_dataset():
    from playground.data_loading import load_dataset_file, load_sample_dataset

    path = os.environ.get("PLAYGROUND_MNIST")
    if path:
        return load_dataset_file(path)
    print("bench: PLAYGROUND_MNIST is not set; using the 6,000-digit bundled sample", file=sys.stderr)
    return load_sample_dataset()


def train_headless(dataset, settings) -> float:
    """Seconds for data preparation + ``model.fit``, the way a script would do it, with the app's
    engine settings (the strategy ``fit`` chooses, see ``engine.strategies``)."""
    import engine
    from playground.state import AppState
    from playground.training_data import prepare_data, shaped_for

    state = AppState(dataset)
    state.set_settings(settings)
    engine.utils.set_random_seed(settings.seed)
    model = state.build_model()
    started = time.perf_counter()
    data = prepare_data(dataset, settings)
    model.fit(shaped_for(model, data.x_train), data.y_train, batch_size=settings.batch_size,
              epochs=settings.epochs, verbose=0, shuffle=True)
    return time.perf_counter() - started


def train_in_app(dataset, settings, settings_file: str) -> dict:
    """Seconds from pressing Train to the end of ``fit`` in the window, and the UI's longest gap."""
    from PySide6.QtCore import QEvent, QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from playground.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(dataset=dataset, settings=QSettings(settings_file, QSettings.IniFormat))
    window.resize(1400, 900)
    window.show()
    window.state.set_settings(settings)
    settle = QEventLoop()  # let the window finish its first layout and paint before measuring
    QTimer.singleShot(500, settle.quit)
    settle.exec()

    gaps = {"fit": 0.0, "all": 0.0, "ticks": 0}
    last = [time.perf_counter()]
    fitting = [True]

    def tick():
        now = time.perf_counter()
        gap = now - last[0]
        last[0] = now
        gaps["ticks"] += 1
        gaps["all"] = max(gaps["all"], gap)
        if fitting[0]:
            gaps["fit"] = max(gaps["fit"], gap)

    times = {}
    loop = QEventLoop()

    def fit_ended(reason, _message):
        times["fit_end"], times["reason"] = time.perf_counter(), reason
        fitting[0] = False

    window.controller.fit_ended.connect(fit_ended)
    window.training_finished.connect(lambda reason: loop.quit())
    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(tick)
    probe.start()
    last[0] = times["start"] = time.perf_counter()
    if not window.controller.start():
        raise RuntimeError(f"Train refused: {window.state.training_errors()}")
    loop.exec()
    probe.stop()
    evaluation = window.state.evaluation
    window.close()
    window.deleteLater()  # the next run starts from a clean slate (no idle window left behind)
    app.sendPostedEvents(None, QEvent.DeferredDelete)
    return {
        "in_app_s": times["fit_end"] - times["start"],
        "reason": times["reason"],
        "max_ui_gap_ms": 1000 * gaps["fit"],
        "max_ui_gap_incl_evaluation_ms": 1000 * gaps["all"],
        "probe_count": gaps["ticks"],
        "test_accuracy": None if evaluation is None else round(evaluation.accuracy, 4),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each kind (medians are compared)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from playground.state import TrainSettings

    dataset = load_dataset()
    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size)
    train_headless(dataset, TrainSettings(epochs=1, batch_size=args.batch_size))  # warm-up, not counted
    headless, in_app = [], []
    with tempfile.TemporaryDirectory() as folder:
        for i in range(max(1, args.repeats)):
            headless.append(train_headless(dataset, settings))
            in_app.append(train_in_app(dataset, settings, str(Path(folder) / f"bench{i}.ini")))
    headless_s = statistics.median(headless)
    in_app_s = statistics.median(run["in_app_s"] for run in in_app)
    result = {
        "dataset": f"{dataset.name} ({len(dataset.x_train)} train)",
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "headless_s": round(headless_s, 3),
        "in_app_s": round(in_app_s, 3),
        "ratio": round(in_app_s / headless_s, 3),
        "ratio_best": round(min(run["in_app_s"] for run in in_app) / min(headless), 3),
        "max_ui_gap_ms": round(max(run["max_ui_gap_ms"] for run in in_app), 1),
        "max_ui_gap_incl_evaluation_ms": round(max(run["max_ui_gap_incl_evaluation_ms"] for run in in_app), 1),
        "probe_count": sum(run["probe_count"] for run in in_app),
        "reasons": sorted({run["reason"] for run in in_app}),
        "test_accuracy": in_app[-1]["test_accuracy"],
        "runs": {"headless_s": [round(t, 3) for t in headless],
                 "in_app_s": [round(run["in_app_s"], 3) for run in in_app]},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

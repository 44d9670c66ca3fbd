"""How fast does the app train?  ``python -m playground.bench [--model convnet] [--compare-torch]``

Trains one network, with the same seed and data, in two or more ways that take turns epoch by
epoch (on a shared machine the speed drifts by tens of percent within a minute: alternating makes
the ratios far steadier than running one after the other):

1. *headless*: plain ``model.fit``, one epoch per call, no Qt at all;
2. *in the app*: the real ``MainWindow`` (offscreen), Train pressed once through the
   ``TrainingController``, with live plots, progress and the log, and Pause / Resume between
   epochs for the other trainers' turns, while a 10 ms ``QTimer`` on the UI thread measures the
   longest time the window could not react;
3. with ``--compare-torch``: the same network and recipe in PyTorch (``playground.bench_torch``,
   a child process), once per ``--torch-threads`` count; the fastest is compared.

``--model dense`` is chapter 2's network (the app's design: Flatten, Dense 512 relu, Dense 10
softmax; batch 128), ``--model convnet`` section 5.1's convnet from ``engine.examples`` (batch 64).
Data: the file named by ``PLAYGROUND_MNIST`` (e.g. the full mnist.npz), else the bundled sample.

Prints one JSON line. ``headless_s``, ``in_app_s`` and ``torch_seconds_per_epoch`` are seconds per
epoch, the median of epochs 2.. (the first one warms up); ``ratio`` is in-app / headless and
``ratio_to_torch`` in-app / PyTorch; ``max_ui_gap_ms`` is the UI thread's longest stall while
the app trained, from the press of Train (``train_press_ms``: that press's own work, which
builds the network; ``..._incl_evaluation_ms``: up to the end of the test-set evaluation).
A stall is the UI thread's own work plus the time it waited for a core or for Python's
interpreter lock: ``max_ui_busy_ms``, the most CPU time the UI thread used between two ticks,
and ``ui_cpu_s_per_epoch`` are the first part alone (what a loaded machine does not inflate).
Targets (issue 8): ``ratio_to_torch`` <= 0.8 for the dense network on full MNIST, and
``max_ui_gap_ms`` <= 50. This is a script, not a test: timings on a shared machine vary.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

MODELS = ("dense", "convnet")
BATCH_SIZES = {"dense": 128, "convnet": 64}  # the book's


def load_dataset(quiet: bool = False):
    from playground.core.data_loading import load_dataset_file, load_sample_dataset

    path = os.environ.get("PLAYGROUND_MNIST")
    if path:
        return load_dataset_file(path)
    if not quiet:
        print("bench: PLAYGROUND_MNIST is not set; using the 6,000-digit bundled sample", file=sys.stderr)
    return load_sample_dataset()


def convnet(settings):
    """Section 5.1's convnet, compiled with the app's recipe (``settings``' optimizer and loss)."""
    import engine
    from engine import examples

    model = examples.convnet()
    optimizer = engine.optimizers.get(settings.optimizer, **settings.optimizer_kwargs())
    model.compile(optimizer=optimizer, loss=settings.loss, metrics=["accuracy"])
    return model


def headless_epochs(dataset, settings, model: str):
    """``model.fit``, one epoch per ``next`` (seconds), on the data the app prepares."""
    import engine
    from playground.core.training_data import prepare_data, shaped_for
    from playground.training.state import AppState

    state = AppState(dataset)
    state.set_settings(settings)
    engine.utils.set_random_seed(settings.seed)
    network = convnet(settings) if model == "convnet" else state.build_model()
    data = prepare_data(dataset, settings)
    x = shaped_for(network, data.x_train)
    used = engine.callbacks.LambdaCallback()
    for epoch in range(settings.epochs):
        started = time.perf_counter()
        network.fit(x, data.y_train, batch_size=settings.batch_size, epochs=epoch + 1, initial_epoch=epoch,
                    verbose=0, shuffle=True, callbacks=[used])
        yield time.perf_counter() - started
    return {"strategy": used.params.get("strategy"), "strategy_reason": used.params.get("strategy_reason")}


def app_epochs(dataset, settings, model: str, settings_file: str):
    """The app trains all epochs in one press of Train, as a learner does, and yields each epoch's
    seconds (the worker's own count, which leaves out time paused). Between epochs it is paused
    with the Pause button, so that the other trainers take their turns on a quiet machine.
    Returns the UI thread's longest stalls and what the app reported."""
    import engine
    from PySide6.QtCore import QEvent, QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from playground.main_window import MainWindow
    from playground.training.training_controller import PAUSED
    from playground.widgets.garbage_collection import freeze_what_lives_now

    app = QApplication.instance() or QApplication([])
    window = MainWindow(dataset=dataset, settings=QSettings(settings_file, QSettings.IniFormat))
    window.resize(1400, 900)
    window.show()
    window.state.set_settings(settings)
    controller = window.controller
    if model == "convnet":  # built from engine.examples, as a loaded model is adopted
        engine.utils.set_random_seed(settings.seed)
        controller.adopt_model(convnet(settings), "Chapter 5: small convnet")
    settle = QEventLoop()  # let the window finish its first layout and paint before measuring
    QTimer.singleShot(500, settle.quit)
    settle.exec()
    freeze_what_lives_now()  # as the app does once its window is up

    gaps = {"fit": 0.0, "all": 0.0, "ticks": 0, "fit_over_50ms": 0, "busy": 0.0, "ui_cpu": 0.0}
    last, cpu, fitting, finished, seen, epochs = [0.0], [0.0], [False], [False], {}, []

    def restart_clocks():  # the window was idle, its event loop not running
        last[0], cpu[0] = time.perf_counter(), time.thread_time()

    def tick():
        now, used = time.perf_counter(), time.thread_time()
        gap, busy = now - last[0], used - cpu[0]
        last[0], cpu[0] = now, used
        gaps["ticks"] += 1
        gaps["all"] = max(gaps["all"], gap)
        if fitting[0]:
            gaps["fit"] = max(gaps["fit"], gap)
            gaps["fit_over_50ms"] += gap > 0.05
            gaps["busy"] = max(gaps["busy"], busy)
            gaps["ui_cpu"] += busy

    def epoch_ended(info):
        epochs.append(info["seconds"])
        if len(epochs) < settings.epochs:
            controller.pause()  # after the batch in progress: the next turn resumes there

    def fit_ended(reason, _message):
        fitting[0] = False
        seen.setdefault("reasons", set()).add(reason)

    loop = QEventLoop()
    controller.fit_began.connect(lambda params: seen.update(params=params))
    controller.epoch_ended.connect(epoch_ended)
    controller.fit_ended.connect(fit_ended)
    controller.phase_changed.connect(lambda phase: loop.quit() if phase == PAUSED else None)
    window.training_finished.connect(lambda reason: (finished.__setitem__(0, True), loop.quit()))
    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(tick)
    probe.start()
    try:
        restart_clocks()
        fitting[0] = True
        if not controller.start():
            raise RuntimeError(f"Train refused: {window.state.training_errors() or controller.plan()}")
        seen["press"] = time.perf_counter() - last[0]  # the Train button's own work, part of the first gap
        for epoch in range(settings.epochs):
            if not finished[0]:  # a short epoch may end before the pause after the last one came
                loop.exec()  # until paused after this epoch, or the end (after the test-set evaluation)
            if len(epochs) <= epoch:
                raise RuntimeError(f"training ended after {len(epochs)} of {settings.epochs} epochs")
            yield epochs[epoch]
            if epoch + 1 < settings.epochs:
                restart_clocks()
                controller.resume()
    finally:
        probe.stop()
        evaluation = window.state.evaluation
        window.close()
        window.deleteLater()  # the next run starts from a clean slate (no idle window left behind)
        app.sendPostedEvents(None, QEvent.DeferredDelete)
    params = seen.get("params", {})
    return {
        "max_ui_gap_ms": 1000 * gaps["fit"],
        "max_ui_gap_incl_evaluation_ms": 1000 * gaps["all"],
        "ui_gaps_over_50ms": gaps["fit_over_50ms"],
        "train_press_ms": 1000 * seen["press"],
        "max_ui_busy_ms": 1000 * gaps["busy"],
        "ui_cpu_s_per_epoch": round(gaps["ui_cpu"] / settings.epochs, 3),
        "probe_count": gaps["ticks"],
        "reasons": sorted(seen.get("reasons", ())),
        "strategy": params.get("strategy"),
        "strategy_reason": params.get("strategy_reason"),
        "test_accuracy": None if evaluation is None else round(evaluation.accuracy, 4),
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m playground.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=MODELS, default="dense",
                        help="chapter 2's dense network, or section 5.1's convnet (engine.examples)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of each kind (the first one warms up)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 128 (dense), 64 (convnet)")
    parser.add_argument("--compare-torch", action="store_true",
                        help="train the same network and recipe in PyTorch too (if it is installed)")
    parser.add_argument("--torch-threads", type=int, nargs="+", default=[1, 2],
                        help="PyTorch's thread counts to try (the fastest is compared)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if args.batch_size is None:
        args.batch_size = BATCH_SIZES[args.model]
    elif args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from engine.bench import median_epoch, run_interleaved
    from playground import bench_torch
    from playground.training.state import TrainSettings

    if args.compare_torch and not bench_torch.available():
        print("bench: PyTorch is not installed, so --compare-torch is skipped (pip install torch to compare)",
              file=sys.stderr)
        args.compare_torch = False
    dataset = load_dataset()
    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory() as folder:
        trainers = [headless_epochs(dataset, settings, args.model),
                    app_epochs(dataset, settings, args.model, str(Path(folder) / "bench.ini"))]
        if args.compare_torch:
            trainers += [bench_torch.torch_epochs(args.model, args.epochs, args.batch_size, settings.seed, threads)
                         for threads in args.torch_threads]
        timed = run_interleaved(*trainers)
    (headless, headless_run), (in_app, app_run) = timed[:2]
    headless_s, in_app_s = median_epoch(headless), median_epoch(in_app)
    result = {
        "model": args.model,
        "dataset": f"{dataset.name} ({len(dataset.x_train)} train)",
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "headless_s": round(headless_s, 4),
        "in_app_s": round(in_app_s, 4),
        "ratio": round(in_app_s / headless_s, 3),
        "ratio_best": round(min(in_app) / min(headless), 3),
        **{key: round(value, 1) if key.endswith("_ms") else value for key, value in app_run.items()},
        "headless_strategy": headless_run["strategy"],
        "runs": {"headless_s": [round(t, 4) for t in headless], "in_app_s": [round(t, 4) for t in in_app]},
    }
    if args.compare_torch:
        by_threads = {threads: {"seconds_per_epoch": round(median_epoch(seconds), 4),
                                "epoch_seconds": [round(t, 4) for t in seconds],
                                "test_accuracy": round(run["test_accuracy"], 4)}
                      for threads, (seconds, run) in zip(args.torch_threads, timed[2:])}
        best = min(by_threads, key=lambda threads: by_threads[threads]["seconds_per_epoch"])
        result.update({
            "torch_version": timed[2][1]["version"],
            "torch_threads": best,
            "torch_seconds_per_epoch": by_threads[best]["seconds_per_epoch"],
            "torch_by_threads": by_threads,
            "ratio_to_torch": round(in_app_s / by_threads[best]["seconds_per_epoch"], 3),
        })
    if load_before is not None:
        result["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of the book's section 5.1 convnet on full MNIST: ``python -m engine.bench --model convnet``.

    PLAYGROUND_MNIST=../shared/data/mnist.npz python -m engine.bench --model convnet [--compare-torch]

Prints one JSON line, with the fields of the chapter network's bench (seconds per epoch: the
median of epochs 2..; GFLOP per epoch: the matrix products of forward and backward passes; the
share of the float32 GEMM ceiling for the same products; accuracy) plus ``peak_rss_mb``, this
process's peak resident memory (the data, training and evaluation: PyTorch runs in a child
process, so its memory is not counted). ``--compare-torch`` trains the same recipe in PyTorch
(CPU) with 1 and 2 threads, each epoch of each run in turn with the engine's, and compares with
the faster. ``--strategies split_batch two_threads serial`` times the engine under each named
strategy (the first is the headline; by default the one ``fit`` chooses), epochs in turn with the
others. ``--profile STEPS`` prints instead where a step's time goes (each layer's forward and
backward, im2col, activations, products, the optimizer), in thread-seconds per epoch. This is a
script, not a test: timings on a shared machine vary from run to run.
"""
from __future__ import annotations

import argparse
import collections
import functools
import importlib.util
import json
import multiprocessing
import os
import resource
import statistics
import sys
import threading
import time

import numpy as np

import engine
from engine import blas, examples, ops, strategies
from engine.bench import _timed, blas_info, median_epoch, run_interleaved
from engine.layers import Conv2D, Dense


# ----- the products of one step -------------------------------------------------------------------
def step_products(model, batch_size: int) -> list[tuple[str, int, int, int]]:
    """``(kind, m, k, n)`` of every matrix product one training step makes, as the layers make them."""
    products, shape = [], model.input_shape
    for layer in model.layers:
        out = layer.compute_output_shape(shape)
        if isinstance(layer, Conv2D):
            g = layer.geometry
            m, k = batch_size * g.oh * g.ow, g.kh * g.kw * g.c
            products += [("matmul", m, k, layer.filters), ("matmul_at_b", m, k, layer.filters)]
            if layer.need_input_grad:  # one piece per kernel offset
                products += [("matmul_a_bt", m, layer.filters, g.c)] * (g.kh * g.kw)
        elif isinstance(layer, Dense):
            products += [("matmul", batch_size, shape[0], layer.units), ("matmul_at_b", batch_size, shape[0], layer.units)]
            if layer.need_input_grad:
                products.append(("matmul_a_bt", batch_size, layer.units, shape[0]))
        shape = out
    return products


def epoch_gflop(products, steps: int) -> float:
    return sum(2 * m * k * n for _, m, k, n in products) * steps / 1e9


def _gemm_step(products):
    """One step's products alone, through ``engine.ops`` with the layers' layouts."""
    rng = np.random.default_rng(0)
    calls = []
    for kind, m, k, n in products:
        if kind == "matmul":
            a, b, out = rng.random((m, k), np.float32), rng.random((k, n), np.float32), np.empty((m, n), np.float32)
        elif kind == "matmul_at_b":
            a, b, out = rng.random((m, k), np.float32), rng.random((m, n), np.float32), np.empty((k, n), np.float32)
        else:
            a, b, out = rng.random((m, k), np.float32), rng.random((n, k), np.float32), np.empty((m, n), np.float32)
        calls.append((getattr(ops, kind), a, b, out))

    def step():
        for fn, a, b, out in calls:
            fn(a, b, out=out)

    return step


def gemm_ceiling(products, repeats: int = 5, inner: int = 20) -> float:
    """GFLOP/s of the step's products alone, on as many BLAS threads as ``fit`` gives them: the
    best of short bursts."""
    step = _gemm_step(products)
    with blas.single_threaded():
        step()
        best = min(_timed(step, inner) for _ in range(repeats))
    return epoch_gflop(products, 1) / best


def gemm_epochs(products, steps: int, epochs: int):
    """Epochs of nothing but the step's products, timed between the training epochs."""
    step = _gemm_step(products)
    for _ in range(epochs):
        with blas.single_threaded():
            step()
            seconds = _timed(step, steps) * steps
        yield seconds
    return {}


# ----- the engine ---------------------------------------------------------------------------------
def load(sample: bool):
    from engine.datasets import mnist

    (x, y), (xt, yt) = mnist.load_sample() if sample else mnist.load_data()
    return examples.images(x, "convnet"), y, examples.images(xt, "convnet"), yt


def engine_epochs(data, epochs: int, batch_size: int, seed: int, strategy: str | None = None):
    """Train the convnet one epoch at a time (rmsprop, categorical cross-entropy) under the
    strategy named (None: the one ``fit`` chooses); yields seconds."""
    x, y, xt, yt = data
    engine.utils.set_random_seed(seed)
    model = examples.convnet()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    y_1hot = engine.utils.to_categorical(y, 10)
    used = engine.callbacks.LambdaCallback()
    for epoch in range(epochs):
        engine.utils.set_random_seed(seed * 1000 + epoch)  # this epoch's shuffle, whatever ran in between
        with strategies.named(strategy):
            start = time.perf_counter()
            history = model.fit(x, y_1hot, epochs=epoch + 1, initial_epoch=epoch, batch_size=batch_size,
                                verbose=0, callbacks=[used])
            yield time.perf_counter() - start
    test_loss, test_acc = model.evaluate(xt, engine.utils.to_categorical(yt, 10), batch_size=250)
    return {
        "train_accuracy": history.history["accuracy"][-1],
        "test_accuracy": test_acc,
        "test_loss": test_loss,
        "first_10_predicted": model.predict_classes(xt[:10]).tolist(),
        "strategy": used.params.get("strategy"),
    }


# ----- PyTorch, in a child process ----------------------------------------------------------------
def _torch_child(connection, sample: bool, batch_size: int, seed: int, threads: int) -> None:
    """The same recipe in PyTorch: Glorot-uniform kernels, zero biases, RMSprop(rho=0.9, eps=1e-7)."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x, y, xt, yt = load(sample)
    x, xt = (torch.from_numpy(a).permute(0, 3, 1, 2).contiguous() for a in (x, xt))  # channels first
    y, yt = torch.from_numpy(y).long(), torch.from_numpy(yt).long()
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
                        nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10))
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    connection.send("ready")
    correct = 0
    while connection.recv() == "epoch":
        start = time.perf_counter()
        order = torch.randperm(len(x))
        correct = 0
        for lo in range(0, len(x), batch_size):
            idx = order[lo:lo + batch_size]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            logits = net(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            correct += (logits.argmax(1) == yb).sum().item()
        connection.send(time.perf_counter() - start)
    with torch.no_grad():
        test_acc = sum((net(xt[lo:lo + 1000]).argmax(1) == yt[lo:lo + 1000]).sum().item()
                       for lo in range(0, len(xt), 1000)) / len(xt)
    connection.send({"train_accuracy": correct / len(x), "test_accuracy": test_acc, "version": torch.__version__})


def torch_epochs(sample: bool, epochs: int, batch_size: int, seed: int, threads: int):
    """PyTorch's epochs, one per ``next``, in a child process (its memory and threads stay there)."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    child = context.Process(target=_torch_child, args=(theirs, sample, batch_size, seed, threads), daemon=True)
    child.start()
    try:
        mine.recv()  # data loaded
        for _ in range(epochs):
            mine.send("epoch")
            yield mine.recv()
        mine.send("done")
        return mine.recv()
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ----- where the time goes -------------------------------------------------------------------------
def profile(data, steps: int, batch_size: int, strategy: str | None) -> dict:
    """Train ``steps`` steps with each layer's methods, the products and the optimizer timed (the
    time of a call minus that of the timed calls inside it, on whichever thread makes it)."""
    x, y, _, _ = data
    x, y = x[:steps * batch_size], engine.utils.to_categorical(y[:steps * batch_size], 10)
    engine.utils.set_random_seed(0)
    model = examples.convnet()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    with strategies.named(strategy):
        model.fit(x[:10 * batch_size], y[:10 * batch_size], batch_size=batch_size, verbose=0)  # warm up
    seconds, lock, inside = collections.Counter(), threading.Lock(), threading.local()

    def timed(label, fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            stack = inside.__dict__.setdefault("stack", [])
            stack.append(0.0)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent, nested = time.perf_counter() - start, stack.pop()
                if stack:
                    stack[-1] += spent
                with lock:
                    seconds[label(args) if callable(label) else label] += spent - nested
        return call

    saved = [(ops, name, getattr(ops, name)) for name in ("matmul", "matmul_at_b", "matmul_a_bt", "update")]
    for cls in {type(layer) for layer in model.layers}:  # the class: split_batch's replicas are timed too
        for method in ("forward", "backward", "activate", "activation_gradient", "_im2col", "_maximum"):
            if hasattr(cls, method):
                saved.append((cls, method, cls.__dict__.get(method)))
    for owner, name, fn in saved:
        label = "optimizer" if name == "update" else f"ops.{name}" if owner is ops else (
            lambda args, name=name: f"{args[0].name}.{name.strip('_')}")
        setattr(owner, name, timed(label, getattr(owner, name)))
    try:
        with strategies.named(strategy):
            used = strategies.choose(model)[0].name
            start = time.perf_counter()
            model.fit(x, y, batch_size=batch_size, verbose=0)
            wall = time.perf_counter() - start
    finally:
        for owner, name, fn in saved:
            if fn is None:
                delattr(owner, name)  # it was inherited
            else:
                setattr(owner, name, fn)
    per_epoch = 60000 / (steps * batch_size)
    parts = {k: round(v * per_epoch, 3) for k, v in seconds.most_common()}
    return {"strategy": used, "steps": steps, "wall_seconds_per_epoch": round(wall * per_epoch, 3),
            "timed_thread_seconds_per_epoch": round(sum(seconds.values()) * per_epoch, 3),
            "thread_seconds_per_epoch": parts, "load_average_1min": round(os.getloadavg()[0], 2)}


# ----- main ---------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.bench --model convnet", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=["convnet"], default="convnet")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="median test accuracy over these seeds")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample (no download)")
    parser.add_argument("--compare-torch", action="store_true", help="run the same recipe in PyTorch too")
    parser.add_argument("--torch-threads", type=int, nargs="+", default=[1, 2], help="PyTorch's thread counts to try")
    parser.add_argument("--strategies", nargs="+", default=[None], metavar="NAME",
                        help="time the engine under each of these strategies (the first is the headline)")
    parser.add_argument("--profile", type=int, metavar="STEPS", help="print where STEPS steps' time goes, and stop")
    args = parser.parse_args(argv)
    if args.profile:
        data = load(args.sample)
        for name in args.strategies:
            print(json.dumps(profile(data, args.profile, args.batch_size, name)))
        return 0
    if args.compare_torch and importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed: pip install torch", file=sys.stderr)
        return 2

    data = load(args.sample)
    samples = len(data[0])
    steps = -(-samples // args.batch_size)
    model = examples.convnet()
    products = step_products(model, args.batch_size)
    info = blas_info()
    ceiling = gemm_ceiling(products)
    load_before = os.getloadavg()
    trainers = [engine_epochs(data, args.epochs, args.batch_size, args.seeds[0], args.strategies[0]),
                gemm_epochs(products, steps, args.epochs)]
    others = {name: len(trainers) + i for i, name in enumerate(args.strategies[1:])}
    trainers += [engine_epochs(data, args.epochs, args.batch_size, args.seeds[0], name) for name in args.strategies[1:]]
    torch_index = len(trainers)
    if args.compare_torch:
        trainers += [torch_epochs(args.sample, args.epochs, args.batch_size, args.seeds[0], t) for t in args.torch_threads]
    timed = run_interleaved(*trainers)
    runs = [{"epoch_seconds": timed[0][0], **timed[0][1]}]
    for seed in args.seeds[1:]:  # more seeds: accuracy only
        runs.append(run_interleaved(engine_epochs(data, args.epochs, args.batch_size, seed, args.strategies[0]))[0][1])
    ceiling = max(ceiling, gemm_ceiling(products))
    seconds = median_epoch(runs[0]["epoch_seconds"])
    gemm_seconds = median_epoch(timed[1][0])
    gflop = epoch_gflop(products, steps)
    result = {
        "engine": "numpy",
        "model": "convnet",
        "samples": samples,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "seconds_per_epoch": round(seconds, 4),
        "epoch_seconds": [round(s, 4) for s in runs[0]["epoch_seconds"]],
        "samples_per_second": round(samples / seconds),
        "gflop_per_epoch": round(gflop, 2),
        "achieved_gflops": round(gflop / seconds, 1),
        "gemm_ceiling_gflops": round(ceiling, 1),
        "fraction_of_ceiling": round(gflop / seconds / ceiling, 3),
        "gemm_only_seconds_per_epoch": round(gemm_seconds, 4),
        "fraction_of_gemm_only_epoch": round(gemm_seconds / seconds, 3),
        "train_accuracy": round(statistics.median(r["train_accuracy"] for r in runs), 4),
        "test_accuracy": round(statistics.median(r["test_accuracy"] for r in runs), 4),
        "test_accuracy_by_seed": {s: round(r["test_accuracy"], 4) for s, r in zip(args.seeds, runs)},
        "first_10_predicted": runs[0]["first_10_predicted"],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "strategy": runs[0]["strategy"],
        **info,
        "numpy": np.__version__,
        "load_average_1min": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }
    for name, index in others.items():
        result.setdefault("strategy_seconds_per_epoch", {})[name] = round(median_epoch(timed[index][0]), 4)
        result.setdefault("strategy_epoch_seconds", {})[name] = [round(t, 4) for t in timed[index][0]]
        result.setdefault("strategy_test_accuracy", {})[name] = round(timed[index][1]["test_accuracy"], 4)
    if args.compare_torch:
        by_threads = {}
        for threads, (epoch_seconds, run) in zip(args.torch_threads, timed[torch_index:]):
            by_threads[threads] = {"seconds_per_epoch": round(median_epoch(epoch_seconds), 4),
                                   "epoch_seconds": [round(t, 4) for t in epoch_seconds],
                                   "test_accuracy": round(run["test_accuracy"], 4)}
        best = min(by_threads, key=lambda t: by_threads[t]["seconds_per_epoch"])
        result.update({
            "torch_version": timed[torch_index][1]["version"],
            "torch_threads": best,
            "torch_seconds_per_epoch": by_threads[best]["seconds_per_epoch"],
            "torch_test_accuracy": by_threads[best]["test_accuracy"],
            "torch_by_threads": by_threads,
            "ratio_to_torch": round(seconds / by_threads[best]["seconds_per_epoch"], 3),
        })
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the chapter's network on full MNIST, timed, with the GEMM ceiling beside it.

    PLAYGROUND_MNIST=../shared/data/mnist.npz python -m engine.bench [--compare-torch] [--seeds 0 1 2]
        [--strategies two_threads serial] [--baseline ../baseline]
    python -m engine.bench --model convnet [--compare-torch]   # section 5.1's convnet: engine.bench_convnet

Prints one JSON line: seconds per epoch (median of epochs 2..5), samples/s, the achieved GFLOP/s
(98.18 GFLOP per epoch: the matrix products of forward and backward passes only), the float32
GEMM ceiling for the same shapes measured in this run (the best of short bursts before and after
training), train/test accuracy, threads and BLAS. Epochs of the same products alone are timed
between the training epochs too (``gemm_only_seconds_per_epoch``): on a shared machine whose speed
drifts, they see the conditions the training epochs see, where the best burst sees the quietest.
``--strategies`` times the engine under each named strategy (``engine.strategies``), and
``--baseline DIR`` times another checkout of this repository (say, main before a change) in a
subprocess; all of them take turns epoch by epoch, so that they see the same machine.
This is a script, not a test: timings on a shared machine vary from run to run.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import engine
from engine import ops, strategies
from engine.layers import Dense
from engine.strategies import SERIAL

INPUT, HIDDEN, CLASSES = 784, 512, 10


def epoch_gflop(samples: int, batch_size: int) -> float:
    """Multiply-adds x 2 of one epoch: forward, weight gradients and the hidden layer's input gradient."""
    per_sample = 2 * (INPUT * HIDDEN + HIDDEN * CLASSES)  # forward
    per_sample += 2 * (INPUT * HIDDEN + HIDDEN * CLASSES)  # dL/dkernel for both layers
    per_sample += 2 * HIDDEN * CLASSES  # dL/dhidden (the input layer needs no gradient)
    return per_sample * samples / 1e9


def _gemm_step(batch_size: int):
    """One training step's matrix products (forward, weight gradients, dL/dhidden), nothing else."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    x = rng.random((batch_size, INPUT), dtype=f32)
    w1, w2 = rng.random((INPUT, HIDDEN), dtype=f32), rng.random((HIDDEN, CLASSES), dtype=f32)
    h, z = np.empty((batch_size, HIDDEN), f32), np.empty((batch_size, CLASSES), f32)
    dw1, dw2 = np.empty_like(w1), np.empty_like(w2)

    def step():
        ops.matmul(x, w1, out=h)
        ops.matmul(h, w2, out=z)
        ops.matmul_at_b(h, z, out=dw2)
        ops.matmul_a_bt(z, w2, out=h)
        ops.matmul_at_b(x, h, out=dw1)

    return step


def gemm_ceiling(batch_size: int = 128, repeats: int = 7, inner: int = 100) -> float:
    """GFLOP/s of float32 matrix products for one training step's shapes, run by the strategy in
    use on this thread (``engine.ops``), as in training: the best burst."""
    step = _gemm_step(batch_size)
    step()
    best = min(_timed(step, inner) for _ in range(repeats))
    flops = 2 * batch_size * (2 * INPUT * HIDDEN + 3 * HIDDEN * CLASSES)
    return flops / best / 1e9


def gemm_epochs(samples: int, batch_size: int, epochs: int, strategy=SERIAL):
    """Epochs of nothing but the step's matrix products, to interleave with the training epochs.

    The best burst (``gemm_ceiling``) catches the machine at its quietest moment; an epoch of
    products, timed between the training epochs, sees the same machine they see.
    """
    step, steps = _gemm_step(batch_size), -(-samples // batch_size)
    for _ in range(epochs):
        with strategy.running():
            step()
            seconds = _timed(step, steps) * steps
        yield seconds
    return {}


def _timed(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def blas_info() -> dict:
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return {"blas": f"{pool['internal_api']} {pool.get('version')} ({pool.get('architecture')})",
                        "threads": pool["num_threads"]}
    except ImportError:
        pass
    config = np.show_config(mode="dicts") if np.lib.NumpyVersion(np.__version__) >= "1.25.0" else {}
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return {"blas": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(), "threads": os.cpu_count()}


def load(sample: bool):
    from engine.datasets import mnist

    (x, y), (xt, yt) = mnist.load_sample() if sample else mnist.load_data()
    prep = lambda a: a.reshape(len(a), -1).astype(np.float32) / np.float32(255)  # noqa: E731
    return prep(x), y, prep(xt), yt


def headline_strategy(name: str | None):
    """The strategy ``fit`` would use for the chapter's network (or the one named)."""
    with strategies.named(name):
        model = engine.Sequential([Dense(HIDDEN, activation="relu", input_shape=(INPUT,)), Dense(CLASSES)])
        return strategies.choose(model)[0]


def engine_epochs(data, epochs: int, batch_size: int, seed: int, strategy: str | None = None):
    """Train the chapter's network one epoch at a time; yields each epoch's seconds, returns results."""
    x, y, xt, yt = data
    engine.utils.set_random_seed(seed)
    model = engine.Sequential([Dense(HIDDEN, activation="relu", input_shape=(INPUT,)), Dense(CLASSES, activation="softmax")])
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
    test_loss, test_acc = model.evaluate(xt, engine.utils.to_categorical(yt, 10), batch_size=1000)
    return {
        "train_accuracy": history.history["accuracy"][-1],
        "test_accuracy": test_acc,
        "test_loss": test_loss,
        "first_10_predicted": model.predict_classes(xt[:10]).tolist(),
        "strategy": used.params.get("strategy"),
    }


# The other checkout's side: only the public API that every version of the engine has.
_CHECKOUT_WORKER = r"""
import json, sys, time
import numpy as np
import engine
from engine.layers import Dense
from engine.datasets import mnist
sample, epochs, batch_size, seed = json.loads(sys.argv[1])
(x, y), (xt, yt) = mnist.load_sample() if sample else mnist.load_data()
prep = lambda a: a.reshape(len(a), -1).astype(np.float32) / np.float32(255)
x, xt = prep(x), prep(xt)
engine.utils.set_random_seed(seed)
model = engine.Sequential([Dense(512, activation="relu", input_shape=(784,)), Dense(10, activation="softmax")])
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
y1 = engine.utils.to_categorical(y, 10)
print("ready", flush=True)
for epoch in range(epochs):
    sys.stdin.readline()
    engine.utils.set_random_seed(seed * 1000 + epoch)
    start = time.perf_counter()
    model.fit(x, y1, epochs=epoch + 1, initial_epoch=epoch, batch_size=batch_size, verbose=0)
    print(time.perf_counter() - start, flush=True)
loss, acc = model.evaluate(xt, engine.utils.to_categorical(yt, 10), batch_size=1000)
print(json.dumps({"test_accuracy": acc}), flush=True)
"""


def checkout_epochs(path: str, sample: bool, epochs: int, batch_size: int, seed: int):
    """The same training in another checkout of this repository, in a subprocess that trains one
    epoch each time it is asked, so that its epochs take turns with ours."""
    path = os.path.abspath(path)
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("ENGINE_STRATEGY", None)
    process = subprocess.Popen([sys.executable, "-c", _CHECKOUT_WORKER, json.dumps([sample, epochs, batch_size, seed])],
                               cwd=path, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the checkout in {path} could not start training")
        for _ in range(epochs):
            process.stdin.write("go\n")
            process.stdin.flush()
            yield float(process.stdout.readline())
        result = json.loads(process.stdout.readline())
    finally:
        process.stdin.close()
        process.wait(timeout=120)
    return result


def torch_epochs(data, epochs: int, batch_size: int, seed: int, threads: int):
    """The same recipe in PyTorch (CPU): Glorot-uniform init, RMSprop(rho=0.9, eps=1e-7), fused CE."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x, y, xt, yt = (torch.from_numpy(np.asarray(a)) for a in data)
    y, yt = y.long(), yt.long()
    net = torch.nn.Sequential(torch.nn.Linear(INPUT, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, CLASSES))
    for layer in (net[0], net[2]):
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
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
        yield time.perf_counter() - start
    with torch.no_grad():
        test_acc = (net(xt).argmax(1) == yt).float().mean().item()
    return {"train_accuracy": correct / len(x), "test_accuracy": test_acc, "version": torch.__version__}


def run_interleaved(*trainers) -> list[tuple[list[float], dict]]:
    """Run the trainers' epochs in turn (A1 B1 A2 B2 ...), so that both see the same machine.

    On a shared machine the speed drifts by tens of percent within a minute; alternating epochs
    makes the ratio of the two far steadier than running one trainer after the other.
    """
    seconds: list[list[float]] = [[] for _ in trainers]
    results: list[dict | None] = [None for _ in trainers]
    while any(r is None for r in results):
        for i, trainer in enumerate(trainers):
            if results[i] is not None:
                continue
            try:
                seconds[i].append(next(trainer))
            except StopIteration as done:
                results[i] = done.value
    return list(zip(seconds, results))


def median_epoch(seconds: list[float]) -> float:
    return statistics.median(seconds[1:] if len(seconds) > 1 else seconds)


def main(argv=None) -> int:
    which = argparse.ArgumentParser(add_help=False)
    which.add_argument("--model", choices=["dense", "convnet"], default="dense")
    if which.parse_known_args(argv)[0].model == "convnet":  # section 5.1's convnet: its own bench
        from engine import bench_convnet

        return bench_convnet.main(argv)
    parser = argparse.ArgumentParser(prog="python -m engine.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=["dense", "convnet"], default="dense",
                        help="chapter 2's network, or section 5.1's convnet (engine.bench_convnet)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="median test accuracy over these seeds")
    parser.add_argument("--sample", action="store_true", help="use the bundled sample (no download)")
    parser.add_argument("--compare-torch", action="store_true", help="run the same recipe in PyTorch too")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="PyTorch's thread count (default: as many as BLAS uses; on a busy machine 1 can be faster)")
    parser.add_argument("--strategies", nargs="+", default=[None], metavar="NAME",
                        help="time the engine under each of these strategies (the first is the headline)")
    parser.add_argument("--baseline", metavar="DIR", help="also time the engine of another checkout of this repository")
    args = parser.parse_args(argv)

    data = load(args.sample)
    samples = len(data[0])
    info = blas_info()
    headline = headline_strategy(args.strategies[0])
    with headline.running():
        ceiling = gemm_ceiling(args.batch_size)
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    trainers = [engine_epochs(data, args.epochs, args.batch_size, args.seeds[0], args.strategies[0]),
                gemm_epochs(samples, args.batch_size, args.epochs, headline)]
    others = {name: len(trainers) + i for i, name in enumerate(args.strategies[1:])}
    trainers += [engine_epochs(data, args.epochs, args.batch_size, args.seeds[0], name) for name in args.strategies[1:]]
    if args.baseline:
        baseline_index = len(trainers)
        trainers.append(checkout_epochs(args.baseline, args.sample, args.epochs, args.batch_size, args.seeds[0]))
    if args.compare_torch:
        if importlib.util.find_spec("torch") is None:
            print("PyTorch is not installed: pip install torch", file=sys.stderr)
            return 2
        torch_index = len(trainers)
        trainers.append(torch_epochs(data, args.epochs, args.batch_size, args.seeds[0], args.torch_threads or info["threads"]))
    timed = run_interleaved(*trainers)
    runs = [{"epoch_seconds": timed[0][0], **timed[0][1]}]
    for seed in args.seeds[1:]:  # more seeds: accuracy only
        runs.append(run_interleaved(engine_epochs(data, args.epochs, args.batch_size, seed, args.strategies[0]))[0][1])
    with headline.running():
        ceiling = max(ceiling, gemm_ceiling(args.batch_size))  # a ceiling: the better of before and after
    seconds = median_epoch(runs[0]["epoch_seconds"])
    gemm_seconds = median_epoch(timed[1][0])
    gflop = epoch_gflop(samples, args.batch_size)
    result = {
        "engine": "numpy",
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
        "strategy": runs[0]["strategy"],
        **info,
        "numpy": np.__version__,
        "load_average_1min": [round(load_before[0], 2), round(os.getloadavg()[0], 2)] if load_before else None,
    }
    for name, index in others.items():
        result.setdefault("strategy_seconds_per_epoch", {})[name] = round(median_epoch(timed[index][0]), 4)
        result.setdefault("strategy_epoch_seconds", {})[name] = [round(t, 4) for t in timed[index][0]]
    if args.baseline:
        baseline_seconds = median_epoch(timed[baseline_index][0])
        result.update({
            "baseline": os.path.abspath(args.baseline),
            "baseline_seconds_per_epoch": round(baseline_seconds, 4),
            "baseline_epoch_seconds": [round(t, 4) for t in timed[baseline_index][0]],
            "baseline_test_accuracy": round(timed[baseline_index][1]["test_accuracy"], 4),
            "ratio_to_baseline": round(seconds / baseline_seconds, 3),
        })
    if args.compare_torch:
        torch_seconds_per_epoch, torch_run = timed[torch_index]
        torch_seconds = median_epoch(torch_seconds_per_epoch)
        result.update({
            "torch_version": torch_run["version"],
            "torch_threads": args.torch_threads or info["threads"],
            "torch_seconds_per_epoch": round(torch_seconds, 4),
            "torch_epoch_seconds": [round(t, 4) for t in torch_seconds_per_epoch],
            "torch_test_accuracy": round(torch_run["test_accuracy"], 4),
            "ratio_to_torch": round(seconds / torch_seconds, 3),
        })
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

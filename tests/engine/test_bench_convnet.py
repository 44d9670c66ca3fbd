"""``python -m engine.bench --model convnet --strategies ...`` and ``--profile``: the format only.

On 300 digits with one-burst ceilings; no duration is asserted (benchmarks are scripts).
"""
from __future__ import annotations

import json

from engine import bench, bench_convnet


def small(monkeypatch):
    full_load, full_ceiling = bench_convnet.load, bench_convnet.gemm_ceiling
    monkeypatch.setattr(bench_convnet, "load", lambda sample: tuple(a[:300] for a in full_load(True)))
    monkeypatch.setattr(bench_convnet, "gemm_ceiling", lambda products: full_ceiling(products, repeats=1, inner=1))


def test_each_strategy_named_is_timed_in_the_same_run_and_the_load_is_reported(capsys, monkeypatch):
    small(monkeypatch)
    argv = ["--model", "convnet", "--sample", "--epochs", "2", "--batch-size", "100", "--strategies", "serial", "split_batch"]
    assert bench.main(argv) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["strategy"] == "serial"
    assert set(result["strategy_seconds_per_epoch"]) == {"split_batch"}
    assert len(result["strategy_epoch_seconds"]["split_batch"]) == 2
    assert 0 <= result["strategy_test_accuracy"]["split_batch"] <= 1
    assert len(result["load_average_1min"]) == 2


def test_the_profile_names_every_part_of_a_step(capsys, monkeypatch):
    small(monkeypatch)
    assert bench.main(["--model", "convnet", "--sample", "--profile", "2", "--batch-size", "100",
                       "--strategies", "serial"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    parts = result["thread_seconds_per_epoch"]
    assert result["strategy"] == "serial"
    assert {"ops.matmul", "ops.matmul_at_b", "ops.matmul_a_bt", "optimizer", "conv2d.im2col", "conv2d.activate",
            "max_pooling2d.maximum", "max_pooling2d.backward", "dense_1.forward"} <= set(parts)
    assert all(seconds >= 0 for seconds in parts.values())
    from engine import ops
    from engine.layers import Conv2D, MaxPooling2D
    # the classes and the operations are restored: nothing timed is left, nothing inherited is copied
    assert not hasattr(Conv2D.forward, "__wrapped__") and not hasattr(MaxPooling2D._maximum, "__wrapped__")
    assert "activate" not in vars(Conv2D) and not hasattr(ops.matmul, "__wrapped__")

"""``python -m playground.bench`` prints one JSON line: its flags and the line's shape, on tiny runs.

No duration is asserted (timings belong to the bench, not to the suite); the runs train a few
hundred digits so that they stay short on a busy machine.
"""
from __future__ import annotations

import json

import pytest

from playground import bench, bench_torch
from playground.core.data_loading import load_sample_dataset
from playground.core.specs import Dataset

APP_KEYS = {"model", "dataset", "epochs", "batch_size", "headless_s", "in_app_s", "ratio", "ratio_best",
            "max_ui_gap_ms", "max_ui_gap_incl_evaluation_ms", "ui_gaps_over_50ms", "train_press_ms",
            "max_ui_busy_ms", "ui_cpu_s_per_epoch", "probe_count", "reasons", "strategy", "strategy_reason",
            "headless_strategy", "test_accuracy", "runs", "load_average_1min"}
TORCH_KEYS = {"torch_version", "torch_threads", "torch_seconds_per_epoch", "torch_by_threads", "ratio_to_torch"}


@pytest.fixture
def few_digits(monkeypatch):
    """The bench trains on 300 digits of the sample (and its first 200 test digits)."""
    sample = load_sample_dataset()
    tiny = Dataset("tiny", sample.source, sample.x_train[:300], sample.y_train[:300],
                   sample.x_test[:200], sample.y_test[:200])
    monkeypatch.setattr(bench, "load_dataset", lambda quiet=False: tiny)
    return tiny


def run_bench(capsys, *argv) -> dict:
    assert bench.main(list(argv)) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    return json.loads(lines[-1])


def test_the_dense_bench_trains_in_the_app_and_headless_and_prints_one_json_line(qapp, capsys, few_digits):
    result = run_bench(capsys, "--epochs", "2", "--batch-size", "100")
    assert APP_KEYS <= set(result) and not TORCH_KEYS & set(result)
    assert (result["model"], result["epochs"], result["batch_size"]) == ("dense", 2, 100)
    assert result["dataset"] == "tiny (300 train)"
    assert len(result["runs"]["headless_s"]) == len(result["runs"]["in_app_s"]) == 2  # epoch by epoch
    assert result["reasons"] == ["completed"] and result["probe_count"] > 0
    assert result["strategy"] == result["headless_strategy"] and result["strategy_reason"]
    assert result["ratio"] == pytest.approx(result["in_app_s"] / result["headless_s"], rel=0.02)  # of rounded times
    assert 0 <= result["test_accuracy"] <= 1


def test_compare_torch_puts_pytorch_beside_the_app(qapp, capsys, few_digits, monkeypatch):
    asked = []

    def fake_torch_epochs(model, epochs, batch_size, seed, threads):
        asked.append((model, epochs, batch_size, threads))
        for _ in range(epochs):
            yield 0.5 * threads  # one thread is the faster here
        return {"test_accuracy": 0.5, "version": "fake"}

    monkeypatch.setattr(bench_torch, "available", lambda: True)
    monkeypatch.setattr(bench_torch, "torch_epochs", fake_torch_epochs)
    result = run_bench(capsys, "--epochs", "2", "--compare-torch", "--torch-threads", "1", "2")
    assert asked == [("dense", 2, 128, 1), ("dense", 2, 128, 2)]  # the same network and recipe
    assert TORCH_KEYS <= set(result)
    assert (result["torch_version"], result["torch_threads"], result["torch_seconds_per_epoch"]) == ("fake", 1, 0.5)
    assert set(result["torch_by_threads"]) == {"1", "2"}
    assert result["ratio_to_torch"] == pytest.approx(result["in_app_s"] / 0.5, rel=0.02, abs=0.0005)  # 3 decimals


def test_compare_torch_without_pytorch_says_so_and_benches_the_app(qapp, capsys, few_digits, monkeypatch):
    monkeypatch.setattr(bench_torch, "available", lambda: False)
    assert bench.main(["--epochs", "1", "--compare-torch"]) == 0
    captured = capsys.readouterr()
    assert "PyTorch is not installed" in captured.err and "skipped" in captured.err
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert not TORCH_KEYS & set(result) and result["in_app_s"] > 0


def test_the_convnet_bench_trains_the_books_convnet_in_the_app(qapp, capsys, few_digits):
    result = run_bench(capsys, "--model", "convnet", "--epochs", "1")
    assert (result["model"], result["batch_size"]) == ("convnet", 64)  # the book's batch size
    assert result["reasons"] == ["completed"] and result["strategy"]
    assert len(result["runs"]["in_app_s"]) == 1


@pytest.mark.parametrize("argv, words", [
    (["--model", "lenet"], "invalid choice"),
    (["--epochs", "0"], "--epochs must be at least 1"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--torch-threads"], "expected at least one argument"),
])
def test_bad_flags_exit_with_a_message(capsys, argv, words):
    with pytest.raises(SystemExit) as exit_:
        bench.parse_args(argv)
    assert exit_.value.code == 2 and words in capsys.readouterr().err


def test_the_defaults_are_the_books_batch_sizes():
    assert bench.parse_args([]).batch_size == 128 and bench.parse_args(["--model", "convnet"]).batch_size == 64
    assert bench.parse_args(["--model", "convnet", "--batch-size", "32"]).batch_size == 32


def test_pytorch_trains_the_same_network_in_a_child_process():
    pytest.importorskip("torch")
    epochs = bench_torch.torch_epochs("dense", 1, 128, 0, 1)
    seconds = next(epochs)
    with pytest.raises(StopIteration) as done:
        next(epochs)
    assert seconds > 0 and 0.5 < done.value.value["test_accuracy"] <= 1

"""``python -m engine train`` prints what the book prints; ``python -m engine.bench`` prints JSON."""
import io
import os
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import engine
from engine import bench
from engine.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_train_on_the_sample_prints_the_log_metrics_and_predicted_classes(capsys, tmp_path):
    saved = tmp_path / "model.npz"
    assert main(["train", "--sample", "--epochs", "1", "--seed", "0", "--save", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "Total params: 407,050" in out
    assert "Epoch 1/1" in out and "47/47 [" in out and "loss: " in out and "accuracy: " in out
    assert "$accuracy" in out and "predict_classes(test_images[1:10, ])" in out
    accuracy = float(out.split("$accuracy\n[1] ")[1].split()[0])
    assert accuracy > 0.85
    classes = out.split("predict_classes(test_images[1:10, ])\n [1] ")[1].split()[:10]
    (_, _), (x_test, _) = engine.datasets.mnist.load_sample()
    model = engine.load_model(saved)
    x = x_test[:10].reshape(10, 784).astype("float32") / 255
    assert [int(c) for c in classes] == model.predict_classes(x).tolist()


@pytest.mark.parametrize("strategy", ["serial", "two_threads"])
def test_train_runs_under_the_strategy_named_and_says_so(strategy, capsys, monkeypatch):
    monkeypatch.delenv("ENGINE_STRATEGY", raising=False)
    assert main(["train", "--sample", "--epochs", "1", "--seed", "0", "--strategy", strategy]) == 0
    assert f"Strategy: {strategy} (ENGINE_STRATEGY={strategy}" in capsys.readouterr().out
    assert "ENGINE_STRATEGY" not in os.environ  # put back


def test_an_unknown_strategy_is_refused_with_the_names(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--sample", "--strategy", "fastest"])
    assert "two_processes" in capsys.readouterr().err


def test_bad_flags_get_a_clear_message_and_a_nonzero_exit(capsys):
    assert main(["train", "--sample", "--learning-rate", "-1"]) == 2
    assert "learning_rate" in capsys.readouterr().err
    assert main(["train", "--data", "/no/such/mnist.npz"]) == 2
    assert "mnist.npz" in capsys.readouterr().err


def test_the_module_runs_as_a_script():
    done = subprocess.run([sys.executable, "-m", "engine", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and "train" in done.stdout


def test_the_benchmark_counts_98_gflop_per_epoch_and_prints_one_json_line(capsys, monkeypatch):
    """The benchmark's format only: it runs on 300 digits with one-burst ceilings, and no duration
    is asserted (timings belong to ``python -m engine.bench``, not to the suite)."""
    assert round(bench.epoch_gflop(60000, 128), 2) == 98.18
    full_load, full_ceiling = bench.load, bench.gemm_ceiling
    monkeypatch.setattr(bench, "load", lambda sample: tuple(a[:300] for a in full_load(True)))
    monkeypatch.setattr(bench, "gemm_ceiling", lambda batch_size=128: full_ceiling(batch_size, repeats=1, inner=1))
    assert bench.main(["--sample", "--epochs", "2", "--batch-size", "100"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert {"seconds_per_epoch", "epoch_seconds", "samples_per_second", "achieved_gflops", "gemm_ceiling_gflops",
            "fraction_of_ceiling", "gemm_only_seconds_per_epoch", "fraction_of_gemm_only_epoch", "train_accuracy",
            "test_accuracy", "test_accuracy_by_seed", "first_10_predicted", "blas", "threads", "numpy"} <= set(result)
    assert (result["samples"], result["epochs"], result["batch_size"]) == (300, 2, 100)
    assert result["gflop_per_epoch"] == round(bench.epoch_gflop(300, 100), 2)
    assert len(result["epoch_seconds"]) == 2 and all(isinstance(s, float) for s in result["epoch_seconds"])
    assert 0 <= result["test_accuracy"] <= 1 and len(result["first_10_predicted"]) == 10


# ----- failing early and in one line (issue 12, items 20 and 24) ----------------------------------
def test_save_into_a_missing_folder_fails_before_training(capsys, tmp_path):
    target = tmp_path / "missing" / "dir" / "m.npz"
    assert main(["train", "--sample", "--epochs", "1", "--save", str(target)]) == 2
    captured = capsys.readouterr()
    assert "Epoch" not in captured.out and "Total params" not in captured.out
    assert captured.err == f"error: cannot save to {target}: the folder {target.parent} does not exist\n"


def test_save_onto_a_folder_fails_before_training(capsys, tmp_path):
    assert main(["train", "--sample", "--epochs", "1", "--save", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "Epoch" not in captured.out and "it is a folder" in captured.err


@pytest.mark.parametrize("error", [
    MemoryError(), RecursionError("maximum recursion depth exceeded"), KeyError("x_train"),
    TypeError("'NpyFile' object is not subscriptable"), EOFError(), ValueError("evil.npz is not\nan MNIST file"),
    OSError(5, "Input/output error"),
])
def test_whatever_the_data_loader_raises_is_one_line(capsys, monkeypatch, tmp_path, error):
    def hostile(path, progress=None):
        raise error

    monkeypatch.setattr(engine.datasets.mnist, "load_data", hostile)
    assert main(["train", "--data", str(tmp_path / "evil.npz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def evil_npz(path):
    """2 KB that declare a 30 GB x_train."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (40_000_000, 28, 28)})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x_train.npy", header.getvalue() + bytes(1024))
        for key in ("y_train", "x_test", "y_test"):
            buffer = io.BytesIO()
            np.save(buffer, np.zeros(3, np.uint8))
            archive.writestr(f"{key}.npy", buffer.getvalue())
    return path


def test_the_command_on_a_hostile_data_file_prints_one_line_not_a_traceback(tmp_path):
    evil = evil_npz(tmp_path / "evil.npz")
    done = subprocess.run([sys.executable, "-m", "engine", "train", "--data", str(evil)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "evil.npz" in done.stderr


def test_fit_verbose_2_prints_one_line_per_epoch_with_seconds(capsys):
    from engine.layers import Dense

    model = engine.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])
    rng = np.random.default_rng(0)
    model.fit(rng.random((64, 4)), rng.integers(0, 3, 64), batch_size=32, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("2/2 - ") and "s - loss: " in lines[1] and "accuracy: " in lines[1]

"""``python -m engine train`` prints what the book prints; ``python -m engine.bench`` prints JSON."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

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


def test_bad_flags_get_a_clear_message_and_a_nonzero_exit(capsys):
    assert main(["train", "--sample", "--learning-rate", "-1"]) == 2
    assert "learning_rate" in capsys.readouterr().err
    assert main(["train", "--data", "/no/such/mnist.npz"]) == 2
    assert "mnist.npz" in capsys.readouterr().err


def test_the_module_runs_as_a_script():
    done = subprocess.run([sys.executable, "-m", "engine", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and "train" in done.stdout


def test_the_benchmark_counts_98_gflop_per_epoch_and_prints_one_json_line(capsys):
    assert round(bench.epoch_gflop(60000, 128), 2) == 98.18
    assert bench.gemm_ceiling(repeats=1, inner=2) > 0
    assert bench.main(["--sample", "--epochs", "2"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["samples"] == 6000 and len(result["epoch_seconds"]) == 2
    assert result["seconds_per_epoch"] > 0 and 0 < result["fraction_of_ceiling"]
    assert np.isclose(result["achieved_gflops"], result["gflop_per_epoch"] / result["seconds_per_epoch"], rtol=0.01)
    assert result["test_accuracy"] > 0.8
    # the GEMM-only epochs were timed alongside, and an epoch of products alone takes less time
    assert 0 < result["gemm_only_seconds_per_epoch"] < result["seconds_per_epoch"]
    assert np.isclose(result["fraction_of_gemm_only_epoch"],
                      result["gemm_only_seconds_per_epoch"] / result["seconds_per_epoch"], atol=0.002)


def test_fit_verbose_2_prints_one_line_per_epoch_with_seconds(capsys):
    from engine.layers import Dense

    model = engine.Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])
    rng = np.random.default_rng(0)
    model.fit(rng.random((64, 4)), rng.integers(0, 3, 64), batch_size=32, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("2/2 - ") and "s - loss: " in lines[1] and "accuracy: " in lines[1]

"""``python -m engine train --model convnet`` and ``python -m engine.bench --model convnet``."""
import json

import numpy as np

import engine
from engine import bench, bench_convnet, examples
from engine.__main__ import main
from engine.datasets import mnist


def test_train_the_convnet_on_the_sample_prints_its_summary_and_saves_it(capsys, tmp_path, monkeypatch):
    full_sample = mnist.load_sample
    monkeypatch.setattr(mnist, "load_sample", lambda: tuple((x[:640], y[:640]) for x, y in full_sample()))
    saved = tmp_path / "convnet.npz"
    assert main(["train", "--model", "convnet", "--sample", "--epochs", "1", "--seed", "0", "--save", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "Total params: 93,322" in out and "conv2d (Conv2D)" in out
    assert "10/10 [" in out  # 640 digits in batches of 64 (the book's batch size for the convnet)
    accuracy = float(out.split("$accuracy\n[1] ")[1].split()[0])
    assert 0 <= accuracy <= 1
    classes = out.split("predict_classes(test_images[1:10, ])\n [1] ")[1].split()[:10]
    (_, _), (x_test, _) = full_sample()
    model = engine.load_model(saved)
    assert [int(c) for c in classes] == model.predict_classes(examples.images(x_test[:10], "convnet")).tolist()


def test_images_are_the_book_s_preprocessing():
    digits = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28) % 256
    digits = digits.astype(np.uint8)
    np.testing.assert_array_equal(examples.images(digits, "convnet"), (digits.astype("float32") / 255).reshape(2, 28, 28, 1))
    np.testing.assert_array_equal(examples.images(digits, "dense"), (digits.astype("float32") / 255).reshape(2, 784))


def test_the_convnet_step_makes_its_products_through_the_named_operations():
    products = bench_convnet.step_products(examples.convnet(), 64)
    # conv1: forward and kernel gradient only (its input needs no gradient); conv2 and conv3 pass
    # one piece of the input gradient per kernel offset
    assert products[:2] == [("matmul", 64 * 26 * 26, 9, 32), ("matmul_at_b", 64 * 26 * 26, 9, 32)]
    assert products.count(("matmul_a_bt", 64 * 11 * 11, 64, 32)) == 9
    assert round(bench_convnet.epoch_gflop(products, 938), 1) == 983.1


def test_the_convnet_benchmark_prints_one_json_line_with_peak_memory(capsys, monkeypatch):
    """The format only, on 300 digits with one-burst ceilings; no duration is asserted."""
    full_load, full_ceiling = bench_convnet.load, bench_convnet.gemm_ceiling
    monkeypatch.setattr(bench_convnet, "load", lambda sample: tuple(a[:300] for a in full_load(True)))
    monkeypatch.setattr(bench_convnet, "gemm_ceiling", lambda products: full_ceiling(products, repeats=1, inner=1))
    assert bench.main(["--model", "convnet", "--sample", "--epochs", "2", "--batch-size", "100"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"seconds_per_epoch", "epoch_seconds", "samples_per_second", "achieved_gflops", "gemm_ceiling_gflops",
            "fraction_of_ceiling", "gemm_only_seconds_per_epoch", "fraction_of_gemm_only_epoch", "train_accuracy",
            "test_accuracy", "test_accuracy_by_seed", "first_10_predicted", "peak_rss_mb", "blas", "threads",
            "numpy"} <= set(result)
    assert (result["model"], result["samples"], result["epochs"], result["batch_size"]) == ("convnet", 300, 2, 100)
    products = bench_convnet.step_products(examples.convnet(), 100)
    assert result["gflop_per_epoch"] == round(bench_convnet.epoch_gflop(products, 3), 2)
    assert result["peak_rss_mb"] > 0 and 0 <= result["test_accuracy"] <= 1

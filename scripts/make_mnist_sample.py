#!/usr/bin/env python3
"""Derive the bundled offline sample ``engine/datasets/data/mnist_sample.npz`` from full MNIST.

The sample is *stratified*: exactly 600 training and 100 test digits of each
class 0..9 (6,000 + 1,000 in all), so a model trained on it sees every digit
equally often. Rows are chosen at random with a fixed seed and then kept in
the order they have in the full file, so the sample looks like a small MNIST.
Two extra arrays, ``train_index`` and ``test_index``, record which rows of the
full file were taken, so anyone can check or rebuild the subset.

Usage::

    python scripts/make_mnist_sample.py [--source mnist.npz] [--out engine/datasets/data/mnist_sample.npz]

``--source`` defaults to ``$PLAYGROUND_MNIST``, else ``../shared/data/mnist.npz``
next to the repository. Running the script twice gives identical arrays.
(The .npz bytes still differ slightly: zip members carry a timestamp.)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.datasets import mnist  # noqa: E402

SEED = 2026
TRAIN_PER_CLASS = 600
TEST_PER_CLASS = 100
DEFAULT_OUT = REPO / "engine" / "datasets" / "data" / "mnist_sample.npz"
MAX_BYTES = 3_000_000


def default_source() -> Path:
    """``$PLAYGROUND_MNIST`` if set, else ``../shared/data/mnist.npz``."""
    env = os.environ.get("PLAYGROUND_MNIST")
    return Path(env) if env else REPO.parent / "shared" / "data" / "mnist.npz"


def stratified_indices(
    labels: np.ndarray, per_class: int, rng: np.random.Generator
) -> np.ndarray:
    """Pick ``per_class`` random rows of each class; return them sorted.

    Every row gets a random key from ``rng.random`` and each class keeps its
    ``per_class`` smallest keys: a uniform sample without replacement. We use
    ``random()`` rather than ``choice()`` because it is a direct function of
    the bit generator, so the draw will not change with NumPy's version.
    """
    keys = rng.random(len(labels))
    chosen = []
    for digit in range(mnist.NUM_CLASSES):
        rows = np.flatnonzero(labels == digit)
        if len(rows) < per_class:
            raise ValueError(f"only {len(rows)} examples of {digit}, need {per_class}")
        order = np.argsort(keys[rows], kind="stable")
        chosen.append(rows[order[:per_class]])
    return np.sort(np.concatenate(chosen)).astype(np.int32)


def make_sample(
    full: mnist.Arrays,
    seed: int = SEED,
    train_per_class: int = TRAIN_PER_CLASS,
    test_per_class: int = TEST_PER_CLASS,
) -> dict[str, np.ndarray]:
    """Return the sample's arrays (``x_train`` ... ``test_index``) from ``full``."""
    (x_train, y_train), (x_test, y_test) = full
    rng = np.random.default_rng(seed)
    train_index = stratified_indices(y_train, train_per_class, rng)
    test_index = stratified_indices(y_test, test_per_class, rng)
    return {
        "x_train": x_train[train_index],
        "y_train": y_train[train_index],
        "x_test": x_test[test_index],
        "y_test": y_test[test_index],
        "train_index": train_index,
        "test_index": test_index,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="full mnist.npz")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="sample to write")
    parser.add_argument("--seed", type=int, default=SEED, help=f"default {SEED}")
    args = parser.parse_args(argv)

    source = args.source or default_source()
    full = mnist.validate(source)  # full size, uint8, labels 0..9
    sample = make_sample(full, seed=args.seed)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as f:  # a file object: numpy adds no ".npz"
        np.savez_compressed(f, **sample)

    size = args.out.stat().st_size
    print(f"source: {source}")
    print(f"wrote:  {args.out} ({size:,} bytes)")
    for split in ("train", "test"):
        counts = np.bincount(sample[f"y_{split}"], minlength=mnist.NUM_CLASSES)
        print(f"{split}: {len(sample[f'y_{split}'])} digits, per class {counts.tolist()}")
    if size > MAX_BYTES:
        print(f"error: sample is larger than {MAX_BYTES:,} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Command line: ``python -m engine train`` runs the chapter's MNIST example and prints what the book shows.

    python -m engine train                      # full MNIST (downloads it once), 5 epochs, batch 128
    python -m engine train --sample --epochs 3  # the bundled sample, offline
    python -m engine train --data mnist.npz --optimizer sgd --learning-rate 0.1 --save model.npz
    python -m engine train --model convnet      # section 5.1's convnet (batch 64 unless given)
    python -m engine train --strategy two_processes  # how fit runs (engine.strategies; default: its choice)
    python -m engine export-keras model.npz keras/  # R and Keras 3 scripts and the weights (engine.keras_export)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from engine import strategies


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="A small Keras-like NumPy engine.")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train the chapter's MNIST network and evaluate it")
    source = train.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="PATH", help="a local mnist.npz (Keras format)")
    source.add_argument("--sample", action="store_true", help="the bundled MNIST sample (offline)")
    train.add_argument("--model", choices=["dense", "convnet"], default="dense",
                       help="chapter 2's dense network or section 5.1's convnet")
    train.add_argument("--epochs", type=int, default=5)
    train.add_argument("--batch-size", type=int, default=None, help="default: 128 (dense), 64 (convnet)")
    train.add_argument("--units", type=int, default=512, help="units of the hidden layer")
    train.add_argument("--optimizer", default="rmsprop", choices=["rmsprop", "sgd", "adam", "adagrad"])
    train.add_argument("--learning-rate", type=float, default=None, help="default: the optimizer's Keras default")
    train.add_argument("--momentum", type=float, default=None, help="for sgd and rmsprop")
    train.add_argument("--validation-split", type=float, default=0.0)
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--save", metavar="PATH", help="save the trained model to this file")
    train.add_argument("--strategy", choices=strategies.names(), default=None,
                       help="how fit runs the steps (default: the fastest this machine supports for the model); "
                            "fit prints which one runs and why")
    train.add_argument("--quiet", action="store_true", help="no per-epoch log")
    export = commands.add_parser("export-keras", help="write a saved model as R and Keras 3 scripts and Keras weights")
    export.add_argument("model_file", metavar="MODEL_FILE", help="a model saved by model.save (or train --save)")
    export.add_argument("out_dir", metavar="OUT_DIR", help="the folder to write into (created if missing)")
    export.add_argument("--epochs", type=int, default=5, help="what the scripts' fit uses (default: the chapter's 5)")
    export.add_argument("--batch-size", type=int, default=128, help="default: the chapter's 128")
    export.add_argument("--dataset", choices=["mnist", "fashion_mnist", "own"], default="mnist",
                        help="what the scripts load: Keras's MNIST (default) or Fashion-MNIST, or your own "
                             "images (the Python script then asks for them with --data)")
    export.add_argument("--data-name", default="", help="with --dataset own: what the scripts call your data")
    return parser


class CommandError(Exception):
    """A problem the command reports in one line (``error: ...``) before exiting with status 2."""


def check_save_path(path: str) -> None:
    """Fail before training, not after it, when ``--save`` cannot be written."""
    target = Path(path)
    if not target.parent.is_dir():
        raise CommandError(f"cannot save to {path}: the folder {target.parent} does not exist")
    if target.is_dir():
        raise CommandError(f"cannot save to {path}: it is a folder; give a file name such as {target / 'model.npz'}")


def load_mnist(args):
    """The data ``--data`` or ``--sample`` names (full MNIST by default). Whatever a damaged or
    hostile file raises becomes one line naming the file, never a traceback."""
    from engine.datasets import mnist

    if args.sample:
        return mnist.load_sample()

    def progress(done, total):
        if total:
            print(f"\rDownloading MNIST: {done / total:6.1%}", end="", file=sys.stderr, flush=True)

    try:
        return mnist.load_data(args.data, progress=progress)
    except (ValueError, OSError) as error:  # what the loader documents: DatasetError, DownloadError
        raise CommandError(str(error)) from None
    except (MemoryError, RecursionError, KeyError, TypeError, IndexError, EOFError, OverflowError,
            AttributeError, RuntimeError, NotImplementedError) as error:
        where = args.data or "the MNIST file"
        detail = str(error) if not isinstance(error, MemoryError) else "it asks for more memory than this computer has"
        raise CommandError(f"{where} is not a usable MNIST file ({type(error).__name__}: {detail})") from None


def train(args) -> int:
    import engine
    from engine import examples

    if args.save:
        check_save_path(args.save)
    if args.seed is not None:
        engine.utils.set_random_seed(args.seed)
    (train_images, train_labels), (test_images, test_labels) = load_mnist(args)

    # the book's preprocessing: (60000, 28, 28) uint8 -> (60000, 784) float32 in [0, 1]
    # (or (60000, 28, 28, 1) images for the convnet)
    train_images = examples.images(train_images, args.model)
    test_images = examples.images(test_images, args.model)
    train_labels_1hot = engine.utils.to_categorical(train_labels, 10)
    test_labels_1hot = engine.utils.to_categorical(test_labels, 10)

    network = examples.convnet() if args.model == "convnet" else examples.dense_network(args.units)
    batch_size = args.batch_size or (64 if args.model == "convnet" else 128)
    options = {}
    if args.learning_rate is not None:
        options["learning_rate"] = args.learning_rate
    if args.momentum is not None:
        if args.optimizer not in ("sgd", "rmsprop"):
            raise ValueError(f"--momentum applies to sgd and rmsprop, not {args.optimizer}")
        options["momentum"] = args.momentum
    network.compile(
        optimizer=engine.optimizers.get(args.optimizer, **options),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    if not args.quiet:
        network.summary()
    with strategies.named(args.strategy):
        network.fit(train_images, train_labels_1hot, epochs=args.epochs, batch_size=batch_size,
                    validation_split=args.validation_split, verbose=0 if args.quiet else 1)
    if network.stop_reason == "nan":
        print(network.stop_message, file=sys.stderr)
    loss, accuracy = network.evaluate(test_images, test_labels_1hot, batch_size=1000 if args.model == "dense" else 250)
    print(f"$loss\n[1] {loss:.7f}\n\n$accuracy\n[1] {accuracy:.4f}")
    classes = network.predict_classes(test_images[:10])
    print("predict_classes(test_images[1:10, ])\n" + " [1] " + " ".join(str(c) for c in classes))
    if args.save:
        network.save(args.save)
        print(f"Saved the model to {args.save}")
    return 0 if network.stop_reason != "nan" else 3


def export_keras(args) -> int:
    """Write the R script, the Keras 3 script and the weights of a saved model (``engine.keras_export``)."""
    from engine import keras_export
    from engine.models import load_model

    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            raise CommandError(f"--{name.replace('_', '-')} must be a positive integer, got {getattr(args, name)}")
    model = load_model(args.model_file)
    recipe = keras_export.recipe_of(model, epochs=args.epochs, batch_size=args.batch_size,
                                    dataset="" if args.dataset == "own" else args.dataset, data_name=args.data_name)
    for path in keras_export.export_keras(model, args.out_dir, recipe):
        print(f"Wrote {path}")
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return export_keras(args) if args.command == "export-keras" else train(args)
    except (CommandError, ValueError, TypeError, OSError) as error:
        print("error: " + " ".join(str(error).split()), file=sys.stderr)  # one line
        return 2
    except MemoryError:
        print("error: not enough memory (try a smaller --units or --batch-size)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    np.set_printoptions(linewidth=100)
    sys.exit(main())

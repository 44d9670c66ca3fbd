"""The ``neural-playground`` entry point: parse the command line, create the app and its window.

    neural-playground                    # the bundled MNIST sample (works offline)
    neural-playground --data mnist.npz   # a local copy of Keras's full MNIST file
"""
from __future__ import annotations

import argparse
import sys

from PySide6.QtWidgets import QApplication


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="neural-playground",
        description="Train the MNIST network of Deep Learning with R, chapter 2, by hand.",
    )
    parser.add_argument("--data", metavar="PATH", help="open this mnist.npz instead of the bundled sample")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Neural Playground")
    app.setOrganizationName("NeuralPlayground")
    app.setStyle("Fusion")  # follows the palette everywhere (light and dark themes)

    from playground.data_loading import load_dataset_file
    from playground.main_window import MainWindow

    dataset, problem = None, None
    if args.data:
        try:
            dataset = load_dataset_file(args.data)
        except (ValueError, OSError) as exc:
            problem = str(exc)
            print(f"neural-playground: {problem}; using the bundled sample instead", file=sys.stderr)
    window = MainWindow(dataset=dataset)
    window.show()
    if problem:
        window.show_error("Could not open the dataset", problem + "\n\nThe bundled sample is open instead.")
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())

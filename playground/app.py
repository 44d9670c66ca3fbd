"""The ``neural-playground`` entry point: parse the command line, create the app and its window.

    neural-playground                    # the bundled MNIST sample (works offline)
    neural-playground --data mnist.npz   # a local copy of Keras's full MNIST file

Without ``--data`` the dataset open when the app last closed is reopened, and the network trained
then comes back (``session_memory``).
"""
from __future__ import annotations

import argparse
import sys

from PySide6.QtWidgets import QApplication

from playground.core import system_check


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="neural-playground",
        description="Train the MNIST network of Deep Learning with R, chapter 2, by hand.",
    )
    parser.add_argument("--data", metavar="PATH", help="open this mnist.npz (or a folder of IDX files) instead of the bundled sample")
    return parser.parse_args(argv)


CANNOT_START = 3  # the exit code when the desktop lacks what Qt needs (Qt's own abort gives 134)


def qt_is_running() -> bool:
    return QApplication.instance() is not None


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not qt_is_running():  # before Qt loads its platform plugin (and may abort)
        problem = system_check.platform_problem()
        if problem:
            print(problem, file=sys.stderr)
            return CANNOT_START
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Neural Playground")
    app.setOrganizationName("NeuralPlayground")
    app.setStyle("Fusion")  # follows the palette everywhere (light and dark themes)

    from playground.core.data_loading import load_dataset_file, open_failed_text
    from playground.main_window import MainWindow
    from playground.training.session_memory import SessionMemory
    from playground.widgets.garbage_collection import freeze_what_lives_now

    dataset, problem = None, None
    if args.data:
        try:
            dataset = load_dataset_file(args.data)
        except Exception as exc:  # noqa: BLE001 - any bad file: fall back to the sample, say why
            problem = open_failed_text(args.data, exc, kept="The bundled sample is open instead.")
            print(f"neural-playground: {problem}", file=sys.stderr)
    window = MainWindow(dataset=dataset)
    window.show()
    window.greet_first_launch()
    memory = SessionMemory(window)  # the dataset and the trained network of the last launch
    memory.restore(reopen_dataset=not args.data)
    if problem:
        window.show_error("Could not open the dataset", problem)
    freeze_what_lives_now()  # the window's objects live as long as the app: full collections skip them
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())

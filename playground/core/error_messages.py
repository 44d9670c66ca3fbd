"""What the app tells the learner when a File menu action fails: what happened, what to do.

The engine's errors are written for programmers (they name ``load_sample()``, ``allow_pickle=``,
environment variables, temporary file names); the learner sees menus and panels. Each function
here turns an exception into the app's words: a first sentence saying what happened, then what
to do, in terms of File menu items and panels. No Qt here: pure text, tested on its own.
(A failed download is worded by ``data_loading.download_failed_text``.)
"""
from __future__ import annotations

import errno
import re
from pathlib import Path

# words that only make sense to someone calling the engine from Python (or to its author)
DEVELOPER_WORDS = (
    "allow_pickle", "pickle", "load_sample", "validate(", "expect_full", "PLAYGROUND_", "--data",
    "np.load", "numpy.", "Traceback", ".tmp", "load_data(", "kwarg", "keyword argument",
)
TEMPORARY_FILE = re.compile(r"\S*\.tmp\b\S*")

OPEN_DATASET = "File > Open dataset…"
LOAD_MODEL = "File > Load model…"
SAVE_MODEL = "File > Save model…"
DOWNLOAD = "Download full MNIST in the Data panel"


def plain(text: str) -> str:
    """``text`` without the parts written for programmers: parentheses and sentences that mention
    a developer word are dropped, temporary file names removed."""
    text = _drop_parentheses(str(text))
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept = [s for s in sentences if not any(word in s for word in DEVELOPER_WORDS)]
    text = TEMPORARY_FILE.sub("", " ".join(kept))
    return re.sub(r"\s+([.,;:])(?=\s|$)", r"\1", re.sub(r"\s{2,}", " ", text)).strip(" ;:,")


def _drop_parentheses(text: str) -> str:
    """Remove each top-level ``( ... )`` that mentions a developer word (nested ones included)."""
    out, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            if depth == 0:
                out.append(text[start:i])
                start = i
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                group = text[start:i + 1]
                if not any(word in group for word in DEVELOPER_WORDS):
                    out.append(group)
                start = i + 1
    out.append(text[start:])
    return "".join(out)


def _name(path) -> str:
    return f"“{Path(path).name or path}”"


def _detail(exc: BaseException, path, *prefixes: str) -> str:
    """The engine's own explanation (ValueError text only), plain, without the path and ``prefixes``."""
    if not isinstance(exc, ValueError):
        return ""
    text = str(exc)
    for spelled in {str(path), str(Path(path).expanduser())}:
        text = text.replace(spelled, "").strip()
    for prefix in prefixes:
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    if text.startswith("is ") and ":" in text:  # "is a corrupt ... file: the reason" -> the reason
        text = text.split(":", 1)[1].strip()
    text = plain(text)
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text.rstrip(".")


def _common_file_problem(exc: BaseException, path) -> str | None:
    """The sentence for problems every file can have (missing, a folder, no permission, memory)."""
    name, text = _name(path), str(exc)
    if isinstance(exc, FileNotFoundError) or (isinstance(exc, ValueError) and text.endswith("does not exist")):
        return f"{name} does not exist (was it moved or deleted?)."
    if isinstance(exc, IsADirectoryError) or Path(path).is_dir():
        return f"{name} is a folder, not a file."
    if isinstance(exc, ValueError) and text.endswith("is not a file"):
        return f"{name} is not a regular file (it is a folder, a pipe or a device), so it was not read."
    if isinstance(exc, PermissionError) or (isinstance(exc, ValueError) and "cannot be read" in text):
        return f"Neural Playground is not allowed to read {name}: check the file's permissions."
    if isinstance(exc, MemoryError):
        return f"{name} declares more data than this computer's memory can hold, so it was not read."
    return None


def open_dataset_failed(path, exc: BaseException, kept: str = "The dataset you had stays open.") -> str:
    """File > Open dataset (and ``--data``) failed: ``kept`` says what is open instead."""
    what = _common_file_problem(exc, path)
    if what is None:
        detail = _detail(exc, path, "is not a valid MNIST file:")
        what = f"{_name(path)} is not a valid MNIST file" + (f": {detail}." if detail else
                                                             ": it is damaged or not Keras's mnist.npz.")
    return f"{what}\n\nUse {OPEN_DATASET} to choose Keras's mnist.npz, or {DOWNLOAD}. {kept}"


def load_model_failed(path, exc: BaseException) -> str:
    """File > Load model failed: the current network stays."""
    what = _common_file_problem(exc, path)
    if what is None:
        detail = _detail(exc, path, "is not a model file saved by Neural Playground")
        what = f"{_name(path)} is not a model file saved by Neural Playground, or it is damaged"
        what += f" ({detail})." if detail else "."
    return (f"{what}\n\nUse {LOAD_MODEL} to choose a model that Neural Playground saved. "
            "The network you had stays as it was.")


def model_unusable(path, problem: str) -> str:
    """A model file that loads but cannot classify the digits (wrong shapes, predictions that fail)."""
    return f"{_name(path)} cannot be used on these digits: {problem}\n\nThe network you had stays as it was."


def save_model_failed(path, exc: BaseException) -> str:
    """File > Save model failed: an earlier file of that name is intact (saves are atomic)."""
    name, folder = _name(path), Path(path).parent
    code = getattr(exc, "errno", None)
    if isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        what = f"The folder {folder} does not exist, so {name} was not saved."
        todo = "Choose an existing folder (or create it first) and save again."
    elif isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = f"Neural Playground is not allowed to write in {folder}, so {name} was not saved."
        todo = "Choose a folder of your own, for example your Documents folder."
    elif code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        what = f"The disk is full, so {name} was not saved."
        todo = "Free some space and save again."
    elif isinstance(exc, IsADirectoryError):
        what, todo = f"{name} is a folder.", "Choose a file name, such as mnist_model.npz."
    elif isinstance(exc, MemoryError):
        what, todo = f"There was not enough memory to save {name}.", "Close other programs and save again."
    else:
        reason = getattr(exc, "strerror", None) or plain(str(exc)) if isinstance(exc, (OSError, ValueError)) else ""
        what = f"{name} could not be saved" + (f" ({reason})." if reason else f" ({type(exc).__name__}).")
        todo = "Try another folder or file name."
    return f"{what}\n\n{todo} An earlier file of that name, if any, is unchanged."


def export_failed(folder, exc: BaseException) -> str:
    code = getattr(exc, "errno", None)
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = f"Neural Playground is not allowed to write in {folder}."
    elif code == errno.ENOSPC:
        what = "The disk is full."
    else:
        reason = getattr(exc, "strerror", None) or plain(str(exc))
        what = f"The plots could not be written to {folder}" + (f" ({reason})." if reason else ".")
    return f"{what}\n\nChoose another folder and export again."


IMPORT_KERAS_WEIGHTS = "File > Import > Keras weights…"


def export_keras_failed(folder, exc: BaseException) -> str:
    """File > Export > Keras failed: nothing half-written is left (each file is written atomically)."""
    code = getattr(exc, "errno", None)
    if isinstance(exc, ValueError):  # the network itself cannot be exported (diverged, not for MNIST)
        return f"{plain(str(exc)).rstrip('.')}.\n\nTrain the network again, then export it."
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = f"Neural Playground is not allowed to write in {folder}."
    elif code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        what = "The disk is full."
    elif isinstance(exc, NotADirectoryError):
        what = f"{folder} is a file, not a folder."
    else:
        reason = getattr(exc, "strerror", None) or plain(str(exc))
        what = f"The Keras files could not be written to {folder}" + (f" ({reason})." if reason else ".")
    return f"{what}\n\nChoose another folder and export again."


def import_keras_weights_failed(path, exc: BaseException) -> str:
    """File > Import > Keras weights failed: the network keeps the weights it had."""
    what = _common_file_problem(exc, path)
    if what is None:
        detail = _detail(exc, path).lstrip(": ")
        what = (f"{_name(path)} does not hold weights for the network in the Network panel"
                + (f": {detail}." if detail else "."))
    return (f"{what}\n\nDesign the same layers as the Keras model in the Network panel, then use "
            f"{IMPORT_KERAS_WEIGHTS} with its weights saved as np.savez(path, *model.get_weights()). "
            "The network you had stays as it was.")

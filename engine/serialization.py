"""Save and load whole models: architecture, weights and compile settings in one ``.npz`` file.

The file is a NumPy archive (no pickle: loading never runs code) holding a JSON document under
``__model__`` and the weights as ``weight_0``, ``weight_1``... It is written to a temporary file
beside the target and then renamed over it, so a crash never leaves a half-written model.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

FORMAT = "neural-playground-model"
VERSION = 1


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_model(model, filepath) -> None:
    path = Path(filepath)
    if not model.built:
        raise ValueError("Cannot save a model that is not built yet (its weights don't exist)")
    document = {
        "format": FORMAT,
        "version": VERSION,
        "config": model.get_config(),
        "compile": None
        if model.optimizer is None
        else {
            "optimizer": model.optimizer.get_config(),
            "loss": model.loss.name,
            "metrics": list(model.metrics),
        },
    }
    arrays = {f"weight_{i}": w for i, w in enumerate(model.get_weights())}
    arrays["__model__"] = np.frombuffer(json.dumps(document).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def load_model(filepath):
    from engine.models import Sequential
    from engine import optimizers

    path = Path(filepath)
    if not path.exists():
        raise FileNotFoundError(f"No model file at {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise ValueError(f"{path} is not a model file saved by Neural Playground (unreadable archive: {error})") from None
    if "__model__" not in arrays:
        raise ValueError(f"{path} is not a model file saved by Neural Playground (no model description inside)")
    try:
        document = json.loads(arrays["__model__"].tobytes().decode("utf-8"))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError("unknown format")
        if document.get("version", 0) > VERSION:
            raise ValueError(f"saved by a newer version (format {document['version']})")
        model = Sequential.from_config(document["config"])
        weights = [arrays[f"weight_{i}"] for i in range(len(model.get_weights()))]
        model.set_weights(weights)
        compiled = document.get("compile")
        if compiled:
            model.compile(
                optimizer=optimizers.deserialize(compiled["optimizer"]),
                loss=compiled["loss"],
                metrics=compiled.get("metrics") or None,
            )
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is a corrupt or incompatible model file: {error}") from None
    return model

"""Save and load whole models: architecture, weights and compile settings in one ``.npz`` file.

The file is a NumPy archive (no pickle: loading never runs code) holding a JSON document under
``__model__`` and the weights as ``weight_0``, ``weight_1``... It is written to a temporary file
beside the target and then renamed over it, so a crash never leaves a half-written model; a
temporary file left by a save that was killed is removed by a later save of the same file.

``load_model`` treats the file as hostile until it has checked it: it refuses anything but a
regular file (a FIFO would block forever), reads only the members it needs, checks each array's
declared shape and type in its ``.npy`` header before reading its data, caps the size of the
description and the number of parameters it may declare (``MAX_PARAMS``), and checks the layers'
settings before building anything. A missing file raises ``FileNotFoundError``; every other
problem with the file raises ``ValueError`` naming the file (an ``OSError`` only when the system
cannot read it, e.g. permission denied).
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np

FORMAT = "neural-playground-model"
VERSION = 1
MAX_PARAMS = 50_000_000  # 200 MB of float32 weights; the app's designs stay under 20 million
MAX_LAYERS = 1_000
MAX_DESCRIPTION_BYTES = 1 << 20  # the JSON document: a few kilobytes for any real model
STALE_TEMP_SECONDS = 600  # a temporary file untouched this long belongs to a save that died
WEIGHT_DTYPES = ("float16", "float32", "float64")
LAYER_DTYPES = ("float32", "float64")


class _Refused(Exception):
    """A reason the file is refused; ``load_model`` turns it into the ``ValueError`` it documents."""


# ----- writing ----------------------------------------------------------------------------------
def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one.

    Errors name ``path`` (never the temporary file): a missing folder raises
    ``FileNotFoundError("Cannot save ...: the folder ... does not exist")``.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"Cannot save {path.name}: the folder {folder} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"Cannot save to {path}: it is a folder; choose a file name")
    remove_stale_temporary_files(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise type(error)(f"Cannot save {path}: {error.strerror or error}") from error
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(error, OSError) and getattr(error, "filename", None) is not None:
            raise type(error)(f"Cannot save {path}: {error.strerror or error}") from error
        raise


def temporary_file_pattern(path: Path) -> re.Pattern:
    """The names ``tempfile.mkstemp`` gives the temporary files of saves to ``path``."""
    return re.compile(rf"^\.{re.escape(Path(path).name)}\.[a-z0-9_]{{8}}\.tmp$")


def remove_stale_temporary_files(path: Path, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove the temporary files that saves to ``path`` left behind when they were killed.

    Only regular files named as this module names them, untouched for ``older_than`` seconds
    (a save still writing its file touches it), are removed; anything else is left alone.
    Returns the removed paths.
    """
    path = Path(path)
    pattern = temporary_file_pattern(path)
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime >= older_than:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def _json_value(value):
    """NumPy scalars in a layer's settings (``Dropout(seed=np.int64(1))``) as plain numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def save_model(model, filepath) -> None:
    """Write ``model`` to ``filepath`` atomically (see ``atomic_write_bytes`` for the errors)."""
    path = Path(filepath)
    if not model.built:
        raise ValueError("Cannot save a model that is not built yet (its weights don't exist)")
    weights = model.get_weights()
    if not all(np.isfinite(w).all() for w in weights):
        raise ValueError(
            "Cannot save the model: its weights are NaN or infinite (training diverged). "
            "Reset the weights or train again before saving."
        )
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
    arrays = {f"weight_{i}": w for i, w in enumerate(weights)}
    arrays["__model__"] = np.frombuffer(json.dumps(document, default=_json_value).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


# ----- reading ----------------------------------------------------------------------------------
def load_model(filepath):
    """The model saved in ``filepath`` by ``save_model``.

    Raises ``FileNotFoundError`` when there is no such file, and ``ValueError`` (naming the file)
    when it is not a model file, is damaged, or describes a model this engine cannot or will not
    build; an ``OSError`` only when the system refuses to read it.
    """
    path = Path(filepath)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"No model file at {path}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"{path} is a folder, not a model file saved by Neural Playground")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is not a model file saved by Neural Playground (it is not a regular file)")
    # O_NONBLOCK: should a pipe take the file's place after the check above, opening it won't block
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ValueError(f"{path} is not a model file saved by Neural Playground (it is not a regular file)")
        try:
            return _load(f, path)
        except _Refused as reason:
            raise ValueError(f"{path} is not a model file saved by Neural Playground ({reason})") from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
                RecursionError, MemoryError, UnicodeDecodeError) as error:
            raise ValueError(f"{path} is a corrupt or incompatible model file: {_describe(error)}") from None


def _describe(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"{error.args[0]!r} is missing" if error.args else "a required entry is missing"
    if isinstance(error, RecursionError):
        return "its description is nested too deeply"
    if isinstance(error, MemoryError):
        return "it describes more data than this computer can hold"
    return str(error)


def _open_archive(f) -> zipfile.ZipFile:
    head = f.read(6)
    f.seek(0)
    if head == b"\x93NUMPY":
        raise _Refused("it is a single NumPy array (.npy), not a model archive (.npz)")
    try:
        return zipfile.ZipFile(f)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError, NotImplementedError, RuntimeError):
        raise _Refused("it is not a NumPy .npz archive") from None


def _load(f, path: Path):
    from engine import optimizers
    from engine.models import Sequential

    with _open_archive(f) as archive:
        members = set(archive.namelist())
        if "__model__.npy" not in members:
            raise _Refused("no model description inside")
        description = _read_array(archive, "__model__", ("uint8",), MAX_DESCRIPTION_BYTES)
        try:
            document = json.loads(description.tobytes().decode("utf-8"))
        except RecursionError:
            raise ValueError("its description is nested too deeply") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError("unknown format")
        version = document.get("version", 0)
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValueError(f"unknown format version {version!r}")
        if version > VERSION:
            raise ValueError(f"saved by a newer version (format {version})")
        config = document["config"]
        check_config(config)
        model = Sequential.from_config(config)
        if not model.built:
            raise ValueError("the model has no input shape")
        expected = [w for layer in model.layers for w in layer.all_weights]
        weights = []
        for i, weight in enumerate(expected):
            if f"weight_{i}.npy" not in members:
                raise ValueError(f"weight_{i} is missing")
            weights.append(_read_array(archive, f"weight_{i}", WEIGHT_DTYPES, weight.nbytes * 2, weight.shape))
    for i, weight in enumerate(weights):
        if not np.isfinite(weight).all():
            raise ValueError(f"weight_{i} holds NaN or infinite values (saved after training diverged?)")
    model.set_weights(weights)
    compiled = document.get("compile")
    if compiled:
        if not isinstance(compiled, dict) or not isinstance(compiled.get("optimizer"), dict):
            raise ValueError("its compile settings are not a description of an optimizer and a loss")
        model.compile(
            optimizer=optimizers.deserialize(compiled["optimizer"]),
            loss=compiled["loss"],
            metrics=compiled.get("metrics") or None,
        )
    try:  # one sample through the network: whatever the settings, it must compute an output
        output = model.predict(np.zeros((1, *model.input_shape), dtype=model.weights[0].dtype if model.weights else None))
    except (TypeError, ValueError, FloatingPointError, AttributeError, IndexError) as error:
        raise ValueError(f"its network cannot compute an output ({error})") from None
    if output.dtype.kind != "f":
        raise ValueError(f"its network computes {output.dtype} values instead of numbers")
    return model


def _read_array(archive: zipfile.ZipFile, key: str, dtypes, max_bytes: int, shape=None) -> np.ndarray:
    """Member ``key`` of ``archive``, after checking its ``.npy`` header: one of ``dtypes``, at
    most ``max_bytes`` of data, and of shape ``shape`` if given. Nothing else is read."""
    info = archive.getinfo(f"{key}.npy")
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                declared, fortran, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                declared, fortran, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise ValueError(f"{key} is stored in an unknown .npy version {version}")
            if dtype.hasobject or dtype.name not in dtypes:
                raise ValueError(f"{key} holds {dtype} values, expected {' or '.join(dtypes)}")
            if shape is not None and tuple(declared) != tuple(shape):
                raise ValueError(f"{key} has shape {tuple(declared)}, but the model needs {tuple(shape)}")
            nbytes = math.prod(declared) * dtype.itemsize
            if nbytes > max_bytes:
                raise ValueError(f"{key} declares {nbytes:,} bytes, more than the {max_bytes:,} allowed")
            if member.tell() + nbytes > info.file_size:
                raise ValueError(f"{key} is truncated")
            data = member.read(nbytes)
            member.read(1)  # reaches the member's end, where zipfile checks its CRC
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as error:
        raise ValueError(f"{key} is damaged ({type(error).__name__})") from None
    if len(data) != nbytes:
        raise ValueError(f"{key} is truncated")
    return np.frombuffer(data, dtype=dtype).reshape(declared, order="F" if fortran else "C")


def check_config(config) -> None:
    """Refuse a model description before anything is built from it: its layers' settings (their
    ``dtype`` and ``input_shape``), its size (``MAX_LAYERS``) and the parameters it declares
    (``MAX_PARAMS``), so that a small file can never ask for gigabytes."""
    from engine.layers import deserialize
    from engine.layers.base import _as_shape

    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError("its architecture is not a list of layers")
    if not isinstance(config.get("name", ""), str):
        raise ValueError("the model's name is not text")
    configs = config["layers"]
    if not configs:
        raise ValueError("the model has no layers")
    if len(configs) > MAX_LAYERS:
        raise ValueError(f"it declares {len(configs):,} layers, more than the {MAX_LAYERS:,} allowed")
    for i, layer_config in enumerate(configs):
        if not isinstance(layer_config, dict) or not isinstance(layer_config.get("config"), dict):
            raise ValueError(f"layer {i} is not described by a class name and settings")
        settings = layer_config["config"]
        if not isinstance(settings.get("name", ""), (str, type(None))):
            raise ValueError(f"layer {i}'s name is not text")
        dtype = settings.get("dtype")
        if dtype is not None and dtype not in LAYER_DTYPES:
            raise ValueError(f"layer {i} computes in {dtype!r}; only {' or '.join(LAYER_DTYPES)} are supported")
    layers = [deserialize(layer_config) for layer_config in configs]
    shape = layers[0].input_shape
    if shape is None and config.get("input_shape") is not None:
        shape = _as_shape(config["input_shape"], "input_shape")
    total = 0
    for layer in layers:
        if shape is None:
            break
        values = math.prod(shape)
        if values > MAX_PARAMS:
            raise ValueError(f"layer {layer.name or type(layer).__name__!r} takes {values:,} values per sample, "
                             f"more than the {MAX_PARAMS:,} allowed")
        units = getattr(layer, "units", None)
        if units is not None:  # a Dense layer: kernel and bias
            total += values * units + (units if getattr(layer, "use_bias", True) else 0)
            if total > MAX_PARAMS:
                raise ValueError(f"it declares {total:,} parameters or more, more than the {MAX_PARAMS:,} allowed")
        shape = tuple(layer.compute_output_shape(shape))

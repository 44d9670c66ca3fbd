"""IDX files, the format MNIST and Fashion-MNIST were published in (LeCun's "idx3-ubyte").

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian 32-bit size per dimension, then the values, row-major. Both datasets use type
0x08 (unsigned bytes): images as ``(n, 28, 28)``, labels as ``(n,)``; they are published gzipped.

``read_idx(path)`` reads one file (gzipped or not) and trusts nothing: the header is checked
(type, rank, sizes against :data:`MAX_ITEMS`) before anything is allocated, and exactly the
declared number of bytes must follow. ``load_folder(folder)`` reads the four files of a dataset
in MNIST's format (the names Keras and LeCun use, with or without ``.gz``) and returns
``(x_train, y_train), (x_test, y_test)`` as ``mnist.load_data`` does.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from engine.datasets.mnist import MAX_DIGITS, Arrays, DatasetError

UNSIGNED_BYTE = 0x08
MAX_ITEMS = MAX_DIGITS  # the most images (or labels) one file may declare
MAX_RANK = 3
#: The four files of a dataset in MNIST's format, as Keras and LeCun name them.
FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
READ_ERRORS = (OSError, EOFError, zlib.error, gzip.BadGzipFile)


def read_idx(path) -> np.ndarray:
    """The array stored in the IDX file ``path`` (``.gz`` or plain): uint8, shape as declared."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file" if not path.exists() else f"{path}: not a regular file")
    opener = gzip.open if _is_gzip(path) else open
    try:
        with opener(path, "rb") as stream:
            header = stream.read(4)
            if len(header) < 4 or header[:2] != b"\0\0":
                raise DatasetError(f"{path.name}: not an IDX file (it does not start with an IDX header)")
            kind, rank = header[2], header[3]
            if kind != UNSIGNED_BYTE:
                raise DatasetError(f"{path.name}: holds values of IDX type 0x{kind:02x}; only unsigned bytes "
                                   "(0x08, as in MNIST) are read")
            if not 1 <= rank <= MAX_RANK:
                raise DatasetError(f"{path.name}: declares {rank} dimensions; MNIST's files have 1 (labels) or 3 (images)")
            sizes = stream.read(4 * rank)
            if len(sizes) < 4 * rank:
                raise DatasetError(f"{path.name}: ends inside its header")
            shape = struct.unpack(f">{rank}I", sizes)
            if shape[0] > MAX_ITEMS:
                raise DatasetError(f"{path.name}: declares {shape[0]:,} items, more than the {MAX_ITEMS:,} "
                                   "this app reads")
            if rank == 3 and shape[1:] != (28, 28):
                raise DatasetError(f"{path.name}: declares images of {shape[1]} x {shape[2]} pixels; "
                                   "MNIST's format has 28 x 28")
            count = int(np.prod(shape, dtype=np.int64))
            data = stream.read(count + 1)  # one byte more: a file longer than declared is refused too
    except READ_ERRORS as exc:
        raise DatasetError(f"{path.name}: cannot be read ({exc})") from None
    if len(data) != count:
        raise DatasetError(f"{path.name}: declares {count:,} bytes of values but holds "
                           f"{'more' if len(data) > count else f'{len(data):,}'}")
    return np.frombuffer(data, np.uint8).reshape(shape).copy()


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as stream:
        return stream.read(2) == b"\x1f\x8b"


def find_files(folder) -> dict[str, Path]:
    """The four files in ``folder`` by their role (``x_train``...), gzipped or not."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    found = {}
    for key, stem in FILES.items():
        for name in (f"{stem}.gz", stem, stem.replace("-idx", ".idx")):
            if (folder / name).is_file():
                found[key] = folder / name
                break
        else:
            raise DatasetError(f"{folder}: has no {stem}.gz (a dataset in MNIST's format has four files: "
                               f"{', '.join(s + '.gz' for s in FILES.values())})")
    return found


def load_folder(folder) -> Arrays:
    """The dataset in ``folder``'s four IDX files, checked: labels read first, counts that agree."""
    paths = find_files(folder)
    arrays = {}
    for labels, images in (("y_train", "x_train"), ("y_test", "x_test")):
        y = read_idx(paths[labels])
        if y.ndim != 1:
            raise DatasetError(f"{paths[labels].name}: labels must be one number per image, got shape {y.shape}")
        x = read_idx(paths[images])
        if x.ndim != 3 or len(x) != len(y):
            raise DatasetError(f"{paths[images].name}: {x.shape[0]:,} images for {len(y):,} labels")
        if len(y) and y.max() > 9:
            raise DatasetError(f"{paths[labels].name}: label {int(y.max())} is not a class from 0 to 9")
        arrays[labels], arrays[images] = y, x
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def write_idx(path, array: np.ndarray, compress: bool = True) -> None:
    """Write a uint8 array as an IDX file (for tests and for exporting a dataset), atomically."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    data = bytes([0, 0, UNSIGNED_BYTE, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part")
    try:
        with (gzip.open(tmp, "wb") if compress else open(tmp, "wb")) as stream:
            stream.write(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

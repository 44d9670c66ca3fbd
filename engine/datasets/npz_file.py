"""Reading named arrays from a ``.npz`` archive without trusting it.

A ``.npz`` file is a zip archive of ``.npy`` files, and each ``.npy`` file starts with a short
header that *declares* its array: dtype, shape and memory order. ``numpy.load`` believes that
header and allocates the declared array before reading a byte of data, so a 2 MB file that
declares 2.7 million images (they compress to nothing when they are all zeros) asks for 2 GB.
This module reads the headers first, so the caller can check every declared shape, dtype and
size before anything big is allocated, and then reads only the members it asked for.

Every problem is a ``ValueError`` whose message names it in plain words (the caller adds the
file's name); nothing is ever unpickled (``allow_pickle=False``).
"""
from __future__ import annotations

import math
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

#: The problems a damaged or hostile archive can raise while being read.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError)


@dataclass(frozen=True)
class Declared:
    """What a ``.npy`` member's header says about its array (nothing read yet)."""

    key: str
    member: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    data_offset: int  # bytes of magic and header before the data

    @property
    def nbytes(self) -> int:
        """Bytes of data the header promises (a Python int: no overflow)."""
        return math.prod(self.shape) * self.dtype.itemsize

    def size_problem(self) -> str | None:
        """Why the member's size in the archive does not match its header, or None."""
        promised = self.data_offset + self.nbytes
        if self.member.file_size != promised:
            return (f"{self.key} declares {format_bytes(self.nbytes)} of data but holds "
                    f"{format_bytes(max(self.member.file_size - self.data_offset, 0))}")
        return None


def format_bytes(count: int) -> str:
    """``47,040,000 bytes``: exact, because the numbers are compared."""
    return f"{count:,} byte{'' if count == 1 else 's'}"


def members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's arrays by key, as ``numpy.load`` names them (``x_train.npy`` is ``x_train``)."""
    found: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if key not in found or info.filename.endswith(".npy"):
            found[key] = info
    return found


def declared(archive: zipfile.ZipFile, key: str, info: zipfile.ZipInfo) -> Declared:
    """Read only the header of member ``info``; raise ``ValueError`` if it is not a ``.npy`` array."""
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
        except ValueError:
            raise ValueError(f"{key} is not a NumPy array (.npy)") from None
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"{key} uses .npy format {version[0]}.{version[1]}, which is not supported here")
        offset = member.tell()
    if any(n < 0 for n in shape):
        raise ValueError(f"{key} declares the impossible shape {shape}")
    return Declared(key, info, tuple(int(n) for n in shape), np.dtype(dtype), bool(fortran_order), offset)


def read(archive: zipfile.ZipFile, header: Declared) -> np.ndarray:
    """Read the array ``header`` describes (check it first: this allocates ``header.nbytes``)."""
    problem = header.size_problem()
    if problem:
        raise ValueError(problem)
    with archive.open(header.member) as member:
        array = np.lib.format.read_array(member, allow_pickle=False)
    if array.shape != header.shape or array.dtype != header.dtype:
        raise ValueError(f"{header.key} changed while it was read")
    return array

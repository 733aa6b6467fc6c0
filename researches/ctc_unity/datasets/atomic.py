"""Atomic file writing: write to a temporary file in the same folder, then rename.

An interrupted run therefore never leaves a half-written manifest, config or feature file;
the previous version (or nothing) stays in place.
"""
import contextlib
import os
import tempfile
from typing import Iterator

import numpy as np


@contextlib.contextmanager
def atomic_open(path: str, mode: str = "w", encoding: str = "utf-8") -> Iterator:
    """Open a temporary file beside ``path``; on success it replaces ``path``.

    Args:
        path: destination.
        mode: ``"w"`` (text, ``encoding``) or ``"wb"``.

    Yields:
        the open file object. If the block raises, the temporary file is removed and
        ``path`` is untouched.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path)[-16:])
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": encoding, "newline": ""})) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save_npy_atomic(path: str, array: np.ndarray) -> None:
    """``np.save`` through :func:`atomic_open` (``path`` should end in ``.npy``)."""
    with atomic_open(path, "wb") as fh:
        np.save(fh, array)


def write_lines_atomic(path: str, lines) -> None:
    """Write one string per line (``\\n`` endings) atomically."""
    with atomic_open(path) as fh:
        for line in lines:
            fh.write(f"{line}\n")

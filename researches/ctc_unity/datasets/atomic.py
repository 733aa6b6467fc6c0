"""Atomic file writing: write to a temporary file in the same folder, then rename.

An interrupted run therefore never leaves a half-written manifest, config or feature file;
the previous version (or nothing) stays in place.
"""
import contextlib
import csv
import json
import os
import tempfile
from typing import Iterable, Iterator, Mapping, Optional, Sequence

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


def write_json_atomic(path: str, obj: object, indent: Optional[int] = 2, sort_keys: bool = False) -> None:
    """Write ``obj`` as UTF-8 JSON (non-ASCII kept as is, one trailing newline) to ``path`` atomically.

    Args:
        path: destination (parent folders are created).
        obj: a JSON-serialisable object.
        indent: ``json.dumps`` indentation.
        sort_keys: sort mapping keys.

    Raises:
        TypeError: if ``obj`` is not JSON-serialisable (nothing is written: the text is
            built before the file is opened).
    """
    text = json.dumps(obj, ensure_ascii=False, indent=indent, sort_keys=sort_keys)
    with atomic_open(path) as fh:
        fh.write(text + "\n")


def write_csv_atomic(path: str, rows: Iterable[Mapping[str, object]], fieldnames: Optional[Sequence[str]] = None,
                     delimiter: str = ",", extrasaction: str = "raise") -> None:
    """Write dict rows with a header line (``csv.DictWriter``) to ``path`` atomically.

    Args:
        path: destination.
        rows: one mapping per row.
        fieldnames: columns in order; default: every key of ``rows`` in first-seen order.
        delimiter: ``","`` for CSV, ``"\\t"`` for TSV.
        extrasaction: ``"raise"`` (a key not in ``fieldnames`` is an error) or ``"ignore"``.
    """
    rows = list(rows)
    if fieldnames is None:
        fieldnames = []
        for r in rows:
            fieldnames += [k for k in r if k not in fieldnames]
    with atomic_open(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fieldnames), delimiter=delimiter, extrasaction=extrasaction)
        writer.writeheader()
        writer.writerows(rows)


def save_figure_atomic(fig, path: str, dpi: int = 120) -> None:
    """Save a matplotlib figure as PNG at ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=dpi)

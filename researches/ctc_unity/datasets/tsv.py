"""Reading tab-separated files: the one reader of every manifest and score TSV of the project.

The dialect is fairseq's (``speech_to_text_dataset``, ``data_utils.load_tsv_to_dicts``): tab
delimiter, ``QUOTE_NONE`` (quotes are ordinary characters), one row per line. Files are read as
UTF-8 with an optional byte-order mark (Common Voice / spreadsheet exports carry one). Writing
goes through :func:`ctc_unity.datasets.corpus.write_raw_tsv` (manifests) or
:func:`ctc_unity.datasets.atomic.write_csv_atomic` (score tables).
"""
import csv
from typing import Dict, Iterator, List, Sequence, Tuple

__all__ = ["read_tsv", "iter_tsv_lines"]


def read_tsv(path: str, required: Sequence[str] = ()) -> List[Dict[str, str]]:
    """Rows of a TSV with a header line, as ``{column: value}`` dicts in file order.

    Blank lines are skipped; a row with fewer fields than the header gets ``None`` for
    the missing columns (``csv.DictReader``).

    Args:
        path: the file.
        required: columns the header must contain.

    Returns:
        one dict per data row (``[]`` for an empty file or a header alone).

    Raises:
        ValueError: naming the file, if a ``required`` column is not in the header.
        OSError: if the file cannot be read.
    """
    with open(path, "r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing} (header: {header})")
        return [dict(r) for r in reader]


def iter_tsv_lines(path: str) -> Iterator[Tuple[int, List[str]]]:
    """``(1-based line number, fields)`` of every non-blank line of a TSV without a header.

    Line endings (``\\n`` or ``\\r\\n``) are removed; fields are not stripped.

    Raises:
        OSError: if the file cannot be read.
    """
    with open(path, "r", encoding="utf-8-sig", newline="") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if line.strip():
                yield lineno, line.split("\t")

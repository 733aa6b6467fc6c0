"""CVSS-C + Common Voice front end: real data in the raw manifest format.

Writes the same ``<split>.tsv`` raw manifests as
:func:`ctc_unity.datasets.corpus.build_corpus` (columns
:data:`~.corpus.RAW_COLUMNS`), without synthesising anything, from the data
layout StreamSpeech's scripts expect:

* Common Voice root (``cv_root``, ``cv-corpus-X/<source language>``): ``clips/<name>.mp3``
  and Common Voice TSVs with a header (``client_id  path  sentence ...``;
  ``path`` is the mp3 file name): ``train.tsv``, ``dev.tsv``, ``test.tsv``
  and optionally ``validated.tsv`` (``validated.tsv`` alone is enough: CVSS-C's split
  TSVs say which clip belongs to which split).
* CVSS-C root for the language pair (``cvss_root``, ``cvss-c/<source>-en``, any of CVSS's X -> En pairs):
  ``train.tsv``, ``dev.tsv``, ``test.tsv`` *without* header, lines
  ``<mp3 name> \\t <English translation>``; target speech in
  ``<split>/<mp3 name>.wav`` (24 kHz mono in the released data).

Joining is on the mp3 name.  The CVSS-C split files define the splits; source
metadata (sentence, client id) is looked up in the union of all Common Voice
TSVs listed above (first occurrence wins), because CVSS-C/CoVoST 2 splits need
not coincide with Common Voice's own ``train/dev/test`` split.

Output columns:

* ``id``: the mp3 name without extension (``common_voice_<source>_17299399``).
* ``src_audio`` / ``tgt_audio``: **absolute** paths of the Common Voice mp3 and
  the CVSS-C WAV (readers use absolute paths as they are, see
  :func:`~.corpus.resolve_audio_path`).  Target audio keeps its original
  sample rate (24 kHz); resampling is left to the downstream feature step.
* ``src_text``: Common Voice ``sentence``; ``tgt_text``: CVSS translation
  (both optionally normalised with :func:`~.corpus.normalize_text`).
* ``speaker``: Common Voice ``client_id``.
* ``src_duration``: always empty (mp3 duration would need decoding);
  ``tgt_duration``: seconds from the WAV header (``soundfile.info``), or empty
  with ``durations=False``.
* ``phenomena``: empty.
"""

from __future__ import annotations

import logging
import os
from typing import Dict, List, Optional, Sequence, Tuple

from .atomic import write_json_atomic
from .corpus import RAW_COLUMNS, SPLITS, compute_corpus_stats, normalize_text, write_raw_tsv
from .grammars import split_lang_pair
from .tsv import iter_tsv_lines, read_tsv

logger = logging.getLogger(__name__)

__all__ = ["CV_REQUIRED_COLUMNS", "read_common_voice_tsv", "read_cvss_tsv", "infer_lang_pair", "check_clip_language",
           "build_cvss_raw"]

#: Columns a Common Voice TSV must have.
CV_REQUIRED_COLUMNS: Tuple[str, ...] = ("client_id", "path", "sentence")
# Common Voice TSVs searched for source metadata, in priority order.
_CV_METADATA_TSVS: Tuple[str, ...] = ("train", "dev", "test", "validated")


def read_common_voice_tsv(path: str) -> Dict[str, Dict[str, str]]:
    """Read a Common Voice TSV (with header) into ``{mp3 name: row}``.

    Args:
        path: e.g. ``<cv_root>/train.tsv``.

    Returns:
        Mapping from the ``path`` column (mp3 file name) to the row dict; on
        duplicate names the first row wins.

    Raises:
        ValueError: naming the file, if a column of
            :data:`CV_REQUIRED_COLUMNS` is missing from the header.
        OSError: if the file cannot be read.
    """
    out: Dict[str, Dict[str, str]] = {}
    for row in read_tsv(path, CV_REQUIRED_COLUMNS):
        name = (row.get("path") or "").strip()
        if name and name not in out:
            out[name] = row
    return out


def read_cvss_tsv(path: str) -> List[Tuple[str, str]]:
    """Read a CVSS-C split TSV (no header): ``<mp3 name> \\t <translation>``.

    Blank lines are skipped.

    Args:
        path: e.g. ``<cvss_root>/train.tsv``.

    Returns:
        ``[(mp3 name, English translation), ...]`` in file order.

    Raises:
        ValueError: naming the file and 1-based line number, if a line has
            fewer than 2 tab-separated columns.
        OSError: if the file cannot be read.
    """
    rows = []
    for lineno, cols in iter_tsv_lines(path):
        if len(cols) < 2:
            raise ValueError(f"{path}:{lineno}: expected 2 tab-separated columns (mp3 name, translation), found {len(cols)}")
        rows.append((cols[0].strip(), cols[1].strip()))
    return rows


def _wav_duration(path: str) -> str:
    import soundfile as sf

    info = sf.info(path)
    return f"{info.frames / float(info.samplerate):.6f}"


_CLIP_PREFIX = "common_voice_"


def _clip_language(name: str) -> Optional[str]:
    """``common_voice_de_123`` -> ``de`` (Common Voice clip names carry the locale); else None."""
    if not name.startswith(_CLIP_PREFIX):
        return None
    rest = name[len(_CLIP_PREFIX):]
    return rest.rsplit("_", 1)[0] if "_" in rest else None


def infer_lang_pair(cvss_root: str, clip_names: Sequence[str] = ()) -> str:
    """The language pair of a CVSS-C tree: from the folder name, else from the clip names.

    The release names a folder after its pair (``cvss-c/de-en``, ``cvss_c_es_en_v1.0``);
    failing that, Common Voice clip names (``common_voice_<locale>_<n>``) give the source,
    and English is the target (CVSS is X -> English).

    Raises:
        ValueError: naming the folder, when neither gives a single pair.
    """
    base = os.path.basename(os.path.normpath(cvss_root))
    stripped = base
    for prefix in ("cvss_c_", "cvss-c-", "cvss_c-", "cvss-c_"):
        if stripped.lower().startswith(prefix):
            stripped = stripped[len(prefix):]
    stripped = stripped.rsplit("_v", 1)[0]
    for cand in (base, stripped):
        try:
            src, tgt = split_lang_pair(cand)
            return f"{src}-{tgt}"
        except ValueError:
            pass
    langs = {lang for lang in map(_clip_language, clip_names) if lang}
    if len(langs) == 1:
        return f"{langs.pop()}-en"
    raise ValueError(f"{cvss_root}: cannot infer the language pair from the folder name or the clip names "
                     f"(clip locales: {sorted(langs) or 'none'}); give it (--lang-pair <source>-en)")


def check_clip_language(lang_pair: str, clip_names: Sequence[str]) -> None:
    """Check that Common Voice clip names agree with the source language of ``lang_pair``.

    Raises:
        ValueError: naming the first clip of another locale (e.g. a German tree prepared as es-en),
            or for a malformed ``lang_pair``.
    """
    src, _ = split_lang_pair(lang_pair)
    for name in clip_names:
        lang = _clip_language(name)
        if lang is not None and lang != src:
            raise ValueError(f"clip {name!r} is Common Voice locale {lang!r}, but the language pair is {lang_pair} "
                             f"(source {src!r}); check --lang-pair and --cv-root")


def build_cvss_raw(
    cv_root: str,
    cvss_root: str,
    out_dir: str,
    splits: Sequence[str] = SPLITS,
    normalize: bool = False,
    durations: bool = True,
    lang_pair: Optional[str] = None,
) -> Dict[str, Dict[str, int]]:
    """Join CVSS-C and Common Voice into raw ``<split>.tsv`` manifests.

    For each split, every CVSS-C row whose mp3 name is found in the Common
    Voice metadata becomes one manifest row (see the module docstring for the
    columns).  Rows that cannot be joined are dropped *and counted*: a warning
    gives the number of CVSS-C rows with no Common Voice metadata
    (``missing_in_cv``) and the number of rows of Common Voice's
    ``<split>.tsv`` absent from CVSS-C's ``<split>.tsv`` (``missing_in_cvss``;
    informational, since the split definitions may differ).  Duplicate mp3
    names in a CVSS-C split (first kept) and rows whose text is empty (after
    normalisation) are also counted and warned about.  ``corpus_stats.json``
    is written next to the manifests, with the pair in ``lang_pair`` (the data
    preparation writes it into the data config; the server reports it).

    Args:
        cv_root: Common Voice language directory (``clips/``, ``*.tsv``).
        cvss_root: CVSS-C language-pair directory (``<split>.tsv``,
            ``<split>/*.wav``).
        out_dir: where ``<split>.tsv`` and ``corpus_stats.json`` are written.
        splits: split names to process.
        normalize: apply :func:`~.corpus.normalize_text` to both texts.
        durations: fill ``tgt_duration`` (seconds) from the WAV headers.
        lang_pair: ``<source>-<target>`` (``de-en``); default: :func:`infer_lang_pair`.

    Returns:
        ``{split: {"rows", "missing_in_cv", "missing_in_cvss", "duplicates",
        "empty_text"}}`` (counts).

    Raises:
        ValueError: naming the file, if a required TSV is missing, a Common
            Voice TSV lacks a required column, a CVSS-C line is malformed, or
            a referenced source mp3 / target WAV does not exist, or the pair is not given
            and cannot be inferred, or disagrees with the clip names.
    """
    cv_root = os.path.abspath(cv_root)
    cvss_root = os.path.abspath(cvss_root)
    clips = os.path.join(cv_root, "clips")

    for split in splits:
        path = os.path.join(cvss_root, f"{split}.tsv")
        if not os.path.isfile(path):
            raise ValueError(f"required TSV not found: {path}")
    # Common Voice metadata: the split TSVs and/or validated.tsv (a download may hold only validated.tsv;
    # CVSS-C's own split TSVs say which clip is in which split)
    have_cv = [n for n in dict.fromkeys([*splits, *_CV_METADATA_TSVS])
               if os.path.isfile(os.path.join(cv_root, f"{n}.tsv"))]
    if not have_cv or ("validated" not in have_cv and not all(s in have_cv for s in splits)):
        missing = [os.path.join(cv_root, f"{s}.tsv") for s in splits if s not in have_cv]
        raise ValueError(f"required TSV not found: {missing[0] if missing else cv_root} "
                         f"(Common Voice needs its split TSVs or validated.tsv)")

    cv_by_file: Dict[str, Dict[str, Dict[str, str]]] = {}
    cv_index: Dict[str, Dict[str, str]] = {}
    for name in list(dict.fromkeys([*splits, *_CV_METADATA_TSVS])):
        path = os.path.join(cv_root, f"{name}.tsv")
        if not os.path.isfile(path):
            continue
        rows = read_common_voice_tsv(path)
        cv_by_file[name] = rows
        for k, v in rows.items():
            cv_index.setdefault(k, v)
    logger.info("Common Voice metadata: %d clips from %s", len(cv_index), sorted(cv_by_file))

    summary: Dict[str, Dict[str, int]] = {}
    out_rows: Dict[str, List[dict]] = {}
    for split in splits:
        cvss_tsv = os.path.join(cvss_root, f"{split}.tsv")
        cvss_rows = read_cvss_tsv(cvss_tsv)
        seen = set()
        rows: List[dict] = []
        missing_in_cv = duplicates = empty = 0
        for mp3, translation in cvss_rows:
            if mp3 in seen:
                duplicates += 1
                continue
            seen.add(mp3)
            meta = cv_index.get(mp3)
            if meta is None:
                missing_in_cv += 1
                continue
            src_text = (meta.get("sentence") or "").strip()
            tgt_text = translation
            if normalize:
                src_text, tgt_text = normalize_text(src_text), normalize_text(tgt_text)
            if not src_text or not tgt_text:
                empty += 1
                continue
            src_audio = os.path.join(clips, mp3)
            tgt_audio = os.path.join(cvss_root, split, f"{mp3}.wav")
            if not os.path.isfile(src_audio):
                raise ValueError(f"{cvss_tsv}: source audio for {mp3!r} not found: {src_audio}")
            if not os.path.isfile(tgt_audio):
                raise ValueError(f"{cvss_tsv}: target audio for {mp3!r} not found: {tgt_audio}")
            uid = mp3[:-4] if mp3.lower().endswith(".mp3") else os.path.splitext(mp3)[0]
            rows.append(
                {
                    "id": uid,
                    "src_audio": src_audio,
                    "tgt_audio": tgt_audio,
                    "src_text": src_text,
                    "tgt_text": tgt_text,
                    "speaker": (meta.get("client_id") or "").strip(),
                    "src_duration": "",
                    "tgt_duration": _wav_duration(tgt_audio) if durations else "",
                    "phenomena": "",
                }
            )
        missing_in_cvss = sum(1 for k in cv_by_file.get(split, {}) if k not in seen)
        if missing_in_cv:
            logger.warning("%s: %d of %d CVSS-C row(s) have no Common Voice metadata and were dropped",
                           split, missing_in_cv, len(cvss_rows))
        if missing_in_cvss:
            logger.warning("%s: %d row(s) of Common Voice %s.tsv have no CVSS-C translation in %s",
                           split, missing_in_cvss, split, cvss_tsv)
        if duplicates:
            logger.warning("%s: %d duplicate mp3 name(s) in %s (first kept)", split, duplicates, cvss_tsv)
        if empty:
            logger.warning("%s: %d row(s) with empty source or target text dropped", split, empty)
        write_raw_tsv(os.path.join(out_dir, f"{split}.tsv"), rows, RAW_COLUMNS)
        logger.info("%s: wrote %d rows", split, len(rows))
        out_rows[split] = rows
        summary[split] = {
            "rows": len(rows),
            "missing_in_cv": missing_in_cv,
            "missing_in_cvss": missing_in_cvss,
            "duplicates": duplicates,
            "empty_text": empty,
        }
    clip_names = [r["id"] for rows in out_rows.values() for r in rows]
    if lang_pair is None:
        lang_pair = infer_lang_pair(cvss_root, clip_names)
    check_clip_language(lang_pair, clip_names)
    logger.info("language pair %s", lang_pair)
    stats = compute_corpus_stats(out_rows, lang_pair)
    stats["join"] = summary
    write_json_atomic(os.path.join(out_dir, "corpus_stats.json"), stats)
    return summary

"""The embedded default corpus of EchoStream, at the *raw* level.

Text comes either from an X/English grammar of :mod:`.grammars`
(:mod:`ctc_unity.datasets.grammar`) or from any parallel TSV file
(:func:`read_parallel_tsv`); :func:`build_corpus` then synthesises source
speech (one of the grammar's :func:`~.tts.source_speakers`, drawn per utterance) and English
target speech (:data:`~.tts.TARGET_SPEAKER`) with espeak-ng.

Raw corpus layout (``out_dir``)::

    wav/src/<id>.wav          source speech, 16 kHz mono int16
    wav/tgt/<id>.wav          English target speech, 16 kHz mono int16
    wav/manifest.json         per-utterance fingerprints (text + voice), for resuming
    <split>.tsv               one manifest per split (train, dev, test)
    corpus_stats.json         summary statistics

``<split>.tsv`` is tab-separated, with a header row and the columns of
:data:`RAW_COLUMNS`::

    id  src_audio  tgt_audio  src_text  tgt_text  speaker  src_duration  tgt_duration  phenomena

* ``id``: ``<split>_<6-digit index>``, e.g. ``train_000123``.
* ``src_audio`` / ``tgt_audio``: audio paths.  Paths written by
  :func:`build_corpus` are relative (``wav/src/train_000123.wav``); readers
  resolve relative paths against the directory containing the TSV (see
  :func:`resolve_audio_path` / :func:`load_raw_tsv`).  Absolute paths (as
  written by the CVSS-C front end) are used as they are.
* ``speaker``: source speaker profile name (``<voice>+<variant>``, e.g. ``de+m3``); per-utterance rate
  and pitch jitter is not part of the name.
* ``src_duration`` / ``tgt_duration``: seconds, may be empty when unknown.
* ``phenomena``: grammar phenomena joined with :data:`PHENOMENA_SEP`; empty for
  TSV-sourced text.

The TSV is written with :mod:`csv` (tab delimiter, ``QUOTE_NONE``, no escape
character); fields must not contain tabs or newlines.  Read it with
:func:`load_raw_tsv` (or :func:`ctc_unity.datasets.tsv.read_tsv`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import multiprocessing
import os
import random
import unicodedata
from collections import Counter
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import tts
from .atomic import atomic_open, write_json_atomic
from .grammars import DEFAULT_LANG_PAIR, get_grammar, split_lang_pair
from .tsv import iter_tsv_lines, read_tsv

logger = logging.getLogger(__name__)

__all__ = [
    "RAW_COLUMNS",
    "PHENOMENA_SEP",
    "SPLITS",
    "normalize_text",
    "read_parallel_tsv",
    "split_tsv_pairs",
    "grammar_splits",
    "speaker_for_utterance",
    "utterance_id",
    "write_raw_tsv",
    "load_raw_tsv",
    "resolve_audio_path",
    "compute_corpus_stats",
    "build_corpus",
    "synthesize_files",
]

#: Columns of a raw ``<split>.tsv`` manifest, in order.
RAW_COLUMNS: Tuple[str, ...] = (
    "id",
    "src_audio",
    "tgt_audio",
    "src_text",
    "tgt_text",
    "speaker",
    "src_duration",
    "tgt_duration",
    "phenomena",
)
#: Separator of phenomenon names in the ``phenomena`` column.
PHENOMENA_SEP = ","
#: Split names, in the order they are written.
SPLITS: Tuple[str, ...] = ("train", "dev", "test")

_FORBIDDEN_FIELD_CHARS = ("\t", "\n", "\r")

# --------------------------------------------------------------------------- text

_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'"}
_HYPHENS = {"\u2010": "-", "\u2011": "-"}


def normalize_text(text: str) -> str:
    """Lower-case ``text`` and strip punctuation.

    Keeps letters (any script, accents included), digits, apostrophes and
    hyphens; every other character becomes a space.  Typographic apostrophes
    (’ ‘ ʼ) become ``'`` and Unicode hyphens (‐ ‑) become ``-``; tokens made
    only of apostrophes/hyphens are dropped and whitespace is collapsed.  The
    text is NFC-normalised first so that accented letters stay single code
    points.  This is the single normalisation used by the embedded corpus and
    the CVSS-C front end.

    Example: ``"« Aujourd’hui, c'est l'été ! »"`` -> ``"aujourd'hui c'est l'été"``.

    Args:
        text: raw sentence.

    Returns:
        The normalised sentence (possibly empty).
    """
    text = unicodedata.normalize("NFC", text).lower()
    out = []
    for ch in text:
        ch = _APOSTROPHES.get(ch, _HYPHENS.get(ch, ch))
        cat = unicodedata.category(ch)
        if cat[0] == "L" or cat == "Nd" or cat == "Mn" or ch in "'-":
            out.append(ch)
        else:
            out.append(" ")
    tokens = [t for t in "".join(out).split() if t.strip("'-")]
    return " ".join(tokens)


def _check_field(value: str, what: str) -> str:
    for ch in _FORBIDDEN_FIELD_CHARS:
        if ch in value:
            raise ValueError(f"{what} contains a {ch!r} character, which the raw TSV format forbids: {value!r}")
    return value


def read_parallel_tsv(
    path: str,
    src_col: int = 0,
    tgt_col: int = 1,
    normalize: bool = False,
) -> list:
    """Read a parallel source/target (X/English) TSV file into sentence pairs.

    Each non-blank line is ``col0 \\t col1 [\\t anything ...]``; ``src_col`` and
    ``tgt_col`` (0-based) choose which columns hold the source and the target text.  For a
    Tatoeba export (``English \\t X \\t attribution``) use ``src_col=1,
    tgt_col=0``.  Blank lines are skipped; a UTF-8 BOM is ignored.  Fields are
    stripped of surrounding whitespace.  Pairs whose source or target text is
    empty (after normalisation, if enabled) are skipped with a warning giving
    their count.

    Args:
        path: TSV file (UTF-8).
        src_col: 0-based column index of the source text.
        tgt_col: 0-based column index of the target text.
        normalize: apply :func:`normalize_text` to both sides.

    Returns:
        ``list[SentencePair]`` (from the grammar module) with empty
        ``phenomena``, in file order (duplicates kept; see
        :func:`split_tsv_pairs`).

    Raises:
        ValueError: if ``src_col == tgt_col`` or a column index is negative, or
            a line has fewer columns than needed (message names the file and
            the 1-based line number).
        OSError: if the file cannot be read.
    """
    from .grammar import SentencePair

    if src_col < 0 or tgt_col < 0 or src_col == tgt_col:
        raise ValueError(f"read_parallel_tsv: need two distinct non-negative columns, got src_col={src_col} tgt_col={tgt_col}")
    need = max(src_col, tgt_col) + 1
    pairs = []
    empty = 0
    for lineno, cols in iter_tsv_lines(path):
        if len(cols) < need:
            raise ValueError(
                f"{path}:{lineno}: expected at least {need} tab-separated columns "
                f"(src_col={src_col}, tgt_col={tgt_col}), found {len(cols)}"
            )
        src, tgt = cols[src_col].strip(), cols[tgt_col].strip()
        if normalize:
            src, tgt = normalize_text(src), normalize_text(tgt)
        if not src or not tgt:
            empty += 1
            continue
        pairs.append(SentencePair(src, tgt, ()))
    if empty:
        logger.warning("%s: skipped %d line(s) with an empty source or target side", path, empty)
    return pairs


def split_tsv_pairs(pairs: Sequence, dev_size: int, test_size: int, seed: int = 0) -> Dict[str, list]:
    """Deduplicate TSV pairs and split them into train/dev/test.

    Deduplication is on the source sentence (the first translation seen is
    kept), so the same source sentence can never appear in two splits.  The
    split itself is the grammar's ``split_pairs``.

    Args:
        pairs: sentence pairs, e.g. from :func:`read_parallel_tsv`.
        dev_size: number of dev pairs.
        test_size: number of test pairs.
        seed: split seed.

    Returns:
        ``{"train": [...], "dev": [...], "test": [...]}``.

    Raises:
        ValueError: as raised by ``split_pairs`` (e.g. not enough pairs).
    """
    from .grammar import split_pairs

    seen = set()
    unique = []
    for p in pairs:
        if p.src in seen:
            continue
        seen.add(p.src)
        unique.append(p)
    if len(unique) < len(pairs):
        logger.info("dropped %d duplicate source sentence(s); %d unique pairs", len(pairs) - len(unique), len(unique))
    return split_pairs(unique, dev_size, test_size, seed=seed)


def grammar_splits(
    n_train: int,
    n_dev: int,
    n_test: int,
    seed: int = 0,
    min_words: int = 3,
    max_words: int = 20,
    lang_pair: str = DEFAULT_LANG_PAIR,
) -> Dict[str, list]:
    """Generate grammar sentence pairs and split them into train/dev/test.

    ``split_pairs`` drops train pairs that share their source *or target*
    sentence with dev/test, so train can come out short; a few extra pairs are
    then generated (deterministically) until train has ``n_train`` pairs, and
    train is cut to exactly ``n_train``.  dev/test have exactly the requested
    sizes.  The result depends only on the arguments.

    Args:
        n_train, n_dev, n_test: requested pairs per split (>= 0).
        seed: generation and split seed.
        min_words, max_words: source sentence length bounds (words), passed to
            ``generate_pairs``.
        lang_pair: embedded grammar (``fr-en``, ``de-en``, ``es-en``).

    Returns:
        ``{"train": [...], "dev": [...], "test": [...]}`` of ``SentencePair``;
        no source or target sentence occurs in two splits.

    Raises:
        ValueError: as raised by the grammar (e.g. the length bounds do not
            allow that many distinct sentences).
    """
    from .grammar import generate_pairs, split_pairs

    extra = 0
    for _ in range(8):
        pairs = generate_pairs(n_train + n_dev + n_test + extra, seed=seed, min_words=min_words, max_words=max_words,
                               lang_pair=lang_pair)
        splits = split_pairs(pairs, n_dev, n_test, seed=seed)
        short = n_train - len(splits["train"])
        if short <= 0:
            break
        extra += max(8, 2 * short)
    else:
        logger.warning("grammar_splits: only %d of %d train pairs are disjoint from dev/test",
                       len(splits["train"]), n_train)
    splits["train"] = list(splits["train"][:n_train])
    return splits


# --------------------------------------------------------------------------- TSV I/O


def write_raw_tsv(path: str, rows: Iterable[Mapping[str, object]], columns: Sequence[str] = RAW_COLUMNS) -> int:
    """Atomically write a raw manifest TSV (header row + one row per utterance).

    Uses :mod:`csv` with tab delimiter, ``QUOTE_NONE`` and no escape
    character; values are converted with ``str`` (``None`` -> empty).  The file
    is written to a temporary file in the same directory and renamed with
    :func:`os.replace`.

    Args:
        path: destination TSV path.
        rows: mappings with at least the keys in ``columns`` (others ignored).
        columns: column names, in order.

    Returns:
        Number of data rows written.

    Raises:
        ValueError: if a value contains a tab, newline or carriage return, or
            a row lacks a column.
    """
    n = 0
    with atomic_open(path) as fh:
        writer = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None, escapechar=None, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            values = []
            for col in columns:
                if col not in row:
                    raise ValueError(f"{path}: row {row.get('id', n)!r} has no column {col!r}")
                v = row[col]
                v = "" if v is None else str(v)
                values.append(_check_field(v, f"{path}: row {row.get('id', n)!r} column {col!r}"))
            writer.writerow(values)
            n += 1
    return n


def resolve_audio_path(tsv_path: str, audio_path: str) -> str:
    """Resolve an audio path from a raw TSV: relative paths are relative to the TSV's directory.

    Args:
        tsv_path: path of the TSV the value came from.
        audio_path: ``src_audio`` or ``tgt_audio`` value.

    Returns:
        An absolute path (if ``audio_path`` is absolute it is returned unchanged).
    """
    if os.path.isabs(audio_path):
        return audio_path
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(tsv_path)), audio_path))


def load_raw_tsv(path: str, resolve_paths: bool = True) -> List[Dict[str, str]]:
    """Read a raw ``<split>.tsv`` manifest.

    Args:
        path: TSV path.
        resolve_paths: make ``src_audio``/``tgt_audio`` absolute with
            :func:`resolve_audio_path`.

    Returns:
        One dict per row, column name -> string value.

    Raises:
        ValueError: if the header lacks one of :data:`RAW_COLUMNS`.
    """
    rows = read_tsv(path, RAW_COLUMNS)
    if resolve_paths:
        for r in rows:
            r["src_audio"] = resolve_audio_path(path, r["src_audio"])
            r["tgt_audio"] = resolve_audio_path(path, r["tgt_audio"])
    return rows


# --------------------------------------------------------------------------- statistics


def _duration_summary(values: List[float]) -> Dict[str, Optional[float]]:
    if not values:
        return {"count": 0, "mean": None, "max": None, "min": None, "total": 0.0}
    return {
        "count": len(values),
        "mean": round(sum(values) / len(values), 4),
        "max": round(max(values), 4),
        "min": round(min(values), 4),
        "total": round(sum(values), 3),
    }


def compute_corpus_stats(rows_by_split: Mapping[str, Sequence[Mapping[str, object]]], lang_pair: str = DEFAULT_LANG_PAIR) -> dict:
    """Summarise raw manifest rows.

    Args:
        rows_by_split: split name -> rows (dicts with the :data:`RAW_COLUMNS`
            keys; durations as float or str, empty when unknown).

    Returns:
        A JSON-serialisable dict with ``pairs`` (per split) and
        ``total_pairs``; ``lang_pair``; ``vocab_size`` ``{<src>, <tgt>}`` (distinct whitespace
        tokens of src/tgt text over all splits); ``duration_s`` ``{"src",
        "tgt"}`` each with ``count``, ``mean``, ``max``, ``min``, ``total``
        (seconds; rows with an empty duration are not counted);
        ``num_source_speakers`` and ``speaker_counts``; ``phenomena_counts``
        (utterances per phenomenon).
    """
    src_vocab, tgt_vocab = set(), set()
    src_d: List[float] = []
    tgt_d: List[float] = []
    speakers: Counter = Counter()
    phenomena: Counter = Counter()
    pairs = {}
    for split, rows in rows_by_split.items():
        pairs[split] = len(rows)
        for r in rows:
            src_vocab.update(str(r["src_text"]).split())
            tgt_vocab.update(str(r["tgt_text"]).split())
            for key, acc in (("src_duration", src_d), ("tgt_duration", tgt_d)):
                v = r.get(key)
                if v not in (None, ""):
                    acc.append(float(v))
            if r.get("speaker"):
                speakers[str(r["speaker"])] += 1
            ph = str(r.get("phenomena") or "")
            for name in ph.split(PHENOMENA_SEP):
                if name:
                    phenomena[name] += 1
    src_lang, tgt_lang = split_lang_pair(lang_pair)
    return {
        "pairs": pairs,
        "total_pairs": sum(pairs.values()),
        "lang_pair": lang_pair,
        "vocab_size": {src_lang: len(src_vocab), tgt_lang: len(tgt_vocab)},
        "duration_s": {"src": _duration_summary(src_d), "tgt": _duration_summary(tgt_d)},
        "num_source_speakers": len(speakers),
        "speaker_counts": dict(sorted(speakers.items())),
        "phenomena_counts": dict(sorted(phenomena.items())),
    }


# --------------------------------------------------------------------------- synthesis


def utterance_id(split: str, index: int) -> str:
    """Return the utterance id ``<split>_<index:06d>`` (e.g. ``train_000123``)."""
    return f"{split}_{index:06d}"


def speaker_for_utterance(seed: int, uid: str, voice: str) -> tts.SpeakerProfile:
    """Return the (jittered) source speaker of utterance ``uid`` over espeak-ng voice ``voice``.

    Deterministic: drawn with :func:`~.tts.draw_source_speaker` from
    ``random.Random(f"{seed}-{uid}")`` among :func:`~.tts.source_speakers` of ``voice`` (the
    grammar module's ``SOURCE_VOICE``), independent of worker count and order.
    """
    return tts.draw_source_speaker(random.Random(f"{seed}-{uid}"), tts.source_speakers(voice))


def _fingerprint(text: str, speaker: tts.SpeakerProfile) -> str:
    key = json.dumps(
        [text, speaker.voice, int(speaker.rate), int(speaker.pitch), speaker.amplitude, tts.OUTPUT_SAMPLE_RATE],
        ensure_ascii=False,
    )
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def _existing_duration(path: str) -> Optional[float]:
    """Duration (s) of an existing non-empty readable WAV, else None."""
    try:
        if os.path.getsize(path) <= 44:
            return None
        d = tts.wav_duration(path)
    except Exception:  # missing, truncated or not a WAV: synthesise again
        return None
    return d if d > 0 else None


def _synth_job(job: Tuple[str, str, tts.SpeakerProfile, str]) -> Tuple[str, float]:
    """Pool task: synthesise one WAV; returns (path, duration in seconds)."""
    text, path, speaker, _kind = job
    return path, tts.synthesize(text, speaker, path)


def _init_worker() -> None:
    """Pool initializer: one intra-op thread per worker process (we run ``workers`` processes)."""
    try:
        import torch

        torch.set_num_threads(1)
    except Exception:  # torch missing: synthesize() will report it
        pass


def synthesize_files(
    jobs: Sequence[Tuple[str, str, tts.SpeakerProfile, str]], workers: int = 2, progress: bool = True
) -> Dict[str, float]:
    """Synthesise many WAVs with espeak-ng in a process pool, with a tqdm progress bar.

    Args:
        jobs: ``(text, out_path, speaker, kind)`` tuples (``kind`` is a free label, e.g. ``"tgt"``).
        workers: synthesis processes (``spawn`` pool, one torch thread each); in-process when
            ``workers <= 1`` or there is at most one job.
        progress: show the progress bar (stderr).

    Returns:
        ``{out_path: duration in seconds}`` for every job.

    Raises:
        RuntimeError: from :func:`~.tts.synthesize` (espeak-ng missing or failing, naming the text).
    """
    from tqdm import tqdm

    durations: Dict[str, float] = {}
    if not jobs:
        return durations
    bar = tqdm(total=len(jobs), desc="synthesising", unit="wav", disable=not progress, dynamic_ncols=True)
    try:
        n_proc = max(1, min(int(workers), len(jobs)))
        if n_proc <= 1:
            for job in jobs:
                path, d = _synth_job(job)
                durations[path] = d
                bar.update(1)
        else:
            ctx = multiprocessing.get_context("spawn")
            chunk = max(1, min(16, len(jobs) // (n_proc * 8)))
            with ctx.Pool(n_proc, initializer=_init_worker) as pool:
                for path, d in pool.imap_unordered(_synth_job, jobs, chunksize=chunk):
                    durations[path] = d
                    bar.update(1)
    finally:
        bar.close()
    return durations


def build_corpus(
    out_dir: str,
    pairs_by_split: Mapping[str, Sequence],
    workers: int = 2,
    seed: int = 0,
    progress: bool = True,
    lang_pair: str = DEFAULT_LANG_PAIR,
) -> dict:
    """Synthesise source/target speech for sentence pairs and write the raw corpus.

    For every pair ``i`` of split ``s`` the utterance id is ``s_<i:06d>``; the
    source text is spoken by a source speaker drawn deterministically from the
    id (:func:`speaker_for_utterance`) and the English text by
    :data:`~.tts.TARGET_SPEAKER`.  Synthesis runs in a ``spawn`` process pool
    of ``workers`` processes (in-process when ``workers <= 1`` or at most one
    file is missing) with a tqdm progress bar.

    Resuming: a WAV that already exists, is non-empty and readable is not
    synthesised again, so an interrupted run can simply be restarted.
    ``wav/manifest.json`` records a fingerprint (text, voice, rate, pitch) for
    every utterance id; it is updated *before* synthesis starts, and an
    existing WAV whose recorded fingerprint differs from the current one (the
    id now denotes another sentence or voice, e.g. after changing ``seed`` or
    the corpus size) is deleted and re-synthesised.  WAVs found without any
    manifest are trusted.  The split TSVs and ``corpus_stats.json`` are written
    only once all audio exists.

    Args:
        out_dir: corpus directory (created if needed); layout in the module
            docstring.
        pairs_by_split: split name -> sequence of pairs with attributes ``src``,
            ``tgt`` and ``phenomena`` (tuple of str), e.g. grammar
            ``SentencePair``.
        workers: number of synthesis processes.
        seed: speaker-assignment seed.
        progress: show a tqdm progress bar (stderr).
        lang_pair: an embedded grammar's pair (:data:`.grammars.LANG_PAIRS`): its ``SOURCE_VOICE`` gives the
            source voices (:func:`~.tts.source_speakers`); also the stats keys.

    Returns:
        The statistics dict written to ``corpus_stats.json`` (see
        :func:`compute_corpus_stats`), plus ``sample_rate`` (16000),
        ``seed`` and ``synthesized_files`` (WAVs synthesised by this call).

    Raises:
        ValueError: if a text contains a tab/newline, or a phenomenon name
            contains :data:`PHENOMENA_SEP`.
        RuntimeError: if espeak-ng is missing or fails (from
            :func:`~.tts.synthesize`).
    """
    out_dir = os.path.abspath(out_dir)
    src_dir = os.path.join(out_dir, "wav", "src")
    tgt_dir = os.path.join(out_dir, "wav", "tgt")
    os.makedirs(src_dir, exist_ok=True)
    os.makedirs(tgt_dir, exist_ok=True)

    voice = get_grammar(lang_pair).SOURCE_VOICE
    # ---- plan: ids, speakers, texts, fingerprints (cheap, in this process)
    plan: Dict[str, List[dict]] = {}
    fingerprints: Dict[str, Dict[str, str]] = {}
    for split, pairs in pairs_by_split.items():
        rows = []
        for i, pair in enumerate(pairs):
            uid = utterance_id(split, i)
            src = _check_field(str(pair.src).strip(), f"{uid} source text")
            tgt = _check_field(str(pair.tgt).strip(), f"{uid} target text")
            if not src or not tgt:
                raise ValueError(f"{uid}: empty source or target text ({pair!r})")
            phen = tuple(getattr(pair, "phenomena", ()) or ())
            for name in phen:
                if PHENOMENA_SEP in name or not name:
                    raise ValueError(f"{uid}: invalid phenomenon name {name!r}")
            spk = speaker_for_utterance(seed, uid, voice)
            rows.append(
                {
                    "id": uid,
                    "src_audio": f"wav/src/{uid}.wav",
                    "tgt_audio": f"wav/tgt/{uid}.wav",
                    "src_text": src,
                    "tgt_text": tgt,
                    "speaker": spk.name,
                    "phenomena": PHENOMENA_SEP.join(phen),
                    "_spk": spk,
                }
            )
            fingerprints[uid] = {"src": _fingerprint(src, spk), "tgt": _fingerprint(tgt, tts.TARGET_SPEAKER)}
        plan[split] = rows

    # ---- invalidate stale audio, then record the plan
    manifest_path = os.path.join(out_dir, "wav", "manifest.json")
    old: Optional[Dict[str, Dict[str, str]]] = None
    if os.path.exists(manifest_path):
        with open(manifest_path, "r", encoding="utf-8") as fh:
            old = json.load(fh)
    stale = 0
    for rows in plan.values():
        for r in rows:
            for side in ("src", "tgt"):
                path = os.path.join(out_dir, r[f"{side}_audio"])
                if not os.path.exists(path):
                    continue
                if old is None:
                    continue  # legacy directory without manifest: trust the audio
                if old.get(r["id"], {}).get(side) != fingerprints[r["id"]][side]:
                    os.unlink(path)
                    stale += 1
    if stale:
        logger.warning("deleted %d stale WAV(s) whose text or voice changed since they were synthesised", stale)
    merged = dict(old or {})
    merged.update(fingerprints)
    write_json_atomic(manifest_path, merged)

    # ---- find what is missing
    durations: Dict[str, float] = {}
    todo: List[Tuple[str, str, tts.SpeakerProfile, str]] = []
    for rows in plan.values():
        for r in rows:
            for side, text, spk in (("src", r["src_text"], r["_spk"]), ("tgt", r["tgt_text"], tts.TARGET_SPEAKER)):
                path = os.path.join(out_dir, r[f"{side}_audio"])
                d = _existing_duration(path)
                if d is None:
                    todo.append((text, path, spk, side))
                else:
                    durations[path] = d
    n_total = 2 * sum(len(rows) for rows in plan.values())
    logger.info("%d WAV files in plan, %d already present, %d to synthesise (workers=%d)",
                n_total, n_total - len(todo), len(todo), workers)

    # ---- synthesise
    durations.update(synthesize_files(todo, workers=workers, progress=progress))

    # ---- manifests and statistics
    out_rows: Dict[str, List[dict]] = {}
    for split, rows in plan.items():
        final = []
        for r in rows:
            r = dict(r)
            r.pop("_spk")
            r["src_duration"] = f"{durations[os.path.join(out_dir, r['src_audio'])]:.6f}"
            r["tgt_duration"] = f"{durations[os.path.join(out_dir, r['tgt_audio'])]:.6f}"
            final.append(r)
        write_raw_tsv(os.path.join(out_dir, f"{split}.tsv"), final)
        out_rows[split] = final
    stats = compute_corpus_stats(out_rows, lang_pair)
    stats["sample_rate"] = tts.OUTPUT_SAMPLE_RATE
    stats["seed"] = seed
    write_json_atomic(os.path.join(out_dir, "corpus_stats.json"), stats)
    stats = dict(stats)
    stats["synthesized_files"] = len(todo)
    return stats

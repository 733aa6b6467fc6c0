"""Target-only training rows for the unit path (stage 2): target text -> target voice -> units.

With ``--unit-states tokens`` the unit path (unit text encoder + CTC unit decoder) reads the
written target subwords, not the speech encoder: it is a text-to-unit model of the target voice,
and stage 2 (``train_t2u.sh``, ``--train-unit-decoder-only``) trains it on the target side of the
corpus alone. Its training data is therefore not limited to the parallel corpus: any target text
of the domain, spoken in the corpus's target voice (espeak-ng, :data:`~.tts.TARGET_SPEAKER`) and
turned into units by the data's own unit extractor, is a valid training pair. This is the
target-side augmentation of text-to-unit models (as back-translated or synthetic target data in
speech-to-unit translation, e.g. Popuri et al. 2022, "Enhanced direct speech-to-speech translation
using self-supervised pre-training and data augmentation"). It only applies where the target
speech *is* the synthetic voice (the embedded corpora); CVSS-C's target voice is another TTS.

:func:`prepare_target_set` adds one split (default ``train_t2u``) to a prepared data folder
(:mod:`.prepare`)::

    target_set/<split>/wav/<id>.wav   target speech, 16 kHz mono (espeak-ng, the target voice)
    target_set/<split>/texts.tsv      id, text (what was spoken; a resumed run must match it)
    target_set/<split>/stats.json     sizes and timings
    target_only_source.npy            one frame of zero fbank: the source of every target-only row
    <split>.tsv                       fairseq manifest; src_audio = target_only_source.npy,
                                      src_n_frames = the target speech's frames (100 Hz, for batching)
    <tgt multitask folder>/<split>.tsv   target subwords (MT and ST-CTC targets)
    <src multitask folder>/<split>.tsv   "<unk>": these rows have no source text (fairseq drops empty rows)
    units/<split>.tsv                 reduced units and durations

The rows carry no source speech or source text, so only unit-path-only training may read them:
the ``speech_to_speech_ctc`` task refuses to load a split that contains them otherwise
(:func:`has_target_only_rows`). Train on them with ``train-subset=train,<split>`` (``train_t2u.sh``'s
``TARGET_SET``); dev and test stay the real parallel splits.
"""
import json
import logging
import os
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import yaml

from . import tts
from .atomic import save_npy_atomic, write_json_atomic
from .corpus import _existing_duration, synthesize_files, write_raw_tsv
from .text import SentencePieceText
from .tsv import read_tsv

logger = logging.getLogger(__name__)

#: File name (relative to the data folder) of the placeholder source of target-only rows.
TARGET_ONLY_SOURCE = "target_only_source.npy"
#: Source-text "pieces" of a target-only row (the source is unknown; fairseq skips empty targets).
UNKNOWN_SOURCE = "<unk>"
#: Default split name of the target set.
DEFAULT_SPLIT = "train_t2u"


def has_target_only_rows(source_paths: Sequence[str]) -> bool:
    """Whether a manifest's ``src_audio`` paths include the target-only placeholder."""
    return any(os.path.basename(str(p)) == TARGET_ONLY_SOURCE for p in source_paths)


def grammar_target_texts(n: int, lang_pair: str, seed: int = 1, exclude: Sequence[str] = (),
                         max_words: int = 20) -> List[str]:
    """``n`` distinct target sentences of an embedded grammar, none of them in ``exclude``.

    Generation is the corpus's own (:func:`.grammar.generate_pairs`, deterministic per seed); a
    seed other than the corpus's (0) gives new sentences, and ``exclude`` (e.g. every dev/test
    and train target) removes the rest.

    Raises:
        ValueError: if the grammar cannot give ``n`` new distinct sentences, or an unknown pair.
    """
    from .grammar import generate_pairs

    seen = set(exclude)
    out: List[str] = []
    want = n
    for _ in range(6):
        pairs = generate_pairs(want, seed=seed, max_words=max_words, lang_pair=lang_pair)
        out, taken = [], set()
        for p in pairs:
            t = str(p.tgt).strip()
            if t and t not in seen and t not in taken:
                taken.add(t)
                out.append(t)
                if len(out) == n:
                    return out
        want = int(want * 1.5) + 16
    raise ValueError(f"the {lang_pair} grammar gave only {len(out)} new distinct target sentences of {n} asked")


def _multitask_folders(data_dir: str, multitask_yaml: str) -> Dict[str, bool]:
    """``{folder: is_target_side}`` of the multitask config (target side = the MT task's dictionary)."""
    path = os.path.join(data_dir, multitask_yaml)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"multitask config not found: {path}")
    with open(path, encoding="utf-8") as fh:
        tasks = yaml.safe_load(fh) or {}
    mt = [t for t in tasks.values() if t.get("is_first_pass_decoder")]
    if len(mt) != 1:
        raise ValueError(f"{path}: expected one first-pass (MT) task, found {len(mt)}")
    return {t["data"]: t["dict"] == mt[0]["dict"] for t in tasks.values()}


def corpus_targets(data_dir: str, multitask_yaml: str = "config_mtl_asr_st_ctcst.yaml"):
    """The target SentencePiece model of a prepared data folder and its train/dev/test targets.

    Returns:
        ``(SentencePieceText, {target pieces joined by spaces})``.

    Raises:
        FileNotFoundError: no multitask config, or not exactly one ``.model`` in the target folder.
    """
    folders = _multitask_folders(data_dir, multitask_yaml)
    tgt_folder = next(f for f, is_tgt in folders.items() if is_tgt)
    spm_models = [f for f in os.listdir(os.path.join(data_dir, tgt_folder)) if f.endswith(".model")]
    if len(spm_models) != 1:
        raise FileNotFoundError(f"{os.path.join(data_dir, tgt_folder)}: expected one SentencePiece .model")
    spm = SentencePieceText(os.path.join(data_dir, tgt_folder, spm_models[0]))
    known = set()
    for s in ("train", "dev", "test"):
        path = os.path.join(data_dir, tgt_folder, f"{s}.tsv")
        if os.path.isfile(path):
            known.update(r["tgt_text"] for r in read_tsv(path, ("id", "tgt_text")))
    return spm, known


def prepare_target_set(data_dir: str, texts: Sequence[str], split: str = DEFAULT_SPLIT, workers: int = 2,
                       progress: bool = True, multitask_yaml: str = "config_mtl_asr_st_ctcst.yaml") -> Dict:
    """Speak ``texts`` in the target voice and add them as the target-only split ``split`` of ``data_dir``.

    Texts already in the data's train, dev or test targets (compared as target subwords) or with
    characters outside the target SentencePiece model are dropped and counted; the rest keep their
    order. An interrupted run resumes (existing WAVs of the same texts are kept).

    Args:
        data_dir: a prepared data folder (:func:`.prepare.prepare`): its ``units/`` extractor,
            multitask folders and SentencePiece models are used as they are.
        texts: target sentences, normalized like the corpus (:func:`.corpus.normalize_text`).
        split: name of the new split (must not be ``train``, ``dev`` or ``test``).
        workers: synthesis / unit-extraction processes.

    Returns:
        The statistics written to ``target_set/<split>/stats.json``: texts given, sentences kept and dropped,
        hours of target speech, mean reduced units, and the time of each step (s).

    Raises:
        ValueError: a reserved split name, no sentence left, or ``target_set/<split>/texts.tsv``
            left by a run with other texts (move it away).
        FileNotFoundError: ``data_dir`` is not a prepared data folder.
        RuntimeError: espeak-ng missing or failing (:func:`~.tts.synthesize`).
    """
    from .prepare import _map, _units_job
    from .units import load_extractor

    if split in ("train", "dev", "test") or not split or "," in split:
        raise ValueError(f"target-set split name {split!r} is reserved or invalid (use e.g. {DEFAULT_SPLIT!r})")
    unit_dir = os.path.join(data_dir, "units")
    if not os.path.isfile(os.path.join(unit_dir, "unit_extractor.json")):
        raise FileNotFoundError(f"{data_dir} is not a prepared data folder (no units/unit_extractor.json)")
    folders = _multitask_folders(data_dir, multitask_yaml)
    spm, known = corpus_targets(data_dir, multitask_yaml)
    t0 = time.time()
    kept, pieces, dropped = [], [], {"in_corpus": 0, "unknown_characters": 0, "duplicate": 0, "empty": 0}
    taken = set()
    for t in texts:
        t = t.strip()
        if not t:
            dropped["empty"] += 1
            continue
        if spm.unknown_chars(t):
            dropped["unknown_characters"] += 1
            continue
        p = " ".join(spm.encode(t))
        if p in known:
            dropped["in_corpus"] += 1
        elif p in taken:
            dropped["duplicate"] += 1
        else:
            taken.add(p)
            kept.append(t)
            pieces.append(p)
    if not kept:
        raise ValueError(f"no target sentence left for {split} (dropped: {dropped})")
    if any(dropped.values()):
        logger.info("target set %s: kept %d sentences, dropped %s", split, len(kept), dropped)

    set_dir = os.path.join(data_dir, "target_set", split)
    wav_dir = os.path.join(set_dir, "wav")
    os.makedirs(wav_dir, exist_ok=True)
    ids = [f"{split}_{i:06d}" for i in range(len(kept))]
    texts_tsv = os.path.join(set_dir, "texts.tsv")
    if os.path.isfile(texts_tsv):
        old = [(r["id"], r["text"]) for r in read_tsv(texts_tsv, ("id", "text"))]
        if old != list(zip(ids, kept)):
            raise ValueError(f"{texts_tsv} was written for other texts: move {set_dir} away and run again")
    else:
        write_raw_tsv(texts_tsv, [{"id": i, "text": t} for i, t in zip(ids, kept)], ("id", "text"))

    paths = [os.path.join(wav_dir, f"{i}.wav") for i in ids]
    durations: Dict[str, float] = {}
    todo = []
    for text, path in zip(kept, paths):
        d = _existing_duration(path)
        if d is None:
            todo.append((text, path, tts.TARGET_SPEAKER, "tgt"))
        else:
            durations[path] = d
    logger.info("target set %s: %d sentences, %d to synthesise (workers=%d)", split, len(kept), len(todo), workers)
    durations.update(synthesize_files(todo, workers=workers, progress=progress))
    t_synth = time.time() - t0

    t1 = time.time()
    units_tsv = os.path.join(unit_dir, f"{split}.tsv")
    units: Dict[str, tuple] = {}
    if os.path.isfile(units_tsv):
        loaded = read_tsv(units_tsv, ("id", "units", "durations"))
        if [r["id"] for r in loaded] == ids:
            units = {r["id"]: (r["units"], r["durations"]) for r in loaded}
    if not units:
        extractor = load_extractor(unit_dir)
        jobs = [(i, p, extractor) for i, p in zip(ids, paths)]
        for uid, red, dur in _map(_units_job, jobs, workers, f"units {split}"):
            units[uid] = (" ".join(map(str, red)), " ".join(map(str, dur)))
        write_raw_tsv(units_tsv, [{"id": i, "units": units[i][0], "durations": units[i][1]} for i in ids],
                      ("id", "units", "durations"))
    t_units = time.time() - t1

    save_npy_atomic(os.path.join(data_dir, TARGET_ONLY_SOURCE), np.zeros((1, 80), dtype=np.float32))
    for folder, is_tgt in folders.items():
        write_raw_tsv(os.path.join(data_dir, folder, f"{split}.tsv"),
                      [{"id": i, "tgt_text": p if is_tgt else UNKNOWN_SOURCE} for i, p in zip(ids, pieces)], ("id", "tgt_text"))
    n_units = [len(units[i][0].split()) for i in ids]
    write_raw_tsv(os.path.join(data_dir, f"{split}.tsv"), [{
        "id": i,
        "src_audio": TARGET_ONLY_SOURCE,
        "src_n_frames": max(1, int(round(durations[p] * 100))),
        "tgt_audio": units[i][0],
        "tgt_n_frames": n,
    } for i, p, n in zip(ids, paths, n_units)], ("id", "src_audio", "src_n_frames", "tgt_audio", "tgt_n_frames"))
    stats = {
        "split": split,
        "texts_given": len(texts),
        "sentences": len(kept),
        "dropped": dropped,
        "synthesized_files": len(todo),
        "tgt_hours": round(sum(durations[p] for p in paths) / 3600, 3),
        "reduced_units_mean": round(float(np.mean(n_units)), 1),
        "seconds": {"synthesis": round(t_synth, 1), "units": round(t_units, 1)},
    }
    write_json_atomic(os.path.join(set_dir, "stats.json"), stats)
    logger.info("target set %s ready in %s: %s", split, data_dir, json.dumps(stats))
    return stats


def data_lang_pair(data_dir: str, data_yaml: str = "config_gcmvn.yaml") -> Optional[str]:
    """``<source>-<target>`` recorded in a prepared data config, or None when it records none."""
    path = os.path.join(data_dir, data_yaml)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data config not found: {path}")
    with open(path, encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh) or {}
    src, tgt = cfg.get("source_lang"), cfg.get("target_lang")
    return f"{src}-{tgt}" if src and tgt else None

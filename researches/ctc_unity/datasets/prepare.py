"""S2ST data preparation: raw corpus -> fairseq speech-to-unit data (StreamSpeech layout).

One code path for every front end. Input: a raw folder with ``{train,dev,test}.tsv``
(columns ``id src_audio tgt_audio src_text tgt_text`` at least; see
:mod:`ctc_unity.datasets.corpus` for the embedded corpus and
:mod:`ctc_unity.datasets.cvss` for CVSS-C). Output (``out_dir``)::

    fbank80/<id>.npy                 80-dim log-mel fbank, 25 ms / 10 ms (kaldi, torchaudio)
    gcmvn.npz                        global CMVN (mean, std) over training utterances
    wav16k/{src,tgt}/<id>.wav        16 kHz mono copies, only of files that were not already
    src_unigram<V>/                  spm_unigram<V>.{model,txt}, <split>.tsv (id, tgt_text = pieces)
    tgt_unigram<V>/                  same for the target language
    units/                           unit extractor, <split>.tsv (id, units, durations) — reduced
    <split>.tsv                      fairseq S2ST manifest: id src_audio src_n_frames tgt_audio tgt_n_frames
    config_gcmvn.yaml                data config (global CMVN, SpecAugment, vocoder section, source_lang /
                                     target_lang: the pair, from the raw corpus_stats.json or PrepConfig.lang_pair)
    config_mtl_asr_st_ctcst.yaml     multitask config (ASR CTC, ST CTC, MT first-pass decoder)
    simuleval/<split>/               wav_list.txt, source.txt, target.txt, tgt_wav_list.txt
    data_stats.json                  statistics of the prepared data

Paths inside configs/manifests are relative to ``out_dir`` (the ``speech_to_speech_ctc``
task resolves them), except SimulEval lists, which are absolute. Every step skips work whose
output already exists, so an interrupted run resumes; every file is written atomically.
"""
import json
import logging
import multiprocessing as mp
import os
import random
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import yaml
from tqdm import tqdm

from .atomic import atomic_open, save_npy_atomic, write_json_atomic, write_lines_atomic
from .audio_io import SAMPLE_RATE, is_16k_mono_wav, kaldi_fbank, load_audio, write_wav_atomic
from .corpus import load_raw_tsv, write_raw_tsv
from .tsv import read_tsv
from .text import SentencePieceText, pieces_per_split, train_sentencepiece

logger = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
REQUIRED_COLUMNS = ("id", "src_audio", "tgt_audio", "src_text", "tgt_text")
MANIFEST_COLUMNS = ("id", "src_audio", "src_n_frames", "tgt_audio", "tgt_n_frames")
MULTITASK_YAML = "config_mtl_asr_st_ctcst.yaml"
DATA_YAML = "config_gcmvn.yaml"


def compute_fbank(waveform: torch.Tensor) -> np.ndarray:
    """:func:`audio_io.kaldi_fbank` as a numpy array (what ``fbank80/<id>.npy`` holds).

    Args:
        waveform: ``(n_samples,)`` float audio at 16 kHz in [-1, 1].

    Returns:
        ``(n_frames, 80)`` float32.

    Raises:
        ValueError: if the audio is shorter than one 25 ms window.
    """
    return kaldi_fbank(waveform).numpy().astype(np.float32)


@dataclass
class PrepConfig:
    """Options of :func:`prepare` (see ``preprocess_scripts/prep_s2st_data.py --help``)."""

    raw_dir: str
    out_dir: str
    splits: Sequence[str] = SPLITS
    src_vocab_size: int = 1000
    tgt_vocab_size: int = 1000
    unit_extractor: str = "kmeans"  # "kmeans" or "hubert"
    n_units: int = 200
    hubert_checkpoint: Optional[str] = None
    hubert_layer: int = 11
    hubert_kmeans: Optional[str] = None
    workers: int = 2
    gcmvn_max_utterances: int = 2000
    specaugment: bool = True
    seed: int = 0
    vocoder_checkpoint: Optional[str] = None
    vocoder_config: Optional[str] = None
    #: characters outside the SentencePiece models are an error in every split (default: only in
    #: train, whose text trained the models; in dev/test they become <unk>, counted and logged)
    strict_chars: bool = False
    #: ``<source>-<target>`` of the data; default: ``lang_pair`` of ``<raw_dir>/corpus_stats.json`` (both
    #: front ends write it), else unknown (the data config then has no ``source_lang``/``target_lang``)
    lang_pair: Optional[str] = None


def _check_rows(rows: List[Dict[str, str]], tsv: str) -> None:
    if not rows:
        raise ValueError(f"{tsv}: no utterances")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if missing:
        raise ValueError(f"{tsv}: missing column(s) {missing}")
    for i, r in enumerate(rows):
        for col in REQUIRED_COLUMNS:
            if r.get(col) is None or r[col].strip() == "":
                raise ValueError(f"{tsv}:{i + 2}: empty value in column {col!r} (id {r.get('id')!r})")


# ----------------------------------------------------------------------- audio workers
def _audio_job(job):
    """Worker: features of one source file (+16 kHz copies when needed). Returns a dict."""
    uid, src, tgt, out_dir = job
    torch.set_num_threads(1)
    result = {"id": uid}
    feat_path = os.path.join(out_dir, "fbank80", f"{uid}.npy")
    src16 = src if is_16k_mono_wav(src) else os.path.join(out_dir, "wav16k", "src", f"{uid}.wav")
    tgt16 = tgt if is_16k_mono_wav(tgt) else os.path.join(out_dir, "wav16k", "tgt", f"{uid}.wav")
    notes = []
    if not os.path.exists(feat_path) or (src16 != src and not os.path.exists(src16)):
        wav, info = load_audio(src, quiet=True)
        if info.resampled or info.downmixed:
            notes.append(f"{src}: {info.orig_channels} ch at {info.orig_sample_rate} Hz -> mono 16 kHz")
        if src16 != src and not os.path.exists(src16):
            write_wav_atomic(src16, wav)
        if not os.path.exists(feat_path):
            try:
                save_npy_atomic(feat_path, compute_fbank(wav))
            except ValueError as exc:
                raise ValueError(f"{src}: {exc}") from None
    if tgt16 != tgt and not os.path.exists(tgt16):
        wav, info = load_audio(tgt, quiet=True)
        notes.append(f"{tgt}: {info.orig_channels} ch at {info.orig_sample_rate} Hz -> mono 16 kHz")
        write_wav_atomic(tgt16, wav)
    elif tgt16 == tgt:
        load_audio(tgt, quiet=True)  # still validate (empty / unreadable)
    result["src_n_frames"] = int(np.load(feat_path, mmap_mode="r").shape[0])
    result["src_wav"], result["tgt_wav"], result["notes"] = src16, tgt16, notes
    return result


def _units_job(job):
    uid, wav_path, extractor = job
    torch.set_num_threads(1)
    from .units import reduce_units

    wav, _ = load_audio(wav_path, quiet=True)
    frames = extractor.extract(wav)
    reduced, durations = reduce_units(frames.tolist())
    return uid, reduced, durations


def _map(fn, jobs, workers: int, desc: str):
    if workers <= 1:
        for job in tqdm(jobs, desc=desc, unit="utt"):
            yield fn(job)
        return
    ctx = mp.get_context("fork")
    with ctx.Pool(workers) as pool:
        for res in tqdm(pool.imap(fn, jobs, chunksize=8), total=len(jobs), desc=desc, unit="utt"):
            yield res


# ----------------------------------------------------------------------- steps
def _load_splits(cfg: PrepConfig) -> Dict[str, List[Dict[str, str]]]:
    rows = {}
    for split in cfg.splits:
        tsv = os.path.join(cfg.raw_dir, f"{split}.tsv")
        if not os.path.isfile(tsv):
            raise FileNotFoundError(f"raw manifest not found: {tsv}")
        rows[split] = load_raw_tsv(tsv)
        _check_rows(rows[split], tsv)
    return rows


def _process_audio(cfg: PrepConfig, rows) -> Dict[str, Dict]:
    info = {}
    n_converted = 0
    for split, items in rows.items():
        jobs = [(r["id"], r["src_audio"], r["tgt_audio"], cfg.out_dir) for r in items]
        for res in _map(_audio_job, jobs, cfg.workers, f"audio+fbank {split}"):
            info[res["id"]] = res
            for note in res["notes"]:
                n_converted += 1
                if n_converted <= 5:
                    logger.info(f"converted {note}")
    if n_converted > 5:
        logger.info(f"... {n_converted} files converted to mono 16 kHz in total (copies under wav16k/)")
    return info


def _gcmvn(cfg: PrepConfig, train_ids: List[str]) -> None:
    path = os.path.join(cfg.out_dir, "gcmvn.npz")
    if os.path.exists(path):
        return
    from fairseq.examples.speech_to_text.data_utils import cal_gcmvn_stats

    ids = list(train_ids)
    random.Random(cfg.seed).shuffle(ids)
    feats = [np.load(os.path.join(cfg.out_dir, "fbank80", f"{i}.npy")) for i in ids[: cfg.gcmvn_max_utterances]]
    stats = cal_gcmvn_stats(feats)
    with atomic_open(path, "wb") as fh:
        np.savez(fh, mean=stats["mean"], std=stats["std"])
    logger.info(f"global CMVN from {len(feats)} utterances -> {path}")


def _text(cfg: PrepConfig, rows, side: str, vocab_size: int) -> Dict:
    """Train (if needed) the spm model of one side and write its multitask TSVs."""
    col = "src_text" if side == "src" else "tgt_text"
    folder = os.path.join(cfg.out_dir, f"{side}_unigram{vocab_size}")
    prefix = os.path.join(folder, f"spm_unigram{vocab_size}")
    if not os.path.exists(prefix + ".model") or not os.path.exists(prefix + ".txt"):
        used = train_sentencepiece([r[col] for r in rows["train"]], prefix, vocab_size)
        logger.info(f"{side} SentencePiece unigram: {used} pieces -> {prefix}.model")
    model = SentencePieceText(prefix + ".model")
    texts = {s: [r[col] for r in items] for s, items in rows.items()}
    sources = {s: os.path.join(cfg.raw_dir, f"{s}.tsv") for s in rows}
    unknown: Dict[str, Dict] = {}
    pieces = pieces_per_split(model, texts, sources, strict_splits=None if cfg.strict_chars else ("train",),
                              report=unknown)
    for split, items in rows.items():
        write_raw_tsv(os.path.join(folder, f"{split}.tsv"),
                      [{"id": r["id"], "tgt_text": p} for r, p in zip(items, pieces[split])], ("id", "tgt_text"))
    return {"folder": os.path.basename(folder), "dict": os.path.join(os.path.basename(folder), f"spm_unigram{vocab_size}.txt"),
            "model": prefix + ".model", "pieces": pieces, "size": model.sp.get_piece_size(), "unknown": unknown}


def _build_extractor(cfg: PrepConfig, rows, audio_info):
    from .units import HubertKMeansUnitExtractor, KMeansUnitExtractor, load_extractor, save_hubert_spec

    unit_dir = os.path.join(cfg.out_dir, "units")
    if os.path.exists(os.path.join(unit_dir, "unit_extractor.json")):
        return load_extractor(unit_dir)
    if cfg.unit_extractor == "hubert":
        if not cfg.hubert_checkpoint or not cfg.hubert_kmeans:
            raise ValueError("--unit-extractor hubert needs --hubert-checkpoint and --hubert-kmeans")
        extractor = HubertKMeansUnitExtractor(cfg.hubert_checkpoint, cfg.hubert_layer, cfg.hubert_kmeans)
        save_hubert_spec(unit_dir, cfg.hubert_checkpoint, cfg.hubert_layer, cfg.hubert_kmeans)
        return extractor
    if cfg.unit_extractor != "kmeans":
        raise ValueError(f"unknown unit extractor {cfg.unit_extractor!r} (kmeans or hubert)")
    wavs = (load_audio(audio_info[r["id"]]["tgt_wav"], quiet=True)[0] for r in rows["train"])
    extractor = KMeansUnitExtractor.fit(wavs, n_units=cfg.n_units, seed=cfg.seed)
    extractor.save(unit_dir)
    return extractor


def _units(cfg: PrepConfig, rows, audio_info) -> Tuple[Dict[str, Dict[str, tuple]], int]:
    extractor = _build_extractor(cfg, rows, audio_info)
    out = {}
    for split, items in rows.items():
        path = os.path.join(cfg.out_dir, "units", f"{split}.tsv")
        if os.path.exists(path):
            loaded = read_tsv(path, ("id", "units", "durations"))
            if [r["id"] for r in loaded] == [r["id"] for r in items]:
                out[split] = {r["id"]: (list(map(int, r["units"].split())), list(map(int, r["durations"].split())))
                              for r in loaded}
                continue
        workers = cfg.workers if cfg.unit_extractor == "kmeans" else 1
        jobs = [(r["id"], audio_info[r["id"]]["tgt_wav"], extractor) for r in items]
        res = {uid: (red, dur) for uid, red, dur in _map(_units_job, jobs, workers, f"units {split}")}
        write_raw_tsv(path, [{"id": r["id"], "units": " ".join(map(str, res[r["id"]][0])),
                              "durations": " ".join(map(str, res[r["id"]][1]))} for r in items],
                      ("id", "units", "durations"))
        out[split] = res
    return out, extractor.n_units


def resolve_lang_pair(cfg: PrepConfig) -> Optional[Tuple[str, str]]:
    """``(source, target)`` language codes of the data: ``cfg.lang_pair``, else the raw corpus's stats.

    Raises:
        ValueError: for a malformed pair (naming the stats file when it came from there).
    """
    from .grammars import split_lang_pair

    if cfg.lang_pair:
        return split_lang_pair(cfg.lang_pair)
    path = os.path.join(cfg.raw_dir, "corpus_stats.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as fh:
        pair = json.load(fh).get("lang_pair")
    if not pair:
        return None
    try:
        return split_lang_pair(pair)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def _write_configs(cfg: PrepConfig, src: Dict, tgt: Dict, n_units: int) -> None:
    data_cfg = {
        "input_channels": 1,
        "input_feat_per_channel": 80,
        "global_cmvn": {"stats_npz_path": "gcmvn.npz"},
        "feature_transforms": {"*": ["global_cmvn"],
                               "_train": ["global_cmvn", "specaugment"] if cfg.specaugment else ["global_cmvn"]},
        "specaugment": {"freq_mask_F": 15, "freq_mask_N": 1, "time_mask_N": 1, "time_mask_T": 20,
                        "time_mask_p": 1.0, "time_wrap_W": 0},
        "vocoder": {"type": "code_hifigan",
                    "checkpoint": cfg.vocoder_checkpoint or "vocoder/checkpoint.pt",
                    "config": cfg.vocoder_config or "vocoder/config.json"},
        "n_units": n_units,
        "sample_rate": SAMPLE_RATE,
    }
    langs = resolve_lang_pair(cfg)
    if langs is not None:
        data_cfg["source_lang"], data_cfg["target_lang"] = langs
    with atomic_open(os.path.join(cfg.out_dir, DATA_YAML)) as fh:
        yaml.safe_dump(data_cfg, fh, sort_keys=False)
    mtl = {
        "source_unigram": {"decoder_type": "ctc", "dict": src["dict"], "data": src["folder"],
                           "loss_weight": 1.0, "rdrop_alpha": 0.0, "decoder_args": {"dropout": 0.1}},
        "ctc_target_unigram": {"decoder_type": "ctc", "dict": tgt["dict"], "data": tgt["folder"],
                               "loss_weight": 1.0, "rdrop_alpha": 0.0, "decoder_args": {"dropout": 0.1}},
        "target_unigram": {"decoder_type": "transformer", "dict": tgt["dict"], "data": tgt["folder"],
                           "loss_weight": 1.0, "rdrop_alpha": 0.0, "is_first_pass_decoder": True,
                           "label_smoothing": 0.1, "decoder_args": {"dropout": 0.1}},
    }
    with atomic_open(os.path.join(cfg.out_dir, MULTITASK_YAML)) as fh:
        yaml.safe_dump(mtl, fh, sort_keys=False)


def _stats(rows, audio_info, units, src, tgt, n_units) -> Dict:
    stats = {"splits": {}, "n_units": n_units, "src_vocab": src["size"], "tgt_vocab": tgt["size"]}
    max_ratio = 0.0
    for split, items in rows.items():
        src_sec = [audio_info[r["id"]]["src_n_frames"] / 100 for r in items]
        n_u = [len(units[split][r["id"]][0]) for r in items]
        n_t = [len(p.split()) + 1 for p in tgt["pieces"][split]]  # + </s>: one MT state per token
        ratios = [u / t for u, t in zip(n_u, n_t)]
        max_ratio = max(max_ratio, max(ratios))
        stats["splits"][split] = {
            "utterances": len(items),
            "src_seconds_mean": round(float(np.mean(src_sec)), 3),
            "src_seconds_max": round(float(np.max(src_sec)), 3),
            "src_hours": round(float(np.sum(src_sec)) / 3600, 3),
            "reduced_units_mean": round(float(np.mean(n_u)), 1),
            "tgt_pieces_mean": round(float(np.mean(n_t)) - 1, 2),
            "units_per_tgt_state_mean": round(float(np.mean(ratios)), 2),
            "speakers": len({r.get("speaker", "") for r in items}),
        }
    stats["units_per_tgt_state_max"] = round(max_ratio, 2)
    stats["unknown_characters"] = {"src": src.get("unknown", {}), "tgt": tgt.get("unknown", {})}
    stats["suggested_ctc_upsample_rate"] = int(np.ceil(max_ratio * 1.25))
    return stats


def prepare(cfg: PrepConfig) -> Dict:
    """Run every preparation step (see module docstring); returns the statistics dict.

    Raises:
        FileNotFoundError: raw manifests missing.
        ValueError: bad rows (missing column / empty value, naming file and line), unusable
            audio (:class:`AudioError` names the file), characters outside the SentencePiece
            model in train, or in any split with ``strict_chars`` (:class:`UnknownTokenError` names
            the file and line; otherwise dev/test characters outside it become ``<unk>``, counted per
            split in the log and in ``data_stats.json``'s ``unknown_characters``).
    """
    os.makedirs(cfg.out_dir, exist_ok=True)
    rows = _load_splits(cfg)
    logger.info("utterances: " + ", ".join(f"{s} {len(r)}" for s, r in rows.items()))
    audio_info = _process_audio(cfg, rows)
    _gcmvn(cfg, [r["id"] for r in rows["train"]])
    src = _text(cfg, rows, "src", cfg.src_vocab_size)
    tgt = _text(cfg, rows, "tgt", cfg.tgt_vocab_size)
    units, n_units = _units(cfg, rows, audio_info)
    for split, items in rows.items():
        manifest = [{
            "id": r["id"],
            "src_audio": os.path.relpath(os.path.join(cfg.out_dir, "fbank80", f"{r['id']}.npy"), cfg.out_dir),
            "src_n_frames": audio_info[r["id"]]["src_n_frames"],
            "tgt_audio": " ".join(map(str, units[split][r["id"]][0])),
            "tgt_n_frames": len(units[split][r["id"]][0]),
        } for r in items]
        write_raw_tsv(os.path.join(cfg.out_dir, f"{split}.tsv"), manifest, MANIFEST_COLUMNS)
        sim = os.path.join(cfg.out_dir, "simuleval", split)
        write_lines_atomic(os.path.join(sim, "wav_list.txt"),
                           [os.path.abspath(audio_info[r["id"]]["src_wav"]) for r in items])
        write_lines_atomic(os.path.join(sim, "tgt_wav_list.txt"),
                           [os.path.abspath(audio_info[r["id"]]["tgt_wav"]) for r in items])
        write_lines_atomic(os.path.join(sim, "source.txt"), [r["src_text"] for r in items])
        write_lines_atomic(os.path.join(sim, "target.txt"), [r["tgt_text"] for r in items])
    _write_configs(cfg, src, tgt, n_units)
    stats = _stats(rows, audio_info, units, src, tgt, n_units)
    write_json_atomic(os.path.join(cfg.out_dir, "data_stats.json"), stats)
    logger.info(f"prepared data in {cfg.out_dir}: {stats}")
    return stats

"""Train the character CTC ASR of :mod:`~.ctc_asr` on the target speech of an S2ST corpus.

Usage (``train_asr.sh`` at the repository root runs this with the embedded corpus)::

    python -m ctc_unity.asr_bleu.train_ctc_asr --run-dir runs/asr_ctc --max-minutes 60 \\
        --train-wav-list data/embedded/s2st/simuleval/train/tgt_wav_list.txt \\
        --train-text data/embedded/s2st/simuleval/train/target.txt \\
        --dev-wav-list data/embedded/s2st/simuleval/dev/tgt_wav_list.txt \\
        --dev-text data/embedded/s2st/simuleval/dev/target.txt

Inputs are SimulEval-style lists: one absolute audio path per line, and the text of each line
(normalized with :func:`~.normalize.normalize_text` before training). Outputs in ``--run-dir``::

    checkpoint_last.pt   latest state (model + config + vocabulary + CMVN + optimizer), atomic
    checkpoint_best.pt   lowest dev WER so far (use it with ``--backend ctc:PATH``)
    vocab.txt            output characters, one per line (line i = id i; "<blank>" = 0)
    config.json          model + training configuration
    summary.json         best dev WER/CER/BLEU, steps, wall time
    train.log            progress log (appended across resumed runs)
    tb/                  TensorBoard scalars: train/loss, train/lr, train/steps_per_s, dev/wer, dev/cer, dev/bleu
    cache/               fbank features of each list (float16, about 40 MB per 1000 utterances of
                         2.5 s), reused by later runs (``--cache-dir`` to share it between runs)

Training stops after ``--max-minutes`` of wall clock (per invocation) or ``--max-steps``
total steps; it then evaluates on dev and saves. Re-running the same command resumes from
``checkpoint_last.pt`` (same batch order, mid-epoch), with a fresh time budget. The dev WER
is corpus-level word error rate (%) of greedy decoding on normalized text; dev BLEU is the
ASR-BLEU of the reference dev speech with this ASR, i.e. the ceiling it allows.
"""
import argparse
import hashlib
import logging
import math
import os
import random
import signal
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import sacrebleu
import torch

from ..datasets.atomic import atomic_open, write_json_atomic
from ..datasets.audio_io import load_audio
from ..modules.ctc_decoding import error_rate
from .ctc_asr import (DB_TO_NATS, CTCASRModel, apply_cmvn, build_vocab, encode_text, features, floor_dynamic_range, greedy_decode,
                      load_checkpoint, save_checkpoint)
from .normalize import normalize_text
from .scorer import read_lines

logger = logging.getLogger("asr_bleu.train_ctc_asr")

DEFAULT_DATA = "data/embedded/s2st/simuleval"
MODEL_KEYS = ("d_model", "num_layers", "num_heads", "ffn_dim", "conv_kernel", "subsample_kernels", "dropout")


SHARD = 1000  # utterances per feature-cache file


def _extract(path: str) -> np.ndarray:
    wav, _ = load_audio(path, quiet=True)
    if wav.numel() < 400:
        return np.zeros((0, 80), dtype=np.float16)
    return features(wav).numpy().astype(np.float16)


def _init_worker() -> None:
    torch.set_num_threads(1)


def load_features(wav_list: str, cache_dir: Optional[str], workers: int = 1, limit: int = 0) -> List[torch.Tensor]:
    """fbank features of every file of a list, through a float16 cache.

    Args:
        wav_list: file with one audio path per line.
        cache_dir: folder for the cache (``None``: no cache). The cache is sharded by
            ``SHARD`` consecutive lines; each shard file name hashes its paths, so an
            interrupted extraction resumes shard by shard, a changed list is recomputed, and
            runs on a prefix of the list (``limit``) reuse the full shards.
        workers: processes for extraction (each with one torch thread).
        limit: use only the first ``limit`` lines (0 = all).

    Returns:
        one ``(n_frames, 80)`` float16 tensor per line (``n_frames = 0`` for audio shorter
        than 25 ms).

    Raises:
        AudioError: a missing, unreadable, empty or silent file (named in the message).
    """
    paths = read_lines(wav_list)
    if limit:
        paths = paths[:limit]
    t0 = time.time()
    out: List[torch.Tensor] = []
    n_cached = 0
    pool = None
    try:
        for start in range(0, len(paths), SHARD):
            chunk = paths[start:start + SHARD]
            key = hashlib.sha1("\n".join(chunk).encode()).hexdigest()[:16]
            cache = os.path.join(cache_dir, f"fbank_{key}.pt") if cache_dir else None
            if cache and os.path.isfile(cache):
                blob = torch.load(cache, map_location="cpu", weights_only=True)
                out.extend(torch.split(blob["feats"], blob["lengths"].tolist()))
                n_cached += len(chunk)
                continue
            if workers > 1 and pool is None:
                import multiprocessing as mp

                pool = mp.get_context("spawn").Pool(workers, initializer=_init_worker)
            feats = pool.map(_extract, chunk, chunksize=16) if pool else [_extract(p) for p in chunk]
            shard = [torch.from_numpy(f) for f in feats]
            out.extend(shard)
            if cache:
                with atomic_open(cache, "wb") as fh:
                    torch.save({"feats": torch.cat(shard), "lengths": torch.tensor([len(f) for f in shard])}, fh)
            logger.info(f"features of {wav_list}: {start + len(chunk)}/{len(paths)} ({time.time() - t0:.0f} s)")
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    logger.info(f"features of {wav_list}: {len(paths)} utterances ({n_cached} from cache {cache_dir}) "
                f"in {time.time() - t0:.0f} s")
    return out


def compute_cmvn(feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Global mean and standard deviation ``(80,)`` over all frames of ``feats`` (float64 sums)."""
    total = sum(len(f) for f in feats)
    s = torch.zeros(80, dtype=torch.float64)
    s2 = torch.zeros(80, dtype=torch.float64)
    for f in feats:
        f = f.double()
        s += f.sum(0)
        s2 += (f * f).sum(0)
    mean = s / total
    std = (s2 / total - mean * mean).clamp(min=1e-8).sqrt()
    return mean.float(), std.float()


def make_batches(lengths: Sequence[int], max_frames: int, max_utts: int) -> List[List[int]]:
    """Length-sorted batches with ``n * max_len <= max_frames`` and ``n <= max_utts``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches, cur, cur_max = [], [], 0
    for i in order:
        new_max = max(cur_max, lengths[i])
        if cur and (new_max * (len(cur) + 1) > max_frames or len(cur) >= max_utts):
            batches.append(cur)
            cur, new_max = [], lengths[i]
        cur.append(i)
        cur_max = new_max
    if cur:
        batches.append(cur)
    return batches


def collate(feats: Sequence[torch.Tensor], mean: torch.Tensor, std: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Pad normalized features to ``(B, T_max, 80)`` float32 and return ``(B,)`` lengths."""
    lengths = torch.tensor([len(f) for f in feats])
    out = torch.zeros(len(feats), int(lengths.max()), feats[0].shape[1])
    for i, f in enumerate(feats):
        out[i, : len(f)] = apply_cmvn(f.float(), mean, std)
    return out, lengths


def spec_augment(x: torch.Tensor, lengths: torch.Tensor, rng: random.Random, freq_masks: int = 2,
                 freq_width: int = 15, time_masks: int = 2, time_width: int = 20,
                 time_ratio: float = 0.05) -> torch.Tensor:
    """SpecAugment-style masking in place (Park et al. 2019), without time warping.

    Args:
        x: ``(B, T, F)`` normalized features (masked to 0 = the CMVN mean).
        lengths: ``(B,)`` valid frames.
        rng: random generator.
        freq_masks, freq_width: number and maximum width of frequency masks.
        time_masks, time_width, time_ratio: number of time masks, maximum width
            (``min(time_width, time_ratio * length)``).

    Returns:
        ``x``.
    """
    n_freq = x.shape[2]
    for b in range(x.shape[0]):
        n = int(lengths[b])
        for _ in range(freq_masks):
            w = rng.randint(0, freq_width)
            f0 = rng.randint(0, n_freq - w)
            x[b, :n, f0:f0 + w] = 0
        max_w = min(time_width, int(time_ratio * n))
        for _ in range(time_masks):
            w = rng.randint(0, max_w) if max_w > 0 else 0
            t0 = rng.randint(0, max(0, n - w))
            x[b, t0:t0 + w] = 0
    return x


def insert_silence(x: torch.Tensor, rng: random.Random, max_pauses: int, min_len: int, max_len: int,
                   fill: float) -> torch.Tensor:
    """Insert 1..``max_pauses`` stretches of ``fill`` at random positions along dim 0.

    Shared by the judge's pause augmentation (:func:`insert_pauses`, log-mel frames) and the
    judge robustness test (``scripts/judge_robustness.py``, audio samples).

    Args:
        x: ``(T, ...)`` frames or samples.
        rng: random generator.
        max_pauses: at most this many pauses.
        min_len, max_len: pause length range, in rows of ``x`` (frames or samples).
        fill: the value of the inserted rows.

    Returns:
        ``(T + inserted, ...)``; the rows of ``x`` keep their order.

    Raises:
        ValueError: ``max_pauses < 1`` or ``min_len > max_len``.
    """
    if max_pauses < 1 or min_len > max_len:
        raise ValueError(f"need max_pauses >= 1 and min_len <= max_len, got {max_pauses}, {min_len}, {max_len}")
    cuts = sorted(rng.randint(1, x.shape[0]) for _ in range(rng.randint(1, max_pauses)))
    parts, prev = [], 0
    for c in cuts:
        parts += [x[prev:c], x.new_full((rng.randint(min_len, max_len),) + tuple(x.shape[1:]), fill)]
        prev = c
    parts.append(x[prev:])
    return torch.cat(parts)


def insert_pauses(feats: torch.Tensor, rng: random.Random, max_pauses: int, min_frames: int,
                  max_frames: int, dynamic_range_db: Optional[float] = None) -> torch.Tensor:
    """Insert 1..``max_pauses`` silent stretches at random frames of one utterance.

    Simultaneous S2ST output is heard with pauses wherever the system waits for more
    source (SimulEval inserts digital silence between speech segments), often mid-sentence
    and sometimes mid-word. An ASR judge trained only on continuous sentences misreads them.
    The pause frames carry what silence looks like to the model: the floor of
    :func:`~.ctc_asr.floor_dynamic_range` (``dynamic_range_db`` below the maximum), or the
    utterance's minimum without a floor.

    Args:
        feats: ``(T, F)`` raw (floored, not normalized) log-mel features.
        rng: random generator.
        max_pauses: at most this many pauses (>= 1).
        min_frames, max_frames: pause length range in 10 ms frames.

    Returns:
        ``(T + inserted, F)`` float32 features.

    Raises:
        ValueError: see :func:`insert_silence`.
    """
    x = feats.float()
    if x.shape[0] == 0:
        return x
    floor = float(x.min()) if not dynamic_range_db else float(x.max()) - dynamic_range_db * DB_TO_NATS
    return insert_silence(x, rng, max_pauses, min_frames, max_frames, floor)


def tempo_perturb(feats: torch.Tensor, factor: float) -> torch.Tensor:
    """Change the speaking rate of one utterance's features by ``factor`` (pitch kept).

    Feature-domain counterpart of speed/tempo perturbation (Ko et al. 2015): the frame
    sequence is resampled along time by linear interpolation, so ``factor`` 1.1 gives a
    10 % faster (shorter) utterance. The frequency axis is untouched, i.e. the spectral
    envelope and pitch stay as they were (like sox/ffmpeg ``tempo``, unlike ``speed``).

    Args:
        feats: ``(T, F)`` features (frames at 100 Hz).
        factor: rate factor > 0.

    Returns:
        ``(round(T / factor), F)`` float32 features (at least 1 frame).

    Raises:
        ValueError: ``factor <= 0``.
    """
    if factor <= 0:
        raise ValueError(f"tempo factor must be > 0, got {factor}")
    x = feats.float()
    n_out = max(1, int(round(x.shape[0] / factor)))
    if n_out == x.shape[0]:
        return x
    return torch.nn.functional.interpolate(x.t()[None], size=n_out, mode="linear", align_corners=True)[0].t()


def robustness_augment(x: torch.Tensor, lengths: torch.Tensor, rng: random.Random, noise_std: float = 0.0,
                       smooth_prob: float = 0.0) -> torch.Tensor:
    """Generic channel/vocoder-robustness augmentation, in place, on normalized features.

    * additive Gaussian noise with a per-utterance standard deviation drawn uniformly from
      ``[0, noise_std]`` (in CMVN units), a stand-in for background noise and a raised noise
      floor between harmonics;
    * with probability ``smooth_prob``, a 3-tap box filter along time and along frequency
      (smeared transients and formants, as reverberation or a lossy codec/vocoder produce).

    Args:
        x: ``(B, T, F)`` normalized features; padding frames (beyond ``lengths``) stay 0.
        lengths: ``(B,)`` valid frames.
        rng: random generator (the noise itself comes from torch's generator).
        noise_std: maximum noise standard deviation (0: off).
        smooth_prob: probability of smoothing an utterance (0: off).

    Returns:
        ``x``.
    """
    for b in range(x.shape[0]):
        n = int(lengths[b])
        if n == 0:
            continue
        if smooth_prob > 0 and rng.random() < smooth_prob:
            u = x[b, :n].t()[None]  # (1, F, n)
            u = torch.nn.functional.avg_pool1d(torch.nn.functional.pad(u, (1, 1), mode="replicate"), 3, 1)
            v = u[0].t()[:, None]  # (n, 1, F)
            v = torch.nn.functional.avg_pool1d(torch.nn.functional.pad(v, (1, 1), mode="replicate"), 3, 1)
            x[b, :n] = v[:, 0]
        if noise_std > 0:
            x[b, :n] += torch.randn(n, x.shape[2]) * rng.uniform(0.0, noise_std)
    return x


@torch.no_grad()
def evaluate(model: CTCASRModel, feats: Sequence[torch.Tensor], texts: Sequence[str], vocab: Sequence[str],
             mean: torch.Tensor, std: torch.Tensor, device: str, max_frames: int = 20000) -> Dict:
    """Greedy-decode ``feats`` and score against normalized ``texts``.

    Returns:
        dict: ``wer`` and ``cer`` (corpus-level %, normalized text), ``bleu`` (sacrebleu
        13a), ``n``, ``hyps`` (in input order).
    """
    model.eval()
    keep = [i for i, f in enumerate(feats) if len(f) > 0]
    hyps = [""] * len(feats)
    for batch in make_batches([len(feats[i]) for i in keep], max_frames, 256):
        idx = [keep[j] for j in batch]
        x, lengths = collate([feats[i] for i in idx], mean, std)
        log_probs, out_lengths = model(x.to(device), lengths.to(device))
        for i, h in zip(idx, greedy_decode(log_probs.cpu(), out_lengths.cpu(), vocab)):
            hyps[i] = h
    model.train()
    refs = list(texts)
    return {
        "wer": error_rate([h.split() for h in hyps], [r.split() for r in refs]),
        "cer": error_rate(hyps, refs),
        "bleu": sacrebleu.metrics.BLEU().corpus_score(hyps, [refs]).score,
        "n": len(refs),
        "hyps": hyps,
    }


def _lr_lambda(warmup: int):
    def fn(step: int) -> float:
        step = max(step, 1)
        return min(step / warmup, math.sqrt(warmup / step))

    return fn


def _setup_logging(run_dir: str) -> None:
    os.makedirs(run_dir, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s | %(levelname)s | %(name)s | %(message)s", "%Y-%m-%d %H:%M:%S")
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in [h for h in root.handlers if getattr(h, "_asr_bleu_train", False)]:
        root.removeHandler(handler)
        handler.close()
    for handler in (logging.StreamHandler(sys.stdout), logging.FileHandler(os.path.join(run_dir, "train.log"))):
        handler.setFormatter(fmt)
        handler._asr_bleu_train = True
        root.addHandler(handler)


def get_parser() -> argparse.ArgumentParser:
    """Command-line options of :func:`train` (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--train-wav-list", default=f"{DEFAULT_DATA}/train/tgt_wav_list.txt")
    p.add_argument("--train-text", default=f"{DEFAULT_DATA}/train/target.txt")
    p.add_argument("--dev-wav-list", default=f"{DEFAULT_DATA}/dev/tgt_wav_list.txt")
    p.add_argument("--dev-text", default=f"{DEFAULT_DATA}/dev/target.txt")
    p.add_argument("--run-dir", default="runs/asr_ctc")
    p.add_argument("--max-minutes", type=float, default=60.0, help="wall-clock budget of this invocation")
    p.add_argument("--max-steps", type=int, default=0, help="stop at this total step count (0: no limit)")
    p.add_argument("--max-train", type=int, default=0, help="use only the first N training utterances (0: all)")
    p.add_argument("--max-dev", type=int, default=0, help="use only the first N dev utterances (0: all)")
    p.add_argument("--max-frames", type=int, default=12000, help="input frames (10 ms) per batch, padding included")
    p.add_argument("--max-utts", type=int, default=64, help="utterances per batch at most")
    p.add_argument("--lr", type=float, default=1.5e-3, help="peak learning rate (AdamW)")
    p.add_argument("--warmup", type=int, default=400, help="linear warm-up steps, then inverse square root decay")
    p.add_argument("--weight-decay", type=float, default=1e-3)
    p.add_argument("--clip-norm", type=float, default=5.0)
    p.add_argument("--d-model", type=int, default=144)
    p.add_argument("--num-layers", type=int, default=4)
    p.add_argument("--num-heads", type=int, default=4)
    p.add_argument("--ffn-dim", type=int, default=576)
    p.add_argument("--conv-kernel", type=int, default=15)
    p.add_argument("--subsample-kernels", type=int, nargs="+", default=[5],
                   help="kernel of each stride-2 subsampling conv (one = 20 ms frames)")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--no-specaugment", action="store_true")
    p.add_argument("--tempo-perturb", type=float, default=0.0,
                   help="per-utterance tempo factor drawn from [1-a, 1+a] (feature-domain, pitch kept; 0: off)")
    p.add_argument("--noise-std", type=float, default=0.0,
                   help="max std of additive Gaussian noise on normalized features (0: off)")
    p.add_argument("--smooth-prob", type=float, default=0.0,
                   help="probability of 3-tap time/frequency smoothing of an utterance (0: off)")
    p.add_argument("--dynamic-range-db", type=float, default=60.0,
                   help="clamp log-mel energies to this many dB below each utterance's maximum, in training "
                        "and (stored in the checkpoint) in transcription: silence made of digital zeros, "
                        "16-bit quantization noise or vocoder noise then looks the same (0: off)")
    p.add_argument("--gain-db", type=float, default=0.0,
                   help="random gain per training utterance, uniform in +-this many dB (0: off)")
    p.add_argument("--pause-prob", type=float, default=0.0,
                   help="probability of inserting 1..--max-pauses pauses (silence of --pause-ms) into a training "
                        "utterance")
    p.add_argument("--max-pauses", type=int, default=3,
                   help="at most this many pauses per augmented utterance (word-level simultaneous output at "
                        "320 ms has about 2 per utterance, some have 6)")
    p.add_argument("--pause-ms", type=int, nargs=2, default=[100, 1000], metavar=("MIN", "MAX"),
                   help="pause length range (ms)")
    p.add_argument("--init-from", default=None,
                   help="start a new run from this ASR checkpoint's weights, vocabulary and CMVN "
                        "(fine-tuning, e.g. with the robustness augmentations); ignored when resuming")
    p.add_argument("--eval-every", type=int, default=500, help="dev evaluation + checkpoint every N steps")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    p.add_argument("--workers", type=int, default=1, help="processes for feature extraction")
    p.add_argument("--cache-dir", default=None, help="feature cache folder (default: RUN_DIR/cache)")
    p.add_argument("--no-feature-cache", action="store_true")
    p.add_argument("--no-resume", action="store_true", help="error out instead of resuming an existing run")
    return p


def train(args: argparse.Namespace) -> Dict:
    """Train (or resume) a CTC ASR; see the module docstring.

    Args:
        args: parsed :func:`get_parser` options.

    Returns:
        the summary dict also written to ``run_dir/summary.json``.

    Raises:
        FileNotFoundError, AudioError: missing lists or bad audio (named).
        ValueError: mismatching list lengths, or a resumed run with another model
            configuration or vocabulary.
    """
    t_start = time.time()
    run = args.run_dir
    os.makedirs(run, exist_ok=True)
    torch.manual_seed(args.seed)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    cache = None if args.no_feature_cache else (args.cache_dir or os.path.join(run, "cache"))

    data = {}
    lists = (("train", args.train_wav_list, args.train_text, args.max_train),
             ("dev", args.dev_wav_list, args.dev_text, args.max_dev))
    for split, wav_list, text_file, limit in lists:
        texts = read_lines(text_file)
        n_wavs = len(read_lines(wav_list))
        if len(texts) != n_wavs:
            raise ValueError(f"{wav_list} has {n_wavs} lines but {text_file} has {len(texts)}")
        if limit:
            texts = texts[:limit]
        texts = [normalize_text(t) for t in texts]
        feats = load_features(wav_list, cache, args.workers, limit)
        feats = [floor_dynamic_range(f, args.dynamic_range_db) for f in feats]
        data[split] = (feats, texts)

    ckpt_last = os.path.join(run, "checkpoint_last.pt")
    model_config = {"d_model": args.d_model, "num_layers": args.num_layers, "num_heads": args.num_heads,
                    "ffn_dim": args.ffn_dim, "conv_kernel": args.conv_kernel,
                    "subsample_kernels": list(args.subsample_kernels), "dropout": args.dropout}
    resumed = None
    if os.path.isfile(ckpt_last):
        if args.no_resume:
            raise ValueError(f"{ckpt_last} exists and --no-resume was given; choose another --run-dir")
        _, resumed = load_checkpoint(ckpt_last)
        if {k: resumed["model_config"][k] for k in MODEL_KEYS} != {k: model_config[k] for k in MODEL_KEYS}:
            raise ValueError(f"{ckpt_last}: model configuration {resumed['model_config']} differs from the "
                             f"requested {model_config}; use another --run-dir")
        if resumed.get("dynamic_range_db") != (args.dynamic_range_db or None):
            raise ValueError(f"{ckpt_last} was trained with --dynamic-range-db {resumed.get('dynamic_range_db') or 0}, "
                             f"not {args.dynamic_range_db}; pass the same value or use another --run-dir")
        vocab = resumed["vocab"]
        mean, std = resumed["cmvn_mean"], resumed["cmvn_std"]
    elif args.init_from:
        init_model, init = load_checkpoint(args.init_from)
        if {k: init["model_config"][k] for k in MODEL_KEYS} != {k: model_config[k] for k in MODEL_KEYS}:
            raise ValueError(f"{args.init_from}: model configuration {init['model_config']} differs from the "
                             f"requested {model_config}")
        vocab = init["vocab"]
        mean, std = init["cmvn_mean"], init["cmvn_std"]
    else:
        vocab = build_vocab(data["train"][1])
        mean, std = compute_cmvn([f for f in data["train"][0] if len(f)])

    model = CTCASRModel(vocab_size=len(vocab), **model_config)
    reduction = model.output_lengths(torch.tensor(1000)).item() / 1000.0

    def usable(split):
        feats, texts = data[split]
        targets = [encode_text(t, vocab) for t in texts]
        keep = []
        for i, (f, y) in enumerate(zip(feats, targets)):
            n_out = math.ceil(len(f) * reduction) if len(f) else 0
            if len(f) and 0 < len(y) and len(y) + sum(a == b for a, b in zip(y, y[1:])) <= n_out:
                keep.append(i)
        if len(keep) < len(feats):
            logger.warning(f"{split}: {len(feats) - len(keep)} of {len(feats)} utterances skipped "
                           f"(empty text, audio < 25 ms, or more characters than output frames)")
        return keep, targets

    train_keep, train_targets = usable("train")
    if not train_keep:
        raise ValueError("no usable training utterance")
    dev_feats, dev_texts = data["dev"]

    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(args.warmup))
    step, epoch, batch_pos, best = 0, 0, 0, {"wer": float("inf")}
    if resumed is None and args.init_from:
        model.load_state_dict(init_model.state_dict())
        logger.info(f"initialized from {args.init_from} (step {init.get('step')})")
    if resumed is not None:
        model.load_state_dict(resumed["model"])
        optimizer.load_state_dict(resumed["optimizer"])
        scheduler.load_state_dict(resumed["scheduler"])
        step, epoch, batch_pos = resumed["step"], resumed["epoch"], resumed["batch_pos"]
        best = dict(resumed["best"])
        logger.info(f"resumed from {ckpt_last}: step {step}, epoch {epoch}, batch {batch_pos}, "
                    f"best dev WER {best['wer']:.2f}")

    n_params = sum(p.numel() for p in model.parameters())
    train_config = {k: v for k, v in vars(args).items()}
    config = {"model_config": model_config, "vocab_size": len(vocab), "n_params": n_params,
              "train_config": train_config, "device": device, "n_train": len(train_keep), "n_dev": len(dev_texts)}
    write_json_atomic(os.path.join(run, "config.json"), config)
    with atomic_open(os.path.join(run, "vocab.txt")) as fh:
        for c in vocab:
            fh.write(f"{c}\n")
    logger.info(f"model: {n_params / 1e6:.2f} M parameters, vocabulary {len(vocab)} ({''.join(vocab[1:])!r}), "
                f"device {device}, threads {torch.get_num_threads()}; train {len(train_keep)} utterances, "
                f"dev {len(dev_texts)}")

    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(os.path.join(run, "tb"))
    ctc = torch.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    lengths = [len(data["train"][0][i]) for i in train_keep]
    batches = make_batches(lengths, args.max_frames, args.max_utts)
    budget = args.max_minutes * 60.0
    t_loop = time.time()
    state = {"stop": False}

    def on_term(signum, frame):  # finish the current step, save, exit
        logger.warning(f"signal {signum}: stopping after this step")
        state["stop"] = True

    old_term = signal.signal(signal.SIGTERM, on_term)

    def save(is_best: bool) -> None:
        extra = {"step": step, "epoch": epoch, "batch_pos": batch_pos, "best": {k: v for k, v in best.items()},
                 "dynamic_range_db": args.dynamic_range_db or None,
                 "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                 "train_config": {k: (v if not isinstance(v, list) else list(v)) for k, v in train_config.items()}}
        save_checkpoint(ckpt_last, model, model_config, vocab, mean, std, **extra)
        if is_best:
            save_checkpoint(os.path.join(run, "checkpoint_best.pt"), model, model_config, vocab, mean, std, **extra)

    def run_eval() -> Dict:
        t0 = time.time()
        res = evaluate(model, dev_feats, dev_texts, vocab, mean, std, device)
        is_best = res["wer"] < best["wer"]
        if is_best:
            best.update({"wer": res["wer"], "cer": res["cer"], "bleu": res["bleu"], "step": step})
        for k in ("wer", "cer", "bleu"):
            writer.add_scalar(f"dev/{k}", res[k], step)
        logger.info(f"step {step} | dev WER {res['wer']:.2f} % | CER {res['cer']:.2f} % | BLEU {res['bleu']:.2f} | "
                    f"best WER {best['wer']:.2f} % (step {best.get('step')}) | {time.time() - t0:.1f} s")
        for h, r in list(zip(res["hyps"], dev_texts))[:2]:
            logger.info(f"  ref: {r}\n  hyp: {h}")
        save(is_best)
        return res

    rng = random.Random(args.seed * 1000003 + epoch)
    log_loss, log_utts, log_steps, t_log = 0.0, 0, 0, time.time()
    steps_this_run = 0
    last_eval_step = -1
    try:
        while not state["stop"]:
            order = list(range(len(batches)))
            random.Random(args.seed * 7919 + epoch).shuffle(order)
            while batch_pos < len(order):
                if time.time() - t_loop >= budget or (args.max_steps and step >= args.max_steps) or state["stop"]:
                    state["stop"] = True
                    break
                idx = [train_keep[j] for j in batches[order[batch_pos]]]
                utts = [data["train"][0][i] for i in idx]
                if args.gain_db > 0:  # a gain is a constant in log-mel (the floor is relative)
                    utts = [f.float() + rng.uniform(-args.gain_db, args.gain_db) * DB_TO_NATS for f in utts]
                if args.pause_prob > 0:
                    utts = [insert_pauses(f, rng, args.max_pauses, args.pause_ms[0] // 10, args.pause_ms[1] // 10, args.dynamic_range_db)
                            if rng.random() < args.pause_prob else f for f in utts]
                if args.tempo_perturb > 0:
                    utts = [tempo_perturb(f, rng.uniform(1 - args.tempo_perturb, 1 + args.tempo_perturb)) for f in utts]
                x, x_len = collate(utts, mean, std)
                if args.noise_std > 0 or args.smooth_prob > 0:
                    robustness_augment(x, x_len, rng, args.noise_std, args.smooth_prob)
                if not args.no_specaugment:
                    spec_augment(x, x_len, rng)
                ys = [train_targets[i] for i in idx]
                y = torch.tensor([c for t in ys for c in t], dtype=torch.long)
                y_len = torch.tensor([len(t) for t in ys])
                log_probs, out_len = model(x.to(device), x_len.to(device))
                loss = ctc(log_probs.transpose(0, 1), y.to(device), out_len, y_len.to(device))
                optimizer.zero_grad(set_to_none=True)
                (loss / len(idx)).backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_norm)
                optimizer.step()
                scheduler.step()
                step += 1
                steps_this_run += 1
                batch_pos += 1
                log_loss += loss.item()
                log_utts += len(idx)
                log_steps += 1
                if step % args.log_every == 0:
                    dt = time.time() - t_log
                    sps = log_steps / dt
                    lr = scheduler.get_last_lr()[0]
                    writer.add_scalar("train/loss", log_loss / log_utts, step)
                    writer.add_scalar("train/lr", lr, step)
                    writer.add_scalar("train/steps_per_s", sps, step)
                    logger.info(f"step {step} | epoch {epoch} | batch {batch_pos}/{len(batches)} | "
                                f"loss/utt {log_loss / log_utts:.3f} | lr {lr:.2e} | {sps:.2f} steps/s | "
                                f"{log_utts / dt:.1f} utt/s | elapsed {(time.time() - t_loop) / 60:.1f} min")
                    log_loss, log_utts, log_steps, t_log = 0.0, 0, 0, time.time()
                if step % args.eval_every == 0:
                    run_eval()
                    last_eval_step = step
            if batch_pos >= len(order):
                epoch += 1
                batch_pos = 0
    except KeyboardInterrupt:
        logger.warning("interrupted: saving checkpoint_last.pt")
        save(False)
        raise
    finally:
        signal.signal(signal.SIGTERM, old_term)
    res = run_eval() if last_eval_step != step else None
    train_seconds = time.time() - t_loop
    summary = {"step": step, "epoch": epoch, "steps_this_run": steps_this_run,
               "steps_per_s": steps_this_run / max(train_seconds, 1e-9), "train_seconds": train_seconds,
               "wall_seconds": time.time() - t_start, "best": best, "last_dev": None if res is None else
               {k: res[k] for k in ("wer", "cer", "bleu", "n")}, "device": device, "n_params": n_params,
               "checkpoint_best": os.path.join(run, "checkpoint_best.pt")}
    write_json_atomic(os.path.join(run, "summary.json"), summary)
    writer.close()
    logger.info(f"done: {steps_this_run} steps this run ({summary['steps_per_s']:.2f} steps/s), total {step}; "
                f"best dev WER {best['wer']:.2f} % at step {best.get('step')}; {summary['checkpoint_best']}")
    return summary


def main(argv: Optional[List[str]] = None) -> Dict:
    """Command-line entry point (see :func:`get_parser`)."""
    args = get_parser().parse_args(argv)
    _setup_logging(args.run_dir)
    return train(args)


if __name__ == "__main__":
    main()

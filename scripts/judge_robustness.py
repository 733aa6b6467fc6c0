#!/usr/bin/env python
"""Robustness of an ASR-BLEU judge: its ASR-BLEU on reference target speech under changes that
keep the words (gain, speed, pauses), as JSON.

    .venv/bin/python scripts/judge_robustness.py --backend ctc:runs/asr_ctc_pause6/checkpoint_best.pt \\
        --data data/embedded/s2st --split test --output docs/results/judge_robustness.json

A judge that loses BLEU under these conditions scores *how the system sounds* rather than
*what it says*; simultaneous output in particular is heard with pauses wherever the agent
waits for source (SimulEval inserts digital silence), so ``pauses`` is the row that matters
for streaming ASR-BLEU. Conditions (the same seeded changes for every judge):

* ``clean``: the reference speech as stored (16-bit WAV): the ceiling;
* ``gain_-6dB``: amplitude x 0.5;
* ``speed_0.9`` / ``speed_1.1``: resampled by 1/0.9 and 1/1.1 (slower / faster, pitch moves);
* ``pauses``: 1-3 stretches of digital silence, 0.1-1 s each, at random sample positions
  (mid-word too), the test of the README's judge table.
"""
import argparse
import json
import logging
import os
import random
import sys
import time
from typing import Callable, Dict, List

import numpy as np
import torch
import torchaudio


from ctc_unity.asr_bleu.scorer import asr_bleu, load_item, read_lines  # noqa: E402
from ctc_unity.asr_bleu.train_ctc_asr import insert_silence  # noqa: E402
from ctc_unity.asr_bleu.transcriber import build_transcriber  # noqa: E402
from ctc_unity.datasets.atomic import write_json_atomic  # noqa: E402
from ctc_unity.datasets.audio_io import SAMPLE_RATE  # noqa: E402


def add_pauses(wav: torch.Tensor, rng: random.Random, max_pauses: int = 3, min_ms: float = 100.0,
               max_ms: float = 1000.0) -> torch.Tensor:
    """Insert 1..``max_pauses`` stretches of digital silence at random sample positions.

    Args:
        wav: ``(n,)`` samples at 16 kHz.
        rng: random generator (seeded per utterance by the caller).
        max_pauses: at most this many pauses (>= 1).
        min_ms, max_ms: pause length range in ms.

    Returns:
        ``(n + inserted,)`` samples; the original samples keep their order.

    Raises:
        ValueError: ``max_pauses < 1`` or ``min_ms > max_ms``.
    """
    ms = SAMPLE_RATE // 1000
    return insert_silence(wav, rng, max_pauses, int(min_ms * ms), int(max_ms * ms), 0.0)


def change_speed(wav: torch.Tensor, factor: float) -> torch.Tensor:
    """Play ``wav`` ``factor`` times faster (resampling; pitch moves with it). ``(n,)`` -> ``(~n/factor,)``."""
    return torchaudio.functional.resample(wav, int(round(SAMPLE_RATE * factor)), SAMPLE_RATE)


def conditions() -> Dict[str, Callable[[torch.Tensor, random.Random], torch.Tensor]]:
    """Name -> perturbation ``(wav (n,), rng) -> wav``; all keep the words."""
    return {
        "clean": lambda w, r: w,
        "gain_-6dB": lambda w, r: w * 0.5,
        "speed_0.9": lambda w, r: change_speed(w, 0.9),
        "speed_1.1": lambda w, r: change_speed(w, 1.1),
        "pauses": lambda w, r: add_pauses(w, r),
    }


def main(argv=None) -> dict:
    """Parse ``argv``, score every condition, print and return the summary.

    Raises:
        SystemExit: bad arguments; FileNotFoundError / AudioError: missing or bad audio (named).
    """
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", required=True, help="pocketsphinx | ctc:CKPT | wav2vec2:DIR")
    p.add_argument("--data", default="data/embedded/s2st", help="prepared S2ST folder (simuleval/<split>/ lists)")
    p.add_argument("--split", default="test")
    p.add_argument("--max-utterances", type=int, default=0, help="0: all")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--conditions", nargs="+", default=None, help=f"subset of {list(conditions())}")
    p.add_argument("--output", default=None, help="JSON summary (written atomically)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s | %(name)s | %(message)s")
    lists = os.path.join(args.data, "simuleval", args.split)
    wavs, refs = read_lines(os.path.join(lists, "tgt_wav_list.txt")), read_lines(os.path.join(lists, "target.txt"))
    if len(wavs) != len(refs):
        p.error(f"{lists}: {len(wavs)} target wavs but {len(refs)} target sentences")
    if args.max_utterances:
        wavs, refs = wavs[: args.max_utterances], refs[: args.max_utterances]
    audio: List[torch.Tensor] = [load_item(w, i) for i, w in enumerate(wavs)]
    table = conditions()
    names = args.conditions or list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        p.error(f"unknown condition(s) {unknown}; choose from {list(table)}")
    transcriber = build_transcriber(args.backend)
    rows = {}
    for name in names:
        t0 = time.time()
        changed = [table[name](w, random.Random(args.seed * 100003 + i)).numpy().astype(np.float32)
                   for i, w in enumerate(audio)]
        r = asr_bleu(changed, refs, transcriber)
        rows[name] = {"bleu": round(r["bleu"], 2), "wer": round(r["wer"], 2), "seconds": round(time.time() - t0, 1)}
        print(f"{name:12s} ASR-BLEU {r['bleu']:6.2f}  WER {r['wer']:6.2f} %", file=sys.stderr)
    ceiling = rows.get("clean", {}).get("bleu")
    if ceiling:
        for row in rows.values():
            row["of_clean"] = round(row["bleu"] / ceiling, 4)
    summary = {"backend": args.backend, "data": args.data, "split": args.split, "n": len(refs),
               "seed": args.seed, "conditions": rows}
    if args.output:
        write_json_atomic(args.output, summary)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Per-push compute time and carried state of a StreamingSession over a long stream (does anything grow?).

    .venv/bin/python benchmarks/policy_timing.py --model runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt \\
        --seconds 600 --segment-ms 320 [--outputs text speech] [--policy word] \\
        --output benchmarks/results/policy_timing.json

Concatenates the test utterances of the model's data (``simuleval/test/wav_list.txt``) with
pauses of 0.3-2 s into one minute of speech, repeated to ``--seconds`` (so that the minutes
differ only by what the stream has accumulated), pushes it to one
:class:`ctc_unity.streaming.StreamingSession` in ``--segment-ms`` chunks with one thread, and
records per push the thread CPU time (ms) and the session's carried state
(:meth:`StreamingSession.state_nbytes`). Reports the median push time over the first and the
last 10% of pushes (and of the first 10% pushed again by a second session, interleaved with the
last 10%: the time ratio compares those two), the median state of the first and the last minute, the largest state of the
first and the last two minutes, their ratios (bounded: <= 1.2), the words written, and a plot of
both against stream position. The
state within a minute varies with where the sentences fall (it is bounded by the sentence,
``--max-sentence-ms``); a short limit (e.g. 3000) makes every minute's sentences alike, so the
minutes compare like with like.
"""
import argparse
import json
import os
import sys
import time
from typing import Dict, List, Sequence

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def long_stream(utterances: Sequence[np.ndarray], seconds: float, pause_s=(0.3, 2.0), seed: int = 0,
                period_s: float = 60.0) -> np.ndarray:
    """``period_s`` of speech (utterances at 16 kHz cycled, with random pauses of ``pause_s``
    seconds) repeated to ``seconds``: every minute of the stream holds the same speech, so minute
    1 and minute 10 differ only by what the stream has accumulated, not by their content."""
    rng = np.random.default_rng(seed)
    parts, n = [], 0
    while n < period_s * 16000:
        for u in utterances:
            parts += [u, np.zeros(int(16000 * rng.uniform(*pause_s)), dtype=np.float32)]
            n += len(u) + len(parts[-1])
    period = np.concatenate(parts)[: int(period_s * 16000)]
    return np.tile(period, int(np.ceil(seconds / period_s)))[: int(seconds * 16000)]


def measure(session, stream: np.ndarray, chunk_samples: int, reference=None) -> Dict:
    """Push ``stream`` (never finished) and time every push (thread CPU time, one torch thread).

    ``reference``: a second session on the same model and options. While ``session`` pushes the
    last 10% of the stream, ``reference`` (reset first) pushes the first 10%, one push after
    each of ``session``'s, so both are timed under the same machine conditions; ``time_ratio``
    is then last 10% over the interleaved reference, which a shared, busy machine (CI) cannot
    skew as it skews a comparison of the first and the last minutes taken ten minutes apart.

    Returns:
        dict with ``push_ms`` and ``state_bytes`` (one per push), ``source_ms`` (stream position
        after each push), ``words`` (target words written), ``sentence_ends``, and the summary
        figures ``first10_median_ms``, ``last10_median_ms``, ``reference_median_ms`` (None
        without ``reference``), ``time_ratio``, the median state of
        the first and the last minute (``state_first_minute``, ``state_last_minute``,
        ``state_ratio``) and the largest state of the first and the last two minutes
        (``state_max_first_minutes``, ``state_max_last_minutes``, ``state_max_ratio``; one
        minute may hold no full-length sentence).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    push_ms: List[float] = []
    state: List[int] = []
    pos: List[float] = []
    ref_ms: List[float] = []
    words = ends = 0
    starts = range(0, len(stream) - chunk_samples + 1, chunk_samples)
    n = max(1, len(starts) // 10)
    session.reset()
    if reference is not None:
        reference.reset()
    try:
        for i, s in enumerate(starts):
            t0 = time.thread_time()
            step = session.push(stream[s:s + chunk_samples])
            push_ms.append(1000.0 * (time.thread_time() - t0))
            state.append(session.state_nbytes())
            pos.append(step.source_ms)
            words += len(step.target_words)
            ends += step.sentence_ends
            if reference is not None and i >= len(starts) - n:
                r = starts[i - (len(starts) - n)]
                t0 = time.thread_time()
                reference.push(stream[r:r + chunk_samples])
                ref_ms.append(1000.0 * (time.thread_time() - t0))
    finally:
        torch.set_num_threads(threads)
    first, last = float(np.median(push_ms[:n])), float(np.median(push_ms[-n:]))
    ref = float(np.median(ref_ms)) if ref_ms else None
    minute = 60000.0
    s_first = [s for s, p in zip(state, pos) if p <= minute]
    s_last = [s for s, p in zip(state, pos) if p > pos[-1] - minute]
    med_first, med_last = int(np.median(s_first)), int(np.median(s_last))
    # the largest state of a window is that of its longest sentence: two minutes hold enough of them
    big_first = max(s for s, p in zip(state, pos) if p <= 2 * minute)
    big_last = max(s for s, p in zip(state, pos) if p > pos[-1] - 2 * minute)
    return {"push_ms": push_ms, "state_bytes": state, "source_ms": pos, "words": words, "sentence_ends": ends,
            "first10_median_ms": round(first, 3), "last10_median_ms": round(last, 3),
            "reference_median_ms": None if ref is None else round(ref, 3),
            "time_ratio": round(last / (first if ref is None else ref), 3), "state_first_minute": med_first, "state_last_minute": med_last,
            "state_ratio": round(med_last / med_first, 3), "state_max_first_minutes": big_first,
            "state_max_last_minutes": big_last, "state_max_ratio": round(big_last / big_first, 3)}


def plot(result: Dict, path: str) -> None:
    """Per-push time and carried state against stream position (PNG, written atomically)."""
    import logging

    import matplotlib

    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.asarray(result["source_ms"]) / 60000.0
    fig, (a, b) = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    a.plot(t, result["push_ms"], lw=0.5)
    a.set_ylabel("push CPU time (ms)")
    a.set_title(f"last/first 10% time {result['time_ratio']}, last/first minute state {result['state_ratio']}")
    b.plot(t, np.asarray(result["state_bytes"]) / 1e6, lw=0.8)
    b.set_ylabel("carried state (MB)")
    b.set_xlabel("position in the stream (min)")
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--data-bin", help="prepared data folder (default: the checkpoint's)")
    p.add_argument("--seconds", type=float, default=600.0)
    p.add_argument("--segment-ms", type=int, default=320)
    p.add_argument("--outputs", nargs="+", default=["text", "speech"], help="session outputs (source text units speech)")
    p.add_argument("--policy", default="word")
    p.add_argument("--max-sentence-ms", type=float, default=30000.0, help="the session's forced sentence end (ms)")
    p.add_argument("--vocoder", help="vocoder config (default: the best that exists)")
    p.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "policy_timing.json"))
    a = p.parse_args(argv)
    from agent import TRAINED_VOCODER_RUNS
    from ctc_unity.datasets.atomic import atomic_open
    from ctc_unity.datasets.audio_io import load_audio
    from ctc_unity.streaming import SessionOptions, StreamingModel, StreamingSession, resolve_vocoder

    try:
        bundle = StreamingModel.load(a.model, a.data_bin)
        vocoder = None
        if "speech" in a.outputs:
            vocoder, which = resolve_vocoder(bundle.data_dir, a.vocoder, trained_runs=TRAINED_VOCODER_RUNS)
            print(f"[policy_timing] {which}", file=sys.stderr)
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"policy_timing: error: {e}")
    options = SessionOptions(policy=a.policy, segment_ms=a.segment_ms, max_sentence_ms=a.max_sentence_ms,
                             outputs=tuple(a.outputs))
    session, reference = StreamingSession(bundle, options, vocoder), StreamingSession(bundle, options, vocoder)
    wavs = open(os.path.join(bundle.data_dir, "simuleval", "test", "wav_list.txt")).read().split()
    stream = long_stream([load_audio(w, quiet=True)[0].numpy() for w in wavs], a.seconds)
    result = measure(session, stream, int(16 * a.segment_ms), reference)
    result.update({"model": a.model, "policy": a.policy, "outputs": a.outputs, "seconds": a.seconds,
                   "segment_ms": a.segment_ms, "pushes": len(result["push_ms"]),
                   "rtf": round(sum(result["push_ms"]) / 1000.0 / a.seconds, 4)})
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    with atomic_open(a.output) as fh:
        json.dump(result, fh, indent=1)
    plot(result, os.path.splitext(a.output)[0] + ".png")
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, list) or k == "outputs"}, indent=2))


if __name__ == "__main__":
    main()

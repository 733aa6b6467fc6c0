#!/usr/bin/env python
"""Per-``policy()`` wall time of an EchoStream agent over a long stream (does cost grow with length?).

    .venv/bin/python benchmarks/policy_timing.py --model runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt \
        --seconds 60 --segment-ms 320 [--kind s2tt|s2st] [--arch-label echostream] --output benchmarks/results/policy_timing.json

Concatenates test utterances of the model's data (``simuleval/test/wav_list.txt``) into one
stream of ``--seconds``, feeds it to the agent in ``--segment-ms`` chunks (as SimulEval does)
with one thread, and records the wall time of every ``policy()`` call. Reports the mean of
the first and the last 10% of calls and their ratio (target: last/first <= 1.5, i.e. nothing
grows with the stream), plus a plot of per-call time against stream position.
"""
import argparse
import json
import os
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def long_stream(data_dir: str, seconds: float) -> np.ndarray:
    """Concatenate test utterances (16 kHz) until ``seconds`` of audio."""
    from ctc_unity.datasets.audio_io import load_audio

    wavs = open(os.path.join(data_dir, "simuleval", "test", "wav_list.txt")).read().split()
    parts, total = [], 0
    for path in wavs * 100:
        x = load_audio(path)[0].numpy()
        parts.append(x)
        total += len(x)
        if total >= seconds * 16000:
            break
    return np.concatenate(parts)[: int(seconds * 16000)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--segment-ms", type=int, default=320)
    p.add_argument("--kind", default="s2tt", choices=["s2tt", "s2st", "asr"])
    p.add_argument("--policy", default="alignment")
    p.add_argument("--vocoder", help="S2ST vocoder config")
    p.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "policy_timing.json"))
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    from simuleval.data.segments import SpeechSegment

    from agent.demo import load_agent_class
    from agent.simuleval_base import agent_options
    from ctc_unity.datasets.atomic import atomic_open

    kind = {"s2tt": "speech_to_text.s2tt", "asr": "speech_to_text.asr", "s2st": "speech_to_speech"}[a.kind]
    cls = load_agent_class(kind)
    agent = cls(agent_options(a.model, policy=a.policy, max_len=1000, vocoder=a.vocoder,
                              source_segment_size=a.segment_ms))
    agent.reset()
    audio = long_stream(agent.task.args.data, a.seconds)
    chunk = int(16000 * a.segment_ms / 1000)
    times = []
    for start in range(0, len(audio), chunk):
        seg = SpeechSegment(content=audio[start:start + chunk].tolist(), sample_rate=16000,
                            finished=start + chunk >= len(audio))
        t0 = time.perf_counter()
        agent.pushpop(seg)
        times.append(time.perf_counter() - t0)
    n = max(1, len(times) // 10)
    steady = times[:-1]  # the last call flushes the whole translation
    first, last = float(np.mean(steady[:n])), float(np.mean(steady[-n:]))
    result = {"model": a.model, "kind": a.kind, "policy": a.policy, "seconds": a.seconds, "segment_ms": a.segment_ms,
              "calls": len(times), "first10_mean_ms": round(1000 * first, 2), "last10_mean_ms": round(1000 * last, 2),
              "last_over_first": round(last / first, 3), "total_s": round(sum(times), 3),
              "rtf": round(sum(times) / a.seconds, 4), "final_call_ms": round(1000 * times[-1], 1),
              "encoder_state_bytes": agent.translator.enc_state.nbytes(),
              "translation_words": len(agent.translation_text().split()), "per_call_ms": [round(1000 * t, 3) for t in times]}
    os.makedirs(os.path.dirname(a.output), exist_ok=True)
    with atomic_open(a.output) as fh:
        json.dump(result, fh, indent=1)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(np.arange(len(steady)) * a.segment_ms / 1000, np.array(steady) * 1000, lw=0.8)
    ax.set_xlabel("position in the stream (s)")
    ax.set_ylabel("policy() wall time (ms)")
    ax.set_title(f"{a.kind} {a.policy} {a.segment_ms} ms: last/first 10% = {result['last_over_first']}")
    fig.tight_layout()
    png = os.path.splitext(a.output)[0] + ".png"
    fig.savefig(png + ".tmp.png", dpi=110)
    os.replace(png + ".tmp.png", png)
    print(json.dumps({k: v for k, v in result.items() if k != "per_call_ms"}, indent=2))


if __name__ == "__main__":
    main()

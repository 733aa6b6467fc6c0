#!/usr/bin/env python
"""Per-step streaming cost: EchoStream's cached Emformer (A) vs StreamSpeech's chunk Conformer (B).

For every config (encoder dimensions shared by both encoders) and utterance length, a random
normalized fbank stream (10 ms frames, 80 dims) is fed to each encoder's ``forward_streaming``
in steps of ``--step-ms`` (320 ms = 32 fbank frames = one 8-frame chunk/segment of 40 ms
frames), the last step with ``finish=True``. Random weights, eval mode, one CPU thread,
``torch.inference_mode()``.

* A = :class:`EchoStreamEncoder`: new frames + cached Emformer state -> O(1) work per step.
* B = :class:`ChunkConformerEncoder` as StreamSpeech's agent runs it: re-encodes the whole
  fbank prefix at every step -> O(T) work per step (attention O(T^2)).

Per (config, encoder, length) it records per-step wall times (seconds; element-wise minimum
over ``--repeats`` runs), total time, the last step's time, the real-time factor (total /
audio duration), and the carried state's size (bytes: Emformer caches for A, the fbank
prefix for B). The B/A ratios are computed from the same run. Outputs: JSON
(``--output``, written atomically), a PNG plot of per-step time against position in the
stream (log y; one line per encoder and config, the longest length measured), and a table on
stdout.

Full run (both configs, 1-120 s; see benchmarks/README.md for outputs and run time)::

    nice -n 19 .venv/bin/python benchmarks/encoder_benchmark.py \
        --output benchmarks/results/encoder_benchmark.json

Quick run: ``--lengths 1 5 10 --configs cpu`` or ``--max-baseline-seconds 30``.
"""
import argparse
import os
import platform
import statistics
import sys
import time
from argparse import Namespace
from datetime import datetime, timezone
from typing import Dict, List, Optional

import torch

from ctc_unity.datasets.atomic import save_figure_atomic, write_json_atomic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FBANK_MS = 10  # one fbank frame
FEAT_DIM = 80
ENCODERS = ("echostream", "streamspeech")  # A, B
CONFIGS = ("tiny", "cpu", "paper")
DEFAULT_LENGTHS = (1, 5, 10, 30, 60, 120)


def _load_plugin():
    from ctc_unity.plugin import load

    load()


def encoder_args(config: str, encoder: str, segment_length: int) -> Namespace:
    """fairseq args of one encoder in one config, from the registered arch functions.

    Args:
        config: "tiny", "cpu" (``echostream``/``streamspeech`` defaults: 6x256, FFN 1024) or
            "paper" (12x256, 4 heads, FFN 2048, conv channels 1024).
        encoder: "echostream" or "streamspeech".
        segment_length: Emformer segment / Conformer chunk in encoder frames (40 ms).

    Returns:
        the completed namespace (dropout 0).

    Raises:
        ValueError: on an unknown config or encoder.
    """
    from ctc_unity.models import echostream as ours
    from ctc_unity.models import streamspeech as ss

    table = {
        ("echostream", "tiny"): ours.echostream_tiny, ("echostream", "cpu"): ours.echostream_base,
        ("echostream", "paper"): ours.echostream_paper, ("streamspeech", "tiny"): ss.streamspeech_tiny,
        ("streamspeech", "cpu"): ss.streamspeech_base, ("streamspeech", "paper"): ss.streamspeech_paper,
    }
    if (encoder, config) not in table:
        raise ValueError(f"unknown encoder/config {encoder}/{config}; configs: {CONFIGS}")
    args = Namespace(segment_length=segment_length, dropout=0.0, multichunk=False)
    table[(encoder, config)](args)
    return args


def build_encoder(config: str, encoder: str, segment_length: int, seed: int = 0):
    """A randomly initialised encoder in eval mode (see :func:`encoder_args`)."""
    from ctc_unity.models.echostream_encoder import EchoStreamEncoder
    from ctc_unity.models.streamspeech_encoder import ChunkConformerEncoder

    torch.manual_seed(seed)
    args = encoder_args(config, encoder, segment_length)
    cls = EchoStreamEncoder if encoder == "echostream" else ChunkConformerEncoder
    return cls(args).eval(), args


def run_stream(enc, feats: torch.Tensor, step: int, segment_length: int) -> Dict:
    """Stream ``feats`` through ``enc`` in steps of ``step`` fbank frames; time every call.

    Args:
        enc: an encoder with ``init_state`` / ``forward_streaming``.
        feats: ``(1, T, 80)`` normalized fbank (10 ms frames).
        step: fbank frames per call (the last call gets the rest, with ``finish=True``).
        segment_length: encoder frames (40 ms) per segment/chunk.

    Returns:
        dict with ``per_step_s`` (list of seconds), ``state_bytes`` (list, after each call)
        and ``n_out`` (encoder frames output).
    """
    state, times, sizes, n_out = enc.init_state(), [], [], 0
    n = feats.size(1)
    with torch.inference_mode():
        for s in range(0, n, step):
            last = s + step >= n
            chunk = feats[:, s:s + step]
            t0 = time.perf_counter()
            out, state = enc.forward_streaming(chunk, state, finish=last, segment_length=segment_length)
            times.append(time.perf_counter() - t0)
            sizes.append(state.nbytes())
            n_out += out.size(0)
    return {"per_step_s": times, "state_bytes": sizes, "n_out": n_out}


def measure(enc, length_s: float, step: int, segment_length: int, repeats: int, seed: int) -> Dict:
    """Run :func:`run_stream` ``repeats`` times on one random utterance and summarise.

    Returns:
        dict: ``steps``, ``per_step_s`` (element-wise min over repeats), ``total_s`` (min
        over repeats of the summed step times), ``last_step_s``, ``rtf`` (total / audio
        seconds), ``state_bytes_max`` and ``state_bytes_last`` (bytes carried into the last
        step), ``tail_median_s`` (median of the last 5 steps, a noise-robust companion of
        ``last_step_s``), ``encoder_frames``.
    """
    n_frames = int(round(length_s * 1000 / FBANK_MS))
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(1, n_frames, FEAT_DIM, generator=g)
    runs = [run_stream(enc, feats, step, segment_length) for _ in range(max(1, repeats))]
    per_step = [min(vals) for vals in zip(*[r["per_step_s"] for r in runs])]
    sizes = runs[0]["state_bytes"]
    total = min(sum(r["per_step_s"]) for r in runs)
    return {
        "steps": len(per_step),
        "per_step_s": per_step,
        "total_s": total,
        "last_step_s": per_step[-1],
        "tail_median_s": statistics.median(per_step[-5:]),
        "rtf": total / length_s,
        "state_bytes_max": max(sizes[:-1] or sizes),
        "state_bytes_last": sizes[-2] if len(sizes) > 1 else 0,
        "encoder_frames": runs[0]["n_out"],
        "repeats": max(1, repeats),
    }


def _ratio(b: Optional[float], a: Optional[float]) -> Optional[float]:
    if a is None or b is None or a == 0:
        return None
    return b / a


def compute_ratios(results: List[Dict]) -> List[Dict]:
    """B/A (streamspeech/echostream) ratios per config and length, where both were measured."""
    index = {(r["config"], r["encoder"], r["length_s"]): r for r in results}
    out = []
    for (config, encoder, length), a in sorted(index.items()):
        if encoder != "echostream":
            continue
        b = index.get((config, "streamspeech", length))
        if b is None:
            continue
        out.append({
            "config": config, "length_s": length,
            "total_ratio": _ratio(b["total_s"], a["total_s"]),
            "last_step_ratio": _ratio(b["last_step_s"], a["last_step_s"]),
            "rtf_ratio": _ratio(b["rtf"], a["rtf"]),
            "state_bytes_ratio": _ratio(b["state_bytes_max"], a["state_bytes_max"]),
        })
    return out


def compute_checks(results: List[Dict], ratios: List[Dict]) -> List[Dict]:
    """The targets: at 60 s total-time ratio B/A >= 20; EchoStream's last step at 60 s <= 1.5x at 5 s."""
    checks = []
    idx = {(r["config"], r["encoder"], r["length_s"]): r for r in results}
    for r in ratios:
        if r["length_s"] == 60:
            checks.append({"config": r["config"], "check": "total_ratio_at_60s", "value": r["total_ratio"],
                           "target": ">= 20", "passed": r["total_ratio"] is not None and r["total_ratio"] >= 20})
    for config in sorted({r["config"] for r in results}):
        a60, a5 = idx.get((config, "echostream", 60)), idx.get((config, "echostream", 5))
        if a60 and a5:
            v = a60["last_step_s"] / a5["last_step_s"]
            checks.append({"config": config, "check": "echostream_last_step_60s_over_5s", "value": v,
                           "target": "<= 1.5", "passed": v <= 1.5,
                           "tail_median_ratio": a60["tail_median_s"] / a5["tail_median_s"]})
    return checks


def plot(results: List[Dict], step_ms: float, path: str) -> None:
    """Per-step time (ms, log scale) against position in the stream (s), longest length per line."""
    import logging

    logging.getLogger("matplotlib").setLevel(logging.WARNING)  # the root logger may be at DEBUG
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    longest = {}
    for r in results:
        key = (r["config"], r["encoder"])
        if key not in longest or r["length_s"] > longest[key]["length_s"]:
            longest[key] = r
    fig, ax = plt.subplots(figsize=(8, 5))
    for (config, encoder), r in sorted(longest.items()):
        xs = [min((i + 1) * step_ms / 1000, r["length_s"]) for i in range(r["steps"])]
        ys = [t * 1000 for t in r["per_step_s"]]
        style = "-" if encoder == "echostream" else "--"
        label = f"{'A EchoStream' if encoder == 'echostream' else 'B StreamSpeech'} ({config}, {r['length_s']:g} s)"
        ax.plot(xs, ys, style, label=label, linewidth=1.2)
    ax.axhline(step_ms, color="grey", linestyle=":", linewidth=1, label=f"real time ({step_ms:g} ms per step)")
    ax.set_yscale("log")
    ax.set_xlabel("position in the stream (s of audio received)")
    ax.set_ylabel(f"encoder time per {step_ms:g} ms step (ms, 1 thread)")
    ax.set_title("Streaming encoder cost per step")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure_atomic(fig, path)
    plt.close(fig)


def format_table(results: List[Dict], ratios: List[Dict]) -> str:
    """Plain-text table: per config and length, A and B total/last step/RTF/state and B/A ratios."""
    idx = {(r["config"], r["encoder"], r["length_s"]): r for r in results}
    rat = {(r["config"], r["length_s"]): r for r in ratios}
    head = (f"{'config':<6} {'len_s':>6} | {'A_total_s':>9} {'B_total_s':>9} {'B/A':>7} | {'A_last_ms':>9} "
            f"{'B_last_ms':>9} {'B/A':>7} | {'A_rtf':>7} {'B_rtf':>7} | {'A_state_B':>10} {'B_state_B':>11} {'B/A':>7}")
    lines = [head, "-" * len(head)]

    def f(v, fmt):
        return format(v, fmt) if v is not None else "-"

    for config, length in sorted({(r["config"], r["length_s"]) for r in results}):
        a, b, q = idx.get((config, "echostream", length)), idx.get((config, "streamspeech", length)), rat.get((config, length), {})
        lines.append(
            f"{config:<6} {length:>6g} | {f(a and a['total_s'], '9.3f'):>9} {f(b and b['total_s'], '9.3f'):>9} "
            f"{f(q.get('total_ratio'), '7.1f'):>7} | {f(a and a['last_step_s'] * 1e3, '9.2f'):>9} "
            f"{f(b and b['last_step_s'] * 1e3, '9.2f'):>9} {f(q.get('last_step_ratio'), '7.1f'):>7} | "
            f"{f(a and a['rtf'], '7.4f'):>7} {f(b and b['rtf'], '7.4f'):>7} | "
            f"{f(a and a['state_bytes_max'], 'd'):>10} {f(b and b['state_bytes_max'], 'd'):>11} "
            f"{f(q.get('state_bytes_ratio'), '7.1f'):>7}")
    return "\n".join(lines)


def run_benchmark(lengths, configs, step_ms: float = 320.0, segment_length: int = 8,
                  max_baseline_seconds: Optional[float] = None, repeats: int = 5, baseline_repeats: int = 1,
                  seed: int = 0, threads: int = 1, log=print) -> Dict:
    """Run the benchmark and return the JSON-ready dict (see module docstring).

    Args:
        lengths: utterance lengths in seconds.
        configs: names from :data:`CONFIGS`.
        step_ms: audio per streaming call (ms; a multiple of 10).
        segment_length: EchoStream segment / StreamSpeech chunk, encoder frames of 40 ms.
        max_baseline_seconds: skip StreamSpeech for longer utterances (recorded in ``skipped``).
        repeats / baseline_repeats: runs per measurement for A / B (per-step minimum is kept).
        seed: weights and features seed.
        threads: torch intra-op threads (1 for the reported numbers).
        log: progress printer.

    Returns:
        dict with ``meta``, ``results`` (list), ``ratios`` (list), ``checks`` (list), ``skipped``.

    Raises:
        ValueError: on a bad step, length or config.
    """
    if step_ms <= 0 or step_ms % FBANK_MS:
        raise ValueError(f"--step-ms must be a positive multiple of {FBANK_MS} ms, got {step_ms}")
    if any(length <= 0 for length in lengths):
        raise ValueError(f"lengths must be > 0 s, got {lengths}")
    bad = [c for c in configs if c not in CONFIGS]
    if bad:
        raise ValueError(f"unknown configs {bad}; choose from {CONFIGS}")
    _load_plugin()
    torch.set_num_threads(threads)
    step = int(step_ms // FBANK_MS)
    results, skipped, dims, wall0 = [], [], {}, time.perf_counter()
    for config in configs:
        for encoder in ENCODERS:
            enc, args = build_encoder(config, encoder, segment_length, seed)
            dims[f"{config}/{encoder}"] = {
                "layers": args.encoder_layers, "embed_dim": args.encoder_embed_dim,
                "heads": args.encoder_attention_heads, "ffn_dim": args.encoder_ffn_embed_dim,
                "conv_channels": args.conv_channels,
                "params": sum(p.numel() for p in enc.parameters()),
                **({"depthwise_conv_kernel_size": args.depthwise_conv_kernel_size} if encoder == "streamspeech" else
                   {"left_context_length": args.left_context_length, "max_memory_size": args.max_memory_size,
                    "right_context_length": args.right_context_length}),
            }
            run_stream(enc, torch.randn(1, 100, FEAT_DIM), step, segment_length)  # warm-up (1 s)
            for length in lengths:
                if encoder == "streamspeech" and max_baseline_seconds is not None and length > max_baseline_seconds:
                    skipped.append({"config": config, "encoder": encoder, "length_s": length,
                                    "reason": f"longer than --max-baseline-seconds {max_baseline_seconds:g}"})
                    log(f"[skip] {config} {encoder} {length:g} s (> --max-baseline-seconds {max_baseline_seconds:g})")
                    continue
                t0 = time.perf_counter()
                r = measure(enc, length, step, segment_length,
                            repeats if encoder == "echostream" else baseline_repeats, seed + 1)
                r.update({"config": config, "encoder": encoder, "length_s": length})
                results.append(r)
                log(f"[done] {config:<5} {encoder:<12} {length:>6g} s: total {r['total_s']:.3f} s, last step "
                    f"{r['last_step_s'] * 1e3:.2f} ms, RTF {r['rtf']:.4f} (wall {time.perf_counter() - t0:.1f} s)")
    ratios = compute_ratios(results)
    return {
        "meta": {
            "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "encoders": {"A": "echostream (EchoStreamEncoder, cached Emformer)",
                         "B": "streamspeech (ChunkConformerEncoder, full-prefix re-encoding)"},
            "step_ms": step_ms, "segment_length_frames": segment_length, "frame_ms": 40,
            "lengths_s": list(lengths), "configs": list(configs), "threads": torch.get_num_threads(),
            "repeats": repeats, "baseline_repeats": baseline_repeats, "seed": seed,
            "max_baseline_seconds": max_baseline_seconds, "torch": torch.__version__,
            "python": platform.python_version(), "machine": platform.machine(), "dims": dims,
            "wall_s": time.perf_counter() - wall0,
            "units": {"*_s": "seconds", "state_bytes_*": "bytes", "rtf": "total encoder time / audio time"},
        },
        "results": results,
        "ratios": ratios,
        "checks": compute_checks(results, ratios),
        "skipped": skipped,
    }


def main(argv=None) -> int:
    """CLI entry point; returns the exit status (0)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lengths", type=float, nargs="+", default=list(DEFAULT_LENGTHS), help="utterance lengths (s)")
    p.add_argument("--configs", nargs="+", default=["paper", "cpu"], choices=CONFIGS)
    p.add_argument("--step-ms", type=float, default=320.0, help="audio per streaming step (ms)")
    p.add_argument("--segment-length", type=int, default=8, help="segment/chunk size (encoder frames of 40 ms)")
    p.add_argument("--max-baseline-seconds", type=float, default=None,
                   help="skip the StreamSpeech baseline for longer utterances")
    p.add_argument("--repeats", type=int, default=5, help="runs per EchoStream measurement (per-step min)")
    p.add_argument("--baseline-repeats", type=int, default=1, help="runs per StreamSpeech measurement")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (keep 1 for reported numbers)")
    p.add_argument("--output", default=os.path.join(ROOT, "benchmarks", "results", "encoder_benchmark.json"))
    p.add_argument("--plot", default=None, help="PNG path (default: --output with .png)")
    args = p.parse_args(argv)
    lengths = [int(x) if float(x).is_integer() else x for x in args.lengths]
    data = run_benchmark(lengths, args.configs, args.step_ms, args.segment_length, args.max_baseline_seconds,
                         args.repeats, args.baseline_repeats, args.seed, args.threads,
                         log=lambda m: print(m, file=sys.stderr, flush=True))
    plot_path = args.plot or os.path.splitext(args.output)[0] + ".png"
    data["meta"]["plot"] = os.path.relpath(plot_path, ROOT) if plot_path.startswith(ROOT) else plot_path
    plot(data["results"], args.step_ms, plot_path)
    write_json_atomic(args.output, data)
    print(format_table(data["results"], data["ratios"]))
    for s in data["skipped"]:
        print(f"skipped: {s['config']} {s['encoder']} {s['length_s']:g} s ({s['reason']})")
    for c in data["checks"]:
        print(f"check {c['config']} {c['check']}: {c['value']:.2f} (target {c['target']}) "
              f"{'PASS' if c['passed'] else 'FAIL'}")
    print(f"wrote {args.output} and {plot_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

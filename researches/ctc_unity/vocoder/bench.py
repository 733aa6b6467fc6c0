"""Benchmark streaming vs whole-utterance unit vocoding on real data (seam artifacts, speed).

For the first ``--n-utts`` utterances of ``units/{split}.tsv``, the reduced units are
synthesized once whole (``dur_prediction=True``) and once through
:class:`.streaming.StreamingVocoder` in random chunks of ``--min-chunk``..``--max-chunk``
units (how a simultaneous decoder emits them), for several ``lookahead_frames`` settings.
Prints one line per setting with the mean :func:`.streaming.seam_artifact` numbers, the
added latency and the real-time factor, and optionally writes them as JSON.

    python -m ctc_unity.vocoder.bench --vocoder runs/vocoder_cpu --data data/embedded/s2st
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from .code_hifigan import load_vocoder
from .dataset import read_unit_tsv
from .streaming import StreamingVocoder, random_chunks, seam_artifact


def run_benchmark(vocoder, unit_seqs: Sequence[Sequence[int]], lookaheads: Sequence[int] = (0, 1, 2, 4),
                  context_units: Optional[int] = None, min_chunk: int = 3, max_chunk: int = 10,
                  seed: int = 0) -> List[Dict[str, Any]]:
    """Mean seam metrics per ``lookahead_frames`` setting.

    Streaming wrapper (:class:`.streaming.StreamingVocoder`) around a unit vocoder with a
    duration predictor (Lee et al. 2022).

    Args:
        vocoder: from :func:`.code_hifigan.load_vocoder` (with a duration predictor).
        unit_seqs: reduced unit sequences.
        lookaheads: ``lookahead_frames`` values to try (cross-fade = the held-back audio).
        context_units: left context in frames (None: receptive field).
        min_chunk, max_chunk: chunk sizes in reduced units.

    Returns:
        one dict per setting: ``lookahead_frames``, ``latency_ms`` (held-back audio, 20 ms per
        frame), ``held_reduced_units`` (units awaiting right context for their durations),
        mean ``lsd_seam_db`` / ``lsd_other_db`` / ``seam_excess_db`` / ``hf_ratio_seam`` /
        ``snr_db``, max ``|length_diff|``, ``rtf_whole`` and ``rtf_stream`` (compute seconds per
        audio second).
    """
    wholes, t_whole = [], 0.0
    for u in unit_seqs:
        t0 = time.perf_counter()
        wholes.append(vocoder.synthesize(torch.tensor(u), dur_prediction=True))
        t_whole += time.perf_counter() - t0
    audio_s = sum(w.numel() for w in wholes) / vocoder.sample_rate
    rows = []
    for la in lookaheads:
        sv = StreamingVocoder(vocoder, context_units=context_units, lookahead_frames=la, dur_prediction=True)
        metrics, t_stream = [], 0.0
        for i, (u, whole) in enumerate(zip(unit_seqs, wholes)):
            t0 = time.perf_counter()
            streamed = sv.synthesize_chunks(random_chunks(u, min_chunk, max_chunk, seed=seed + i))
            t_stream += time.perf_counter() - t0
            metrics.append(seam_artifact(whole, streamed, sv.seam_positions))

        def mean(k):
            v = [m[k] for m in metrics if math.isfinite(m[k])]
            return float(np.mean(v)) if v else float("nan")

        rows.append({
            "lookahead_frames": la, "context_units": sv.context_units,
            "latency_ms": 20.0 * la, "held_reduced_units": sv.dur_context,
            "lsd_seam_db": mean("lsd_seam_db"), "lsd_other_db": mean("lsd_other_db"),
            "seam_excess_db": mean("seam_excess_db"), "hf_ratio_seam": mean("hf_ratio_seam"),
            "snr_db": mean("snr_db"), "max_abs_length_diff": max(abs(m["length_diff"]) for m in metrics),
            "rtf_whole": t_whole / audio_s, "rtf_stream": t_stream / audio_s,
        })
    return rows


def main(argv: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    """Command line (see the module docstring); returns the rows of :func:`run_benchmark`."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vocoder", required=True, help="run dir / config.json / griffin-lim config")
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--data", default="data/embedded/s2st")
    p.add_argument("--split", default="dev")
    p.add_argument("--n-utts", type=int, default=10)
    p.add_argument("--lookaheads", default="0,1,2,4")
    p.add_argument("--context-units", type=int, default=None)
    p.add_argument("--min-chunk", type=int, default=3)
    p.add_argument("--max-chunk", type=int, default=10)
    p.add_argument("--output", default=None, help="write the rows as JSON here")
    a = p.parse_args(argv)
    voc = load_vocoder(a.vocoder, a.checkpoint)
    rows_in = read_unit_tsv(f"{a.data}/units/{a.split}.tsv")[: a.n_utts]
    rows = run_benchmark(voc, [u for _, u, _ in rows_in], [int(x) for x in a.lookaheads.split(",")],
                         a.context_units, a.min_chunk, a.max_chunk)
    for r in rows:
        print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    if a.output:
        from ..datasets.atomic import write_json_atomic

        write_json_atomic(a.output, rows)
    return rows


if __name__ == "__main__":
    main()

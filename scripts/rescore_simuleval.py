#!/usr/bin/env python
"""Computation-aware latency of a finished SimulEval run, from its ``instances.log``.

    .venv/bin/python scripts/rescore_simuleval.py --output runs/simuleval/x/s2tt_word_320 \
        --latency-metrics AL LAAL StartOffset EndOffset ATD [--eval-latency-unit word]

Uses SimulEval's own latency scorers with ``computation_aware=True`` (they read the logged
``elapsed`` times: ideal delay + wall-clock compute) and writes ``scores_ca.tsv`` next to
``scores.tsv`` (quality columns copied from it). ``simuleval --score-only`` only prints its
results, hence this script.
"""
import argparse
import os

from ctc_unity.datasets.atomic import write_csv_atomic
from ctc_unity.datasets.tsv import read_tsv
from simuleval.evaluator.instance import LogInstance
from simuleval.evaluator.scorers.latency_scorer import LATENCY_SCORERS_DICT


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output", required=True, help="SimulEval output folder (instances.log, scores.tsv)")
    p.add_argument("--latency-metrics", nargs="+", required=True)
    p.add_argument("--eval-latency-unit", default="word")
    a = p.parse_args(argv)
    with open(os.path.join(a.output, "instances.log")) as fh:
        instances = {i: LogInstance(line, a.eval_latency_unit) for i, line in enumerate(fh) if line.strip()}
    if not instances:
        raise SystemExit(f"{a.output}/instances.log has no instances")
    row = {}
    scores_path = os.path.join(a.output, "scores.tsv")
    if os.path.isfile(scores_path):
        row.update(next(iter(read_tsv(scores_path)), {}))
    for name in a.latency_metrics:
        if name not in LATENCY_SCORERS_DICT:
            raise SystemExit(f"unknown latency metric {name!r}")
        try:
            row[name] = round(LATENCY_SCORERS_DICT[name](computation_aware=True, use_ref_len=True)(instances), 3)
        except (AssertionError, KeyError, TypeError, ZeroDivisionError):
            row[name] = ""  # metric without wall-clock timestamps in the log (e.g. RTF for speech)
    write_csv_atomic(os.path.join(a.output, "scores_ca.tsv"), [row], fieldnames=list(row), delimiter="\t")
    print("\t".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Rescore a finished SimulEval run from its ``instances.log``: computation-aware latency, and
ASR-BLEU with a second judge.

    .venv/bin/python scripts/rescore_simuleval.py --output runs/simuleval/x/s2tt_word_320 \\
        --latency-metrics AL LAAL StartOffset EndOffset ATD [--eval-latency-unit word]
    .venv/bin/python scripts/rescore_simuleval.py --output runs/simuleval/x/s2st_word_320 \\
        --asr-backend pocketsphinx --asr-reference-wav-list tgt_wav_list.txt [--asr-ceiling-cache FILE]

``--latency-metrics``: SimulEval's own latency scorers with ``computation_aware=True`` (they
read the logged ``elapsed`` times: ideal delay + wall-clock compute), written to
``scores_ca.tsv`` next to ``scores.tsv`` (quality columns copied from it). ``simuleval
--score-only`` only prints its results, hence this script.

``--asr-backend``: the ASR-BLEU of a speech-output run's wavs with another ASR back end than
the run's own (an independent judge beside the default one), by the same scorer as SimulEval's
``ASR_BLEU_OFFLINE``; written to ``asr_bleu_<name>.json`` and ``asr_bleu_<name>_transcripts.txt``
(``<name>``: ``--asr-name``, default the back end's kind, e.g. ``pocketsphinx``), with the
ceiling on the reference speech when ``--asr-reference-wav-list`` is given.
``ctc_unity.simuleval_results`` reports it as the columns ``ASR_BLEU_<name>`` and
``ASR_BLEU_<name>_CEILING``. Errors are one line and exit status 2.
"""
import argparse
import os
import sys

from ctc_unity.datasets.atomic import write_csv_atomic
from ctc_unity.datasets.tsv import read_tsv
from simuleval.evaluator.instance import LogInstance
from simuleval.evaluator.scorers.latency_scorer import LATENCY_SCORERS_DICT


def read_instances(output, latency_unit="word"):
    """``{index: LogInstance}`` of ``output/instances.log``.

    Raises:
        SystemExit: no such log, or a log without instances.
    """
    path = os.path.join(output, "instances.log")
    if not os.path.isfile(path):
        raise SystemExit(f"{path}: no such file (not a finished SimulEval run)")
    with open(path) as fh:
        instances = {i: LogInstance(line, latency_unit) for i, line in enumerate(fh) if line.strip()}
    if not instances:
        raise SystemExit(f"{path} has no instances")
    return instances


def rescore_latency(output, instances, metrics):
    """Write ``scores_ca.tsv`` (computation-aware ``metrics``) and return its row."""
    row = {}
    scores_path = os.path.join(output, "scores.tsv")
    if os.path.isfile(scores_path):
        row.update(next(iter(read_tsv(scores_path)), {}))
    for name in metrics:
        if name not in LATENCY_SCORERS_DICT:
            raise SystemExit(f"unknown latency metric {name!r}")
        try:
            row[name] = round(LATENCY_SCORERS_DICT[name](computation_aware=True, use_ref_len=True)(instances), 3)
        except (AssertionError, KeyError, TypeError, ZeroDivisionError):
            row[name] = ""  # metric without wall-clock timestamps in the log (e.g. RTF for speech)
    write_csv_atomic(os.path.join(output, "scores_ca.tsv"), [row], fieldnames=list(row), delimiter="\t")
    return row


def rescore_asr_bleu(output, instances, backend, name=None, reference_wav_list=None, ceiling_cache=None,
                     device="cpu"):
    """ASR-BLEU of the run's speech with ``backend``; writes ``asr_bleu_<name>.json`` and returns
    ``{"name", "bleu", "wer", "n_empty", "ceiling"}`` (ceiling BLEU or ``None``)."""
    from ctc_unity.asr_bleu.simuleval_scorer import OfflineASRBLEUScorer

    name = name or backend.split(":", 1)[0]
    scorer = OfflineASRBLEUScorer(backend=backend, reference_wav_list=reference_wav_list,
                                  ceiling=reference_wav_list is not None, output=output, device=device,
                                  report=f"asr_bleu_{name}", ceiling_cache=ceiling_cache)
    result = scorer.score(instances)
    ceiling = result["ceiling"]["bleu"] if result["ceiling"] else None
    return {"name": name, "bleu": result["bleu"], "wer": result["wer"], "n_empty": result["n_empty"],
            "ceiling": ceiling}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output", required=True, help="SimulEval output folder (instances.log, scores.tsv)")
    p.add_argument("--latency-metrics", nargs="+", default=[])
    p.add_argument("--eval-latency-unit", default="word")
    p.add_argument("--asr-backend", help="a second ASR-BLEU judge: pocketsphinx | ctc:CHECKPOINT | wav2vec2:EXPORT")
    p.add_argument("--asr-name", help="report name (default: the back end's kind)")
    p.add_argument("--asr-reference-wav-list", help="reference target speech list (line i = instance i): the ceiling")
    p.add_argument("--asr-ceiling-cache", help="JSON file sharing the ceiling between the runs of a sweep")
    p.add_argument("--asr-device", default="cpu")
    a = p.parse_args(argv)
    if not a.latency_metrics and not a.asr_backend:
        p.error("nothing to do: give --latency-metrics and/or --asr-backend")
    instances = read_instances(a.output, a.eval_latency_unit)
    if a.latency_metrics:
        row = rescore_latency(a.output, instances, a.latency_metrics)
        print("\t".join(f"{k}={v}" for k, v in row.items()))
    if a.asr_backend:
        try:
            r = rescore_asr_bleu(a.output, instances, a.asr_backend, a.asr_name, a.asr_reference_wav_list,
                                 a.asr_ceiling_cache, a.asr_device)
        except (OSError, ValueError) as e:
            print(f"rescore_simuleval: {a.output}: {e}", file=sys.stderr)
            sys.exit(2)
        print("\t".join(f"ASR_BLEU_{r['name']}{s}={v}" for s, v in (("", r["bleu"]), ("_CEILING", r["ceiling"]))))


if __name__ == "__main__":
    main()

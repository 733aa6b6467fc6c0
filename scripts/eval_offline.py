#!/usr/bin/env python
"""Offline evaluation of an EchoStream checkpoint on a data split (all heads).

    .venv/bin/python scripts/eval_offline.py --checkpoint runs/echostream_cpu/checkpoints/checkpoint_best.pt \
        --data data/embedded/s2st --split test [--segment-length 0] [--beam 5]
Prints and writes (with --output) JSON: asr_wer, st_ctc_bleu, mt_bleu_greedy, mt_bleu_beam5,
unit_error_rate (units from the greedy translation), unit_error_rate_tf (teacher-forced text).
"""
import argparse
import json
import logging
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "researches"))
sys.path.insert(0, ROOT)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", help="prepared data folder (default: the one stored in the checkpoint)")
    p.add_argument("--split", default="test")
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--segment-length", type=int, default=0, help="encoder segment length (0 = full context)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--max-utterances", type=int)
    p.add_argument("--output", help="write the JSON report here (atomically)")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from researches.ctc_unity.plugin import load

    load()
    from ctc_unity.evaluation import evaluate, load_model
    from researches.ctc_unity.datasets.corpus import write_json_atomic

    model, task, _ = load_model(a.checkpoint, a.data, a.device, a.segment_length)
    report = evaluate(model, task, a.split, beam=a.beam, device=a.device, max_utterances=a.max_utterances)
    report["checkpoint"] = a.checkpoint
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if a.output:
        write_json_atomic(a.output, report)


if __name__ == "__main__":
    main()

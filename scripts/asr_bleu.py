#!/usr/bin/env python
"""ASR-BLEU of a list of wav files, reported next to the reference-speech ceiling, as JSON.

    .venv/bin/python scripts/asr_bleu.py --wav-list LIST --references target.txt \\
        --backend pocketsphinx|ctc:CKPT|wav2vec2:EXPORT [--reference-wav-list tgt_wav_list.txt]

LIST: one audio path per line (line i = reference line i). The JSON on stdout has
``asr_bleu`` and ``ceiling`` (each: bleu, wer, n, n_empty, bleu_str, signature) and the
back end; ``--output FILE`` also writes the full result (hypotheses included). See
:mod:`ctc_unity.asr_bleu.scorer` for normalization and audio checks.
"""
import argparse
import json
import logging
import os
import sys
import time


from ctc_unity.asr_bleu.scorer import evaluate, read_lines  # noqa: E402
from ctc_unity.asr_bleu.transcriber import build_transcriber  # noqa: E402
from ctc_unity.datasets.atomic import write_json_atomic  # noqa: E402

SUMMARY_KEYS = ("bleu", "wer", "n", "n_empty", "bleu_str", "bleu_signature", "audio_seconds")


def main(argv=None) -> dict:
    """Parse ``argv``, score, print the summary JSON and return it.

    Raises:
        SystemExit: bad arguments or list files of different lengths.
        FileNotFoundError, AudioError, ValueError: missing lists, bad audio (named), bad back end.
    """
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--wav-list", required=True, help="system output audio, one path per line")
    p.add_argument("--references", required=True, help="reference text, one sentence per line")
    p.add_argument("--backend", default="pocketsphinx", help="pocketsphinx | ctc:CHECKPOINT | wav2vec2:EXPORT")
    p.add_argument("--reference-wav-list", default=None, help="reference target speech list (the ceiling)")
    p.add_argument("--limit", type=int, default=0, help="score only the first N lines (0: all)")
    p.add_argument("--empty-ok", action="store_true",
                   help="score missing/empty/silent system audio as empty hypotheses instead of failing")
    p.add_argument("--tokenize", default="13a", help="sacrebleu tokenizer")
    p.add_argument("--device", default="cpu")
    p.add_argument("--output", default=None, help="write the full JSON result (with hypotheses) here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s | %(name)s | %(message)s", stream=sys.stderr)

    wavs = read_lines(args.wav_list)
    refs = read_lines(args.references)
    ref_wavs = read_lines(args.reference_wav_list) if args.reference_wav_list else None
    if len(wavs) != len(refs):
        p.error(f"{args.wav_list} has {len(wavs)} lines but {args.references} has {len(refs)}")
    if ref_wavs is not None and len(ref_wavs) != len(refs):
        p.error(f"{args.reference_wav_list} has {len(ref_wavs)} lines but {args.references} has {len(refs)}")
    if args.limit:
        wavs, refs = wavs[: args.limit], refs[: args.limit]
        ref_wavs = ref_wavs[: args.limit] if ref_wavs is not None else None
    t0 = time.time()
    transcriber = build_transcriber(args.backend, device=args.device)
    result = evaluate(wavs, refs, transcriber, reference_wavs=ref_wavs, tokenize=args.tokenize,
                      empty_ok=args.empty_ok, progress=not args.quiet)
    summary = {
        "backend": args.backend,
        "asr": result["asr"],
        "asr_bleu": {k: result["asr_bleu"][k] for k in SUMMARY_KEYS},
        "ceiling": None if result["ceiling"] is None else {k: result["ceiling"][k] for k in SUMMARY_KEYS},
        "wav_list": os.path.abspath(args.wav_list),
        "reference_wav_list": os.path.abspath(args.reference_wav_list) if args.reference_wav_list else None,
        "seconds": round(time.time() - t0, 2),
    }
    if args.output:
        write_json_atomic(args.output, {**summary, "full": result})
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()

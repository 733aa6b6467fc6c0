#!/usr/bin/env python
"""Resynthesis evaluation of a unit vocoder: reference target units -> speech -> ASR-BLEU, MCD, RTF.

    .venv/bin/python scripts/eval_resynthesis.py --data data/embedded/s2st --split test \
        --vocoder runs/vocoder_cpu [--backend ctc:runs/asr_ctc/checkpoint_best.pt] [--durations predicted] \
        [--max-utterances 100] --output runs/resynthesis/vocoder_cpu.json

For each utterance of the split, the reference reduced units (``units/<split>.tsv``) are
synthesized with the vocoder, using the vocoder's duration predictor (``predicted``, what an
S2ST system does) or the reference run-lengths (``reference``). Reported, next to each other:

* ASR-BLEU of the resynthesized speech and of the reference target speech (the ceiling) with
  the same ASR back end, and their ratio;
* mel-cepstral distortion between resynthesis and reference (fairseq's
  ``batch_mel_cepstral_distortion``: 13-dim MFCC, DTW-aligned, normalized by path length);
* synthesis real-time factor (seconds of compute per second of audio, this process's threads).
"""
import argparse
import json
import os
import time

import torch



def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--vocoder", required=True, help="vocoder run dir / config.json / fallback JSON")
    p.add_argument("--checkpoint", help="CodeHiFiGAN checkpoint (default: found in the vocoder dir)")
    p.add_argument("--backend", default="pocketsphinx", help="pocketsphinx | ctc:CKPT | wav2vec2:DIR")
    p.add_argument("--durations", default="predicted", choices=["predicted", "reference"])
    p.add_argument("--max-utterances", type=int)
    p.add_argument("--save-wavs", help="folder for the resynthesized WAVs")
    p.add_argument("--output", help="JSON report (written atomically)")
    a = p.parse_args(argv)
    from fairseq.tasks.text_to_speech import batch_mel_cepstral_distortion

    from ctc_unity.asr_bleu.scorer import evaluate
    from ctc_unity.datasets.atomic import write_json_atomic
    from ctc_unity.datasets.audio_io import SAMPLE_RATE, load_audio, write_wav_atomic
    from ctc_unity.datasets.tsv import read_tsv
    from ctc_unity.vocoder import load_vocoder

    rows = read_tsv(os.path.join(a.data, "units", f"{a.split}.tsv"), ("id", "units", "durations"))
    ref_wavs = open(os.path.join(a.data, "simuleval", a.split, "tgt_wav_list.txt")).read().split("\n")[: len(rows)]
    refs = open(os.path.join(a.data, "simuleval", a.split, "target.txt")).read().split("\n")[: len(rows)]
    n = len(rows) if a.max_utterances is None else min(len(rows), a.max_utterances)
    rows, ref_wavs, refs = rows[:n], ref_wavs[:n], refs[:n]
    vocoder = load_vocoder(a.vocoder, a.checkpoint)
    outputs, compute, audio_s = [], 0.0, 0.0
    for i, row in enumerate(rows):
        units = torch.tensor([int(u) for u in row["units"].split()])
        t0 = time.perf_counter()
        with torch.no_grad():
            if a.durations == "reference":
                wav = vocoder.synthesize(units, durations=torch.tensor([int(d) for d in row["durations"].split()]))
            else:
                wav = vocoder.synthesize(units, dur_prediction=True)
        compute += time.perf_counter() - t0
        audio_s += wav.numel() / SAMPLE_RATE
        outputs.append(wav.float().cpu())
        if a.save_wavs:
            write_wav_atomic(os.path.join(a.save_wavs, f"{row['id']}.wav"), outputs[-1])
    scores = evaluate(outputs, refs, a.backend, reference_wavs=ref_wavs)
    mcd = batch_mel_cepstral_distortion([load_audio(w)[0] for w in ref_wavs], outputs, SAMPLE_RATE, normalize_type="path")
    mcd_values = [float(d) for d, _ in mcd]
    ceiling = scores["ceiling"]["bleu"] if scores.get("ceiling") else None
    report = {
        "data": a.data, "split": a.split, "n": n, "vocoder": a.vocoder, "durations": a.durations, "asr": scores["asr"],
        "asr_bleu_resynthesis": round(scores["asr_bleu"]["bleu"], 2), "wer_resynthesis": round(scores["asr_bleu"]["wer"], 2),
        "asr_bleu_reference": None if ceiling is None else round(ceiling, 2),
        "wer_reference": None if not scores.get("ceiling") else round(scores["ceiling"]["wer"], 2),
        "ratio_to_reference": None if not ceiling else round(scores["asr_bleu"]["bleu"] / ceiling, 3),
        "mcd_mean": round(sum(mcd_values) / len(mcd_values), 3),
        "synthesis_rtf": round(compute / max(audio_s, 1e-9), 4), "threads": torch.get_num_threads(),
    }
    print(json.dumps(report, indent=2))
    if a.output:
        write_json_atomic(a.output, report)


if __name__ == "__main__":
    main()

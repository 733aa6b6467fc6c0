"""Translate a recording as it streams: French speech in, English speech + text out.

    python -m agent.demo --model runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt \\
        --input speech.mp3 --output out.wav [--policy word] [--segment-ms 320] [--realtime]

Any format soundfile or ffmpeg reads (wav/flac/ogg/mp3), any sample rate, mono or stereo:
the audio is resampled to 16 kHz and downmixed (both logged). It is fed to the S2ST agent in
chunks of ``--segment-ms`` (as a microphone would, with ``--realtime`` pacing it in wall
time), and the demo writes:

* ``out.wav``: the translated speech, each piece placed at the source time it was produced
  (silence while waiting), as a listener of the live system would hear it;
* ``out.txt``: the translation; ``out.asr.txt``: the running ASR's final text;
* ``out.timeline.json``: per chunk, the source time read (ms), the wall-clock compute time,
  and the source words recognised / target words and speech written at that moment.

Errors: unreadable, missing or empty input files raise :class:`AudioError` naming the file.
"""
import argparse
import importlib.util
import json
import logging
import os
import time

import numpy as np
import soundfile as sf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from ctc_unity.datasets.atomic import atomic_open  # noqa: E402
from ctc_unity.datasets.audio_io import load_audio  # noqa: E402

logger = logging.getLogger("echostream.demo")
SR = 16000


def load_agent_class(kind: str = "speech_to_speech"):
    """The SimulEval agent class of an entry file in ``agent/`` (file names contain dots)."""
    path = os.path.join(ROOT, "agent", f"{kind}.echostream.agent.py")
    spec = importlib.util.spec_from_file_location(f"echostream_{kind.replace('.', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return next(v for k, v in vars(module).items() if k.startswith("EchoStream") and k.endswith("Agent"))


def build_agent(args):
    """Instantiate the S2ST agent with the demo's options."""
    from agent.simuleval_base import agent_options

    cls = load_agent_class("speech_to_speech")
    return cls(agent_options(args.model, data_bin=args.data_bin, policy=args.policy, word_holdback=args.word_holdback,
                             vocoder=args.vocoder, vocoder_checkpoint=args.vocoder_checkpoint,
                             source_segment_size=args.segment_ms, device=args.device,
                             vocoder_drain=args.vocoder_drain, min_start_ms=args.min_start_ms))


def run_demo(args) -> dict:
    """Stream ``args.input`` through the S2ST agent; write the outputs; return a summary dict."""
    from simuleval.data.segments import SpeechSegment

    wav, info = load_audio(args.input)
    if info.resampled or info.downmixed:
        logger.info(f"input {args.input}: {info.orig_channels} channel(s) at {info.orig_sample_rate} Hz "
                    f"-> mono {SR} Hz")
    agent = build_agent(args)
    agent.reset()
    chunk = int(SR * args.segment_ms / 1000)
    samples = wav.numpy()
    timeline, pieces, placed = [], [], []
    asr_words_seen = trans_words_seen = 0
    t_start = time.perf_counter()
    compute = 0.0
    for start in range(0, len(samples), chunk):
        end = min(len(samples), start + chunk)
        finished = end >= len(samples)
        if args.realtime:
            lag = end / SR - (time.perf_counter() - t_start)
            if lag > 0:
                time.sleep(lag)
        t0 = time.perf_counter()
        out = agent.pushpop(SpeechSegment(content=samples[start:end].tolist(), sample_rate=SR, finished=finished))
        # after the source ended, keep asking until the agent says it is done
        outs = [out]
        while finished and not outs[-1].finished:
            outs.append(agent.pop())
        dt = time.perf_counter() - t0
        compute += dt
        new_speech = [x for o in outs if not o.is_empty for x in o.content]
        asr_words = agent.asr_text().split()
        trans_words = agent.translation_text().split()
        event = {"source_ms": round(1000 * end / SR, 1), "compute_ms": round(1000 * dt, 2),
                 "asr_words_read": asr_words[asr_words_seen:], "target_words_written": trans_words[trans_words_seen:],
                 "speech_samples_written": len(new_speech)}
        asr_words_seen, trans_words_seen = len(asr_words), len(trans_words)
        if new_speech:
            placed.append((end, np.asarray(new_speech, dtype=np.float32)))
        timeline.append(event)
    # place speech at its emission time (as heard live), never overlapping earlier speech
    cursor, pieces = 0, []
    for emit, audio in placed:
        if emit > cursor:
            pieces.append(np.zeros(emit - cursor, dtype=np.float32))
            cursor = emit
        pieces.append(audio)
        cursor += len(audio)
    out_audio = np.concatenate(pieces) if pieces else np.zeros(SR // 10, dtype=np.float32)
    stem = os.path.splitext(args.output)[0]
    with atomic_open(args.output, "wb") as fh:
        sf.write(fh, out_audio, SR, format="WAV", subtype="PCM_16")
    translation, asr = agent.translation_text(), agent.asr_text()
    for path, text in ((stem + ".txt", translation), (stem + ".asr.txt", asr)):
        with atomic_open(path) as fh:
            fh.write(text + "\n")
    summary = {"input": args.input, "input_seconds": round(len(samples) / SR, 3), "compute_seconds": round(compute, 3),
               "rtf": round(compute / max(len(samples) / SR, 1e-9), 3), "translation": translation, "asr": asr,
               "first_speech_source_ms": round(1000 * placed[0][0] / SR, 1) if placed else None,
               "output_seconds": round(len(out_audio) / SR, 3), "policy": args.policy, "segment_ms": args.segment_ms,
               "timeline": timeline}
    with atomic_open(stem + ".timeline.json") as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
    return summary


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="EchoStream checkpoint")
    p.add_argument("--input", required=True, help="recording (wav/flac/ogg/mp3, any rate, mono/stereo)")
    p.add_argument("--output", required=True, help="translated speech (.wav); .txt/.asr.txt/.timeline.json beside it")
    p.add_argument("--data-bin", help="prepared data folder (default: the checkpoint's)")
    p.add_argument("--policy", default="word", choices=["alignment", "word", "wait-k"])
    p.add_argument("--word-holdback", type=int, default=0)
    p.add_argument("--segment-ms", type=int, default=320)
    p.add_argument("--vocoder", help="vocoder config (default: the data folder's vocoder/)")
    p.add_argument("--vocoder-checkpoint")
    p.add_argument("--vocoder-drain", default="auto", choices=["auto", "underrun", "always", "never"],
                   help="see the S2ST agent's --vocoder-drain")
    p.add_argument("--min-start-ms", type=float, default=400.0,
                   help="playout buffer before the first translated speech (ms; 0 = speak at once)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--realtime", action="store_true", help="pace the input in wall-clock time")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(levelname)s | %(message)s", force=True)
    summary = run_demo(args)
    print(json.dumps({k: v for k, v in summary.items() if k != "timeline"}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

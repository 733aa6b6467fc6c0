"""Translate a recording as it streams: source speech in (the model's language), English speech + text out.

    echostream-demo --model runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt \\
        --input speech.mp3 --output out.wav [--policy word] [--segment-ms 320] [--realtime]

Any format soundfile or ffmpeg reads (wav/flac/ogg/mp3), any sample rate, mono or stereo:
the audio is resampled to 16 kHz and downmixed (both logged). It is pushed to a
:class:`ctc_unity.streaming.StreamingSession` in chunks of ``--segment-ms`` (as a microphone
would, with ``--realtime`` pacing it in wall time), and the demo writes:

* ``out.wav``: the translated speech, each piece placed at the source time it was produced
  (silence while waiting), as a listener of the live system would hear it;
* ``out.txt``: the translation; ``out.asr.txt``: the running ASR's final text;
* ``out.timeline.json``: per chunk, the source time read (ms), the wall-clock compute time,
  and the source words recognised / target words and speech written at that moment.

The vocoder is the best that exists (``--vocoder``, else a trained CodeHiFiGAN, else the
zero-training Griffin-Lim fallback; the log says which). Errors (missing model or input,
unreadable audio, NaN/Inf samples) are one line on stderr and exit status 1.
"""
import argparse
import json
import logging
import os
import sys
import time

import numpy as np
import soundfile as sf

from agent import TRAINED_VOCODER_RUNS
from ctc_unity.datasets.atomic import atomic_open
from ctc_unity.datasets.audio_io import SAMPLE_RATE, AudioError, load_audio
from ctc_unity.streaming import POLICIES, SessionOptions, StreamingModel, StreamingSession, resolve_vocoder
from ctc_unity.streaming.speech import DRAIN_MODES

logger = logging.getLogger("echostream.demo")


def build_session(args) -> StreamingSession:
    """The demo's :class:`StreamingSession` (model, best vocoder, options from ``args``)."""
    bundle = StreamingModel.load(args.model, args.data_bin, args.device)
    vocoder, which = resolve_vocoder(bundle.data_dir, args.vocoder, args.vocoder_checkpoint, TRAINED_VOCODER_RUNS,
                                     args.device)
    logger.info(which)
    options = SessionOptions(policy=args.policy, segment_ms=args.segment_ms, word_holdback=args.word_holdback,
                             vocoder_drain=args.vocoder_drain, min_start_ms=args.min_start_ms)
    return StreamingSession(bundle, options, vocoder)


def place_speech(pieces, min_samples: int = SAMPLE_RATE // 10) -> np.ndarray:
    """Concatenate ``(emission sample, audio)`` pieces as a listener hears them: each piece
    starts at its emission time or when the previous one ends, silence in between."""
    cursor, out = 0, []
    for emit, audio in pieces:
        if emit > cursor:
            out.append(np.zeros(emit - cursor, dtype=np.float32))
            cursor = emit
        out.append(audio)
        cursor += len(audio)
    return np.concatenate(out) if out else np.zeros(min_samples, dtype=np.float32)


def run_demo(args, session: StreamingSession = None) -> dict:
    """Stream ``args.input`` through a session; write the outputs; return a summary dict.

    Raises:
        AudioError: the input is missing, unreadable, empty or has NaN/Inf samples.
        FileNotFoundError: the model or vocoder is missing.
    """
    wav, info = load_audio(args.input)
    if info.resampled or info.downmixed:
        logger.info(f"input {args.input}: {info.orig_channels} channel(s) at {info.orig_sample_rate} Hz "
                    f"-> mono {SAMPLE_RATE} Hz")
    session = session or build_session(args)
    session.reset()
    chunk = int(SAMPLE_RATE * args.segment_ms / 1000)
    samples = wav.numpy()
    timeline, placed, source_words, target_words = [], [], [], []
    t_start = time.perf_counter()
    compute = 0.0
    for start in range(0, len(samples), chunk):
        end = min(len(samples), start + chunk)
        if getattr(args, "vad", False):
            break  # the VAD path below
        if args.realtime:
            lag = end / SAMPLE_RATE - (time.perf_counter() - t_start)
            if lag > 0:
                time.sleep(lag)
        part = samples[start:end]
        step = session.finish(part) if end >= len(samples) else session.push(part)
        compute += step.compute_ms / 1000.0
        source_words += step.source_words
        target_words += step.target_words
        timeline.append({"source_ms": round(1000 * end / SAMPLE_RATE, 1), "compute_ms": round(step.compute_ms, 2),
                         "asr_words_read": step.source_words, "target_words_written": step.target_words,
                         "speech_samples_written": int(step.speech.size)})
        if step.speech.size:
            placed.append((end, step.speech))
    if getattr(args, "vad", False):
        compute = _run_vad(args, session, samples, chunk, t_start, timeline, placed, source_words, target_words)
    out_audio = place_speech(placed)
    stem = os.path.splitext(args.output)[0]
    with atomic_open(args.output, "wb") as fh:
        sf.write(fh, out_audio, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    translation, asr = " ".join(target_words), " ".join(source_words)
    for path, text in ((stem + ".txt", translation), (stem + ".asr.txt", asr)):
        with atomic_open(path) as fh:
            fh.write(text + "\n")
    seconds = len(samples) / SAMPLE_RATE
    summary = {"input": args.input, "input_seconds": round(seconds, 3), "compute_seconds": round(compute, 3),
               "rtf": round(compute / max(seconds, 1e-9), 3), "translation": translation, "asr": asr,
               "first_speech_source_ms": round(1000 * placed[0][0] / SAMPLE_RATE, 1) if placed else None,
               "output_seconds": round(len(out_audio) / SAMPLE_RATE, 3), "policy": args.policy,
               "segment_ms": args.segment_ms, "timeline": timeline}
    with atomic_open(stem + ".timeline.json") as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
    return summary


def _run_vad(args, session, samples, chunk, t_start, timeline, placed, source_words, target_words) -> float:
    """``--vad``: Silero VAD cuts the recording into utterances (``ctc_unity.streaming.vad``, as the
    live server does); silence is not translated, each utterance is finished and the session reset."""
    from ctc_unity.streaming.vad import UtteranceStream, VadSegmenter

    stream = UtteranceStream(session, VadSegmenter(min_silence_ms=args.vad_min_silence_ms,
                                                   max_utterance_ms=args.max_utterance_ms))
    compute = 0.0
    for start in range(0, len(samples), chunk):
        end = min(len(samples), start + chunk)
        if args.realtime:
            lag = end / SAMPLE_RATE - (time.perf_counter() - t_start)
            if lag > 0:
                time.sleep(lag)
        t0 = time.perf_counter()
        outs = stream.feed(samples[start:end])
        if end >= len(samples):
            outs += stream.end_utterance("end")
        compute += time.perf_counter() - t0
        for o in outs:
            if o.kind != "step":
                timeline.append({"source_ms": round(o.source_ms, 1), "vad": o.kind[4:], "utterance": o.utterance,
                                 "reason": o.reason})
                continue
            st = o.step
            source_words += st.source_words
            target_words += st.target_words
            timeline.append({"source_ms": round(o.source_ms, 1), "utterance": o.utterance,
                             "compute_ms": round(st.compute_ms, 2), "asr_words_read": st.source_words,
                             "target_words_written": st.target_words, "speech_samples_written": int(st.speech.size)})
            if st.speech.size:
                placed.append((int(round(o.source_ms * SAMPLE_RATE / 1000)), st.speech))
    return compute


def parser() -> argparse.ArgumentParser:
    d = SessionOptions()
    p = argparse.ArgumentParser(prog="echostream-demo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="EchoStream checkpoint")
    p.add_argument("--input", required=True, help="recording (wav/flac/ogg/mp3, any rate, mono/stereo)")
    p.add_argument("--output", required=True, help="translated speech (.wav); .txt/.asr.txt/.timeline.json beside it")
    p.add_argument("--data-bin", help="prepared data folder (default: the checkpoint's)")
    p.add_argument("--policy", default=d.policy, choices=list(POLICIES))
    p.add_argument("--word-holdback", type=int, default=d.word_holdback)
    p.add_argument("--segment-ms", type=int, default=int(d.segment_ms))
    p.add_argument("--vocoder", help="vocoder config (default: the best that exists; the log says which)")
    p.add_argument("--vocoder-checkpoint")
    p.add_argument("--vocoder-drain", default=d.vocoder_drain, choices=list(DRAIN_MODES),
                   help="when to emit the audio the streaming vocoder holds back (ctc_unity.streaming.speech)")
    p.add_argument("--min-start-ms", type=float, default=d.min_start_ms,
                   help="playout buffer before the first translated speech (ms; 0 = speak at once)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--realtime", action="store_true", help="pace the input in wall-clock time")
    p.add_argument("--vad", action="store_true",
                   help="cut long recordings into utterances at pauses (Silero VAD; silence is not translated)")
    p.add_argument("--vad-min-silence-ms", type=float, default=500.0, help="pause that ends an utterance (ms)")
    p.add_argument("--max-utterance-ms", type=float, default=20000.0, help="an utterance is cut by force at this length")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(levelname)s | %(message)s", force=True)
    try:
        summary = run_demo(args)
    except (AudioError, FileNotFoundError, ValueError) as e:
        print(f"echostream-demo: error: {e}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({k: v for k, v in summary.items() if k != "timeline"}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

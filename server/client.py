"""``echostream-client``: stream a recording to an EchoStream server as a microphone would.

    echostream-client talk.mp3 --output out.wav [--url ws://127.0.0.1:8000/v1/s2st] [--speed 1]
        [--vad] [--policy word] [--segment-ms 320] [--token T] [--native-rate]

Any format the demo reads (wav/flac/ogg/mp3, any rate, mono or stereo). The audio is sent in
``--frame-ms`` frames at real-time pace (``--speed N``: N times faster; ``0``: as fast as the
socket takes it), then ``end``; the live ASR and translation are printed as they arrive, and
the client writes, like the file demo:

* ``out.wav``: the translated speech, each piece placed at the time it arrived (scaled back to
  stream time with ``--speed``), silence in between;
* ``out.txt`` (translation), ``out.asr.txt`` (ASR) and ``out.timeline.json``: every message with
  its arrival time (ms since the first frame was sent) and, for results, the delay the server
  added (arrival - the moment the audio frame holding ``source_ms`` was sent).

Without this client, any WebSocket client and ffmpeg do (see ``docs/protocol.md``)::

    ffmpeg -i talk.mp3 -f s16le -ar 16000 -ac 1 - | <websocket client sending start, binary, end>
"""
import argparse
import asyncio
import bisect
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import numpy as np

from .protocol import PROTOCOL

DEFAULT_URL = "ws://127.0.0.1:8000/v1/s2st"


@dataclass
class ClientResult:
    """What a streamed session returned (see :func:`stream`)."""

    ready: dict = field(default_factory=dict)
    messages: List[dict] = field(default_factory=list)  # every JSON message, with "_t_ms" (arrival)
    speech: List[tuple] = field(default_factory=list)  # (header, float32 samples, arrival ms)
    asr: List[str] = field(default_factory=list)
    translation: List[str] = field(default_factory=list)
    done: Optional[dict] = None
    error: Optional[dict] = None
    close_code: Optional[int] = None
    frames_sent: List[tuple] = field(default_factory=list)  # (stream ms at the frame's end, send ms)
    delays_ms: List[float] = field(default_factory=list)  # per result (translation words / speech frame)

    def speech_audio(self) -> np.ndarray:
        return np.concatenate([s for _, s, _ in self.speech]) if self.speech else np.zeros(0, np.float32)

    def placed_speech(self, by: str = "source", speed: float = 1.0) -> np.ndarray:
        """The speech placed at the stream time it answers (``source``) or at its arrival (``arrival``)."""
        from agent.demo import place_speech

        pieces = []
        for h, s, t in self.speech:
            ms = h["source_ms"] if by == "source" else t * (speed or 1.0)
            pieces.append((int(round(ms * 16)), s))
        return place_speech(pieces)


def _delay(frames_sent, source_ms: float, arrival_ms: float) -> Optional[float]:
    ends = [e for e, _ in frames_sent]
    i = bisect.bisect_left(ends, source_ms - 1e-6)
    if i >= len(frames_sent):
        return None
    return arrival_ms - frames_sent[i][1]


async def stream(url: str, samples: np.ndarray, rate: int = 16000, start: Optional[dict] = None, speed: float = 1.0,
                 frame_ms: float = 100.0, token: Optional[str] = None, encoding: str = "pcm_s16le",
                 on_message=None, flush_at_s: Sequence[float] = (), open_timeout: float = 30.0) -> ClientResult:
    """Stream ``samples`` (float32 mono at ``rate``) to the server; returns when it closes.

    Args:
        start: fields of the ``start`` message besides ``audio`` (policy, segment_ms, outputs, vad).
        speed: pace relative to real time (0 = no pacing).
        frame_ms: audio per binary frame.
        on_message: called with each JSON message (live printing).
        flush_at_s: send a ``flush`` right after the audio up to each of these times (s); frames are cut there.
    """
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    res = ClientResult()
    headers = {"Authorization": f"Bearer {token}"} if token else None
    frame = max(1, int(rate * frame_ms / 1000))
    if encoding == "pcm_s16le":
        payload = (np.clip(samples, -1, 1) * 32767).round().astype("<i2")
    else:
        payload = samples.astype("<f4")
    async with connect(url, additional_headers=headers, max_size=None, open_timeout=open_timeout) as ws:
        t0 = time.perf_counter()
        now_ms = lambda: 1000.0 * (time.perf_counter() - t0)  # noqa: E731
        await ws.send(json.dumps({"type": "start", "audio": {"encoding": encoding, "sample_rate": rate},
                                  **(start or {})}))

        async def send():
            nonlocal t0
            if await ready_event.wait() is None:
                return  # refused at `start`: the error message says why
            t0 = time.perf_counter()
            flushes = sorted(min(len(payload), int(round(f * rate))) for f in flush_at_s)
            s, i = 0, 0
            while s < len(payload):
                end = min(len(payload), s + frame, *[f for f in flushes if f > s])
                if speed:
                    lag = (end / rate) / speed - (time.perf_counter() - t0)
                    if lag > 0:
                        await asyncio.sleep(lag)
                await ws.send(payload[s:end].tobytes())
                res.frames_sent.append((1000.0 * end / rate, now_ms()))
                if end in flushes:
                    await ws.send(json.dumps({"type": "flush", "id": i}))
                s, i = end, i + 1
            await ws.send(json.dumps({"type": "end"}))

        class _Ready:
            def __init__(self):
                self.ev, self.value = asyncio.Event(), None

            async def wait(self):
                await self.ev.wait()
                return self.value

        ready_event = _Ready()
        sender = asyncio.create_task(send())
        pending_header = None
        try:
            async for msg in ws:
                t = now_ms()
                if isinstance(msg, bytes):
                    audio = np.frombuffer(msg, dtype="<i2").astype(np.float32) / 32768.0
                    res.speech.append((pending_header, audio, t))
                    d = _delay(res.frames_sent, pending_header["source_ms"], t) if pending_header else None
                    if d is not None:
                        res.delays_ms.append(d)
                    pending_header = None
                    continue
                m = json.loads(msg)
                m["_t_ms"] = round(t, 1)
                res.messages.append(m)
                kind = m.get("type")
                if kind == "ready":
                    res.ready = m
                    ready_event.value = msg
                    ready_event.ev.set()
                elif kind == "speech":
                    pending_header = m
                elif kind == "asr":
                    res.asr += m["words"]
                elif kind == "translation":
                    res.translation += m["words"]
                    if m["words"]:
                        d = _delay(res.frames_sent, m["source_ms"], t)
                        if d is not None:
                            res.delays_ms.append(d)
                elif kind == "done":
                    res.done = m["summary"]
                elif kind == "error":
                    res.error = m
                if on_message:
                    on_message(m)
        except ConnectionClosed:
            pass
        finally:
            ready_event.ev.set()
            if not sender.done():
                sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        res.close_code = ws.close_code
    return res


def write_outputs(res: ClientResult, output: str, speed: float, extra: dict) -> dict:
    import soundfile as sf

    from ctc_unity.datasets.atomic import atomic_open

    stem = os.path.splitext(output)[0]
    audio = res.placed_speech("arrival", speed)
    with atomic_open(output, "wb") as fh:
        sf.write(fh, audio, 16000, format="WAV", subtype="PCM_16")
    for path, words in ((stem + ".txt", res.translation), (stem + ".asr.txt", res.asr)):
        with atomic_open(path) as fh:
            fh.write(" ".join(words) + "\n")
    d = np.array(res.delays_ms) if res.delays_ms else None
    summary = {**extra, "protocol": PROTOCOL, "close_code": res.close_code, "error": res.error,
               "translation": " ".join(res.translation), "asr": " ".join(res.asr), "server_summary": res.done,
               "speech_frames": len(res.speech), "output_seconds": round(len(audio) / 16000, 3),
               "added_delay_ms": None if d is None else {"p50": round(float(np.percentile(d, 50)), 1),
                                                         "p95": round(float(np.percentile(d, 95)), 1),
                                                         "n": int(d.size)},
               "timeline": res.messages}
    with atomic_open(stem + ".timeline.json") as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
    return summary


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="echostream-client", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="recording (wav/flac/ogg/mp3, any rate, mono/stereo)")
    p.add_argument("--output", default="out.wav", help="translated speech; .txt/.asr.txt/.timeline.json beside it")
    p.add_argument("--url", default=DEFAULT_URL)
    p.add_argument("--token", default=os.environ.get("ECHOSTREAM_TOKEN"))
    p.add_argument("--speed", type=float, default=1.0, help="pace: 1 = real time, N = N times faster, 0 = unpaced")
    p.add_argument("--frame-ms", type=float, default=100.0)
    p.add_argument("--policy")
    p.add_argument("--segment-ms", type=int)
    p.add_argument("--vad", action="store_true", help="let the server cut utterances at pauses (Silero VAD)")
    p.add_argument("--no-speech", action="store_true", help="text only")
    p.add_argument("--native-rate", action="store_true", help="send the file's own sample rate (the server resamples)")
    p.add_argument("--encoding", default="pcm_s16le", choices=["pcm_s16le", "f32le"])
    p.add_argument("--quiet", action="store_true")
    return p


def read_recording(path: str, native_rate: bool):
    """``(float32 mono samples, rate)``: 16 kHz through the demo's loader, or the file's own rate."""
    from ctc_unity.datasets.audio_io import load_audio

    if not native_rate:
        wav, _ = load_audio(path)
        return wav.numpy(), 16000
    import soundfile as sf

    x, rate = sf.read(path, dtype="float32", always_2d=True)
    return x.mean(axis=1).astype(np.float32), int(rate)


def main(argv=None):
    import logging

    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", force=True)
    try:
        samples, rate = read_recording(args.input, args.native_rate)
    except (OSError, ValueError, RuntimeError) as e:
        print(f"echostream-client: error: {e}", file=sys.stderr)
        sys.exit(1)
    start = {k: v for k, v in (("policy", args.policy), ("segment_ms", args.segment_ms)) if v}
    start["outputs"] = ["asr", "text"] if args.no_speech else ["asr", "text", "speech"]
    start["vad"] = bool(args.vad)

    def show(m):
        if args.quiet:
            return
        t = m.get("_t_ms", 0) / 1000
        if m["type"] in ("asr", "translation") and (m["words"] or m["final"]):
            tag = "ASR" if m["type"] == "asr" else "EN "
            text = m["text"] if m["final"] else " ".join(m["words"])
            print(f"[{t:7.2f}s] {tag} {'(final) ' if m['final'] else ''}{text}", flush=True)
        elif m["type"] in ("warning", "error", "vad"):
            print(f"[{t:7.2f}s] {m['type'].upper()} {json.dumps({k: v for k, v in m.items() if k != '_t_ms'})}",
                  flush=True)

    try:
        res = asyncio.run(stream(args.url, samples, rate, start, args.speed, args.frame_ms, args.token,
                                 args.encoding, on_message=show))
    except (OSError, asyncio.TimeoutError) as e:
        print(f"echostream-client: error: cannot reach {args.url}: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # websockets' handshake refusals (401/403/503) carry the server's JSON error
        body = getattr(getattr(e, "response", None), "body", b"") or b""
        print(f"echostream-client: error: {e} {body.decode(errors='replace')}".strip(), file=sys.stderr)
        sys.exit(1)
    summary = write_outputs(res, args.output, args.speed, {"input": args.input, "url": args.url})
    print(json.dumps({k: v for k, v in summary.items() if k != "timeline"}, indent=2, ensure_ascii=False))
    if res.error or res.close_code not in (1000, None):
        sys.exit(2)


if __name__ == "__main__":
    main()

"""Load and soak measurements of the live server (issue 14); a script, not a timed test.

    # N concurrent real-time sessions (each a different mix of the recordings)
    python benchmarks/server_load.py --model CKPT [--vocoder GL.json] --wavs WAV_LIST \\
        --sessions 1,2,4,8,16 --seconds 20 --out load.json
    # one long session with pauses, faster than real time, VAD on
    python benchmarks/server_load.py --model CKPT --wavs WAV_LIST --soak-minutes 30 --speed 8 --out soak.json

The server runs as its own process (``python -m server``) so that the clients' work does not
share its CPU accounting; its resident memory is read from ``/proc``. Per N: p50/p95 of the delay
each result adds (client side: arrival of a ``translation`` event with words or of a speech frame
minus the moment the audio frame holding its ``source_ms`` was sent), server compute RTF (from
``done``), largest backlog (``stats``), dropped audio, resident memory per added session; a row is
*real time* when no audio was dropped and the backlog never passed two segments.
Soak: resident memory and compute per second of audio in the first and last 10 % of the stream,
VAD cut precision/recall against the known pauses, and whether the last words came before ``done``.
"""
import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


async def sampling_rss(pid: int, out: list, interval: float, work):
    """Await ``work`` while appending the server's resident memory (MB) to ``out`` every ``interval`` s."""
    async def sample():
        while True:
            out.append(rss_mb(pid))
            await asyncio.sleep(interval)

    s = asyncio.create_task(sample())
    try:
        return await work
    finally:
        s.cancel()


def start_server(args, port: int, max_sessions: int):
    cmd = [sys.executable, "-m", "server", "--model", args.model, "--port", str(port),
           "--max-sessions", str(max_sessions), "--max-backlog-ms", str(args.max_backlog_ms)]
    if args.vocoder:
        cmd += ["--vocoder", args.vocoder]
    if args.data_dir:
        cmd += ["--data-dir", args.data_dir]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(args.out + ".server.log", "w"))
    import httpx

    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited; see {args.out}.server.log")
        time.sleep(0.2)
    raise RuntimeError("server did not start")


def mix(wavs, seconds: float, seed: int, pauses=(0.3, 2.0)):
    """Recordings in random order with random pauses, ``seconds`` long; returns (audio, pause list (start, end) s)."""
    rng = np.random.default_rng(seed)
    parts, t, gaps = [], 0.0, []
    while t < seconds:
        w = wavs[int(rng.integers(len(wavs)))]
        parts.append(w)
        t += len(w) / 16000
        g = float(rng.uniform(*pauses))
        gaps.append((t, t + g))
        parts.append(np.zeros(int(g * 16000), np.float32))
        t += g
    return np.concatenate(parts), gaps[:-1]


def simuleval_latency(results, source_ms: float) -> dict:
    """AL, computation-aware AL and StartOffset of the sessions' translations, with SimulEval's scorers.

    Per target word: ``delays`` = the stream time (ms) it answers (``source_ms`` of its
    ``translation`` event), ``elapsed`` = when it arrived at the client (ms since the first audio
    frame was sent, at real-time pace: the computation-aware time). The reference length is the
    prediction's (no references here). Means over the sessions that wrote words.
    """
    from simuleval.evaluator.instance import LogInstance
    from simuleval.evaluator.scorers.latency_scorer import ALScorer, StartOffsetScorer

    instances = {}
    for i, r in enumerate(results):
        delays, elapsed = [], []
        for m in r.messages:
            if m.get("type") == "translation":
                delays += [m["source_ms"]] * len(m["words"])
                elapsed += [m["_t_ms"]] * len(m["words"])
        if delays:
            words = " ".join(f"w{j}" for j in range(len(delays)))
            instances[i] = LogInstance(json.dumps({"index": i, "prediction": words, "delays": delays, "elapsed": elapsed,
                                                   "prediction_length": len(delays), "reference": words,
                                                   "source_length": source_ms}))
    if not instances:
        return {}
    return {"AL_ms": round(ALScorer()(instances), 1), "AL_CA_ms": round(ALScorer(computation_aware=True)(instances), 1),
            "StartOffset_ms": round(StartOffsetScorer()(instances), 1),
            "StartOffset_CA_ms": round(StartOffsetScorer(computation_aware=True)(instances), 1)}


def load(args, wavs, port):
    from server.client import stream

    rows = []
    for n in [int(x) for x in args.sessions.split(",")]:
        proc = start_server(args, port, n)
        try:
            idle = rss_mb(proc.pid)
            audios = [mix(wavs, args.seconds, seed=i)[0] for i in range(n)]
            peak = [idle]
            url = f"ws://127.0.0.1:{port}/v1/s2st"

            async def sessions():
                return await asyncio.gather(*[
                    stream(url, a, speed=1.0, frame_ms=100, start={"policy": "word", "segment_ms": 320})
                    for a in audios])

            results = asyncio.run(sampling_rss(proc.pid, peak, 0.5, sessions()))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        delays = np.concatenate([np.array(r.delays_ms) for r in results if r.delays_ms] or [np.zeros(0)])
        backlog = max((m["backlog_ms"] for r in results for m in r.messages if m["type"] == "stats"), default=0.0)
        dropped = sum((r.done or {}).get("dropped_ms", 0.0) for r in results)
        rtf = float(np.mean([(r.done or {}).get("rtf", float("nan")) for r in results]))
        row = {"sessions": n, "delay_p50_ms": round(float(np.percentile(delays, 50)), 1) if delays.size else None,
               "delay_p95_ms": round(float(np.percentile(delays, 95)), 1) if delays.size else None,
               "results": int(delays.size), "server_rtf_per_session": round(rtf, 3),
               "max_backlog_ms": round(backlog, 1), "dropped_ms": round(dropped, 1),
               "lagging_warnings": sum(1 for r in results for m in r.messages if m["type"] == "warning"),
               "rss_idle_mb": round(idle, 1), "rss_peak_mb": round(max(peak), 1),
               "rss_per_session_mb": round((max(peak) - idle) / n, 1),
               "closed_ok": sum(1 for r in results if r.close_code == 1000),
               **simuleval_latency(results, 1000.0 * args.seconds)}
        row["real_time"] = bool(dropped == 0 and backlog <= 640 and row["closed_ok"] == n)
        print(json.dumps(row), flush=True)
        rows.append(row)
    rt = [r["sessions"] for r in rows if r["real_time"]]
    return {"rows": rows, "largest_real_time_n": max(rt) if rt else 0}


def soak(args, wavs, port):
    from server.client import stream

    audio, gaps = mix(wavs, args.soak_minutes * 60, seed=7)
    proc = start_server(args, port, 2)
    rss = []
    try:
        url = f"ws://127.0.0.1:{port}/v1/s2st"

        res = asyncio.run(sampling_rss(proc.pid, rss, 1.0, stream(
            url, audio, speed=args.speed, frame_ms=100,
            start={"policy": "word", "segment_ms": 320, "vad": {"min_silence_ms": args.min_silence_ms}})))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    stats = [m for m in res.messages if m["type"] == "stats"]
    # compute per second of audio, per stats interval, in the first and last 10 % of the stream
    per = []
    for a, b in zip(stats, stats[1:]):
        d = b["processed_ms"] - a["processed_ms"]
        if d > 0:
            per.append((b["processed_ms"], (b["compute_ms"] - a["compute_ms"]) / d))
    total = len(audio) / 16
    first = [x for t, x in per if t <= 0.1 * total]
    last = [x for t, x in per if t >= 0.9 * total]
    cuts = [m["source_ms"] / 1000 for m in res.messages if m["type"] == "vad" and m["event"] == "end"
            and m.get("reason") == "silence"]
    ms = args.min_silence_ms / 1000
    expected = [(a, b) for a, b in gaps if b - a >= ms + 0.1]
    ignore = [(a, b) for a, b in gaps if ms <= b - a < ms + 0.1]
    slack = 0.15
    hit = lambda c, g: g[0] <= c <= g[1] + slack  # noqa: E731
    counted = [c for c in cuts if not any(hit(c, g) for g in ignore)]
    precision = sum(any(hit(c, g) for g in expected) for c in counted) / max(1, len(counted))
    recall = sum(any(hit(c, g) for c in cuts) for g in expected) / max(1, len(expected))
    last_tr = max((i for i, m in enumerate(res.messages) if m["type"] == "translation" and m["final"]), default=-1)
    done_i = next((i for i, m in enumerate(res.messages) if m["type"] == "done"), None)
    n = len(rss)
    return {"audio_minutes": round(len(audio) / 16000 / 60, 2), "speed": args.speed,
            "rss_first10_mb": round(float(np.mean(rss[:max(1, n // 10)])), 1),
            "rss_last10_mb": round(float(np.mean(rss[-max(1, n // 10):])), 1),
            "compute_ms_per_audio_s_first10": round(1000 * float(np.mean(first)), 1) if first else None,
            "compute_ms_per_audio_s_last10": round(1000 * float(np.mean(last)), 1) if last else None,
            "vad_cuts": len(cuts), "pauses_expected": len(expected), "vad_precision": round(precision, 3),
            "vad_recall": round(recall, 3), "utterances": (res.done or {}).get("utterances"),
            "received_ms": (res.done or {}).get("received_ms"), "processed_ms": (res.done or {}).get("processed_ms"),
            "dropped_ms": (res.done or {}).get("dropped_ms"),
            "last_final_translation_before_done": done_i is not None and last_tr < done_i and last_tr >= 0,
            "close_code": res.close_code}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--data-dir", help="prepared data folder (default: the checkpoint's)")
    p.add_argument("--vocoder")
    p.add_argument("--wavs", required=True, help="a wav_list.txt (one recording per line)")
    p.add_argument("--sessions", default="1,2,4,8,16")
    p.add_argument("--seconds", type=float, default=20.0, help="audio per session (load)")
    p.add_argument("--soak-minutes", type=float, default=0.0, help="run the soak instead of the load table")
    p.add_argument("--speed", type=float, default=8.0, help="soak pace (x real time)")
    p.add_argument("--min-silence-ms", type=float, default=500.0)
    p.add_argument("--max-backlog-ms", type=float, default=10000.0)
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--out", default="server_load.json")
    args = p.parse_args()
    import logging

    from ctc_unity.datasets.audio_io import load_audio

    logging.basicConfig(level=logging.WARNING, force=True)  # the plugin's imports turn DEBUG on

    wavs = [load_audio(x)[0].numpy() for x in open(args.wavs).read().split()]
    result = soak(args, wavs, args.port) if args.soak_minutes else load(args, wavs, args.port)
    result["model"] = args.model
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

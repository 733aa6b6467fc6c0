"""Data-preparation throughput at scale (issue 18): a synthetic stand-in of N utterances, timed per stage.

    python benchmarks/prep_throughput.py --n-train 100000 --workers 2 --out-dir /tmp/prep100k \\
        --json benchmarks/results/prep_throughput_100k.json
    python benchmarks/prep_throughput.py --from-log runs/full_run.log --json ...   # figures of a finished run

Runs the two preparation steps the main job runs (``preprocess_scripts/build_corpus.py`` for the
embedded corpus at the given size, then ``preprocess_scripts/prep_s2st_data.py``) as child
processes and reports, per stage, the wall time and utterances per second (parsed from the
stages' own tqdm bars and log lines), the children's peak resident memory, the disk of each
output folder per hour of audio, and the projected preparation time of CVSS-C Fr->En
(:data:`PROJECTED_UTTERANCES`, ``--project-utterances``; no synthesis there, so only the preparation stages count, with
the caveat that CVSS-C's 48 kHz mp3 decode is slower than these WAVs).

A benchmark, not a test: at 100 000 utterances it takes about an hour on 2 cores.
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
#: utterances of the projection (default: CVSS-C Fr->En, train + dev + test, rounded; --project-utterances)
PROJECTED_UTTERANCES = 207_000
#: tqdm bars of the preparation (label -> stage name in the report)
_BAR = re.compile(r"(synthesising|audio\+fbank \w+|units \w+): +100%\|[^|]*\| *(\d+)/(\d+) \[(\d+):(\d+)(?::(\d+))?<")
_TS = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")


def _seconds(m) -> int:
    a, b, c = int(m.group(4)), int(m.group(5)), m.group(6)
    return a * 3600 + b * 60 + int(c) if c is not None else a * 60 + b


def parse_log(text: str) -> dict:
    """Per-bar ``{label: {"items", "seconds", "per_s"}}`` from the stages' tqdm output (``\\r`` separated).

    Only bars that reached 100 % count; the first finished bar of each label is kept.
    """
    out = {}
    for line in text.replace("\r", "\n").splitlines():
        m = _BAR.search(line)
        if m and m.group(1) not in out:
            secs = max(_seconds(m), 1)
            out[m.group(1)] = {"items": int(m.group(3)), "seconds": secs, "per_s": round(int(m.group(3)) / secs, 1)}
    return out


def du_bytes(path: str) -> int:
    """Bytes of the files under ``path`` (0 when absent)."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, f))
            except OSError:
                pass
    return total


def _run(cmd, log_fh) -> float:
    t0 = time.time()
    print(f"[prep_throughput] {' '.join(cmd)}", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, stdout=log_fh, stderr=subprocess.STDOUT)
    if proc.returncode:
        raise SystemExit(f"prep_throughput: {cmd[1]} failed (exit {proc.returncode}); see {log_fh.name}")
    return time.time() - t0


def report(bars: dict, walls: dict, raw_dir: str, s2st_dir: str, peak_rss_mb: float,
           projected: int = PROJECTED_UTTERANCES) -> dict:
    """The JSON report (see the module docstring) from parsed bars, stage wall times and the folders."""
    stats_path = os.path.join(raw_dir, "corpus_stats.json")
    stats = json.load(open(stats_path)) if os.path.isfile(stats_path) else {}
    hours = (stats.get("duration_s", {}).get("src", {}).get("total", 0.0)
             + stats.get("duration_s", {}).get("tgt", {}).get("total", 0.0)) / 3600.0
    n = stats.get("total_pairs", 0)
    disk = {name: du_bytes(p) for name, p in (("raw", raw_dir), ("s2st", s2st_dir))}
    prep_s = walls.get("prepare")
    out = {"utterances": n, "audio_hours_src_plus_tgt": round(hours, 2), "wall_s": walls, "bars": bars,
           "peak_rss_mb_children": round(peak_rss_mb, 1),
           "disk_gb": {k: round(v / 1e9, 3) for k, v in disk.items()},
           "disk_mb_per_audio_hour": {k: round(v / 1e6 / hours, 1) for k, v in disk.items()} if hours else {}}
    if prep_s and n:
        out["projected_utterances"] = projected
        out["projected_prepare_h"] = round(prep_s * projected / n / 3600.0, 2)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-train", type=int, default=100_000)
    p.add_argument("--n-dev", type=int, default=300)
    p.add_argument("--n-test", type=int, default=300)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--out-dir", default="runs/prep_throughput", help="corpus and prepared data land here")
    p.add_argument("--from-log", help="only parse this finished run's log (e.g. run.sh's) instead of running")
    p.add_argument("--raw-dir", help="with --from-log: its raw folder (default: data/embedded/raw)")
    p.add_argument("--s2st-dir", help="with --from-log: its prepared folder (default: data/embedded/s2st)")
    p.add_argument("--project-utterances", type=int, default=PROJECTED_UTTERANCES,
                   help="project the preparation time to this many utterances (default: CVSS-C Fr->En, %(default)s)")
    p.add_argument("--json", required=True, help="write the report here (atomically)")
    a = p.parse_args(argv)
    if a.from_log:
        if not os.path.isfile(a.from_log):
            raise SystemExit(f"prep_throughput: log not found: {a.from_log}")
        bars = parse_log(open(a.from_log, encoding="utf-8", errors="replace").read())
        res = report(bars, {}, a.raw_dir or "data/embedded/raw", a.s2st_dir or "data/embedded/s2st", 0.0,
                     a.project_utterances)
    else:
        raw, s2st = os.path.join(a.out_dir, "raw"), os.path.join(a.out_dir, "s2st")
        os.makedirs(a.out_dir, exist_ok=True)
        log_path = os.path.join(a.out_dir, "prep.log")
        with open(log_path, "w") as log_fh:
            walls = {"corpus": round(_run([PY, "preprocess_scripts/build_corpus.py", "--out-dir", raw,
                                           "--n-train", str(a.n_train), "--n-dev", str(a.n_dev),
                                           "--n-test", str(a.n_test), "--workers", str(a.workers)], log_fh), 1)}
            walls["prepare"] = round(_run([PY, "preprocess_scripts/prep_s2st_data.py", "--raw-dir", raw,
                                           "--out-dir", s2st, "--workers", str(a.workers)], log_fh), 1)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0  # KiB on Linux
        res = report(parse_log(open(log_path, encoding="utf-8", errors="replace").read()), walls, raw, s2st, peak, a.project_utterances)
        res["workers"] = a.workers
    tmp = a.json + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(tmp, "w") as fh:
        json.dump(res, fh, indent=2)
    os.replace(tmp, a.json)
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

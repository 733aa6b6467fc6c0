#!/usr/bin/env python
"""One machine-readable summary of a ``run.sh`` run: every stage's wall time, command and figures.

``run.sh`` calls ``record`` after each stage; the figures are read from the files the stage
scripts already write (nothing is re-computed), so every number can be traced to its command:

* ``data``: ``DATA/data_stats.json`` (utterances and hours per split, units, vocabularies);
* ``train`` / ``t2u``: ``RUN/eval_test.json`` (``echostream-eval``: ASR WER, ST-CTC BLEU, MT BLEU
  greedy and beam, unit error rates) and the last ``num_updates`` of ``RUN/train.log``;
* ``vocoder``: ``RUN/train.log`` (last step, last and best dev mel-L1);
* ``asr``: ``RUN/summary.json`` of ``train_asr.sh`` (steps, dev WER/CER of the best checkpoint);
* ``simuleval``: ``OUT/results.csv`` (one row per task/policy/segment) and the plot;
* ``demo``: the demo's ``*.timeline.json`` of each input (translation, ASR text, RTF, paths).

Commands (``python -m ctc_unity.run_summary ...``)::

    record --summary S --profile P --stage NAME --status done|skipped|failed --seconds N --command CMD
           [--data DIR] [--run DIR] [--out DIR] [--demo JSON ...] [--reference TEXT]
    done   --stage NAME [--data DIR] [--run DIR] [--out DIR] [--demo JSON ...] [--steps N] [--newer-than F]
                                # exit 0 if the stage's outputs exist (and reached N steps): run.sh skips it
    table  --summary S          # the headline tables (markdown), stage times, where the sample and plot are
    check  --summary S          # exit 1 naming every stage that did not finish or figure that is missing

The summary is rewritten atomically after every stage.
"""
import argparse
import csv
import datetime
import json
import math
import os
import re
import sys
from typing import Dict, List, Optional

from ctc_unity.datasets.atomic import write_json_atomic

STAGES = ("data", "train", "t2u", "vocoder", "asr", "simuleval", "demo", "serve")
# figures every finished stage must have (check); simuleval and demo are checked row by row
REQUIRED = {
    "data": ("train_utterances", "test_utterances", "train_hours", "n_units"),
    "train": ("num_updates", "asr_wer", "st_ctc_bleu", "mt_bleu_greedy", "mt_bleu_beam", "unit_error_rate"),
    "t2u": ("num_updates", "mt_bleu_greedy", "unit_error_rate", "unit_error_rate_tf"),
    "vocoder": ("step", "valid_mel_l1", "best_mel_l1"),
    "asr": ("step", "best_step", "dev_wer", "dev_cer"),
}
SEGMENT = "320"  # the headline segment size (ms)


# ------------------------------------------------------------------ readers (one per stage)


def _read_json(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def data_figures(data: str) -> dict:
    """Figures of a prepared data folder (``data_stats.json``)."""
    stats = _read_json(os.path.join(data, "data_stats.json"))
    out = {"data": data, "n_units": stats.get("n_units"), "src_vocab": stats.get("src_vocab"),
           "tgt_vocab": stats.get("tgt_vocab")}
    for split, s in stats.get("splits", {}).items():
        out[f"{split}_utterances"] = s.get("utterances")
        out[f"{split}_hours"] = s.get("src_hours")
    return out


def last_match(path: str, pattern: str) -> Optional[re.Match]:
    """The last match of ``pattern`` in a text file (None if the file or a match is missing)."""
    if not os.path.isfile(path):
        return None
    found = None
    rx = re.compile(pattern)
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = rx.search(line)
            if m:
                found = m
    return found


def training_figures(run: str) -> dict:
    """Offline evaluation of a fairseq run (``eval_test.json``) plus its update count, and the size of
    the target-only set it trained on (``target_set.json``, stage 2 with ``TARGET_SET_SIZE``), if any."""
    report = _read_json(os.path.join(run, "eval_test.json"))
    out = {"run": run, "checkpoint": report.get("checkpoint"), "eval_report": os.path.join(run, "eval_test.json"),
           "eval_n": report.get("n")}
    for k in ("asr_wer", "st_ctc_bleu", "mt_bleu_greedy", "unit_error_rate", "unit_error_rate_tf"):
        out[k] = report.get(k)
    beam = [k for k in report if k.startswith("mt_bleu_beam")]
    if beam:
        out["mt_bleu_beam"] = report[beam[0]]
        out["beam"] = int(beam[0][len("mt_bleu_beam"):] or 0)
    m = last_match(os.path.join(run, "train.log"), r"num_updates (\d+)")
    out["num_updates"] = int(m.group(1)) if m else None
    if os.path.isfile(os.path.join(run, "dev_curves.png")):
        out["dev_curves"] = os.path.join(run, "dev_curves.png")
    if os.path.isfile(os.path.join(run, "target_set.json")):
        ts = _read_json(os.path.join(run, "target_set.json"))
        out["target_set_sentences"] = ts.get("sentences")
        out["target_set_hours"] = ts.get("tgt_hours")
    return out


def vocoder_figures(run: str) -> dict:
    """Step and dev mel-L1 of a CodeHiFiGAN run (from its ``train.log``)."""
    log = os.path.join(run, "train.log")
    out = {"run": run, "config": os.path.join(run, "config.json")}
    m = last_match(log, r"valid step (\d+) \| .*?mel_l1 ([0-9.]+).*\| best mel_l1 ([0-9.]+)")
    if m:
        out.update(step=int(m.group(1)), valid_mel_l1=float(m.group(2)), best_mel_l1=float(m.group(3)))
    m = last_match(log, r"stopped at step (\d+)")
    if m:
        out["step"] = int(m.group(1))
    return out


def asr_figures(run: str) -> dict:
    """Step and dev WER/CER of the CTC ASR judge (its ``summary.json``, written by train_ctc_asr)."""
    s = _read_json(os.path.join(run, "summary.json"))
    best = s.get("best", {})
    return {"run": run, "checkpoint": s.get("checkpoint_best"), "step": s.get("step"),
            "steps_per_s": s.get("steps_per_s"), "best_step": best.get("step"), "dev_wer": best.get("wer"),
            "dev_cer": best.get("cer"), "dev_bleu": best.get("bleu")}


def _number(v: str):
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def simuleval_figures(out: str) -> dict:
    """The sweep's rows (``results.csv`` of ``simuleval.sh``) and its plot."""
    csv_path = os.path.join(out, "results.csv")
    with open(csv_path, newline="") as fh:
        rows = [{k: _number(v) for k, v in r.items() if v != ""} for r in csv.DictReader(fh)]
    res = {"out": out, "csv": csv_path, "rows": rows}
    if os.path.isfile(os.path.join(out, "quality_latency.png")):
        res["plot"] = os.path.join(out, "quality_latency.png")
    return res


def demo_figures(timelines: List[str], reference: Optional[str] = None) -> dict:
    """One entry per demo input (its ``*.timeline.json``); ``reference`` is a text or ``@FILE``."""
    if reference and reference.startswith("@"):
        with open(reference[1:], encoding="utf-8") as fh:
            reference = fh.read().strip()
    runs = []
    for path in timelines:
        t = _read_json(path)
        stem = path[: -len(".timeline.json")]
        runs.append({"input": t.get("input"), "output": stem + ".wav", "text": stem + ".txt", "timeline": path,
                     "translation": t.get("translation"), "asr": t.get("asr"), "rtf": t.get("rtf"),
                     "input_seconds": t.get("input_seconds"), "output_seconds": t.get("output_seconds"),
                     "first_speech_source_ms": t.get("first_speech_source_ms")})
    return {"reference": reference, "runs": runs}


def serve_figures(timeline: str, demo_timeline: str) -> dict:
    """The server smoke session (``echostream-client``'s timeline) next to the file demo's result."""
    t, d = _read_json(timeline), _read_json(demo_timeline)
    return {"timeline": timeline, "output": timeline[: -len(".timeline.json")] + ".wav",
            "close_code": t.get("close_code"), "error": t.get("error"), "translation": t.get("translation"),
            "demo_translation": d.get("translation"), "matches_demo": t.get("translation") == d.get("translation")}


def collect(stage: str, a) -> dict:
    """Figures of ``stage`` from the paths given on the command line."""
    if stage == "data":
        return data_figures(a.data)
    if stage in ("train", "t2u"):
        return training_figures(a.run)
    if stage == "vocoder":
        return vocoder_figures(a.run)
    if stage == "asr":
        return asr_figures(a.run)
    if stage == "simuleval":
        return simuleval_figures(a.out)
    if stage == "demo":
        return demo_figures(a.demo, a.reference)
    if stage == "serve":
        return serve_figures(a.demo[0], a.demo[1])
    return {}


def stage_done(a) -> bool:
    """Whether ``a.stage`` has finished: its outputs exist, reached ``a.steps`` and are newer than ``a.newer_than``."""
    def newer(path):
        return os.path.isfile(path) and (not a.newer_than or not os.path.isfile(a.newer_than)
                                         or os.path.getmtime(path) >= os.path.getmtime(a.newer_than))

    try:
        if a.stage == "data":
            return os.path.isfile(os.path.join(a.data, "data_stats.json"))
        if a.stage in ("train", "t2u"):
            f = training_figures(a.run) if newer(os.path.join(a.run, "eval_test.json")) else {}
            return bool(f) and (not a.steps or (f.get("num_updates") or 0) >= a.steps)
        if a.stage == "vocoder":
            f = vocoder_figures(a.run)
            return os.path.isfile(os.path.join(a.run, "checkpoint_best.pt")) and (f.get("step") or 0) >= (a.steps or 1)
        if a.stage == "asr":
            return (asr_figures(a.run).get("step") or 0) >= (a.steps or 1)
        if a.stage == "simuleval":
            return newer(os.path.join(a.out, "results.csv"))
        if a.stage == "demo":
            return bool(a.demo) and all(newer(p) for p in a.demo)
        if a.stage == "serve":
            return bool(a.demo) and newer(a.demo[0])
    except (OSError, ValueError, KeyError):
        return False
    return False


# ------------------------------------------------------------------ the summary file


def load(path: str) -> dict:
    """The summary at ``path`` (a fresh one if missing)."""
    if os.path.isfile(path):
        return _read_json(path)
    return {"stages": {}}


def machine() -> dict:
    info = {"cpus": os.cpu_count()}
    try:
        import torch

        info["torch"] = torch.__version__
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # pragma: no cover - torch is always installed in .venv
        pass
    return info


def record(a) -> dict:
    """Add (or replace) one stage's entry; returns the summary written."""
    summary = load(a.summary)
    now = datetime.datetime.now().isoformat(timespec="seconds")
    summary.setdefault("created", now)
    summary["updated"] = now
    summary["profile"] = a.profile or summary.get("profile")
    summary["machine"] = machine()
    stages = summary.setdefault("stages", {})
    prev = stages.get(a.stage, {})
    entry = {"status": a.status, "command": a.command, "finished": now}
    if a.status == "skipped":  # already done in an earlier invocation: keep its measured time
        entry["seconds"] = prev.get("seconds")
        entry["skipped_seconds"] = round(a.seconds, 1)
    else:
        entry["seconds"] = round(a.seconds, 1)
    if a.status in ("done", "skipped"):
        try:
            entry["figures"] = collect(a.stage, a)
        except (OSError, ValueError, KeyError) as e:
            entry["status"] = "failed"
            entry["error"] = f"{type(e).__name__}: {e}"
    stages[a.stage] = entry
    summary["total_seconds"] = round(sum(s.get("seconds") or 0 for s in stages.values()), 1)
    write_json_atomic(a.summary, summary)
    return summary


# ------------------------------------------------------------------ check and table


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def problems(summary: dict, stages=STAGES) -> List[str]:
    """Every stage that did not finish and every figure that is missing or not finite."""
    out = []
    for stage in stages:
        s = summary.get("stages", {}).get(stage)
        if s is None:
            out.append(f"{stage}: not run")
            continue
        if s.get("status") not in ("done", "skipped"):
            out.append(f"{stage}: {s.get('status')}{' (' + s['error'] + ')' if s.get('error') else ''}")
            continue
        if not _finite(s.get("seconds")):
            out.append(f"{stage}: no wall time")
        f = s.get("figures", {})
        for key in REQUIRED.get(stage, ()):
            if not _finite(f.get(key)):
                out.append(f"{stage}: figure {key} missing")
        if stage == "simuleval":
            rows = f.get("rows", [])
            for task, metric in (("s2tt", "BLEU"), ("s2st", "ASR_BLEU_OFFLINE")):
                trs = [r for r in rows if r.get("task") == task]
                if not trs:
                    out.append(f"simuleval: no {task} rows")
                for r in trs:
                    for key in (metric, "AL"):
                        if not _finite(r.get(key)):
                            out.append(f"simuleval: {task} {r.get('policy')} {r.get('segment')}: {key} missing")
            if not (f.get("plot") and os.path.isfile(f["plot"])):
                out.append("simuleval: plot missing")
        if stage == "demo":
            runs = f.get("runs", [])
            if not runs:
                out.append("demo: no runs")
            for r in runs:
                if not isinstance(r.get("translation"), str):
                    out.append(f"demo: {r.get('input')}: no translation")
                if not os.path.isfile(r.get("output") or ""):
                    out.append(f"demo: {r.get('input')}: output {r.get('output')} missing")
                if not _finite(r.get("rtf")):
                    out.append(f"demo: {r.get('input')}: rtf missing")
        if stage == "serve":
            if f.get("close_code") != 1000:
                out.append(f"serve: the session closed with {f.get('close_code')} ({f.get('error')})")
            if not f.get("matches_demo"):
                out.append(f"serve: translation {f.get('translation')!r} differs from the demo's "
                           f"{f.get('demo_translation')!r}")
    return out


def _fmt(v, digits: int = 1) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _duration(seconds) -> str:
    if not _finite(seconds):
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def headline_rows(rows: List[dict], segment: str = SEGMENT) -> List[List[str]]:
    """README's headline table: per policy at ``segment`` ms, and offline (S2ST and S2TT side by side)."""
    def pick(task, policy, seg):  # offline runs once, under whichever policy simuleval.sh listed first
        return next((r for r in rows if r.get("task") == task and (policy is None or r.get("policy") == policy)
                     and str(r.get("segment")).split(".")[0] == seg), None)

    s2st_off = next((r for r in rows if r.get("task") == "s2st" and r.get("segment") == "offline"), None)
    off_q = s2st_off.get("ASR_BLEU_OFFLINE") if s2st_off else None
    out = []
    policies = [p for p in ("word", "wait-k", "alignment") if any(r.get("policy") == p for r in rows)]
    for policy, seg in [(p, segment) for p in policies] + [(None, "offline")]:
        st, tt = pick("s2st", policy, seg), pick("s2tt", policy, seg)
        if st is None and tt is None:
            continue
        q = st.get("ASR_BLEU_OFFLINE") if st else None
        share = f"{100 * q / off_q:.0f} %" if _finite(q) and _finite(off_q) and off_q > 0 else "—"
        out.append(["offline" if seg == "offline" else policy, _fmt(q, 2), share, _fmt(st.get("AL") if st else None, 0),
                    _fmt(tt.get("BLEU") if tt else None), _fmt(tt.get("AL") if tt else None, 0)])
    return out


def _markdown(header: List[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def table(summary: dict) -> str:
    """The headline tables (markdown) and where the translated sample and the plot are."""
    st = summary.get("stages", {})
    fig = {k: v.get("figures", {}) for k, v in st.items()}
    parts = [f"## Run summary: profile {summary.get('profile')} ({summary.get('updated')})", ""]
    times = [[name, st[name].get("status", "—"), _duration(st[name].get("seconds"))] for name in STAGES if name in st]
    times.append(["total", "", _duration(summary.get("total_seconds"))])
    parts += [_markdown(["stage", "status", "wall time"], times), ""]
    t1, t2 = fig.get("train", {}), fig.get("t2u", {})
    if t1 or t2:
        rows = []
        for name, f in (("stage 1", t1), ("stage 2", t2)):
            if f:
                rows.append([name, _fmt(f.get("num_updates")), _fmt(f.get("asr_wer")) + " %", _fmt(f.get("st_ctc_bleu")),
                             _fmt(f.get("mt_bleu_greedy")), _fmt(f.get("mt_bleu_beam")),
                             _fmt(f.get("unit_error_rate")) + " %"])
        parts += ["Offline, test set (`echostream-eval`, full-context encoder):", "",
                  _markdown(["model", "updates", "ASR WER", "ST-CTC BLEU", "MT BLEU greedy", "MT BLEU beam",
                             "unit error rate"], rows), ""]
    sv = fig.get("simuleval", {})
    if sv.get("rows"):
        parts += [f"Simultaneous, {SEGMENT} ms source segments (`simuleval.sh`, {sv.get('csv')}); AL in ms:", "",
                  _markdown(["policy", "S2ST ASR-BLEU", "share of offline", "S2ST AL", "S2TT BLEU", "S2TT AL"],
                            headline_rows(sv["rows"])), ""]
    extra = []
    if fig.get("vocoder"):
        v = fig["vocoder"]
        extra.append(f"vocoder: CodeHiFiGAN {v.get('run')}, {_fmt(v.get('step'))} steps, best dev mel-L1 "
                     f"{_fmt(v.get('best_mel_l1'), 3)}")
    if fig.get("asr"):
        a = fig["asr"]
        extra.append(f"ASR-BLEU judge: {a.get('checkpoint')} (best of {_fmt(a.get('step'))} steps, at step "
                     f"{_fmt(a.get('best_step'))}), dev WER {_fmt(a.get('dev_wer'), 2)} %")
    if sv.get("plot"):
        extra.append(f"quality-latency plot: {sv['plot']}")
    if fig.get("serve"):
        f = fig["serve"]
        extra.append(f"live server: one session over the demo's input, close {f.get('close_code')}, "
                     f"translation {'equal to' if f.get('matches_demo') else 'DIFFERENT from'} the demo's "
                     f"({f.get('output')})")
    for r in fig.get("demo", {}).get("runs", []):
        extra.append(f"translated sample: {r.get('output')} (from {r.get('input')}; text: "
                     f"\"{r.get('translation')}\"; RTF {_fmt(r.get('rtf'), 3)})")
    if fig.get("demo", {}).get("reference"):
        extra.append(f"reference translation: \"{fig['demo']['reference']}\"")
    parts += [f"* {e}" for e in extra]
    return "\n".join(parts).rstrip() + "\n"


# ------------------------------------------------------------------ running a stage


def parse_expected(text: str) -> Dict[str, float]:
    """``"data=300 train=6600"`` -> ``{"data": 300.0, "train": 6600.0}``."""
    out = {}
    for item in (text or "").split():
        k, _, v = item.partition("=")
        out[k] = float(v)
    return out


def progress_line(a, stage: str, status: str, seconds: float) -> str:
    """``[run] 3/7 t2u: done in 1 min 20 s | elapsed 5 min 02 s | about 4 min left``."""
    import time

    order = (a.stages or stage).split()
    pos = order.index(stage) + 1 if stage in order else 0
    expected = parse_expected(a.expected)
    left = sum(expected.get(s, 0.0) for s in order[pos:])
    elapsed = time.time() - a.start if a.start else seconds
    what = {"done": f"done in {_duration(seconds)}", "skipped": "already done, skipped",
            "failed": f"FAILED after {_duration(seconds)}"}[status]
    exp = expected.get(stage)
    note = f" (expected {_duration(exp)})" if exp and status == "done" else ""
    return (f"[run] {pos}/{len(order)} {stage}: {what}{note} | elapsed {_duration(elapsed)} | "
            f"about {_duration(left) if left else '0 s'} left")


def run_stage(a) -> int:
    """Skip ``a.stage`` if done, else run its command line; record it; print the progress line; return its status code."""
    import subprocess
    import time

    cmd = a.command_line[1:] if a.command_line[:1] == ["--"] else list(a.command_line)
    if not cmd:
        print(f"[run] {a.stage}: no command given", file=sys.stderr)
        return 2
    a.command = " ".join(cmd)
    t0 = time.time()
    if not a.force and stage_done(a):
        a.status, rc = "skipped", 0
    else:
        print(f"[run] {a.stage}: {a.command}", flush=True)
        try:
            rc = subprocess.call(cmd)
        except KeyboardInterrupt:
            rc = 130
        if rc == 0 and not stage_done(a):
            print(f"[run] {a.stage}: the command succeeded but its outputs are missing or incomplete", file=sys.stderr)
            rc = 1
        a.status = "done" if rc == 0 else "failed"
    a.seconds = time.time() - t0
    entry = record(a)["stages"][a.stage]
    if entry["status"] == "failed" and rc == 0:  # figures unreadable
        print(f"[run] {a.stage}: {entry.get('error')}", file=sys.stderr)
        rc = 1
    print(progress_line(a, a.stage, entry["status"], a.seconds), flush=True)
    return rc


# ------------------------------------------------------------------ CLI


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = p.add_subparsers(dest="action", required=True)
    def stage_args(q, recording=True):
        q.add_argument("--stage", required=True, choices=STAGES)
        q.add_argument("--data", help="prepared data folder (data)")
        q.add_argument("--run", help="run folder (train, t2u, vocoder, asr)")
        q.add_argument("--out", help="simuleval.sh output folder (simuleval)")
        q.add_argument("--demo", nargs="*", default=[], help="the demo's *.timeline.json files (demo)")
        q.add_argument("--steps", type=int, default=0, help="updates/steps the stage must have reached")
        q.add_argument("--newer-than", help="outputs older than this file (e.g. the model) are stale")
        if recording:
            q.add_argument("--summary", required=True)
            q.add_argument("--profile")
            q.add_argument("--reference", help="the demo input's reference translation, or @FILE")

    r = sub.add_parser("record", help="record one stage's wall time and figures")
    stage_args(r)
    r.add_argument("--status", required=True, choices=["done", "skipped", "failed"])
    r.add_argument("--seconds", type=float, required=True)
    r.add_argument("--command", default="")
    d = sub.add_parser("done", help="exit 0 if a stage has finished (its outputs exist)")
    stage_args(d, recording=False)
    g = sub.add_parser("stage", help="run one stage (skipped when done), record it, print a progress line")
    stage_args(g)
    g.add_argument("--stages", default="", help="the run's stages in order (for the progress line)")
    g.add_argument("--expected", default="", help="expected seconds per stage, 'data=300 train=6600 ...'")
    g.add_argument("--start", type=float, default=0.0, help="start of the whole run (epoch seconds)")
    g.add_argument("--force", action="store_true", help="run even if the stage looks done")
    g.add_argument("command_line", nargs=argparse.REMAINDER, help="-- the stage's command")
    t = sub.add_parser("table", help="print the headline tables (markdown)")
    t.add_argument("--summary", required=True)
    c = sub.add_parser("check", help="exit 1 if a stage failed or a figure is missing")
    c.add_argument("--summary", required=True)
    c.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    a = p.parse_args(argv)
    if a.action == "stage":
        return run_stage(a)
    if a.action == "record":
        s = record(a)
        entry = s["stages"][a.stage]
        if entry["status"] == "failed" and entry.get("error"):
            print(f"[summary] {a.stage}: {entry['error']}", file=sys.stderr)
        return 0
    if a.action == "done":
        return 0 if stage_done(a) else 1
    if not os.path.isfile(a.summary):
        print(f"[summary] {a.summary}: no run summary (run run.sh first)", file=sys.stderr)
        return 1
    summary = load(a.summary)
    if a.action == "table":
        print(table(summary))
        return 0
    found = problems(summary, a.stages)
    for msg in found:
        print(f"[summary] {a.summary}: {msg}", file=sys.stderr)
    if not found:
        print(f"[summary] {a.summary}: every stage finished, every figure present")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Collect SimulEval runs of simuleval.sh into one CSV, a printed table and a quality-latency plot.

Each run folder is named ``<task>_<policy>_<segment>`` and holds ``scores.tsv`` (ideal
latency) and ``scores_ca.tsv`` (computation-aware latency, same run). Columns of the CSV:
task, policy, segment, every quality/latency metric, and each latency metric again with a
``_CA`` suffix. The plot has one panel per task (BLEU or ASR-BLEU against AL and
computation-aware AL), one line per policy, the offline score as a horizontal line.
"""
import argparse
import os
import sys

from .datasets.atomic import save_figure_atomic, write_csv_atomic
from .datasets.tsv import read_tsv

ORDER = {"160": 0, "320": 1, "640": 2, "1280": 3, "offline": 9}


def read_scores(path):
    """Read a one-row SimulEval ``scores.tsv`` into ``{metric: float}`` (missing file -> {})."""
    if not os.path.isfile(path):
        return {}
    rows = read_tsv(path)
    if not rows:
        return {}
    out = {}
    for k, v in rows[0].items():
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            pass
    return out


def collect(runs_dir):
    """All runs under ``runs_dir`` as a list of dicts sorted by task, policy, segment."""
    rows = []
    for name in sorted(os.listdir(runs_dir)):
        parts = name.split("_")
        folder = os.path.join(runs_dir, name)
        if len(parts) != 3 or not os.path.isdir(folder):
            continue
        scores = read_scores(os.path.join(folder, "scores.tsv"))
        if not scores:
            continue
        row = {"task": parts[0], "policy": parts[1], "segment": parts[2], **scores}
        for k, v in read_scores(os.path.join(folder, "scores_ca.tsv")).items():
            if k not in ("BLEU", "ASR_BLEU_OFFLINE"):
                row[f"{k}_CA"] = v
        rows.append(row)
    rows.sort(key=lambda r: (r["task"], r["policy"], ORDER.get(r["segment"], 5)))
    return rows


def quality_key(row):
    return "BLEU" if "BLEU" in row else "ASR_BLEU_OFFLINE"


def plot(rows, path):
    """Quality against AL (solid) and computation-aware AL (dashed), one panel per task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = sorted({r["task"] for r in rows})
    fig, axes = plt.subplots(1, len(tasks), figsize=(6 * len(tasks), 4.5), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        trs = [r for r in rows if r["task"] == task]
        for policy in sorted({r["policy"] for r in trs}):
            pts = [r for r in trs if r["policy"] == policy and r["segment"] != "offline"]
            if not pts:
                continue
            q = [r.get(quality_key(r), float("nan")) for r in pts]
            line, = ax.plot([r.get("AL", float("nan")) for r in pts], q, "o-", label=f"{policy}")
            if all("AL_CA" in r for r in pts):
                ax.plot([r["AL_CA"] for r in pts], q, "x--", color=line.get_color(), label=f"{policy} (comp.-aware)")
            for r, qq in zip(pts, q):
                ax.annotate(f"{r['segment']}ms", (r.get("AL", 0), qq), fontsize=7, xytext=(3, 3), textcoords="offset points")
        off = [r for r in trs if r["segment"] == "offline"]
        if off:
            ax.axhline(off[0].get(quality_key(off[0])), color="grey", ls=":", label="offline")
        finish_task_axes(ax, task, "AL (ms)", task.upper(), legend_size=8)
    fig.tight_layout()
    save_figure_atomic(fig, path)


def finish_task_axes(ax, task, xlabel, title, legend_size=8):
    """Label one quality-latency panel: ``xlabel``, BLEU (s2tt) or ASR-BLEU (s2st), grid, legend."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel("ASR-BLEU" if task == "s2st" else "BLEU")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=legend_size)


def print_table(rows):
    cols = ["task", "policy", "segment", "BLEU", "ASR_BLEU_OFFLINE", "AL", "AL_CA", "LAAL", "StartOffset",
            "EndOffset", "ATD", "RTF"]
    cols = [c for c in cols if any(c in r for r in rows)]
    print("\t".join(cols))
    for r in rows:
        print("\t".join(str(round(r[c], 2)) if isinstance(r.get(c), float) else str(r.get(c, "")) for c in cols))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", required=True)
    p.add_argument("--csv", required=True)
    p.add_argument("--plot")
    a = p.parse_args(argv)
    rows = collect(a.runs)
    if not rows:
        sys.exit(f"no SimulEval runs with scores.tsv under {a.runs}")
    write_csv_atomic(a.csv, rows)
    if a.plot:
        plot(rows, a.plot)
    print_table(rows)


if __name__ == "__main__":
    main()

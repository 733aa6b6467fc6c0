#!/usr/bin/env python
"""Learning curves from a fairseq-train log (``--log-format simple``): CSV + PNG + table.

    .venv/bin/python scripts/training_report.py runs/echostream_cpu/train.log [--plot runs/echostream_cpu/curves.png]

Reads the per-epoch ``valid on 'dev'`` lines (every logged loss term) and the epoch end
times, and reports wall time per epoch. Writes ``<log dir>/dev_losses.csv`` and the plot.

    .venv/bin/python scripts/training_report.py --compare old=a/dev_losses.csv new=b/dev_losses.csv --plot cmp.png

compares the dev curves of several runs (their ``dev_losses.csv``): one panel per loss term, one line
per run, and a table of each run's last and best value per term.
"""
import argparse
import os
import re
from datetime import datetime

from ctc_unity.datasets.atomic import save_figure_atomic, write_csv_atomic

TERMS = ("loss", "asr_ctc_loss", "st_ctc_loss", "mt_loss", "unit_ctc_loss", "nll_loss")
VALID = re.compile(r"^(\S+ \S+) \| INFO \| \S+ \| epoch (\d+) \| valid on '(\w+)' subset \| (.*)$")
BEGIN = re.compile(r"^(\S+ \S+) \| INFO \| fairseq.trainer \| begin training epoch (\d+)")


def parse(path):
    """Rows ``{epoch, wall_s (epoch training+validation time), num_updates, <terms>}`` from the log."""
    rows, begins = [], {}
    with open(path, errors="replace") as fh:
        for line in fh:
            m = BEGIN.match(line)
            if m:
                begins[int(m.group(2))] = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
                continue
            m = VALID.match(line.strip())
            if not m:
                continue
            when, epoch = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"), int(m.group(2))
            fields = dict(kv.strip().rsplit(" ", 1) for kv in m.group(4).split(" | ") if " " in kv.strip())
            row = {"epoch": epoch, "num_updates": int(float(fields.get("num_updates", 0)))}
            if epoch in begins:
                row["wall_s"] = round((when - begins[epoch]).total_seconds())
            for t in TERMS:
                if t in fields:
                    row[t] = float(fields[t])
            rows.append(row)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", nargs="?")
    p.add_argument("--csv")
    p.add_argument("--plot")
    p.add_argument("--compare", nargs="+", metavar="LABEL=CSV", help="compare the dev curves of several runs")
    a = p.parse_args(argv)
    if a.compare:
        return compare(a.compare, a.plot)
    if not a.log:
        raise SystemExit("training_report: give a fairseq-train log, or --compare LABEL=CSV ...")
    rows = parse(a.log)
    if not rows:
        raise SystemExit(f"{a.log}: no 'valid on' lines (is it a fairseq-train log with --log-format simple?)")
    out_csv = a.csv or os.path.join(os.path.dirname(a.log), "dev_losses.csv")
    keys = ["epoch", "num_updates", "wall_s", *[t for t in TERMS if t in rows[-1]]]
    write_csv_atomic(out_csv, rows, fieldnames=keys, extrasaction="ignore")
    print("\t".join(keys))
    for r in rows:
        print("\t".join(str(r.get(k, "")) for k in keys))
    if a.plot:
        import logging

        logging.getLogger("matplotlib").setLevel(logging.WARNING)  # importing the plugin may set DEBUG
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for t in ("asr_ctc_loss", "st_ctc_loss", "mt_loss", "unit_ctc_loss"):
            if t in rows[-1]:
                ax.plot([r["num_updates"] for r in rows], [r.get(t) for r in rows], "o-", label=t)
        ax.set_xlabel("updates")
        ax.set_ylabel("dev loss per token (nats)")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        save_figure_atomic(fig, a.plot)


def compare(items, plot=None):
    """Print (Markdown) and plot the dev curves of ``LABEL=dev_losses.csv`` items; one-line error on a bad item."""
    import csv

    runs = []
    for item in items:
        label, sep, path = item.partition("=")
        if not sep or not os.path.isfile(path):
            raise SystemExit(f"training_report: --compare wants LABEL=CSV with an existing file, got {item!r}")
        with open(path, newline="") as fh:
            rows = [{k: float(v) for k, v in r.items() if v not in ("", None)} for r in csv.DictReader(fh)]
        if not rows:
            raise SystemExit(f"training_report: {path}: no rows")
        runs.append((label, rows))
    terms = [t for t in TERMS[1:5] if any(t in rows[-1] for _, rows in runs)]
    print("| run | updates | " + " | ".join(f"{t} last (best)" for t in terms) + " |")
    print("| --- " * (len(terms) + 2) + "|")
    for label, rows in runs:
        cells = [f"{rows[-1][t]:.3f} ({min(r[t] for r in rows if t in r):.3f})" if t in rows[-1] else "–" for t in terms]
        print(f"| {label} | {int(rows[-1]['num_updates'])} | " + " | ".join(cells) + " |")
    if plot:
        import logging

        logging.getLogger("matplotlib").setLevel(logging.WARNING)
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(terms), figsize=(3.2 * len(terms), 3.2), squeeze=False)
        for ax, t in zip(axes[0], terms):
            for label, rows in runs:
                pts = [(r["num_updates"], r[t]) for r in rows if t in r]
                if pts:
                    ax.plot(*zip(*pts), "o-", ms=3, label=label)
            ax.set_title(t)
            ax.set_xlabel("updates")
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("dev loss per token (nats)")
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(len(runs), 4), fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.1, 1, 1))
        save_figure_atomic(fig, plot)
    return 0


if __name__ == "__main__":
    main()

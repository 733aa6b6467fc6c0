#!/usr/bin/env python
"""Learning curves from a fairseq-train log (``--log-format simple``): CSV + PNG + table.

    .venv/bin/python scripts/training_report.py runs/echostream_cpu/train.log [--plot runs/echostream_cpu/curves.png]

Reads the per-epoch ``valid on 'dev'`` lines (every logged loss term) and the epoch end
times, and reports wall time per epoch. Writes ``<log dir>/dev_losses.csv`` and the plot.
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
    p.add_argument("log")
    p.add_argument("--csv")
    p.add_argument("--plot")
    a = p.parse_args(argv)
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


if __name__ == "__main__":
    main()

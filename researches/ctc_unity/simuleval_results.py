#!/usr/bin/env python
"""Collect SimulEval runs of simuleval.sh into one CSV, a printed table and a quality-latency plot.

Each run folder is named ``<task>_<policy>_<segment>`` and holds ``scores.tsv`` (ideal
latency) and ``scores_ca.tsv`` (computation-aware latency, same run). Columns of the CSV:
task, policy, segment, every quality/latency metric, and each latency metric again with a
``_CA`` suffix. The plot has one panel per task (BLEU or ASR-BLEU against AL and
computation-aware AL), one line per policy, the offline score as a horizontal line.

``p_vs_offline`` (``--paired-bootstrap N``, default 1 000 resamples): each streamed run's paired
bootstrap p-value against the offline run of its task (is a streamed run above offline beyond noise?).

``--compare LABEL=CSV ...`` puts the CSVs of several sweeps (e.g. one per language pair) side by
side instead: one Markdown table (quality and AL per policy and segment, a column pair per label,
``--markdown``) and one plot (quality against AL, a colour per policy, a marker per label).
"""
import argparse
import csv
import json
import os
import sys

from .datasets.atomic import save_figure_atomic, write_csv_atomic, write_lines_atomic
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


def read_extra_judges(folder):
    """``{"ASR_BLEU_<name>": bleu, "ASR_BLEU_<name>_CEILING": ceiling}`` of every second-judge report
    ``asr_bleu_<name>.json`` that ``scripts/rescore_simuleval.py --asr-backend`` wrote in a run folder
    (the run's own ``asr_bleu_offline.json`` is SimulEval's ``ASR_BLEU_OFFLINE`` column already)."""
    out = {}
    for f in sorted(os.listdir(folder)):
        if not (f.startswith("asr_bleu_") and f.endswith(".json")) or f == "asr_bleu_offline.json":
            continue
        with open(os.path.join(folder, f), encoding="utf-8") as fh:
            report = json.load(fh)
        name = f[len("asr_bleu_"):-len(".json")]
        out[f"ASR_BLEU_{name}"] = float(report["bleu"])
        if report.get("ceiling"):
            out[f"ASR_BLEU_{name}_CEILING"] = float(report["ceiling"]["bleu"])
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
        row.update(read_extra_judges(folder))
        rows.append(row)
    rows.sort(key=lambda r: (r["task"], r["policy"], ORDER.get(r["segment"], 5)))
    return rows


def run_hypotheses(folder, task):
    """``(hypotheses, references)`` of a finished run as its quality metric scored them, or ``None``.

    S2TT: the text predictions and references of ``instances.log``. S2ST: the judge's normalized
    transcripts and references in ``asr_bleu_offline.json`` (what ``ASR_BLEU_OFFLINE`` scored).
    """
    if task == "s2st":
        path = os.path.join(folder, "asr_bleu_offline.json")
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8") as fh:
            report = json.load(fh)
        return report["hyps"], report["refs"]
    path = os.path.join(folder, "instances.log")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as fh:
        lines = [json.loads(x) for x in fh if x.strip()]
    lines.sort(key=lambda r: r["index"])
    return [r["prediction"] for r in lines], [r["reference"] for r in lines]


def paired_vs_offline(runs_dir, rows, n_samples=1000):
    """Add ``p_vs_offline`` to every streamed row: the p-value of sacrebleu's paired bootstrap
    resampling test (Koehn 2004; ``sacrebleu.significance.PairedTest``, ``bs``, ``n_samples``
    resamples, seed 12345) of its BLEU / ASR-BLEU against the offline run of the same task on the
    same sentences. A streamed run that scores above offline with a large p (say > 0.05) is not
    better than offline beyond sampling noise. Rows whose hypotheses are unreadable get none. A run
    whose hypotheses are exactly offline's gets 1.0: sacrebleu's test (after multeval) gives its
    smallest p, 1/(n+1), to a zero difference in every resample, which would read as "different".
    """
    from sacrebleu.metrics import BLEU
    from sacrebleu.significance import PairedTest

    def folder(r):
        return os.path.join(runs_dir, f"{r['task']}_{r['policy']}_{r['segment']}")

    for task in sorted({r["task"] for r in rows}):
        offline = [r for r in rows if r["task"] == task and r["segment"] == "offline"]
        base = run_hypotheses(folder(offline[0]), task) if offline else None
        if base is None:
            continue
        named, streamed = [("offline", base[0])], []
        for r in rows:
            if r["task"] != task or r["segment"] == "offline":
                continue
            hyp = run_hypotheses(folder(r), task)
            if hyp is None or hyp[1] != base[1]:
                continue
            if hyp[0] == base[0]:
                r["p_vs_offline"] = 1.0
            else:
                named.append((f"{r['policy']}_{r['segment']}", hyp[0]))
                streamed.append(r)
        if not streamed:
            continue
        _, scores = PairedTest(named, {"BLEU": BLEU()}, [base[1]], test_type="bs", n_samples=n_samples)()
        for r, result in zip(streamed, scores["BLEU"][1:]):
            r["p_vs_offline"] = round(float(result.p_value), 4)
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
    extra = sorted({k for r in rows for k in r if k.startswith("ASR_BLEU_") and k != "ASR_BLEU_OFFLINE"
                    and not k.startswith("ASR_BLEU_OFFLINE_")})
    cols = ["task", "policy", "segment", "BLEU", "ASR_BLEU_OFFLINE", *extra, "p_vs_offline", "AL", "AL_CA", "LAAL",
            "StartOffset", "EndOffset", "ATD", "RTF"]
    cols = [c for c in cols if any(c in r for r in rows)]
    print("\t".join(cols))
    for r in rows:
        print("\t".join(str(round(r[c], 2)) if isinstance(r.get(c), float) else str(r.get(c, "")) for c in cols))


def read_results_csv(path):
    """The rows of a CSV this module wrote: ``task``, ``policy``, ``segment`` as strings, every
    other non-empty cell as float.

    Raises:
        ValueError: the file is missing or lacks the ``task``/``policy``/``segment`` columns.
    """
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such results CSV")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"task", "policy", "segment"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: not a simuleval_results CSV (no column {sorted(missing)})")
        rows = []
        for r in reader:
            row = {k: r[k] for k in ("task", "policy", "segment")}
            row.update({k: float(v) for k, v in r.items() if k not in row and v not in ("", None)})
            rows.append(row)
    return rows


def compare_rows(labelled, task):
    """Side-by-side rows of several sweeps for one task.

    Args:
        labelled: ``[(label, rows)]``, rows as :func:`collect` or :func:`read_results_csv` give.
        task: ``s2tt`` or ``s2st``.
    Returns:
        ``[{"policy", "segment", "<label> quality", "<label> AL", ...}]`` in the sweep's order, a
        configuration present in any sweep (missing cells ``None``).
    """
    keys = []
    for _, rows in labelled:
        for r in rows:
            k = (r["policy"], r["segment"])
            if r["task"] == task and k not in keys:
                keys.append(k)
    keys.sort(key=lambda k: (k[1] == "offline", k[0], ORDER.get(k[1], 5)))
    out = []
    for policy, segment in keys:
        row = {"policy": policy, "segment": segment}
        for label, rows in labelled:
            hit = [r for r in rows if r["task"] == task and (r["policy"], r["segment"]) == (policy, segment)]
            row[f"{label} quality"] = hit[0].get(quality_key(hit[0])) if hit else None
            row[f"{label} AL"] = hit[0].get("AL") if hit else None
        out.append(row)
    return out


def compare_markdown(labelled, task):
    """:func:`compare_rows` as a Markdown table (quality to 0.1, AL in whole ms, "–" when absent)."""
    rows = compare_rows(labelled, task)
    quality = "ASR-BLEU" if task == "s2st" else "BLEU"
    head = ["policy", "segment"] + [f"{label} {c}" for label, _ in labelled for c in (quality, "AL")]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for r in rows:
        cells = ["offline", "—"] if r["segment"] == "offline" else [r["policy"], f"{r['segment']} ms"]
        for label, _ in labelled:
            q, al = r[f"{label} quality"], r[f"{label} AL"]
            cells += ["–" if q is None else f"{q:.1f}", "–" if al is None else f"{al:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def compare_plot(labelled, task, path):
    """Quality against AL for several sweeps: a colour per policy, a marker and line style per label."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.8))
    markers, styles = "osD^v", ["-", "--", ":", "-."]
    policies = sorted({r["policy"] for _, rows in labelled for r in rows if r["task"] == task} - {"offline"})
    colours = {p: f"C{i}" for i, p in enumerate(policies)}
    for j, (label, rows) in enumerate(labelled):
        trs = [r for r in rows if r["task"] == task]
        for policy in policies:
            pts = [r for r in trs if r["policy"] == policy and r["segment"] != "offline"]
            if pts:
                ax.plot([r.get("AL", float("nan")) for r in pts], [r.get(quality_key(r), float("nan")) for r in pts],
                        marker=markers[j % len(markers)], ls=styles[j % len(styles)], color=colours[policy],
                        label=f"{label} {policy}")
        off = [r for r in trs if r["segment"] == "offline"]
        if off:
            ax.axhline(off[0].get(quality_key(off[0])), color="grey", ls=styles[j % len(styles)], lw=0.8,
                       label=f"{label} offline")
    finish_task_axes(ax, task, "AL (ms)", f"{task.upper()}: " + " vs ".join(label for label, _ in labelled), 7)
    fig.tight_layout()
    save_figure_atomic(fig, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", help="a simuleval.sh output folder (collect mode)")
    p.add_argument("--csv", help="the CSV to write (collect mode)")
    p.add_argument("--plot")
    p.add_argument("--compare", nargs="+", metavar="LABEL=CSV", help="compare mode: results CSVs side by side")
    p.add_argument("--task", default="s2tt", choices=["s2tt", "s2st"], help="compare mode: the task to compare")
    p.add_argument("--markdown", help="compare mode: write the side-by-side table here")
    p.add_argument("--paired-bootstrap", type=int, default=1000, metavar="N",
                   help="collect mode: p_vs_offline column, paired bootstrap of each run against offline with "
                        "N resamples (0: off)")
    a = p.parse_args(argv)
    if a.compare:
        try:
            labelled = []
            for item in a.compare:
                label, sep, path = item.partition("=")
                if not sep or not label or not path:
                    raise ValueError(f"--compare {item!r}: expected LABEL=CSV")
                labelled.append((label, read_results_csv(path)))
        except ValueError as e:
            sys.exit(f"error: {e}")
        table = compare_markdown(labelled, a.task)
        if a.markdown:
            write_lines_atomic(a.markdown, table.splitlines())
        if a.plot:
            compare_plot(labelled, a.task, a.plot)
        print(table, end="")
        return
    if not a.runs or not a.csv:
        p.error("--runs and --csv are required (or --compare)")
    rows = collect(a.runs)
    if not rows:
        sys.exit(f"no SimulEval runs with scores.tsv under {a.runs}")
    if a.paired_bootstrap:
        paired_vs_offline(a.runs, rows, a.paired_bootstrap)
    write_csv_atomic(a.csv, rows)
    if a.plot:
        plot(rows, a.plot)
    print_table(rows)


if __name__ == "__main__":
    main()

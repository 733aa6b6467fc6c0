#!/usr/bin/env python
"""Quality and latency of a ``simuleval.sh`` sweep on the test sentences that carry one grammar
phenomenon (e.g. German ``verb_final``) against the rest: where a policy waits, and what it loses.

    python -m ctc_unity.phenomenon_study --runs runs/simuleval/echostream_cpu-de-en \\
        --tsv data/embedded-de-en/raw/test.tsv --tag verb_final --task s2tt \\
        --csv docs/results/verb_final_de-en.csv --json docs/results/verb_final_de-en.json \\
        --plot docs/results/verb_final_de-en.png

Inputs: the run folders ``<task>_<policy>_<segment>/instances.log`` that ``simuleval.sh`` writes
(SimulEval's log: ``source`` path, ``prediction``, ``delays`` in ms of source consumed when each
target word was written, ``source_length`` in ms, ``reference``), and the embedded corpus TSV of
the same split (``src_audio`` and ``phenomena`` columns, :mod:`ctc_unity.datasets.corpus`).
Instances are matched to TSV rows by the file name of their source WAV.

Per run and group (``tagged``: the sentence carries the tag; ``rest``: it does not), with
SimulEval's own scorers on the group's instances: ``n``, ``BLEU`` (sacreBLEU, 13a), ``AL``,
``LAAL``, ``StartOffset``, ``EndOffset`` (ms, reference lengths as in the sweep), and two
measures of waiting computed here:

* ``tail_share``: the fraction of the group's target words written only after the whole source
  was read (delay >= source length): what the policy held back to the end;
* ``lag_curve``: the mean delay as a fraction of the source duration at 10 bins of the target
  position (word ``i`` of ``|y|`` in bin ``floor(10 i / |y|)``): where in the output it waits.

``bleu_loss`` is the group's offline BLEU (the sweep's ``offline`` run) minus the run's: the
quality a policy loses on the group. The plot has BLEU against AL per policy for both groups and
the lag curves at one segment size.

Errors (one line on the CLI, exit 2): a run folder without ``instances.log``, a TSV without a
``phenomena`` column, a tag that no test sentence carries, an instance whose source is not in the
TSV (:class:`ValueError`, naming the file).
"""
import argparse
import json
import os
import sys
from typing import Dict, List

from .datasets.atomic import save_figure_atomic, write_csv_atomic, write_json_atomic
from .datasets.corpus import PHENOMENA_SEP
from .datasets.tsv import read_tsv
from .simuleval_results import ORDER

METRICS = ("AL", "LAAL", "StartOffset", "EndOffset")
N_BINS = 10
GROUPS = ("tagged", "rest")


def load_tags(tsv_path: str, tag: str) -> Dict[str, bool]:
    """``{source WAV file name: carries tag}`` for every row of a corpus TSV.

    Raises:
        ValueError: no ``phenomena`` column, or no row carries ``tag`` (names the file).
    """
    rows = read_tsv(tsv_path, required=("src_audio", "phenomena"))
    tags = {os.path.basename(r["src_audio"]): tag in (r["phenomena"] or "").split(PHENOMENA_SEP) for r in rows}
    if not any(tags.values()):
        raise ValueError(f"{tsv_path}: no sentence carries the phenomenon {tag!r}")
    return tags


def read_instances(run_dir: str) -> dict:
    """SimulEval's ``LogInstance`` of every line of ``run_dir/instances.log``, by index.

    Raises:
        ValueError: the log is missing or empty.
    """
    from simuleval.evaluator.instance import LogInstance

    path = os.path.join(run_dir, "instances.log")
    if not os.path.isfile(path):
        raise ValueError(f"{path}: not found (run simuleval.sh first)")
    with open(path) as fh:
        instances = [LogInstance(line, "word") for line in fh if line.strip()]
    if not instances:
        raise ValueError(f"{path}: no instances")
    return {ins.index: ins for ins in instances}


def split_groups(instances: dict, tags: Dict[str, bool], where: str = "instances.log") -> Dict[str, dict]:
    """``{"tagged": {index: instance}, "rest": {...}}`` by the tag of each instance's source WAV.

    Raises:
        ValueError: an instance's source file is not in ``tags`` (names it and ``where``).
    """
    out = {g: {} for g in GROUPS}
    for i, ins in instances.items():
        src = ins.info.get("source")
        name = os.path.basename(src[0] if isinstance(src, list) else str(src))
        if name not in tags:
            raise ValueError(f"{where}: instance {i}'s source {name} is not in the corpus TSV")
        out["tagged" if tags[name] else "rest"][i] = ins
    return out


def waiting(instances: dict) -> dict:
    """``tail_share`` and ``lag_curve`` (module docstring) of a group; words of empty outputs excluded."""
    total = tail = 0
    sums, counts = [0.0] * N_BINS, [0] * N_BINS
    for ins in instances.values():
        delays, src_len = list(ins.delays or []), float(ins.source_length or 0)
        if not delays or src_len <= 0:
            continue
        for i, d in enumerate(delays):
            total += 1
            tail += d >= src_len
            b = min(N_BINS - 1, N_BINS * i // len(delays))
            sums[b] += min(d / src_len, 1.0)
            counts[b] += 1
    return {"tail_share": round(tail / total, 4) if total else float("nan"),
            "lag_curve": [round(s / c, 4) if c else None for s, c in zip(sums, counts)]}


def group_scores(instances: dict) -> dict:
    """``n``, BLEU, the latency metrics (ms) and the waiting measures of a group of instances."""
    from simuleval.evaluator.scorers.latency_scorer import LATENCY_SCORERS_DICT
    from simuleval.evaluator.scorers.quality_scorer import SacreBLEUScorer

    row = {"n": len(instances), "BLEU": round(SacreBLEUScorer("13a")(instances), 2)}
    timed = {i: ins for i, ins in instances.items() if ins.delays}
    for m in METRICS:
        row[m] = round(LATENCY_SCORERS_DICT[m](computation_aware=False, use_ref_len=True)(timed), 1) if timed \
            else float("nan")
    row.update(waiting(instances))
    return row


def study(runs_dir: str, tsv_path: str, tag: str, task: str = "s2tt") -> List[dict]:
    """One row per (run, group) of the ``task`` runs under ``runs_dir``, sorted by policy and segment.

    Row keys: ``task``, ``policy``, ``segment``, ``group``, the :func:`group_scores` keys and
    ``bleu_loss`` (offline BLEU of the group minus this run's; absent without an offline run).

    Raises:
        ValueError: see :func:`load_tags`, :func:`read_instances`, :func:`split_groups`; or no run
        of ``task`` under ``runs_dir``.
    """
    tags = load_tags(tsv_path, tag)
    rows = []
    for name in sorted(os.listdir(runs_dir)):
        parts = name.split("_")
        folder = os.path.join(runs_dir, name)
        if len(parts) != 3 or parts[0] != task or not os.path.isdir(folder):
            continue
        groups = split_groups(read_instances(folder), tags, os.path.join(folder, "instances.log"))
        for g in GROUPS:
            rows.append({"task": task, "policy": parts[1], "segment": parts[2], "group": g,
                         **group_scores(groups[g])})
    if not rows:
        raise ValueError(f"{runs_dir}: no {task}_<policy>_<segment> run folders")
    offline = {r["group"]: r["BLEU"] for r in rows if r["segment"] == "offline"}
    for r in rows:
        if r["group"] in offline:
            r["bleu_loss"] = round(offline[r["group"]] - r["BLEU"], 2)
    rows.sort(key=lambda r: (r["segment"] == "offline", r["policy"], ORDER.get(r["segment"], 5),
                             GROUPS.index(r["group"])))
    return rows


def plot(rows: List[dict], path: str, tag: str, curve_segment: str = "320") -> None:
    """BLEU against AL per policy (tagged solid, rest dashed) and the lag curves at ``curve_segment``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.5))
    policies = sorted({r["policy"] for r in rows if r["segment"] != "offline"})
    colors = {p: f"C{i}" for i, p in enumerate(policies)}
    for p in policies:
        for g, style in zip(GROUPS, ("o-", "x--")):
            pts = [r for r in rows if r["policy"] == p and r["group"] == g and r["segment"] != "offline"]
            ax.plot([r["AL"] for r in pts], [r["BLEU"] for r in pts], style, color=colors[p],
                    label=f"{p}, {tag if g == 'tagged' else 'rest'}")
            curve = next((r["lag_curve"] for r in pts if r["segment"] == curve_segment), None)
            if curve:
                x = [(b + 0.5) / N_BINS for b in range(N_BINS)]
                bx.plot(x, [float("nan") if v is None else v for v in curve], style, color=colors[p],
                        label=f"{p}, {tag if g == 'tagged' else 'rest'}")
    for r in rows:
        if r["segment"] == "offline":
            ax.axhline(r["BLEU"], color="grey", ls="-" if r["group"] == "tagged" else "--", lw=0.8)
    ax.set_xlabel("AL (ms)")
    ax.set_ylabel("BLEU")
    ax.set_title(f"quality-latency: {tag} vs rest (grey: offline)")
    ax.legend(fontsize=7)
    bx.plot([0, 1], [0, 1], color="grey", lw=0.6)
    bx.set_xlabel("target position (fraction of output words)")
    bx.set_ylabel("delay / source duration")
    bx.set_title(f"where the policy waits ({curve_segment} ms segments)")
    bx.legend(fontsize=7)
    fig.tight_layout()
    save_figure_atomic(fig, path)
    plt.close(fig)


def print_table(rows: List[dict]) -> None:
    cols = ["policy", "segment", "group", "n", "BLEU", "bleu_loss", *METRICS, "tail_share"]
    print("\t".join(cols))
    for r in rows:
        print("\t".join(str(r.get(c, "")) for c in cols))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", required=True, help="simuleval.sh output folder (OUT)")
    p.add_argument("--tsv", required=True, help="corpus TSV of the evaluated split (raw/test.tsv)")
    p.add_argument("--tag", required=True, help="phenomenon name, e.g. verb_final")
    p.add_argument("--task", default="s2tt", choices=("s2tt", "s2st"))
    p.add_argument("--curve-segment", default="320", help="segment size (ms) of the lag curves in the plot")
    p.add_argument("--csv")
    p.add_argument("--json")
    p.add_argument("--plot")
    a = p.parse_args(argv)
    try:
        rows = study(a.runs, a.tsv, a.tag, a.task)
    except (OSError, ValueError) as e:
        print(f"phenomenon_study: error: {e}", file=sys.stderr)
        return 2
    print_table(rows)
    if a.csv:
        flat = [{**{k: v for k, v in r.items() if k != "lag_curve"},
                 **{f"lag_{b}": v for b, v in enumerate(r["lag_curve"])}} for r in rows]
        write_csv_atomic(a.csv, flat, fieldnames=list(flat[0]))
    if a.json:
        write_json_atomic(a.json, {"runs": a.runs, "tsv": a.tsv, "tag": a.tag, "task": a.task, "rows": rows})
    if a.plot:
        plot(rows, a.plot, a.tag, a.curve_segment)
    return 0


if __name__ == "__main__":
    sys.exit(main())

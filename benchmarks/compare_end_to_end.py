#!/usr/bin/env python
"""Side-by-side quality-latency comparison of two (or more) models evaluated with simuleval.sh.

    .venv/bin/python benchmarks/compare_end_to_end.py \
        --runs echostream=runs/benchmark_e2e/echostream streamspeech=runs/benchmark_e2e/streamspeech \
        --policy word --reference streamspeech --out benchmarks/results/end_to_end

Each ``NAME=DIR`` is a ``simuleval.sh`` output folder (``<task>_<policy>_<segment>/scores.tsv``
and ``scores_ca.tsv``, read with :func:`ctc_unity.simuleval_results.collect`). Written:

* ``OUT.csv``: one row per model, task and segment: quality (BLEU for S2TT, ASR-BLEU for
  S2ST), AL / LAAL / StartOffset / EndOffset (ms) and their computation-aware values;
* ``OUT.json``: the same rows plus, per task and segment, each model's quality and
  computation-aware AL relative to ``--reference`` (the checks of the issue: quality within
  ``--max-quality-gap`` points, lower computation-aware AL at ``--ca-segment`` ms);
* ``OUT.png``: one panel per task, quality against AL (solid) and computation-aware AL
  (dashed), one colour per model, the offline score of each model as a dotted line.

Raises SystemExit when a folder has no run of the requested policy.
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
from ctc_unity.datasets.atomic import save_figure_atomic, write_csv_atomic, write_json_atomic  # noqa: E402
from ctc_unity.simuleval_results import ORDER, collect, finish_task_axes, quality_key  # noqa: E402

LATENCY = ("AL", "LAAL", "StartOffset", "EndOffset", "ATD", "RTF")


def load_model_rows(name, folder, policy):
    """Rows of ``folder`` for ``policy`` (and the offline run), tagged with the model ``name``.

    Returns:
        list of dicts with keys model, task, segment, quality and the latency metrics
        (``*_CA``: computation-aware).
    """
    rows = []
    for r in collect(folder):
        if r["policy"] != policy and r["segment"] != "offline":
            continue
        row = {"model": name, "task": r["task"], "segment": r["segment"], "quality": r.get(quality_key(r))}
        for k in LATENCY:
            for key in (k, f"{k}_CA"):
                if key in r:
                    row[key] = r[key]
        rows.append(row)
    if not any(r["segment"] != "offline" for r in rows):
        sys.exit(f"{folder}: no simuleval.sh run of policy {policy!r}")
    return rows


def compare(rows, reference, ca_segment, max_gap):
    """Per task and segment, each model's quality and CA-AL minus the reference model's.

    Args:
        rows: from :func:`load_model_rows`, all models.
        reference: the model compared against.
        ca_segment: segment (ms) at which ``ca_al_lower`` is checked.
        max_gap: quality points a model may lose (``quality_within_gap``).

    Returns:
        list of dicts: model, reference, task, segment, quality_diff (points), and where
        available quality_within_gap, ca_al_diff_ms and ca_al_lower.
    """
    out = []
    ref = {(r["task"], r["segment"]): r for r in rows if r["model"] == reference}
    for r in rows:
        if r["model"] == reference or (r["task"], r["segment"]) not in ref:
            continue
        b = ref[(r["task"], r["segment"])]
        d = {"model": r["model"], "reference": reference, "task": r["task"], "segment": r["segment"],
             "quality_diff": None if None in (r["quality"], b["quality"]) else round(r["quality"] - b["quality"], 2)}
        if d["quality_diff"] is not None:
            d["quality_within_gap"] = d["quality_diff"] >= -max_gap
        if "AL_CA" in r and "AL_CA" in b:
            d["ca_al_diff_ms"] = round(r["AL_CA"] - b["AL_CA"], 1)
            if r["segment"] == str(ca_segment):
                d["ca_al_lower"] = r["AL_CA"] < b["AL_CA"]
        out.append(d)
    return out


def plot(rows, path, policy):
    """Quality against AL (solid, o) and computation-aware AL (dashed, x); one panel per task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = sorted({r["task"] for r in rows})
    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, axes = plt.subplots(1, len(tasks), figsize=(6.5 * len(tasks), 4.8), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, task in zip(axes[0], tasks):
        for i, m in enumerate(models):
            c = colours[i % len(colours)]
            pts = sorted((r for r in rows if r["model"] == m and r["task"] == task and r["segment"] != "offline"),
                         key=lambda r: ORDER.get(r["segment"], 5))
            if not pts:
                continue
            q = [r["quality"] for r in pts]
            ax.plot([r["AL"] for r in pts], q, "o-", color=c, label=f"{m} ({policy}), AL")
            if all("AL_CA" in r for r in pts):
                ax.plot([r["AL_CA"] for r in pts], q, "x--", color=c, label=f"{m}, computation-aware AL")
            for r in pts:
                ax.annotate(f"{r['segment']}", (r["AL"], r["quality"]), fontsize=7, xytext=(3, -9),
                            textcoords="offset points", color=c)
            off = [r for r in rows if r["model"] == m and r["task"] == task and r["segment"] == "offline"]
            if off and off[0]["quality"] is not None:
                ax.axhline(off[0]["quality"], color=c, ls=":", lw=1, label=f"{m}, offline")
        finish_task_axes(ax, task, "latency (ms): AL, and computation-aware AL",
                         f"{task.upper()}  (labels: source segment, ms)", legend_size=7)
    fig.tight_layout()
    save_figure_atomic(fig, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", nargs="+", required=True, help="NAME=DIR pairs (simuleval.sh output folders)")
    p.add_argument("--policy", default="word")
    p.add_argument("--reference", help="model the others are compared with (default: the last one)")
    p.add_argument("--ca-segment", type=int, default=320, help="segment (ms) of the computation-aware AL check")
    p.add_argument("--max-quality-gap", type=float, default=2.0)
    p.add_argument("--out", required=True, help="output prefix (OUT.csv, OUT.json, OUT.png)")
    a = p.parse_args(argv)
    pairs = []
    for spec in a.runs:
        if "=" not in spec:
            p.error(f"--runs expects NAME=DIR, got {spec!r}")
        pairs.append(spec.split("=", 1))
    rows = [r for name, folder in pairs for r in load_model_rows(name, folder, a.policy)]
    reference = a.reference or pairs[-1][0]
    checks = compare(rows, reference, a.ca_segment, a.max_quality_gap)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    write_csv_atomic(a.out + ".csv", rows)
    write_json_atomic(a.out + ".json", {"policy": a.policy, "reference": reference, "rows": rows, "comparison": checks})
    plot(rows, a.out + ".png", a.policy)
    cols = ["model", "task", "segment", "quality", "AL", "AL_CA", "LAAL", "StartOffset", "EndOffset"]
    print("\t".join(cols))
    for r in sorted(rows, key=lambda r: (r["task"], ORDER.get(r["segment"], 5), r["model"])):
        print("\t".join(f"{r[c]:.2f}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in cols))
    for c in checks:
        print(json.dumps(c))


if __name__ == "__main__":
    main()

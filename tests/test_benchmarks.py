"""The result collection of simuleval.sh and the end-to-end comparison, on hand-made SimulEval scores."""
import csv
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable


def _scores(folder, **metrics):
    os.makedirs(folder, exist_ok=True)
    for name, extra in (("scores.tsv", 0.0), ("scores_ca.tsv", 1.0)):
        row = {k: (v + extra * 100 if k.startswith("AL") or k == "LAAL" else v) for k, v in metrics.items()}
        with open(os.path.join(folder, name), "w") as fh:
            fh.write("\t".join(row) + "\n" + "\t".join(str(v) for v in row.values()) + "\n")


def _model_runs(base, bleu_shift, al_ca_shift):
    for seg, al in (("160", 500.0), ("320", 800.0), ("offline", 2000.0)):
        for policy in ("word", "alignment"):
            if seg == "offline" and policy != "alignment":
                continue
            _scores(os.path.join(base, f"s2tt_{policy}_{seg}"), BLEU=50.0 + bleu_shift + (seg == "offline"),
                    AL=al + al_ca_shift, LAAL=al + 10)
    # a folder that is not a run and a run without scores are ignored
    os.makedirs(os.path.join(base, "wav_lists"), exist_ok=True)
    os.makedirs(os.path.join(base, "s2st_word_640"), exist_ok=True)


def test_compare_end_to_end_tables_checks_and_plot(tmp_path):
    a, b = str(tmp_path / "echo"), str(tmp_path / "base")
    _model_runs(a, bleu_shift=-1.5, al_ca_shift=-50.0)
    _model_runs(b, bleu_shift=0.0, al_ca_shift=0.0)
    out = str(tmp_path / "res" / "e2e")
    r = subprocess.run([PY, os.path.join(ROOT, "benchmarks", "compare_end_to_end.py"), "--runs", f"echo={a}",
                        f"base={b}", "--policy", "word", "--out", out], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rep = json.load(open(out + ".json"))
    assert rep["reference"] == "base"  # default: the last model
    rows = {(x["model"], x["segment"]): x for x in rep["rows"]}
    assert set(rows) == {(m, s) for m in ("echo", "base") for s in ("160", "320", "offline")}
    assert rows[("echo", "320")]["quality"] == 48.5 and rows[("echo", "320")]["AL_CA"] == 850.0
    cmp = {c["segment"]: c for c in rep["comparison"]}
    assert cmp["320"]["quality_diff"] == -1.5 and cmp["320"]["quality_within_gap"] is True
    assert cmp["320"]["ca_al_diff_ms"] == -50.0 and cmp["320"]["ca_al_lower"] is True
    assert "ca_al_lower" not in cmp["160"]  # only checked at --ca-segment
    with open(out + ".csv") as fh:
        assert len(list(csv.DictReader(fh))) == 6
    assert os.path.getsize(out + ".png") > 1000

    # a gap above the threshold is flagged
    r = subprocess.run([PY, os.path.join(ROOT, "benchmarks", "compare_end_to_end.py"), "--runs", f"echo={a}",
                        f"base={b}", "--max-quality-gap", "1.0", "--out", out], capture_output=True, text=True)
    assert r.returncode == 0
    assert json.load(open(out + ".json"))["comparison"][0]["quality_within_gap"] is False

    # a folder without runs of the policy is an error that names it
    r = subprocess.run([PY, os.path.join(ROOT, "benchmarks", "compare_end_to_end.py"), "--runs", f"echo={a}",
                        f"base={b}", "--policy", "wait-k", "--out", out], capture_output=True, text=True)
    assert r.returncode != 0 and a in r.stderr and "wait-k" in r.stderr


def test_prep_throughput_parses_bars_and_projects(tmp_path):
    """benchmarks/prep_throughput.py: tqdm bars -> rates, disk per audio hour and the CVSS-C projection."""
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    try:
        import prep_throughput as pt
    finally:
        sys.path.pop(0)
    log = ("synthesising:  50%|#    | 100/200 [00:10<00:10, 10.0wav/s]\r"
           "synthesising: 100%|#####| 200/200 [01:40<00:00, 2.0wav/s]\n"
           "units train: 100%|#####| 990/1000 [1:00:05<00:00, 1.0utt/s]\n")
    bars = pt.parse_log(log)
    assert bars == {"synthesising": {"items": 200, "seconds": 100, "per_s": 2.0},
                    "units train": {"items": 1000, "seconds": 3605, "per_s": 0.3}}
    raw, s2st = tmp_path / "raw", tmp_path / "s2st"
    raw.mkdir(), s2st.mkdir()
    (raw / "corpus_stats.json").write_text(json.dumps({"total_pairs": 1000, "duration_s": {
        "src": {"total": 1800.0}, "tgt": {"total": 1800.0}}}))
    (s2st / "x.npy").write_bytes(b"\0" * 1_000_000)
    rep = pt.report(bars, {"prepare": 36.0}, str(raw), str(s2st), 512.0)
    assert rep["audio_hours_src_plus_tgt"] == 1.0 and rep["utterances"] == 1000
    assert rep["disk_mb_per_audio_hour"]["s2st"] == 1.0
    # 36 s per 1000 utterances -> 207 000 utterances: 7452 s = 2.07 h
    assert rep["projected_prepare_h"] == 2.07 and rep["projected_utterances"] == 207_000

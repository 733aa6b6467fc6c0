"""The run summary of run.sh (ctc_unity.run_summary): stage records, done checks, table and check."""
import json
import os
import sys

from ctc_unity import run_summary as rs


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def _fake_run(root):
    """Files as the stage scripts write them, with made-up figures."""
    data, s1, s2 = root / "data", root / "stage1", root / "stage2"
    _write(str(data / "data_stats.json"), json.dumps({"n_units": 50, "src_vocab": 80, "tgt_vocab": 80, "splits": {
        "train": {"utterances": 64, "src_hours": 0.03}, "dev": {"utterances": 8, "src_hours": 0.004},
        "test": {"utterances": 8, "src_hours": 0.004}}}))
    for run, n in ((s1, 150), (s2, 60)):
        _write(str(run / "eval_test.json"), json.dumps({"n": 8, "asr_wer": 30.0, "st_ctc_bleu": 40.0, "mt_bleu_greedy": 59.0,
                                                        "mt_bleu_beam5": 60.5, "unit_error_rate": 55.0,
                                                        "unit_error_rate_tf": 41.0, "checkpoint": "x.pt"}))
        _write(str(run / "train.log"), f"epoch 001 | num_updates {n - 1} | lr 1\nepoch 002 | num_updates {n} | lr 1\n")
    _write(str(root / "voc" / "train.log"), "INFO:vocoder.train:valid step 20 | mel_l1 1.8929 dur_mse 0.3 | best mel_l1 "
           "1.5000 (new best) | 4.1s\nINFO:vocoder.train:stopped at step 20: 20 steps in 9s\n")
    _write(str(root / "voc" / "checkpoint_best.pt"), "")
    _write(str(root / "asr" / "summary.json"), json.dumps({"step": 16, "steps_per_s": 1.0, "checkpoint_best": "a.pt",
                                                          "best": {"step": 8, "wer": 12.5, "cer": 4.0, "bleu": 70.0}}))
    rows = [("s2tt", "word", "320", "BLEU", 58.2, 990), ("s2tt", "word", "offline", "BLEU", 59.2, 2190),
            ("s2st", "word", "320", "ASR_BLEU_OFFLINE", 28.46, 1297),
            ("s2st", "word", "offline", "ASR_BLEU_OFFLINE", 31.29, 2190)]
    lines = ["task,policy,segment,BLEU,ASR_BLEU_OFFLINE,AL"]
    for task, pol, seg, metric, q, al in rows:
        lines.append(f"{task},{pol},{seg},{q if metric == 'BLEU' else ''},{q if metric != 'BLEU' else ''},{al}")
    _write(str(root / "sv" / "results.csv"), "\n".join(lines) + "\n")
    _write(str(root / "sv" / "quality_latency.png"), "png")
    for name in ("sample", "sample_mp3"):
        _write(str(root / "demo" / f"{name}.wav"), "")
        _write(str(root / "demo" / f"{name}.timeline.json"),
               json.dumps({"input": f"{name}.in", "translation": "a red car", "asr": "une voiture rouge", "rtf": 0.1}))
    _write(str(root / "demo" / "served.timeline.json"),
           json.dumps({"input": "sample.in", "translation": "a red car", "close_code": 1000, "error": None}))
    demo = [str(root / "demo" / f"{n}.timeline.json") for n in ("sample", "sample_mp3")]
    return {"data": str(data), "train": str(s1), "t2u": str(s2), "vocoder": str(root / "voc"), "asr": str(root / "asr"),
            "simuleval": str(root / "sv"), "demo": demo, "serve": [str(root / "demo" / "served.timeline.json"), demo[0]]}


def _record_all(paths, summary, skip=()):
    for stage in rs.STAGES:
        if stage in skip:
            continue
        args = ["record", "--summary", summary, "--profile", "test", "--stage", stage, "--status", "done",
                "--seconds", "12.5", "--command", f"bash {stage}.sh"]
        key = {"data": "--data", "simuleval": "--out", "demo": "--demo", "serve": "--demo"}.get(stage, "--run")
        args += [key] + (paths[stage] if key == "--demo" else [paths[stage]])
        if stage == "demo":
            args += ["--reference", "a red car"]
        assert rs.main(args) == 0


def test_record_table_and_check(tmp_path, capsys):
    paths = _fake_run(tmp_path)
    summary = str(tmp_path / "summary.json")
    _record_all(paths, summary)
    s = json.load(open(summary))
    assert s["stages"]["train"]["figures"]["num_updates"] == 150
    assert s["stages"]["train"]["figures"]["mt_bleu_beam"] == 60.5
    assert s["stages"]["vocoder"]["figures"] == {"run": paths["vocoder"], "config": os.path.join(paths["vocoder"], "config.json"),
                                                 "step": 20, "valid_mel_l1": 1.8929, "best_mel_l1": 1.5}
    assert s["stages"]["asr"]["figures"]["dev_wer"] == 12.5
    assert s["total_seconds"] == 12.5 * len(rs.STAGES)
    assert rs.main(["check", "--summary", summary]) == 0
    capsys.readouterr()
    assert rs.main(["table", "--summary", summary]) == 0
    out = capsys.readouterr().out
    assert "| word | 28.46 | 91 % | 1297 | 58.2 | 990 |" in out
    assert "| offline | 31.29 | 100 % | 2190 | 59.2 | 2190 |" in out
    assert "| stage 1 | 150 | 30.0 % | 40.0 | 59.0 | 60.5 | 55.0 % |" in out
    assert "quality-latency plot" in out and "sample_mp3.wav" in out
    assert "live server: one session over the demo's input, close 1000, translation equal to the demo's" in out


def test_check_names_missing_stage_and_figure(tmp_path, capsys):
    paths = _fake_run(tmp_path)
    _write(os.path.join(paths["train"], "eval_test.json"), json.dumps({"n": 8, "asr_wer": 30.0}))
    summary = str(tmp_path / "summary.json")
    _record_all(paths, summary, skip=("demo",))
    assert rs.main(["check", "--summary", summary]) == 1
    err = capsys.readouterr().err
    assert "demo: not run" in err and "train: figure mt_bleu_greedy missing" in err


def test_check_fails_a_server_session_that_differs_from_the_demo(tmp_path, capsys):
    paths = _fake_run(tmp_path)
    _write(paths["serve"][0], json.dumps({"translation": "a blue car", "close_code": 4008, "error": "non_finite_samples"}))
    summary = str(tmp_path / "summary.json")
    _record_all(paths, summary)
    assert rs.main(["check", "--summary", summary]) == 1
    err = capsys.readouterr().err
    assert "serve: the session closed with 4008 (non_finite_samples)" in err
    assert "serve: translation 'a blue car' differs from the demo's 'a red car'" in err


def test_done_and_stage(tmp_path, capsys):
    paths = _fake_run(tmp_path)
    assert rs.main(["done", "--stage", "train", "--run", paths["train"], "--steps", "150"]) == 0
    assert rs.main(["done", "--stage", "train", "--run", paths["train"], "--steps", "151"]) == 1  # e.g. a wall-clock cap hit
    assert rs.main(["done", "--stage", "asr", "--run", paths["asr"], "--steps", "17"]) == 1
    assert rs.main(["done", "--stage", "vocoder", "--run", str(tmp_path / "none")]) == 1
    summary = str(tmp_path / "summary.json")
    base = ["stage", "--summary", summary, "--profile", "test", "--stages", "data train", "--expected", "data=60 train=600"]
    # a done stage is skipped (its command is not run) and keeps its figures
    assert rs.main(base + ["--stage", "data", "--data", paths["data"], "--", sys.executable, "-c", "raise SystemExit(3)"]) == 0
    assert "1/2 data: already done, skipped" in capsys.readouterr().out
    # a failing command fails the stage
    empty = str(tmp_path / "empty")
    assert rs.main(base + ["--stage", "train", "--run", empty, "--", sys.executable, "-c", "raise SystemExit(3)"]) == 3
    assert "2/2 train: FAILED" in capsys.readouterr().out
    s = json.load(open(summary))
    assert s["stages"]["data"]["status"] == "skipped" and s["stages"]["data"]["figures"]["train_utterances"] == 64
    assert s["stages"]["train"]["status"] == "failed"

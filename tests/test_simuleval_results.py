"""simuleval_results --compare: sweeps of several pairs side by side, from their CSVs."""
import csv

import pytest

from ctc_unity import simuleval_results as sr


def _write(path, rows):
    cols = ["task", "policy", "segment", "BLEU", "AL", "LAAL"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return str(path)


def test_compare_puts_each_configuration_on_one_row_with_missing_cells_marked(tmp_path, capsys):
    a = _write(tmp_path / "a.csv", [
        {"task": "s2tt", "policy": "word", "segment": "640", "BLEU": 60.25, "AL": 1382.4, "LAAL": 1400},
        {"task": "s2tt", "policy": "word", "segment": "160", "BLEU": 58.77, "AL": 824.0, "LAAL": 851},
        {"task": "s2tt", "policy": "alignment", "segment": "offline", "BLEU": 59.16, "AL": 2190.0, "LAAL": 2190},
        {"task": "s2st", "policy": "word", "segment": "160", "BLEU": 1.0, "AL": 1.0, "LAAL": 1},
    ])
    b = _write(tmp_path / "b.csv", [
        {"task": "s2tt", "policy": "word", "segment": "160", "BLEU": 40.04, "AL": 1000.6, "LAAL": 1100},
        {"task": "s2tt", "policy": "wait-k", "segment": "320", "BLEU": 30.0, "AL": 1500.0, "LAAL": 1600},
        {"task": "s2tt", "policy": "alignment", "segment": "offline", "BLEU": 45.0, "AL": 2500.0, "LAAL": 2500},
    ])
    out_md = tmp_path / "cmp.md"
    out_png = tmp_path / "cmp.png"
    sr.main(["--compare", f"fr-en={a}", f"de-en={b}", "--task", "s2tt", "--markdown", str(out_md),
             "--plot", str(out_png)])
    lines = out_md.read_text().splitlines()
    assert lines[0] == "| policy | segment | fr-en BLEU | fr-en AL | de-en BLEU | de-en AL |"
    # policies alphabetically, segments in the sweep's order, offline last; s2st rows left out
    assert lines[2:] == [
        "| wait-k | 320 ms | – | – | 30.0 | 1500 |",
        "| word | 160 ms | 58.8 | 824 | 40.0 | 1001 |",
        "| word | 640 ms | 60.2 | 1382 | – | – |",
        "| offline | — | 59.2 | 2190 | 45.0 | 2500 |",
    ]
    assert out_png.stat().st_size > 0
    assert capsys.readouterr().out.splitlines() == lines


def test_compare_errors_name_the_file_or_argument(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(SystemExit, match="bad.csv: not a simuleval_results CSV"):
        sr.main(["--compare", f"x={bad}"])
    with pytest.raises(SystemExit, match="missing.csv: no such results CSV"):
        sr.main(["--compare", f"x={tmp_path / 'missing.csv'}"])
    with pytest.raises(SystemExit, match="expected LABEL=CSV"):
        sr.main(["--compare", str(bad)])


def _run_folder(path, wavs, refs):
    """A finished SimulEval speech-output folder: instances.log whose predictions are ``wavs``."""
    import json

    path.mkdir(parents=True)
    with open(path / "instances.log", "w") as fh:
        for i, (w, r) in enumerate(zip(wavs, refs)):
            fh.write(json.dumps({"index": i, "prediction": w, "reference": r, "delays": [0.0],
                                 "elapsed": [0.0], "source_length": 1000.0}) + "\n")
    (path / "scores.tsv").write_text("ASR_BLEU_OFFLINE\tAL\n12.5\t900.0\n")
    return path


def test_second_judge_scores_a_finished_run_shares_its_ceiling_and_becomes_a_column(tiny_data, tmp_path, capsys):
    """``rescore_simuleval.py --asr-backend pocketsphinx``: the run's wavs are the reference speech here, so
    its ASR-BLEU equals its ceiling; the ceiling cache is reused only for the same judge, wavs and references;
    ``collect`` reports ``ASR_BLEU_pocketsphinx`` and its ceiling beside the run's own ASR-BLEU."""
    import importlib.util
    import json
    import os

    spec = importlib.util.spec_from_file_location("rescore_simuleval", os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "rescore_simuleval.py"))
    rescore = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rescore)

    lst = os.path.join(tiny_data, "simuleval", "dev")
    wavs = [line.strip() for line in open(os.path.join(lst, "tgt_wav_list.txt")) if line.strip()]
    refs = [line.strip() for line in open(os.path.join(lst, "target.txt")) if line.strip()]
    runs = tmp_path / "sweep"
    first = _run_folder(runs / "s2st_word_320", wavs, refs)
    cache = tmp_path / "ceiling_pocketsphinx.json"
    args = ["--asr-backend", "pocketsphinx", "--asr-reference-wav-list", os.path.join(lst, "tgt_wav_list.txt"),
            "--asr-ceiling-cache", str(cache)]
    rescore.main(["--output", str(first), *args])
    report = json.loads((first / "asr_bleu_pocketsphinx.json").read_text())
    assert report["n"] == len(wavs) and report["ceiling"]["bleu"] == pytest.approx(report["bleu"])
    assert len((first / "asr_bleu_pocketsphinx_transcripts.txt").read_text().splitlines()) == len(wavs)
    assert not (first / "asr_bleu_offline.json").exists()  # the run's own report is not overwritten

    # a second run of the sweep takes the ceiling from the cache (marked here to see it is reused) ...
    cached = json.loads(cache.read_text())
    cached["ceiling"]["bleu"] = 123.0
    cache.write_text(json.dumps(cached))
    second = _run_folder(runs / "s2st_offline_offline", wavs, refs)
    from ctc_unity.asr_bleu import simuleval_scorer
    simuleval_scorer._CEILINGS.clear()  # as in the next process of the sweep
    rescore.main(["--output", str(second), *args])
    assert json.loads((second / "asr_bleu_pocketsphinx.json").read_text())["ceiling"]["bleu"] == 123.0
    # ... but not for other references
    other = _run_folder(tmp_path / "other" / "s2st_word_320", wavs, [r + " extra" for r in refs])
    rescore.main(["--output", str(other), *args])
    assert json.loads((other / "asr_bleu_pocketsphinx.json").read_text())["ceiling"]["bleu"] != 123.0

    rows = {r["policy"]: r for r in sr.collect(str(runs))}
    assert rows["word"]["ASR_BLEU_OFFLINE"] == 12.5
    assert rows["word"]["ASR_BLEU_pocketsphinx"] == pytest.approx(report["bleu"])
    assert rows["word"]["ASR_BLEU_pocketsphinx_CEILING"] == pytest.approx(report["ceiling"]["bleu"])
    assert rows["offline"]["ASR_BLEU_pocketsphinx_CEILING"] == 123.0
    capsys.readouterr()
    sr.print_table(list(rows.values()))
    assert "ASR_BLEU_pocketsphinx" in capsys.readouterr().out.splitlines()[0].split("\t")

    with pytest.raises(SystemExit):
        rescore.main(["--output", str(tmp_path / "missing"), *args])


def test_paired_bootstrap_against_offline_separates_noise_from_a_real_loss(tmp_path):
    """``p_vs_offline``: a streamed run equal to offline but for one sentence is not different (p > 0.05); one
    that drops half of every sentence is (p < 0.05); S2ST runs are tested on the judge's transcripts."""
    import json
    import random

    rng = random.Random(0)
    words = "the cat sees a big red dog near my small house every day".split()
    refs = [" ".join(rng.choice(words) for _ in range(8)) for _ in range(60)]
    offline = list(refs)
    offline[::3] = [" ".join(r.split()[:6]) for r in refs[::3]]  # offline itself is not perfect
    close = list(offline)
    close[1] = " ".join(refs[1].split()[:7])
    poor = [" ".join(h.split()[:4]) for h in offline]

    def run(task, policy, segment, hyps):
        folder = tmp_path / f"{task}_{policy}_{segment}"
        folder.mkdir()
        (folder / "scores.tsv").write_text(("BLEU" if task == "s2tt" else "ASR_BLEU_OFFLINE") + "\tAL\n50\t1000\n")
        if task == "s2tt":
            with open(folder / "instances.log", "w") as fh:
                for i in reversed(range(len(hyps))):  # any order: sorted by index
                    fh.write(json.dumps({"index": i, "prediction": hyps[i], "reference": refs[i]}) + "\n")
        else:
            (folder / "asr_bleu_offline.json").write_text(json.dumps({"hyps": hyps, "refs": refs}))

    for task in ("s2tt", "s2st"):
        run(task, "alignment", "offline", offline)
        run(task, "word", "320", close)
        run(task, "wait-k", "320", poor)
        run(task, "word", "1280", offline)  # the same output: no difference, whatever the test says of zero
    rows = sr.paired_vs_offline(str(tmp_path), sr.collect(str(tmp_path)), n_samples=200)
    p = {(r["task"], r["policy"], r["segment"]): r.get("p_vs_offline") for r in rows}
    for task in ("s2tt", "s2st"):
        assert p[(task, "alignment", "offline")] is None
        assert p[(task, "word", "320")] > 0.05
        assert p[(task, "wait-k", "320")] < 0.05
        assert p[(task, "word", "1280")] == 1.0

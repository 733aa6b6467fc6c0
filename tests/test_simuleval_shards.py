"""Sharded SimulEval (``SHARDS=N bash simuleval.sh``, :mod:`ctc_unity.simuleval_shards`)."""
import csv
import json
import os
import subprocess

import pytest

from ctc_unity import simuleval_shards as shards

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: quality and ideal-delay latency: must be identical between the sharded and the unsharded run
EXACT = ("BLEU", "ASR_BLEU_OFFLINE", "ASR_BLEU_OFFLINE_CEILING", "AL", "AP", "DAL", "LAAL", "ATD",
         "StartOffset", "EndOffset", "NumChunks")


def test_shard_ranges_are_contiguous_balanced_and_cover_the_list():
    assert shards.shard_ranges(5, 2) == [(0, 3), (3, 5)]
    assert shards.shard_ranges(2, 3) == [(0, 1), (1, 2), (2, 2)]
    for n in range(0, 12):
        for k in range(1, 6):
            r = shards.shard_ranges(n, k)
            assert r[0][0] == 0 and r[-1][1] == n and all(a[1] == b[0] for a, b in zip(r, r[1:]))
            sizes = [e - s for s, e in r]
            assert max(sizes) - min(sizes) <= 1
    assert shards.parse_shard("1/4") == (1, 4)
    for bad in ("4/4", "x", "1/0"):
        with pytest.raises(Exception):
            shards.parse_shard(bad)


def test_own_options_are_refused_and_scoring_keeps_only_scorer_arguments():
    with pytest.raises(SystemExit, match="--output"):
        shards.check_simuleval_args(["--source", "s.txt", "--output", "x"])
    args = ["--agent", "a.py", "--model-path", "m.pt", "--source", "s.txt", "--target", "t.txt", "--policy", "word",
            "--source-segment-size", "320", "--quality-metrics", "BLEU", "--latency-metrics", "AL", "LAAL",
            "--vocoder", "v.json"]
    kept = shards._scoring_args(args)
    assert "--model-path" not in kept and "--policy" not in kept and "--vocoder" not in kept and "a.py" not in kept
    assert kept[kept.index("--latency-metrics") + 1:kept.index("--latency-metrics") + 3] == ["AL", "LAAL"]
    assert "BLEU" in kept and "s.txt" in kept


def _data_with_four_instances(tiny_data, base):
    """tiny_data (symlinked) with a simuleval split ``four``: dev + test, 4 instances."""
    data = base / "data"
    data.mkdir()
    for name in os.listdir(tiny_data):
        if name != "simuleval":
            os.symlink(os.path.join(tiny_data, name), data / name)
    four = data / "simuleval" / "four"
    four.mkdir(parents=True)
    for f in ("wav_list.txt", "target.txt", "tgt_wav_list.txt"):
        lines = []
        for split in ("dev", "test"):
            for line in open(os.path.join(tiny_data, "simuleval", split, f), encoding="utf-8").read().splitlines():
                if f != "target.txt" and not os.path.isabs(line):
                    line = os.path.join(tiny_data, "simuleval", split, line)
                lines.append(line)
        (four / f).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(data)


def _scores(path):
    with open(path) as fh:
        return next(csv.DictReader(fh, delimiter="\t"))


def _simuleval_sh(env_extra, out):
    env = dict(os.environ, OUT=str(out), **env_extra)
    res = subprocess.run(["bash", os.path.join(ROOT, "simuleval.sh")], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


def test_sharded_simuleval_sh_equals_the_unsharded_run(tiny_checkpoint, tiny_data, tmp_path):
    """``SHARDS=2 bash simuleval.sh`` on 4 instances: one merged folder like the unsharded run's (original
    order, wavs named by original index, texts merged), with identical quality and ideal-delay latency."""
    from ctc_unity.vocoder.griffin_lim import make_griffin_lim_config

    data = _data_with_four_instances(tiny_data, tmp_path)
    vocoder = str(tmp_path / "gl.json")
    make_griffin_lim_config(os.path.join(tiny_data, "units"), n_iter=4, out_path=vocoder)
    common = dict(MODEL=tiny_checkpoint["checkpoint"], DATA=data, SPLIT="four", TASKS="s2tt s2st", POLICIES="word",
                  SEGMENTS="320", VOCODER=vocoder, ASR_BACKEND="pocketsphinx",
                  AGENT_ARGS="--max-len 20")
    _simuleval_sh(common, tmp_path / "one")
    _simuleval_sh(dict(common, SHARDS="2", SHARD_THREADS="1"), tmp_path / "two")
    for run in ("s2tt_word_320", "s2st_word_320"):
        one, two = tmp_path / "one" / run, tmp_path / "two" / run
        a, b = _scores(one / "scores.tsv"), _scores(two / "scores.tsv")
        assert set(a) == set(b)
        compared = [k for k in a if k in EXACT]
        assert {"AL", "LAAL", "StartOffset", "EndOffset", "ATD"} <= set(compared)
        assert ("BLEU" if run.startswith("s2tt") else "ASR_BLEU_OFFLINE") in compared
        assert {k: a[k] for k in compared} == {k: b[k] for k in compared}
        assert set(_scores(one / "scores_ca.tsv")) == set(_scores(two / "scores_ca.tsv"))  # AL_CA & co. exist
        log_a = [json.loads(x) for x in (one / "instances.log").read_text().splitlines()]
        log_b = [json.loads(x) for x in (two / "instances.log").read_text().splitlines()]
        assert [r["index"] for r in log_b] == [0, 1, 2, 3]
        assert [r["source"] for r in log_a] == [r["source"] for r in log_b]
        assert [r["delays"] for r in log_a] == [r["delays"] for r in log_b]
        texts = [json.loads(x) for x in (two / "echostream_texts.jsonl").read_text().splitlines()]
        assert [t["index"] for t in texts] == [0, 1, 2, 3]
        assert texts == [json.loads(x) for x in (one / "echostream_texts.jsonl").read_text().splitlines()]
        info = json.loads((two / "shards.json").read_text())
        assert info["instances"] == 4 and info["ranges"] == [[0, 2], [2, 4]]
        assert not (tmp_path / "two" / f"{run}.shards").exists()
        if run.startswith("s2st"):
            assert sorted(os.listdir(two / "wavs")) == sorted(os.listdir(one / "wavs")) == \
                [f"{i}_pred.wav" for i in range(4)]
            for r in log_b:
                assert r["prediction"] == str((two / "wavs" / f"{r['index']}_pred.wav").absolute())
            assert [r["durations"] for r in log_a] == [r["durations"] for r in log_b]
        else:
            assert [r["prediction"] for r in log_a] == [r["prediction"] for r in log_b]

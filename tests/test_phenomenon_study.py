"""ctc_unity.phenomenon_study on a fabricated sweep: groups, SimulEval's latency on each, the waiting measures.

Three test sentences: two carry ``verb_final`` (a.wav, c.wav), one does not (b.wav). The expected values
below are computed by hand from the delays (ms) with SimulEval's definitions (AL with reference lengths).
"""
import json
import os

import pytest
from sacrebleu.metrics.bleu import BLEU

from ctc_unity import phenomenon_study as ps

SENTENCES = [  # file, phenomena, reference, word-policy prediction, its delays (ms), source length (ms)
    ("a.wav", "verb_final,question", "i have seen the dog", "i have seen the dog", [200, 400, 600, 1000, 1000], 1000),
    ("b.wav", "negation", "he does not sleep now", "he does not sleep now", [400, 800, 1200, 1600, 2000], 2000),
    ("c.wav", "verb_final", "because we have called you", "because we called you", [1000] * 4, 1000),
]


def _log(folder, rows):
    os.makedirs(folder)
    with open(os.path.join(folder, "instances.log"), "w") as fh:
        for i, (name, pred, delays, src_len, ref) in enumerate(rows):
            fh.write(json.dumps({"index": i, "prediction": pred, "delays": delays, "elapsed": delays,
                                 "prediction_length": len(pred.split()), "reference": ref,
                                 "source": [f"/data/wav/{name}"], "source_length": src_len}) + "\n")


@pytest.fixture
def sweep(tmp_path):
    tsv = tmp_path / "test.tsv"
    tsv.write_text("id\tsrc_audio\tsrc_text\ttgt_text\tphenomena\n" + "".join(
        f"{n[0]}\twav/{n}\tx\t{ref}\t{ph}\n" for n, ph, ref, _, _, _ in SENTENCES))
    runs = tmp_path / "sv"
    _log(runs / "s2tt_word_320", [(n, pred, d, s, ref) for n, _, ref, pred, d, s in SENTENCES])
    _log(runs / "s2tt_alignment_offline",
         [(n, ref, [s] * len(ref.split()), s, ref) for n, _, ref, _, _, s in SENTENCES])
    _log(runs / "s2st_word_320", [("missing.wav", "x", [1], 1, "x")])  # another task: not read
    return str(runs), str(tsv)


def test_groups_latency_and_waiting_match_hand_computed_values(sweep):
    rows = {(r["segment"], r["group"]): r for r in ps.study(*sweep, tag="verb_final")}
    assert list(rows) == [("320", "tagged"), ("320", "rest"), ("offline", "tagged"), ("offline", "rest")]
    tagged, rest = rows[("320", "tagged")], rows[("320", "rest")]
    assert (tagged["n"], rest["n"]) == (2, 1)
    # AL: a.wav (200 + 200 + 200 + 400) / 4 = 250, c.wav 1000 (first word at the end); b.wav 400 per word
    assert tagged["AL"] == 625.0 and tagged["LAAL"] == 625.0 and rest["AL"] == 400.0
    assert tagged["StartOffset"] == 600.0 and rest["StartOffset"] == 400.0
    assert tagged["EndOffset"] == 0.0 and rest["EndOffset"] == 0.0
    # words written after the whole source: 2 of 5 + 4 of 4 in the tagged group, 1 of 5 in the rest
    assert tagged["tail_share"] == round(6 / 9, 4) and rest["tail_share"] == 0.2
    assert tagged["lag_curve"] == [0.6, None, 0.7, None, 0.6, 1.0, 1.0, 1.0, 1.0, None]
    assert rest["lag_curve"] == [0.2, None, 0.4, None, 0.6, None, 0.8, None, 1.0, None]
    # quality: the offline run is perfect; the word policy lost "have" on c.wav only
    expected = BLEU(tokenize="13a").corpus_score([SENTENCES[0][3], SENTENCES[2][3]],
                                                  [[SENTENCES[0][2], SENTENCES[2][2]]]).score
    assert tagged["BLEU"] == round(expected, 2) < 100 and rest["BLEU"] == 100.0
    assert tagged["bleu_loss"] == round(100.0 - round(expected, 2), 2) and rest["bleu_loss"] == 0.0
    assert rows[("offline", "tagged")]["tail_share"] == 1.0


def test_cli_writes_csv_json_plot_and_refuses_bad_input_in_one_line(sweep, tmp_path, capsys):
    runs, tsv = sweep
    out = tmp_path / "out"
    assert ps.main(["--runs", runs, "--tsv", tsv, "--tag", "verb_final", "--csv", str(out / "s.csv"),
                    "--json", str(out / "s.json"), "--plot", str(out / "s.png")]) == 0
    saved = json.loads((out / "s.json").read_text())
    assert saved["tag"] == "verb_final" and len(saved["rows"]) == 4
    assert (out / "s.csv").read_text().splitlines()[0].startswith("task,policy,segment,group,n,BLEU")
    assert (out / "s.png").stat().st_size > 0
    capsys.readouterr()

    assert ps.main(["--runs", runs, "--tsv", tsv, "--tag", "pro_drop"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"phenomenon_study: error: {tsv}: no sentence carries the phenomenon 'pro_drop'"]
    assert ps.main(["--runs", runs, "--tsv", tsv, "--tag", "verb_final", "--task", "s2st"]) == 2
    err = capsys.readouterr().err.strip()
    assert "missing.wav is not in the corpus TSV" in err and "s2st_word_320" in err and "\n" not in err
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tsrc_audio\n1\ta.wav\n")
    assert ps.main(["--runs", runs, "--tsv", str(bad), "--tag", "verb_final"]) == 2
    assert "missing column(s) ['phenomena']" in capsys.readouterr().err

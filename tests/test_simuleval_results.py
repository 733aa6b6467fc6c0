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

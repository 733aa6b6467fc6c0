"""``scripts/training_report.py``: dev curves from a fairseq log, and the comparison of runs."""
import pytest

from conftest import load_script

LOG = """\
2026-12-07 10:00:00 | INFO | fairseq.trainer | begin training epoch 1
2026-12-07 10:05:00 | INFO | dev | epoch 001 | valid on 'dev' subset | loss 9.5 | asr_ctc_loss 3.0 | mt_loss 2.5 | num_updates 100
2026-12-07 10:05:10 | INFO | fairseq.trainer | begin training epoch 2
2026-12-07 10:09:10 | INFO | dev | epoch 002 | valid on 'dev' subset | loss 8.0 | asr_ctc_loss 2.0 | mt_loss 2.7 | num_updates 200
"""


def test_parse_and_compare(tmp_path, capsys):
    tr = load_script("scripts/training_report.py")
    (tmp_path / "a").mkdir()
    log = tmp_path / "a" / "train.log"
    log.write_text(LOG)
    tr.main([str(log)])
    rows = tr.parse(str(log))
    assert [(r["epoch"], r["num_updates"], r["wall_s"], r["mt_loss"]) for r in rows] == [(1, 100, 300, 2.5), (2, 200, 240, 2.7)]
    other = tmp_path / "b.csv"
    other.write_text("epoch,num_updates,asr_ctc_loss,mt_loss\n1,150,2.5,2.0\n")
    capsys.readouterr()
    assert tr.main(["--compare", f"first={tmp_path / 'a' / 'dev_losses.csv'}", f"second={other}",
                    "--plot", str(tmp_path / "cmp.png")]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[2] == "| first | 200 | 2.000 (2.000) | 2.700 (2.500) |"  # last (best)
    assert table[3] == "| second | 150 | 2.500 (2.500) | 2.000 (2.000) |"
    assert (tmp_path / "cmp.png").stat().st_size > 1000
    with pytest.raises(SystemExit, match="LABEL=CSV"):
        tr.main(["--compare", "nolabel.csv"])

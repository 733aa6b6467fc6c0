"""Tests of the CVSS-C + Common Voice front end on a fabricated miniature tree."""

import logging
import os
import shutil
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from ctc_unity.datasets import corpus, cvss  # noqa: E402

sf = pytest.importorskip("soundfile")

CV_HEADER = "client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccent\n"

# name -> (client_id, sentence); "x" has no CVSS translation, "c" is only in validated.tsv
CV_TRAIN = {"a": ("spk1", "Bonjour, le monde !"), "b": ("spk2", 'Il a dit "oui".'), "x": ("spk3", "Pas traduit.")}
CV_DEV = {"d": ("spk1", "Une phrase de dev.")}
CV_TEST = {"e": ("spk4", "Une phrase de test.")}
CV_VALIDATED = {**CV_TRAIN, **CV_DEV, **CV_TEST, "c": ("spk5", "Seulement validée.")}
# CVSS: "z" has no Common Voice metadata
CVSS = {
    "train": [("a", "Hello, world!"), ("z", "Orphan."), ("b", 'He said "yes".')],
    "dev": [("d", "A dev sentence.")],
    "test": [("e", "A test sentence."), ("c", "Only validated.")],
}
TGT_SECONDS = {"a": 0.5, "b": 0.75, "d": 0.25, "e": 0.4, "c": 0.3, "z": 0.2}


def mp3(name, lang="fr"):
    return f"common_voice_{lang}_{name}.mp3"


def _write_cv_tsv(path, rows, header=CV_HEADER, lang="fr"):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header)
        for name, (client, sentence) in rows.items():
            fh.write(f"{client}\t{mp3(name, lang)}\t{sentence}\t2\t0\t\t\t\n")


def _tone_mp3(path):
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "sine=frequency=440:duration=0.3", "-ar", "16000", "-ac", "1", str(path)],
        check=True,
    )


# German and Spanish miniature trees: Common Voice-style sentences with the characters their
# normalisation must keep (umlauts, ß, ñ, accents) and drop (¿ ¡ « » „ “)
PAIR_TREES = {
    "de": ({"a": ("spk1", "Weil ich den Hund gesehen habe."), "b": ("spk2", "„Straße“ – Größe, Übung!")},
           [("a", "Because I have seen the dog."), ("b", '"Street" - size, practice!')],
           {"a": "weil ich den hund gesehen habe", "b": "straße größe übung"}),
    "es": ({"a": ("spk1", "¿Dónde está el niño?"), "b": ("spk2", "¡No lo sé, señora!")},
           [("a", "Where is the boy?"), ("b", "I don't know, madam!")],
           {"a": "dónde está el niño", "b": "no lo sé señora"}),
}


def make_pair_tree(root, lang):
    """A CVSS-C ``<lang>-en`` tree (one train split) and its Common Voice folder, under ``root``."""
    cv_rows, cvss_rows, _ = PAIR_TREES[lang]
    cv, cvss_root = root / "cv" / lang, root / "cvss-c" / f"{lang}-en"
    (cv / "clips").mkdir(parents=True)
    (cvss_root / "train").mkdir(parents=True)
    for name in cv_rows:
        _tone_mp3(cv / "clips" / mp3(name, lang))
    _write_cv_tsv(cv / "validated.tsv", cv_rows, lang=lang)
    with open(cvss_root / "train.tsv", "w", encoding="utf-8") as fh:
        for name, text in cvss_rows:
            fh.write(f"{mp3(name, lang)}\t{text}\n")
            sf.write(str(cvss_root / "train" / f"{mp3(name, lang)}.wav"), np.zeros(2400, np.float32), 24000)
    return cv, cvss_root


@pytest.fixture
def tree(tmp_path):
    """Fabricate cv/ (clips/*.mp3 + TSVs) and cvss/ (split TSVs + 24 kHz WAVs)."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg binary not on PATH (scripts/setup_env.sh installs it)")
    cv, cvss_root = tmp_path / "cv", tmp_path / "cvss"
    (cv / "clips").mkdir(parents=True)
    first = cv / "clips" / mp3("a")
    _tone_mp3(first)
    for name in CV_VALIDATED:
        if name != "a":
            shutil.copy(first, cv / "clips" / mp3(name))
    _write_cv_tsv(cv / "train.tsv", CV_TRAIN)
    _write_cv_tsv(cv / "dev.tsv", CV_DEV)
    _write_cv_tsv(cv / "test.tsv", CV_TEST)
    _write_cv_tsv(cv / "validated.tsv", CV_VALIDATED)
    for split, rows in CVSS.items():
        (cvss_root / split).mkdir(parents=True)
        with open(cvss_root / f"{split}.tsv", "w", encoding="utf-8") as fh:
            for name, text in rows:
                fh.write(f"{mp3(name)}\t{text}\n")
                n = int(round(TGT_SECONDS[name] * 24000))
                sf.write(str(cvss_root / split / f"{mp3(name)}.wav"),
                         (0.1 * np.sin(np.arange(n) / 10.0)).astype(np.float32), 24000, subtype="PCM_16")
    return cv, cvss_root


def test_join_rows_and_counts(tree, tmp_path, caplog):
    cv, cvss_root = tree
    out = tmp_path / "raw"
    with caplog.at_level(logging.WARNING):
        summary = cvss.build_cvss_raw(str(cv), str(cvss_root), str(out))
    assert summary["train"] == {"rows": 2, "missing_in_cv": 1, "missing_in_cvss": 1, "duplicates": 0, "empty_text": 0}
    assert summary["dev"]["rows"] == 1 and summary["dev"]["missing_in_cv"] == 0
    assert summary["test"]["rows"] == 2  # "c" found via validated.tsv
    warnings = " ".join(r.getMessage() for r in caplog.records)
    assert "1 of 3 CVSS-C row(s) have no Common Voice metadata" in warnings
    assert "1 row(s) of Common Voice train.tsv have no CVSS-C translation" in warnings

    rows = corpus.load_raw_tsv(str(out / "train.tsv"), resolve_paths=False)
    assert [r["id"] for r in rows] == ["common_voice_fr_a", "common_voice_fr_b"]
    a, b = rows
    assert a["src_audio"] == str(cv / "clips" / mp3("a")) and os.path.isabs(a["src_audio"])
    assert a["tgt_audio"] == str(cvss_root / "train" / f"{mp3('a')}.wav")
    assert (a["src_text"], a["tgt_text"], a["speaker"]) == ("Bonjour, le monde !", "Hello, world!", "spk1")
    assert (b["src_text"], b["tgt_text"]) == ('Il a dit "oui".', 'He said "yes".')
    assert a["src_duration"] == "" and a["phenomena"] == ""
    assert float(a["tgt_duration"]) == pytest.approx(0.5, abs=1e-6)
    assert float(b["tgt_duration"]) == pytest.approx(0.75, abs=1e-6)
    with open(out / "train.tsv", encoding="utf-8") as fh:
        assert fh.readline().rstrip("\n").split("\t") == list(corpus.RAW_COLUMNS)
    test_rows = corpus.load_raw_tsv(str(out / "test.tsv"))
    assert [r["speaker"] for r in test_rows] == ["spk4", "spk5"]
    assert (out / "corpus_stats.json").exists()


def test_normalize_and_no_durations(tree, tmp_path):
    cv, cvss_root = tree
    out = tmp_path / "raw"
    cvss.build_cvss_raw(str(cv), str(cvss_root), str(out), splits=["train"], normalize=True, durations=False)
    rows = corpus.load_raw_tsv(str(out / "train.tsv"))
    assert [(r["src_text"], r["tgt_text"]) for r in rows] == [
        ("bonjour le monde", "hello world"),
        ("il a dit oui", "he said yes"),
    ]
    assert all(r["tgt_duration"] == "" for r in rows)
    assert not (out / "dev.tsv").exists()


def test_missing_column_raises(tree, tmp_path):
    cv, cvss_root = tree
    _write_cv_tsv(cv / "train.tsv", CV_TRAIN, header="client_id\tpath\ttext\tup_votes\tdown_votes\tage\tgender\taccent\n")
    with pytest.raises(ValueError, match=r"train\.tsv.*sentence"):
        cvss.build_cvss_raw(str(cv), str(cvss_root), str(tmp_path / "raw"))


def test_missing_audio_raises(tree, tmp_path):
    cv, cvss_root = tree
    missing_tgt = cvss_root / "train" / f"{mp3('b')}.wav"
    missing_tgt.unlink()
    with pytest.raises(ValueError, match=str(missing_tgt).replace(".", r"\.")):
        cvss.build_cvss_raw(str(cv), str(cvss_root), str(tmp_path / "raw"))
    missing_src = cv / "clips" / mp3("d")
    missing_src.unlink()
    with pytest.raises(ValueError, match=str(missing_src).replace(".", r"\.")):
        cvss.build_cvss_raw(str(cv), str(cvss_root), str(tmp_path / "raw"), splits=["dev"])


def test_malformed_cvss_line_and_missing_tsv(tree, tmp_path):
    cv, cvss_root = tree
    with open(cvss_root / "dev.tsv", "a", encoding="utf-8") as fh:
        fh.write("no-translation-here\n")
    with pytest.raises(ValueError, match=r"dev\.tsv:2"):
        cvss.build_cvss_raw(str(cv), str(cvss_root), str(tmp_path / "raw"), splits=["dev"])
    (cvss_root / "test.tsv").unlink()  # CVSS-C's split TSV is required (Common Voice's may be validated.tsv)
    with pytest.raises(ValueError, match=r"test\.tsv"):
        cvss.build_cvss_raw(str(cv), str(cvss_root), str(tmp_path / "raw"), splits=["test"])


def test_cli(tree, tmp_path, capsys):
    cv, cvss_root = tree
    from conftest import load_script

    cli = load_script("preprocess_scripts/prep_cvss_raw.py")
    out = tmp_path / "raw"
    assert cli.main(["--cv-root", str(cv), "--cvss-root", str(cvss_root), "--out-dir", str(out),
                     "--splits", "train", "dev"]) == 0
    assert (out / "train.tsv").exists() and (out / "dev.tsv").exists() and not (out / "test.tsv").exists()
    assert '"rows": 2' in capsys.readouterr().out


def test_common_voice_with_only_validated_tsv(tree, tmp_path):
    """A Common Voice download with validated.tsv alone: CVSS-C's split TSVs define the splits."""
    cv, cvss_root = tree
    for split in ("train", "dev", "test"):
        (cv / f"{split}.tsv").unlink()
    summary = cvss.build_cvss_raw(str(cv), str(cvss_root), str(tmp_path / "raw"), durations=False)
    assert {s: summary[s]["rows"] for s in ("train", "dev", "test")} == {"train": 2, "dev": 1, "test": 2}
    assert summary["train"]["missing_in_cv"] == 1 and summary["train"]["missing_in_cvss"] == 0
    (cv / "validated.tsv").unlink()
    with pytest.raises(ValueError, match=r"train\.tsv.*validated\.tsv"):
        cvss.build_cvss_raw(str(cv), str(cvss_root), str(tmp_path / "raw2"))


@pytest.mark.parametrize("lang", sorted(PAIR_TREES))
def test_other_pairs_join_normalise_and_record_their_pair(tmp_path, lang):
    """de-en / es-en trees: the pair comes from the folder name, the text keeps its letters, the
    stats and the data preparation record the pair, and a tree given the wrong pair is refused."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg binary not on PATH (scripts/setup_env.sh installs it)")
    from ctc_unity.datasets.prepare import PrepConfig, resolve_lang_pair

    cv, cvss_root = make_pair_tree(tmp_path, lang)
    out = tmp_path / "raw"
    summary = cvss.build_cvss_raw(str(cv), str(cvss_root), str(out), splits=["train"], normalize=True)
    assert summary["train"]["rows"] == 2
    rows = {r["id"]: r for r in corpus.load_raw_tsv(str(out / "train.tsv"), resolve_paths=False)}
    expected = PAIR_TREES[lang][2]
    assert {uid.rsplit("_", 1)[1]: r["src_text"] for uid, r in rows.items()} == expected
    stats = __import__("json").load(open(out / "corpus_stats.json"))
    assert stats["lang_pair"] == f"{lang}-en" and set(stats["vocab_size"]) == {lang, "en"}
    assert resolve_lang_pair(PrepConfig(raw_dir=str(out), out_dir=str(tmp_path / "s2st"))) == (lang, "en")
    # the folder name is not needed: the clip names give the source language
    renamed = tmp_path / "cvss-tree"
    os.rename(cvss_root, renamed)
    assert cvss.infer_lang_pair(str(renamed), list(rows)) == f"{lang}-en"
    with pytest.raises(ValueError, match="cannot infer the language pair"):
        cvss.infer_lang_pair(str(renamed), [])
    other = "es" if lang != "es" else "de"
    with pytest.raises(ValueError, match=f"locale '{lang}'.*{other}-en"):
        cvss.build_cvss_raw(str(cv), str(renamed), str(tmp_path / "raw2"), splits=["train"], lang_pair=f"{other}-en")

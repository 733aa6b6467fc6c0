"""Tests of the embedded corpus builder (espeak-ng synthesis, raw TSV, stats, resume)."""

import json
import os
import random
import shutil
from types import SimpleNamespace

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from ctc_unity.datasets import corpus, tts  # noqa: E402
from ctc_unity.datasets.tsv import read_tsv  # noqa: E402

sf = pytest.importorskip("soundfile")

_espeak_missing = pytest.mark.skipif(
    shutil.which("espeak-ng") is None,
    reason="espeak-ng binary not on PATH (scripts/setup_env.sh installs it)",
)


def needs_espeak(test):
    """Skip without espeak-ng; an ``integration`` test (it synthesises speech)."""
    return pytest.mark.integration(_espeak_missing(test))

SPLIT_SIZES = {"train": 6, "dev": 2, "test": 2}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A 6/2/2 grammar corpus built once with a 2-process pool."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng binary not on PATH (scripts/setup_env.sh installs it)")
    splits = corpus.grammar_splits(SPLIT_SIZES["train"], SPLIT_SIZES["dev"], SPLIT_SIZES["test"], seed=0)
    out = tmp_path_factory.mktemp("corpus")
    stats = corpus.build_corpus(str(out), splits, workers=2, seed=0, progress=False)
    return out, splits, stats


# ---------------------------------------------------------------- synthesised corpus


@pytest.mark.integration
def test_split_sizes_and_tsv_columns(tiny):
    out, splits, stats = tiny
    assert stats["synthesized_files"] == 2 * sum(SPLIT_SIZES.values())
    speaker_names = {p.name for p in tts.source_speakers("fr")}
    for split, n in SPLIT_SIZES.items():
        rows = read_tsv(out / f"{split}.tsv")
        assert tuple(rows[0]) == corpus.RAW_COLUMNS  # the header, in order
        assert len(rows) == n == len(splits[split])
        for i, (row, pair) in enumerate(zip(rows, splits[split])):
            assert row["id"] == f"{split}_{i:06d}"
            assert row["src_audio"] == f"wav/src/{row['id']}.wav"
            assert row["tgt_audio"] == f"wav/tgt/{row['id']}.wav"
            assert row["src_text"] == pair.src.strip() and row["tgt_text"] == pair.tgt.strip()
            assert row["phenomena"] == corpus.PHENOMENA_SEP.join(pair.phenomena)
            assert row["speaker"] in speaker_names
    # load_raw_tsv resolves the relative paths against the TSV directory
    loaded = corpus.load_raw_tsv(str(out / "train.tsv"))
    assert loaded[0]["src_audio"] == str(out / "wav" / "src" / "train_000000.wav")
    assert not any(p.name.startswith(".tmp-") for p in out.rglob("*"))


@pytest.mark.integration
def test_wavs_are_16k_mono_int16_and_durations_match(tiny):
    out, _, _ = tiny
    for split in SPLIT_SIZES:
        rows = read_tsv(out / f"{split}.tsv")
        for row in rows:
            for side in ("src", "tgt"):
                info = sf.info(str(out / row[f"{side}_audio"]))
                assert info.samplerate == 16000
                assert info.channels == 1
                assert info.subtype == "PCM_16"
                assert info.frames > 1600  # > 0.1 s of speech
                assert abs(info.frames / 16000 - float(row[f"{side}_duration"])) < 0.010
            audio, _ = sf.read(str(out / row["src_audio"]), dtype="int16")
            assert abs(audio.astype(int)).max() > 1000  # not silence


@pytest.mark.integration
def test_stats_json_matches_tsv(tiny):
    out, _, stats = tiny
    saved = json.loads((out / "corpus_stats.json").read_text(encoding="utf-8"))
    rows = {s: read_tsv(out / f"{s}.tsv") for s in SPLIT_SIZES}
    every = [r for s in SPLIT_SIZES for r in rows[s]]
    assert saved["pairs"] == SPLIT_SIZES
    assert saved["total_pairs"] == len(every)
    assert saved["vocab_size"]["fr"] == len({w for r in every for w in r["src_text"].split()})
    assert saved["vocab_size"]["en"] == len({w for r in every for w in r["tgt_text"].split()})
    for side in ("src", "tgt"):
        d = [float(r[f"{side}_duration"]) for r in every]
        assert saved["duration_s"][side]["mean"] == pytest.approx(sum(d) / len(d), abs=1e-3)
        assert saved["duration_s"][side]["max"] == pytest.approx(max(d), abs=1e-3)
    assert saved["num_source_speakers"] == len({r["speaker"] for r in every})
    assert saved["num_source_speakers"] >= 2  # 10 utterances, 8 profiles
    phen = {}
    for r in every:
        for name in filter(None, r["phenomena"].split(corpus.PHENOMENA_SEP)):
            phen[name] = phen.get(name, 0) + 1
    assert saved["phenomena_counts"] == phen
    assert saved["sample_rate"] == 16000
    assert {k: v for k, v in stats.items() if k != "synthesized_files"} == saved


@pytest.mark.integration
def test_speaker_assignment_is_deterministic(tiny):
    out, _, _ = tiny
    rows = read_tsv(out / "train.tsv")
    for row in rows:
        assert row["speaker"] == corpus.speaker_for_utterance(0, row["id"], "fr").name
    a = [corpus.speaker_for_utterance(0, f"train_{i:06d}", "fr") for i in range(40)]
    b = [corpus.speaker_for_utterance(0, f"train_{i:06d}", "fr") for i in range(40)]
    c = [corpus.speaker_for_utterance(1, f"train_{i:06d}", "fr") for i in range(40)]
    assert a == b and a != c
    assert len({s.name for s in a}) >= 4
    for s in a:  # jitter stays within +-10 % rate and +-8 pitch of the base profile
        base = next(p for p in tts.source_speakers("fr") if p.name == s.name)
        assert abs(s.rate - base.rate) <= 0.1 * base.rate + 1
        assert abs(s.pitch - base.pitch) <= 8


@pytest.mark.integration
def test_resume_only_resynthesises_missing_and_stale(tiny, tmp_path):
    src, splits, _ = tiny
    out = tmp_path / "copy"
    shutil.copytree(src, out)  # copy2 keeps mtimes
    wavs = sorted(p for p in out.rglob("*.wav"))
    before = {p: p.stat().st_mtime_ns for p in wavs}
    tsv_before = (out / "train.tsv").read_text(encoding="utf-8")
    victim = out / "wav" / "src" / "train_000003.wav"
    victim.unlink()

    stats = corpus.build_corpus(str(out), splits, workers=1, seed=0, progress=False)
    assert stats["synthesized_files"] == 1
    assert victim.exists() and victim.stat().st_size > 44
    for p, mtime in before.items():
        if p != victim:
            assert p.stat().st_mtime_ns == mtime, f"{p} was re-synthesised"
    assert (out / "train.tsv").read_text(encoding="utf-8") == tsv_before  # espeak is deterministic

    # a changed sentence for an existing id makes its (now stale) WAV be re-synthesised
    changed = dict(splits)
    first = splits["dev"][0]
    changed["dev"] = [SimpleNamespace(src="le chat dort", tgt=first.tgt, phenomena=first.phenomena)]
    changed["dev"] += list(splits["dev"][1:])
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")}
    stats = corpus.build_corpus(str(out), changed, workers=1, seed=0, progress=False)
    assert stats["synthesized_files"] == 1
    modified = [p for p, m in before.items() if p.stat().st_mtime_ns != m]
    assert modified == [out / "wav" / "src" / "dev_000000.wav"]
    assert corpus.load_raw_tsv(str(out / "dev.tsv"))[0]["src_text"] == "le chat dort"


# ---------------------------------------------------------------- TSV text source


def test_read_parallel_tsv_columns_and_normalize(tmp_path):
    path = tmp_path / "tatoeba.tsv"
    path.write_text(
        "Hello!\tBonjour !\tCC-BY 2.0 (France) Attribution: tatoeba.org #1\n"
        "\n"
        "It's summer, isn't it?\tC’est l'été, n'est-ce pas ?\tx\n"
        "Hello!\tBonjour !\tduplicate\n",
        encoding="utf-8",
    )
    raw = corpus.read_parallel_tsv(str(path), src_col=1, tgt_col=0)
    assert [(p.src, p.tgt) for p in raw] == [
        ("Bonjour !", "Hello!"),
        ("C’est l'été, n'est-ce pas ?", "It's summer, isn't it?"),
        ("Bonjour !", "Hello!"),
    ]
    assert all(tuple(p.phenomena) == () for p in raw)
    norm = corpus.read_parallel_tsv(str(path), src_col=1, tgt_col=0, normalize=True)
    assert (norm[1].src, norm[1].tgt) == ("c'est l'été n'est-ce pas", "it's summer isn't it")


def test_read_parallel_tsv_bad_row_names_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("bonjour\thello\n\nun seul champ\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv:3"):
        corpus.read_parallel_tsv(str(path))
    with pytest.raises(ValueError):
        corpus.read_parallel_tsv(str(path), src_col=0, tgt_col=0)


def test_split_tsv_pairs_dedupes_and_is_disjoint(tmp_path):
    path = tmp_path / "p.tsv"
    lines = [f"phrase numéro {i}\tsentence number {i}" for i in range(30)]
    lines += lines[:5]  # duplicates
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pairs = corpus.read_parallel_tsv(str(path))
    splits = corpus.split_tsv_pairs(pairs, dev_size=4, test_size=3, seed=0)
    assert len(splits["dev"]) == 4 and len(splits["test"]) == 3
    assert len(splits["train"]) == 30 - 7
    fr = [p.fr for s in ("train", "dev", "test") for p in splits[s]]
    assert len(fr) == len(set(fr)) == 30


def test_normalize_text():
    assert corpus.normalize_text("« Aujourd’hui, c'est l'ÉTÉ ! »") == "aujourd'hui c'est l'été"
    assert corpus.normalize_text("Il a 3 chats - non, 4.") == "il a 3 chats non 4"
    assert corpus.normalize_text("Peut-être... ?") == "peut-être"
    assert corpus.normalize_text("?!") == ""


@needs_espeak
def test_build_from_tsv_pairs_and_cli(tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("le chien court\tthe dog runs\nla fille lit\tthe girl reads\n", encoding="utf-8")
    pairs = corpus.read_parallel_tsv(str(path))
    corpus.build_corpus(str(tmp_path / "c"), {"train": pairs}, workers=1, progress=False)
    rows = corpus.load_raw_tsv(str(tmp_path / "c" / "train.tsv"))
    assert [r["phenomena"] for r in rows] == ["", ""]
    assert [r["tgt_text"] for r in rows] == ["the dog runs", "the girl reads"]

    from conftest import load_script

    cli = load_script("preprocess_scripts/build_corpus.py")
    out = tmp_path / "cli"
    assert cli.main(["--out-dir", str(out), "--n-train", "2", "--n-dev", "1", "--n-test", "1",
                     "--workers", "1", "--no-progress"]) == 0
    saved = json.loads((out / "corpus_stats.json").read_text(encoding="utf-8"))
    assert saved["pairs"] == {"train": 2, "dev": 1, "test": 1}


# ---------------------------------------------------------------- tts errors


@needs_espeak
def test_synthesize_errors_name_text_and_voice(tmp_path, monkeypatch):
    bad = tts.SpeakerProfile("bad", "xx-nosuchvoice")
    with pytest.raises(RuntimeError, match=r"bonjour.*xx-nosuchvoice"):
        tts.synthesize("bonjour", bad, str(tmp_path / "a.wav"))
    assert not (tmp_path / "a.wav").exists()
    with pytest.raises(RuntimeError, match="empty"):
        tts.synthesize("   ", tts.TARGET_SPEAKER, str(tmp_path / "b.wav"))
    monkeypatch.setattr(tts.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"espeak-ng not found.*hello.*en-us\+klatt2"):
        tts.synthesize("hello", tts.TARGET_SPEAKER, str(tmp_path / "c.wav"))


def test_speaker_profiles():
    speakers = tts.source_speakers("fr")
    assert len(speakers) >= 6
    assert len({p.voice for p in speakers}) == len(speakers)
    assert all(p.voice.startswith("fr+") and p.name == p.voice for p in speakers)
    assert tts.TARGET_SPEAKER.voice == "en-us+klatt2"
    rng1, rng2 = random.Random(5), random.Random(5)
    assert tts.draw_source_speaker(rng1, speakers) == tts.draw_source_speaker(rng2, speakers)
    for bad in ("", "fr+m3"):
        with pytest.raises(ValueError, match="bare espeak-ng voice"):
            tts.source_speakers(bad)
    with pytest.raises(ValueError):
        tts.SpeakerProfile("x", "fr", pitch=120)

"""Data preparation: fairseq loading, units, SentencePiece, bad input, resuming, CVSS-C front end."""
import json
import logging
import os
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
import torch

from ctc_unity.datasets import corpus
from ctc_unity.datasets.audio_io import AudioError, load_audio
from ctc_unity.datasets.prepare import PrepConfig, compute_fbank, prepare
from ctc_unity.datasets.text import SentencePieceText, UnknownTokenError
from ctc_unity.datasets.tsv import read_tsv
from ctc_unity.datasets.units import expand_units, load_extractor

from conftest import TINY_UNITS


def test_task_loads_every_split_and_targets_match_text(tiny_data):
    from fairseq import options, tasks

    parser = options.get_training_parser()
    args = options.parse_args_and_arch(parser, input_args=[
        tiny_data, "--task", "speech_to_speech_ctc", "--config-yaml", "config_gcmvn.yaml",
        "--multitask-config-yaml", "config_mtl_asr_st_ctcst.yaml", "--target-is-code",
        "--target-code-size", str(TINY_UNITS), "--arch", "echostream_tiny",
        "--criterion", "speech_to_unit_2pass_ctc_asr_st", "--cpu"])
    task = tasks.setup_task(args)
    raw_dir = os.path.join(os.path.dirname(tiny_data), "raw")
    for split in ("train", "dev", "test"):
        task.load_dataset(split)
        ds = task.dataset(split)
        raw = corpus.load_raw_tsv(os.path.join(raw_dir, f"{split}.tsv"))
        assert len(ds) == len(raw)
        item, mtl = ds[0]
        assert item.source.shape[1] == 80
        feats = compute_fbank(load_audio(raw[0]["src_audio"])[0])
        stats = np.load(os.path.join(tiny_data, "gcmvn.npz"))
        assert np.allclose(item.source.numpy(), (feats - stats["mean"]) / stats["std"], atol=1e-4)  # CMVN applied
        assert item.target[-1].item() == task.target_dictionary.eos()
        assert (item.target[:-1] >= 4).all() and (item.target[:-1] < 4 + TINY_UNITS).all()
        # multitask targets decode back to the raw text
        for name, column in (("source_unigram", "src_text"), ("target_unigram", "tgt_text")):
            d = task.multitask_tasks[name].target_dictionary
            sp = SentencePieceText(os.path.splitext(task.multitask_tasks[name].args.config["dict"])[0] + ".model")
            ids = [i for i in mtl[name].tolist() if i != d.eos()]
            assert sp.decode([d[i] for i in ids]) == raw[0][column]
        batch = ds.collater([ds[i] for i in range(len(ds))])
        assert set(batch["multitask"]) == {"source_unigram", "ctc_target_unigram", "target_unigram"}


def test_units_round_trip_and_manifest(tiny_data):
    extractor = load_extractor(os.path.join(tiny_data, "units"))
    assert extractor.n_units == TINY_UNITS
    manifest = {r["id"]: r for r in read_tsv(os.path.join(tiny_data, "dev.tsv"))}
    wavs = open(os.path.join(tiny_data, "simuleval", "dev", "tgt_wav_list.txt")).read().split()
    for row, wav in zip(read_tsv(os.path.join(tiny_data, "units", "dev.tsv")), wavs):
        reduced = list(map(int, row["units"].split()))
        durations = list(map(int, row["durations"].split()))
        frames = extractor.extract(load_audio(wav)[0]).tolist()
        assert expand_units(reduced, durations) == frames  # durations restore the 50 Hz sequence
        assert all(a != b for a, b in zip(reduced, reduced[1:]))  # reduced: no repeats
        assert manifest[row["id"]]["tgt_audio"] == row["units"]
        assert int(manifest[row["id"]]["tgt_n_frames"]) == len(reduced)


def test_simuleval_inputs_and_stats(tiny_data):
    for split in ("train", "dev", "test"):
        folder = os.path.join(tiny_data, "simuleval", split)
        wavs = open(os.path.join(folder, "wav_list.txt")).read().split("\n")[:-1]
        src = open(os.path.join(folder, "source.txt")).read().split("\n")[:-1]
        tgt = open(os.path.join(folder, "target.txt")).read().split("\n")[:-1]
        assert len(wavs) == len(src) == len(tgt) > 0
        assert all(os.path.isabs(w) and sf.info(w).samplerate == 16000 for w in wavs)
    import json

    stats = json.load(open(os.path.join(tiny_data, "data_stats.json")))
    assert stats["n_units"] == TINY_UNITS and stats["splits"]["train"]["utterances"] == 8


def test_unknown_character_error_names_file_and_line(tiny_data):
    sp = SentencePieceText(os.path.join(tiny_data, "tgt_unigram60", "spm_unigram60.model"))
    with pytest.raises(UnknownTokenError, match=r"dev.tsv:7.*\['#'\]"):
        sp.encode("the # cat", "dev.tsv:7")


def test_unknown_characters_in_dev_test_become_unk_counted_train_stays_strict(tiny_data, caplog):
    """Characters the training text lacks ("j'ai 19 ans"): <unk> in dev/test with a per-split count and
    examples; always an error in train; an error everywhere with strict splits (--strict-chars)."""
    import logging

    from ctc_unity.datasets.text import pieces_per_split

    sp = SentencePieceText(os.path.join(tiny_data, "tgt_unigram60", "spm_unigram60.model"))
    pieces = sp.encode("the # cat", strict=False)
    assert "<unk>" in pieces and pieces == [p for p in pieces if p]
    texts = {"train": ["the cat"], "dev": ["the cat", "the # cat 19"], "test": ["the cat"]}
    sources = {s: f"{s}.tsv" for s in texts}
    report = {}
    with caplog.at_level(logging.WARNING):
        out = pieces_per_split(sp, texts, sources, strict_splits=("train",), report=report)
    assert "<unk>" in out["dev"][1].split() and "<unk>" not in out["dev"][0].split()
    assert out["dev"][0] == " ".join(sp.encode("the cat"))
    assert report["dev"]["sentences"] == 1 and report["dev"]["characters"]["#"] == 1
    assert report["dev"]["examples"] == [["dev.tsv:3", "the # cat 19"]] and "test" not in report
    assert "dev: 1 of 2 sentence(s)" in caplog.text and "<unk>" in caplog.text
    with pytest.raises(UnknownTokenError, match=r"dev.tsv:3"):
        pieces_per_split(sp, texts, sources)  # strict everywhere (--strict-chars)
    with pytest.raises(UnknownTokenError, match=r"train.tsv:2"):
        pieces_per_split(sp, {"train": ["the # cat"]}, sources, strict_splits=("train",))


# --------------------------------------------------------------------------- bad input
def _write_raw(tmp_path, rows, columns=corpus.RAW_COLUMNS):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    for split in ("train", "dev", "test"):
        corpus.write_raw_tsv(str(raw / f"{split}.tsv"), rows, columns)
    return raw


def _row(uid, src, tgt, fr="le chat", en="the cat"):
    return {"id": uid, "src_audio": str(src), "tgt_audio": str(tgt), "src_text": fr, "tgt_text": en,
            "speaker": "s", "src_duration": "", "tgt_duration": "", "phenomena": ""}


def _tone(path, rate=16000, seconds=0.6, channels=1, freq=300.0):
    t = np.arange(int(rate * seconds)) / rate
    x = 0.3 * np.sin(2 * np.pi * freq * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    data = np.stack([x, 0.5 * x], axis=1) if channels == 2 else x
    sf.write(str(path), data.astype(np.float32), rate, subtype="PCM_16")
    return path


def test_empty_audio_error_names_file(tmp_path):
    empty = tmp_path / "empty.wav"
    sf.write(str(empty), np.zeros((0,), dtype=np.float32), 16000)
    silent = _tone(tmp_path / "silent.wav", seconds=0.0001)
    sf.write(str(silent), np.zeros(800, dtype=np.float32), 16000)
    good = _tone(tmp_path / "good.wav")
    for bad in (empty, silent):
        raw = _write_raw(tmp_path, [_row("u1", bad, good)])
        with pytest.raises(AudioError, match=str(bad)):
            prepare(PrepConfig(raw_dir=str(raw), out_dir=str(tmp_path / "out"), workers=1, n_units=2))
    with pytest.raises(AudioError, match="not found"):
        load_audio(str(tmp_path / "missing.wav"))
    (tmp_path / "garbage.wav").write_bytes(b"not audio at all")
    with pytest.raises(AudioError, match="garbage.wav"):
        load_audio(str(tmp_path / "garbage.wav"))


def test_missing_column_and_empty_value(tmp_path):
    good = _tone(tmp_path / "good.wav")
    raw = _write_raw(tmp_path, [_row("u1", good, good)], columns=("id", "src_audio", "tgt_audio", "src_text"))
    with pytest.raises(ValueError, match=r"train.tsv.*missing column"):
        prepare(PrepConfig(raw_dir=str(raw), out_dir=str(tmp_path / "out"), workers=1))
    raw = _write_raw(tmp_path, [_row("u1", good, good, en=" ")])
    with pytest.raises(ValueError, match=r"train.tsv:2: empty value in column 'tgt_text'"):
        prepare(PrepConfig(raw_dir=str(raw), out_dir=str(tmp_path / "out"), workers=1))


def test_stereo_and_rate_mismatch_are_converted_and_logged(tmp_path, caplog):
    mono = load_audio(str(_tone(tmp_path / "m.wav", rate=16000)))[0]
    stereo, info = load_audio(str(_tone(tmp_path / "s.wav", rate=44100, channels=2)))
    assert info.downmixed and info.resampled and info.orig_sample_rate == 44100
    assert stereo.dim() == 1 and abs(stereo.numel() - mono.numel()) <= 1
    # downmix = mean of channels (0.75 x), resampled close to the 16 kHz rendering
    n = min(mono.numel(), stereo.numel())
    assert torch.allclose(stereo[100:n - 100], 0.75 * mono[100:n - 100], atol=0.02)
    with caplog.at_level(logging.INFO):
        load_audio(str(tmp_path / "s.wav"))
    assert "downmixed" in caplog.text and "resampled" in caplog.text


# --------------------------------------------------------------------------- CVSS-C tree + resume
@pytest.fixture(scope="module")
def cvss_tree(tmp_path_factory):
    """Miniature Common Voice (48 kHz stereo mp3) + CVSS-C (24 kHz wav) tree with espeak-ng speech;
    the folders carry no pair name, so the pair (fr-en) comes from the Common Voice clip names."""
    if shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        pytest.skip("espeak-ng / ffmpeg not installed (scripts/setup_env.sh installs them)")
    base = tmp_path_factory.mktemp("cvss")
    cv, cvss = base / "cv", base / "cvss"
    (cv / "clips").mkdir(parents=True)
    pairs = {"train": [("a", "le chat noir", "the black cat"), ("b", "le chien noir", "the black dog"),
                       ("c", "un chat blanc", "a white cat"), ("d", "un chien blanc", "a white dog")],
             "dev": [("e", "le chat blanc", "the white cat")], "test": [("f", "un chien noir", "a black dog")]}
    for split, rows in pairs.items():
        (cvss / split).mkdir(parents=True)
        with open(cv / f"{split}.tsv", "w") as fh:
            fh.write("client_id\tpath\tsentence\n")
            for name, fr, _ in rows:
                fh.write(f"spk_{name}\tcommon_voice_fr_{ord(name)}.mp3\t{fr}\n")
        with open(cvss / f"{split}.tsv", "w") as fh:
            for name, fr, en in rows:
                fh.write(f"common_voice_fr_{ord(name)}.mp3\t{en}\n")
                wav = base / f"{name}.wav"
                subprocess.run(["espeak-ng", "-v", "fr", "-w", str(wav), fr], check=True)
                subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ar", "48000", "-ac", "2",
                                str(cv / "clips" / f"common_voice_fr_{ord(name)}.mp3")], check=True)
                subprocess.run(["espeak-ng", "-v", "en-us+klatt2", "-w", str(wav), en], check=True)
                subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-ar", "24000",
                                str(cvss / split / f"common_voice_fr_{ord(name)}.mp3.wav")], check=True)
    return cv, cvss


@pytest.mark.integration
def test_cvss_front_end_through_prepare_and_resume(cvss_tree, tmp_path):
    from ctc_unity.datasets.cvss import build_cvss_raw

    cv, cvss = cvss_tree
    raw, out = tmp_path / "raw", tmp_path / "s2st"
    build_cvss_raw(str(cv), str(cvss), str(raw))
    assert json.load(open(raw / "corpus_stats.json"))["lang_pair"] == "fr-en"  # from the clip names
    cfg = PrepConfig(raw_dir=str(raw), out_dir=str(out), src_vocab_size=40, tgt_vocab_size=40, n_units=6, workers=1)
    prepare(cfg)
    manifest = read_tsv(out / "train.tsv")
    assert [r["id"] for r in manifest] == [r["id"] for r in corpus.load_raw_tsv(str(raw / "train.tsv"))]
    # mp3 48 kHz stereo sources and 24 kHz targets were converted to 16 kHz mono copies
    copies = sorted(os.listdir(out / "wav16k" / "src"))
    assert len(copies) == 6 and len(os.listdir(out / "wav16k" / "tgt")) == 6
    info = sf.info(str(out / "wav16k" / "src" / copies[0]))
    assert (info.samplerate, info.channels) == (16000, 1)
    assert open(out / "simuleval" / "test" / "source.txt").read().strip() == "un chien noir"
    # resume: nothing is rewritten; a deleted feature file is recomputed identically
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.suffix in (".npy", ".model")}
    victim = out / "fbank80" / f"{manifest[0]['id']}.npy"
    before = np.load(victim)
    victim.unlink()
    prepare(cfg)
    assert np.array_equal(np.load(victim), before)
    for p, t in mtimes.items():
        if p != victim:
            assert p.stat().st_mtime_ns == t, p


def test_atomic_open_replaces_only_on_success_with_normal_permissions(tmp_path):
    from ctc_unity.datasets.atomic import atomic_open

    target = tmp_path / "manifest.tsv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_open(str(target)) as fh:
            fh.write("half written")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.tsv"]  # no temporary file left behind
    with atomic_open(str(target)) as fh:
        fh.write("new\n")
    assert target.read_text() == "new\n"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_json_atomic_serialises_first_and_csv_figure_helpers_write_in_place(tmp_path):
    from ctc_unity.datasets.atomic import save_figure_atomic, write_csv_atomic, write_json_atomic

    target = tmp_path / "sub" / "stats.json"
    write_json_atomic(str(target), {"b": 1, "a": "é"}, sort_keys=True)
    assert target.read_text(encoding="utf-8") == '{\n  "a": "é",\n  "b": 1\n}\n'
    with pytest.raises(TypeError):
        write_json_atomic(str(target), {"bad": object()})
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": "é", "b": 1}  # old file kept
    assert [p.name for p in target.parent.iterdir()] == ["stats.json"]

    write_csv_atomic(str(tmp_path / "s.tsv"), [{"x": 1, "y": "a"}, {"x": 2, "z": 3}], delimiter="\t")
    assert read_tsv(tmp_path / "s.tsv") == [{"x": "1", "y": "a", "z": ""}, {"x": "2", "y": "", "z": "3"}]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure_atomic(fig, str(tmp_path / "p.png"))
    plt.close(fig)
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_read_tsv_checks_columns_skips_blank_lines_and_a_bom(tmp_path):
    from ctc_unity.datasets.tsv import iter_tsv_lines

    path = tmp_path / "m.tsv"
    path.write_text('\ufeffid\ttext\nu1\tsay "hi"\n\nu2\t\n', encoding="utf-8")
    assert read_tsv(path, ("id", "text")) == [{"id": "u1", "text": 'say "hi"'}, {"id": "u2", "text": ""}]
    with pytest.raises(ValueError, match=r"m\.tsv: missing column\(s\) \['units'\]"):
        read_tsv(path, ("id", "units"))
    assert list(iter_tsv_lines(path)) == [(1, ["id", "text"]), (2, ["u1", 'say "hi"']), (4, ["u2", ""])]


def test_kaldi_fbank_frames_are_independent_windows_of_the_waveform():
    from ctc_unity.datasets.audio_io import N_MELS, SHIFT, WINDOW, kaldi_fbank

    wav = 0.1 * torch.randn(16000, generator=torch.Generator().manual_seed(0))
    feats = kaldi_fbank(wav)
    assert feats.shape == (1 + (16000 - WINDOW) // SHIFT, N_MELS) == (98, 80) and feats.dtype == torch.float32
    assert np.array_equal(compute_fbank(wav), feats.numpy())
    # snip_edges, no dither: frame i depends only on samples [SHIFT*i, SHIFT*i + WINDOW)
    assert torch.allclose(kaldi_fbank(wav[SHIFT * 10: SHIFT * 10 + WINDOW + SHIFT * 4]), feats[10:15], rtol=0, atol=1e-4)
    # 16-bit scaling: a 2x louder signal adds log(4) to every (non-floored) bin energy
    assert torch.allclose(kaldi_fbank(2 * wav) - feats, torch.full_like(feats, np.log(4.0)), atol=1e-3)
    with pytest.raises(ValueError, match="shorter than one 25 ms"):
        kaldi_fbank(wav[: WINDOW - 1])
    with pytest.raises(ValueError, match="1-D"):
        kaldi_fbank(wav[None])

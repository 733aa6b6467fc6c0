"""ASR-BLEU: normalization, hand-computed BLEU, bad audio, the three ASR back ends, SimulEval scorer."""
import json
import math
import os
import re
import shutil
import subprocess
import sys
from types import SimpleNamespace

import editdistance
import numpy as np
import pytest
import sacrebleu
import soundfile as sf
import torch

from ctc_unity.asr_bleu.normalize import normalize_text
from ctc_unity.asr_bleu.scorer import asr_bleu, evaluate
from ctc_unity.asr_bleu.transcriber import Transcriber, build_transcriber
from ctc_unity.datasets.audio_io import AudioError, load_audio, write_wav_atomic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable


class QueueTranscriber(Transcriber):
    """Returns fixed strings in call order."""

    name = "stub-queue"

    def __init__(self, outputs):
        self.outputs = list(outputs)

    def transcribe(self, waveform):
        assert waveform.dim() == 1 and waveform.dtype == torch.float32
        return self.outputs.pop(0)


class LengthTranscriber(Transcriber):
    """Returns the string registered for the waveform's number of samples."""

    name = "stub-length"

    def __init__(self, table):
        self.table = table

    def transcribe(self, waveform):
        return self.table[waveform.numel()]


def _tone(n, seed=0):
    return (0.1 * torch.randn(n, generator=torch.Generator().manual_seed(seed))).float()


def _espeak(text: str, path: str) -> str:
    """espeak-ng en-us+klatt2 utterance resampled to a 16 kHz wav."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    raw = path + ".22k.wav"
    subprocess.run(["espeak-ng", "-v", "en-us+klatt2", "-w", raw, text], check=True)
    wav, info = load_audio(raw)
    assert info.resampled
    write_wav_atomic(path, wav)
    os.remove(raw)
    return path


# ---------------------------------------------------------------- normalization
@pytest.mark.parametrize("raw, expected", [
    ("Hello, World!", "hello world"),
    ("  It's   GREAT.  ", "it's great"),
    ("'quoted' words", "quoted words"),
    ("the students' books", "the students books"),
    ("don\u2019t stop", "don't stop"),
    ("state-of-the-art / mixed\u2014dash", "state of the art mixed dash"),
    ("\u201cWhat?\u201d she said\u2026", "what she said"),
    ("d\u00e9j\u00e0 vu, na\u00efve", "d\u00e9j\u00e0 vu na\u00efve"),
    ("", ""),
    ("?!.", ""),
])
def test_normalization(raw, expected):
    assert normalize_text(raw) == expected


def test_normalization_is_idempotent_and_typed():
    s = "A queen, 'Paul's' friend -- won't STAY!"
    assert normalize_text(normalize_text(s)) == normalize_text(s) == "a queen paul's friend won't stay"
    with pytest.raises(TypeError):
        normalize_text(None)


# ---------------------------------------------------------------- hand-computed BLEU
def test_bleu_matches_hand_computation():
    refs = ["the cat sat on the mat", "A dog ran in the park today."]
    stub = QueueTranscriber(["The cat sat on a mat!", "a dog, ran in the park"])
    res = asr_bleu([_tone(1600, 1), _tone(1600, 2)], refs, stub)
    # hyp 1 "the cat sat on a mat" vs "the cat sat on the mat": 1-grams 5/6 (clipped "the"),
    # 2-grams 3/5 (the cat, cat sat, sat on), 3-grams 2/4, 4-grams 1/3.
    # hyp 2 "a dog ran in the park" vs "a dog ran in the park today": 6/6, 5/5, 4/4, 3/3.
    matches, totals = [5 + 6, 3 + 5, 2 + 4, 1 + 3], [6 + 6, 5 + 5, 4 + 4, 3 + 3]
    hyp_len, ref_len = 12, 13
    bp = math.exp(1 - ref_len / hyp_len)
    expected = 100 * bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / 4)
    assert res["bleu"] == pytest.approx(expected, abs=1e-6)
    assert res["precisions"] == pytest.approx([100 * m / t for m, t in zip(matches, totals)])
    assert res["bp"] == pytest.approx(bp)
    assert (res["sys_len"], res["ref_len"]) == (hyp_len, ref_len)
    assert res["hyps"] == ["the cat sat on a mat", "a dog ran in the park"]
    # WER: 1 substitution + 1 deletion over 13 reference words
    assert res["wer"] == pytest.approx(100 * 2 / 13)
    assert res["n"] == 2 and res["n_empty"] == 0


def test_evaluate_reports_ceiling():
    refs = ["the cat sat on the mat", "a dog ran"]
    table = {1600: "the cat sat on a mat", 1700: "a dog ran", 1800: "the cat sat on the mat", 1900: "a dog ran"}
    out = evaluate([_tone(1600), _tone(1700)], refs, LengthTranscriber(table),
                   reference_wavs=[_tone(1800), _tone(1900)])
    assert out["ceiling"]["bleu"] == pytest.approx(100.0)
    assert out["asr_bleu"]["bleu"] < out["ceiling"]["bleu"]
    with pytest.raises(ValueError, match="3 audio items for 2 references"):
        asr_bleu([_tone(10)] * 3, refs, LengthTranscriber(table))


# ---------------------------------------------------------------- bad audio
def test_bad_audio_errors_name_the_item(tmp_path, caplog):
    stub = QueueTranscriber(["x"] * 10)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros(0, dtype=np.float32), 16000)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(16000, dtype=np.float32), 16000)
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF1234WAVEnot really audio" * 10)
    missing = tmp_path / "missing.wav"
    good = tmp_path / "good.wav"
    sf.write(good, 0.1 * np.random.RandomState(0).randn(8000).astype(np.float32), 16000)

    for bad, pattern in ((empty, "empty audio"), (silent, "all samples are zero"), (missing, "not found"),
                         (garbage, "")):
        with pytest.raises(AudioError) as err:
            asr_bleu([str(good), str(bad)], ["a", "b"], stub)
        assert "item 1" in str(err.value) and str(bad) in str(err.value) and pattern in str(err.value)

    with pytest.raises(ValueError, match=r"item 1 \(in-memory audio\): audio declared at 22050 Hz"):
        asr_bleu([(_tone(1600), 16000), (_tone(1600), 22050)], ["a", "b"], stub)
    with pytest.raises(AudioError, match=r"item 0 .*all samples are zero"):
        asr_bleu([torch.zeros(1600)], ["a"], stub)
    with pytest.raises(AudioError, match=r"item 0 .*shape"):
        asr_bleu([torch.ones(2, 1600)], ["a"], stub)

    # system outputs: missing / empty / silent -> empty hypothesis; unreadable still fails
    res = asr_bleu([str(good), str(missing), str(silent), str(empty), torch.zeros(10)], ["x"] * 5,
                   QueueTranscriber(["x"]), empty_ok=True)
    assert res["hyps"] == ["x", "", "", "", ""] and res["empty"] == [1, 2, 3, 4]
    with pytest.raises(AudioError, match=str(garbage)):
        asr_bleu([str(garbage)], ["a"], stub, empty_ok=True)

    # a file at another rate is resampled, with a log line
    other = tmp_path / "8k.wav"
    sf.write(other, 0.1 * np.random.RandomState(1).randn(8000).astype(np.float32), 8000)
    with caplog.at_level("INFO"):
        res = asr_bleu([str(other)], ["one two three four"], LengthTranscriber({16000: "One two three four."}))
    assert res["bleu"] == pytest.approx(100.0) and res["wer"] == 0.0
    assert any("resampled to 16000" in r.getMessage() for r in caplog.records)


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown ASR back end"):
        build_transcriber("whisper")
    with pytest.raises(FileNotFoundError):
        build_transcriber("ctc:/nonexistent/ckpt.pt")


# ---------------------------------------------------------------- pocketsphinx
@pytest.mark.integration
def test_pocketsphinx_transcribes_espeak(tmp_path):
    path = _espeak("hello world", str(tmp_path / "hw.wav"))
    asr = build_transcriber("pocketsphinx")
    wav, _ = load_audio(path)
    text = asr.transcribe(wav)
    assert isinstance(text, str) and text.strip()
    assert asr.transcribe(wav.numpy()) == text  # arrays accepted, decoder reusable


# ---------------------------------------------------------------- CTC ASR
SENTENCES = ["hello world", "good morning", "the cat sat", "a dog ran", "paul sings", "we will go"]


@pytest.mark.integration
def test_ctc_asr_trains_saves_resumes_and_transcribes(tmp_path):
    from ctc_unity.asr_bleu import train_ctc_asr
    from ctc_unity.asr_bleu.ctc_asr import CTCASRTranscriber

    wavs = [_espeak(s, str(tmp_path / f"u{i}.wav")) for i, s in enumerate(SENTENCES)]
    (tmp_path / "wav_list.txt").write_text("\n".join(wavs) + "\n")
    (tmp_path / "text.txt").write_text("\n".join(s.capitalize() + "." for s in SENTENCES) + "\n")
    run = tmp_path / "run"
    common = ["--train-wav-list", str(tmp_path / "wav_list.txt"), "--train-text", str(tmp_path / "text.txt"),
              "--dev-wav-list", str(tmp_path / "wav_list.txt"), "--dev-text", str(tmp_path / "text.txt"),
              "--run-dir", str(run), "--device", "cpu", "--d-model", "48", "--num-layers", "1", "--num-heads", "2",
              "--ffn-dim", "96", "--conv-kernel", "7", "--dropout", "0.0", "--lr", "3e-3", "--warmup", "5",
              "--no-specaugment", "--eval-every", "20", "--log-every", "5", "--max-minutes", "30"]
    summary = train_ctc_asr.main(common + ["--max-steps", "40"])
    assert summary["step"] == 40
    log = (run / "train.log").read_text()
    losses = [float(x) for x in re.findall(r"loss/utt ([0-9.]+)", log)]
    assert len(losses) == 8 and losses[-1] < 0.7 * losses[0], losses
    assert "dev WER" in log
    for name in ("checkpoint_best.pt", "checkpoint_last.pt", "vocab.txt", "config.json", "summary.json"):
        assert (run / name).is_file(), name
    assert list((run / "tb").iterdir())
    vocab = (run / "vocab.txt").read_text().split("\n")
    assert vocab[0] == "<blank>" and "'" in vocab and "z" in vocab

    summary = train_ctc_asr.main(common + ["--max-steps", "45"])  # resumes from step 40
    assert summary["step"] == 45 and summary["steps_this_run"] == 5
    assert "resumed from" in (run / "train.log").read_text()
    with pytest.raises(ValueError, match="dynamic-range-db"):  # the front end must not change on resume
        train_ctc_asr.main(common + ["--max-steps", "46", "--dynamic-range-db", "0"])

    # fine-tuning a new run from this checkpoint with the robustness augmentations
    from ctc_unity.asr_bleu.ctc_asr import load_checkpoint

    ft = tmp_path / "ft"
    ft_args = [a if a != str(run) else str(ft) for a in common]
    train_ctc_asr.main(ft_args + ["--max-steps", "2", "--init-from", str(run / "checkpoint_last.pt"),
                                  "--tempo-perturb", "0.15", "--noise-std", "0.3", "--smooth-prob", "0.5",
                                  "--gain-db", "6", "--dynamic-range-db", "50"])
    ft_log = (ft / "train.log").read_text()
    assert "initialized from" in ft_log
    _, base_ckpt = load_checkpoint(str(run / "checkpoint_last.pt"))
    _, ft_ckpt = load_checkpoint(str(ft / "checkpoint_last.pt"))
    assert ft_ckpt["vocab"] == base_ckpt["vocab"] and torch.equal(ft_ckpt["cmvn_mean"], base_ckpt["cmvn_mean"])
    # two small steps from the base weights stay close to them (a random init would not)
    diffs = [(ft_ckpt["model"][k] - v).abs().max().item() for k, v in base_ckpt["model"].items()
             if v.is_floating_point()]  # (not BatchNorm's step counter)
    assert max(diffs) < 0.1, max(diffs)

    assert base_ckpt["dynamic_range_db"] == 60.0 and ft_ckpt["dynamic_range_db"] == 50.0
    asr = build_transcriber(f"ctc:{run / 'checkpoint_best.pt'}")
    assert isinstance(asr, CTCASRTranscriber) and asr.dynamic_range_db == 60.0
    res = asr_bleu(wavs, SENTENCES, asr)
    # the scorer transcribes each file with this model (greedy CTC: deterministic, vocabulary characters
    # only) and scores the normalized transcripts against the normalized references
    assert res["raw_hyps"] == [asr.transcribe(load_audio(w)[0]) for w in wavs]
    assert set("".join(res["raw_hyps"])) <= set(vocab[1:])
    assert res["hyps"] == [normalize_text(h) for h in res["raw_hyps"]]
    assert res["refs"] == [normalize_text(s) for s in SENTENCES]
    edits = sum(editdistance.eval(h.split(), r.split()) for h, r in zip(res["hyps"], res["refs"]))
    assert res["wer"] == pytest.approx(100.0 * edits / sum(len(r.split()) for r in res["refs"]))
    assert res["bleu"] == pytest.approx(sacrebleu.corpus_bleu(res["hyps"], [res["refs"]]).score)


def test_dynamic_range_floor_makes_silence_uniform():
    """Digital zeros, 16-bit quantization noise and faint noise give the same features after the floor."""
    from ctc_unity.asr_bleu.ctc_asr import features, floor_dynamic_range

    rng = np.random.default_rng(0)
    t = torch.arange(8000) / 16000.0
    tone = 0.5 * torch.sin(2 * math.pi * 440 * t)
    silences = {"zeros": torch.zeros(4000),
                "quantization": torch.from_numpy(rng.integers(-1, 2, 4000) / 32768.0).float(),
                "faint": torch.from_numpy(3e-5 * rng.standard_normal(4000)).float()}
    raw = {k: features(torch.cat([tone, s, tone])) for k, s in silences.items()}
    inside = slice(8000 // 160, (12000 - 400) // 160 + 1)  # frames whose 25 ms window is all silence
    assert (raw["zeros"][inside] - raw["quantization"][inside]).abs().min() > 10  # without the floor: far apart
    floored = {k: floor_dynamic_range(f, 60.0) for k, f in raw.items()}
    for k in ("quantization", "faint"):
        assert torch.allclose(floored[k][inside], floored["zeros"][inside]), k
    f = raw["zeros"]
    floor = float(f.max()) - 60.0 * math.log(10) / 10
    kept = f > floor + 1e-6
    assert torch.equal(floored["zeros"][kept], f[kept]) and float(floored["zeros"].min()) == pytest.approx(floor)
    # a gain shifts every floored feature by the same constant
    g = features(2.0 * torch.cat([tone, silences["zeros"], tone]))
    assert torch.allclose(floor_dynamic_range(g, 60.0) - floored["zeros"], torch.full_like(g, math.log(4.0)), atol=1e-3)
    assert floor_dynamic_range(f, None) is f and floor_dynamic_range(f, 0) is f


def test_tempo_perturb_and_robustness_augment():
    import random

    from ctc_unity.asr_bleu.train_ctc_asr import robustness_augment, tempo_perturb

    ramp = torch.arange(100, dtype=torch.float32)[:, None].repeat(1, 80)  # (T=100, F=80), value = frame index
    fast = tempo_perturb(ramp, 1.25)
    assert fast.shape == (80, 80)
    # linear resampling of a ramp stays a ramp from the first to the last frame
    assert torch.allclose(fast[:, 0], torch.linspace(0, 99, 80), atol=1e-4)
    assert tempo_perturb(ramp, 0.8).shape == (125, 80)
    assert torch.equal(tempo_perturb(ramp, 1.0), ramp)
    with pytest.raises(ValueError, match="tempo factor"):
        tempo_perturb(ramp, 0.0)

    x = torch.zeros(2, 50, 80)
    x[0, 20:30, 40] = 9.0  # a spike to be smeared
    lengths = torch.tensor([50, 30])
    robustness_augment(x, lengths, random.Random(0), noise_std=0.0, smooth_prob=1.0)
    assert torch.equal(x[1], torch.zeros(50, 80))  # nothing to smooth, no noise
    assert x[0, 25, 40] < 9.0 and x[0, 25, 41] > 0 and x[0, 19, 40] > 0  # smeared in time and frequency
    assert abs(x[0].sum().item() - 90.0) < 1.0  # box filters keep the mass away from the edges
    y = torch.zeros(2, 50, 80)
    robustness_augment(y, lengths, random.Random(1), noise_std=0.5, smooth_prob=0.0)
    assert torch.equal(y[1, 30:], torch.zeros(20, 80))  # padding untouched
    assert 0 < y[0].std().item() <= 0.5 + 0.05


def test_insert_pauses_keeps_content_in_order():
    import random

    from ctc_unity.asr_bleu.train_ctc_asr import insert_pauses

    x = torch.arange(1, 101, dtype=torch.float32)[:, None].repeat(1, 4) + 20.0  # frame t has value t + 21
    for seed in range(5):
        y = insert_pauses(x, random.Random(seed), 3, 10, 100, dynamic_range_db=60.0)
        floor = float(x.max()) - 60.0 * math.log(10) / 10
        speech = y[:, 0] != floor
        assert int(speech.sum()) == 100 and torch.equal(y[speech], x)  # every frame kept, in order
        n_pause = y.shape[0] - 100
        assert 10 <= n_pause <= 300
        assert torch.all(y[~speech] == floor)
    z = insert_pauses(x, random.Random(0), 1, 5, 5)  # without a floor: the utterance's minimum
    assert z.shape[0] == 105 and float(z.min()) == float(x.min())



def test_judge_robustness_perturbations():
    """scripts/judge_robustness.py: pauses keep every sample in order; speed changes the length."""
    import random

    from conftest import load_script

    jr = load_script("scripts/judge_robustness.py")
    add_pauses, change_speed = jr.add_pauses, jr.change_speed

    x = torch.arange(1, 16001, dtype=torch.float32)  # 1 s, no zero sample
    for seed in range(5):
        y = add_pauses(x, random.Random(seed), max_pauses=3, min_ms=100, max_ms=1000)
        speech = y != 0
        assert torch.equal(y[speech], x)  # every sample kept, in order
        assert 1600 <= int((~speech).sum()) <= 3 * 16000
    with pytest.raises(ValueError):
        add_pauses(x, random.Random(0), max_pauses=0)
    assert abs(change_speed(torch.randn(16000), 1.25).numel() - 12800) <= 2
    assert abs(change_speed(torch.randn(16000), 0.8).numel() - 20000) <= 2


# ---------------------------------------------------------------- wav2vec2
TINY_W2V = dict(extractor_mode="group_norm", extractor_conv_layer_config=[[8, 10, 5], [8, 3, 2], [8, 2, 2]],
                extractor_conv_bias=False, encoder_embed_dim=16, encoder_projection_dropout=0.0,
                encoder_pos_conv_kernel=8, encoder_pos_conv_groups=2, encoder_num_layers=1, encoder_num_heads=2,
                encoder_attention_dropout=0.0, encoder_ff_interm_features=32, encoder_ff_interm_dropout=0.0,
                encoder_dropout=0.0, encoder_layer_norm_first=True, encoder_layer_drop=0.0)


def test_tiny_wav2vec2_export_loads_and_transcribes(tmp_path):
    from torchaudio.models import wav2vec2_model

    from ctc_unity.asr_bleu.wav2vec2 import Wav2Vec2Transcriber, save_wav2vec2_export

    labels = ["-", "|"] + list("ETAONISHRDLUMWCFGYPBVK'XJQZ")
    params = dict(TINY_W2V, aux_num_out=len(labels))
    torch.manual_seed(0)
    model = wav2vec2_model(**params)
    out = tmp_path / "w2v"
    save_wav2vec2_export(str(out), model, params, labels, normalize_waveform=True)
    asr = build_transcriber(f"wav2vec2:{out}")
    assert isinstance(asr, Wav2Vec2Transcriber)
    text = asr.transcribe(_tone(16000))
    # blank "-" dropped, delimiter "|" -> space, letters lower-cased
    assert set(text) <= set("".join(labels[2:]).lower()) | {" "}

    # force the CTC head onto "H": every frame -> one collapsed "h"
    with torch.no_grad():
        model.aux.weight.zero_()
        model.aux.bias.fill_(-10.0)
        model.aux.bias[labels.index("H")] = 10.0
    save_wav2vec2_export(str(out), model, params, labels, normalize_waveform=True)
    assert build_transcriber(f"wav2vec2:{out / 'model.pt'}").transcribe(_tone(16000)) == "h"

    # HuggingFace-style vocab.json instead of labels.txt
    os.remove(out / "labels.txt")
    (out / "vocab.json").write_text(json.dumps({tok: i for i, tok in enumerate(labels)}))
    assert Wav2Vec2Transcriber(str(out)).transcribe(_tone(16000)) == "h"
    os.remove(out / "vocab.json")
    with pytest.raises(FileNotFoundError, match="no labels"):
        Wav2Vec2Transcriber(str(out))


# ---------------------------------------------------------------- SimulEval scorer
def test_simuleval_scorer_registered_and_scores(tmp_path):
    import argparse

    from simuleval import options
    from simuleval.evaluator.scorers import get_scorer_class

    from ctc_unity.asr_bleu import simuleval_scorer

    cls = get_scorer_class("quality", "ASR_BLEU_OFFLINE")
    assert cls is simuleval_scorer.OfflineASRBLEUScorer
    assert get_scorer_class("quality", "ASR_BLEU_OFFLINE_CEILING") is simuleval_scorer.OfflineASRBLEUCeilingScorer

    wav_dir = tmp_path / "out" / "wavs"
    wav_dir.mkdir(parents=True)
    refs = ["the cat sat on the mat", "a dog ran", "nothing was said"]
    table = {}
    for i, n in enumerate((16000, 17000)):
        sf.write(wav_dir / f"{i}_pred.wav", _tone(n, i).numpy(), 16000)
    table.update({16000: "The cat sat on a mat.", 17000: "a dog ran"})
    ref_wavs = []
    for i, n in enumerate((18000, 19000, 20000)):
        sf.write(tmp_path / f"ref{i}.wav", _tone(n, 10 + i).numpy(), 16000)
        ref_wavs.append(str(tmp_path / f"ref{i}.wav"))
    table.update({18000: "the cat sat on the mat", 19000: "a dog ran", 20000: "nothing was said"})
    (tmp_path / "tgt_wav_list.txt").write_text("\n".join(ref_wavs) + "\n")
    (tmp_path / "wav_list.txt").write_text("unused\n")

    parser = argparse.ArgumentParser(conflict_handler="resolve")
    options.add_evaluator_args(parser)
    parser.add_argument("--source")
    cli = ["--quality-metrics", "ASR_BLEU_OFFLINE", "ASR_BLEU_OFFLINE_CEILING", "--latency-metrics", "StartOffset",
           "--asr-backend", "pocketsphinx", "--output", str(tmp_path / "out"),
           "--source", str(tmp_path / "wav_list.txt")]
    options.add_scorer_args(parser, cli)
    args = parser.parse_args(cli)
    scorer = cls.from_args(args)
    assert scorer.backend == "pocketsphinx" and scorer.reference_wav_list == str(tmp_path / "tgt_wav_list.txt")

    scorer.backend = LengthTranscriber(table)  # stub ASR for exact numbers
    # instance 2 produced no speech: SimulEval writes no wav, it is scored as an empty hypothesis
    instances = {i: SimpleNamespace(index=i, prediction=wav_dir / f"{i}_pred.wav", reference=refs[i]) for i in range(3)}
    bleu = scorer(instances)
    expected = asr_bleu([str(wav_dir / f"{i}_pred.wav") for i in range(3)], refs, LengthTranscriber(table),
                        empty_ok=True)
    assert bleu == pytest.approx(expected["bleu"]) and 0 < bleu < 100
    report = json.loads((tmp_path / "out" / "asr_bleu_offline.json").read_text())
    assert report["n_empty"] == 1 and report["hyps"][2] == ""
    assert report["ceiling"]["bleu"] == pytest.approx(100.0)

    ceiling = get_scorer_class("quality", "ASR_BLEU_OFFLINE_CEILING").from_args(args)
    ceiling.backend = scorer.backend
    assert ceiling(instances) == pytest.approx(100.0)

    text_instance = {0: SimpleNamespace(index=0, prediction="a text prediction", reference="x")}
    with pytest.raises(ValueError, match="not an audio file path"):
        scorer(text_instance)


@pytest.mark.integration
def test_simuleval_score_only_cli_with_user_dir(tmp_path):
    """The real ``simuleval --score-only`` finds ASR_BLEU_OFFLINE through ``--user-dir``."""
    out = tmp_path / "out"
    (out / "wavs").mkdir(parents=True)
    wav = _espeak("hello world", str(out / "wavs" / "0_pred.wav"))
    (out / "config.yaml").write_text("source_type: speech\ntarget_type: speech\n")
    info = {"index": 0, "prediction": wav, "delays": [320.0], "durations": [1000.0], "prediction_offset": 320.0,
            "elapsed": [], "intervals": [[320.0, 1000.0]], "prediction_length": 1.0, "source_length": 1500.0,
            "reference": "hello world", "source": "unused.wav"}
    (out / "instances.log").write_text(json.dumps(info) + "\n")
    simuleval = os.path.join(os.path.dirname(PY), "simuleval")
    cmd = [simuleval, "--score-only", "--output", str(out), "--user-dir", "researches/ctc_unity/asr_bleu",
           "--quality-metrics", "ASR_BLEU_OFFLINE", "--latency-metrics", "StartOffset", "--asr-backend", "pocketsphinx"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ASR_BLEU_OFFLINE" in proc.stdout
    report = json.loads((out / "asr_bleu_offline.json").read_text())
    assert report["n"] == 1 and report["raw_hyps"][0].strip()

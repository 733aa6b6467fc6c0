"""Tests of the unit vocoder package (training, fairseq checkpoint round trip, streaming, Griffin-Lim).

Everything runs on fabricated data (a few tone WAVs and random units) with a tiny generator
and tiny discriminators, so the whole file takes seconds on a busy CPU.
"""

import json
import math
import os

import numpy as np
import pytest
import soundfile as sf
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from ctc_unity.vocoder import code_hifigan as CH  # noqa: E402
from ctc_unity.vocoder import streaming as ST  # noqa: E402
from ctc_unity.vocoder.dataset import BatchSchedule, UnitWaveDataset, data_n_units  # noqa: E402
from ctc_unity.vocoder.discriminators import MultiPeriodDiscriminator, MultiScaleDiscriminator  # noqa: E402
from ctc_unity.vocoder.losses import (discriminator_loss, duration_loss, feature_matching_loss,  # noqa: E402
                                                 generator_adversarial_loss)

from ctc_unity.datasets.audio_io import SAMPLE_RATE as SR  # noqa: E402

HOP, K = 320, 8

TINY = {
    "upsample_rates": [5, 4, 4, 2, 2],
    "upsample_kernel_sizes": [11, 8, 8, 4, 4],
    "upsample_initial_channel": 32,
    "resblock_kernel_sizes": [3],
    "resblock_dilation_sizes": [[1, 3, 5]],
    "embedding_dim": 16,
    "model_in_dim": 16,
    "dur_predictor_params": {"encoder_embed_dim": 16, "var_pred_hidden_dim": 16, "var_pred_kernel_size": 3,
                             "var_pred_dropout": 0.5},
    "segment_size": 2560,
    "batch_size": 2,
    "mpd_channels": [4, 4, 4, 4, 4],
    "msd_channels": [4, 4, 4, 4, 4, 4, 4],
    "msd_groups": [1, 1, 1, 1, 1, 1, 1],
    "log_interval": 1,
    "valid_interval": 1000,
    "checkpoint_interval": 1000,
    "valid_max_utts": 2,
    "tb_audio_utts": 1,
}


def _write_split(base, split, n_utts, rng):
    os.makedirs(os.path.join(base, "units"), exist_ok=True)
    os.makedirs(os.path.join(base, "simuleval", split), exist_ok=True)
    os.makedirs(os.path.join(base, "wav"), exist_ok=True)
    rows, wavs = ["id\tunits\tdurations"], []
    for i in range(n_utts):
        n_red = int(rng.integers(10, 16))
        red = [int(rng.integers(0, K))]
        while len(red) < n_red:
            u = int(rng.integers(0, K))
            if u != red[-1]:
                red.append(u)
        durs = [int(rng.integers(1, 5)) for _ in red]
        n_frames = sum(durs)
        # a waveform whose extractor frame count (n // 320 + 1) is n_frames
        n = HOP * (n_frames - 1) + 100
        t = np.arange(n) / SR
        f = 150 + 40 * np.repeat(np.asarray(red), np.asarray(durs) * HOP)[:n]
        wav = (0.3 * np.sin(2 * np.pi * np.cumsum(f) / SR) + 0.01 * rng.standard_normal(n)).astype(np.float32)
        path = os.path.join(base, "wav", f"{split}_{i}.wav")
        sf.write(path, wav, SR)
        rows.append(f"{split}_{i}\t{' '.join(map(str, red))}\t{' '.join(map(str, durs))}")
        wavs.append(os.path.abspath(path))
        del t
    with open(os.path.join(base, "units", f"{split}.tsv"), "w") as fh:
        fh.write("\n".join(rows) + "\n")
    with open(os.path.join(base, "simuleval", split, "tgt_wav_list.txt"), "w") as fh:
        fh.write("\n".join(wavs) + "\n")


@pytest.fixture(scope="module")
def fake_data(tmp_path_factory):
    """A data folder with 4 train / 2 dev utterances, K = 8 units."""
    base = str(tmp_path_factory.mktemp("vocdata"))
    rng = np.random.default_rng(0)
    _write_split(base, "train", 4, rng)
    _write_split(base, "dev", 2, rng)
    with open(os.path.join(base, "config_gcmvn.yaml"), "w") as fh:
        fh.write(f"n_units: {K}\n")
    return base


def _cfg(**over):
    from ctc_unity.vocoder.train import load_config

    return load_config(None, [f"{k}={json.dumps(v)}" for k, v in {**TINY, **over}.items()], n_units=K)


def _trainer(data, run, **kw):
    from ctc_unity.vocoder.train import VocoderTrainer

    cfg = kw.pop("cfg", None) or _cfg()
    torch.set_num_threads(1)
    return VocoderTrainer(cfg, data, run, device="cpu", **kw)


@pytest.fixture(scope="module")
def trained_run(fake_data, tmp_path_factory):
    """A run directory after 2 real training steps (checkpoint + config.json + state)."""
    run = str(tmp_path_factory.mktemp("vocrun"))
    tr = _trainer(fake_data, run)
    summary = tr.train(max_steps=2)
    tr.close()
    return run, tr, summary


@pytest.fixture(scope="module")
def vocoder(trained_run):
    return CH.load_vocoder(trained_run[0])


# ----------------------------------------------------------------- training + checkpoint


def test_training_writes_fairseq_checkpoint_and_round_trips(trained_run, vocoder):
    run, tr, summary = trained_run
    assert summary["step"] == 2 and summary["steps_run"] == 2
    for name in ("config.json", "checkpoint_last.pt", "checkpoint_best.pt", "training_state.pt"):
        assert os.path.isfile(os.path.join(run, name)), name
    assert any(f.startswith("events.out.tfevents") for f in os.listdir(os.path.join(run, "tb")))
    assert set(summary["last_losses"]) >= {"g_total", "mel", "dur", "adv", "fm", "d_total"}
    assert all(math.isfinite(v) for v in summary["last_losses"].values())
    cfg = json.load(open(os.path.join(run, "config.json")))
    assert cfg["num_embeddings"] == K and cfg["code_hop_size"] == HOP
    ckpt = torch.load(os.path.join(run, "checkpoint_last.pt"), weights_only=True)
    assert set(ckpt) == {"generator", "step"} and ckpt["step"] == 2

    # fairseq's own class loads it (that is what load_vocoder uses)
    from fairseq.models.text_to_speech.vocoder import CodeHiFiGANVocoder

    fs = CodeHiFiGANVocoder(os.path.join(run, "checkpoint_last.pt"), cfg)
    assert isinstance(vocoder.vocoder, CodeHiFiGANVocoder)
    units = torch.tensor([1, 1, 2, 3, 3, 3, 7, 0, 5, 5])
    a = vocoder.synthesize(units)
    b = fs({"code": units.view(1, -1)}).view(-1)
    c = CH.load_vocoder(os.path.join(run, "config.json"), os.path.join(run, "checkpoint_last.pt")).synthesize(units)
    assert a.shape == (HOP * units.numel(),) and a.dtype == torch.float32
    assert torch.equal(a, b) and torch.equal(a, c)
    # same as the trained (weight-normed) generator in eval mode, up to weight-norm folding
    g = tr.generator.eval()
    with torch.no_grad():
        ref = g(code=units.view(1, -1)).view(-1)
    assert torch.allclose(a, ref, atol=1e-5)
    # the data-config style dict also works
    d = CH.load_vocoder({"type": "code_hifigan", "config": os.path.join(run, "config.json"),
                         "checkpoint": os.path.join(run, "checkpoint_best.pt")})
    assert d.synthesize(units).shape == a.shape
    # export into the data-config layout (<data>/vocoder/{checkpoint.pt,config.json})
    out = CH.export_vocoder(run, os.path.join(run, "export"))
    assert torch.equal(CH.load_vocoder({"type": "code_hifigan", **out}).synthesize(units), a)


def test_duration_prediction_shapes_and_errors(vocoder):
    reduced = torch.tensor([3, 1, 4, 1, 5, 2, 6, 0, 7])
    d = vocoder.predict_durations(reduced)
    assert d.shape == (9,) and d.dtype == torch.long and int(d.min()) >= 1
    wav = vocoder.synthesize(reduced, dur_prediction=True)
    assert wav.shape == (HOP * int(d.sum()),)
    assert vocoder.synthesize(reduced, durations=[2] * 9).shape == (HOP * 18,)
    assert vocoder.synthesize(reduced.tolist()).shape == (HOP * 9,)  # 50 Hz path
    with pytest.raises(ValueError):
        vocoder.synthesize(torch.tensor([0, K]))
    with pytest.raises(ValueError):
        vocoder.synthesize(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError):
        vocoder.synthesize(torch.tensor([], dtype=torch.long))
    with pytest.raises(TypeError):
        vocoder.synthesize(torch.tensor([0.5, 1.0]))
    with pytest.raises(ValueError):
        vocoder.synthesize(reduced, durations=[1, 2])


def test_resume_restores_step_optimizer_and_matches_uninterrupted(fake_data, tmp_path):
    straight = _trainer(fake_data, str(tmp_path / "a"), tensorboard=False)
    straight.train(max_steps=3)
    run = str(tmp_path / "b")
    first = _trainer(fake_data, run, tensorboard=False)
    first.train(max_steps=2)
    opt_before = first.optim_g.state_dict()
    with pytest.raises(FileExistsError):
        _trainer(fake_data, run, resume=False, tensorboard=False)
    with pytest.raises(FileNotFoundError):
        _trainer(fake_data, str(tmp_path / "none"), resume=True, tensorboard=False)
    resumed = _trainer(fake_data, run, tensorboard=False)
    assert resumed.step == 2
    assert resumed.best_valid == first.best_valid
    opt_after = resumed.optim_g.state_dict()
    assert opt_after["state"].keys() == opt_before["state"].keys()
    for k, st in opt_before["state"].items():
        assert torch.equal(st["exp_avg"], opt_after["state"][k]["exp_avg"])
        assert int(st["step"]) == int(opt_after["state"][k]["step"]) == 2
    d_state = resumed.optim_d.state_dict()["state"]
    assert d_state and all(int(s["step"]) == 2 for s in d_state.values())
    resumed.train(max_steps=3)
    assert resumed.step == 3
    for (n, p), (_, q) in zip(straight.generator.named_parameters(), resumed.generator.named_parameters()):
        assert torch.allclose(p, q, atol=1e-6), n
    # an architecture change is refused
    with pytest.raises(ValueError):
        _trainer(fake_data, run, cfg=_cfg(upsample_initial_channel=64), tensorboard=False)


def test_generator_mel_loss_decreases_on_fixed_batch(fake_data, tmp_path):
    tr = _trainer(fake_data, str(tmp_path / "fit"), cfg=_cfg(learning_rate=2e-3), tensorboard=False)
    batch = tr.train_set.batch([0, 1], np.random.default_rng(0))
    mels, durs = [], []
    for _ in range(20):
        out = tr.train_step(batch)
        mels.append(out["mel"])
        durs.append(out["dur"])
        tr.step += 1
    assert all(math.isfinite(m) for m in mels)
    assert np.mean(mels[-3:]) < 0.9 * np.mean(mels[:3]), mels
    assert np.mean(durs[-5:]) < np.mean(durs[:5]), durs


# -------------------------------------------------------------------------- data / parts


def test_dataset_alignment_and_schedule(fake_data):
    ds = UnitWaveDataset(fake_data, "train", segment_size=2560)
    assert data_n_units(fake_data) == K
    for i in range(len(ds)):
        assert ds.audio(i).numel() == HOP * ds.frames(i).numel()
    b = ds.batch([0, 1, 2], np.random.default_rng(1))
    assert b["code"].shape == (3, 8) and b["audio"].shape == (3, 1, 2560)
    assert [r.numel() for r in b["reduced"]] == [d.numel() for d in b["durations"]]
    sch = BatchSchedule(4, 2, seed=5)
    assert sch.steps_per_epoch == 2
    assert sorted(np.concatenate([sch.indices(0), sch.indices(1)]).tolist()) == [0, 1, 2, 3]
    assert np.array_equal(sch.indices(7), BatchSchedule(4, 2, seed=5).indices(7))
    with pytest.raises(ValueError):
        UnitWaveDataset(fake_data, "train", segment_size=1000)


def test_discriminators_and_losses():
    y = torch.randn(2, 1, 1000)
    for d in (MultiPeriodDiscriminator(channels=[4] * 5), MultiScaleDiscriminator(3, [4] * 7, [1] * 7)):
        r, f, rm, fm = d(y, y)
        assert len(r) == len(f) == len(rm) == len(fm)
        assert all(a.shape == b.shape and a.dim() == 2 and a.size(0) == 2 for a, b in zip(r, f))
        assert float(feature_matching_loss(rm, fm).detach()) == 0.0
    ones, zeros = [torch.ones(2, 3)], [torch.zeros(2, 3)]
    assert float(discriminator_loss(ones, zeros)) == 0.0
    assert float(generator_adversarial_loss(ones)) == 0.0
    assert float(discriminator_loss(zeros, ones)) == 2.0
    d = torch.tensor([1, 2, 3])
    assert float(duration_loss(torch.log(d.float() + 1), d)) < 1e-12
    with pytest.raises(ValueError):
        MultiPeriodDiscriminator(channels=[4] * 5)(torch.randn(2, 1000), y)


def test_config_validation():
    with pytest.raises(ValueError, match="model_in_dim"):
        _cfg(model_in_dim=80)
    with pytest.raises(ValueError, match="3 entries"):
        _cfg(resblock_dilation_sizes=[[1, 3]])
    with pytest.raises(ValueError, match="multiple"):
        _cfg(segment_size=1000)
    paper = json.load(open(os.path.join(ROOT, "configs", "vocoder_paper.json")))
    cpu = json.load(open(os.path.join(ROOT, "configs", "vocoder_cpu.json")))
    for c in (paper, cpu):
        CH.validate_generator_config(c)
        assert CH.hop_size(c) == HOP
    assert ST.receptive_field_frames(paper) > ST.receptive_field_frames(cpu) >= 3


# ------------------------------------------------------------------------------ streaming


def test_streaming_exact_with_full_context(vocoder):
    """With context and lookahead >= the receptive field and no cross-fade, streaming == whole."""
    rng = np.random.default_rng(3)
    frames = rng.integers(0, K, size=60).tolist()
    whole = vocoder.synthesize(torch.tensor(frames))
    rf = ST.receptive_field_frames(vocoder.config)
    sv = ST.StreamingVocoder(vocoder, context_units=rf, lookahead_frames=rf, crossfade_samples=0,
                             dur_prediction=False)
    streamed = sv.synthesize_chunks(ST.random_chunks(frames, 3, 9, seed=1))
    assert streamed.shape == whole.shape
    assert torch.allclose(streamed, whole, atol=1e-5)
    assert sv.seam_positions and all(p % HOP == 0 for p in sv.seam_positions)
    m = ST.seam_artifact(whole, streamed, sv.seam_positions)
    assert m["length_diff"] == 0 and m["lsd_seam_db"] < 0.1


def test_streaming_reduced_units_length_and_seam_metric(vocoder):
    rng = np.random.default_rng(4)
    red = [int(rng.integers(0, K))]
    while len(red) < 40:
        u = int(rng.integers(0, K))
        if u != red[-1]:
            red.append(u)
    whole = vocoder.synthesize(torch.tensor(red), dur_prediction=True)
    sv = ST.StreamingVocoder(vocoder, context_units=4, lookahead_frames=1)  # default cross-fade: 1 frame
    chunks = ST.random_chunks(red, 1, 6, seed=2)
    outs = [sv.push(c, final=False) for c in chunks] + [sv.flush()]
    streamed = torch.cat(outs)
    # durations are committed with +-2 units of context, so they equal whole-utterance predictions
    assert sv.durations == vocoder.predict_durations(torch.tensor(red)).tolist()
    assert streamed.numel() == whole.numel()  # documented: identical lengths
    m = ST.seam_artifact(whole, streamed, sv.seam_positions)
    for k in ("lsd_seam_db", "lsd_other_db", "seam_excess_db", "hf_ratio_seam", "snr_db"):
        assert k in m and not math.isnan(m[k]), (k, m)
    assert m["n_seams"] == len(sv.seam_positions) > 0
    with pytest.raises(RuntimeError):
        sv.push([1])
    sv.reset()
    assert sv.push([1, 2, 3]).numel() % HOP == 0


def test_streaming_drain_emits_all_written_units(vocoder):
    """drain=True: after each push, all audio of the units so far is out (nothing held back)."""
    rng = np.random.default_rng(5)
    red = [int(v) for v in rng.permutation(K)[:12]]
    sv = ST.StreamingVocoder(vocoder, context_units=4, lookahead_frames=2)
    held = ST.StreamingVocoder(vocoder, context_units=4, lookahead_frames=2)
    chunks = [red[:5], red[5:6], red[6:]]
    outs, total_frames = [], 0
    for i, c in enumerate(chunks):
        final = i == len(chunks) - 1
        outs.append(sv.push(c, final=final, drain=True))
        total_frames = sum(sv.durations)
        assert len(sv.durations) == sum(len(x) for x in chunks[:i + 1])  # every unit has a duration
        assert sv.emitted_samples == HOP * total_frames == sum(o.numel() for o in outs)
        held.push(c, final=final)
        if not final:  # without drain, the look-ahead and the last units' audio wait
            assert held.emitted_samples < sv.emitted_samples
    assert torch.cat(outs).numel() == HOP * total_frames
    # a drained stream stays open; finishing after a drain emits nothing more
    sv.reset()
    sv.push(red[:4], drain=True)
    n = sv.emitted_samples
    assert sv.push([], final=True).numel() == 0 and sv.emitted_samples == n


def test_seam_artifact_detects_a_click():
    t = torch.arange(16000) / SR
    whole = 0.3 * torch.sin(2 * math.pi * 220 * t)
    clicked = whole.clone()
    clicked[8000:8010] += 0.8
    m = ST.seam_artifact(whole, clicked, [8000])
    assert m["seam_excess_db"] > 1.0 and m["hf_ratio_seam"] > 2.0
    same = ST.seam_artifact(whole, whole, [8000])
    assert same["lsd_all_db"] == 0.0 and same["snr_db"] == float("inf")


# ---------------------------------------------------------------------------- Griffin-Lim


def test_griffin_lim_fallback(tmp_path):
    from ctc_unity.datasets.units import KMeansUnitExtractor
    from ctc_unity.vocoder.griffin_lim import GriffinLimVocoder, make_griffin_lim_config

    rng = np.random.default_rng(0)
    t = np.arange(SR) / SR
    waves = [(0.3 * np.sin(2 * np.pi * f * t) + 0.01 * rng.standard_normal(SR)).astype(np.float32)
             for f in (200, 450, 900, 1800)]
    ext = KMeansUnitExtractor.fit(waves, n_units=8, max_frames=2000, progress=False, n_init=1, max_iter=20)
    units_dir = str(tmp_path / "units")
    ext.save(units_dir)
    with open(os.path.join(units_dir, "train.tsv"), "w") as fh:
        fh.write("id\tunits\tdurations\nu0\t0 1 2 3\t2 4 2 4\nu1\t4 5 6 7 0\t1 1 3 3 2\n")
    cfg_path = str(tmp_path / "gl.json")
    cfg = make_griffin_lim_config(units_dir, n_iter=4, out_path=cfg_path)
    assert cfg["type"] == "griffin_lim_centroids" and len(cfg["unit_durations"]) == 8
    assert cfg["unit_durations"][1] == 4.0
    for voc in (CH.load_vocoder(cfg_path), CH.load_vocoder({"type": "griffin_lim_centroids",
                                                              "units_dir": units_dir, "n_iter": 4})):
        assert isinstance(voc, GriffinLimVocoder) and voc.n_units == 8
        frames = torch.tensor(ext.extract(waves[1][:8000]))
        wav = voc.synthesize(frames)
        assert wav.shape == (HOP * frames.numel(),) and torch.isfinite(wav).all()
        assert float(wav.abs().max()) > 1e-3
        red = torch.tensor([0, 1, 2, 3])
        d = voc.predict_durations(red)
        assert d.tolist() == [2, 4, 2, 4]
        assert voc.synthesize(red, dur_prediction=True).shape == (HOP * 12,)
        assert voc.synthesize(red, durations=[1, 1, 1, 1]).shape == (HOP * 4,)
    # streaming works with the fallback too (length exact)
    sv = ST.StreamingVocoder(voc, dur_prediction=True)
    out = sv.synthesize_chunks([[0, 1], [2], [3, 4, 5]])
    assert out.numel() == HOP * int(voc.predict_durations(torch.tensor([0, 1, 2, 3, 4, 5])).sum())
    # chunks shorter than Griffin-Lim's STFT padding (1 frame = 320 samples < n_fft / 2)
    assert voc.synthesize(torch.tensor([3])).shape == (HOP,)
    sv.reset()
    assert sv.push([5], drain=True).numel() == HOP * int(voc.predict_durations(torch.tensor([5])).sum())
    with pytest.raises(ValueError):
        CH.load_vocoder({"type": "nope"})


def test_griffin_lim_with_learned_durations(tmp_path, trained_run, vocoder):
    """``durations_from``: the fallback renderer takes a trained CodeHiFiGAN's duration predictor."""
    from ctc_unity.datasets.units import KMeansUnitExtractor
    from ctc_unity.vocoder.griffin_lim import GriffinLimVocoder, make_griffin_lim_config

    rng = np.random.default_rng(1)
    waves = [(0.3 * np.sin(2 * np.pi * f * np.arange(SR) / SR)).astype(np.float32) + 0.01 * rng.standard_normal(SR)
             .astype(np.float32) for f in (200, 450, 900, 1800)]
    ext = KMeansUnitExtractor.fit(waves, n_units=K, max_frames=2000, progress=False, n_init=1, max_iter=20)
    units_dir = str(tmp_path / "units")
    ext.save(units_dir)
    cfg_path = str(tmp_path / "gl.json")
    cfg = make_griffin_lim_config(units_dir, n_iter=4, out_path=cfg_path, durations_from=trained_run[0])
    assert cfg["durations_from"] == os.path.abspath(trained_run[0])
    voc = CH.load_vocoder(cfg_path)
    assert isinstance(voc, GriffinLimVocoder) and voc.duration_context == vocoder.duration_context == 2
    red = torch.tensor([0, 3, 1, 5, 2, 7, 4])
    expected = vocoder.predict_durations(red)
    assert torch.equal(voc.predict_durations(red), expected)
    assert voc.synthesize(red, dur_prediction=True).shape == (HOP * int(expected.sum()),)
    # the mean-duration fallback differs from the learned one on this input (else the test proves nothing)
    plain = CH.load_vocoder({"type": "griffin_lim_centroids", "units_dir": units_dir, "n_iter": 4})
    assert not torch.equal(plain.predict_durations(red), expected)
    with pytest.raises(ValueError, match="duration"):
        GriffinLimVocoder.from_config({"type": "griffin_lim_centroids", "units_dir": units_dir,
                                       "durations_from": cfg_path})

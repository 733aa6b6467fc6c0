"""Tests of discrete speech-unit extraction (k-means on log-mel, HuBERT + k-means)."""

import json
import os

import numpy as np
import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from ctc_unity.datasets import units as U  # noqa: E402
from ctc_unity.datasets.audio_io import SAMPLE_RATE as SR  # noqa: E402


def tone(freqs, seconds=1.0, seed=0, amp=0.3):
    """Sum of sines (Hz) plus a little noise, float32 16 kHz."""
    t = np.arange(int(seconds * SR)) / SR
    x = sum(amp * np.sin(2 * np.pi * f * t + i) for i, f in enumerate(freqs))
    x = x + 0.005 * np.random.default_rng(seed).standard_normal(len(t))
    return (x / max(1, len(freqs))).astype(np.float32)


# ----------------------------------------------------------------- reduce / expand


@pytest.mark.parametrize(
    "units, reduced, durations",
    [
        ([], [], []),
        ([7], [7], [1]),
        ([5, 5, 3, 5, 5, 5], [5, 3, 5], [2, 1, 3]),
        ([1, 2, 3], [1, 2, 3], [1, 1, 1]),
        ([0, 0, 0, 0], [0], [4]),
        ([9, 9, 1, 1, 1, 9, 2, 2], [9, 1, 9, 2], [2, 3, 1, 2]),
    ],
)
def test_reduce_expand_hand_computed(units, reduced, durations):
    r, d = U.reduce_units(units)
    assert r == reduced and d == durations
    assert all(type(v) is int for v in r + d)
    assert U.expand_units(r, d) == list(units)


def test_reduce_accepts_numpy_and_tensor():
    arr = np.array([4, 4, 2, 2, 2, 4], dtype=np.int64)
    assert U.reduce_units(arr) == ([4, 2, 4], [2, 3, 1])
    assert U.reduce_units(torch.from_numpy(arr)) == ([4, 2, 4], [2, 3, 1])
    rng = np.random.default_rng(0)
    seq = rng.integers(0, 3, size=200)
    r, d = U.reduce_units(seq)
    assert all(a != b for a, b in zip(r, r[1:]))
    assert sum(d) == 200
    assert U.expand_units(r, d) == seq.tolist()


def test_reduce_expand_errors():
    with pytest.raises(ValueError):
        U.reduce_units(np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError):
        U.reduce_units([1, 2.5])
    with pytest.raises(ValueError, match="durations"):
        U.expand_units([1, 2], [1])
    with pytest.raises(ValueError, match="positive"):
        U.expand_units([1, 2], [1, 0])
    with pytest.raises(ValueError, match="positive"):
        U.expand_units([1], [-2])
    assert U.expand_units([], []) == []


# ------------------------------------------------------------------ k-means log-mel

TRAIN_FREQS = [[150], [440], [1000], [2500], [4000, 5000], [300, 3300]]


@pytest.fixture(scope="module")
def kmeans_ext():
    wavs = [tone(f, seconds=1.5, seed=i) for i, f in enumerate(TRAIN_FREQS)]
    return U.KMeansUnitExtractor.fit(
        wavs, n_units=8, seed=0, max_frames=300, batch_size=128, progress=False
    )


def test_log_mel_frame_count_and_params(kmeans_ext):
    ext = kmeans_ext
    assert (ext.sample_rate, ext.n_fft, ext.win_length, ext.hop_length) == (16000, 1024, 640, 320)
    assert (ext.n_mels, ext.f_min, ext.f_max, ext.power, ext.log_floor) == (80, 0.0, 8000.0, 1.0, 1e-5)
    assert ext.frame_rate_hz == 50.0 and ext.n_units == 8
    for n in (1, 319, 320, 321, 700, 16000, 16001):
        lm = ext.log_mel(np.zeros(n, dtype=np.float32) + 0.0)
        assert lm.shape == (n // 320 + 1, 80) == (ext.num_frames(n), 80)
        assert lm.dtype == torch.float32
    silent = ext.log_mel(np.zeros(1000, dtype=np.float32))
    assert torch.allclose(silent, torch.full_like(silent, float(np.log(1e-5))))


def test_kmeans_extract_shape_and_range(kmeans_ext):
    wav = tone([700], seconds=1.23, seed=11)
    u = kmeans_ext.extract(wav)
    assert u.dtype == np.int64
    assert u.shape == (len(wav) // 320 + 1,)
    assert u.min() >= 0 and u.max() < 8
    # tensor input gives the same result
    np.testing.assert_array_equal(kmeans_ext.extract(torch.from_numpy(wav)), u)
    assert kmeans_ext.centroid_logmel.shape == (8, 80)
    assert kmeans_ext.centroid_logmel.dtype == np.float32
    assert kmeans_ext.mean.shape == (80,) and kmeans_ext.std.shape == (80,)
    assert np.all(kmeans_ext.std > 0)


def test_kmeans_different_tones_differ(kmeans_ext):
    low = kmeans_ext.extract(tone([150], seconds=1.0, seed=21))
    high = kmeans_ext.extract(tone([4000, 5000], seconds=1.0, seed=22))
    # majority unit over the interior frames (edges are padded with zeros)
    maj_low = np.bincount(low[3:-3]).argmax()
    maj_high = np.bincount(high[3:-3]).argmax()
    assert maj_low != maj_high
    # the low tone's unit centroid peaks in a lower mel band, with more low-band energy
    c_low, c_high = kmeans_ext.centroid_logmel[maj_low], kmeans_ext.centroid_logmel[maj_high]
    assert c_low[:20].mean() > c_high[:20].mean()
    assert int(np.argmax(c_low)) < int(np.argmax(c_high))


def test_kmeans_fit_deterministic():
    wavs = [tone(f, seconds=1.0, seed=i) for i, f in enumerate(TRAIN_FREQS[:4])]
    a = U.KMeansUnitExtractor.fit(wavs, n_units=4, seed=3, max_frames=100, batch_size=64, progress=False)
    b = U.KMeansUnitExtractor.fit(iter(wavs), n_units=4, seed=3, max_frames=100, batch_size=64, progress=False)
    np.testing.assert_array_equal(a.kmeans.cluster_centers_, b.kmeans.cluster_centers_)
    np.testing.assert_allclose(a.mean, b.mean)


def test_kmeans_save_load_roundtrip(kmeans_ext, tmp_path):
    out = tmp_path / "ext"
    kmeans_ext.save(out)
    names = sorted(os.listdir(out))
    assert names == sorted(
        ["kmeans.joblib", "feature_stats.npz", "centroids_logmel.npy", "unit_extractor.json"]
    )
    spec = json.loads((out / "unit_extractor.json").read_text())
    assert spec["kind"] == "kmeans_logmel" and spec["n_units"] == 8
    assert spec["mel"]["hop_length"] == 320 and spec["mel"]["n_mels"] == 80
    # the k-means file is a plain joblib dump of the sklearn model (fairseq recipe format)
    import joblib

    km = joblib.load(out / "kmeans.joblib")
    assert km.cluster_centers_.shape == (8, 80)

    loaded = U.KMeansUnitExtractor.load(out)
    via_spec = U.load_extractor(str(out))
    assert isinstance(via_spec, U.KMeansUnitExtractor)
    new_audio = tone([600, 2000], seconds=0.9, seed=33)
    ref = kmeans_ext.extract(new_audio)
    np.testing.assert_array_equal(loaded.extract(new_audio), ref)
    np.testing.assert_array_equal(via_spec.extract(new_audio), ref)
    np.testing.assert_array_equal(loaded.centroid_logmel, kmeans_ext.centroid_logmel)

    os.remove(out / "feature_stats.npz")
    with pytest.raises(FileNotFoundError, match="feature_stats.npz"):
        U.KMeansUnitExtractor.load(out)


def test_kmeans_errors(kmeans_ext, tmp_path):
    with pytest.raises(ValueError, match=r"\(2, 100\)"):
        kmeans_ext.extract(np.zeros((2, 100), dtype=np.float32))
    with pytest.raises(ValueError, match="empty"):
        kmeans_ext.extract(np.zeros(0, dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(1, 50\)"):
        kmeans_ext.log_mel(torch.zeros(1, 50))
    with pytest.raises(ValueError, match="fewer than n_units"):
        U.KMeansUnitExtractor.fit([tone([440], seconds=0.05)], n_units=8, max_frames=100, progress=False)
    with pytest.raises(FileNotFoundError, match="unit_extractor.json"):
        U.load_extractor(tmp_path)
    (tmp_path / "unit_extractor.json").write_text(json.dumps({"kind": "nope"}))
    with pytest.raises(ValueError, match="nope"):
        U.load_extractor(tmp_path)


# ------------------------------------------------------------ HuBERT + k-means

CONV_LAYERS = "[(32, 10, 5)] + [(32, 3, 2)] * 4 + [(32, 2, 2)] * 2"


@pytest.fixture(scope="module")
def tiny_hubert(tmp_path_factory):
    """A tiny randomly initialised HuBERT saved as a fairseq checkpoint + a K=5 k-means."""
    from ctc_unity import compat

    compat.apply()
    import joblib
    from omegaconf import OmegaConf
    from sklearn.cluster import MiniBatchKMeans

    from fairseq.data import Dictionary
    from fairseq.models.hubert import HubertConfig, HubertModel
    from fairseq.tasks.hubert_pretraining import HubertPretrainingConfig

    root = tmp_path_factory.mktemp("hubert")
    data = root / "data"
    data.mkdir()
    d = Dictionary()
    for i in range(10):
        d.add_symbol(str(i))
    d.save(str(data / "dict.km.txt"))

    torch.manual_seed(0)
    task_cfg = HubertPretrainingConfig(
        data=str(data), label_rate=50, sample_rate=16000, normalize=False, labels=["km"]
    )
    model_cfg = HubertConfig(
        label_rate=50,
        encoder_layers=2,
        encoder_embed_dim=32,
        encoder_ffn_embed_dim=64,
        encoder_attention_heads=2,
        conv_feature_layers=CONV_LAYERS,
        final_dim=16,
        conv_pos=16,
        conv_pos_groups=4,
    )
    model = HubertModel(model_cfg, task_cfg, [Dictionary.load(str(data / "dict.km.txt"))])
    model.eval()

    cfg = OmegaConf.create(
        {
            "model": OmegaConf.structured(model_cfg),
            "task": OmegaConf.structured(task_cfg),
        }
    )
    cfg.model._name = "hubert"
    cfg.task._name = "hubert_pretraining"
    state = {
        "args": None,
        "cfg": OmegaConf.to_container(cfg, resolve=True, enum_to_str=True),
        "model": model.state_dict(),
        "optimizer_history": [
            {
                "criterion_name": "HubertCriterion",
                "optimizer_name": "Adam",
                "lr_scheduler_state": {"best": None},
                "num_updates": 0,
            }
        ],
        "extra_state": {"train_iterator": {"epoch": 1}},
        "task_state": {},
    }
    ckpt = root / "tiny_hubert.pt"
    torch.save(state, ckpt)

    # k-means (K=5) fitted on layer-2 features of random audio
    rng = np.random.default_rng(0)
    feats = []
    with torch.no_grad():
        for i in range(3):
            wav = torch.from_numpy((0.1 * rng.standard_normal(SR)).astype(np.float32))
            f, _ = model.extract_features(wav[None], padding_mask=None, mask=False, output_layer=2)
            feats.append(f[0].numpy())
    km = MiniBatchKMeans(n_clusters=5, random_state=0, batch_size=64, n_init=3).fit(
        np.concatenate(feats)
    )
    km_path = root / "tiny_L2_km5.bin"
    joblib.dump(km, km_path)
    return {"ckpt": str(ckpt), "km": str(km_path), "km_model": km, "model": model, "root": root}


def test_hubert_extract(tiny_hubert):
    ext = U.HubertKMeansUnitExtractor(tiny_hubert["ckpt"], layer=2, kmeans_path=tiny_hubert["km"])
    assert ext.n_units == 5 and ext.frame_rate_hz == 50.0
    assert ext.receptive_field == 400
    wav = tone([300, 1200], seconds=1.2, seed=5)
    u = ext.extract(wav)
    assert u.dtype == np.int64 and u.ndim == 1
    assert u.min() >= 0 and u.max() < 5
    assert abs(len(u) - len(wav) / 320) <= 1.5
    assert len(u) == ext.num_frames(len(wav)) == (len(wav) - 400) // 320 + 1
    # same ids as the fairseq recipe: features of the original model + kmeans.predict
    with torch.no_grad():
        f, _ = tiny_hubert["model"].extract_features(
            torch.from_numpy(wav)[None], padding_mask=None, mask=False, output_layer=2
        )
    np.testing.assert_array_equal(u, tiny_hubert["km_model"].predict(f[0].numpy()))
    # chunked extraction still yields ids in range (one chunk per 0.5 s)
    small = U.HubertKMeansUnitExtractor(
        tiny_hubert["ckpt"], layer=1, kmeans_path=tiny_hubert["km"], max_chunk=8000
    )
    uc = small.extract(wav)
    assert uc.dtype == np.int64 and len(uc) >= len(wav) // 320 - 6 and uc.max() < 5
    with pytest.raises(ValueError, match="too short"):
        ext.extract(np.zeros(200, dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(1, 16000\)"):
        ext.extract(np.zeros((1, 16000), dtype=np.float32))


def test_hubert_errors(tiny_hubert, tmp_path):
    with pytest.raises(ValueError, match="layer 3"):
        U.HubertKMeansUnitExtractor(tiny_hubert["ckpt"], layer=3, kmeans_path=tiny_hubert["km"])
    with pytest.raises(ValueError, match="layer 0"):
        U.HubertKMeansUnitExtractor(tiny_hubert["ckpt"], layer=0, kmeans_path=tiny_hubert["km"])
    missing = str(tmp_path / "no_such_hubert.pt")
    with pytest.raises(FileNotFoundError, match="no_such_hubert.pt"):
        U.HubertKMeansUnitExtractor(missing, layer=1, kmeans_path=tiny_hubert["km"])
    with pytest.raises(FileNotFoundError, match="no_such_km.bin"):
        U.HubertKMeansUnitExtractor(
            tiny_hubert["ckpt"], layer=1, kmeans_path=str(tmp_path / "no_such_km.bin")
        )


def test_hubert_spec_load_extractor(tiny_hubert, tmp_path):
    spec_dir = tmp_path / "hubert_units"
    U.save_hubert_spec(spec_dir, tiny_hubert["ckpt"], 2, tiny_hubert["km"])
    spec = json.loads((spec_dir / "unit_extractor.json").read_text())
    assert spec["kind"] == "hubert_kmeans" and spec["layer"] == 2
    ext = U.load_extractor(spec_dir)
    assert isinstance(ext, U.HubertKMeansUnitExtractor)
    assert ext.layer == 2 and ext.n_units == 5
    wav = tone([500], seconds=0.5, seed=8)
    direct = U.HubertKMeansUnitExtractor(tiny_hubert["ckpt"], 2, tiny_hubert["km"])
    np.testing.assert_array_equal(ext.extract(wav), direct.extract(wav))
    with pytest.raises(ValueError):
        U.save_hubert_spec(spec_dir, tiny_hubert["ckpt"], 0, tiny_hubert["km"])

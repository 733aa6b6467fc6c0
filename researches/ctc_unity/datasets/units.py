"""Discrete target speech units for speech-to-unit translation.

Two extractors share the :class:`UnitExtractor` interface (16 kHz mono waveform in,
one unit id per 20 ms frame out):

* :class:`KMeansUnitExtractor` -- an offline extractor for when no pretrained speech
  model is available: MiniBatchKMeans (scikit-learn) over standardised 80-dim
  log-mel frames at 50 Hz.  It also keeps, per unit, the mean log-mel frame
  (:attr:`KMeansUnitExtractor.centroid_logmel`) so that a "fallback vocoder" can turn
  unit sequences back into log-mel spectrograms (then Griffin-Lim).
* :class:`HubertKMeansUnitExtractor` -- the standard fairseq recipe (HuBERT / mHuBERT
  layer features + k-means, as in ``examples/hubert/simple_kmeans`` and the
  textless S2UT recipes), for users who have those checkpoints, e.g. mHuBERT base
  ``mhubert_base_vp_en_es_fr_it3.pt``, layer 11, with
  ``mhubert_base_vp_en_es_fr_it3_L11_km1000.bin``.

Both persist as a directory holding ``unit_extractor.json`` (``"kind"`` is
``"kmeans_logmel"`` or ``"hubert_kmeans"``); :func:`load_extractor` reads either.

:func:`reduce_units` / :func:`expand_units` convert between frame-level units and
"reduced" units (consecutive repeats removed, as in CVSS-C S2UT / StreamSpeech) with
their durations in 20 ms frames.

Conventions: waveforms are 16 kHz, mono, float32 in [-1, 1], given as a 1-D
``torch.Tensor`` or ``numpy.ndarray`` (lists of floats are accepted too); "frames"
are 20 ms frames at 50 Hz (hop of 320 samples).  Heavy dependencies (torchaudio,
scikit-learn, fairseq) are imported lazily, so importing this module is cheap.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import os
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .atomic import atomic_open, write_json_atomic
from .audio_io import SAMPLE_RATE  # the rate every extractor expects its input waveform at

__all__ = [
    "SAMPLE_RATE",
    "FRAME_RATE_HZ",
    "SPEC_FILENAME",
    "LogMelConfig",
    "UnitExtractor",
    "KMeansUnitExtractor",
    "HubertKMeansUnitExtractor",
    "reduce_units",
    "expand_units",
    "load_extractor",
    "save_hubert_spec",
]

#: Unit frame rate (Hz) of both extractors: one unit per 20 ms.
FRAME_RATE_HZ = 50.0

#: File (inside an extractor directory) that says which extractor it holds.
SPEC_FILENAME = "unit_extractor.json"
KMEANS_FILENAME = "kmeans.joblib"
STATS_FILENAME = "feature_stats.npz"
CENTROIDS_FILENAME = "centroids_logmel.npy"

KIND_KMEANS_LOGMEL = "kmeans_logmel"
KIND_HUBERT_KMEANS = "hubert_kmeans"
_SPEC_VERSION = 1

PathLike = Union[str, "os.PathLike[str]"]


# --------------------------------------------------------------------------- helpers


def _as_waveform(waveform: Any) -> torch.Tensor:
    """Validate a waveform and return it as a contiguous 1-D float32 CPU tensor.

    Args:
        waveform: 1-D ``torch.Tensor`` / ``numpy.ndarray`` / sequence of floats,
            16 kHz samples in [-1, 1].

    Raises:
        TypeError: integer, boolean or complex samples (convert PCM to float first).
        ValueError: not 1-D (the message gives the shape), empty, or not finite.
    """
    if isinstance(waveform, torch.Tensor):
        x = waveform.detach()
        shape, is_float = tuple(x.shape), x.is_floating_point()
        dtype = x.dtype
    else:
        x = np.asarray(waveform)
        shape, is_float = x.shape, x.dtype.kind == "f"
        dtype = x.dtype
    if len(shape) != 1:
        raise ValueError(f"waveform must be 1-D (mono, n_samples), got shape {shape}")
    if shape[0] == 0:
        raise ValueError("waveform is empty (0 samples)")
    if not is_float:
        raise TypeError(
            f"waveform must hold float samples in [-1, 1], got dtype {dtype} "
            "(convert integer PCM to float first)"
        )
    if isinstance(x, torch.Tensor):
        x = x.to(device="cpu", dtype=torch.float32)
    else:
        x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    if not bool(torch.isfinite(x).all()):
        raise ValueError("waveform contains NaN or infinite samples")
    return x.contiguous()


def _atomic_write(path: str, write_fn, mode: str = "wb") -> None:
    """Write ``path`` atomically: ``write_fn(fileobj)`` through :func:`atomic.atomic_open`."""
    with atomic_open(path, mode) as fh:
        write_fn(fh)


def _require_file(path: str, what: str) -> None:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} not found: {path}")


# ------------------------------------------------------------------- log-mel config


@dataclass(frozen=True)
class LogMelConfig:
    """Parameters of the log-mel features used by :class:`KMeansUnitExtractor`.

    The spectrogram is ``torchaudio.transforms.MelSpectrogram(sample_rate, n_fft,
    win_length, hop_length, f_min, f_max, n_mels=n_mels, power=power, center=center,
    pad_mode=pad_mode, norm=norm, mel_scale=mel_scale)`` with a Hann window
    (``win_length`` samples, zero-padded to ``n_fft`` and centred), followed by
    ``log(clamp(mel, min=log_floor))`` (natural log).

    ``power=1.0`` means a *magnitude* mel spectrogram (the HiFi-GAN / Tacotron 2
    convention), so a Griffin-Lim fallback vocoder must invert with ``power=1``:
    ``exp(logmel)`` -> ``InverseMelScale(n_stft=n_fft // 2 + 1, n_mels, sample_rate,
    f_min, f_max, norm=norm, mel_scale=mel_scale)`` -> ``GriffinLim(n_fft,
    win_length=win_length, hop_length=hop_length, power=1.0)``.

    With ``center=True`` the signal is padded by ``n_fft // 2`` samples on both sides
    (zeros, ``pad_mode="constant"``, so any length >= 1 works), which gives exactly
    ``n_samples // hop_length + 1`` frames; frame ``t`` is centred on sample
    ``t * hop_length`` (i.e. at ``t * 20`` ms).
    """

    sample_rate: int = SAMPLE_RATE
    n_fft: int = 1024
    win_length: int = 640
    hop_length: int = 320
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float = 8000.0
    power: float = 1.0
    log_floor: float = 1e-5
    center: bool = True
    pad_mode: str = "constant"
    norm: Optional[str] = None
    mel_scale: str = "htk"

    def num_frames(self, n_samples: int) -> int:
        """Number of log-mel frames for ``n_samples`` samples: ``n_samples // hop_length + 1``."""
        if not self.center:  # pragma: no cover - not used by this module
            return max(0, (n_samples - self.n_fft) // self.hop_length + 1)
        return int(n_samples) // self.hop_length + 1

    def to_dict(self) -> Dict[str, Any]:
        """The parameters as a JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "LogMelConfig":
        """Build from a dict; unknown keys are ignored, missing keys take defaults."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def build_transform(self):
        """The ``torchaudio.transforms.MelSpectrogram`` module (linear mel, not log)."""
        import torchaudio

        return torchaudio.transforms.MelSpectrogram(
            sample_rate=self.sample_rate,
            n_fft=self.n_fft,
            win_length=self.win_length,
            hop_length=self.hop_length,
            f_min=self.f_min,
            f_max=self.f_max,
            n_mels=self.n_mels,
            power=self.power,
            center=self.center,
            pad_mode=self.pad_mode,
            norm=self.norm,
            mel_scale=self.mel_scale,
        )


# ------------------------------------------------------------------------ interface


class UnitExtractor(abc.ABC):
    """Waveform (16 kHz mono float32 in [-1, 1], 1-D tensor or numpy array) -> frame-level unit ids.

    Attributes:
        frame_rate_hz: unit frames per second (50.0 for both extractors: 20 ms frames).
        n_units: vocabulary size K; ids are in ``[0, K)``.
    """

    frame_rate_hz: float = FRAME_RATE_HZ
    n_units: int

    @abc.abstractmethod
    def extract(self, waveform) -> np.ndarray:
        """Unit ids of a waveform.

        Args:
            waveform: 1-D float waveform, 16 kHz samples in [-1, 1].

        Returns:
            ``np.ndarray`` of dtype int64, shape ``(n_frames,)``, values in
            ``[0, n_units)``, one id per 20 ms frame.

        Raises:
            ValueError: waveform not 1-D or empty.
        """


# --------------------------------------------------------------- k-means on log-mel


class KMeansUnitExtractor(UnitExtractor):
    """Offline unit extractor: k-means over standardised 80-dim log-mel frames at 50 Hz.

    Features: :class:`LogMelConfig` defaults -- 16 kHz, ``n_fft=1024``,
    ``win_length=640`` (40 ms Hann), ``hop_length=320`` (20 ms), 80 HTK mel bands over
    0-8000 Hz (no Slaney norm), ``power=1`` (magnitude), ``log(clamp(x, 1e-5))``,
    centred frames with zero padding.  A waveform of ``n`` samples has
    ``n // 320 + 1`` frames.  Before clustering, each of the 80 dimensions is
    standardised with the mean/std of the training frames
    (``(logmel - mean) / std``).

    Attributes:
        kmeans: the fitted ``sklearn.cluster.MiniBatchKMeans`` (in normalised space).
        mean, std: ``(n_mels,)`` float32 feature statistics (std floored at 1e-5).
        centroid_logmel: ``(n_units, n_mels)`` float32, per unit the mean
            *unnormalised* log-mel frame of the training frames assigned to it (for a
            unit that got no training frame: its de-normalised k-means centre).
        mel_config: the :class:`LogMelConfig`; its fields are also exposed as
            attributes ``sample_rate, n_fft, win_length, hop_length, n_mels, f_min,
            f_max, power, log_floor, center, pad_mode, norm, mel_scale``.
        frame_rate_hz: ``sample_rate / hop_length`` = 50.0.
        n_units: number of clusters K.
    """

    def __init__(
        self,
        kmeans,
        mean: np.ndarray,
        std: np.ndarray,
        centroid_logmel: np.ndarray,
        mel_config: Optional[LogMelConfig] = None,
    ) -> None:
        """Wrap a fitted model; use :meth:`fit` or :meth:`load` to obtain one.

        Args:
            kmeans: fitted sklearn k-means with ``cluster_centers_`` of shape
                ``(K, n_mels)`` in normalised feature space.
            mean, std: ``(n_mels,)`` per-dimension feature statistics.
            centroid_logmel: ``(K, n_mels)`` mean log-mel frame per unit.
            mel_config: feature parameters (default :class:`LogMelConfig`).

        Raises:
            ValueError: inconsistent shapes, or a config with ``sample_rate != 16000``.
        """
        cfg = mel_config if mel_config is not None else LogMelConfig()
        if cfg.sample_rate != SAMPLE_RATE:
            raise ValueError(f"sample_rate must be {SAMPLE_RATE}, got {cfg.sample_rate}")
        centers = np.asarray(kmeans.cluster_centers_)
        mean = np.asarray(mean, dtype=np.float32).reshape(-1)
        std = np.asarray(std, dtype=np.float32).reshape(-1)
        centroid_logmel = np.asarray(centroid_logmel, dtype=np.float32)
        n_units = centers.shape[0]
        if centers.ndim != 2 or centers.shape[1] != cfg.n_mels:
            raise ValueError(
                f"k-means centres have shape {centers.shape}, expected (K, {cfg.n_mels})"
            )
        if mean.shape != (cfg.n_mels,) or std.shape != (cfg.n_mels,):
            raise ValueError(
                f"mean/std must have shape ({cfg.n_mels},), got {mean.shape} / {std.shape}"
            )
        if centroid_logmel.shape != (n_units, cfg.n_mels):
            raise ValueError(
                f"centroid_logmel has shape {centroid_logmel.shape}, "
                f"expected ({n_units}, {cfg.n_mels})"
            )
        self.kmeans = kmeans
        self.mean = mean
        self.std = std
        self.centroid_logmel = centroid_logmel
        self.mel_config = cfg
        for f in dataclasses.fields(cfg):
            setattr(self, f.name, getattr(cfg, f.name))
        self.n_units = int(n_units)
        self.frame_rate_hz = float(cfg.sample_rate) / float(cfg.hop_length)
        self._mel = cfg.build_transform()
        self._mean_t = torch.from_numpy(self.mean)
        self._std_t = torch.from_numpy(self.std)

    # ---------------------------------------------------------------- features
    def num_frames(self, n_samples: int) -> int:
        """Frames (50 Hz) produced for ``n_samples`` samples: ``n_samples // 320 + 1``."""
        return self.mel_config.num_frames(n_samples)

    def log_mel(self, waveform) -> torch.Tensor:
        """Unnormalised log-mel features.

        Args:
            waveform: 1-D float waveform, 16 kHz, ``n`` samples.

        Returns:
            float32 CPU tensor of shape ``(n // 320 + 1, 80)`` (frames at 50 Hz,
            frame ``t`` centred on sample ``320 * t``), natural-log magnitude mel
            energies floored at ``log(1e-5)``.

        Raises:
            ValueError: waveform not 1-D (shape in the message) or empty.
            TypeError: non-float samples.
        """
        return _log_mel(self._mel, self.log_floor, waveform)

    def _normalize(self, logmel: torch.Tensor) -> np.ndarray:
        return ((logmel - self._mean_t) / self._std_t).numpy().astype(np.float32, copy=False)

    def _predict(self, feats: np.ndarray) -> np.ndarray:
        centers = np.asarray(self.kmeans.cluster_centers_, dtype=np.float32)
        return _nearest_center(feats, centers)

    def extract(self, waveform) -> np.ndarray:
        """Unit ids, one per 20 ms frame.

        Args:
            waveform: 1-D float waveform, 16 kHz, ``n`` samples.

        Returns:
            int64 array of shape ``(n // 320 + 1,)`` with values in ``[0, n_units)``:
            the nearest k-means centre of each standardised log-mel frame.

        Raises:
            ValueError: waveform not 1-D (shape in the message) or empty.
            TypeError: non-float samples.
        """
        return self._predict(self._normalize(self.log_mel(waveform)))

    # --------------------------------------------------------------------- fit
    @classmethod
    def fit(
        cls,
        waveforms: Iterable,
        n_units: int = 200,
        seed: int = 0,
        max_frames: int = 300_000,
        batch_size: int = 10_000,
        progress: bool = True,
        mel_config: Optional[LogMelConfig] = None,
        n_init: int = 3,
        max_iter: int = 100,
    ) -> "KMeansUnitExtractor":
        """Fit the extractor on training waveforms.

        Every waveform's log-mel frames update running (float64) per-dimension sums,
        so ``mean``/``std`` are computed over *all* training frames; the frames used
        for clustering are a uniform random subsample of at most ``max_frames`` frames
        (reservoir sampling, deterministic given ``seed`` and the waveform order, so
        memory stays bounded for large corpora).  The subsample is standardised and
        clustered with ``MiniBatchKMeans(n_clusters=n_units, init="k-means++",
        n_init=n_init, max_iter=max_iter, batch_size=batch_size, tol=0.0,
        max_no_improvement=100, reassignment_ratio=0.0, random_state=seed)`` (the
        settings of fairseq's ``hubert/simple_kmeans/learn_kmeans.py`` except
        ``n_init``).  ``centroid_logmel`` is then the mean unnormalised log-mel frame
        of the subsample frames assigned to each unit.

        Args:
            waveforms: iterable of 1-D float waveforms (16 kHz, [-1, 1]).
            n_units: number of units K (>= 2).
            seed: random seed (subsampling and k-means).
            max_frames: cap on the number of frames clustered (>= n_units).
            batch_size: MiniBatchKMeans mini-batch size (frames).
            progress: show a tqdm progress bar over the waveforms.
            mel_config: feature parameters (default :class:`LogMelConfig`).
            n_init, max_iter: passed to MiniBatchKMeans.

        Returns:
            The fitted :class:`KMeansUnitExtractor`.

        Raises:
            ValueError: bad arguments, a bad waveform (see :meth:`log_mel`), or fewer
                than ``n_units`` frames collected in total.
        """
        from sklearn.cluster import MiniBatchKMeans
        from tqdm import tqdm

        n_units = int(n_units)
        if n_units < 2:
            raise ValueError(f"n_units must be >= 2, got {n_units}")
        if int(max_frames) < n_units:
            raise ValueError(
                f"max_frames ({max_frames}) must be >= n_units ({n_units})"
            )
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        max_frames = int(max_frames)
        cfg = mel_config if mel_config is not None else LogMelConfig()
        mel_transform = cfg.build_transform()

        rng = np.random.default_rng(seed)
        reservoir = np.empty((max_frames, cfg.n_mels), dtype=np.float32)
        seen = 0
        s1 = np.zeros(cfg.n_mels, dtype=np.float64)
        s2 = np.zeros(cfg.n_mels, dtype=np.float64)
        total = None
        try:
            total = len(waveforms)  # type: ignore[arg-type]
        except TypeError:
            pass
        for wav in tqdm(
            waveforms, total=total, disable=not progress, desc="log-mel", unit="wav"
        ):
            frames = _log_mel(mel_transform, cfg.log_floor, wav).numpy()
            n = frames.shape[0]
            f64 = frames.astype(np.float64)
            s1 += f64.sum(0)
            s2 += (f64 * f64).sum(0)
            # Reservoir sampling (Algorithm R), vectorised over the waveform's frames.
            n_fill = min(n, max(0, max_frames - seen))
            if n_fill:
                reservoir[seen : seen + n_fill] = frames[:n_fill]
            if n_fill < n:
                idx = np.arange(seen + n_fill, seen + n)  # global indices of the rest
                j = rng.integers(0, idx + 1)
                keep = np.nonzero(j < max_frames)[0]
                if keep.size:
                    # if several frames hit the same slot, the last one wins
                    jr = j[keep][::-1]
                    uniq, first = np.unique(jr, return_index=True)
                    src = keep[::-1][first]
                    reservoir[uniq] = frames[src]
            seen += n
        if seen < n_units:
            raise ValueError(
                f"only {seen} log-mel frames collected, fewer than n_units={n_units}"
            )
        sample = reservoir[: min(seen, max_frames)]
        mean = s1 / seen
        var = np.maximum(s2 / seen - mean * mean, 0.0)
        std = np.maximum(np.sqrt(var), 1e-5)
        mean32, std32 = mean.astype(np.float32), std.astype(np.float32)
        normed = ((sample - mean32) / std32).astype(np.float32)

        km = MiniBatchKMeans(
            n_clusters=n_units,
            init="k-means++",
            n_init=n_init,
            max_iter=max_iter,
            batch_size=int(batch_size),
            tol=0.0,
            max_no_improvement=100,
            reassignment_ratio=0.0,
            random_state=seed,
            compute_labels=False,
        )
        km.fit(normed)
        centers = np.asarray(km.cluster_centers_, dtype=np.float32)
        labels = _nearest_center(normed, centers)
        counts = np.bincount(labels, minlength=n_units)
        sums = np.zeros((n_units, cfg.n_mels), dtype=np.float64)
        np.add.at(sums, labels, sample.astype(np.float64))
        centroid = centers.astype(np.float64) * std + mean  # fallback for empty units
        nz = counts > 0
        centroid[nz] = sums[nz] / counts[nz, None]
        return cls(km, mean32, std32, centroid.astype(np.float32), cfg)

    # ---------------------------------------------------------------- save/load
    def spec(self) -> Dict[str, Any]:
        """The ``unit_extractor.json`` content (kind, n_units, frame rate, mel params)."""
        return {
            "kind": KIND_KMEANS_LOGMEL,
            "version": _SPEC_VERSION,
            "n_units": self.n_units,
            "frame_rate_hz": self.frame_rate_hz,
            "mel": self.mel_config.to_dict(),
            "files": {
                "kmeans": KMEANS_FILENAME,
                "feature_stats": STATS_FILENAME,
                "centroids_logmel": CENTROIDS_FILENAME,
            },
        }

    def save(self, directory: PathLike) -> None:
        """Write the extractor to ``directory`` (created if needed).

        Files: ``kmeans.joblib`` (the sklearn model via ``joblib.dump``, the format
        fairseq's ``hubert/simple_kmeans`` recipe uses), ``feature_stats.npz``
        (``mean``, ``std``: ``(80,)`` float32), ``centroids_logmel.npy``
        (``(n_units, 80)`` float32) and, last, ``unit_extractor.json``
        (``kind="kmeans_logmel"``, ``n_units``, ``frame_rate_hz`` and all mel
        parameters under ``"mel"``).  Each file is written to a temporary file in
        ``directory`` and renamed into place with ``os.replace``.

        Raises:
            OSError: the directory cannot be created or written.
        """
        import joblib

        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        _atomic_write(
            os.path.join(directory, KMEANS_FILENAME), lambda fh: joblib.dump(self.kmeans, fh)
        )
        _atomic_write(
            os.path.join(directory, STATS_FILENAME),
            lambda fh: np.savez(fh, mean=self.mean, std=self.std),
        )
        _atomic_write(
            os.path.join(directory, CENTROIDS_FILENAME),
            lambda fh: np.save(fh, self.centroid_logmel),
        )
        write_json_atomic(os.path.join(directory, SPEC_FILENAME), self.spec(), sort_keys=True)

    @classmethod
    def load(cls, directory: PathLike) -> "KMeansUnitExtractor":
        """Load an extractor written by :meth:`save`.

        Raises:
            FileNotFoundError: a required file is missing (the message names it).
            ValueError: ``unit_extractor.json`` has another kind, or the files are
                inconsistent (shapes, n_units).
        """
        import joblib

        directory = os.fspath(directory)
        paths = {
            name: os.path.join(directory, name)
            for name in (SPEC_FILENAME, KMEANS_FILENAME, STATS_FILENAME, CENTROIDS_FILENAME)
        }
        for name, path in paths.items():
            _require_file(path, f"k-means unit extractor file {name!r}")
        with open(paths[SPEC_FILENAME], encoding="utf-8") as fh:
            spec = json.load(fh)
        if spec.get("kind") != KIND_KMEANS_LOGMEL:
            raise ValueError(
                f"{paths[SPEC_FILENAME]}: kind is {spec.get('kind')!r}, "
                f"expected {KIND_KMEANS_LOGMEL!r}"
            )
        cfg = LogMelConfig.from_dict(spec.get("mel", {}))
        km = joblib.load(paths[KMEANS_FILENAME])
        with np.load(paths[STATS_FILENAME]) as stats:
            mean, std = stats["mean"], stats["std"]
        centroids = np.load(paths[CENTROIDS_FILENAME])
        ext = cls(km, mean, std, centroids, cfg)
        if "n_units" in spec and int(spec["n_units"]) != ext.n_units:
            raise ValueError(
                f"{paths[SPEC_FILENAME]} says n_units={spec['n_units']} but "
                f"{KMEANS_FILENAME} has {ext.n_units} clusters"
            )
        return ext


def _log_mel(transform, log_floor: float, waveform) -> torch.Tensor:
    """``log(clamp(mel(waveform), log_floor))`` as a ``(n_frames, n_mels)`` float32 tensor."""
    x = _as_waveform(waveform)
    with torch.no_grad():
        mel = transform(x)  # (n_mels, n_frames)
        out = torch.log(torch.clamp(mel, min=log_floor)).transpose(0, 1)
    return out.contiguous()


def _nearest_center(feats: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the nearest centre (squared Euclidean) per row, int64 ``(n,)``.

    Same formula as fairseq's ``ApplyKmeans``: ``|x|^2 - 2 x.C^T + |C|^2``.
    """
    feats = np.asarray(feats, dtype=np.float32)
    centers = np.asarray(centers, dtype=np.float32)
    dist = (
        (feats**2).sum(1, keepdims=True)
        - 2.0 * feats @ centers.T
        + (centers**2).sum(1)[None, :]
    )
    return np.argmin(dist, axis=1).astype(np.int64)


# --------------------------------------------------------------- HuBERT + k-means


class HubertKMeansUnitExtractor(UnitExtractor):
    """Units from a fairseq HuBERT / mHuBERT layer + k-means (the fairseq S2UT recipe).

    Equivalent to ``examples/hubert/simple_kmeans/dump_hubert_feature.py`` followed by
    ``dump_km_label.py``: the waveform is layer-normalised if the checkpoint's task
    has ``normalize=True``, fed through the model in chunks of ``max_chunk`` samples
    (``extract_features(..., mask=False, output_layer=layer)``, ``layer`` 1-based),
    and every feature frame gets the id of its nearest k-means centre (squared
    Euclidean distance, the ``ApplyKmeans`` formula; same result as
    ``kmeans.predict``).

    Frame count: the convolutional feature extractor has no padding, so for the
    standard HuBERT front-end (receptive field 400 samples, stride 320) a chunk of
    ``n`` samples gives ``(n - 400) // 320 + 1`` frames (49 per second, i.e. one
    per 20 ms minus the edge); in general see :meth:`num_frames`.  Waveforms shorter
    than the receptive field raise ``ValueError``; a trailing chunk shorter than it
    is dropped (it would give no frame).

    Attributes:
        model: the fairseq model (eval mode, on ``device``).
        task: the fairseq task it was loaded with.
        layer: 1-based transformer layer whose output is clustered.
        centers: ``(n_units, feature_dim)`` float32 k-means centres (torch, on device).
        n_units: K.  frame_rate_hz: ``sample_rate / total conv stride`` (50.0).
        receptive_field: samples seen by one frame (400 for HuBERT).
    """

    def __init__(
        self,
        hubert_checkpoint: str,
        layer: int,
        kmeans_path: str,
        device: str = "cpu",
        max_chunk: int = 1_600_000,
    ) -> None:
        """Load the checkpoint and the k-means model.

        Args:
            hubert_checkpoint: fairseq HuBERT checkpoint (``.pt``), loaded with
                ``fairseq.checkpoint_utils.load_model_ensemble_and_task``.
            layer: 1-based layer, ``1 <= layer <= number of transformer layers``.
            kmeans_path: ``joblib`` dump of an sklearn k-means (fairseq's
                ``learn_kmeans.py`` output, e.g. ``..._L11_km1000.bin``) whose
                ``cluster_centers_`` has shape ``(K, feature_dim)``.
            device: torch device for the model, e.g. ``"cpu"`` or ``"cuda"``.
            max_chunk: samples per forward pass (1.6 M = 100 s at 16 kHz).

        Raises:
            FileNotFoundError: checkpoint or k-means file missing (named in message).
            ValueError: ``layer`` out of range, ``max_chunk`` < 1, task sample rate
                not 16 kHz, or k-means dimension != model feature dimension.
        """
        import joblib

        hubert_checkpoint = os.fspath(hubert_checkpoint)
        kmeans_path = os.fspath(kmeans_path)
        _require_file(hubert_checkpoint, "HuBERT checkpoint")
        _require_file(kmeans_path, "k-means model")
        if isinstance(layer, bool) or int(layer) != layer:
            raise ValueError(f"layer must be an integer, got {layer!r}")
        layer = int(layer)
        if int(max_chunk) < 1:
            raise ValueError(f"max_chunk must be >= 1, got {max_chunk}")

        from .. import compat

        compat.apply()
        from fairseq import checkpoint_utils

        models, _cfg, task = checkpoint_utils.load_model_ensemble_and_task(
            [hubert_checkpoint]
        )
        model = models[0].eval().to(device)
        encoder = getattr(model, "encoder", None)
        layers = getattr(encoder, "layers", None)
        if layers is None:
            raise ValueError(
                f"{hubert_checkpoint}: model {type(model).__name__} has no encoder.layers; "
                "not a HuBERT-style model"
            )
        n_layers = len(layers)
        if not 1 <= layer <= n_layers:
            raise ValueError(
                f"layer {layer} out of range: {hubert_checkpoint} has {n_layers} "
                f"transformer layers (valid: 1..{n_layers})"
            )
        sample_rate = int(getattr(task.cfg, "sample_rate", SAMPLE_RATE))
        if sample_rate != SAMPLE_RATE:
            raise ValueError(
                f"{hubert_checkpoint}: task sample_rate is {sample_rate}, expected {SAMPLE_RATE}"
            )

        convs = [
            m for m in model.feature_extractor.modules() if isinstance(m, torch.nn.Conv1d)
        ]
        self._convs: List[Tuple[int, int]] = [
            (int(c.kernel_size[0]), int(c.stride[0])) for c in convs
        ]
        stride, rf = 1, 1
        for k, s in self._convs:
            rf += (k - 1) * stride
            stride *= s
        self.receptive_field = rf
        self.total_stride = stride

        km = joblib.load(kmeans_path)
        centers = np.asarray(getattr(km, "cluster_centers_", km), dtype=np.float32)
        feat_dim = getattr(encoder, "embedding_dim", None)
        if centers.ndim != 2 or (feat_dim is not None and centers.shape[1] != int(feat_dim)):
            raise ValueError(
                f"{kmeans_path}: k-means centres have shape {centers.shape}, expected "
                f"(K, {feat_dim}) for {hubert_checkpoint}"
            )

        self.hubert_checkpoint = hubert_checkpoint
        self.kmeans_path = kmeans_path
        self.layer = layer
        self.n_layers = n_layers
        self.device = torch.device(device)
        self.max_chunk = int(max_chunk)
        self.model = model
        self.task = task
        self.kmeans = km
        self.normalize = bool(getattr(task.cfg, "normalize", False))
        self.sample_rate = sample_rate
        self.n_units = int(centers.shape[0])
        self.frame_rate_hz = float(sample_rate) / float(stride)
        self.centers = torch.from_numpy(centers).to(self.device)
        self._centers_sq = (self.centers**2).sum(1)

    def num_frames(self, n_samples: int) -> int:
        """Frames the conv front-end yields for one chunk of ``n_samples`` samples.

        Iterates ``L <- (L - kernel) // stride + 1`` over the conv layers (0 if the
        chunk is shorter than :attr:`receptive_field`); for HuBERT this is
        ``(n_samples - 400) // 320 + 1``.  For waveforms longer than ``max_chunk``
        the total is the sum over chunks.
        """
        n = int(n_samples)
        for k, s in self._convs:
            if n < k:
                return 0
            n = (n - k) // s + 1
        return n

    def features(self, waveform) -> torch.Tensor:
        """Layer-``layer`` features, float32 CPU tensor ``(n_frames, feature_dim)``.

        Raises:
            ValueError: waveform not 1-D, empty, or shorter than the receptive field.
        """
        return self._features(waveform).cpu()

    def _features(self, waveform) -> torch.Tensor:
        """Like :meth:`features` but left on :attr:`device`."""
        import torch.nn.functional as F

        x = _as_waveform(waveform)
        if x.numel() < self.receptive_field:
            raise ValueError(
                f"waveform too short: {x.numel()} samples, the HuBERT front-end needs "
                f">= {self.receptive_field} ({self.receptive_field / SAMPLE_RATE * 1000:.0f} ms)"
            )
        with torch.inference_mode():
            x = x.to(self.device)
            if self.normalize:
                x = F.layer_norm(x, x.shape)
            x = x.view(1, -1)
            feats = []
            for start in range(0, x.size(1), self.max_chunk):
                chunk = x[:, start : start + self.max_chunk]
                if chunk.size(1) < self.receptive_field:
                    continue
                feat, _ = self.model.extract_features(
                    source=chunk, padding_mask=None, mask=False, output_layer=self.layer
                )
                feats.append(feat)
            out = torch.cat(feats, 1).squeeze(0).float()
        return out

    def extract(self, waveform) -> np.ndarray:
        """Unit ids, one per HuBERT frame (20 ms).

        Args:
            waveform: 1-D float waveform, 16 kHz, ``n`` samples (>= 400 for HuBERT).

        Returns:
            int64 array ``(n_frames,)`` with values in ``[0, n_units)``; for HuBERT
            ``n_frames = (n - 400) // 320 + 1`` when ``n <= max_chunk``.

        Raises:
            ValueError: waveform not 1-D (shape in message), empty, or too short.
            TypeError: non-float samples.
        """
        f = self._features(waveform)
        with torch.inference_mode():
            dist = (
                (f**2).sum(1, keepdim=True)
                - 2.0 * f @ self.centers.T
                + self._centers_sq[None, :]
            )
            ids = dist.argmin(dim=1)
        return ids.cpu().numpy().astype(np.int64)

    def spec(self) -> Dict[str, Any]:
        """``unit_extractor.json`` content for this extractor (kind ``hubert_kmeans``)."""
        return _hubert_spec(self.hubert_checkpoint, self.layer, self.kmeans_path, self.n_units)


# ------------------------------------------------------------------ reduce / expand


def _as_int_list(seq: Sequence[int], what: str) -> List[int]:
    if isinstance(seq, torch.Tensor):
        seq = seq.detach().cpu().numpy()
    if isinstance(seq, np.ndarray):
        if seq.ndim != 1:
            raise ValueError(f"{what} must be 1-D, got shape {seq.shape}")
        if seq.size and seq.dtype.kind not in "iu":
            raise ValueError(f"{what} must hold integers, got dtype {seq.dtype}")
        return [int(v) for v in seq.tolist()]
    out = []
    for v in seq:
        if isinstance(v, (bool, np.bool_)) or int(v) != v:
            raise ValueError(f"{what} must hold integers, got {v!r}")
        out.append(int(v))
    return out


def reduce_units(units: Sequence[int]) -> Tuple[List[int], List[int]]:
    """Deduplicate consecutive repeats ('reduced' units as in StreamSpeech/CVSS-C S2UT) and keep run-lengths.

    Args:
        units: frame-level unit ids (list, 1-D numpy array or tensor), one per 20 ms
            frame.

    Returns:
        ``(reduced, durations)``: ``reduced[i]`` is the i-th run's unit id and
        ``durations[i] >= 1`` its length in 20 ms frames; ``sum(durations) ==
        len(units)``.  E.g. ``[5, 5, 3, 5, 5, 5] -> ([5, 3, 5], [2, 1, 3])``; an empty
        input gives ``([], [])``.

    Raises:
        ValueError: multi-dimensional array or non-integer values.
    """
    seq = _as_int_list(units, "units")
    reduced: List[int] = []
    durations: List[int] = []
    for u in seq:
        if reduced and reduced[-1] == u:
            durations[-1] += 1
        else:
            reduced.append(u)
            durations.append(1)
    return reduced, durations


def expand_units(reduced: Sequence[int], durations: Sequence[int]) -> List[int]:
    """Inverse of :func:`reduce_units`: repeat ``reduced[i]`` ``durations[i]`` times.

    Args:
        reduced: unit ids, length ``N``.
        durations: positive integer run-lengths in 20 ms frames, length ``N``.

    Returns:
        Frame-level unit ids, length ``sum(durations)``.

    Raises:
        ValueError: ``len(reduced) != len(durations)``, a duration <= 0, or
            non-integer values.
    """
    units = _as_int_list(reduced, "reduced")
    durs = _as_int_list(durations, "durations")
    if len(units) != len(durs):
        raise ValueError(
            f"reduced has {len(units)} units but durations has {len(durs)} entries"
        )
    out: List[int] = []
    for i, (u, d) in enumerate(zip(units, durs)):
        if d <= 0:
            raise ValueError(f"durations[{i}] = {d}; durations must be positive")
        out.extend([u] * d)
    return out


# ---------------------------------------------------------------- spec / loading


def _hubert_spec(hubert_checkpoint, layer, kmeans_path, n_units=None) -> Dict[str, Any]:
    spec: Dict[str, Any] = {
        "kind": KIND_HUBERT_KMEANS,
        "version": _SPEC_VERSION,
        "hubert_checkpoint": os.path.abspath(os.fspath(hubert_checkpoint)),
        "layer": int(layer),
        "kmeans_path": os.path.abspath(os.fspath(kmeans_path)),
        "frame_rate_hz": FRAME_RATE_HZ,
    }
    if n_units is not None:
        spec["n_units"] = int(n_units)
    return spec


def save_hubert_spec(directory: PathLike, hubert_checkpoint: PathLike, layer: int, kmeans_path: PathLike) -> None:
    """Write ``directory/unit_extractor.json`` with kind ``"hubert_kmeans"``.

    The JSON holds ``hubert_checkpoint`` and ``kmeans_path`` as absolute paths and the
    1-based ``layer``, so :func:`load_extractor` can build a
    :class:`HubertKMeansUnitExtractor` from the directory.  The files are not opened
    (nor required to exist) here; loading raises ``FileNotFoundError`` if they are
    missing.  Written atomically.

    Raises:
        ValueError: ``layer`` not an integer >= 1.
    """
    if isinstance(layer, bool) or int(layer) != layer or int(layer) < 1:
        raise ValueError(f"layer must be an integer >= 1, got {layer!r}")
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    write_json_atomic(
        os.path.join(directory, SPEC_FILENAME),
        _hubert_spec(hubert_checkpoint, layer, kmeans_path),
        sort_keys=True,
    )


def load_extractor(directory_or_spec: Union[PathLike, Mapping[str, Any]], device: Optional[str] = None) -> UnitExtractor:
    """Load a unit extractor from its directory (or spec).

    Args:
        directory_or_spec: a directory holding ``unit_extractor.json``, the path of
            such a JSON file, or an already-parsed spec dict.  Kind
            ``"kmeans_logmel"`` -> :meth:`KMeansUnitExtractor.load` on the directory
            (a bare dict needs a ``"directory"`` entry); kind ``"hubert_kmeans"`` ->
            ``HubertKMeansUnitExtractor(hubert_checkpoint, layer, kmeans_path,
            device, max_chunk)`` from the JSON fields (relative paths are resolved
            against the JSON's directory).
        device: overrides the spec's ``device`` for HuBERT extractors.

    Raises:
        FileNotFoundError: no ``unit_extractor.json``, or a file it names is missing.
        ValueError: unknown ``kind`` or incomplete spec.
    """
    base_dir: Optional[str] = None
    if isinstance(directory_or_spec, Mapping):
        spec = dict(directory_or_spec)
        base_dir = spec.get("directory")
    else:
        path = os.fspath(directory_or_spec)
        if os.path.isdir(path):
            base_dir = path
            path = os.path.join(path, SPEC_FILENAME)
        else:
            base_dir = os.path.dirname(path) or "."
        _require_file(path, "unit extractor spec")
        with open(path, encoding="utf-8") as fh:
            spec = json.load(fh)
        if not isinstance(spec, dict):
            raise ValueError(f"{path}: expected a JSON object")
    kind = spec.get("kind")
    if kind == KIND_KMEANS_LOGMEL:
        if base_dir is None:
            raise ValueError("a kmeans_logmel spec dict needs a 'directory' entry")
        return KMeansUnitExtractor.load(base_dir)
    if kind == KIND_HUBERT_KMEANS:
        missing = [k for k in ("hubert_checkpoint", "layer", "kmeans_path") if k not in spec]
        if missing:
            raise ValueError(f"hubert_kmeans spec lacks {missing}")

        def resolve(p: str) -> str:
            p = os.path.expanduser(os.fspath(p))
            if not os.path.isabs(p) and base_dir is not None:
                p = os.path.join(base_dir, p)
            return p

        kwargs: Dict[str, Any] = {
            "hubert_checkpoint": resolve(spec["hubert_checkpoint"]),
            "layer": spec["layer"],
            "kmeans_path": resolve(spec["kmeans_path"]),
        }
        if device is not None:
            kwargs["device"] = device
        elif "device" in spec:
            kwargs["device"] = spec["device"]
        if "max_chunk" in spec:
            kwargs["max_chunk"] = spec["max_chunk"]
        return HubertKMeansUnitExtractor(**kwargs)
    raise ValueError(
        f"unknown unit extractor kind {kind!r} (expected {KIND_KMEANS_LOGMEL!r} "
        f"or {KIND_HUBERT_KMEANS!r})"
    )

"""Zero-training fallback vocoder: unit -> centroid log-mel frame -> Griffin-Lim.

Each unit id is replaced by the mean log-mel frame of its k-means cluster
(``KMeansUnitExtractor.centroid_logmel``, ``(K, 80)``), the frames are exponentiated back to
a magnitude mel spectrogram, mapped to a linear magnitude spectrogram with torchaudio's
``InverseMelScale`` (least squares, clipped at 0) and turned into a waveform by
Griffin-Lim phase reconstruction (Griffin & Lim 1984; torchaudio ``griffinlim`` with
momentum 0.99, Perraudin et al. 2013), all with the extractor's :class:`LogMelConfig`
(16 kHz, n_fft 1024, window 640, hop 320, 80 HTK mels, ``power=1``).

It needs no training, so it works as soon as units exist -- at the price of buzzy,
"averaged" speech. It shares the interface of the trained CodeHiFiGAN vocoder
(:func:`.code_hifigan.load_vocoder` returns it for ``{"type": "griffin_lim_centroids",
"units_dir": ...}``), including 50 Hz input and reduced input; reduced units without
durations get a per-unit mean duration computed from the train manifest (a crude stand-in
for the duration predictor of Lee et al. 2022).

Output alignment matches the CodeHiFiGAN training convention (:mod:`.dataset`): frame
``t`` is centred on sample ``320 t + 160`` and ``n_frames`` frames give exactly
``320 * n_frames`` samples.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional, Sequence

import numpy as np
import torch

from .code_hifigan import _as_units, expand_with_durations

GRIFFIN_LIM_TYPE = "griffin_lim_centroids"


def mean_unit_durations(manifest: str, n_units: int) -> Dict[str, Any]:
    """Per-unit mean run-length (frames) over a ``units/{split}.tsv`` manifest.

    A context-free stand-in for the duration predictor of Lee et al. 2022.

    Args:
        manifest: path of a ``id  units  durations`` TSV.
        n_units: K.

    Returns:
        ``{"unit_durations": [K floats], "default_duration": float}`` -- units never seen
        get the overall mean.

    Raises:
        FileNotFoundError, ValueError: see :func:`.dataset.read_unit_tsv`.
    """
    from .dataset import read_unit_tsv

    sums = np.zeros(n_units, dtype=np.float64)
    counts = np.zeros(n_units, dtype=np.int64)
    for _, units, durs in read_unit_tsv(manifest):
        u = np.asarray(units)
        ok = (u >= 0) & (u < n_units)
        np.add.at(sums, u[ok], np.asarray(durs, dtype=np.float64)[ok])
        np.add.at(counts, u[ok], 1)
    overall = float(sums.sum() / max(1, counts.sum())) if counts.sum() else 2.0
    means = np.where(counts > 0, sums / np.maximum(counts, 1), overall)
    return {"unit_durations": [round(float(v), 4) for v in means], "default_duration": round(overall, 4)}


def make_griffin_lim_config(units_dir: str, n_iter: int = 32, manifest: Optional[str] = None,
                            out_path: Optional[str] = None, durations_from: Optional[str] = None) -> Dict[str, Any]:
    """Build (and optionally write, atomically) a ``griffin_lim_centroids`` vocoder config.

    (Griffin & Lim 1984 phase reconstruction from unit-centroid log-mel frames.)

    Args:
        units_dir: unit-extractor directory (``unit_extractor.json`` of kind
            ``kmeans_logmel``); in a prepared data folder that is ``<data>/units``.
        n_iter: Griffin-Lim iterations.
        manifest: TSV to take mean durations from (default ``units_dir/train.tsv`` if it
            exists; otherwise durations default to 2 frames).
        out_path: where to write the JSON (None: not written).
        durations_from: optional trained CodeHiFiGAN (run dir or ``config.json``) whose
            duration predictor replaces the per-unit mean durations for reduced units.

    Returns:
        the config dict ``{"type", "units_dir", "n_iter", "unit_durations",
        "default_duration"[, "durations_from"]}``.

    Raises:
        FileNotFoundError: no extractor in ``units_dir``.
        ValueError: the extractor has no centroid log-mel frames (e.g. HuBERT units).
    """
    from ..datasets.atomic import write_json_atomic
    from ..datasets.units import load_extractor

    ext = load_extractor(units_dir)
    if not hasattr(ext, "centroid_logmel"):
        raise ValueError(f"{units_dir}: extractor {type(ext).__name__} has no centroid_logmel")
    cfg: Dict[str, Any] = {"type": GRIFFIN_LIM_TYPE, "units_dir": os.path.abspath(units_dir), "n_iter": int(n_iter)}
    manifest = manifest or os.path.join(units_dir, "train.tsv")
    if os.path.isfile(manifest):
        cfg.update(mean_unit_durations(manifest, ext.n_units))
    else:
        cfg["default_duration"] = 2.0
    if durations_from:
        cfg["durations_from"] = os.path.abspath(durations_from)
    if out_path:
        write_json_atomic(out_path, cfg)
    return cfg


class GriffinLimVocoder:
    """Centroid log-mel + Griffin-Lim unit vocoder (no training; see the module docstring).

    Follows Griffin & Lim 1984 / the fast Griffin-Lim of Perraudin et al. 2013 (torchaudio);
    the centroid spectra come from the k-means units (a crude stand-in for a unit HiFi-GAN,
    Polyak et al. 2021).

    Args:
        centroid_logmel: ``(K, n_mels)`` mean natural-log mel frame per unit.
        mel_config: the extractor's :class:`..datasets.units.LogMelConfig`.
        unit_durations: optional ``(K,)`` mean duration per unit in frames (for reduced
            units without durations); None -> ``default_duration`` for every unit.
        duration_model: optional object with ``predict_durations(units) -> (n,)`` and
            ``duration_context`` (a trained :class:`.code_hifigan.CodeHiFiGANUnitVocoder`):
            its context-dependent duration predictor (Lee et al. 2022) replaces the
            per-unit means. On the embedded corpus this matters more than the waveform
            renderer: see the README's vocoder results.
        default_duration: frames per reduced unit when ``unit_durations`` is None (>= 1
            after rounding).
        n_iter: Griffin-Lim iterations (32; more = cleaner phase, slower).

    Attributes:
        sample_rate (16000), hop_size (320), n_units (K), duration_context (0: the mean
        duration of a unit does not depend on its neighbours).

    Raises:
        ValueError: inconsistent shapes, ``n_iter < 1`` or a mel config with
            ``power != 1`` / ``center=False`` (not invertible as implemented).
    """

    kind = GRIFFIN_LIM_TYPE

    def __init__(self, centroid_logmel: Any, mel_config, unit_durations: Optional[Sequence[float]] = None,
                 default_duration: float = 2.0, n_iter: int = 32, duration_model: Any = None):
        import torchaudio

        c = torch.as_tensor(np.asarray(centroid_logmel), dtype=torch.float32)
        if c.dim() != 2 or c.size(1) != mel_config.n_mels:
            raise ValueError(f"centroid_logmel must be (K, {mel_config.n_mels}), got {tuple(c.shape)}")
        if float(mel_config.power) != 1.0 or not mel_config.center:
            raise ValueError("GriffinLimVocoder needs a magnitude (power=1), centred mel config")
        if int(n_iter) < 1:
            raise ValueError(f"n_iter must be >= 1, got {n_iter}")
        self.centroid_logmel = c
        self.mel_config = mel_config
        self.n_units = int(c.size(0))
        if unit_durations is not None:
            d = torch.as_tensor(unit_durations, dtype=torch.float32).view(-1)
            if d.numel() != self.n_units:
                raise ValueError(f"unit_durations has {d.numel()} entries, expected {self.n_units}")
        else:
            d = torch.full((self.n_units,), float(default_duration))
        self.unit_durations = torch.clamp(torch.round(d), min=1).long()
        self.n_iter = int(n_iter)
        self.sample_rate = int(mel_config.sample_rate)
        self.hop_size = int(mel_config.hop_length)
        self.duration_model = duration_model
        if duration_model is not None and duration_model.n_units != self.n_units:
            raise ValueError(f"duration model has {duration_model.n_units} units, the centroids {self.n_units}")
        self.duration_context = int(getattr(duration_model, "duration_context", 0))
        self.has_duration_predictor = True
        self._inv_mel = torchaudio.transforms.InverseMelScale(
            n_stft=mel_config.n_fft // 2 + 1, n_mels=mel_config.n_mels, sample_rate=mel_config.sample_rate,
            f_min=mel_config.f_min, f_max=mel_config.f_max, norm=mel_config.norm, mel_scale=mel_config.mel_scale,
        )
        self._window = torch.hann_window(mel_config.win_length)

    @classmethod
    def from_extractor(cls, extractor, **kwargs) -> "GriffinLimVocoder":
        """Build from a :class:`..datasets.units.KMeansUnitExtractor` (its centroids and mel config)."""
        if not hasattr(extractor, "centroid_logmel"):
            raise ValueError(f"{type(extractor).__name__} has no centroid_logmel")
        return cls(extractor.centroid_logmel, extractor.mel_config, **kwargs)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], base_dir: Optional[str] = None) -> "GriffinLimVocoder":
        """Build from ``{"type": "griffin_lim_centroids", "units_dir", ["n_iter", "unit_durations",
        "default_duration", "durations_from"]}``; without ``unit_durations``, they are computed from
        ``units_dir/train.tsv`` when it exists. ``durations_from`` names a trained CodeHiFiGAN
        (run dir / config) whose duration predictor is used instead. Relative paths are tried
        as given, then relative to ``base_dir``.

        Raises:
            ValueError: no ``units_dir``, or a ``durations_from`` vocoder without a duration
                predictor or with another number of units; FileNotFoundError: no extractor
                or no ``durations_from`` vocoder there.
        """
        from ..datasets.units import load_extractor

        def resolve(path: Any) -> str:
            path = os.path.expanduser(str(path))
            if not os.path.isabs(path) and not os.path.exists(path) and base_dir:
                return os.path.join(base_dir, path)
            return path

        if "units_dir" not in cfg:
            raise ValueError("a griffin_lim_centroids config needs 'units_dir'")
        units_dir = resolve(cfg["units_dir"])
        ext = load_extractor(units_dir)
        durs = cfg.get("unit_durations")
        default = float(cfg.get("default_duration", 2.0))
        if durs is None:
            manifest = os.path.join(units_dir, "train.tsv")
            if os.path.isfile(manifest):
                stats = mean_unit_durations(manifest, ext.n_units)
                durs, default = stats["unit_durations"], stats["default_duration"]
        duration_model = None
        if cfg.get("durations_from"):
            from .code_hifigan import load_vocoder

            src = resolve(cfg["durations_from"])
            duration_model = load_vocoder(src)
            if not getattr(duration_model, "has_duration_predictor", False) or duration_model.kind != "code_hifigan":
                raise ValueError(f"durations_from={src}: not a CodeHiFiGAN with a duration predictor")
        return cls.from_extractor(ext, unit_durations=durs, default_duration=default,
                                  n_iter=int(cfg.get("n_iter", 32)), duration_model=duration_model)

    def predict_durations(self, units: Any) -> torch.Tensor:
        """``(n,)`` int64 durations (frames, >= 1): from the duration model when one is set,
        else the rounded train-set mean of each unit.

        Raises:
            ValueError / TypeError: bad units (see :meth:`synthesize`).
        """
        u = _as_units(units, self.n_units)
        if self.duration_model is not None:
            return self.duration_model.predict_durations(u)
        return self.unit_durations[u].clone()

    def log_mel(self, frames: torch.Tensor) -> torch.Tensor:
        """``(n_frames,)`` 50 Hz unit ids -> ``(n_mels, n_frames)`` centroid log-mel spectrogram."""
        return self.centroid_logmel[frames].t().contiguous()

    def synthesize(self, units: Any, dur_prediction: bool = False, durations: Optional[Any] = None) -> torch.Tensor:
        """Synthesize a waveform.

        Args:
            units: ``(n,)`` integer ids in ``[0, K)``: 50 Hz frames, or reduced units when
                ``dur_prediction`` or ``durations`` is given.
            dur_prediction: expand reduced units with :meth:`predict_durations`.
            durations: ``(n,)`` run-lengths in frames (overrides ``dur_prediction``).

        Returns:
            ``(320 * n_frames,)`` float32 waveform at 16 kHz (deterministic: zero initial
            phase).

        Raises:
            ValueError: units not 1-D / empty / out of range, durations mismatch.
            TypeError: non-integer units.
        """
        u = _as_units(units, self.n_units)
        if durations is not None:
            frames = expand_with_durations(u, durations)
        elif dur_prediction:
            frames = expand_with_durations(u, self.predict_durations(u))
        else:
            frames = u
        return self._frames_to_wave(frames)

    __call__ = synthesize

    def _frames_to_wave(self, frames: torch.Tensor) -> torch.Tensor:
        import torchaudio.functional as AF

        cfg = self.mel_config
        n_out = frames.numel()
        hop = self.hop_size
        # Griffin-Lim's centred STFT reflect-pads n_fft // 2 samples: a chunk must be longer
        # than that (e.g. a 1-frame streaming chunk is not); repeat the last frame, cut below
        n_min = cfg.n_fft // (2 * hop) + 1
        if n_out < n_min:
            frames = torch.cat([frames, frames[-1:].expand(n_min - n_out)])
        n = frames.numel()
        mel = torch.exp(self.log_mel(frames))  # (n_mels, n)
        with torch.no_grad():
            spec = self._inv_mel(mel)  # (n_stft, n)
            # one repeated frame at the end so the centred STFT spans hop * n samples
            # (n + 1 centred frames <-> hop * n samples); frame t sits at sample t * hop
            spec = torch.cat([spec, spec[:, -1:]], dim=1)
            wav = AF.griffinlim(spec, self._window, cfg.n_fft, hop, cfg.win_length, 1.0, self.n_iter, 0.99,
                                length=hop * n, rand_init=False)
        wav = torch.nn.functional.pad(wav, (hop // 2, 0))[: hop * n_out]  # centre frame t on 320 t + 160
        return wav.clamp(-1.0, 1.0).float().contiguous()

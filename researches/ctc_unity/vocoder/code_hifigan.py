"""Load and run fairseq-format CodeHiFiGAN unit vocoders; :func:`load_vocoder` for every kind.

A CodeHiFiGAN vocoder (HiFi-GAN generator conditioned on unit embeddings:
speech-resynthesis, Polyak et al. 2021; with a unit duration predictor for reduced units:
Lee et al. 2022, "Direct speech-to-speech translation with discrete units") is stored as
the fairseq / speech-resynthesis release format:

* ``config.json`` -- the generator hyper-parameters read by
  ``fairseq.models.text_to_speech.codehifigan.CodeGenerator`` (``upsample_rates``,
  ``upsample_kernel_sizes``, ``upsample_initial_channel``, ``resblock_kernel_sizes``,
  ``resblock_dilation_sizes``, ``num_embeddings``, ``embedding_dim``, ``model_in_dim``,
  optional ``dur_predictor_params``; extra training keys are ignored);
* a checkpoint file holding ``{"generator": state_dict}`` (weight-normed parameters).

Loading goes through fairseq's own ``CodeHiFiGANVocoder`` (which ``torch.load`` s the
checkpoint, loads the state dict and removes weight norm), so a checkpoint that works
here also works in fairseq's S2UT generation (``--vocoder code_hifigan``) and vice versa.

Units: 50 Hz frames -> ``prod(upsample_rates)`` (= 320) samples per frame at 16 kHz.
"""

from __future__ import annotations

import glob
import json
import logging
import math
import os
from typing import Any, Dict, Mapping, Optional, Union

import torch

from ..datasets.audio_io import SAMPLE_RATE

logger = logging.getLogger(__name__)

CONFIG_NAME = "config.json"
#: File names tried, in order, when :func:`load_vocoder` is given a directory.
CHECKPOINT_NAMES = ("checkpoint_best.pt", "checkpoint_last.pt", "checkpoint.pt", "model.pt")

#: ``config.json`` keys that define the generator's architecture (must match a checkpoint).
ARCH_KEYS = (
    "upsample_rates", "upsample_kernel_sizes", "upsample_initial_channel", "resblock_kernel_sizes",
    "resblock_dilation_sizes", "num_embeddings", "embedding_dim", "model_in_dim", "dur_predictor_params",
    "multispkr", "num_speakers", "embedder_params", "f0", "f0_quant_num_bin",
)

PathLike = Union[str, "os.PathLike[str]"]


# ------------------------------------------------------------------------ config helpers


def validate_generator_config(cfg: Mapping[str, Any]) -> None:
    """Check a CodeHiFiGAN config for the mistakes fairseq would only report obscurely.

    The config is the speech-resynthesis / fairseq ``CodeGenerator`` one (Polyak et al. 2021;
    Lee et al. 2022 for ``dur_predictor_params``).

    Raises:
        ValueError: a required key is missing; ``upsample_rates`` / ``upsample_kernel_sizes``
            differ in length or have ``(kernel - rate)`` odd (output would not be exactly
            ``rate`` x longer); a dilation list does not have 3 entries (fairseq's
            ``ResBlock`` uses exactly 3); ``model_in_dim != embedding_dim`` without f0 /
            speaker inputs; ``upsample_initial_channel`` not divisible by
            ``2 ** len(upsample_rates)``; duration predictor with ``var_pred_kernel_size != 3``
            (fairseq's ``VariancePredictor`` pads its second conv by 1) or
            ``encoder_embed_dim != embedding_dim``.
    """
    required = ("upsample_rates", "upsample_kernel_sizes", "upsample_initial_channel", "resblock_kernel_sizes",
                "resblock_dilation_sizes", "num_embeddings", "embedding_dim")
    missing = [k for k in required if k not in cfg]
    if missing:
        raise ValueError(f"vocoder config lacks {missing}")
    rates, kernels = list(cfg["upsample_rates"]), list(cfg["upsample_kernel_sizes"])
    if len(rates) != len(kernels) or not rates:
        raise ValueError(f"upsample_rates {rates} and upsample_kernel_sizes {kernels} differ in length")
    for u, k in zip(rates, kernels):
        if k < u or (k - u) % 2:
            raise ValueError(f"upsample kernel {k} with rate {u}: need kernel >= rate and (kernel - rate) even")
    if len(cfg["resblock_kernel_sizes"]) != len(cfg["resblock_dilation_sizes"]):
        raise ValueError("resblock_kernel_sizes and resblock_dilation_sizes differ in length")
    for d in cfg["resblock_dilation_sizes"]:
        if len(d) != 3:
            raise ValueError(f"each resblock dilation list needs 3 entries (fairseq ResBlock), got {d}")
    if int(cfg["upsample_initial_channel"]) % (2 ** len(rates)):
        raise ValueError("upsample_initial_channel must be divisible by 2 ** len(upsample_rates)")
    extra_inputs = cfg.get("f0") or cfg.get("multispkr") or cfg.get("embedder_params")
    if not extra_inputs and int(cfg.get("model_in_dim", 80)) != int(cfg["embedding_dim"]):
        raise ValueError(
            f"model_in_dim ({cfg.get('model_in_dim', 80)}) must equal embedding_dim ({cfg['embedding_dim']}) "
            "for a unit-only CodeHiFiGAN"
        )
    dp = cfg.get("dur_predictor_params")
    if dp:
        if int(dp.get("var_pred_kernel_size", 3)) != 3:
            raise ValueError("dur_predictor_params.var_pred_kernel_size must be 3 (fairseq VariancePredictor)")
        if int(dp.get("encoder_embed_dim", -1)) != int(cfg["embedding_dim"]):
            raise ValueError("dur_predictor_params.encoder_embed_dim must equal embedding_dim")


def hop_size(cfg: Mapping[str, Any]) -> int:
    """Output samples per input unit frame: ``prod(upsample_rates)`` (320 for 50 Hz -> 16 kHz)."""
    return int(math.prod(int(u) for u in cfg["upsample_rates"]))


def build_generator(cfg: Mapping[str, Any]) -> torch.nn.Module:
    """A fresh (randomly initialised, weight-normed) fairseq ``CodeGenerator`` for ``cfg``.

    HiFi-GAN generator (Kong et al. 2020) fed with unit embeddings (speech-resynthesis,
    Polyak et al. 2021) plus an optional duration predictor (Lee et al. 2022). Input
    ``code`` ``(B, n_frames)`` long -> output ``(B, 1, hop_size * n_frames)`` in [-1, 1].

    Raises:
        ValueError: see :func:`validate_generator_config`.
    """
    validate_generator_config(cfg)
    from fairseq.models.text_to_speech.codehifigan import CodeGenerator

    return CodeGenerator(dict(cfg))


def find_checkpoint(directory: PathLike) -> str:
    """The generator checkpoint in a vocoder directory.

    Tries :data:`CHECKPOINT_NAMES` in order, then the newest ``g_*`` file
    (speech-resynthesis naming).

    Raises:
        FileNotFoundError: none found (the message lists what was tried).
    """
    directory = os.fspath(directory)
    for name in CHECKPOINT_NAMES:
        p = os.path.join(directory, name)
        if os.path.isfile(p):
            return p
    gs = sorted(glob.glob(os.path.join(directory, "g_*")))
    if gs:
        return gs[-1]
    raise FileNotFoundError(f"no vocoder checkpoint in {directory} (tried {', '.join(CHECKPOINT_NAMES)}, g_*)")


def _as_units(units: Any, n_units: int, what: str = "units") -> torch.Tensor:
    """Validate unit ids and return a contiguous 1-D int64 CPU tensor."""
    t = units if isinstance(units, torch.Tensor) else torch.as_tensor(units)
    if t.dim() == 2 and t.size(0) == 1:
        t = t[0]
    if t.dim() != 1:
        raise ValueError(f"{what} must be 1-D (n,), got shape {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{what} is empty")
    if t.is_floating_point() or t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"{what} must be integer unit ids, got dtype {t.dtype}")
    t = t.detach().to("cpu", torch.long).contiguous()
    lo, hi = int(t.min()), int(t.max())
    if lo < 0 or hi >= n_units:
        raise ValueError(f"{what} must lie in [0, {n_units}), got values in [{lo}, {hi}]")
    return t


def expand_with_durations(units: torch.Tensor, durations: Any) -> torch.Tensor:
    """Repeat ``units[i]`` ``durations[i]`` times: ``(n,)`` + ``(n,)`` -> ``(sum(durations),)``.

    Reduced units -> 50 Hz frames, the length regulation of Lee et al. 2022.

    Raises:
        ValueError: lengths differ or a duration is < 1.
    """
    d = torch.as_tensor(durations).to("cpu", torch.long).view(-1)
    if d.numel() != units.numel():
        raise ValueError(f"{units.numel()} units but {d.numel()} durations")
    if d.numel() and int(d.min()) < 1:
        raise ValueError("durations must be >= 1 frame")
    return torch.repeat_interleave(units, d)


# ------------------------------------------------------------------------------ vocoder


class CodeHiFiGANUnitVocoder:
    """Unit -> waveform synthesis with a fairseq ``CodeHiFiGANVocoder``.

    The unit HiFi-GAN of speech-resynthesis (Polyak et al. 2021) with the duration predictor
    of Lee et al. 2022 ("Direct speech-to-speech translation with discrete units").

    Args:
        vocoder: a loaded ``fairseq.models.text_to_speech.vocoder.CodeHiFiGANVocoder``.
        config: its config dict.
        device: torch device it runs on.

    Attributes:
        sample_rate: 16000. hop_size: samples per 50 Hz frame (320). n_units: K.
        has_duration_predictor: whether reduced units can be synthesized.
        duration_context: units of left / right context the duration predictor sees (2 for
            fairseq's two kernel-3 convs; used by :class:`.streaming.StreamingVocoder`).
    """

    kind = "code_hifigan"

    def __init__(self, vocoder: torch.nn.Module, config: Mapping[str, Any], device: str = "cpu"):
        self.vocoder = vocoder
        self.config = dict(config)
        self.device = torch.device(device)
        self.sample_rate = int(config.get("sampling_rate", SAMPLE_RATE))
        self.hop_size = hop_size(config)
        self.n_units = int(config["num_embeddings"])
        self.has_duration_predictor = getattr(vocoder.model, "dur_predictor", None) is not None
        self.duration_context = 2 if self.has_duration_predictor else 0

    @property
    def generator(self) -> torch.nn.Module:
        """The underlying fairseq ``CodeGenerator`` (weight norm removed, eval mode)."""
        return self.vocoder.model

    def predict_durations(self, units: Any) -> torch.Tensor:
        """Durations the duration predictor assigns to reduced units.

        Same formula as fairseq's ``CodeGenerator.forward(dur_prediction=True)``:
        ``clamp(round(exp(log_d) - 1), min=1)``.

        Args:
            units: ``(n,)`` integer unit ids in ``[0, n_units)`` (reduced: no consecutive
                repeats expected, though not required).

        Returns:
            ``(n,)`` int64 CPU tensor of durations in 50 Hz frames (>= 1).

        Raises:
            ValueError: bad units, or the model has no duration predictor.
            TypeError: non-integer units.
        """
        u = _as_units(units, self.n_units)
        if not self.has_duration_predictor:
            raise ValueError("this vocoder has no duration predictor (config lacks dur_predictor_params)")
        g = self.generator
        with torch.inference_mode():
            emb = g.dict(u.view(1, -1).to(self.device))
            log_d = g.dur_predictor(emb)
            d = torch.clamp(torch.round(torch.exp(log_d) - 1).long(), min=1)
        return d.view(-1).cpu()

    def synthesize(self, units: Any, dur_prediction: bool = False, durations: Optional[Any] = None) -> torch.Tensor:
        """Synthesize a waveform.

        Args:
            units: ``(n,)`` integer unit ids in ``[0, n_units)`` (LongTensor, array or list).
                With ``dur_prediction=False`` and no ``durations`` they are 50 Hz frames.
            dur_prediction: ``units`` are reduced units; their durations come from the
                duration predictor (Lee et al. 2022), via fairseq's ``CodeGenerator``.
            durations: optional ``(n,)`` run-lengths in frames for reduced ``units``
                (overrides ``dur_prediction``).

        Returns:
            ``(hop_size * n_frames,)`` float32 CPU waveform at 16 kHz, where ``n_frames`` is
            ``n`` (50 Hz units), ``sum(durations)``, or the sum of the predicted durations.

        Raises:
            ValueError: units not 1-D / empty / out of range; durations of another length
                or < 1; ``dur_prediction`` without a duration predictor.
            TypeError: non-integer units.
        """
        u = _as_units(units, self.n_units)
        if durations is not None:
            u, dur_prediction = expand_with_durations(u, durations), False
        if dur_prediction and not self.has_duration_predictor:
            raise ValueError("dur_prediction=True but this vocoder has no duration predictor")
        with torch.inference_mode():
            wav = self.vocoder({"code": u.view(1, -1).to(self.device)}, dur_prediction=bool(dur_prediction))
        return wav.reshape(-1).float().cpu()

    __call__ = synthesize


def load_code_hifigan(config: Mapping[str, Any], checkpoint: PathLike, device: str = "cpu") -> CodeHiFiGANUnitVocoder:
    """Build fairseq's ``CodeHiFiGANVocoder(checkpoint, config)`` and wrap it.

    Args:
        config: CodeHiFiGAN config dict (speech-resynthesis / Lee et al. 2022 format).
        checkpoint: ``{"generator": state_dict}`` file.
        device: torch device.

    Returns:
        :class:`CodeHiFiGANUnitVocoder`.

    Raises:
        FileNotFoundError: checkpoint missing.
        ValueError: invalid config (see :func:`validate_generator_config`).
        RuntimeError: the checkpoint's state dict does not fit the config.
    """
    checkpoint = os.fspath(checkpoint)
    if not os.path.isfile(checkpoint):
        raise FileNotFoundError(f"vocoder checkpoint not found: {checkpoint}")
    validate_generator_config(config)
    from .. import compat

    compat.apply()  # fairseq checkpoints may pickle argparse.Namespace (torch >= 2.6 weights_only)
    from fairseq.models.text_to_speech.vocoder import CodeHiFiGANVocoder

    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # fairseq prints "Removing weight norm..."
        voc = CodeHiFiGANVocoder(checkpoint, dict(config))
    voc = voc.to(device).eval()
    return CodeHiFiGANUnitVocoder(voc, config, device)


def _read_json(path: str) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        obj = json.load(fh)
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return obj


def load_vocoder(config_or_dir: Union[PathLike, Mapping[str, Any]], checkpoint: Optional[PathLike] = None,
                 device: str = "cpu"):
    """Load any EchoStream unit vocoder.

    CodeHiFiGAN (speech-resynthesis, Polyak et al. 2021; duration predictor: Lee et al.
    2022) or the Griffin-Lim centroid fallback (:mod:`.griffin_lim`).

    Args:
        config_or_dir: one of

            * a directory with ``config.json`` and a checkpoint (see :func:`find_checkpoint`),
              e.g. a ``train_vocoder.sh`` run directory;
            * a ``config.json`` path (checkpoint: ``checkpoint`` argument, else the config's
              ``"checkpoint"`` entry, else found beside it);
            * a dict: a CodeHiFiGAN config, or ``{"type": "code_hifigan", "config": path,
              "checkpoint": path}`` (the data-config ``vocoder:`` section), or
              ``{"type": "griffin_lim_centroids", "units_dir": ...}`` (see
              :mod:`.griffin_lim`).
        checkpoint: generator checkpoint (``{"generator": state_dict}``).
        device: torch device.

    Returns:
        an object with ``synthesize(units (n,), dur_prediction: bool) -> (samples,)`` float32
        at 16 kHz, ``predict_durations(units) -> (n,)`` frames, ``hop_size`` (320),
        ``sample_rate``, ``n_units`` and ``duration_context``:
        :class:`CodeHiFiGANUnitVocoder` or :class:`.griffin_lim.GriffinLimVocoder`.

    Raises:
        FileNotFoundError: config / checkpoint / units directory missing.
        ValueError: unknown ``type`` or invalid config.
    """
    base_dir = None
    if isinstance(config_or_dir, Mapping):
        cfg = dict(config_or_dir)
    else:
        path = os.fspath(config_or_dir)
        if os.path.isdir(path):
            base_dir = path
            cfg_path = os.path.join(path, CONFIG_NAME)
            if not os.path.isfile(cfg_path):
                raise FileNotFoundError(f"{path}: no {CONFIG_NAME}")
            cfg = _read_json(cfg_path)
            if checkpoint is None and cfg.get("type", "code_hifigan") == "code_hifigan" and "checkpoint" not in cfg:
                checkpoint = find_checkpoint(path)
        elif os.path.isfile(path):
            base_dir = os.path.dirname(os.path.abspath(path))
            cfg = _read_json(path)
        else:
            raise FileNotFoundError(f"vocoder config not found: {path}")

    def resolve(p: PathLike) -> str:
        p = os.path.expanduser(os.fspath(p))
        if not os.path.isabs(p) and base_dir is not None and not os.path.exists(p):
            cand = os.path.join(base_dir, p)
            if os.path.exists(cand):
                return cand
        return p

    kind = cfg.get("type", "code_hifigan")
    if kind == "griffin_lim_centroids":
        from .griffin_lim import GriffinLimVocoder

        return GriffinLimVocoder.from_config(cfg, base_dir=base_dir)
    if kind != "code_hifigan":
        raise ValueError(f"unknown vocoder type {kind!r} (expected 'code_hifigan' or 'griffin_lim_centroids')")
    if "upsample_rates" not in cfg and "config" in cfg:  # data-config style {type, config, checkpoint}
        if checkpoint is None and "checkpoint" in cfg:
            checkpoint = resolve(cfg["checkpoint"])
        cfg_path = resolve(cfg["config"])
        if not os.path.isfile(cfg_path):
            raise FileNotFoundError(f"vocoder config not found: {cfg_path}")
        base_dir = os.path.dirname(os.path.abspath(cfg_path))
        cfg = _read_json(cfg_path)
    if checkpoint is None and "checkpoint" in cfg:
        checkpoint = resolve(cfg["checkpoint"])
    if checkpoint is None:
        if base_dir is None:
            raise ValueError("a CodeHiFiGAN config dict needs a checkpoint")
        checkpoint = find_checkpoint(base_dir)
    return load_code_hifigan(cfg, checkpoint, device)


def export_vocoder(run_dir: PathLike, out_dir: PathLike, which: str = "best") -> Dict[str, str]:
    """Copy a trained vocoder into the layout a fairseq data config names.

    Writes ``out_dir/checkpoint.pt`` (``{"generator": state_dict}`` only) and
    ``out_dir/config.json``, atomically -- e.g. ``out_dir = <data>/vocoder`` for the
    ``vocoder: {type: code_hifigan, checkpoint: vocoder/checkpoint.pt, config:
    vocoder/config.json}`` section of ``config_gcmvn.yaml``.

    Args:
        run_dir: a training run directory (``config.json``, ``checkpoint_{best,last}.pt``).
        out_dir: destination (created).
        which: ``"best"`` or ``"last"``.

    Returns:
        ``{"checkpoint": path, "config": path}``.

    Raises:
        FileNotFoundError: missing checkpoint or config. ValueError: bad ``which``.
    """
    from ..datasets.atomic import atomic_open, write_json_atomic

    if which not in ("best", "last"):
        raise ValueError(f"which must be 'best' or 'last', got {which!r}")
    run_dir, out_dir = os.fspath(run_dir), os.fspath(out_dir)
    src = os.path.join(run_dir, f"checkpoint_{which}.pt")
    cfg_path = os.path.join(run_dir, CONFIG_NAME)
    for p in (src, cfg_path):
        if not os.path.isfile(p):
            raise FileNotFoundError(f"not found: {p}")
    state = torch.load(src, map_location="cpu", weights_only=True)
    os.makedirs(out_dir, exist_ok=True)
    out_ckpt, out_cfg = os.path.join(out_dir, "checkpoint.pt"), os.path.join(out_dir, CONFIG_NAME)
    with atomic_open(out_ckpt, "wb") as fh:
        torch.save({"generator": state["generator"]}, fh)
    write_json_atomic(out_cfg, _read_json(cfg_path))
    return {"checkpoint": out_ckpt, "config": out_cfg}

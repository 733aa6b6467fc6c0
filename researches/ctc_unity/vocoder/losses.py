"""Unit-vocoder training losses.

As in HiFi-GAN (Kong et al. 2020, sec. 2.3) and speech-resynthesis (Polyak et al. 2021):

* least-squares GAN (LSGAN) losses: :func:`discriminator_loss`, :func:`generator_adversarial_loss`;
* :func:`feature_matching_loss` (L1 between discriminator feature maps of real and fake);
* :class:`MelL1Loss` (L1 between log-mel spectrograms; weight 45 in the papers);
* :func:`duration_loss`: MSE between predicted log durations and ``log(d + 1)`` of the true
  run-lengths in frames (the duration predictor of Lee et al. 2022, "Direct
  speech-to-speech translation with discrete units", trained as in speech-resynthesis;
  fairseq's ``CodeGenerator`` inverts it with ``round(exp(x) - 1)`` at inference).

Score / feature-map lists are those returned by :mod:`.discriminators`.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..datasets.audio_io import SAMPLE_RATE


def discriminator_loss(real_scores: Sequence[torch.Tensor], fake_scores: Sequence[torch.Tensor]) -> torch.Tensor:
    """LSGAN discriminator loss ``sum_k mean((1 - D_k(x))^2) + mean(D_k(G(s))^2)``.

    Follows HiFi-GAN (Kong et al. 2020) eq. 1 (least-squares GAN, Mao et al. 2017), summed
    over the MPD / MSD sub-discriminators ``k``.

    Args:
        real_scores, fake_scores: one ``(B, n_k)`` tensor per sub-discriminator ``k``.

    Returns:
        scalar tensor.

    Raises:
        ValueError: the two lists differ in length or are empty.
    """
    if len(real_scores) != len(fake_scores) or not real_scores:
        raise ValueError(f"got {len(real_scores)} real and {len(fake_scores)} fake score tensors")
    loss = real_scores[0].new_zeros(())
    for r, g in zip(real_scores, fake_scores):
        loss = loss + torch.mean((1.0 - r) ** 2) + torch.mean(g**2)
    return loss


def generator_adversarial_loss(fake_scores: Sequence[torch.Tensor]) -> torch.Tensor:
    """LSGAN generator loss ``sum_k mean((1 - D_k(G(s)))^2)`` (HiFi-GAN, Kong et al. 2020, eq. 1).

    Args:
        fake_scores: one ``(B, n_k)`` tensor per sub-discriminator.

    Returns:
        scalar tensor.

    Raises:
        ValueError: empty list.
    """
    if not fake_scores:
        raise ValueError("no fake scores")
    loss = fake_scores[0].new_zeros(())
    for g in fake_scores:
        loss = loss + torch.mean((1.0 - g) ** 2)
    return loss


def feature_matching_loss(real_fmaps: Sequence[Sequence[torch.Tensor]], fake_fmaps: Sequence[Sequence[torch.Tensor]]) -> torch.Tensor:
    """Feature-matching loss ``sum_k sum_l mean|D_k^l(x) - D_k^l(G(s))|`` (HiFi-GAN eq. 3).

    The real feature maps are detached (they are targets). HiFi-GAN multiplies this sum by
    2; here that factor is the training weight ``lambda_fm`` (default 2).

    Args:
        real_fmaps, fake_fmaps: per sub-discriminator, the list of feature maps (same shapes).

    Returns:
        scalar tensor.

    Raises:
        ValueError: the structures differ.
    """
    if len(real_fmaps) != len(fake_fmaps) or not real_fmaps:
        raise ValueError("real and fake feature-map lists differ in length (or are empty)")
    loss = None
    for rs, gs in zip(real_fmaps, fake_fmaps):
        if len(rs) != len(gs):
            raise ValueError("a sub-discriminator returned different numbers of real and fake maps")
        for r, g in zip(rs, gs):
            term = torch.mean(torch.abs(r.detach() - g))
            loss = term if loss is None else loss + term
    return loss


class MelL1Loss(nn.Module):
    """L1 distance between log-mel spectrograms of two waveforms (HiFi-GAN, Kong et al. 2020, eq. 2;
    weighted x45 there and in speech-resynthesis, Polyak et al. 2021).

    ``log(clamp(mel(x), 1e-5))`` with a magnitude (``power=1``) mel spectrogram, Hann
    window, reflect-padded centred frames.

    Args:
        sample_rate: Hz (16000).
        n_fft, win_length, hop_length: STFT parameters in samples (speech-resynthesis 16 kHz
            configs: 1024 / 1024 / 256).
        n_mels, f_min, f_max: mel filterbank (80 bands over 0..8000 Hz).
        norm, mel_scale: torchaudio filterbank options (``"slaney"``/``"slaney"`` = librosa's
            default filterbank, which HiFi-GAN uses).
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, n_fft: int = 1024, win_length: int = 1024, hop_length: int = 256,
                 n_mels: int = 80, f_min: float = 0.0, f_max: Optional[float] = 8000.0,
                 norm: Optional[str] = "slaney", mel_scale: str = "slaney"):
        super().__init__()
        import torchaudio

        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate, n_fft=n_fft, win_length=win_length, hop_length=hop_length,
            f_min=f_min, f_max=f_max, n_mels=n_mels, power=1.0, center=True, pad_mode="reflect",
            norm=norm, mel_scale=mel_scale,
        )

    def log_mel(self, wav: torch.Tensor) -> torch.Tensor:
        """``(B, 1, T)`` or ``(B, T)`` waveform -> ``(B, n_mels, T // hop + 1)`` natural-log mel."""
        if wav.dim() == 3:
            wav = wav.squeeze(1)
        return torch.log(torch.clamp(self.mel(wav), min=1e-5))

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Mean absolute log-mel difference (scalar).

        Args:
            fake, real: waveforms ``(B, 1, T)`` or ``(B, T)``, same shape, 16 kHz.

        Raises:
            ValueError: shapes differ.
        """
        if fake.shape != real.shape:
            raise ValueError(f"fake {tuple(fake.shape)} and real {tuple(real.shape)} waveforms differ in shape")
        return F.l1_loss(self.log_mel(fake), self.log_mel(real))


def duration_targets(durations: torch.Tensor) -> torch.Tensor:
    """``log(d + 1)`` (float, same shape) of integer run-lengths ``d`` in 50 Hz frames.

    The duration-predictor target of speech-resynthesis / Lee et al. 2022 (inverted by
    fairseq's ``CodeGenerator`` as ``round(exp(x) - 1)``, clamped to >= 1).
    """
    return torch.log(durations.float() + 1.0)


def duration_loss(log_dur_pred: torch.Tensor, durations: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """MSE between predicted log durations and ``log(durations + 1)`` over valid positions.

    The duration loss of the unit vocoder of Lee et al. 2022 (weight 1, as in
    speech-resynthesis' duration-predictor training).

    Args:
        log_dur_pred: ``(B, N)`` or ``(N,)`` predictor outputs.
        durations: same shape, integer run-lengths in 50 Hz frames (>= 1 where valid).
        mask: optional bool tensor of the same shape, True at valid (non-padding) units.

    Returns:
        scalar tensor (0 if no valid position).

    Raises:
        ValueError: shape mismatch.
    """
    if log_dur_pred.shape != durations.shape or (mask is not None and mask.shape != durations.shape):
        raise ValueError(f"shapes differ: pred {tuple(log_dur_pred.shape)}, durations {tuple(durations.shape)}")
    target = duration_targets(durations)
    if mask is None:
        return F.mse_loss(log_dur_pred, target)
    if not bool(mask.any()):
        return log_dur_pred.new_zeros(())
    return F.mse_loss(log_dur_pred[mask], target[mask])


def predict_log_durations(generator: nn.Module, reduced: Sequence[torch.Tensor]) -> List[torch.Tensor]:
    """Run a ``CodeGenerator``'s duration predictor on each reduced-unit sequence separately.

    The predictor (fairseq ``VariancePredictor``: two kernel-3 conv + LayerNorm layers on the
    unit embedding) is the one of Lee et al. 2022 / speech-resynthesis.

    Sequences are processed one by one (no padding), exactly as at inference time, where
    fairseq's ``CodeGenerator`` predicts durations for a single unpadded sequence.

    Args:
        generator: fairseq ``CodeGenerator`` with ``dur_predictor`` (``dict`` = unit embedding).
        reduced: list of ``(N_i,)`` LongTensors of unit ids.

    Returns:
        list of ``(N_i,)`` float tensors: predicted ``log(d + 1)``.

    Raises:
        ValueError: the generator has no duration predictor.
    """
    if getattr(generator, "dur_predictor", None) is None:
        raise ValueError("generator has no duration predictor (config lacks dur_predictor_params)")
    out = []
    for units in reduced:
        emb = generator.dict(units.view(1, -1))  # (1, N, C)
        out.append(generator.dur_predictor(emb).view(-1))
    return out

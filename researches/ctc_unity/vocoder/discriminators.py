"""HiFi-GAN discriminators (Kong et al. 2020, "HiFi-GAN: Generative Adversarial Networks
for Efficient and High Fidelity Speech Synthesis"), as used by speech-resynthesis
(Polyak et al. 2021) and the unit vocoder of Lee et al. 2022.

* :class:`MultiPeriodDiscriminator` (MPD): one 2-D conv stack per period ``p`` (default
  2, 3, 5, 7, 11) that looks at the waveform folded into ``(T / p, p)``.
* :class:`MultiScaleDiscriminator` (MSD): three 1-D conv stacks (MelGAN style) on the raw
  waveform and on 2x / 4x average-pooled copies; the first uses spectral norm, the
  others weight norm.

The architectures are the paper's; only the channel widths are configurable so that a
CPU-sized discriminator can be trained (the paper widths are the defaults).

Every discriminator's ``forward(real, fake)`` takes two waveforms of shape
``(batch, 1, samples)`` (16 kHz) and returns ``(real_scores, fake_scores, real_fmaps,
fake_fmaps)``: lists (one entry per sub-discriminator) of score tensors ``(batch, n)``
and of lists of intermediate feature maps (used by the feature-matching loss).
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm, weight_norm

LRELU_SLOPE = 0.1

#: Paper widths of one period discriminator (HiFi-GAN Table / appendix).
MPD_CHANNELS = (32, 128, 512, 1024, 1024)
#: Paper widths and groups of one scale discriminator (MelGAN / HiFi-GAN).
MSD_CHANNELS = (128, 128, 256, 512, 1024, 1024, 1024)
MSD_GROUPS = (1, 4, 16, 16, 16, 16, 1)
_MSD_KERNELS = (15, 41, 41, 41, 41, 41, 5)
_MSD_STRIDES = (1, 2, 2, 4, 4, 1, 1)

Outputs = Tuple[List[torch.Tensor], List[torch.Tensor], List[List[torch.Tensor]], List[List[torch.Tensor]]]


def _check_wave(x: torch.Tensor, name: str) -> None:
    if x.dim() != 3 or x.size(1) != 1:
        raise ValueError(f"{name} must have shape (batch, 1, samples), got {tuple(x.shape)}")


def _conv_stack(convs, conv_post, x: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
    """Leaky-ReLU conv stack + output conv of a HiFi-GAN sub-discriminator.

    Returns the flattened scores ``(B, n)`` and every layer's feature map.
    """
    fmaps = []
    for conv in convs:
        x = F.leaky_relu(conv(x), LRELU_SLOPE)
        fmaps.append(x)
    x = conv_post(x)
    fmaps.append(x)
    return torch.flatten(x, 1, -1), fmaps


class PeriodDiscriminator(nn.Module):
    """One MPD sub-discriminator (HiFi-GAN, Kong et al. 2020, sec. 2.2).

    The waveform ``(B, 1, T)`` is right-padded (reflect) to a multiple of ``period`` and
    reshaped to ``(B, 1, T / period, period)``; 2-D convs with kernel ``(5, 1)`` and
    stride ``(3, 1)`` (the last one stride 1) then process each phase column
    independently, followed by a ``(3, 1)`` output conv. Weight norm on every conv.

    Args:
        period: the period ``p`` (>= 1).
        channels: output channels of the 5 conv layers (paper: 32, 128, 512, 1024, 1024).

    Raises:
        ValueError: ``period < 1`` or not 5 channel entries.
    """

    def __init__(self, period: int, channels: Sequence[int] = MPD_CHANNELS, kernel_size: int = 5, stride: int = 3):
        super().__init__()
        if int(period) < 1:
            raise ValueError(f"period must be >= 1, got {period}")
        if len(channels) != 5:
            raise ValueError(f"MPD needs 5 channel widths, got {list(channels)}")
        self.period = int(period)
        pad = (kernel_size - 1) // 2
        ins = [1] + list(channels[:-1])
        strides = [stride, stride, stride, stride, 1]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(ci, co, (kernel_size, 1), (s, 1), padding=(pad, 0)))
            for ci, co, s in zip(ins, channels, strides)
        )
        self.conv_post = weight_norm(nn.Conv2d(channels[-1], 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """Score one waveform batch.

        Args:
            x: ``(B, 1, T)`` waveform.

        Returns:
            ``(scores (B, n), feature maps)`` where each feature map is ``(B, C, T', p)``.
        """
        b, c, t = x.shape
        if t % self.period:
            n_pad = self.period - t % self.period
            mode = "reflect" if t > n_pad else "constant"
            x = F.pad(x, (0, n_pad), mode=mode)
            t = t + n_pad
        x = x.view(b, c, t // self.period, self.period)
        return _conv_stack(self.convs, self.conv_post, x)


class MultiPeriodDiscriminator(nn.Module):
    """HiFi-GAN multi-period discriminator: one :class:`PeriodDiscriminator` per period.

    Args:
        periods: periods (paper: 2, 3, 5, 7, 11 -- primes, so the sub-discriminators see
            different phase structures).
        channels: the 5 conv widths shared by every sub-discriminator.

    Raises:
        ValueError: no period, or see :class:`PeriodDiscriminator`.
    """

    def __init__(self, periods: Sequence[int] = (2, 3, 5, 7, 11), channels: Sequence[int] = MPD_CHANNELS):
        super().__init__()
        if not periods:
            raise ValueError("MultiPeriodDiscriminator needs at least one period")
        self.discriminators = nn.ModuleList(PeriodDiscriminator(p, channels) for p in periods)

    def forward(self, real: torch.Tensor, fake: torch.Tensor) -> Outputs:
        """Score real and generated waveforms ``(B, 1, T)`` (16 kHz); see the module docstring.

        Raises:
            ValueError: inputs not shaped ``(B, 1, T)``.
        """
        _check_wave(real, "real")
        _check_wave(fake, "fake")
        return _run_pairs(self.discriminators, real, fake, [None] * len(self.discriminators))


class ScaleDiscriminator(nn.Module):
    """One MSD sub-discriminator (MelGAN, Kumar et al. 2019; used by HiFi-GAN sec. 2.2).

    Seven strided / grouped 1-D convs (kernels 15, 41x5, 5; strides 1, 2, 2, 4, 4, 1, 1)
    with leaky ReLU, then a kernel-3 output conv.

    Args:
        channels: the 7 conv widths (paper: 128, 128, 256, 512, 1024, 1024, 1024).
        groups: conv groups per layer (paper: 1, 4, 16, 16, 16, 16, 1); each must divide
            both the layer's input and output width.
        use_spectral_norm: spectral norm instead of weight norm (HiFi-GAN: first scale).

    Raises:
        ValueError: wrong number of widths/groups, or a group count that does not divide
            its layer's widths.
    """

    def __init__(self, channels: Sequence[int] = MSD_CHANNELS, groups: Sequence[int] = MSD_GROUPS,
                 use_spectral_norm: bool = False):
        super().__init__()
        if len(channels) != 7 or len(groups) != 7:
            raise ValueError(f"MSD needs 7 widths and 7 groups, got {list(channels)} / {list(groups)}")
        norm = spectral_norm if use_spectral_norm else weight_norm
        ins = [1] + list(channels[:-1])
        convs = []
        for ci, co, k, s, g in zip(ins, channels, _MSD_KERNELS, _MSD_STRIDES, groups):
            if ci % g or co % g:
                raise ValueError(f"MSD groups {g} must divide widths {ci} -> {co}")
            convs.append(norm(nn.Conv1d(ci, co, k, s, groups=g, padding=(k - 1) // 2)))
        self.convs = nn.ModuleList(convs)
        self.conv_post = norm(nn.Conv1d(channels[-1], 1, 3, 1, padding=1))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """Score ``x`` ``(B, 1, T)``; returns ``(scores (B, n), feature maps (B, C, T'))``."""
        return _conv_stack(self.convs, self.conv_post, x)


class MultiScaleDiscriminator(nn.Module):
    """HiFi-GAN multi-scale discriminator: ``n_scales`` :class:`ScaleDiscriminator` s.

    Scale ``i`` sees the waveform average-pooled ``i`` times with
    ``AvgPool1d(4, 2, padding=2)`` (i.e. 16 kHz, ~8 kHz, ~4 kHz for 3 scales); scale 0
    uses spectral norm.

    Args:
        n_scales: number of scales (paper: 3).
        channels, groups: see :class:`ScaleDiscriminator`.

    Raises:
        ValueError: ``n_scales < 1`` or see :class:`ScaleDiscriminator`.
    """

    def __init__(self, n_scales: int = 3, channels: Sequence[int] = MSD_CHANNELS, groups: Sequence[int] = MSD_GROUPS):
        super().__init__()
        if int(n_scales) < 1:
            raise ValueError(f"n_scales must be >= 1, got {n_scales}")
        self.discriminators = nn.ModuleList(
            ScaleDiscriminator(channels, groups, use_spectral_norm=(i == 0)) for i in range(int(n_scales))
        )
        self.pool = nn.AvgPool1d(4, 2, padding=2)

    def forward(self, real: torch.Tensor, fake: torch.Tensor) -> Outputs:
        """Score real and generated waveforms ``(B, 1, T)`` (16 kHz); see the module docstring.

        Raises:
            ValueError: inputs not shaped ``(B, 1, T)``.
        """
        _check_wave(real, "real")
        _check_wave(fake, "fake")
        pools = [None] + [self.pool] * (len(self.discriminators) - 1)
        return _run_pairs(self.discriminators, real, fake, pools)


def _run_pairs(discs, real, fake, pools) -> Outputs:
    """Run every sub-discriminator on real and fake (pooling cumulatively where given).

    Real and fake go through as one concatenated batch (one conv call per layer instead of
    two, same result since nothing mixes the batch).
    """
    b = real.size(0)
    x = torch.cat([real, fake], 0)
    r_scores, f_scores, r_maps, f_maps = [], [], [], []
    for d, pool in zip(discs, pools):
        if pool is not None:
            x = pool(x)
        score, fmaps = d(x)
        r_scores.append(score[:b])
        f_scores.append(score[b:])
        r_maps.append([m[:b] for m in fmaps])
        f_maps.append([m[b:] for m in fmaps])
    return r_scores, f_scores, r_maps, f_maps

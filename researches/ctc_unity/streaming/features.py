"""Online 80-dim fbank + global CMVN that equals the offline features exactly.

Offline features (:func:`ctc_unity.datasets.audio_io.kaldi_fbank`) are kaldi
fbank with ``snip_edges=True``: frame ``i`` covers samples ``[160 i, 160 i + 400)`` at
16 kHz, computed independently of other frames (no dither). So the stream only keeps the
samples from the first not-yet-computed frame on: each call computes the frames completed by
the new samples, at a cost proportional to them.
"""
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from ..datasets.audio_io import N_MELS, SHIFT, WINDOW, kaldi_fbank


class OnlineFbank:
    """Streaming kaldi fbank (80 bins, 25 ms / 10 ms) with global CMVN.

    Args:
        cmvn_npz: ``gcmvn.npz`` with ``mean`` and ``std`` (80,), or None for raw features.

    Raises:
        FileNotFoundError: if ``cmvn_npz`` does not exist.
    """

    def __init__(self, cmvn_npz: Optional[str] = None):
        self.mean = self.std = None
        if cmvn_npz is not None:
            stats = np.load(cmvn_npz)
            self.mean = torch.from_numpy(stats["mean"]).float()
            self.std = torch.from_numpy(stats["std"]).float()
        self.reset()

    def reset(self) -> None:
        """Start a new stream."""
        self.buffer = torch.zeros(0)
        self.n_frames = 0

    def __call__(self, samples) -> Tensor:
        """Append samples and return the newly completed frames.

        Args:
            samples: new audio at 16 kHz in [-1, 1] (list, numpy array or 1-D tensor).

        Returns:
            ``(n_new, 80)`` normalized features (``n_new`` may be 0).
        """
        new = torch.as_tensor(np.asarray(samples, dtype=np.float32))
        if new.dim() != 1:
            raise ValueError(f"expected 1-D audio samples, got shape {tuple(new.shape)}")
        self.buffer = torch.cat([self.buffer, new])
        if self.buffer.numel() < WINDOW:
            return torch.zeros(0, N_MELS)
        n = 1 + (self.buffer.numel() - WINDOW) // SHIFT
        feats = kaldi_fbank(self.buffer[: (n - 1) * SHIFT + WINDOW])
        self.buffer = self.buffer[n * SHIFT:]
        self.n_frames += n
        if self.mean is not None:
            feats = (feats - self.mean) / self.std
        return feats

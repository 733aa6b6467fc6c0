"""A small English character CTC ASR, trained by the toolkit on the target speech of a corpus.

For labs without a pretrained English ASR. Architecture (CPU-trainable, about 2 M parameters
with the defaults):

* 80-dim log-mel fbank, 25 ms / 10 ms (:func:`ctc_unity.datasets.audio_io.kaldi_fbank`,
  the features of the S2ST pipeline), global CMVN from the training set;
* fairseq's ``Conv1dSubsampler`` (one stride-2 conv + GLU: 20 ms per output frame, so that
  fast synthetic speech keeps more frames than characters);
* ``torchaudio.models.Conformer`` layers (Gulati et al. 2020);
* a linear CTC output layer over characters: ``<blank>`` (index 0), space, apostrophe,
  ``a``-``z`` and any other character present in the normalized training text.

Training (CTC loss, Graves et al. 2006) is in :mod:`~.train_ctc_asr`; inference is greedy
(best-path) CTC decoding.
A checkpoint (``torch.save`` dict, loadable with ``weights_only=True``) holds::

    model        state_dict of :class:`CTCASRModel`
    model_config dict of :class:`CTCASRModel` constructor arguments
    vocab        list of output characters (index = output id, 0 = "<blank>")
    cmvn_mean    (80,) float tensor      cmvn_std  (80,) float tensor
    normalization  name of the text normalization of the training targets
    (+ training state: step, epoch, optimizer, scheduler, best_wer, train_config, ...)
"""
import logging
import math
import os
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from torch import nn

from ..datasets.atomic import atomic_open
from ..datasets.audio_io import kaldi_fbank
from ..modules.ctc_decoding import ctc_greedy
from .normalize import NORMALIZATION_VERSION
from .transcriber import Transcriber, as_waveform

logger = logging.getLogger(__name__)

BLANK = "<blank>"
BASE_CHARS = [" ", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
FEATURE_DIM = 80


def build_vocab(texts: Iterable[str]) -> List[str]:
    """Character vocabulary for CTC.

    Args:
        texts: normalized training sentences (:func:`~.normalize.normalize_text`).

    Returns:
        ``["<blank>", " ", "'", "a", ..., "z"]`` followed by the sorted other characters that
        occur in ``texts`` (digits, accented letters, ...).
    """
    extra = sorted({c for t in texts for c in t} - set(BASE_CHARS))
    return [BLANK] + BASE_CHARS + extra


def encode_text(text: str, vocab: Sequence[str]) -> List[int]:
    """Character ids of a normalized sentence (characters not in ``vocab`` are skipped).

    Args:
        text: a normalized sentence.
        vocab: the CTC vocabulary (index 0 = blank).

    Returns:
        list of ids in ``[1, len(vocab))``.
    """
    index = {c: i for i, c in enumerate(vocab)}
    return [index[c] for c in text if c in index and c != BLANK]


def decode_ids(ids: Sequence[int], vocab: Sequence[str]) -> str:
    """Characters of collapsed CTC ids, spaces squeezed and stripped."""
    return " ".join("".join(vocab[i] for i in ids if 0 < i < len(vocab)).split())


def features(waveform: torch.Tensor) -> torch.Tensor:
    """80-dim log-mel fbank of one utterance (no CMVN).

    Args:
        waveform: ``(n_samples,)`` float audio at 16 kHz in [-1, 1].

    Returns:
        ``(n_frames, 80)`` float32 tensor, ``n_frames = 1 + (n_samples - 400) // 160``.

    Raises:
        ValueError: audio shorter than one 25 ms window (400 samples).
    """
    return kaldi_fbank(waveform)


DB_TO_NATS = math.log(10.0) / 10.0  # a power ratio of 1 dB as a difference of natural-log energies


def floor_dynamic_range(feats: torch.Tensor, dynamic_range_db: Optional[float]) -> torch.Tensor:
    """Clamp log-mel energies to at most ``dynamic_range_db`` dB below the utterance's maximum.

    Makes the features of near-silent audio independent of what the silence is made of:
    digital zeros (as in espeak-ng output, ``log(eps)`` = -15.9), 16-bit quantization noise
    (about 0) or a vocoder's low-level noise all become the same floor, and the floor moves
    with the signal's gain. Without it an ASR trained on digital silence transcribes a
    vocoder's float output and the same audio saved as 16-bit PCM very differently (measured
    here: 72 against 37 ASR-BLEU). Whisper's log-mel front end clamps the same way at 80 dB
    (Radford et al. 2022); the toolkit trains with 60 dB, which also floors 16-bit
    quantization noise in the wide high-frequency mel bands.

    Args:
        feats: ``(n_frames, n_mels)`` natural-log mel energies (:func:`features`).
        dynamic_range_db: the range in dB; ``None`` or 0 leaves the features unchanged.

    Returns:
        tensor of the same shape and dtype.
    """
    if not dynamic_range_db or feats.numel() == 0:
        return feats
    floor = float(feats.max()) - float(dynamic_range_db) * DB_TO_NATS
    return torch.clamp(feats, min=floor)


class CTCASRModel(nn.Module):
    """Conv subsampler + Conformer + linear CTC layer (see the module docstring).

    Args:
        vocab_size: number of CTC outputs including the blank.
        input_dim: feature dimension (80).
        d_model: model width.
        num_layers: Conformer layers.
        num_heads: attention heads.
        ffn_dim: Conformer feed-forward width.
        conv_kernel: Conformer depthwise convolution kernel size (odd).
        subsample_kernels: kernel sizes of the stride-2 conv layers of the subsampler
            (one layer = 20 ms frames, two = 40 ms).
        dropout: dropout probability.
    """

    def __init__(self, vocab_size: int, input_dim: int = FEATURE_DIM, d_model: int = 144, num_layers: int = 4,
                 num_heads: int = 4, ffn_dim: int = 576, conv_kernel: int = 15,
                 subsample_kernels: Sequence[int] = (5,), dropout: float = 0.1) -> None:
        super().__init__()
        from fairseq.models.speech_to_text.modules.convolution import Conv1dSubsampler
        from torchaudio.models import Conformer

        self.subsampler = Conv1dSubsampler(input_dim, 2 * d_model, d_model, list(subsample_kernels))
        self.dropout = nn.Dropout(dropout)
        self.conformer = Conformer(input_dim=d_model, num_heads=num_heads, ffn_dim=ffn_dim, num_layers=num_layers,
                                   depthwise_conv_kernel_size=conv_kernel, dropout=dropout)
        self.output = nn.Linear(d_model, vocab_size)

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """``(B,)`` output frames for ``(B,)`` input frames."""
        return self.subsampler.get_out_seq_lens_tensor(lengths)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """CTC log-probabilities.

        Args:
            feats: ``(B, T, 80)`` normalized features (zero-padded).
            lengths: ``(B,)`` valid frames.

        Returns:
            ``(B, T', V)`` log-probabilities and ``(B,)`` valid output frames
            (``T' = ceil(T / 2)`` per subsampling layer).
        """
        x, out_lengths = self.subsampler(feats, lengths)  # T' x B x D
        x = self.dropout(x.transpose(0, 1))
        out_lengths = out_lengths.clamp(max=x.shape[1])
        x, _ = self.conformer(x, out_lengths)
        return torch.log_softmax(self.output(x).float(), dim=-1), out_lengths


def apply_cmvn(feats: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``(feats - mean) / std`` for ``(..., 80)`` features and ``(80,)`` statistics."""
    return (feats - mean) / std


def greedy_decode(log_probs: torch.Tensor, lengths: torch.Tensor, vocab: Sequence[str]) -> List[str]:
    """Best-path CTC decoding of a batch.

    Args:
        log_probs: ``(B, T', V)`` scores.
        lengths: ``(B,)`` valid frames.
        vocab: output characters (index 0 = blank).

    Returns:
        one string per row.
    """
    ids = ctc_greedy(log_probs.transpose(0, 1), lengths, blank=0)
    return [decode_ids(row, vocab) for row in ids]


def save_checkpoint(path: str, model: CTCASRModel, model_config: Dict, vocab: Sequence[str], cmvn_mean: torch.Tensor,
                    cmvn_std: torch.Tensor, **state) -> None:
    """Write a checkpoint atomically (temporary file + rename).

    Args:
        path: destination ``.pt``.
        model: the model (its ``state_dict`` is saved, moved to CPU).
        model_config: :class:`CTCASRModel` keyword arguments (without ``vocab_size``).
        vocab: output characters.
        cmvn_mean: ``(80,)`` feature mean.
        cmvn_std: ``(80,)`` feature standard deviation.
        **state: extra entries (training state), stored as given.
    """
    ckpt = {
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "model_config": dict(model_config),
        "vocab": list(vocab),
        "cmvn_mean": cmvn_mean.detach().cpu().float(),
        "cmvn_std": cmvn_std.detach().cpu().float(),
        "normalization": NORMALIZATION_VERSION,
        **state,
    }
    with atomic_open(path, "wb") as fh:
        torch.save(ckpt, fh)


def load_checkpoint(path: str, device: str = "cpu") -> Tuple[CTCASRModel, Dict]:
    """Load a checkpoint written by :func:`save_checkpoint`.

    Args:
        path: the ``.pt`` file.
        device: torch device for the model.

    Returns:
        ``(model in eval mode, checkpoint dict)``.

    Raises:
        FileNotFoundError: missing file.
        ValueError: the file is not a CTC ASR checkpoint (keys missing).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"CTC ASR checkpoint not found: {path}")
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    missing = [k for k in ("model", "model_config", "vocab", "cmvn_mean", "cmvn_std") if k not in ckpt]
    if missing:
        raise ValueError(f"{path}: not a CTC ASR checkpoint of asr_bleu.train_ctc_asr (missing {missing})")
    model = CTCASRModel(vocab_size=len(ckpt["vocab"]), **ckpt["model_config"])
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval(), ckpt


class CTCASRTranscriber(Transcriber):
    """Greedy decoding with a checkpoint of :mod:`~.train_ctc_asr`.

    Args:
        path: checkpoint (``checkpoint_best.pt``) or a run folder containing it.
        device: torch device.

    Raises:
        FileNotFoundError, ValueError: see :func:`load_checkpoint`.
    """

    def __init__(self, path: str, device: str = "cpu") -> None:
        if os.path.isdir(path):
            path = os.path.join(path, "checkpoint_best.pt")
        self.model, ckpt = load_checkpoint(path, device)
        self.vocab = ckpt["vocab"]
        self.mean = ckpt["cmvn_mean"].to(device)
        self.std = ckpt["cmvn_std"].to(device)
        self.dynamic_range_db = ckpt.get("dynamic_range_db")  # absent in checkpoints before the option
        self.device = device
        self.name = f"ctc:{path}"

    @torch.no_grad()
    def transcribe(self, waveform: torch.Tensor) -> str:
        """Transcribe one ``(n_samples,)`` 16 kHz utterance (see :class:`~.transcriber.Transcriber`).

        Returns ``""`` for audio shorter than 25 ms.

        Raises:
            AudioError: empty, all-zero or non-finite audio.
        """
        wav = as_waveform(waveform)
        if wav.numel() < 400:
            return ""
        feats = floor_dynamic_range(features(wav), self.dynamic_range_db)
        feats = apply_cmvn(feats.to(self.device), self.mean, self.std)[None]
        log_probs, lengths = self.model(feats, torch.tensor([feats.shape[1]], device=self.device))
        return greedy_decode(log_probs.cpu(), lengths.cpu(), self.vocab)[0]

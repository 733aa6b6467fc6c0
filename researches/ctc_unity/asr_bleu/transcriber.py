"""The ASR back-end interface of ASR-BLEU and the factory that builds a back end from a spec.

Every back end is a :class:`Transcriber`: ``transcribe(waveform) -> str`` on one utterance of
16 kHz mono float32 audio. Back ends (imported lazily, so importing this module is cheap):

=======================  ==============================================================
spec                     back end
=======================  ==============================================================
``pocketsphinx``         :class:`~.pocketsphinx.PocketsphinxTranscriber` (wheel's en-us model)
``ctc:PATH``             :class:`~.ctc_asr.CTCASRTranscriber` (checkpoint of ``train_ctc_asr``)
``wav2vec2:PATH``        :class:`~.wav2vec2.Wav2Vec2Transcriber` (torchaudio wav2vec2 CTC export)
=======================  ==============================================================
"""
import os
from typing import List, Sequence, Union

import numpy as np
import torch

from ..datasets.audio_io import SAMPLE_RATE, AudioError

BACKENDS = ("pocketsphinx", "ctc:PATH", "wav2vec2:PATH")


class Transcriber:
    """Interface of an ASR back end (speech -> text).

    Subclasses implement :meth:`transcribe`. Outputs are raw transcripts; ASR-BLEU normalizes
    them with :func:`~.normalize.normalize_text` afterwards.

    Attributes:
        sample_rate: input sample rate in Hz (always 16000).
        name: short description of the back end (for reports).
    """

    sample_rate: int = SAMPLE_RATE
    name: str = "transcriber"

    def transcribe(self, waveform: torch.Tensor) -> str:
        """Transcribe one utterance.

        Args:
            waveform: ``(n_samples,)`` float32 mono audio at 16 kHz, values in [-1, 1].

        Returns:
            the transcript (may be ``""``).
        """
        raise NotImplementedError

    def transcribe_many(self, waveforms: Sequence[torch.Tensor]) -> List[str]:
        """:meth:`transcribe` on each ``(n_samples,)`` 16 kHz waveform, in order."""
        return [self.transcribe(w) for w in waveforms]


def as_waveform(waveform: Union[torch.Tensor, np.ndarray], name: str = "waveform") -> torch.Tensor:
    """Check and convert in-memory audio to a ``(n_samples,)`` float32 tensor.

    Args:
        waveform: ``(n_samples,)`` or ``(1, n_samples)`` float/int audio (tensor or array),
            assumed to be at 16 kHz; integer PCM is scaled to [-1, 1].
        name: how to name the item in error messages.

    Returns:
        ``(n_samples,)`` float32 CPU tensor.

    Raises:
        AudioError (a ``ValueError``): if it is not 1-D (or 1 x n), is empty, all-zero, or
            contains NaN/inf. The message names ``name``.
        TypeError: if it is neither a tensor nor an array.
    """
    if isinstance(waveform, np.ndarray):
        if np.issubdtype(waveform.dtype, np.integer):
            scale = float(np.iinfo(waveform.dtype).max) + 1.0
            waveform = waveform.astype(np.float32) / scale
        waveform = torch.from_numpy(np.ascontiguousarray(waveform))
    if not isinstance(waveform, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor or numpy array, got {type(waveform).__name__}")
    if waveform.dim() == 2 and waveform.shape[0] == 1:
        waveform = waveform[0]
    if waveform.dim() != 1:
        raise AudioError(f"{name}: expected mono audio of shape (n_samples,), got shape {tuple(waveform.shape)}")
    if waveform.numel() == 0:
        raise AudioError(f"{name}: empty audio (0 samples)")
    waveform = waveform.detach().cpu().float()
    if not torch.isfinite(waveform).all():
        raise AudioError(f"{name}: audio contains NaN or inf")
    if not torch.any(waveform != 0):
        raise AudioError(f"{name}: empty audio (all samples are zero)")
    return waveform


def build_transcriber(spec: Union[str, Transcriber], device: str = "cpu") -> Transcriber:
    """Build a back end from its spec (see the module table).

    Args:
        spec: ``"pocketsphinx"``, ``"ctc:PATH"`` (checkpoint written by
            :mod:`~.train_ctc_asr`), ``"wav2vec2:PATH"`` (folder or ``.pt`` of the torchaudio
            wav2vec2 export, see :mod:`~.wav2vec2`), or an existing :class:`Transcriber`
            (returned as is).
        device: torch device for neural back ends (``"cpu"``, ``"cuda"``).

    Returns:
        a :class:`Transcriber`.

    Raises:
        ValueError: unknown spec or missing PATH.
        FileNotFoundError: PATH does not exist.
    """
    if isinstance(spec, Transcriber):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"ASR back end must be a spec string ({' | '.join(BACKENDS)}), got {spec!r}")
    kind, _, path = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "pocketsphinx":
        from .pocketsphinx import PocketsphinxTranscriber

        return PocketsphinxTranscriber()
    if kind in ("ctc", "wav2vec2"):
        if not path:
            raise ValueError(f"ASR back end {spec!r}: expected {kind}:PATH")
        if not os.path.exists(path):
            raise FileNotFoundError(f"ASR back end {spec!r}: {path} not found")
        if kind == "ctc":
            from .ctc_asr import CTCASRTranscriber

            return CTCASRTranscriber(path, device=device)
        from .wav2vec2 import Wav2Vec2Transcriber

        return Wav2Vec2Transcriber(path, device=device)
    raise ValueError(f"unknown ASR back end {spec!r}; expected one of: {' | '.join(BACKENDS)}")

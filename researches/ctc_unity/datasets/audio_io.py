"""Audio loading with the checks a data pipeline needs (one place for every reader).

:func:`load_audio` returns 16 kHz mono float32 audio and fails loudly, naming the file:

* unreadable / unknown format -> :class:`AudioError`
* empty (no samples, or all-zero) -> :class:`AudioError`
* other sample rate -> resampled with ``torchaudio.functional.resample`` (logged)
* several channels -> averaged to mono (logged)

soundfile (libsndfile) reads WAV/FLAC/OGG/MP3; anything else is decoded by the ``ffmpeg``
binary.
"""
import logging
import shutil
import subprocess
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
import soundfile as sf
import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi

from .atomic import atomic_open

logger = logging.getLogger(__name__)

#: The project's audio rate (Hz): every waveform read, written or featurised is 16 kHz mono.
SAMPLE_RATE = 16000
#: kaldi fbank frame length and shift in samples (25 ms / 10 ms at :data:`SAMPLE_RATE`).
WINDOW = 400
SHIFT = 160
#: Mel bins of the model's input features.
N_MELS = 80


class AudioError(ValueError):
    """An audio file that cannot be used (message names the file and the problem)."""


@dataclass
class AudioInfo:
    """What :func:`load_audio` did to a file.

    Attributes:
        path: the file.
        orig_sample_rate: its sample rate (Hz).
        orig_channels: its channel count.
        resampled: True if the rate was converted to the target rate.
        downmixed: True if channels were averaged to mono.
    """

    path: str
    orig_sample_rate: int
    orig_channels: int
    resampled: bool
    downmixed: bool


def _read_with_ffmpeg(path: str) -> Tuple[np.ndarray, int]:
    if shutil.which("ffmpeg") is None:
        raise AudioError(f"{path}: cannot decode (soundfile failed and ffmpeg is not installed)")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "f32le", "-acodec", "pcm_f32le", "-"]
    probe = subprocess.run(["ffmpeg", "-nostdin", "-i", path], capture_output=True, text=True)
    rate, channels = None, 1
    for line in probe.stderr.splitlines():
        if "Audio:" in line:
            parts = [p.strip() for p in line.split("Audio:")[1].split(",")]
            for p in parts:
                if p.endswith("Hz"):
                    rate = int(p.split()[0])
                if p in ("mono",):
                    channels = 1
                elif p in ("stereo",):
                    channels = 2
                elif "channels" in p:
                    channels = int(p.split()[0])
            break
    if rate is None:
        raise AudioError(f"{path}: unreadable audio (ffmpeg found no audio stream)")
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise AudioError(f"{path}: unreadable audio (ffmpeg: {proc.stderr.decode(errors='replace').strip()[:200]})")
    data = np.frombuffer(proc.stdout, dtype=np.float32)
    return data.reshape(-1, channels), rate


def read_audio(path: str) -> Tuple[np.ndarray, int]:
    """Read a file as float32 ``(n_samples, n_channels)`` and its sample rate, no conversion.

    Raises:
        AudioError: if the file is missing or cannot be decoded.
    """
    try:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
        return data, rate
    except FileNotFoundError:
        raise AudioError(f"{path}: file not found") from None
    except (RuntimeError, sf.LibsndfileError, TypeError):
        import os

        if not os.path.exists(path):
            raise AudioError(f"{path}: file not found") from None
        return _read_with_ffmpeg(path)


def to_mono_16k(data: np.ndarray, rate: int, path: str, target_rate: int = SAMPLE_RATE,
                quiet: bool = False) -> Tuple[torch.Tensor, AudioInfo]:
    """Downmix ``(n, C)`` audio and resample it to ``target_rate``; checks emptiness.

    Args:
        data: ``(n_samples, n_channels)`` float32.
        rate: its sample rate (Hz).
        path: the file it came from (for messages).
        target_rate: output rate (Hz).
        quiet: log conversions at DEBUG instead of INFO.

    Returns:
        ``(n_samples',)`` float32 tensor at ``target_rate`` and an :class:`AudioInfo`.

    Raises:
        AudioError: on empty or silent (all-zero) audio, or NaN/Inf samples.
    """
    if data.size == 0 or data.shape[0] == 0:
        raise AudioError(f"{path}: empty audio (0 samples)")
    bad = int(np.size(data) - np.isfinite(data).sum())
    if bad:
        raise AudioError(f"{path}: {bad} NaN/Inf sample(s)")
    if not np.any(data):
        raise AudioError(f"{path}: empty audio (all samples are zero)")
    log = logger.debug if quiet else logger.info
    channels = data.shape[1]
    wav = torch.from_numpy(np.ascontiguousarray(data.mean(axis=1) if channels > 1 else data[:, 0]))
    if channels > 1:
        log(f"{path}: {channels} channels, downmixed to mono")
    if rate != target_rate:
        log(f"{path}: sample rate {rate} Hz, resampled to {target_rate} Hz")
        wav = torchaudio.functional.resample(wav, rate, target_rate)
    return wav.float(), AudioInfo(path, rate, channels, rate != target_rate, channels > 1)


def load_audio(path: str, target_rate: int = SAMPLE_RATE, quiet: bool = False) -> Tuple[torch.Tensor, AudioInfo]:
    """Load any audio file as mono float32 at ``target_rate`` (see module docstring).

    Returns:
        ``(n_samples,)`` tensor in [-1, 1] and an :class:`AudioInfo`.

    Raises:
        AudioError: missing, unreadable, empty or silent file, or NaN/Inf samples.
    """
    data, rate = read_audio(path)
    return to_mono_16k(data, rate, path, target_rate, quiet=quiet)


def write_wav_atomic(path: str, waveform: torch.Tensor, sample_rate: int = SAMPLE_RATE) -> None:
    """Write ``(n_samples,)`` float audio as 16-bit PCM WAV via a temporary file + rename."""
    with atomic_open(path, "wb") as fh:
        sf.write(fh, waveform.detach().cpu().numpy(), sample_rate, subtype="PCM_16", format="WAV")


def kaldi_fbank(waveform: torch.Tensor) -> torch.Tensor:
    """80-bin log-mel filterbank as fairseq's S2T recipes compute it (the model's input features).

    ``torchaudio.compliance.kaldi.fbank`` on 16-bit-scaled samples (``x * 32768``),
    :data:`WINDOW`-sample (25 ms) windows every :data:`SHIFT` samples (10 ms), no dither
    (deterministic), ``snip_edges=True``: frame ``i`` covers samples ``[SHIFT*i, SHIFT*i + WINDOW)``
    and depends on no other sample, so ``1 + (n - WINDOW) // SHIFT`` frames; computing a
    stream chunk by chunk (each chunk starting at a frame boundary) gives the same frames.

    Args:
        waveform: ``(n_samples,)`` float audio at 16 kHz in [-1, 1].

    Returns:
        ``(n_frames, N_MELS)`` float32 tensor.

    Raises:
        ValueError: if ``waveform`` is not 1-D or is shorter than one window.
    """
    if waveform.dim() != 1:
        raise ValueError(f"expected 1-D audio samples, got shape {tuple(waveform.shape)}")
    if waveform.numel() < WINDOW:
        raise ValueError(f"audio of {waveform.numel()} samples is shorter than one 25 ms fbank window")
    return kaldi.fbank(waveform.float()[None, :] * 32768, num_mel_bins=N_MELS,
                       frame_length=1000.0 * WINDOW / SAMPLE_RATE, frame_shift=1000.0 * SHIFT / SAMPLE_RATE,
                       dither=0.0, snip_edges=True, sample_frequency=SAMPLE_RATE)


def is_16k_mono_wav(path: str) -> bool:
    """True if ``path`` is a readable WAV file at 16 kHz with one channel."""
    try:
        info = sf.info(path)
    except Exception:  # noqa: BLE001 - any unreadable file is simply "not usable as is"
        return False
    return info.format == "WAV" and info.samplerate == SAMPLE_RATE and info.channels == 1

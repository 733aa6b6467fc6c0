"""espeak-ng speech synthesis for the embedded EchoStream corpus.

The embedded corpus pairs source speech (many synthetic speakers over the source language's
espeak-ng voice, so that the model cannot overfit a single voice) with English target speech
from one fixed voice (CVSS-C targets are single-speaker as well).

All audio written by this module is 16 kHz, mono, 16-bit signed PCM WAV.
espeak-ng itself produces 22050 Hz audio; it is resampled with
``torchaudio.functional.resample``.  Files are written atomically: a temporary file in the destination
directory is renamed over the final path with :func:`os.replace`, so an
interrupted run never leaves a truncated WAV behind.
"""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
import struct
import subprocess
import wave
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from .atomic import atomic_open
from .audio_io import SAMPLE_RATE
from .grammars import english as _english

__all__ = [
    "ESPEAK_SAMPLE_RATE",
    "OUTPUT_SAMPLE_RATE",
    "SpeakerProfile",
    "SOURCE_VARIANTS",
    "source_speakers",
    "TARGET_SPEAKER",
    "draw_source_speaker",
    "espeak_available",
    "synthesize",
    "wav_duration",
]

#: Sample rate (Hz) of the audio espeak-ng writes with ``--stdout``.
ESPEAK_SAMPLE_RATE = 22050
#: Sample rate (Hz) of every WAV written by :func:`synthesize`: the project's audio rate.
OUTPUT_SAMPLE_RATE = SAMPLE_RATE

# Synthesised audio whose peak is below this int16 amplitude is treated as empty
# (espeak-ng returns a few hundred samples of digital silence for empty input).
_MIN_PEAK = 100
# Upper bound on one espeak-ng call (seconds); a sentence takes ~0.1 s.
_ESPEAK_TIMEOUT_S = 120


@dataclass(frozen=True)
class SpeakerProfile:
    """One espeak-ng speaker configuration.

    Args:
        name: identifier recorded in corpus manifests (``speaker`` column), e.g.
            ``"<voice>+m3"``.  Jittered copies made by :func:`draw_source_speaker`
            keep the name of the profile they were drawn from.
        voice: espeak-ng voice string ``<language>[+<variant>]`` passed to
            ``-v`` (``<voice>+<variant>``); list the variants
            with ``espeak-ng --voices=variant``.
        rate: speaking rate in words per minute (espeak-ng ``-s``; 80-450).
        pitch: base pitch (espeak-ng ``-p``), 0-99, 50 is the default.
        amplitude: optional volume (espeak-ng ``-a``), 0-200, espeak default
            100; ``None`` leaves the espeak-ng default.
    """

    name: str
    voice: str
    rate: int = 165
    pitch: int = 50
    amplitude: Optional[int] = None

    def __post_init__(self) -> None:
        if not self.voice or any(c.isspace() for c in self.voice):
            raise ValueError(f"invalid espeak-ng voice string {self.voice!r}")
        if not 80 <= int(self.rate) <= 450:
            raise ValueError(f"speaker {self.name}: rate {self.rate} wpm outside 80..450")
        if not 0 <= int(self.pitch) <= 99:
            raise ValueError(f"speaker {self.name}: pitch {self.pitch} outside 0..99")
        if self.amplitude is not None and not 0 <= int(self.amplitude) <= 200:
            raise ValueError(f"speaker {self.name}: amplitude {self.amplitude} outside 0..200")

    def espeak_args(self) -> list:
        """Return the espeak-ng voice options (``-v``, ``-s``, ``-p``, ``-a``) as a list of str."""
        args = ["-v", self.voice, "-s", str(int(self.rate)), "-p", str(int(self.pitch))]
        if self.amplitude is not None:
            args += ["-a", str(int(self.amplitude))]
        return args


#: Source speaker variants: ``(espeak-ng variant, rate in words/min, pitch 0..99)``.  Every source
#: language gets the same male, female and Klatt-synthesiser variants over its own espeak-ng voice
#: (``espeak-ng --voices=variant`` in espeak-ng 1.51 lists them), with different base rates and pitches.
#: The mbrola voices are not used (they need the separate mbrola package).
SOURCE_VARIANTS: Tuple[Tuple[str, int, int], ...] = (
    ("m1", 160, 42), ("m3", 170, 50), ("m7", 155, 38), ("f1", 165, 60),
    ("f3", 175, 55), ("f4", 160, 65), ("klatt", 165, 48), ("klatt3", 170, 45),
)


def source_speakers(voice: str) -> Tuple[SpeakerProfile, ...]:
    """The source speaker profiles over espeak-ng voice ``voice``: one per :data:`SOURCE_VARIANTS` entry.

    The voice comes from the source language's grammar module (``SOURCE_VOICE``, see
    :mod:`.grammars`); profile names are ``<voice>+<variant>``.

    Raises:
        ValueError: for an empty voice name or one that already names a variant (``+``).
    """
    voice = str(voice).strip()
    if not voice or "+" in voice:
        raise ValueError(f"source_speakers: need a bare espeak-ng voice name (no '+variant'), got {voice!r}")
    return tuple(SpeakerProfile(f"{voice}+{v}", f"{voice}+{v}", rate=rate, pitch=pitch)
                 for v, rate, pitch in SOURCE_VARIANTS)


#: The single English target voice (:data:`.grammars.english.TARGET_VOICE`): the variant an
#: independent English ASR recognised best; rate and pitch are fixed (no jitter)
#: because CVSS-C targets are single-speaker.
TARGET_SPEAKER = SpeakerProfile(_english.TARGET_VOICE, _english.TARGET_VOICE, rate=_english.TARGET_RATE,
                                pitch=_english.TARGET_PITCH)


def draw_source_speaker(
    rng: random.Random,
    profiles: Tuple[SpeakerProfile, ...],
    rate_jitter: float = 0.10,
    pitch_jitter: int = 8,
) -> SpeakerProfile:
    """Pick a source speaker profile and jitter it for one utterance.

    The result depends only on the state of ``rng``: seed it per utterance
    (e.g. ``random.Random(f"{seed}-{utt_id}")``) for reproducible corpora.

    Args:
        rng: random generator consumed by the draw (3 calls).
        profiles: profiles to choose from (uniformly).
        rate_jitter: relative rate jitter; the rate is multiplied by a factor
            uniform in ``[1 - rate_jitter, 1 + rate_jitter]`` (words/min,
            clamped to 80..450).
        pitch_jitter: absolute pitch jitter; an integer uniform in
            ``[-pitch_jitter, pitch_jitter]`` is added (clamped to 0..99).

    Returns:
        A new :class:`SpeakerProfile` with the chosen profile's ``name``,
        ``voice`` and ``amplitude`` and jittered ``rate``/``pitch``.

    Raises:
        ValueError: if ``profiles`` is empty.
    """
    if not profiles:
        raise ValueError("draw_source_speaker: no speaker profiles to choose from")
    base = profiles[rng.randrange(len(profiles))]
    factor = rng.uniform(1.0 - rate_jitter, 1.0 + rate_jitter)
    rate = min(450, max(80, int(round(base.rate * factor))))
    pitch = min(99, max(0, base.pitch + rng.randint(-pitch_jitter, pitch_jitter)))
    return dataclasses.replace(base, rate=rate, pitch=pitch)


def espeak_available() -> bool:
    """Return True if an ``espeak-ng`` executable is on ``PATH``."""
    return shutil.which("espeak-ng") is not None


def _parse_wav_bytes(data: bytes) -> Tuple[int, int, np.ndarray]:
    """Parse a PCM16 WAV byte string as written by ``espeak-ng --stdout``.

    espeak-ng streams its output, so the RIFF and data chunk sizes in the
    header are placeholders (0x7ffff...); the data chunk is therefore clamped to
    the bytes actually present.

    Returns:
        (sample_rate in Hz, channels, int16 samples of shape (frames, channels)).

    Raises:
        ValueError: if the bytes are not a 16-bit PCM WAV.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE stream")
    pos = 12
    sample_rate = channels = bits = None
    while pos + 8 <= len(data):
        cid = data[pos : pos + 4]
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt, channels, sample_rate = struct.unpack("<HHI", data[body : body + 8])
            bits = struct.unpack("<H", data[body + 14 : body + 16])[0]
            if fmt != 1 or bits != 16:
                raise ValueError(f"unsupported WAV format {fmt} / {bits} bits")
        elif cid == b"data":
            if sample_rate is None:
                raise ValueError("WAV data chunk before fmt chunk")
            end = min(len(data), body + size)
            raw = data[body:end]
            raw = raw[: len(raw) // (2 * channels) * (2 * channels)]
            samples = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)
            return sample_rate, channels, samples
        pos = body + size + (size & 1)
    raise ValueError("WAV stream has no data chunk")


def _resample_int16(samples: np.ndarray, orig_sr: int, new_sr: int) -> np.ndarray:
    """Down-mix int16 ``(frames, channels)`` audio to mono and resample it.

    Returns int16 mono samples at ``new_sr`` Hz.
    """
    mono = samples.astype(np.float32).mean(axis=1) / 32768.0
    if orig_sr != new_sr and mono.size:
        import torch
        import torchaudio.functional as AF

        mono = AF.resample(torch.from_numpy(mono), orig_sr, new_sr).numpy()
    return np.clip(np.round(mono * 32768.0), -32768, 32767).astype(np.int16)


def _write_wav_atomic(path: str, samples: np.ndarray, sample_rate: int) -> None:
    """Write int16 mono ``samples`` to ``path`` via :func:`atomic.atomic_open` (temp file + rename)."""
    with atomic_open(path, "wb") as fh:
        with wave.open(fh, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(sample_rate)
            w.writeframes(samples.astype("<i2").tobytes())


def wav_duration(path: str) -> float:
    """Return the duration in seconds of a PCM WAV file (frames / sample rate).

    Raises:
        wave.Error, EOFError or OSError: if the file is missing or not a PCM WAV.
    """
    with wave.open(path, "rb") as w:
        return w.getnframes() / float(w.getframerate())


def synthesize(
    text: str,
    speaker: SpeakerProfile,
    out_path: str,
    sample_rate: int = OUTPUT_SAMPLE_RATE,
) -> float:
    """Synthesise ``text`` with espeak-ng and write a mono 16-bit PCM WAV.

    Runs ``espeak-ng -v VOICE -s RATE -p PITCH [-a AMP] --stdout -- TEXT``
    (argument list, no shell), resamples espeak's 22050 Hz output to
    ``sample_rate`` and writes ``out_path`` atomically (temp file in the same
    directory, then :func:`os.replace`).  Parent directories are created.

    Args:
        text: the sentence to speak (plain text, no SSML).
        speaker: voice, rate (words/min) and pitch (0-99) to use.
        out_path: destination ``.wav`` path.
        sample_rate: output sample rate in Hz (default 16000).

    Returns:
        Duration of the written audio in seconds (samples / ``sample_rate``).

    Raises:
        RuntimeError: naming the text and the voice, if espeak-ng is not
            installed, exits with an error, times out, or produces empty
            (missing or silent) audio.
    """
    exe = shutil.which("espeak-ng")
    what = f"text {text!r} with voice {speaker.voice!r} (speaker {speaker.name!r})"
    if exe is None:
        raise RuntimeError(f"espeak-ng not found on PATH; cannot synthesise {what}")
    if not text or not text.strip():
        raise RuntimeError(f"refusing to synthesise empty {what}")
    cmd = [exe, *speaker.espeak_args(), "--stdout", "--", text]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=_ESPEAK_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"espeak-ng failed on {what}: {exc}") from exc
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"espeak-ng exited with status {proc.returncode} on {what}: {err}")
    try:
        sr, _, samples = _parse_wav_bytes(proc.stdout)
    except ValueError as exc:
        raise RuntimeError(f"espeak-ng produced unreadable audio for {what}: {exc}") from exc
    if samples.size == 0 or int(np.abs(samples.astype(np.int32)).max()) < _MIN_PEAK:
        raise RuntimeError(f"espeak-ng produced empty audio for {what}")
    audio = _resample_int16(samples, sr, sample_rate)
    _write_wav_atomic(out_path, audio, sample_rate)
    return audio.shape[0] / float(sample_rate)

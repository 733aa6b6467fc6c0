"""Incremental (chunk-by-chunk) unit-to-speech synthesis and a seam-artifact metric.

A simultaneous S2ST decoder emits target units a few at a time; :class:`StreamingVocoder`
turns each chunk into new audio as soon as it arrives, so that the concatenated output
approximates synthesizing the whole utterance at once (the offline CodeHiFiGAN of
speech-resynthesis, Polyak et al. 2021 / Lee et al. 2022, is non-causal; this wrapper makes
it usable incrementally, in the spirit of the chunked unit vocoding of StreamSpeech).

How a chunk is synthesized (all positions in 50 Hz frames, ``hop`` = 320 samples):

1. *Durations* (reduced input, ``dur_prediction=True``): the duration predictor (two
   kernel-3 convs) sees +-2 units, so the last ``duration_context`` (2) reduced units are
   held back until 2 more units arrive (or ``final``), and durations are predicted on a
   window with 2 units of left context. Committed durations therefore equal
   whole-utterance predictions, and the streamed length equals the whole-utterance length.
2. *Waveform*: the generator re-synthesizes the new frames together with
   ``context_units`` previous frames of left context (their audio is discarded). Audio of
   the last ``lookahead_frames`` frames is held back (it was generated without right
   context); on the next push it is regenerated with right context and the held-back
   version is cross-faded (raised cosine, ``crossfade_samples``) into the new one at the
   seam, so no discontinuity (click) is produced.
3. ``final=True`` flushes everything: the total output length is exactly
   ``hop * total_frames`` (= the whole-utterance length for 50 Hz input, and for reduced
   input with the duration rule above).
4. ``drain=True`` emits everything pushed so far like ``final`` but keeps the utterance
   open. A simultaneous agent drains when its listener's playback would run dry before
   more units can arrive: the pause then falls after the written text instead of cutting
   its last phone (the held-back frames would otherwise be heard after the pause).

Latency added by the wrapper: ``lookahead_frames`` x 20 ms (+ 2 reduced units when
predicting durations).
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np
import torch

from .code_hifigan import _as_units


def receptive_field_frames(config: Mapping[str, Any]) -> int:
    """Half-width (frames, rounded up) of a HiFi-GAN generator's receptive field.

    For the generator of HiFi-GAN (Kong et al. 2020) as used by speech-resynthesis
    (Polyak et al. 2021). An upper bound: frames further away cannot change a sample.

    Sums, over ``conv_pre`` (kernel 7), every transposed conv (``kernel / (2 * rate)``
    frames) and the widest multi-receptive-field ResBlock per level
    (``sum (k - 1) * d / 2`` samples at that level's rate), plus ``conv_post``. Useful as
    a default left context for :class:`StreamingVocoder`.

    Args:
        config: CodeHiFiGAN config (``upsample_rates``, ``upsample_kernel_sizes``,
            ``resblock_kernel_sizes``, ``resblock_dilation_sizes``).

    Returns:
        frames (int >= 1); e.g. 21 for the speech-resynthesis paper config.
    """
    r = 3.0  # conv_pre, kernel 7 at frame rate
    rate = 1
    for u, k in zip(config["upsample_rates"], config["upsample_kernel_sizes"]):
        rate *= int(u)
        r += float(k) / (2.0 * rate)
        widest = 0.0
        for kr, dil in zip(config["resblock_kernel_sizes"], config["resblock_dilation_sizes"]):
            widest = max(widest, sum((kr - 1) * d / 2.0 for d in dil) + len(dil) * (kr - 1) / 2.0)
        r += widest / rate
    r += 3.0 / rate  # conv_post, kernel 7 at sample rate
    return max(1, int(math.ceil(r)))


def _default_context(vocoder) -> int:
    cfg = getattr(vocoder, "config", None)
    if isinstance(cfg, Mapping) and "upsample_rates" in cfg:
        return receptive_field_frames(cfg)
    mel = getattr(vocoder, "mel_config", None)
    if mel is not None:  # Griffin-Lim: the STFT window spans n_fft / hop frames
        return int(math.ceil(mel.n_fft / mel.hop_length)) + 1
    return 8


class StreamingVocoder:
    """Chunk-wise synthesis with carried left context, held-back lookahead and cross-fade.

    Wraps an offline unit vocoder (speech-resynthesis, Polyak et al. 2021; duration
    predictor of Lee et al. 2022) for simultaneous S2ST; see the module docstring.

    Args:
        vocoder: an object from :func:`.code_hifigan.load_vocoder` (``synthesize``,
            ``predict_durations``, ``hop_size``, ``n_units``, ``duration_context``).
        context_units: previous 50 Hz frames re-synthesized as left context for each chunk
            (None: the generator's receptive-field half-width, :func:`receptive_field_frames`;
            21 frames for the paper config).
        lookahead_frames: frames at the end of each chunk whose audio is held back until the
            next chunk provides right context (0 = emit everything immediately: lowest
            latency, no cross-fade possible).
        crossfade_samples: length of the raised-cosine cross-fade at each seam (None:
            ``hop * lookahead_frames``; clipped to the held-back length).
        dur_prediction: pushed units are reduced units (durations from the vocoder's
            duration predictor); False: pushed units are 50 Hz frames.
        keep_history: record :attr:`seam_positions` and :attr:`durations` (they grow with the
            utterance: a live stream passes False to keep its state bounded).

    Attributes:
        seam_positions: sample positions (in the concatenated output) where a chunk's audio
            started, excluding 0.
        durations: committed durations (frames) of the reduced units so far.

    Raises:
        ValueError: negative ``context_units`` / ``lookahead_frames`` / ``crossfade_samples``;
            ``dur_prediction`` with a vocoder that cannot predict durations.
    """

    def __init__(self, vocoder, context_units: Optional[int] = None, lookahead_frames: int = 2,
                 crossfade_samples: Optional[int] = None, dur_prediction: bool = True, keep_history: bool = True):
        self.vocoder = vocoder
        self.keep_history = keep_history
        self.hop = int(vocoder.hop_size)
        self.context_units = _default_context(vocoder) if context_units is None else int(context_units)
        self.lookahead_frames = int(lookahead_frames)
        self.crossfade_samples = self.hop * self.lookahead_frames if crossfade_samples is None else int(crossfade_samples)
        if min(self.context_units, self.lookahead_frames, self.crossfade_samples) < 0:
            raise ValueError("context_units, lookahead_frames and crossfade_samples must be >= 0")
        self.dur_prediction = bool(dur_prediction)
        if self.dur_prediction and not getattr(vocoder, "has_duration_predictor", False):
            raise ValueError("dur_prediction=True but the vocoder has no duration predictor")
        self.dur_context = int(getattr(vocoder, "duration_context", 0)) if self.dur_prediction else 0
        self.reset()

    def reset(self) -> None:
        """Forget the utterance (call before each new one)."""
        self._frames = torch.zeros(0, dtype=torch.long)  # frames from index self._frame0 on
        self._frame0 = 0
        self._n_frames = 0
        self._emitted = 0  # samples emitted so far
        self._tail = torch.zeros(0)  # held-back audio for samples [emitted, emitted + len)
        self._pending: List[int] = []  # reduced units awaiting durations
        self._left_units: List[int] = []  # last dur_context committed reduced units
        self._finished = False
        self.seam_positions: List[int] = []
        self.durations: List[int] = []

    def held_back_frames(self) -> int:
        """50 Hz frames pushed (or pending durations) but not emitted yet: what ``drain`` would add."""
        return max(0, self._n_frames - self._emitted // self.hop) + len(self._pending)

    @property
    def emitted_samples(self) -> int:
        """Samples returned so far (16 kHz)."""
        return self._emitted

    def _commit_durations(self, final: bool) -> torch.Tensor:
        ctx = self.dur_context
        n_commit = len(self._pending) if final else len(self._pending) - ctx
        if n_commit <= 0:
            return torch.zeros(0, dtype=torch.long)
        window = self._left_units + self._pending
        durs = self.vocoder.predict_durations(torch.tensor(window, dtype=torch.long))
        left = len(self._left_units)
        d = durs[left:left + n_commit]
        units = torch.tensor(self._pending[:n_commit], dtype=torch.long)
        if self.keep_history:
            self.durations.extend(int(v) for v in d)
        committed = self._left_units + self._pending[:n_commit]
        self._left_units = committed[len(committed) - ctx:] if ctx else []
        self._pending = self._pending[n_commit:]
        return torch.repeat_interleave(units, d)

    def push(self, new_units: Any, final: bool = False, drain: bool = False) -> torch.Tensor:
        """Add units; return the audio that can be emitted now.

        Args:
            new_units: ``(m,)`` integer unit ids (reduced units if ``dur_prediction`` else
                50 Hz frames); ``m`` may be 0 (e.g. a final flush).
            final: the utterance ends with these units: flush all held-back audio.
            drain: emit the audio of every unit pushed so far, as ``final`` does, but keep
                the utterance open: durations of the last ``duration_context`` units are
                predicted without right context and the last ``lookahead_frames`` frames
                are synthesized without it (no cross-fade at the next seam). For an agent
                about to READ: the pause a listener hears while it waits for source then
                falls after the written text instead of inside its last phone.

        Returns:
            ``(k,)`` float32 samples at 16 kHz continuing the previous outputs (``k`` may be
            0). After ``final`` (or ``drain``), the concatenation of all outputs has
            ``hop * total_frames`` samples.

        Raises:
            RuntimeError: push after ``final`` without :meth:`reset`.
            ValueError / TypeError: bad unit ids (not 1-D, out of range, not integers).
        """
        if self._finished:
            raise RuntimeError("utterance already finalised; call reset() first")
        raw = new_units if isinstance(new_units, torch.Tensor) else torch.as_tensor(new_units, dtype=torch.long)
        new = _as_units(raw, self.vocoder.n_units) if raw.numel() else torch.zeros(0, dtype=torch.long)
        if self.dur_prediction:
            self._pending.extend(int(v) for v in new)
            new_frames = self._commit_durations(final or drain)
        else:
            new_frames = new
        self._frames = torch.cat([self._frames, new_frames])
        self._n_frames += new_frames.numel()
        if final:
            self._finished = True
        hop = self.hop
        end_frame = self._n_frames if (final or drain) else max(0, self._n_frames - self.lookahead_frames)
        target_end = hop * end_frame
        if target_end <= self._emitted and not ((final or drain) and self._tail.numel()):
            return torch.zeros(0)
        start_frame = self._emitted // hop
        w0 = max(0, start_frame - self.context_units)
        frames = self._frames[w0 - self._frame0:]
        if frames.numel() == 0:
            return torch.zeros(0)
        wav = self.vocoder.synthesize(frames, dur_prediction=False)
        if wav.numel() != hop * frames.numel():
            raise RuntimeError(f"vocoder returned {wav.numel()} samples for {frames.numel()} frames (hop {hop})")
        base = hop * w0
        out = wav[self._emitted - base:target_end - base].clone()
        n_x = min(self.crossfade_samples, self._tail.numel(), out.numel())
        if n_x > 0:
            ramp = 0.5 - 0.5 * torch.cos(torch.linspace(0.0, math.pi, n_x + 2)[1:-1])  # 0 -> 1, exclusive
            out[:n_x] = self._tail[:n_x] * (1.0 - ramp) + out[:n_x] * ramp
        if self._emitted > 0 and out.numel() and self.keep_history:
            self.seam_positions.append(self._emitted)
        self._tail = wav[target_end - base:].clone()
        self._emitted = target_end
        # drop frames no future window can need
        keep_from = max(0, self._emitted // hop - self.context_units)
        if keep_from > self._frame0:
            self._frames = self._frames[keep_from - self._frame0:]
            self._frame0 = keep_from
        return out

    def flush(self) -> torch.Tensor:
        """``push([], final=True)``: emit everything still held back."""
        return self.push(torch.zeros(0, dtype=torch.long), final=True)

    def synthesize_chunks(self, chunks: Sequence[Any]) -> torch.Tensor:
        """Reset, push every chunk (the last one with ``final=True``), return the concatenation.

        Args:
            chunks: list of ``(m_i,)`` unit-id sequences.

        Returns:
            ``(samples,)`` float32 waveform; :attr:`seam_positions` holds the seams.
        """
        self.reset()
        outs = [self.push(c, final=(i == len(chunks) - 1)) for i, c in enumerate(chunks)]
        if not chunks:
            outs = [self.flush()]
        return torch.cat(outs) if outs else torch.zeros(0)


def _log_power(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    spec = torch.stft(x, n_fft, hop, window=torch.hann_window(n_fft), center=True, return_complex=True)
    return spec.abs().pow(2)  # (n_freq, n_frames)


def seam_artifact(whole: torch.Tensor, streamed: torch.Tensor, seam_sample_positions: Sequence[int],
                  n_fft: int = 512, hop: int = 128, radius: int = 480, floor_db: float = -60.0) -> Dict[str, float]:
    """How much worse streamed audio is around chunk seams than elsewhere.

    Both signals are compared frame by frame with the log-spectral distance
    ``LSD = sqrt(mean_f (10 log10(P_streamed / P_whole))^2)`` (dB; STFT ``n_fft``/``hop``,
    Hann, powers floored at ``floor_db`` below the utterance's peak frame power, frames
    where the whole-utterance audio is below that floor skipped). Frames centred within
    ``radius`` samples of a seam are "seam" frames, the rest "other". A seam click shows as
    ``lsd_seam_db >> lsd_other_db`` and as ``hf_ratio_seam > 1`` (energy of the first
    difference, a high-pass, around seams: streamed / whole).

    Args:
        whole: ``(n,)`` whole-utterance synthesis (16 kHz).
        streamed: ``(m,)`` concatenated streaming output; compared on ``min(n, m)`` samples.
        seam_sample_positions: seam positions in samples (e.g.
            :attr:`StreamingVocoder.seam_positions`).
        n_fft, hop, radius: analysis parameters in samples.
        floor_db: dynamic-range floor (dB below the peak).

    Returns:
        dict with ``lsd_seam_db``, ``lsd_other_db``, ``lsd_all_db``, ``seam_excess_db``
        (seam - other), ``hf_ratio_seam``, ``snr_db`` (whole vs streamed, whole signal),
        ``max_abs_diff``, ``n_seams``, ``n_seam_frames``, ``n_other_frames``,
        ``length_diff`` (``m - n`` samples). Averages over an empty set are NaN.

    Raises:
        ValueError: inputs not 1-D or shorter than ``n_fft``.
    """
    whole = torch.as_tensor(whole, dtype=torch.float32).detach().cpu()
    streamed = torch.as_tensor(streamed, dtype=torch.float32).detach().cpu()
    if whole.dim() != 1 or streamed.dim() != 1:
        raise ValueError(f"whole and streamed must be 1-D, got {tuple(whole.shape)} and {tuple(streamed.shape)}")
    n = min(whole.numel(), streamed.numel())
    if n < n_fft:
        raise ValueError(f"signals too short ({n} samples) for n_fft={n_fft}")
    w, s = whole[:n], streamed[:n]
    pw, ps = _log_power(w, n_fft, hop), _log_power(s, n_fft, hop)
    peak = float(pw.sum(0).max()) / pw.size(0)
    floor = max(peak * 10 ** (floor_db / 10.0), 1e-20)
    lsd = torch.sqrt(torch.mean((10 * torch.log10(ps.clamp_min(floor) / pw.clamp_min(floor))) ** 2, dim=0))
    active = pw.mean(0) > floor
    centres = torch.arange(pw.size(1)) * hop
    seams = torch.tensor([p for p in seam_sample_positions if 0 < p < n], dtype=torch.long)
    near = torch.zeros(pw.size(1), dtype=torch.bool)
    hf_s = hf_w = 0.0
    ds, dw = torch.diff(s), torch.diff(w)
    for p in seams.tolist():
        near |= (centres - p).abs() <= radius
        a, b = max(0, p - radius), min(n - 1, p + radius)
        hf_s += float(ds[a:b].pow(2).sum())
        hf_w += float(dw[a:b].pow(2).sum())

    def avg(mask):
        m = mask & active
        return float(lsd[m].mean()) if bool(m.any()) else float("nan")

    err = float((w - s).pow(2).sum())
    return {
        "lsd_seam_db": avg(near),
        "lsd_other_db": avg(~near),
        "lsd_all_db": avg(torch.ones_like(near)),
        "seam_excess_db": avg(near) - avg(~near),
        "hf_ratio_seam": hf_s / hf_w if hf_w > 0 else float("nan"),
        "snr_db": 10 * math.log10(float(w.pow(2).sum()) / err) if err > 0 else float("inf"),
        "max_abs_diff": float((w - s).abs().max()),
        "n_seams": int(seams.numel()),
        "n_seam_frames": int((near & active).sum()),
        "n_other_frames": int((~near & active).sum()),
        "length_diff": int(streamed.numel() - whole.numel()),
    }


def random_chunks(units: Sequence[int], min_size: int = 2, max_size: int = 8, seed: int = 0) -> List[List[int]]:
    """Split a unit sequence into consecutive chunks of random sizes in ``[min_size, max_size]``.

    Mimics a simultaneous decoder emitting units a few at a time (tests and benchmarks).

    Returns:
        list of lists of ints whose concatenation is ``units``.
    """
    rng = np.random.default_rng(seed)
    units = [int(u) for u in units]
    out, i = [], 0
    while i < len(units):
        k = int(rng.integers(min_size, max_size + 1))
        out.append(units[i:i + k])
        i += k
    return out

"""Speech output of a streaming session: vocoder drain, playout buffer and the listener's clock.

The streaming vocoder (:class:`ctc_unity.vocoder.streaming.StreamingVocoder`) holds back the
audio of its look-ahead frames and of the last units' durations until more units arrive.
:class:`SpeechOutput` decides when to release it (``drain``):

* ``always``: at every write (right when every write ends with whole words' units);
* ``underrun``: when the audio queued for the listener ends before the next source segment
  can arrive, i.e. when a pause is unavoidable anyway — the pause then falls after the written
  text and not inside its last phone;
* ``never``: only at the end of the stream;
* ``auto``: ``always`` when every write ends with complete units of a whole word (a policy
  that writes whole words and a model whose units come from the written tokens), else
  ``underrun`` (each measured best in its case, ``docs/results.md``).

The listener's clock follows SimulEval 1.1.4's speech-output timeline: a segment written after
``now`` ms of source starts playing at ``max(playback end, now)``. A playout buffer of
``min_start_ms`` holds the first speech until that much audio is ready (without it, the first
short word is usually followed by a pause while the next source word arrives).
"""
from typing import List

import torch
from torch import Tensor

from ..datasets.audio_io import SAMPLE_RATE

DRAIN_MODES = ("auto", "underrun", "always", "never")


def resolve_drain(mode: str, whole_word_writes: bool) -> str:
    """The effective drain mode (``auto`` resolved as the module docstring says).

    Raises:
        ValueError: on an unknown mode.
    """
    if mode not in DRAIN_MODES:
        raise ValueError(f"unknown vocoder drain mode {mode!r} (choices: {', '.join(DRAIN_MODES)})")
    if mode != "auto":
        return mode
    return "always" if whole_word_writes else "underrun"


class SpeechOutput:
    """Units -> audio for one stream, with the drain rule, playout buffer and playback clock.

    Args:
        vocoder: a :class:`~ctc_unity.vocoder.streaming.StreamingVocoder` (reset per stream).
        drain: ``underrun``, ``always`` or ``never`` (resolved, see :func:`resolve_drain`).
        min_start_ms: playout buffer before the first speech (ms; 0 = speak at the first write).
        segment_ms: the source chunk (ms) after which the next write can come.
    """

    def __init__(self, vocoder, drain: str, min_start_ms: float, segment_ms: float):
        self.vocoder, self.drain = vocoder, drain
        self.min_start_ms, self.segment_ms = float(min_start_ms), float(segment_ms)
        self.reset()

    def reset(self) -> None:
        """A new stream."""
        self.vocoder.reset()
        self.playback_end_ms = 0.0  # when the listener will have heard all written audio
        self.start_buffer: List[Tensor] = []  # audio held before the first write
        self.speaking = False  # the first audio has been written

    def write(self, units: List[int], done: bool, now_ms: float) -> Tensor:
        """Audio for newly written units; O(new units).

        Args:
            units: reduced unit ids written in this step (may be empty).
            done: the stream ends: everything is flushed.
            now_ms: source read so far (ms).

        Returns:
            ``(n,)`` float32 samples at 16 kHz (possibly none).
        """
        voc = self.vocoder
        out = voc.push(units, final=done, drain=self.drain == "always") if (units or done) else torch.zeros(0)
        start_ms = max(self.playback_end_ms, now_ms)
        if self.drain == "underrun" and not done and voc.held_back_frames() > 0:
            if start_ms + 1000.0 * out.numel() / SAMPLE_RATE - now_ms < self.segment_ms:
                out = torch.cat([out, voc.push([], drain=True)])
        if not self.speaking:
            self.start_buffer.append(out)
            held = sum(x.numel() for x in self.start_buffer)
            if not done and 1000.0 * held / SAMPLE_RATE < self.min_start_ms:
                return torch.zeros(0)
            out = torch.cat(self.start_buffer)
            self.start_buffer = []
            self.speaking = out.numel() > 0
        if out.numel():
            self.playback_end_ms = start_ms + 1000.0 * out.numel() / SAMPLE_RATE
        return out

"""Voice activity segmentation of a live stream (Silero VAD) and the utterance driver over a session.

Two pieces, shared by the live server (``server/``) and the file demo (``echostream-demo --vad``):

* :class:`VadSegmenter` cuts a stream of 16 kHz samples into utterances with Silero VAD
  (``silero-vad``; its weights ship in the wheel, nothing is fetched). It scores 512-sample
  windows (32 ms) and applies hysteresis: an utterance starts at the first window whose speech
  probability is ``>= threshold`` (with ``speech_pad_ms`` of audio before it), and ends once the
  probability has stayed below ``neg_threshold`` (default ``threshold - 0.15``) for
  ``min_silence_ms`` (a window back at ``>= threshold`` cancels the silence run, one in between
  neither cancels nor extends it: Silero's own ``VADIterator`` rule). An utterance longer than
  ``max_utterance_ms`` is cut by force, so a stream's state stays bounded whatever the audio
  and the model do. Audio outside utterances is never handed out (silence is not translated).
* :class:`UtteranceStream` drives one :class:`~.session.StreamingSession` over a stream: it
  pushes the audio in chunks of exactly ``segment_ms`` (one READ/WRITE decision per chunk, as
  the file demo does), finishes the current utterance at a VAD end, a forced cut or an explicit
  :meth:`~UtteranceStream.end_utterance` (translates to the end, final words), resets the session
  for the next one, and keeps the *stream clock*: the session's ``source_ms`` restarts at 0 for
  every utterance, the outputs carry the time since the stream started.

The state of both is bounded: the segmenter keeps its recurrent state (2x128 floats), a 64-sample
context, less than one window of pending samples and at most ``speech_pad_ms`` + one window of
pre-roll; the driver less than one chunk of samples and one clock anchor per dropped stretch of
audio not yet pushed. The model is loaded once (:class:`SileroVad`) and shared by any number of
segmenters; it is called without its internal state (each segmenter passes its own), so it is
safe to share between threads.
"""
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Deque, List, Optional, Tuple

import numpy as np
import torch

from ..datasets.audio_io import SAMPLE_RATE

WINDOW = 512  # samples per VAD decision at 16 kHz (32 ms), fixed by the Silero model
CONTEXT = 64  # samples of the previous window the model sees in front of each window


class SileroVad:
    """The Silero VAD network, loaded once from the ``silero-vad`` wheel (no download).

    Importing ``silero_vad`` calls ``torch.set_num_threads(1)``; the thread count is restored.
    Calls are stateless (the caller owns the recurrent state), so one instance serves every
    stream and thread.
    """

    _lock = threading.Lock()
    _shared: Optional["SileroVad"] = None

    def __init__(self):
        threads = torch.get_num_threads()
        try:
            from silero_vad import load_silero_vad

            jit = load_silero_vad(onnx=False)
        finally:
            torch.set_num_threads(threads)
        jit.eval()
        self.net = jit._model  # forward(x (B, 64+512), state (2, B, 128)) -> (prob (B, 1), state)

    @classmethod
    def shared(cls) -> "SileroVad":
        """The process-wide instance (loaded on first use)."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @staticmethod
    def initial_state(batch: int = 1) -> torch.Tensor:
        return torch.zeros(2, batch, 128)

    @torch.inference_mode()
    def __call__(self, x: torch.Tensor, state: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Speech probabilities of windows ``x`` ``(B, 576)`` (64 context + 512 new samples) -> ``(B,)``,
        and the next state. ``B`` streams may be stepped together (one window each)."""
        prob, state = self.net(x, state)
        return prob[:, 0], state


@dataclass
class VadEvent:
    """One output of :meth:`VadSegmenter.push`.

    Attributes:
        kind: ``start`` (an utterance begins), ``audio`` (samples of the current utterance),
            ``end`` (the utterance is over).
        position: stream sample index (16 kHz, counting skipped samples) where the event sits:
            the first sample of the utterance / of the audio, or the end of the utterance.
        samples: the audio (``audio`` events only).
        reason: why an utterance ended: ``silence``, ``max_length`` or ``flush``.
    """

    kind: str
    position: int
    samples: Optional[np.ndarray] = None
    reason: Optional[str] = None


class VadSegmenter:
    """Streaming utterance segmentation of one stream (see the module docstring).

    Args:
        vad: a :class:`SileroVad` (default: the shared one).
        threshold: speech probability that starts an utterance (and cancels a silence run).
        neg_threshold: probability below which a window counts as silence (default
            ``threshold - 0.15``).
        min_silence_ms: silence that ends an utterance (ms).
        speech_pad_ms: audio kept before the first speech window (ms).
        max_utterance_ms: an utterance is cut by force at this length (ms; 0 = never).

    Raises:
        ValueError: on out-of-range options.
    """

    def __init__(self, vad: Optional[SileroVad] = None, threshold: float = 0.5, neg_threshold: Optional[float] = None,
                 min_silence_ms: float = 500.0, speech_pad_ms: float = 96.0, max_utterance_ms: float = 20000.0):
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"VAD threshold must be in (0, 1), got {threshold}")
        if min_silence_ms < 0 or speech_pad_ms < 0 or max_utterance_ms < 0:
            raise ValueError("VAD durations must be >= 0")
        if 0 < max_utterance_ms < 1000:
            raise ValueError(f"max_utterance_ms must be 0 (never) or >= 1000, got {max_utterance_ms}")
        self.vad = vad or SileroVad.shared()
        self.threshold = threshold
        self.neg_threshold = max(0.01, threshold - 0.15) if neg_threshold is None else neg_threshold
        self.min_silence = int(SAMPLE_RATE * min_silence_ms / 1000)
        self.pad = int(SAMPLE_RATE * speech_pad_ms / 1000)
        self.max_utterance = int(SAMPLE_RATE * max_utterance_ms / 1000)
        self.reset()

    def reset(self) -> None:
        """A new stream (position 0, no utterance open, fresh recurrent state)."""
        self.state = SileroVad.initial_state()
        self.context = torch.zeros(1, CONTEXT)
        self.pending = np.zeros(0, dtype=np.float32)  # < WINDOW samples not yet scored
        self.position = 0  # stream index of the first pending sample
        self.preroll: Deque[Tuple[int, np.ndarray]] = deque()  # (position, window) before a start
        self.triggered = False
        self.utterance_samples = 0
        self.silence_start: Optional[int] = None  # stream index where the current silence run began
        self.last_prob = 0.0

    def push(self, samples: np.ndarray, skipped: int = 0) -> List[VadEvent]:
        """Score new samples; returns the events they complete (``audio`` events coalesced).

        Args:
            samples: ``(n,)`` float32 at 16 kHz.
            skipped: samples of the stream dropped right before these (they advance the positions).
        """
        events: List[VadEvent] = []
        if skipped:
            # a gap: the unscored remainder before it is dropped with it, the windows restart after it
            self.position += self.pending.size + int(skipped)
            self.pending = np.zeros(0, dtype=np.float32)
        x = np.concatenate([self.pending, np.asarray(samples, dtype=np.float32)])
        n = (x.size // WINDOW) * WINDOW
        for s in range(0, n, WINDOW):
            self._window(x[s:s + WINDOW], self.position + s, events)
        self.position += n
        self.pending = x[n:].copy()
        return _coalesce(events)

    def flush(self) -> List[VadEvent]:
        """End the open utterance now (with the unscored remainder); the stream goes on."""
        events: List[VadEvent] = []
        if self.triggered:
            if self.pending.size:
                events.append(VadEvent("audio", self.position, self.pending.copy()))
            events.append(VadEvent("end", self.position + self.pending.size, reason="flush"))
        self.position += self.pending.size
        self.pending = np.zeros(0, dtype=np.float32)
        self._close()
        return _coalesce(events)

    def _close(self) -> None:
        self.triggered = False
        self.utterance_samples = 0
        self.silence_start = None
        self.preroll.clear()

    def _window(self, w: np.ndarray, pos: int, events: List[VadEvent]) -> None:
        t = torch.from_numpy(w).unsqueeze(0)
        prob, self.state = self.vad(torch.cat([self.context, t], dim=1), self.state)
        self.context = t[:, -CONTEXT:]
        p = self.last_prob = float(prob[0])
        if not self.triggered:
            self.preroll.append((pos, w))
            while self.preroll and pos - self.preroll[0][0] > self.pad:
                self.preroll.popleft()
            if p >= self.threshold:
                self.triggered = True
                start = max(self.preroll[0][0], pos - self.pad)
                audio = np.concatenate([win for _, win in self.preroll])[start - self.preroll[0][0]:]
                self.preroll.clear()
                events += [VadEvent("start", start), VadEvent("audio", start, audio)]
                self.utterance_samples = audio.size
            return
        events.append(VadEvent("audio", pos, w))
        self.utterance_samples += w.size
        end = pos + w.size
        if p >= self.threshold:
            self.silence_start = None
        elif p < self.neg_threshold and self.silence_start is None:
            self.silence_start = pos
        if self.silence_start is not None and end - self.silence_start >= self.min_silence:
            events.append(VadEvent("end", end, reason="silence"))
            self._close()
        elif self.max_utterance and self.utterance_samples >= self.max_utterance:
            events.append(VadEvent("end", end, reason="max_length"))
            self._close()

    def state_nbytes(self) -> int:
        """Bytes of per-stream state (bounded: see the module docstring)."""
        return (self.state.numel() + self.context.numel()) * 4 + self.pending.nbytes + sum(
            w.nbytes for _, w in self.preroll)


def _coalesce(events: List[VadEvent]) -> List[VadEvent]:
    out: List[VadEvent] = []
    for e in events:
        if e.kind == "audio" and out and out[-1].kind == "audio" and (
                out[-1].position + out[-1].samples.size == e.position):
            out[-1] = VadEvent("audio", out[-1].position, np.concatenate([out[-1].samples, e.samples]))
        else:
            out.append(e)
    return out


@dataclass
class StreamOutput:
    """One output of :class:`UtteranceStream`.

    Attributes:
        kind: ``step`` (a session step; ``step`` holds its :class:`~.session.StepResult`),
            ``vad_start`` or ``vad_end``.
        utterance: index of the utterance (0, 1, ...) in the stream.
        source_ms: stream time (ms since the stream started, dropped audio included) that the
            step's outputs answer, or where the VAD event sits.
        step: the session's result (``step`` outputs).
        final: the step finished its utterance (its words are the utterance's last).
        reason: why the utterance ended (``silence``, ``max_length``, ``flush``; ``vad_end`` and
            final steps).
    """

    kind: str
    utterance: int
    source_ms: float
    step: object = None
    final: bool = False
    reason: Optional[str] = None


class UtteranceStream:
    """One live stream over a :class:`~.session.StreamingSession`: chunking, utterances, clock.

    Without a segmenter the whole stream is one utterance until :meth:`end_utterance`, and the
    session sees exactly the demo's pushes: chunks of ``segment_ms`` and, at the end, the
    remainder through ``finish`` (a stream whose length is an exact multiple of the chunk is
    finished by an extra, empty ``finish``: a live stream cannot know that its last chunk is the last).

    Args:
        session: the stream's :class:`~.session.StreamingSession` (not shared).
        vad: a :class:`VadSegmenter`, or None (no VAD: audio is pushed as it comes).
    """

    def __init__(self, session, vad: Optional[VadSegmenter] = None):
        self.session = session
        self.vad = vad
        self.chunk = int(SAMPLE_RATE * (session.options.segment_ms or 320) / 1000)
        self.utterance = 0
        self.position = 0  # stream samples consumed (skipped included)
        self.reset_utterance()
        if vad is not None:
            vad.reset()

    def reset_utterance(self) -> None:
        self.session.reset()
        self.buffer = np.zeros(0, dtype=np.float32)  # < one chunk, not yet pushed
        self.pushed = 0  # samples pushed into the session in this utterance
        self.open = False  # the utterance has audio
        # (session sample, stream sample) anchors of the clock; the first is the utterance start
        self.anchors: Deque[Tuple[int, int]] = deque()

    # ------------------------------------------------------------------ clock
    def _stream_ms(self, session_samples: int) -> float:
        while len(self.anchors) > 1 and self.anchors[1][0] <= session_samples:
            self.anchors.popleft()
        s0, p0 = self.anchors[0] if self.anchors else (0, self.position)
        return 1000.0 * (p0 + session_samples - s0) / SAMPLE_RATE

    def _append(self, samples: np.ndarray, position: int, out: List[StreamOutput]) -> None:
        """Utterance audio that starts at stream sample ``position``: buffer, push whole chunks."""
        if samples.size == 0:
            return
        at = self.pushed + self.buffer.size
        if not self.anchors or self.anchors[-1][1] + at - self.anchors[-1][0] != position:
            self.anchors.append((at, position))
        self.open = True
        self.buffer = np.concatenate([self.buffer, samples]) if self.buffer.size else samples.astype(np.float32)
        while self.buffer.size >= self.chunk:
            part, self.buffer = self.buffer[:self.chunk], self.buffer[self.chunk:]
            step = self.session.push(part)
            self.pushed += part.size
            out.append(StreamOutput("step", self.utterance, self._stream_ms(self.pushed), step))

    def _finish(self, reason: str, out: List[StreamOutput]) -> None:
        if self.open:
            rest, self.buffer = self.buffer, np.zeros(0, dtype=np.float32)
            step = self.session.finish(rest)
            self.pushed += rest.size
            out.append(StreamOutput("step", self.utterance, self._stream_ms(self.pushed), step, final=True,
                                    reason=reason))
            self.utterance += 1
        self.reset_utterance()

    # ------------------------------------------------------------------ API
    def feed(self, samples: np.ndarray, skipped: int = 0) -> List[StreamOutput]:
        """New stream samples (float32, 16 kHz); ``skipped`` samples were dropped right before them.

        Raises:
            ValueError: samples not 1-D or not finite (from the session's checks, before any state change).
        """
        samples = self.session.as_samples(samples)
        out: List[StreamOutput] = []
        if self.vad is None:
            self.position += int(skipped)
            self._append(samples, self.position, out)
            self.position += samples.size
            return out
        self.position += int(skipped) + samples.size
        for e in self.vad.push(samples, skipped):
            self._vad_event(e, out)
        return out

    def _vad_event(self, e: VadEvent, out: List[StreamOutput]) -> None:
        if e.kind == "start":
            out.append(StreamOutput("vad_start", self.utterance, 1000.0 * e.position / SAMPLE_RATE))
        elif e.kind == "audio":
            self._append(e.samples, e.position, out)
        else:
            u = self.utterance
            self._finish(e.reason, out)
            out.append(StreamOutput("vad_end", u, 1000.0 * e.position / SAMPLE_RATE, reason=e.reason))

    def end_utterance(self, reason: str = "flush") -> List[StreamOutput]:
        """Translate everything fed so far to its end (final words and speech) and start a new utterance."""
        out: List[StreamOutput] = []
        if self.vad is None:
            self._finish(reason, out)
        else:
            for e in self.vad.flush():
                if e.kind == "end":
                    e.reason = reason
                self._vad_event(e, out)
        return out

    def state_nbytes(self) -> int:
        """Bytes of per-stream state: the session's, the segmenter's and the chunk buffer."""
        return self.session.state_nbytes() + self.buffer.nbytes + 16 * len(self.anchors) + (
            self.vad.state_nbytes() if self.vad is not None else 0)

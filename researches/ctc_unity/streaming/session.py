"""`StreamingSession`: one stream of simultaneous speech-to-speech translation.

The one READ/WRITE loop of EchoStream: the SimulEval agents (``agent/``), the file demo, the
benchmarks, the tests and the live server all drive a :class:`StreamingSession`::

    from ctc_unity.streaming import SessionOptions, StreamingModel, StreamingSession, resolve_vocoder

    bundle = StreamingModel.load("runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt")
    vocoder, which = resolve_vocoder(bundle.data_dir)
    session = StreamingSession(bundle, SessionOptions(policy="word", segment_ms=320), vocoder)
    for chunk in chunks:                 # float32 (n,) at 16 kHz, any n
        step = session.push(chunk)       # StepResult: source_words, target_words, speech
    last = session.finish()

Each :meth:`~StreamingSession.push` reads the new samples and makes one decision, in this
order (the order of SimulEval's evaluator, one policy call per source segment): read →
policy (READ, or generate up to the policy's target and commit) → close the sentence at a
confirmed ``</s>`` (or by force when it grew too long) → roll back tentative tokens → hand
out the newly completed source words, the committed target words and the speech of the
newly written units. :meth:`~StreamingSession.finish` ends the source and translates to the end.

Everything the session keeps is bounded by the current sentence or a fixed window (see
:mod:`.translator`); words of finished sentences are handed out once and dropped.
:meth:`~StreamingSession.state_nbytes` measures it.
"""
import time
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..datasets.audio_io import SAMPLE_RATE
from ..datasets.text import complete_words
from .policies import DEFAULT_POLICY, build_policy
from .speech import SpeechOutput, resolve_drain
from .translator import IncrementalTranslator

FRAME_MS = 40  # one encoder frame
OUTPUTS = ("source", "text", "units", "speech")


@dataclass
class SessionOptions:
    """Options of a streaming session (the agents' and demo's command-line options map 1:1).

    Attributes:
        policy: ``word`` (default), ``alignment`` or ``wait-k`` (:mod:`.policies`).
        segment_ms: source chunk the caller pushes (ms); also sets the encoder segment.
        encoder_segment_length: Emformer segment in 40 ms frames (None: ``segment_ms / 40``;
            0 = full context).
        offline: translate at the end of the source (the whole source before any output; the
            policy is never asked); the encoder runs with ``encoder_segment_length`` when given
            (the offline upper bound's segment, ``echostream-eval --segment-length best``), else
            with full context.
        stride_n, lagging_k1: alignment / wait-k options; word_holdback: word policy option;
        waitk: wait-k's k (encoder segments).
        max_len: maximum target subwords per sentence.
        max_sentence_ms: a sentence still open after this much source (ms) is closed by force
            (0 = never).
        outputs: subset of ``("source", "text", "units", "speech")``: source words (ASR),
            target words, target units (reduced unit ids, the vocoder's input), target speech.
            With only ``source`` no translation is computed.
        vocoder_drain: ``auto``, ``underrun``, ``always`` or ``never`` (:mod:`.speech`).
        min_start_ms: playout buffer before the first speech (ms).
    """

    policy: str = DEFAULT_POLICY
    segment_ms: float = 320
    encoder_segment_length: Optional[int] = None
    offline: bool = False
    stride_n: int = 1
    lagging_k1: int = 0
    word_holdback: int = 0
    waitk: int = 3
    max_len: int = 200
    max_sentence_ms: float = 30000.0
    outputs: Tuple[str, ...] = OUTPUTS
    vocoder_drain: str = "auto"
    min_start_ms: float = 400.0

    def encoder_segment(self) -> int:
        """Emformer segment length in encoder frames (0 = full context)."""
        if self.encoder_segment_length is not None:
            return self.encoder_segment_length
        if self.offline:
            return 0
        return max(1, round((self.segment_ms or 320) / FRAME_MS))


@dataclass
class StepResult:
    """What one :meth:`StreamingSession.push` / :meth:`~StreamingSession.finish` produced.

    Attributes:
        source_words: source words the ASR-CTC prefix completed in this step.
        target_words: target words committed in this step (never retracted).
        units: reduced unit ids (``0..K-1``) written in this step (``units``/``speech`` outputs).
        speech: ``(n,)`` float32 samples at 16 kHz written in this step (may be empty).
        source_ms: source read when the step was taken (ms since the stream started): the
            time these outputs answer.
        finished: the stream is over (after :meth:`~StreamingSession.finish`).
        sentence_ends: how many sentences this step closed.
        compute_ms: wall-clock time of the step (ms).
    """

    source_words: List[str] = field(default_factory=list)
    target_words: List[str] = field(default_factory=list)
    units: List[int] = field(default_factory=list)
    speech: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    source_ms: float = 0.0
    finished: bool = False
    sentence_ends: int = 0
    compute_ms: float = 0.0


class StreamingSession:
    """One stream: pushes of 16 kHz audio in, source words, target words and speech out.

    Args:
        bundle: a :class:`~.loading.StreamingModel` (may be shared by many sessions).
        options: :class:`SessionOptions`.
        vocoder: a unit vocoder (:func:`~.loading.resolve_vocoder`); needed when ``speech`` is
            among the outputs, else ignored. Each session wraps it in its own
            :class:`~ctc_unity.vocoder.streaming.StreamingVocoder`.

    Raises:
        ValueError: unknown policy / output / drain mode, or ``speech`` requested without a vocoder.
    """

    def __init__(self, bundle, options: Optional[SessionOptions] = None, vocoder=None):
        self.bundle = bundle
        self.options = options = options or SessionOptions()
        unknown = set(options.outputs) - set(OUTPUTS)
        if unknown:
            raise ValueError(f"unknown output(s) {sorted(unknown)} (choices: {', '.join(OUTPUTS)})")
        segment = options.encoder_segment()
        self.policy = build_policy(options.policy, stride_n=options.stride_n, lagging_k1=options.lagging_k1,
                                   holdback=options.word_holdback, waitk=options.waitk, segment_frames=segment or 1)
        self.translates = bool(set(options.outputs) - {"source"})
        self.synthesizes = "units" in options.outputs or "speech" in options.outputs
        self.translator = IncrementalTranslator(
            bundle.model, bundle.asr_dict, bundle.mt_dict, bundle.cmvn_npz, segment, options.max_len, bundle.device,
            max_sentence_frames=int(options.max_sentence_ms // FRAME_MS), units=self.synthesizes)
        self.speech_output = None
        if "speech" in options.outputs:
            if vocoder is None:
                raise ValueError("the speech output needs a vocoder (see ctc_unity.streaming.resolve_vocoder)")
            from ..vocoder.streaming import StreamingVocoder

            drain = resolve_drain(options.vocoder_drain,
                                  self.policy.writes_whole_words and bundle.model.units_from_tokens)
            self.speech_output = SpeechOutput(StreamingVocoder(vocoder, keep_history=False), drain,
                                              options.min_start_ms, options.segment_ms or 320)
        self.reset()

    # ------------------------------------------------------------------ stream
    def reset(self) -> None:
        """Forget the stream; the next push starts a new one."""
        self.translator.reset()
        self.policy.reset()
        if self.speech_output is not None:
            self.speech_output.reset()
        self.n_samples = 0  # source samples read
        self.words_written = 0  # target words handed out of the current sentence
        self.finished = False

    @property
    def source_ms(self) -> float:
        """Source read so far (ms)."""
        return 1000.0 * self.n_samples / SAMPLE_RATE

    def push(self, samples) -> StepResult:
        """Read new source samples and take one READ/WRITE decision.

        Args:
            samples: ``(n,)`` float32 audio at 16 kHz in [-1, 1] (numpy, tensor or list; ``n``
                may be 0: a decision without new source).

        Raises:
            ValueError: samples not 1-D, or containing NaN/Inf.
            RuntimeError: the stream was finished (call :meth:`reset`).
        """
        return self._step(samples, finished=False)

    def finish(self, samples=None) -> StepResult:
        """End the source (after optional last ``samples``) and translate to the end."""
        return self._step(samples, finished=True)

    def _step(self, samples, finished: bool) -> StepResult:
        if self.finished:
            raise RuntimeError("stream already finished; call reset() for a new one")
        t0 = time.perf_counter()
        new = self.as_samples(samples)
        tr = self.translator
        self.n_samples += new.size
        if new.size or (finished and not tr.source_finished):
            tr.read(new, finished)
        result = StepResult(source_ms=self.source_ms, finished=finished)
        result.source_words = self._source_words()
        if self.translates:
            self._decide()
            result.sentence_ends = len(tr.finished_sentences)
            result.target_words = self._target_words(finished)
            if self.synthesizes:
                result.units = tr.units_for_new_text(word_final=self.policy.writes_whole_words or finished)
            if self.speech_output is not None:
                result.speech = self.speech_output.write(result.units, finished, self.source_ms).numpy().astype(
                    np.float32, copy=False)
        self.finished = finished
        result.compute_ms = 1000.0 * (time.perf_counter() - t0)
        return result

    @staticmethod
    def as_samples(samples) -> np.ndarray:
        """Audio as the session takes it: ``(n,)`` float32 (numpy, tensor, list or None = empty).

        Raises:
            ValueError: not 1-D, or NaN/Inf samples.
        """
        if samples is None:
            return np.zeros(0, dtype=np.float32)
        x = samples.detach().cpu().numpy() if isinstance(samples, torch.Tensor) else np.asarray(samples)
        x = x.astype(np.float32, copy=False)
        if x.ndim != 1:
            raise ValueError(f"expected 1-D audio samples (n,), got shape {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError(f"audio samples contain {int((~np.isfinite(x)).sum())} NaN/Inf value(s)")
        return x

    # ------------------------------------------------------------------ decisions
    def _decide(self) -> None:
        tr = self.translator
        view = tr.view()
        n = 0
        if view.source_finished:
            n = tr.generate_to_end()
        elif self.options.offline:
            pass  # READ until the source ends (a sentence longer than max_sentence_ms is still closed)
        elif not self.policy.should_read(view):
            target = self.policy.write_target(view)
            n = tr.generate_words(target) if self.policy.writes_whole_words else tr.generate_tokens(target)
            self.policy.update(view, n)
        if n:
            tr.commit(n)
        if tr.should_end_sentence():
            tr.end_sentence()
        elif tr.should_force_end_sentence():
            tr.force_end_sentence()
        if tr.hyp.tokens:
            tr.rollback()

    # ------------------------------------------------------------------ words
    def _source_words(self) -> List[str]:
        words = self.translator.pop_source_words()  # always popped: keeps the ASR state bounded
        if not words or "source" not in self.options.outputs:
            return []
        asr = self.bundle.asr_dict
        return self.bundle.asr_spm.decode([asr[t] for w in words for t in w]).split()

    def _target_words(self, done: bool) -> List[str]:
        """Target words completed since the last call; cost bounded by the current sentence.

        Words of closed sentences are complete; in the current sentence a word is complete
        once the next one started (or ``done``).
        """
        tr, mt, spm = self.translator, self.bundle.mt_dict, self.bundle.tgt_spm
        new: List[str] = []
        for sentence in tr.pop_finished_sentences():
            new += spm.decode([mt[t] for t in sentence]).split()[self.words_written:]
            self.words_written = 0
        pieces = [mt[t] for t in tr.committed]
        n = complete_words(pieces, done)
        if n > self.words_written:
            new += spm.decode(pieces).split()[self.words_written:n]
            self.words_written = n
        return new

    # ------------------------------------------------------------------ measurement
    def state_nbytes(self) -> int:
        """Bytes of per-stream state the session carries (tensors, arrays and Python lists in
        the translator, the policy, the speech output and its streaming vocoder; the shared
        model and vocoder weights excluded). Bounded by the sentence or a fixed window."""
        roots = [self.translator, self.policy]
        if self.speech_output is not None:
            roots += [self.speech_output, self.speech_output.vocoder]
        return sum(_nbytes(r, set(), top=True) for r in roots)


def _nbytes(obj, seen: set, top: bool = False) -> int:
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, (list, tuple)):
        return 8 * len(obj) + sum(_nbytes(x, seen) for x in obj)
    if isinstance(obj, dict):
        return 8 * len(obj) + sum(_nbytes(x, seen) for x in obj.values())
    if isinstance(obj, (int, float, bool, str, type(None), torch.nn.Module)):
        return 0
    if hasattr(obj, "__dict__"):
        skip = {"model", "asr_dict", "mt_dict", "vocoder", "banned"} if top else set()
        return sum(_nbytes(v, seen) for k, v in vars(obj).items() if k not in skip)
    return 0

"""READ/WRITE policies of simultaneous translation over a read-only :class:`PolicyView`.

A policy never touches the model or the hypothesis: after new source was read the session
(:class:`ctc_unity.streaming.StreamingSession`) asks :meth:`Policy.should_read` (side-effect
free); if it says WRITE, :meth:`Policy.write_target` says how much of the current sentence
may be committed after this step — in subwords, or in whole words when
:attr:`Policy.writes_whole_words` — and the session generates MT tokens greedily up to that
target and commits them. :meth:`Policy.update` is then told how many tokens were written.
When the source has ended every policy lets the session finish the translation.

* :class:`AlignmentPolicy` — StreamSpeech's alignment-guided policy (Zhang et al., ACL 2024):
  READ until the ASR-CTC and ST-CTC prefixes have each grown by ``stride_n`` tokens since the
  last WRITE; then WRITE MT tokens up to ``len(ST-CTC prefix) - lagging_k1``, rounded down to
  a multiple of ``stride_n``.
* :class:`WordPolicy` — EchoStream's word-level policy (the default; measured best in
  ``docs/results.md``): only whole target words are committed (a word is final once the next
  subword starts with SentencePiece's ``▁`` or the source ended); READ until the ASR-CTC
  prefix completes a new source word; WRITE up to the number of complete words of the
  sentence's ST-CTC prefix minus ``holdback`` words.
* :class:`WaitKPolicy` — wait-k (Ma et al., ACL 2019) on encoder segments: after ``s``
  segments of the sentence have been encoded, ``(s - k + 1) * stride_n`` tokens may be written.
"""
from dataclasses import dataclass
from typing import Dict, Type


@dataclass(frozen=True)
class PolicyView:
    """What a policy may see of a stream, after the latest READ (all counts are integers).

    Attributes:
        source_finished: the source has ended.
        source_words: complete source words of the ASR-CTC prefix since the stream started
            (the last one counts once the source ended).
        asr_tokens, st_tokens: length of the collapsed ASR-CTC / ST-CTC prefixes since the
            stream started.
        sentence_st_tokens: ST-CTC tokens of the current sentence.
        sentence_st_words: complete words among them (the last word never counts: the ST-CTC
            prefix goes on).
        sentence_frames: encoder frames (40 ms) of the current sentence.
    """

    source_finished: bool
    source_words: int
    asr_tokens: int
    st_tokens: int
    sentence_st_tokens: int
    sentence_st_words: int
    sentence_frames: int


class Policy:
    """Base class. Subclasses set :attr:`name` and implement :meth:`write_target`.

    Attributes:
        name: the registry name (``--policy``).
        writes_whole_words: :meth:`write_target` counts whole target words, not subwords; every
            write then ends at a word boundary (the unit path needs no look-ahead).
    """

    name = "base"
    writes_whole_words = False

    def reset(self) -> None:
        """Forget the previous stream."""

    def should_read(self, view: PolicyView) -> bool:
        """READ (True) or try to WRITE (False); must not change the policy's state."""
        return False

    def write_target(self, view: PolicyView) -> int:
        """Total subwords (or whole words, see :attr:`writes_whole_words`) of the current
        sentence that may be committed after this step."""
        raise NotImplementedError

    def update(self, view: PolicyView, written: int) -> None:
        """Called after every step that did not READ, with the subwords committed (may be 0)."""


class AlignmentPolicy(Policy):
    """StreamSpeech's alignment-guided policy (see module docstring).

    Args:
        stride_n: tokens per decision (N in the paper).
        lagging_k1: tokens the MT output stays behind the ST-CTC prefix (K1).
    """

    name = "alignment"

    def __init__(self, stride_n: int = 1, lagging_k1: int = 0, **_):
        self.stride_n, self.lagging_k1 = stride_n, lagging_k1
        self.reset()

    def reset(self) -> None:
        self.asr_len = self.st_len = 0

    def should_read(self, view):
        return view.asr_tokens - self.asr_len < self.stride_n or view.st_tokens - self.st_len < self.stride_n

    def write_target(self, view):
        target = view.sentence_st_tokens - self.lagging_k1
        return max(0, target // self.stride_n * self.stride_n)

    def update(self, view, written):
        if written:
            self.asr_len, self.st_len = view.asr_tokens, view.st_tokens


class WordPolicy(Policy):
    """EchoStream's word-level policy (see module docstring).

    Args:
        holdback: complete ST-CTC words not translated yet (0 = translate every word the
            ST-CTC prefix has completed).
    """

    name = "word"
    writes_whole_words = True

    def __init__(self, holdback: int = 0, **_):
        self.holdback = holdback
        self.reset()

    def reset(self) -> None:
        self.src_words = 0

    def should_read(self, view):
        return view.source_words <= self.src_words

    def write_target(self, view):
        return view.sentence_st_words - self.holdback

    def update(self, view, written):
        self.src_words = view.source_words


class WaitKPolicy(Policy):
    """wait-k over encoder segments.

    Args:
        waitk: segments to wait before the first WRITE (k).
        stride_n: tokens written per further segment.
        segment_frames: encoder frames per segment (the stream's segment length).
    """

    name = "wait-k"

    def __init__(self, waitk: int = 3, stride_n: int = 1, segment_frames: int = 8, **_):
        self.k, self.stride_n, self.segment_frames = waitk, stride_n, max(1, segment_frames)

    def write_target(self, view):
        segments = view.sentence_frames // self.segment_frames
        return max(0, segments - self.k + 1) * self.stride_n


POLICIES: Dict[str, Type[Policy]] = {cls.name: cls for cls in (WordPolicy, AlignmentPolicy, WaitKPolicy)}
DEFAULT_POLICY = WordPolicy.name


def build_policy(name: str, **options) -> Policy:
    """A policy from the registry :data:`POLICIES` by name (``word``, ``alignment``, ``wait-k``).

    Args:
        name: registry name.
        options: constructor options (``stride_n``, ``lagging_k1``, ``holdback``, ``waitk``,
            ``segment_frames``); options a policy does not take are ignored.

    Raises:
        ValueError: on an unknown name.
    """
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r} (choices: {', '.join(POLICIES)})")
    return POLICIES[name](**options)

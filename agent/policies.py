"""READ/WRITE policies over a :class:`StreamingTranslator`.

Each policy's :meth:`decide` is called after new source was read. It may generate tentative
MT tokens (``translator.next_token()``) and returns how many of them to commit (WRITE);
0 means READ. On source end every policy finishes the translation.

* :class:`AlignmentPolicy` — StreamSpeech's alignment-guided policy (Zhang et al., ACL 2024):
  READ until the ASR-CTC and ST-CTC prefixes have each grown by ``stride_n`` tokens since the
  last WRITE; then WRITE MT tokens up to ``len(ST-CTC prefix) - lagging_k1``, rounded down to
  a multiple of ``stride_n``.
* :class:`WordPolicy` — EchoStream's word-level policy: only whole target words are
  committed (a word is final once the next subword starts with SentencePiece's ``▁`` or the
  source ended); READ until the ASR-CTC prefix completes a new source word; WRITE up to the
  number of complete words of the ST-CTC prefix minus ``holdback`` words.
* :class:`WaitKPolicy` — wait-k (Ma et al., 2019) on encoder segments: after ``s`` segments
  have been encoded, ``(s - k + 1) * stride_n`` tokens may be written.
"""
from .streaming_translator import StreamingTranslator


class Policy:
    """Base class: subclasses implement :meth:`target_tokens` / :meth:`should_read`."""

    name = "base"

    def reset(self) -> None:
        """Forget the previous stream."""

    def decide(self, tr: StreamingTranslator) -> int:
        """Generate and return the number of tentative tokens to commit now (0 = READ)."""
        if tr.source_finished:
            while tr.next_token() is not None:
                pass
            return len(tr.hyp.tokens)
        if self.should_read(tr):
            return 0
        n = self._generate_until(tr, self.target_tokens(tr))
        if n:
            self.on_write(tr)
        return n

    def should_read(self, tr: StreamingTranslator) -> bool:
        return False

    def target_tokens(self, tr: StreamingTranslator) -> int:
        """Total committed tokens allowed after this step."""
        raise NotImplementedError

    def on_write(self, tr: StreamingTranslator) -> None:
        pass

    @staticmethod
    def _generate_until(tr: StreamingTranslator, total: int) -> int:
        while len(tr.committed) + len(tr.hyp.tokens) < total:
            if tr.next_token() is None:
                break
        n = len(tr.hyp.tokens)
        if tr.hyp.ended:  # </s> before the end of the source: do not commit it yet
            n -= 1
        return max(0, min(n, total - len(tr.committed)))


class AlignmentPolicy(Policy):
    """StreamSpeech's alignment-guided policy (see module docstring).

    Args:
        stride_n: tokens per decision (N in the paper).
        lagging_k1: tokens the MT output stays behind the ST-CTC prefix (K1).
    """

    name = "alignment"

    def __init__(self, stride_n: int = 1, lagging_k1: int = 0):
        self.stride_n, self.lagging_k1 = stride_n, lagging_k1
        self.reset()

    def reset(self) -> None:
        self.asr_len = self.st_len = 0

    def should_read(self, tr):
        return (len(tr.asr_tokens) - self.asr_len < self.stride_n
                or len(tr.st_tokens) - self.st_len < self.stride_n)

    def target_tokens(self, tr):
        target = len(tr.sentence_st_tokens) - self.lagging_k1
        return max(0, target // self.stride_n * self.stride_n)

    def on_write(self, tr):
        self.asr_len, self.st_len = len(tr.asr_tokens), len(tr.st_tokens)


class WordPolicy(Policy):
    """EchoStream's word-level policy (see module docstring).

    Args:
        holdback: complete ST-CTC words not translated yet (0 = translate every word the
            ST-CTC prefix has completed).
    """

    name = "word"

    def __init__(self, holdback: int = 0):
        self.holdback = holdback
        self.reset()

    def reset(self) -> None:
        self.src_words = 0

    def should_read(self, tr):
        words = tr.complete_source_words()
        if words <= self.src_words:
            return True
        self.src_words = words
        return False

    @staticmethod
    def _word_starts(tr) -> list:
        """Indices where words start in committed + tentative pieces (``</s>`` excluded)."""
        tokens = [t for t in tr.committed + tr.hyp.tokens if t != tr.mt_dict.eos()]
        return [i for i, p in enumerate(tr.pieces(tokens)) if i == 0 or p.startswith("\u2581")]

    def decide(self, tr):
        if tr.source_finished:
            return super().decide(tr)
        if self.should_read(tr):
            return 0
        allowed = tr.complete_words(tr.pieces(tr.sentence_st_tokens), False) - self.holdback
        # a word is complete once the next one has started: generate one word ahead
        while not tr.hyp.ended and len(self._word_starts(tr)) - 1 < allowed:
            if tr.next_token() is None:
                break
        starts = self._word_starts(tr)
        words = min(allowed, len(starts) - 1)
        if words <= 0:
            return 0
        return max(0, starts[words] - len(tr.committed))


class WaitKPolicy(Policy):
    """wait-k over encoder segments.

    Args:
        k: segments to wait before the first WRITE.
        stride_n: tokens written per further segment.
        segment_frames: encoder frames per segment (the stream's segment length).
    """

    name = "wait-k"

    def __init__(self, k: int = 3, stride_n: int = 1, segment_frames: int = 8):
        self.k, self.stride_n, self.segment_frames = k, stride_n, max(1, segment_frames)

    def target_tokens(self, tr):
        segments = tr.sentence_frames // self.segment_frames
        return max(0, segments - self.k + 1) * self.stride_n


def build_policy(name: str, stride_n: int = 1, lagging_k1: int = 0, holdback: int = 0, waitk: int = 3,
                 segment_frames: int = 8) -> Policy:
    """Policy by name: ``alignment``, ``word`` or ``wait-k``.

    Raises:
        ValueError: on an unknown name.
    """
    if name == "alignment":
        return AlignmentPolicy(stride_n, lagging_k1)
    if name == "word":
        return WordPolicy(holdback)
    if name == "wait-k":
        return WaitKPolicy(waitk, stride_n, segment_frames)
    raise ValueError(f"unknown policy {name!r} (alignment, word, wait-k)")

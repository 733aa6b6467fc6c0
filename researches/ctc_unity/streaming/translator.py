"""The incremental translation state of one stream: source prefixes, the sentence's hypothesis, units.

Per new chunk of audio (:meth:`IncrementalTranslator.read`) the work is proportional to the
chunk: online fbank on the new samples, the encoder's cached streaming state
(:meth:`EchoStreamEncoder.forward_streaming`), the ASR and ST CTC heads on the new encoder
frames only (collapsed prefixes continued), and the new frames' keys/values appended to the
MT decoder's cross-attention cache (:meth:`~ctc_unity.models.echostream_streaming.
StreamingInferenceMixin.mt_extend_cross_attention`). MT tokens are produced greedily one at
a time with fairseq incremental state (:meth:`next_token`); tokens the policy does not commit
yet are rolled back (:meth:`rollback`) and re-predicted later with more source (as in
StreamSpeech's agent, the self-attention cache of committed tokens is not recomputed when
more source arrives). Committed tokens feed the unit path (:meth:`units_for_new_text`).

**Bounded state.** Everything kept is bounded by the current sentence or a fixed window: the
ASR prefix keeps only the tokens of words not yet handed out (:meth:`pop_source_words`), the
ST prefix only the current sentence's tokens, the MT state only the current sentence's frames,
cache and committed tokens, the unit path only inputs not yet synthesized (its caches are
windowed), and the encoder's state is its fixed left context and memory bank. Finished
sentences are handed out (:meth:`pop_finished_sentences`) and dropped.

**Sentences.** A long unsegmented stream is cut into sentences (:meth:`end_sentence`): when
the MT decoder predicts ``</s>`` while the source goes on and the ST-CTC prefix already holds
``sentence_min_ahead`` more target tokens than the sentence (:meth:`should_end_sentence`),
the sentence is closed, and the next one attends only to encoder frames from two frames
before the first ST-CTC token not covered by the closed one. A sentence that reaches
``max_sentence_frames`` encoder frames or ``max_len`` subwords without that happening is
closed by force (:meth:`force_end_sentence`: translated to its end on the source read so far),
so that a weak or confused model cannot leave one sentence open for a whole stream.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

from ..modules.ctc_decoding import collapse_ctc_prefix
from .features import OnlineFbank
from .policies import PolicyView
from ..datasets.text import begins_word, complete_words, word_starts


@dataclass
class Hypothesis:
    """Tokens generated after the committed prefix (tentative) with their decoder states.

    Attributes:
        tokens: subword ids; states: ``(1, 1, C)`` decoder state that predicted each.
        ended: ``</s>`` was predicted (it is the last token).
        full: the sentence reached ``max_len`` subwords (no ``</s>``).
    """

    tokens: List[int] = field(default_factory=list)
    states: List[Tensor] = field(default_factory=list)
    ended: bool = False
    full: bool = False


class IncrementalTranslator:
    """Incremental ASR / ST-CTC / MT / unit inference for one stream (batch size 1).

    Args:
        model: an :class:`EchoStreamModel` (eval mode, on ``device``).
        asr_dict, mt_dict: fairseq dictionaries of the ASR CTC and MT heads.
        cmvn_npz: global CMVN stats of the training data (``gcmvn.npz``) or None.
        segment_length: Emformer segment length in 40 ms encoder frames (0 = full context:
            nothing is encoded before the end of the source).
        max_len: maximum target subwords per sentence.
        device: torch device.
        sentence_min_ahead: ST-CTC tokens beyond the sentence needed to close it at ``</s>``.
        max_sentence_frames: encoder frames (40 ms) after which a sentence is closed by force
            (0 = never; default 750 = 30 s).
        units: feed committed tokens to the unit path (False: text only, nothing is kept for it).
    """

    def __init__(self, model, asr_dict, mt_dict, cmvn_npz: Optional[str], segment_length: int,
                 max_len: int = 200, device: str = "cpu", sentence_min_ahead: int = 2,
                 max_sentence_frames: int = 750, units: bool = True):
        self.model = model
        self.asr_dict, self.mt_dict = asr_dict, mt_dict
        self.segment_length = segment_length
        self.max_len = max_len
        self.device = device
        self.sentence_min_ahead = sentence_min_ahead
        self.max_sentence_frames = max_sentence_frames
        self.units = units
        self.fbank = OnlineFbank(cmvn_npz)
        self.banned = [mt_dict.pad(), mt_dict.bos(), mt_dict.unk()]
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget everything about the previous stream."""
        self.fbank.reset()
        self.enc_state = self.model.encoder.init_state()
        self.n_encoder_frames = 0  # since the start of the stream
        self.source_finished = False
        self.finished = False  # </s> of the last sentence was committed at the end of the source
        # ASR-CTC prefix: counts since the stream started, tokens of words not handed out yet
        self.asr_last = self.asr_dict.bos()
        self.n_asr_tokens = self.n_asr_words = 0
        self.asr_pending: List[int] = []  # starts at a word start
        # ST-CTC prefix
        self.st_last = self.mt_dict.bos()
        self.st_cache: Dict = {}
        self.n_st_tokens = 0
        self.sentence_st: List[int] = []  # ST-CTC tokens of the current sentence
        self.sentence_st_frames: List[int] = []  # absolute encoder frame of each
        self.finished_sentences: List[List[int]] = []  # closed, not handed out yet
        self.unit_state: Dict = {}
        self._new_sentence(self.n_encoder_frames)

    def _new_sentence(self, start: int, frames: Optional[Tensor] = None) -> None:
        self.sentence_start = start  # first encoder frame of the current sentence
        self.encoder_frames: List[Tensor] = [] if frames is None or frames.size(0) == 0 else [frames]
        self.mt_cache: Dict = {}
        self.mt_cache_started = False
        self.committed: List[int] = []
        self.hyp = Hypothesis()
        self.unit_inputs: List = []  # committed tokens/states not synthesized yet
        self.unit_word_final = False  # a sentence was closed: its last token ends a word

    # ------------------------------------------------------------------ source side
    @torch.no_grad()
    def read(self, samples, finished: bool) -> int:
        """Consume new 16 kHz samples; returns the number of new encoder frames (40 ms).

        Args:
            samples: ``(n,)`` float samples in [-1, 1] (list, array or tensor; may be empty).
            finished: the source ends after them.
        """
        feats = self.fbank(samples).to(self.device)
        out, self.enc_state = self.model.encoder.forward_streaming(
            feats[None], self.enc_state, finish=finished, segment_length=self.segment_length)
        self.source_finished = finished
        if out.size(0) == 0:
            return 0
        first = self.n_encoder_frames
        self.n_encoder_frames += out.size(0)
        self.encoder_frames.append(out)
        asr, st = self.model.ctc_heads_streaming(out, self.st_cache)
        new, self.asr_last = collapse_ctc_prefix(asr, self.asr_last, self.asr_dict.bos())
        for t in new:
            if not self.asr_pending or begins_word(self.asr_dict[t]):
                self.n_asr_words += 1
            self.asr_pending.append(t)
        self.n_asr_tokens += len(new)
        new, pos, self.st_last = collapse_ctc_prefix(st, self.st_last, self.mt_dict.bos(), return_positions=True)
        self.sentence_st += new
        self.sentence_st_frames += [first + i for i in pos]
        self.n_st_tokens += len(new)
        if self.mt_cache_started:
            self.model.mt_extend_cross_attention(self.mt_cache, out)
        if self.hyp.tokens:  # more source: tentative tokens must be re-predicted
            self.rollback()
        return out.size(0)

    def complete_source_words(self) -> int:
        """Whole words of the ASR-CTC prefix since the stream started (the last one counts
        once the source ended); O(1)."""
        return self.n_asr_words if self.source_finished else max(0, self.n_asr_words - 1)

    def pop_source_words(self) -> List[List[int]]:
        """ASR-CTC token ids of the source words completed since the last call, one list per word."""
        pieces = [self.asr_dict[t] for t in self.asr_pending]
        starts = word_starts(pieces)
        n = complete_words(pieces, self.source_finished)
        if n == 0:
            return []
        bounds = starts[: n] + [starts[n] if n < len(starts) else len(pieces)]
        words = [self.asr_pending[a:b] for a, b in zip(bounds, bounds[1:])]
        self.asr_pending = self.asr_pending[bounds[-1]:]
        return words

    def view(self) -> PolicyView:
        """The read-only view a policy decides on (bounded by the sentence)."""
        pieces = [self.mt_dict[t] for t in self.sentence_st]
        return PolicyView(source_finished=self.source_finished, source_words=self.complete_source_words(),
                          asr_tokens=self.n_asr_tokens, st_tokens=self.n_st_tokens,
                          sentence_st_tokens=len(self.sentence_st),
                          sentence_st_words=complete_words(pieces, False),
                          sentence_frames=self.n_encoder_frames - self.sentence_start)

    # ------------------------------------------------------------------ target side
    @torch.no_grad()
    def next_token(self) -> Optional[int]:
        """Predict (greedily) one more token after committed + tentative ones; None if none possible.

        Returns None when no encoder frame of the sentence exists yet, the hypothesis has
        ended (``</s>``), or the sentence reached ``max_len`` subwords (``hyp.full``).
        """
        if self.hyp.ended or self.hyp.full or not self.encoder_frames:
            return None
        prefix = self.committed + self.hyp.tokens
        if len(prefix) >= self.max_len:
            self.hyp.full = True
            return None
        if not self.mt_cache_started and len(self.encoder_frames) > 1:
            self.encoder_frames = [torch.cat(self.encoder_frames, 0)]
        # once the cache holds the encoder keys/values, the frames passed are not used
        lprobs, state = self.model.mt_next_token_lprobs(prefix, self.encoder_frames[-1], self.mt_cache)
        self.mt_cache_started = True
        lprobs[self.banned] = float("-inf")
        token = int(lprobs.argmax())
        self.hyp.tokens.append(token)
        self.hyp.states.append(state)
        if token == self.mt_dict.eos():
            self.hyp.ended = True
        return token

    def generate_tokens(self, total: int) -> int:
        """Generate until the sentence has ``total`` committed + tentative subwords; returns how
        many tentative ones may be committed (``</s>`` excluded)."""
        while len(self.committed) + len(self.hyp.tokens) < total:
            if self.next_token() is None:
                break
        n = len(self.hyp.tokens) - (1 if self.hyp.ended else 0)
        return max(0, min(n, total - len(self.committed)))

    def generate_words(self, words: int) -> int:
        """Generate until ``words`` whole target words of the sentence exist (a word is whole
        once the next one has started); returns the tentative subwords that complete them."""
        starts = self._target_word_starts()
        while not self.hyp.ended and len(starts) - 1 < words:
            if self.next_token() is None:
                break
            starts = self._target_word_starts()
        n = min(words, len(starts) - 1)
        return max(0, starts[n] - len(self.committed)) if n > 0 else 0

    def generate_to_end(self) -> int:
        """Generate until ``</s>`` or ``max_len``; returns all tentative tokens (``</s>`` included)."""
        while self.next_token() is not None:
            pass
        return len(self.hyp.tokens)

    def _target_word_starts(self) -> List[int]:
        eos = self.mt_dict.eos()
        return word_starts([self.mt_dict[t] for t in self.committed + self.hyp.tokens if t != eos])

    def commit(self, n: int) -> List[int]:
        """Make the first ``n`` tentative tokens final; returns them (``</s>`` excluded; a
        committed ``</s>`` marks the stream as finished)."""
        tokens, states = self.hyp.tokens[:n], self.hyp.states[:n]
        self.hyp.tokens, self.hyp.states = self.hyp.tokens[n:], self.hyp.states[n:]
        out = []
        for t, s in zip(tokens, states):
            if self.units:
                self.unit_inputs += self.model.unit_inputs(t, s)
            if t == self.mt_dict.eos():
                self.finished = True
                break
            self.committed.append(t)
            out.append(t)
        return out

    def rollback(self) -> None:
        """Drop tentative tokens and their decoder cache entries."""
        self.hyp = Hypothesis()
        self.model.mt_truncate_self_attention(self.mt_cache, len(self.committed))

    # ------------------------------------------------------------------ sentences
    def should_end_sentence(self) -> bool:
        """``</s>`` predicted mid-stream while the ST-CTC prefix shows more target content."""
        if not self.hyp.ended or self.source_finished:
            return False
        n_target = len(self.committed) + len(self.hyp.tokens) - 1  # the sentence without </s>
        return len(self.sentence_st) - n_target >= self.sentence_min_ahead

    def should_force_end_sentence(self) -> bool:
        """The sentence reached ``max_sentence_frames`` or ``max_len`` mid-stream."""
        if self.source_finished:
            return False
        too_long = 0 < self.max_sentence_frames <= self.n_encoder_frames - self.sentence_start
        return too_long or self.hyp.full

    def end_sentence(self) -> None:
        """Close the current sentence at its predicted ``</s>`` and start a new one.

        Tentative tokens before ``</s>`` are committed first (``</s>`` completes the last
        word, and its state goes to the unit path as at the end of an utterance); the next
        sentence's encoder frames start two frames before the first ST-CTC token not covered
        by the closed sentence.

        Raises:
            RuntimeError: if no ``</s>`` was predicted.
        """
        if not self.hyp.ended:
            raise RuntimeError("end_sentence() needs a hypothesis ending in </s>")
        self._close_sentence(forced=False)

    def force_end_sentence(self) -> None:
        """Translate the sentence to its end on the source read so far, close it, and start
        the next sentence at the current encoder frame (its ST-CTC tokens are dropped)."""
        self.rollback()
        self.generate_to_end()
        self._close_sentence(forced=True)

    def _close_sentence(self, forced: bool) -> None:
        eos = self.hyp.ended
        self.commit(len(self.hyp.tokens) - (1 if eos else 0))
        if eos and self.units:
            self.unit_inputs += self.model.unit_inputs(self.hyp.tokens[0], self.hyp.states[0])
        self.finished_sentences.append(self.committed)
        keep_inputs = self.unit_inputs
        covered = len(self.sentence_st) if forced else min(len(self.committed), len(self.sentence_st))
        self.sentence_st, self.sentence_st_frames = self.sentence_st[covered:], self.sentence_st_frames[covered:]
        boundary = self.sentence_st_frames[0] if self.sentence_st_frames else self.n_encoder_frames
        start = self.n_encoder_frames if forced else min(max(self.sentence_start, boundary - 2), self.n_encoder_frames)
        frames = torch.cat(self.encoder_frames, 0)[start - self.sentence_start:] if self.encoder_frames else None
        self._new_sentence(start, frames)
        self.unit_inputs = keep_inputs
        self.unit_word_final = True
        self.model.units_sentence_end(self.unit_state)

    def pop_finished_sentences(self) -> List[List[int]]:
        """Committed subword ids of the sentences closed since the last call (then dropped)."""
        out, self.finished_sentences = self.finished_sentences, []
        return out

    # ------------------------------------------------------------------ units
    def units_for_new_text(self, word_final: bool = False) -> List[int]:
        """Reduced unit ids (0..K-1) for the committed text not synthesized yet.

        Args:
            word_final: the committed text ends with a complete word (the word policy
                guarantees it; so do the end of a sentence and of the stream). Otherwise, with
                the unit text encoder's word look-ahead, the last token waits for its successor.
        """
        if not self.unit_inputs and "pending" not in self.unit_state.get("text", {}):
            return []
        inputs, self.unit_inputs = self.unit_inputs, []
        final = word_final or self.unit_word_final or self.finished or self.source_finished
        self.unit_word_final = False
        return self.model.units_streaming(inputs, self.unit_state, final)

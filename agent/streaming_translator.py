"""Streaming inference over an EchoStream model: the state of one stream and its incremental steps.

Per new chunk of audio (:meth:`StreamingTranslator.read`) the work is proportional to the
chunk: online fbank on the new samples, the encoder's cached streaming state
(:meth:`EchoStreamEncoder.forward_streaming`), the ASR and ST CTC heads on the new encoder
frames only (collapsed prefixes kept), and the new frames' keys/values appended to the MT
decoder's cross-attention cache (fairseq incremental state) instead of recomputing them.
MT tokens are produced greedily one at a time with fairseq incremental state
(:meth:`next_token`); tokens a policy decides not to emit yet are rolled back
(:meth:`rollback`) and re-predicted later with more source. Committed tokens keep the decoder
state that predicted them, which feeds the CTC unit decoder (:meth:`units_for_new_text`); with
``--unit-states tokens`` the committed tokens themselves feed it (through the model's causal
unit text encoder), so the units do not depend on the source read so far.

Long unsegmented streams are cut into sentences (:meth:`end_sentence`): when the MT decoder
predicts ``</s>`` while the source goes on and the ST-CTC prefix already holds more target
tokens than the sentence committed, the sentence is closed, the MT state is reset, and the
next sentence attends only to encoder frames from where the ST-CTC prefix says it begins.
So the MT decoder's cost stays bounded by the sentence length, not the stream length.

Known approximation (as in StreamSpeech's agent): the self-attention cache of committed
target tokens is not recomputed when more source arrives.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ctc_unity.modules.ctc_decoding import collapse_ctc_prefix

from .online_features import OnlineFbank

WORD_BOUNDARY = "\u2581"


@dataclass
class Hypothesis:
    """Tokens generated after the committed prefix (tentative) with their decoder states."""

    tokens: List[int] = field(default_factory=list)
    states: List[Tensor] = field(default_factory=list)  # each (1, 1, C)
    ended: bool = False  # </s> was predicted


class StreamingTranslator:
    """Incremental ASR / ST-CTC / MT / unit inference for one stream (batch size 1).

    Args:
        model: an :class:`EchoStreamModel` (eval mode, on ``device``).
        asr_dict, mt_dict: fairseq dictionaries of the ASR CTC and MT heads.
        cmvn_npz: global CMVN stats of the training data (``gcmvn.npz``).
        segment_length: Emformer segment length in 40 ms frames (0 = full context: nothing
            is encoded before the end of the source).
        max_len: maximum target subwords per stream.
        device: torch device.
    """

    def __init__(self, model, asr_dict, mt_dict, cmvn_npz: Optional[str], segment_length: int,
                 max_len: int = 200, device: str = "cpu", sentence_min_ahead: int = 2):
        self.model = model
        self.asr_dict, self.mt_dict = asr_dict, mt_dict
        self.segment_length = segment_length
        self.max_len = max_len
        self.device = device
        self.sentence_min_ahead = sentence_min_ahead
        self.fbank = OnlineFbank(cmvn_npz)
        self.banned = [mt_dict.pad(), mt_dict.bos(), mt_dict.unk()]
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget everything about the previous stream."""
        self.fbank.reset()
        self.enc_state = self.model.encoder.init_state()
        self.encoder_frames: List[Tensor] = []  # (m, 1, C) chunks of the current sentence
        self.n_encoder_frames = 0  # since the start of the stream
        self.sentence_start = 0  # first encoder frame of the current sentence
        self.sentences: List[List[int]] = []  # committed tokens of finished sentences
        self.st_frames: List[int] = []  # encoder frame at which each ST-CTC token appeared
        self.st_offset = 0  # ST-CTC tokens that belong to finished sentences
        self.asr_tokens: List[int] = []
        self.asr_word_starts: List[int] = []  # indices of ASR tokens that begin a word
        self.asr_last = self.asr_dict.bos()
        self.st_tokens: List[int] = []
        self.st_last = self.mt_dict.bos()
        self.st_cache: Dict = {}
        self.mt_cache: Dict = {}
        self.mt_cache_started = False
        self.committed: List[int] = []
        self.committed_states: List[Tensor] = []
        self.hyp = Hypothesis()
        self.unit_tokens: List[int] = []  # committed tokens of the stream (``tokens`` mode)
        self.units_fed = 0
        self.unit_state: Dict = {}
        self.unit_text_state: Dict = {}
        self.unit_word_final = False  # a sentence was closed: its last token ends a word
        self.unit_last = 0
        self.source_finished = False
        self.finished = False

    # ------------------------------------------------------------------ source side
    @torch.no_grad()
    def read(self, samples, finished: bool) -> int:
        """Consume new 16 kHz samples; returns the number of new encoder frames.

        Updates the ASR and ST CTC prefixes and the MT cross-attention cache.
        """
        feats = self.fbank(samples).to(self.device)
        out, self.enc_state = self.model.encoder.forward_streaming(
            feats[None], self.enc_state, finish=finished, segment_length=self.segment_length)
        self.source_finished = finished
        if out.size(0) == 0:
            return 0
        self.n_encoder_frames += out.size(0)
        self.encoder_frames.append(out)
        asr = self.model.asr_ctc_decoder.proj(out).argmax(-1)[:, 0].tolist()
        new, self.asr_last = collapse_ctc_prefix(asr, self.asr_last, self.asr_dict.bos())
        for t in new:
            if not self.asr_tokens or self.asr_dict[t].startswith(WORD_BOUNDARY):
                self.asr_word_starts.append(len(self.asr_tokens))
            self.asr_tokens.append(t)
        st = self.model.st_ctc_decoder.forward_streaming(out, self.st_cache).argmax(-1)[:, 0].tolist()
        first = self.n_encoder_frames - out.size(0)
        for i, t in enumerate(st):  # collapse, remembering the frame of each new token
            if t != self.st_last and t != self.mt_dict.bos():
                self.st_tokens.append(t)
                self.st_frames.append(first + i)
            self.st_last = t
        if self.mt_cache_started:
            self._extend_cross_attention(out)
        if self.hyp.tokens:  # more source: tentative tokens must be re-predicted
            self.rollback()
        return out.size(0)

    def _encoder_out(self) -> Dict:
        if self.mt_cache_started:  # keys/values are cached (and extended in read()): no copy
            return {"encoder_out": self.encoder_frames[-1:], "encoder_padding_mask": []}
        if len(self.encoder_frames) > 1:
            self.encoder_frames = [torch.cat(self.encoder_frames, 0)]
        return {"encoder_out": self.encoder_frames, "encoder_padding_mask": []}

    def complete_source_words(self) -> int:
        """Whole words in the ASR-CTC prefix (the last one counts once the source ended); O(1)."""
        n = len(self.asr_word_starts)
        return n if self.source_finished else max(0, n - 1)

    def _extend_cross_attention(self, new_frames: Tensor) -> None:
        """Append the keys/values of new encoder frames to every cached encoder-attention state."""
        for layer in self.model.decoder.layers:
            attn = layer.encoder_attn
            buf = attn._get_input_buffer(self.mt_cache)
            if "prev_key" not in buf:
                continue
            heads, dim = attn.num_heads, attn.head_dim
            for name, proj in (("prev_key", attn.k_proj), ("prev_value", attn.v_proj)):
                x = proj(new_frames)  # (m, 1, C)
                x = x.view(x.size(0), heads, dim).permute(1, 0, 2)[None]  # (1, H, m, d)
                buf[name] = torch.cat([buf[name], x], dim=2)
            attn._set_input_buffer(self.mt_cache, buf)

    # ------------------------------------------------------------------ sentences
    @property
    def sentence_st_tokens(self) -> List[int]:
        """ST-CTC tokens of the current sentence."""
        return self.st_tokens[self.st_offset:]

    @property
    def sentence_frames(self) -> int:
        """Encoder frames since the current sentence started."""
        return self.n_encoder_frames - self.sentence_start

    def all_committed(self) -> List[int]:
        """Committed target tokens of the whole stream (finished sentences, then the current one)."""
        return [t for sent in self.sentences for t in sent] + self.committed

    def should_end_sentence(self) -> bool:
        """``</s>`` predicted mid-stream while the ST-CTC prefix shows more target content."""
        if not self.hyp.ended or self.source_finished:
            return False
        n_target = len(self.committed) + len(self.hyp.tokens) - 1  # the sentence without </s>
        return len(self.sentence_st_tokens) - n_target >= self.sentence_min_ahead

    def end_sentence(self) -> None:
        """Close the current sentence at its predicted ``</s>`` and start a new one.

        Tentative tokens before ``</s>`` are committed first (``</s>`` completes the last
        word). The ``</s>`` state goes to the unit decoder (as at the end of an utterance);
        the next sentence's encoder frames start two frames before the first ST-CTC token not
        covered by the closed sentence.

        Raises:
            RuntimeError: if no ``</s>`` was predicted.
        """
        if not self.hyp.ended:
            raise RuntimeError("end_sentence() needs a hypothesis ending in </s>")
        self.commit(len(self.hyp.tokens) - 1)
        if self.model.unit_states == "read":  # the position that has read the last token
            self.committed_states.append(self.hyp.states[0])
        self.sentences.append(self.committed)
        self.unit_word_final = True
        n_st = len(self.sentence_st_tokens)
        self.st_offset += min(len(self.committed), n_st)
        boundary = self.st_frames[self.st_offset] if self.st_offset < len(self.st_frames) else self.n_encoder_frames
        start = min(max(self.sentence_start, boundary - 2), self.n_encoder_frames)
        frames = torch.cat(self.encoder_frames, 0) if self.encoder_frames else None
        self.encoder_frames = [] if frames is None else [frames[start - self.sentence_start:]]
        if self.encoder_frames and self.encoder_frames[0].size(0) == 0:
            self.encoder_frames = []
        self.sentence_start = start
        self.committed = []
        self.hyp = Hypothesis()
        self.mt_cache = {}
        self.mt_cache_started = False

    # ------------------------------------------------------------------ target side
    def _truncate_self_attention(self, n_positions: int) -> None:
        for layer in self.model.decoder.layers:
            attn = layer.self_attn
            buf = attn._get_input_buffer(self.mt_cache)
            for key in ("prev_key", "prev_value"):
                if buf.get(key) is not None:
                    buf[key] = buf[key][:, :, :n_positions]
            attn._set_input_buffer(self.mt_cache, buf)

    @torch.no_grad()
    def next_token(self) -> Optional[int]:
        """Predict (greedily) one more token after committed + tentative ones; None if none possible.

        Returns None when no encoder frame exists yet, the hypothesis has ended (``</s>``),
        or ``max_len`` is reached. A predicted ``</s>`` marks the hypothesis as ended.
        """
        if self.hyp.ended or not self.encoder_frames:
            return None
        prefix = self.committed + self.hyp.tokens
        if len(prefix) >= self.max_len:
            self.hyp.ended = True
            return None
        prev = torch.tensor([[self.mt_dict.eos()] + prefix], device=self.device)
        logits, extra = self.model.decoder(prev, encoder_out=self._encoder_out(), incremental_state=self.mt_cache)
        self.mt_cache_started = True
        state = self.model.text_states(extra)[-1:]  # (1, 1, C)
        lprobs = F.log_softmax(logits[0, -1].float(), dim=-1)
        lprobs[self.banned] = float("-inf")
        token = int(lprobs.argmax())
        self.hyp.tokens.append(token)
        self.hyp.states.append(state)
        if token == self.mt_dict.eos():
            self.hyp.ended = True
        return token

    def commit(self, n: int) -> List[int]:
        """Make the first ``n`` tentative tokens final; returns them (``</s>`` excluded)."""
        tokens, states = self.hyp.tokens[:n], self.hyp.states[:n]
        self.hyp.tokens, self.hyp.states = self.hyp.tokens[n:], self.hyp.states[n:]
        out = []
        mode = self.model.unit_states
        for t, s in zip(tokens, states):
            if mode == "tokens":
                if t != self.mt_dict.eos():
                    self.unit_tokens.append(t)
            elif t != self.mt_dict.eos() or mode == "read":
                self.committed_states.append(s)  # s predicted t (and has read the token before)
            if t == self.mt_dict.eos():
                self.finished = True
                break
            self.committed.append(t)
            out.append(t)
        return out

    def rollback(self) -> None:
        """Drop tentative tokens and their decoder cache entries."""
        self.hyp = Hypothesis()
        self._truncate_self_attention(len(self.committed))

    # ------------------------------------------------------------------ text helpers
    def pieces(self, tokens: List[int], dictionary=None) -> List[str]:
        d = dictionary or self.mt_dict
        return [d[t] for t in tokens]

    @staticmethod
    def complete_words(pieces: List[str], source_finished: bool) -> int:
        """Number of whole words in a piece sequence (the last word counts once the stream ended)."""
        starts = sum(1 for p in pieces if p.startswith(WORD_BOUNDARY))
        if not pieces:
            return 0
        if not pieces[0].startswith(WORD_BOUNDARY):
            starts += 1
        return starts if source_finished else max(0, starts - 1)

    # ------------------------------------------------------------------ units
    @torch.no_grad()
    def units_for_new_text(self, word_final: bool = False) -> List[int]:
        """Unit ids (0..K-1, reduced) for the committed text states not yet synthesized.

        Each committed token contributes the decoder state that predicted it. With the
        default ``--unit-states read`` the model places a token's units mostly on the
        *next* position (which has read the token), so a written word's last sounds come
        with the next write (and ``</s>``'s state completes the stream); with ``predict``
        they are complete at once; with ``tokens`` the committed tokens go through the unit
        text encoder (streaming, cached) instead of decoder states.

        Args:
            word_final: the committed text ends with a complete word (EchoStream's word policy
                guarantees it; so do the end of a sentence and of the stream). Otherwise, with the
                text encoder's word look-ahead, the last committed token waits for its successor.
        """
        model = self.model
        inputs = self.unit_tokens if model.unit_states == "tokens" else self.committed_states
        new = inputs[self.units_fed:]
        if not new and "pending" not in self.unit_text_state:
            return []
        self.units_fed = len(inputs)
        if model.unit_states == "tokens":
            tokens = torch.tensor(new, dtype=torch.long, device=self.device).view(-1, 1)  # (n, 1)
            final = word_final or self.unit_word_final or self.finished or self.source_finished
            self.unit_word_final = False
            x = model.unit_text_encoder.forward_streaming(tokens, self.unit_text_state, word_final=final)
            if x.size(0) == 0:
                return []
        else:
            x = torch.cat(new, 0)  # (n, 1, C)
        if model.synthesizer_encoder is not None:  # bidirectional T2U: re-run over the prefix
            allx = torch.cat(self.committed_states, 0)
            x = model.synthesizer_encoder(allx, None)["encoder_out"][0][-x.size(0):]
        logits = model.unit_decoder.forward_streaming(x, self.unit_state)
        ids = logits.argmax(-1)[:, 0].tolist()
        unit_dict = model.unit_decoder.dictionary
        new, self.unit_last = collapse_ctc_prefix(ids, self.unit_last, unit_dict.bos())
        return [u - unit_dict.nspecial for u in new if u >= unit_dict.nspecial]

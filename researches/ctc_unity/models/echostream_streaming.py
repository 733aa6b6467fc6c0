"""The streaming inference API of :class:`~ctc_unity.models.echostream.EchoStreamModel`.

The model owns every computation that needs its internals (as torchaudio's RNN-T owns
``transcribe_streaming``); a caller (:class:`ctc_unity.streaming.StreamingSession`) owns only
decisions and caller-side state dicts. All methods are for batch size 1 and run under
``torch.no_grad()``.

* source side: :meth:`~StreamingInferenceMixin.ctc_heads_streaming` (ASR and ST CTC argmaxes
  of new encoder frames, ST through its cached causal layers);
* MT decoder: :meth:`~StreamingInferenceMixin.mt_next_token_lprobs` (one greedy step with
  fairseq incremental state), :meth:`~StreamingInferenceMixin.mt_extend_cross_attention`
  (append the keys/values of new encoder frames to the cached encoder-attention state instead
  of recomputing them) and :meth:`~StreamingInferenceMixin.mt_truncate_self_attention`
  (drop rolled-back positions);
* unit path: :meth:`~StreamingInferenceMixin.unit_inputs` (what a committed token feeds to the
  unit decoder in this model's ``--unit-states`` mode) and
  :meth:`~StreamingInferenceMixin.units_streaming` (the T2U encoder if any and the CTC unit
  decoder on new inputs, collapsed to reduced unit ids).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from ..modules.ctc_decoding import collapse_ctc_prefix

IncrementalState = Dict[str, Dict[str, Optional[Tensor]]]


class StreamingInferenceMixin:
    """Streaming (incremental, batch 1) inference methods; mixed into ``EchoStreamModel``."""

    # ------------------------------------------------------------------ source side
    @torch.no_grad()
    def ctc_heads_streaming(self, frames: Tensor, st_cache: Dict) -> Tuple[List[int], List[int]]:
        """Frame argmaxes of the ASR CTC and ST CTC heads for new encoder frames.

        Args:
            frames: ``(m, 1, C)`` new encoder frames (40 ms each).
            st_cache: caller-owned incremental state of the ST CTC decoder's causal layers
                (``{}`` at stream start; bounded by ``--st-ctc-window``).

        Returns:
            ``(asr_ids, st_ids)``: ``m`` argmax ids each (not collapsed; blank = ``<s>``).
        """
        asr = self.asr_ctc_decoder.proj(frames).argmax(-1)[:, 0].tolist()
        st = self.st_ctc_decoder.forward_streaming(frames, st_cache).argmax(-1)[:, 0].tolist()
        return asr, st

    # ------------------------------------------------------------------ MT decoder
    @torch.no_grad()
    def mt_next_token_lprobs(self, prefix: Sequence[int], encoder_frames: Tensor,
                             incremental_state: IncrementalState) -> Tuple[Tensor, Tensor]:
        """One greedy MT decoder step after ``prefix`` with fairseq incremental state.

        Args:
            prefix: target subword ids written so far in the sentence (``</s>`` is prepended
                as the decoder's start symbol).
            encoder_frames: ``(S, 1, C)`` the sentence's encoder frames. Once the
                encoder-attention cache exists (after the first call) only its keys/values are
                used, so the caller may pass any frames (see :meth:`mt_extend_cross_attention`).
            incremental_state: caller-owned fairseq incremental state (``{}`` per sentence).

        Returns:
            ``(lprobs, state)``: ``(V,)`` float log-probabilities of the next token and the
            ``(1, 1, C)`` final decoder state at that position (input of the unit path).
        """
        eos = self.decoder.dictionary.eos()
        device = encoder_frames.device
        prev = torch.tensor([[eos] + list(prefix)], device=device)
        enc = {"encoder_out": [encoder_frames], "encoder_padding_mask": []}
        logits, extra = self.decoder(prev, encoder_out=enc, incremental_state=incremental_state)
        state = self.text_states(extra)[-1:]
        return F.log_softmax(logits[0, -1].float(), dim=-1), state

    @torch.no_grad()
    def mt_extend_cross_attention(self, incremental_state: IncrementalState, new_frames: Tensor) -> None:
        """Append the keys/values of new encoder frames to every cached encoder-attention state.

        Equivalent to recomputing the encoder attention over all frames (its projections are
        per frame), at the cost of the new frames only. Layers without a cache are left alone.

        Args:
            incremental_state: the fairseq incremental state of :meth:`mt_next_token_lprobs`.
            new_frames: ``(m, 1, C)`` encoder frames that arrived after the cached ones.
        """
        for layer in self.decoder.layers:
            attn = layer.encoder_attn
            buf = attn._get_input_buffer(incremental_state)
            if "prev_key" not in buf:
                continue
            heads, dim = attn.num_heads, attn.head_dim
            for name, proj in (("prev_key", attn.k_proj), ("prev_value", attn.v_proj)):
                x = proj(new_frames)  # (m, 1, C)
                x = x.view(x.size(0), heads, dim).permute(1, 0, 2)[None]  # (1, H, m, d)
                buf[name] = torch.cat([buf[name], x], dim=2)
            attn._set_input_buffer(incremental_state, buf)

    def mt_truncate_self_attention(self, incremental_state: IncrementalState, n_positions: int) -> None:
        """Keep the first ``n_positions`` target positions of every cached self-attention state
        (rolls back tentative tokens; a fairseq incremental state holds ``(1, H, L, d)`` keys/values)."""
        for layer in self.decoder.layers:
            attn = layer.self_attn
            buf = attn._get_input_buffer(incremental_state)
            for key in ("prev_key", "prev_value"):
                if buf.get(key) is not None:
                    buf[key] = buf[key][:, :, :n_positions]
            attn._set_input_buffer(incremental_state, buf)

    # ------------------------------------------------------------------ unit path
    @property
    def units_from_tokens(self) -> bool:
        """True when the unit path reads the written subwords (``--unit-states tokens``), so a
        written word's units depend only on the text, not on the source read so far."""
        return self.unit_states == "tokens"

    def unit_inputs(self, token: int, state: Tensor) -> list:
        """What one committed MT token contributes to the unit decoder's input.

        ``--unit-states tokens``: the token itself (``</s>`` contributes nothing); ``read``:
        the decoder state that predicted it, ``</s>`` included (that position has read the last
        word, and completes it); ``predict``: that state, ``</s>`` excluded.

        Args:
            token: the committed subword id.
            state: ``(1, 1, C)`` the MT decoder state that predicted it.

        Returns:
            a list of 0 or 1 items, to pass to :meth:`units_streaming`.
        """
        eos = token == self.decoder.dictionary.eos()
        if self.units_from_tokens:
            return [] if eos else [token]
        return [state] if (not eos or self.unit_states == "read") else []

    @torch.no_grad()
    def units_streaming(self, inputs: list, state: Dict, word_final: bool) -> List[int]:
        """Reduced unit ids (``0..K-1``) for new unit-path inputs (from :meth:`unit_inputs`).

        With ``--unit-states tokens`` the tokens go through the causal unit text encoder
        (streaming; with word look-ahead the last token waits for its successor unless
        ``word_final``); otherwise the decoder states are used directly (through the
        bidirectional T2U encoder, if the model has one, re-run over the inputs since
        :meth:`units_sentence_end`). Then the CTC unit decoder's causal layers (cached, windowed)
        and one CTC collapse continued from the previous call.

        Args:
            inputs: token ids or ``(1, 1, C)`` states (may be empty: flushes a held-back token).
            state: caller-owned dict (``{}`` at stream start), updated in place.
            word_final: the text written so far ends with a complete word.

        Returns:
            new reduced unit ids, in order (may be empty).
        """
        if not inputs and "pending" not in state.get("text", {}):
            return []
        if self.units_from_tokens:
            tokens = torch.tensor(inputs, dtype=torch.long, device=self._device()).view(-1, 1)  # (n, 1)
            x = self.unit_text_encoder.forward_streaming(tokens, state.setdefault("text", {}), word_final=word_final)
            if x.size(0) == 0:
                return []
        else:
            x = torch.cat(inputs, 0)  # (n, 1, C)
        if self.synthesizer_encoder is not None:  # bidirectional T2U: re-run over the sentence so far
            history = state.setdefault("sentence_inputs", [])
            history.append(x)
            allx = torch.cat(history, 0)
            x = self.synthesizer_encoder(allx, None)["encoder_out"][0][-x.size(0):]
        logits = self.unit_decoder.forward_streaming(x, state.setdefault("decoder", {}))
        unit_dict = self.unit_decoder.dictionary
        new, state["last"] = collapse_ctc_prefix(logits.argmax(-1)[:, 0].tolist(), state.get("last", unit_dict.bos()),
                                                 unit_dict.bos())
        return [u - unit_dict.nspecial for u in new if u >= unit_dict.nspecial]

    @staticmethod
    def units_sentence_end(state: Dict) -> None:
        """A sentence was closed: forget the T2U encoder's inputs (bounded by the sentence)."""
        state.pop("sentence_inputs", None)

    def _device(self):
        return next(self.parameters()).device

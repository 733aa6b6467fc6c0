"""EchoStream speech encoder: streaming conv subsampling + cached Emformer.

fbank (10 ms frames) -> :class:`StreamingConv1dSubsampler` (4x, 40 ms frames) -> scale and
sinusoidal absolute positions -> :class:`SegmentedEmformer`.

Two ways to run it, with the same result (tested to 1e-4):

* :meth:`EchoStreamEncoder.forward`: full sequences, fairseq ``encoder_out`` dict, used in
  training and offline decoding.
* :meth:`EchoStreamEncoder.init_state` / :meth:`EchoStreamEncoder.forward_streaming`:
  feed any number of new fbank frames, get the encoder frames that became final. Work per
  call depends only on the new frames (segment + cached left context + memory bank).
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
from torch import Tensor

from ..modules.positions import sinusoidal_positions
from ..modules.segmented_emformer import EmformerStates, SegmentedEmformer, emformer_state_nbytes
from ..modules.streaming_subsampler import SubsamplerState
from .speech_encoder_base import FULL_CONTEXT, SegmentedSpeechEncoder, parse_segment_lengths  # noqa: F401

@dataclass
class EncoderState:
    """Streaming state of :class:`EchoStreamEncoder` for one stream (batch rows in lockstep).

    Attributes:
        subsampler: carried convolution context.
        emformer: Emformer memory bank and left-context keys/values per layer (None at start).
        pending: ``(B, n, D)`` subsampled frames waiting for a whole segment (+ right context).
        n_emitted: encoder frames output so far (also the next absolute position).
        n_embedded: subsampled frames embedded so far (positions of ``pending``).
        finished: True once the end of the stream has been processed.
    """

    subsampler: SubsamplerState
    emformer: Optional[EmformerStates] = None
    pending: Optional[Tensor] = None
    n_emitted: int = 0
    n_embedded: int = 0
    finished: bool = False
    extra: Dict = field(default_factory=dict)

    def nbytes(self) -> int:
        """Bytes carried between calls (conv buffers, pending frames, Emformer states)."""
        pending = 0 if self.pending is None else self.pending.numel() * self.pending.element_size()
        return self.subsampler.nbytes() + emformer_state_nbytes(self.emformer) + pending


class EchoStreamEncoder(SegmentedSpeechEncoder):
    """Streaming speech encoder (conv subsampling + Emformer).

    Args:
        args: fairseq namespace with ``input_feat_per_channel``, ``input_channels``,
            ``conv_channels``, ``conv_kernel_sizes`` ("5,5"), ``encoder_embed_dim``,
            ``encoder_layers``, ``encoder_attention_heads``, ``encoder_ffn_embed_dim``,
            ``dropout``, ``segment_length``, ``left_context_length``,
            ``right_context_length``, ``max_memory_size`` (frames of 40 ms),
            ``multichunk`` and ``segment_length_choices`` (see :func:`parse_segment_lengths`).
    """

    def __init__(self, args):
        super().__init__(args)
        dim = self.embed_dim
        self.use_positions = not getattr(args, "encoder_no_positions", False)
        self.emformer = SegmentedEmformer(
            input_dim=dim,
            num_heads=args.encoder_attention_heads,
            ffn_dim=args.encoder_ffn_embed_dim,
            num_layers=args.encoder_layers,
            segment_length=max(1, args.segment_length),
            dropout=args.dropout,
            activation=getattr(args, "encoder_activation", "relu"),
            left_context_length=args.left_context_length,
            right_context_length=args.right_context_length,
            max_memory_size=args.max_memory_size,
        )
        self.right_context_length = args.right_context_length

    # ------------------------------------------------------------------ helpers
    def _embed(self, x: Tensor, start: int) -> Tensor:
        """Scale, add positions ``start..start+T-1`` and apply dropout. ``x``: ``(T, B, D)``."""
        x = x * self.embed_scale
        if self.use_positions:
            pos = torch.arange(start, start + x.size(0), device=x.device)
            x = x + sinusoidal_positions(pos, self.embed_dim).to(x.dtype)[:, None, :]
        return self.dropout(x)

    def _effective_segment_length(self, length: int, segment_length: int) -> int:
        return max(1, length) if segment_length == FULL_CONTEXT else segment_length

    # ------------------------------------------------------------------ full sequence
    def forward(self, src_tokens: Tensor, src_lengths: Tensor, return_all_hiddens: bool = False,
                segment_length: Optional[int] = None, **kwargs) -> Dict[str, List]:
        """Encode full (padded) sequences.

        Args:
            src_tokens: ``(B, T, C)`` normalized fbank, 10 ms frames.
            src_lengths: ``(B,)`` valid frames.
            return_all_hiddens: unused (kept for fairseq's interface).
            segment_length: override in encoder frames (0 = full context); default: sampled
                by :meth:`sample_segment_length`.

        Returns:
            fairseq encoder dict: ``encoder_out`` = [``(T', B, D)``], ``encoder_padding_mask``
            = [``(B, T')`` bool, True at padding], ``src_lengths`` = [``(B,)`` output lengths],
            ``encoder_embedding``/``encoder_states``/``src_tokens`` empty lists.
        """
        x, lengths = self.subsample(src_tokens, src_lengths)
        x = self._embed(x, 0)
        seg = self.sample_segment_length() if segment_length is None else segment_length
        self.last_segment_length = seg
        self.emformer.set_segment_length(self._effective_segment_length(x.size(0), seg))
        if self.right_context_length > 0:
            x = torch.cat([x, x.new_zeros(self.right_context_length, x.size(1), x.size(2))], dim=0)
        out, _ = self.emformer(x.transpose(0, 1), lengths)
        out = out.transpose(0, 1)
        padding_mask = torch.arange(out.size(0), device=out.device)[None, :] >= lengths[:, None]
        return self.encoder_out_dict(out, padding_mask, lengths)

    # ------------------------------------------------------------------ streaming
    def init_state(self) -> EncoderState:
        """A fresh streaming state (call once per stream/instance)."""
        return EncoderState(subsampler=self.subsample.init_state())

    @torch.no_grad()
    def forward_streaming(self, features: Tensor, state: EncoderState, finish: bool = False,
                          segment_length: Optional[int] = None) -> Tuple[Tensor, EncoderState]:
        """Encode the next chunk of a stream.

        Args:
            features: ``(B, n, C)`` new normalized fbank frames (10 ms; any ``n >= 0``).
            state: from :meth:`init_state` or the previous call.
            finish: True when the source has ended: flushes the partial last segment.
            segment_length: encoder frames per segment (default: ``self.segment_length``;
                0 = full context, i.e. nothing is output before ``finish``). Must stay the
                same for the whole stream.

        Returns:
            ``(m, B, D)`` encoder frames that became final (``m`` may be 0), and the state.

        Raises:
            RuntimeError: if the stream was already finished.
        """
        if state.finished:
            raise RuntimeError("encoder stream already finished; call init_state() for a new stream")
        seg = self.segment_length if segment_length is None else segment_length
        x, sub_state = self.subsample.forward_streaming(features, state.subsampler, finish=finish)
        x = self._embed(x, state.n_embedded).transpose(0, 1)  # B x n x D
        n_embedded = state.n_embedded + x.size(1)
        pending = x if state.pending is None else torch.cat([state.pending, x], dim=1)
        rc = self.right_context_length
        emformer_states = state.emformer
        outputs = []
        if seg == FULL_CONTEXT:
            if finish and pending.size(1) > 0:
                self.emformer.set_segment_length(pending.size(1))
                seg_in = torch.cat([pending, pending.new_zeros(pending.size(0), rc, pending.size(2))], 1)
                out, emformer_states = self.emformer.infer_segment(seg_in, emformer_states)
                outputs.append(out)
                pending = pending[:, pending.size(1):]
        else:
            self.emformer.set_segment_length(seg)
            if finish:
                pending = torch.cat([pending, pending.new_zeros(pending.size(0), rc, pending.size(2))], 1)
            while pending.size(1) >= seg + rc or (finish and pending.size(1) > rc):
                n = min(seg, pending.size(1) - rc)
                out, emformer_states = self.emformer.infer_segment(pending[:, : n + rc], emformer_states)
                outputs.append(out)
                pending = pending[:, n:]
        if outputs:
            out = torch.cat(outputs, dim=1).transpose(0, 1)
        else:
            out = x.new_zeros(0, x.size(0), self.embed_dim)
        new_state = EncoderState(
            subsampler=sub_state,
            emformer=emformer_states,
            pending=pending,
            n_emitted=state.n_emitted + out.size(0),
            n_embedded=n_embedded,
            finished=finish,
        )
        return out, new_state

"""StreamSpeech's chunk-based Conformer encoder (the baseline EchoStream is compared with).

Zhang, Fang, Ma, Feng, "StreamSpeech: Simultaneous Speech-to-Speech Translation with
Multi-task Learning" (ACL 2024), section 3 "chunk-based Conformer": the streaming encoder is a
Conformer whose self-attention and convolution are restricted chunk by chunk, so that it can
be trained on whole utterances and still be run on a growing prefix at inference.

Pipeline (the front-end is shared with :class:`~.echostream_encoder.EchoStreamEncoder`):

    fbank (10 ms frames) -> StreamingConv1dSubsampler (4x, 40 ms frames) -> * sqrt(D)
      -> + sinusoidal absolute positions (pos_enc_type "abs") -> Linear(D, D) -> dropout
      -> N x fairseq ConformerEncoderLayer, made chunk-aware

The ``Linear(D, D)`` after the embedding is the one of fairseq's ``S2TConformerEncoder``, on
which StreamSpeech's encoder is built. The layers are **fairseq's own**
:class:`fairseq.modules.conformer_layer.ConformerEncoderLayer` (FFN/2 -> MHSA -> conv module
-> FFN/2 -> final LayerNorm, so no extra final norm is needed); only two of their
sub-modules are specialised, in place, keeping parameters and state-dict names unchanged:

* **chunk-causal self-attention** -- the layer's attention module is turned into a subclass
  (:class:`ChunkMaskedMultiheadAttention` and the ESPnet variants) that adds a boolean mask
  in which encoder frame ``i`` may attend frame ``j`` iff ``j // S <= i // S`` (its own chunk
  of ``S`` frames and every earlier chunk; :func:`chunk_causal_mask`).
* **chunk-aware depthwise convolution** -- the conv module's ``depthwise_conv`` is turned
  into :class:`ChunkAwareDepthwiseConv1d`: the sequence is cut into chunks of ``S`` frames and
  each chunk is convolved with the ``(k-1)/2`` preceding frames as left context and
  ``(k-1)/2`` **zeros** as right context. So inside a chunk a frame still sees real frames to
  its right (up to the chunk end), but nothing beyond the end of its chunk. This is
  StreamSpeech's ``ChunkCausalConv1d`` idea (their conv pads every chunk on the right with
  zeros), written here independently.

Consequence: the output for a frame depends only on input frames up to the end of its chunk,
so once a chunk is complete its outputs never change, whatever comes later. ``S = 0`` (or
``S >= T``) means full context: no mask, and the convolution is the usual "same" zero-padded
one.

Streaming (:meth:`ChunkConformerEncoder.forward_streaming`) works as StreamSpeech's SimulEval
agent: it keeps the whole fbank prefix and re-encodes all of it at every call (cost O(T) per
call, O(T^2) per stream for attention), returning only the frames of chunks that became
complete since the last call (and the partial last chunk at ``finish``). This is exactly the
full-sequence output (tested to 1e-4), and is the cost EchoStream's cached Emformer avoids.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from fairseq.modules import (
    ESPNETMultiHeadedAttention,
    MultiheadAttention,
    RelPositionalEncoding,
    RelPositionMultiHeadedAttention,
    RotaryPositionMultiHeadedAttention,
)
from fairseq.modules.conformer_layer import ConformerEncoderLayer
from torch import Tensor

from ..modules.positions import sinusoidal_positions
from .speech_encoder_base import FULL_CONTEXT, SegmentedSpeechEncoder, parse_segment_lengths  # noqa: F401

ATTN_TYPES = (None, "espnet")
POS_ENC_TYPES = ("abs", "rel_pos", "rope")


# --------------------------------------------------------------------------- masks
def chunk_causal_mask(length: int, chunk: int, device=None) -> Optional[Tensor]:
    """Boolean chunk-causal attention mask (True = may NOT attend), StreamSpeech's chunk attention.

    Query frame ``i`` may attend key frame ``j`` iff ``j // chunk <= i // chunk``.

    Args:
        length: sequence length ``T`` in encoder frames (40 ms).
        chunk: chunk size in encoder frames; ``0`` (full context) or ``chunk >= length``
            returns None (no restriction).
        device: torch device of the mask.

    Returns:
        ``(T, T)`` bool tensor or None.

    Raises:
        ValueError: if ``chunk < 0``.
    """
    if chunk < 0:
        raise ValueError(f"chunk size must be >= 0 (0 = full context), got {chunk}")
    if chunk == FULL_CONTEXT or chunk >= length:
        return None
    idx = torch.arange(length, device=device) // chunk
    return idx[None, :] > idx[:, None]


# --------------------------------------------------------------------------- chunk-aware convolution
class ChunkAwareDepthwiseConv1d(nn.Conv1d):
    """The Conformer's depthwise ``nn.Conv1d`` ("same" padding, odd kernel) run chunk by chunk.

    Not constructed directly: :func:`make_chunk_aware` re-classes the existing
    ``conv_module.depthwise_conv`` of a fairseq Conformer layer (same weights, same state-dict
    names). Before a forward pass the encoder sets two attributes:

    * ``chunk_size`` (frames of 40 ms, 0 = full context): each chunk ``[cS, (c+1)S)`` is
      convolved with its ``p = (k-1)/2`` preceding frames as left context (zeros before the
      start) and ``p`` zeros as right context -- no frame beyond the end of the chunk is seen.
      Within the chunk, frames to the right are used as usual. (StreamSpeech, ACL 2024,
      ``ChunkCausalConv1d``: pad each chunk on the right with zeros.)
    * ``valid_mask`` (``(B, T)`` bool or None): frames past each sequence's length are zeroed
      before the convolution, so a padded batch gives every utterance the same output as
      encoding it alone (or streaming it). fairseq's original conv module lets padding leak in.

    With ``chunk_size`` 0 or ``>= T`` this is exactly the original zero-padded convolution.
    """

    chunk_size: int = FULL_CONTEXT
    valid_mask: Optional[Tensor] = None

    def forward(self, x: Tensor) -> Tensor:
        """``x``: ``(B, C, T)`` (after the conv module's GLU) -> ``(B, C, T)``."""
        if self.valid_mask is not None:
            x = x * self.valid_mask[:, None, :].to(x.dtype)
        p = (self.kernel_size[0] - 1) // 2 * self.dilation[0]
        bsz, ch, length = x.shape
        s = self.chunk_size
        if s == FULL_CONTEXT or s >= length:
            return F.conv1d(F.pad(x, (p, p)), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        n_chunks = (length + s - 1) // s
        # left context p (zeros before the start), input padded with zeros to whole chunks
        x = F.pad(x, (p, n_chunks * s - length))
        windows = x.unfold(2, s + p, s)  # (B, C, n_chunks, p + s): left context + chunk
        windows = F.pad(windows, (0, p))  # zero right context at every chunk end
        windows = windows.permute(0, 2, 1, 3).reshape(bsz * n_chunks, ch, s + 2 * p)
        y = F.conv1d(windows, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        y = y.reshape(bsz, n_chunks, ch, s).permute(0, 2, 1, 3).reshape(bsz, ch, n_chunks * s)
        return y[:, :, :length]


# --------------------------------------------------------------------------- chunk-masked attention
class ChunkMaskedMultiheadAttention(MultiheadAttention):
    """fairseq's :class:`MultiheadAttention` that applies ``self.chunk_mask`` as ``attn_mask``.

    ``chunk_mask``: ``(T, T)`` bool (True = blocked, see :func:`chunk_causal_mask`) or None,
    set by the encoder before each forward pass. The Conformer layer calls the attention with
    ``key_padding_mask`` only; this adds the chunk mask without touching the layer.
    """

    chunk_mask: Optional[Tensor] = None

    def forward(self, query, key, value, key_padding_mask=None, incremental_state=None, need_weights=True,
                static_kv=False, attn_mask=None, **kwargs):
        """Same as :meth:`MultiheadAttention.forward` (``(T, B, C)`` in/out) plus the chunk mask."""
        if attn_mask is None and self.chunk_mask is not None:
            attn_mask = self.chunk_mask
        return super().forward(query, key, value, key_padding_mask=key_padding_mask,
                               incremental_state=incremental_state, need_weights=need_weights,
                               static_kv=static_kv, attn_mask=attn_mask, **kwargs)


class _ChunkMaskedESPNETMixin:
    """Adds ``self.chunk_mask`` (``(T1, T2)`` bool, True = blocked) to ESPnet attention scores."""

    chunk_mask: Optional[Tensor] = None

    def forward_attention(self, value, scores, mask):
        """``scores``: ``(B, H, T1, T2)``; masked with the chunk mask, then the ESPnet softmax."""
        if self.chunk_mask is not None:
            scores = scores.masked_fill(self.chunk_mask[None, None], float("-inf"))
        return super().forward_attention(value, scores, mask)


class ChunkMaskedESPNETAttention(_ChunkMaskedESPNETMixin, ESPNETMultiHeadedAttention):
    """ESPnet MHA (``--attn-type espnet --pos-enc-type abs``) with the chunk-causal mask."""


class ChunkMaskedRelPositionAttention(_ChunkMaskedESPNETMixin, RelPositionMultiHeadedAttention):
    """ESPnet relative-position MHA (``--pos-enc-type rel_pos``) with the chunk-causal mask."""


class ChunkMaskedRotaryAttention(_ChunkMaskedESPNETMixin, RotaryPositionMultiHeadedAttention):
    """ESPnet rotary MHA (``--pos-enc-type rope``) with the chunk-causal mask."""


_ATTENTION_SUBCLASS = {
    MultiheadAttention: ChunkMaskedMultiheadAttention,
    ESPNETMultiHeadedAttention: ChunkMaskedESPNETAttention,
    RelPositionMultiHeadedAttention: ChunkMaskedRelPositionAttention,
    RotaryPositionMultiHeadedAttention: ChunkMaskedRotaryAttention,
}


def make_chunk_aware(layer: ConformerEncoderLayer) -> ConformerEncoderLayer:
    """Specialise a fairseq Conformer layer in place for chunk-based streaming.

    Re-classes ``layer.self_attn`` into its chunk-masked subclass and
    ``layer.conv_module.depthwise_conv`` into :class:`ChunkAwareDepthwiseConv1d`. Only
    ``forward`` behaviour is added; parameters, buffers and state-dict keys are unchanged, so
    the layer is still a plain fairseq ``ConformerEncoderLayer``.

    Returns:
        the same layer.

    Raises:
        TypeError: if the layer's attention is of a type this module does not know.
    """
    attn_cls = _ATTENTION_SUBCLASS.get(type(layer.self_attn))
    if attn_cls is None:
        raise TypeError(f"unsupported Conformer attention module {type(layer.self_attn).__name__}")
    layer.self_attn.__class__ = attn_cls
    conv = layer.conv_module.depthwise_conv
    if type(conv) is not nn.Conv1d or conv.stride[0] != 1:
        raise TypeError(f"expected a stride-1 nn.Conv1d depthwise convolution, got {conv!r}")
    conv.__class__ = ChunkAwareDepthwiseConv1d
    return layer


# --------------------------------------------------------------------------- streaming state
@dataclass
class ChunkEncoderState:
    """Streaming state of :class:`ChunkConformerEncoder` (StreamSpeech-style: the whole prefix).

    Attributes:
        features: ``(B, n, C)`` all fbank frames received so far (10 ms), None before the first.
        n_emitted: encoder frames (40 ms) output so far.
        finished: True once the end of the stream has been processed.
        n_encoded: encoder frames re-encoded by the last call (grows with the stream).
    """

    features: Optional[Tensor] = None
    n_emitted: int = 0
    finished: bool = False
    n_encoded: int = 0

    def nbytes(self) -> int:
        """Bytes carried between calls: the fbank prefix (nothing else is cached)."""
        return 0 if self.features is None else self.features.numel() * self.features.element_size()


# --------------------------------------------------------------------------- encoder
class ChunkConformerEncoder(SegmentedSpeechEncoder):
    """StreamSpeech's chunk-based Conformer encoder (see the module docstring).

    Args:
        args: fairseq namespace with ``input_feat_per_channel``, ``input_channels``,
            ``conv_channels``, ``conv_kernel_sizes`` ("5,5"), ``encoder_embed_dim``,
            ``encoder_layers``, ``encoder_attention_heads``, ``encoder_ffn_embed_dim``,
            ``dropout``, ``segment_length`` (the chunk size at inference, frames of 40 ms,
            0 = full context), ``multichunk``, ``segment_length_choices`` (see
            :func:`parse_segment_lengths`), and optionally ``depthwise_conv_kernel_size``
            (odd, default 31), ``attn_type`` (None or "espnet"), ``pos_enc_type`` ("abs",
            "rel_pos", "rope"; the last two need ``attn_type="espnet"``), ``encoder_no_positions``,
            ``fp16``.

    Raises:
        ValueError: on an unknown ``attn_type``/``pos_enc_type``, ``rel_pos``/``rope`` without
            ``attn_type="espnet"``, an even depthwise kernel, or a negative ``segment_length``.
    """

    def __init__(self, args):
        super().__init__(args)
        dim = self.embed_dim
        attn_type = getattr(args, "attn_type", None)
        attn_type = None if attn_type in (None, "", "None", "none") else attn_type
        pos_enc_type = getattr(args, "pos_enc_type", None) or "abs"
        kernel = getattr(args, "depthwise_conv_kernel_size", None) or 31
        if attn_type not in ATTN_TYPES:
            raise ValueError(f"--attn-type must be one of {ATTN_TYPES}, got {attn_type!r}")
        if pos_enc_type not in POS_ENC_TYPES:
            raise ValueError(f"--pos-enc-type must be one of {POS_ENC_TYPES}, got {pos_enc_type!r}")
        if pos_enc_type != "abs" and attn_type != "espnet":
            raise ValueError(f"--pos-enc-type {pos_enc_type} needs --attn-type espnet (as in fairseq)")
        if kernel % 2 == 0:
            raise ValueError(f"--depthwise-conv-kernel-size must be odd, got {kernel}")
        self.attn_type, self.pos_enc_type, self.depthwise_conv_kernel_size = attn_type, pos_enc_type, kernel
        self.use_abs_positions = pos_enc_type == "abs" and not getattr(args, "encoder_no_positions", False)
        self.rel_positions = RelPositionalEncoding(1024, dim) if pos_enc_type == "rel_pos" else None
        self.linear = nn.Linear(dim, dim)
        self.layers = nn.ModuleList([
            make_chunk_aware(ConformerEncoderLayer(
                embed_dim=dim,
                ffn_embed_dim=args.encoder_ffn_embed_dim,
                attention_heads=args.encoder_attention_heads,
                dropout=args.dropout,
                use_fp16=getattr(args, "fp16", False),
                depthwise_conv_kernel_size=kernel,
                attn_type=attn_type,
                pos_enc_type=pos_enc_type,
            ))
            for _ in range(args.encoder_layers)
        ])

    def _embed(self, x: Tensor) -> Tensor:
        """Scale, add absolute positions ``0..T-1`` (if "abs"), linear, dropout. ``(T, B, D)`` -> same."""
        x = x * self.embed_scale
        if self.use_abs_positions:
            pos = torch.arange(x.size(0), device=x.device)
            x = x + sinusoidal_positions(pos, self.embed_dim).to(x.dtype)[:, None, :]
        return self.dropout(self.linear(x))

    def _set_chunking(self, mask: Optional[Tensor], chunk: int, valid: Optional[Tensor]) -> None:
        for layer in self.layers:
            layer.self_attn.chunk_mask = mask
            layer.conv_module.depthwise_conv.chunk_size = chunk
            layer.conv_module.depthwise_conv.valid_mask = valid

    def _encode(self, x: Tensor, padding_mask: Optional[Tensor], chunk: int) -> Tensor:
        """Run the chunk-aware Conformer layers.

        Args:
            x: ``(T, B, D)`` embedded frames.
            padding_mask: ``(B, T)`` bool, True at padding, or None.
            chunk: chunk size in frames (0 = full context).

        Returns:
            ``(T, B, D)``.
        """
        length = x.size(0)
        chunk = FULL_CONTEXT if chunk >= length else chunk
        mask = chunk_causal_mask(length, chunk, device=x.device)
        pos_emb = self.rel_positions(x) if self.rel_positions is not None else None
        if padding_mask is not None and not padding_mask.any():
            padding_mask = None
        self._set_chunking(mask, chunk, None if padding_mask is None else ~padding_mask)
        try:
            for layer in self.layers:
                x, _ = layer(x, padding_mask, pos_emb)
        finally:  # do not keep per-batch tensors on the modules
            self._set_chunking(None, FULL_CONTEXT, None)
        return x

    # ------------------------------------------------------------------ full sequence
    def forward(self, src_tokens: Tensor, src_lengths: Tensor, return_all_hiddens: bool = False,
                segment_length: Optional[int] = None, **kwargs) -> Dict[str, List]:
        """Encode full (padded) sequences with chunk-causal attention and chunk-aware convolution.

        Args:
            src_tokens: ``(B, T, C)`` normalized fbank, 10 ms frames.
            src_lengths: ``(B,)`` valid frames.
            return_all_hiddens: unused (kept for fairseq's interface).
            segment_length: chunk size override in encoder frames of 40 ms (0 = full
                context); default: sampled by :meth:`sample_segment_length`.

        Returns:
            fairseq encoder dict as :meth:`EchoStreamEncoder.forward`: ``encoder_out`` =
            [``(T', B, D)``], ``encoder_padding_mask`` = [``(B, T')`` bool, True at padding],
            ``src_lengths`` = [``(B,)`` output lengths], ``encoder_embedding`` /
            ``encoder_states`` / ``src_tokens`` empty lists; ``T' = ceil(T / 4)``.

        Raises:
            ValueError: if ``segment_length < 0``.
        """
        seg = self.sample_segment_length() if segment_length is None else segment_length
        if seg < 0:
            raise ValueError(f"segment_length must be >= 0 (0 = full context), got {seg}")
        self.last_segment_length = seg
        x, lengths = self.subsample(src_tokens, src_lengths)
        padding_mask = torch.arange(x.size(0), device=x.device)[None, :] >= lengths[:, None]
        out = self._encode(self._embed(x), padding_mask, seg)
        return self.encoder_out_dict(out, padding_mask, lengths)

    # ------------------------------------------------------------------ streaming (StreamSpeech agent)
    def init_state(self) -> ChunkEncoderState:
        """A fresh streaming state (call once per stream)."""
        return ChunkEncoderState()

    @torch.no_grad()
    def forward_streaming(self, features: Tensor, state: ChunkEncoderState, finish: bool = False,
                          segment_length: Optional[int] = None) -> Tuple[Tensor, ChunkEncoderState]:
        """Append fbank frames and re-encode the whole prefix, as StreamSpeech's agent does.

        Each call re-runs the subsampler and every Conformer layer over all frames received so
        far (O(T) per call). Only subsampled frames whose receptive field is complete are used
        (the exact streaming subsampler run from the start of the prefix), so no frame is
        computed from right padding before ``finish``. The frames of chunks completed since the
        last call are returned; thanks to the chunk-causal attention and chunk-aware
        convolution they equal the full-sequence output. With ``segment_length`` 0 (full
        context) nothing is output (nor encoded) before ``finish``. When no new chunk became
        complete the encoder is not run (this only favours the baseline).

        Args:
            features: ``(B, n, C)`` new normalized fbank frames (10 ms; any ``n >= 0``).
            state: from :meth:`init_state` or the previous call.
            finish: True when the source has ended: the partial last chunk is output too.
            segment_length: chunk size in encoder frames of 40 ms (default
                ``self.segment_length``; 0 = full context). Must stay the same for a stream.

        Returns:
            ``(m, B, D)`` newly final encoder frames (``m`` may be 0) and the new state.

        Raises:
            RuntimeError: if the stream was already finished.
            ValueError: if ``segment_length < 0``.
        """
        if state.finished:
            raise RuntimeError("encoder stream already finished; call init_state() for a new stream")
        seg = self.segment_length if segment_length is None else segment_length
        if seg < 0:
            raise ValueError(f"segment_length must be >= 0 (0 = full context), got {seg}")
        feats = features if state.features is None else torch.cat([state.features, features], dim=1)
        new_state = ChunkEncoderState(features=feats, n_emitted=state.n_emitted, finished=finish,
                                      n_encoded=state.n_encoded)
        empty = feats.new_zeros(0, feats.size(0), self.embed_dim)
        if seg == FULL_CONTEXT and not finish:
            return empty, new_state
        x, _ = self.subsample.forward_streaming(feats, self.subsample.init_state(), finish=finish)
        n_avail = x.size(0)
        n_ready = n_avail if finish else (n_avail // seg) * seg
        if n_ready <= state.n_emitted:
            return empty, new_state
        out = self._encode(self._embed(x), None, seg)
        new_state.n_encoded = n_avail
        new_state.n_emitted = n_ready
        return out[state.n_emitted:n_ready], new_state

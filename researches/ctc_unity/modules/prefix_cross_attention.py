"""Source-prefix cross-attention for training an MT decoder under simultaneous conditions.

At inference a simultaneous agent computes the decoder state of each target position with the
encoder frames read so far; full-sequence training lets every position see the whole source.
The unit decoder, trained on full-source states, then gets states it has never seen (measured
on the embedded corpus: recomputing the streamed text's states on the full source raises
streaming ASR-BLEU from 26.9 to 28.4). Training with a per-position source prefix, as in
alignment-guided simultaneous training (StreamSpeech, Zhang et al., ACL 2024, whose policy
writes as many tokens as the ST CTC has recognized), is meant to close that gap; measured in a
400-update fine-tune of the default model, it did not (the README's "Where streaming loses
speech quality").

* :func:`ctc_frame_limits` turns the ST-CTC greedy path into one frame limit per target position;
* :func:`limit_cross_attention` makes fairseq's ``TransformerDecoder`` respect them.
"""
from contextlib import contextmanager
from types import MethodType
from typing import Iterator, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def ctc_frame_limits(st_logits: Tensor, enc_lengths: Tensor, n_positions: int, blank: int, lag: int = 2,
                     segment_length: int = 0) -> Tensor:
    """Encoder frames a simultaneous agent would have read when writing each target position.

    Target position ``i`` (it predicts token ``i + 1``) may attend to the frames up to the
    one where the ST-CTC greedy path emits its token ``i + lag`` (0-based), rounded up to a
    whole segment (the encoder's ``segment_length``; 0: no rounding); positions beyond the
    ST-CTC prefix see the whole source.

    Args:
        st_logits: ``(T', B, V)`` ST-CTC logits (40 ms encoder frames).
        enc_lengths: ``(B,)`` valid encoder frames.
        n_positions: ``L``, MT decoder positions (``</s>``-shifted target length).
        blank: the CTC blank index.
        lag: ST-CTC tokens of look-ahead (>= 0; the word policy reads one word ahead).
        segment_length: encoder segment length in frames (0 = full context: frame granularity).

    Returns:
        ``(B, L)`` long tensor of frame limits in ``[1, enc_lengths[b]]``.

    Raises:
        ValueError: ``lag < 0``.
    """
    if lag < 0:
        raise ValueError(f"lag must be >= 0, got {lag}")
    ids = st_logits.detach().argmax(-1).t()  # (B, T')
    prev = torch.cat([torch.full_like(ids[:, :1], blank), ids[:, :-1]], 1)
    frames = torch.arange(ids.size(1), device=ids.device)[None].expand_as(ids)
    valid = frames < enc_lengths[:, None]
    starts = (ids != blank) & (ids != prev) & valid  # a new ST-CTC token starts at this frame
    limits = enc_lengths[:, None].expand(-1, n_positions).clone()
    want = torch.arange(n_positions, device=ids.device) + lag
    for b in range(ids.size(0)):
        emit = frames[b][starts[b]]  # frames of the collapsed tokens
        k = want < emit.numel()
        if k.any():
            lim = emit[want[k]] + 1
            if segment_length > 0:
                lim = (lim + segment_length - 1) // segment_length * segment_length
            limits[b, k] = torch.minimum(lim, enc_lengths[b])
    return limits.clamp(min=1)


def _prefix_attention(attn, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Optional[Tensor],
                      limits: Tensor) -> Tuple[Tensor, None]:
    """fairseq ``MultiheadAttention`` (encoder attention) with a per-query key limit.

    ``query`` ``(T, B, C)``, ``key``/``value`` ``(S, B, C)``, ``key_padding_mask`` ``(B, S)``,
    ``limits`` ``(B, >= T)``; returns ``(T, B, C)`` and no attention weights.
    """
    tgt, bsz, dim = query.shape
    src = key.size(0)
    heads, hd = attn.num_heads, attn.head_dim

    def split(x: Tensor, n: int) -> Tensor:  # (n, B, C) -> (B, H, n, d)
        return x.view(n, bsz, heads, hd).permute(1, 2, 0, 3)

    allowed = torch.arange(src, device=query.device)[None, None, :] < limits[:, :tgt, None]  # (B, T, S)
    if key_padding_mask is not None:
        allowed = allowed & ~key_padding_mask[:, None, :].bool()
    out = F.scaled_dot_product_attention(
        split(attn.q_proj(query), tgt), split(attn.k_proj(key), src), split(attn.v_proj(value), src),
        attn_mask=allowed[:, None], dropout_p=attn.dropout_module.p if attn.training else 0.0,
        scale=attn.scaling)  # (B, H, T, d)
    return attn.out_proj(out.permute(2, 0, 1, 3).reshape(tgt, bsz, dim)), None


@contextmanager
def limit_cross_attention(decoder, frame_limits: Optional[Tensor]) -> Iterator[None]:
    """Within the block, target position ``i`` of example ``b`` attends only to encoder frames
    ``< frame_limits[b, i]`` in every encoder-attention of ``decoder.layers`` (full-sequence
    passes only; incremental decoding is left as it is; no attention weights are returned).
    ``None``: no change.

    Args:
        decoder: a fairseq ``TransformerDecoder``.
        frame_limits: ``(B, L)`` limits from :func:`ctc_frame_limits`, or None.
    """
    if frame_limits is None:
        yield
        return
    patched = []
    for layer in decoder.layers:
        attn = layer.encoder_attn
        if attn is None:
            continue
        original = attn.forward

        def forward(self, query, key, value, key_padding_mask=None, incremental_state=None, need_weights=True,
                    static_kv=False, attn_mask=None, before_softmax=False, need_head_weights=False,
                    _original=original):
            if incremental_state is not None or before_softmax or attn_mask is not None or key is None:
                return _original(query, key, value, key_padding_mask=key_padding_mask,
                                 incremental_state=incremental_state, need_weights=need_weights, static_kv=static_kv,
                                 attn_mask=attn_mask, before_softmax=before_softmax,
                                 need_head_weights=need_head_weights)
            return _prefix_attention(self, query, key, value, key_padding_mask, frame_limits)

        attn.forward = MethodType(forward, attn)
        patched.append(attn)
    try:
        yield
    finally:
        for attn in patched:
            del attn.forward  # back to the class's method

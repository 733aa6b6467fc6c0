"""Unidirectional (causal, optionally windowed) Transformer layers that stream exactly.

Used by the ST CTC decoder (over encoder frames) and the CTC unit decoder (over upsampled
text states). Built from fairseq's :class:`TransformerDecoderLayer` without encoder
attention, so streaming uses fairseq's incremental state for the self-attention keys and
values. With ``window > 0`` a frame attends to itself and the ``window - 1`` frames before
it, and the cache is truncated to that many frames: each streaming step costs O(window),
whatever the position in the stream. ``window = 0`` is plain causal attention (the cache
grows with the stream).
"""
from argparse import Namespace
from typing import Dict, Optional

import torch
import torch.nn as nn
from fairseq.modules import LayerNorm
from fairseq.modules.transformer_layer import TransformerDecoderLayer
from torch import Tensor

IncrementalState = Dict[str, Dict[str, Optional[Tensor]]]


def causal_window_mask(n_query: int, n_cached: int, window: int, device=None) -> Tensor:
    """Additive attention mask for ``n_query`` new frames after ``n_cached`` cached ones.

    Args:
        n_query: new frames (queries), at absolute positions ``n_cached .. n_cached+n_query-1``
            relative to the first cached frame.
        n_cached: cached frames preceding them (keys ``0..n_cached-1``).
        window: frames visible to a query including itself (0 = unlimited).

    Returns:
        ``(n_query, n_cached + n_query)`` float tensor with 0 where attention is allowed
        and ``-inf`` elsewhere.
    """
    q = torch.arange(n_query, device=device)[:, None] + n_cached
    k = torch.arange(n_cached + n_query, device=device)[None, :]
    allowed = k <= q
    if window > 0:
        allowed &= k > q - window
    mask = torch.zeros(allowed.shape, device=device)
    return mask.masked_fill(~allowed, float("-inf"))


class CausalTransformerStack(nn.Module):
    """A stack of pre-norm causal Transformer layers with exact streaming.

    Args:
        embed_dim: model dimension.
        layers: number of layers (0 gives the identity).
        attention_heads: heads per layer.
        ffn_embed_dim: feed-forward hidden size.
        dropout, attention_dropout, activation_dropout: dropout probabilities.
        window: attention window in frames including the current one (0 = unlimited).
    """

    def __init__(self, embed_dim: int, layers: int, attention_heads: int, ffn_embed_dim: int,
                 dropout: float = 0.1, attention_dropout: float = 0.0, activation_dropout: float = 0.0,
                 window: int = 0):
        super().__init__()
        layer_args = Namespace(
            decoder_embed_dim=embed_dim,
            decoder_attention_heads=attention_heads,
            decoder_ffn_embed_dim=ffn_embed_dim,
            decoder_normalize_before=True,
            dropout=dropout,
            attention_dropout=attention_dropout,
            activation_dropout=activation_dropout,
            activation_fn="relu",
        )
        self.layers = nn.ModuleList(
            TransformerDecoderLayer(layer_args, no_encoder_attn=True) for _ in range(layers)
        )
        self.layer_norm = LayerNorm(embed_dim) if layers > 0 else None
        self.window = window

    def forward(self, x: Tensor) -> Tensor:
        """Full-sequence pass. ``x``: ``(T, B, C)`` -> ``(T, B, C)``.

        Right padding needs no mask: causal attention never looks at later (padded) frames.
        """
        if not self.layers:
            return x
        mask = causal_window_mask(x.size(0), 0, self.window, x.device).to(x.dtype)
        for layer in self.layers:
            x, _, _ = layer(x, self_attn_mask=mask)
        return self.layer_norm(x)

    def forward_streaming(self, x: Tensor, incremental_state: IncrementalState) -> Tensor:
        """Process the next ``n`` frames of a stream; equals the matching rows of :meth:`forward`.

        Args:
            x: ``(n, B, C)`` new frames.
            incremental_state: a dict owned by the caller (``{}`` at stream start); updated
                in place with the cached keys/values (truncated to the window).

        Returns:
            ``(n, B, C)`` outputs.
        """
        if not self.layers or x.size(0) == 0:
            return x if self.layer_norm is None or x.size(0) == 0 else self.layer_norm(x)
        n_cached = self._cached_length(incremental_state)
        mask = causal_window_mask(x.size(0), n_cached, self.window, x.device).to(x.dtype)
        for layer in self.layers:
            x, _, _ = layer(x, incremental_state=incremental_state, self_attn_mask=mask)
            if self.window > 0:
                self._truncate(layer, incremental_state, self.window - 1)
        return self.layer_norm(x)

    def _cached_length(self, incremental_state: IncrementalState) -> int:
        buf = self.layers[0].self_attn._get_input_buffer(incremental_state)
        return 0 if "prev_key" not in buf else buf["prev_key"].size(2)

    @staticmethod
    def _truncate(layer, incremental_state: IncrementalState, keep: int) -> None:
        attn = layer.self_attn
        buf = attn._get_input_buffer(incremental_state)
        for key in ("prev_key", "prev_value"):
            if buf.get(key) is not None:
                buf[key] = buf[key][:, :, buf[key].size(2) - keep:] if keep > 0 else buf[key][:, :, :0]
        if buf.get("prev_key_padding_mask") is not None:
            buf["prev_key_padding_mask"] = None
        attn._set_input_buffer(incremental_state, buf)

    def cache_nbytes(self, incremental_state: IncrementalState) -> int:
        """Bytes of cached keys/values in ``incremental_state``."""
        total = 0
        for layer in self.layers:
            for t in layer.self_attn._get_input_buffer(incremental_state).values():
                if t is not None:
                    total += t.numel() * t.element_size()
        return total

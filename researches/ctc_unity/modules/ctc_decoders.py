"""CTC decoders of StreamSpeech/EchoStream: ST CTC (text) and the non-autoregressive unit decoder.

The ASR CTC decoder is fairseq's :class:`CTCDecoder` (a linear projection of the encoder
frames); the two here add unidirectional Transformer layers in front of the projection so
that they stream exactly (see :mod:`causal_transformer`). CTC blank is the dictionary's
``<s>`` (index 0), as in fairseq's CTC criterion.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from fairseq.models import FairseqEncoder
from torch import Tensor

from .causal_transformer import CausalTransformerStack, IncrementalState
from .positions import sinusoidal_positions


class STCTCDecoder(FairseqEncoder):
    """Simultaneous-translation CTC decoder: causal Transformer layers + projection.

    Follows StreamSpeech (Zhang et al., ACL 2024): target subwords are predicted by CTC
    from the streaming encoder states; the growing CTC prefix drives the policy.

    Args:
        dictionary: target subword dictionary (blank = ``<s>``).
        embed_dim: encoder dimension.
        layers, attention_heads, ffn_embed_dim, dropout: Transformer sizes.
        window: self-attention window in encoder frames (0 = unlimited).
    """

    def __init__(self, dictionary, embed_dim: int, layers: int, attention_heads: int,
                 ffn_embed_dim: int, dropout: float = 0.1, window: int = 0):
        super().__init__(dictionary)
        self.layers = CausalTransformerStack(embed_dim, layers, attention_heads, ffn_embed_dim,
                                             dropout=dropout, window=window)
        self.proj = nn.Linear(embed_dim, len(dictionary))

    def forward(self, encoder_states: Tensor) -> Tensor:
        """``(T, B, C)`` encoder frames -> ``(T, B, V)`` logits."""
        return self.proj(self.layers(encoder_states))

    def forward_streaming(self, new_states: Tensor, incremental_state: IncrementalState) -> Tensor:
        """``(n, B, C)`` new encoder frames -> ``(n, B, V)`` logits (state updated in place)."""
        return self.proj(self.layers.forward_streaming(new_states, incremental_state))


class CTCUnitDecoder(nn.Module):
    """Non-autoregressive CTC unit decoder over upsampled text states (StreamSpeech's T2U).

    Each text state (one per MT-decoder position) is repeated ``upsample_rate`` times, gets
    a sinusoidal position, goes through causal Transformer layers and is projected to the
    unit vocabulary; CTC aligns the ``T_text * upsample_rate`` frames to the unit sequence.
    Because the layers are causal, units for newly written text can be generated from the
    new states alone plus the cached keys/values (exact streaming).

    Args:
        unit_dictionary: unit dictionary (fairseq; blank = ``<s>``).
        in_dim: dimension of the text states.
        embed_dim, layers, attention_heads, ffn_embed_dim, dropout: Transformer sizes.
        upsample_rate: unit frames per text state (must exceed the longest run of units per
            subword in the data, or CTC cannot align).
        window: attention window in unit frames (0 = unlimited).
    """

    def __init__(self, unit_dictionary, in_dim: int, embed_dim: int, layers: int, attention_heads: int,
                 ffn_embed_dim: int, upsample_rate: int, dropout: float = 0.1, window: int = 0):
        super().__init__()
        self.dictionary = unit_dictionary
        self.in_proj = nn.Linear(in_dim, embed_dim) if in_dim != embed_dim else nn.Identity()
        self.embed_dim = embed_dim
        self.upsample_rate = upsample_rate
        self.dropout = nn.Dropout(dropout)
        self.layers = CausalTransformerStack(embed_dim, layers, attention_heads, ffn_embed_dim,
                                             dropout=dropout, window=window)
        self.proj = nn.Linear(embed_dim, len(unit_dictionary))

    def _upsample(self, x: Tensor, start: int) -> Tensor:
        x = self.in_proj(x).repeat_interleave(self.upsample_rate, dim=0)
        pos = torch.arange(start, start + x.size(0), device=x.device)
        return self.dropout(x + sinusoidal_positions(pos, self.embed_dim).to(x.dtype)[:, None, :])

    def forward(self, text_states: Tensor, text_padding_mask: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        """Full-sequence pass.

        Args:
            text_states: ``(T_text, B, C_in)`` MT decoder states.
            text_padding_mask: ``(B, T_text)`` True at padding, or None.

        Returns:
            ``(T_text * r, B, V_unit)`` logits and the ``(B, T_text * r)`` padding mask (or None).
        """
        x = self.layers(self._upsample(text_states, 0))
        mask = None
        if text_padding_mask is not None:
            mask = text_padding_mask.repeat_interleave(self.upsample_rate, dim=1)
        return self.proj(x), mask

    def forward_streaming(self, new_text_states: Tensor, state: Dict) -> Tensor:
        """Units logits for newly written text.

        Args:
            new_text_states: ``(n, B, C_in)`` states of the newly written text tokens.
            state: caller-owned dict (``{}`` at stream start), updated in place.

        Returns:
            ``(n * r, B, V_unit)`` logits.
        """
        start = state.get("n_frames", 0)
        x = self._upsample(new_text_states, start)
        state["n_frames"] = start + x.size(0)
        cache = state.setdefault("incremental_state", {})
        return self.proj(self.layers.forward_streaming(x, cache))

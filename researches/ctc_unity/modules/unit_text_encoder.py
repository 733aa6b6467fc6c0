"""Causal text-to-unit encoder over target subwords (``--unit-states tokens``).

StreamSpeech's unit decoder reads the MT decoder's hidden states. Those states depend on
the source read so far, so a simultaneous agent synthesizes a written word from states that
differ from the full-source states the unit decoder was trained on, and the units of a
written word's last token come from the *next* decoder position (the one that has read it),
i.e. only with the next WRITE. On a single-voice target (CVSS-C, the embedded corpus) the
target speech is a function of the target text, so this encoder reads the written subwords
themselves: embedding, sinusoidal positions and causal (windowed) Transformer layers. A
written token's state then depends only on the tokens written so far — the same offline and
streaming — and its units are complete when it is written.
"""
import math
from typing import Dict

import torch
from torch import Tensor, nn

from .causal_transformer import CausalTransformerStack
from .positions import sinusoidal_positions


class UnitTextEncoder(nn.Module):
    """Target subwords ``(T_text, B)`` -> states ``(T_text, B, C)`` for the CTC unit decoder.

    Args:
        dictionary: the MT (target subword) fairseq dictionary.
        embed_dim: state dimension ``C`` (the unit decoder's input dimension).
        layers, attention_heads, ffn_embed_dim, dropout: causal Transformer sizes.
        window: attention window in subwords including the current one (0 = unlimited);
            bounds each streaming step's cost.
    """

    def __init__(self, dictionary, embed_dim: int, layers: int, attention_heads: int, ffn_embed_dim: int,
                 dropout: float = 0.1, window: int = 16):
        super().__init__()
        self.padding_idx = dictionary.pad()
        self.embed_dim = embed_dim
        self.embed_tokens = nn.Embedding(len(dictionary), embed_dim, padding_idx=self.padding_idx)
        nn.init.normal_(self.embed_tokens.weight, mean=0, std=embed_dim ** -0.5)
        nn.init.constant_(self.embed_tokens.weight[self.padding_idx], 0)
        self.scale = math.sqrt(embed_dim)
        self.dropout = nn.Dropout(dropout)
        self.layers = CausalTransformerStack(embed_dim, layers, attention_heads, ffn_embed_dim,
                                             dropout=dropout, window=window)

    def _embed(self, tokens: Tensor, start: int) -> Tensor:
        pos = torch.arange(start, start + tokens.size(0), device=tokens.device)
        x = self.embed_tokens(tokens) * self.scale + sinusoidal_positions(pos, self.embed_dim)[:, None, :]
        return self.dropout(x)

    def forward(self, tokens: Tensor) -> Tensor:
        """Full-sequence pass: ``(T_text, B)`` token ids (right padding allowed) -> ``(T_text, B, C)``."""
        return self.layers(self._embed(tokens, 0))

    def forward_streaming(self, new_tokens: Tensor, state: Dict) -> Tensor:
        """States of newly written tokens; equals the matching rows of :meth:`forward`.

        Args:
            new_tokens: ``(n, B)`` token ids.
            state: caller-owned dict (``{}`` at stream start), updated in place.

        Returns:
            ``(n, B, C)``.
        """
        start = state.get("n_tokens", 0)
        state["n_tokens"] = start + new_tokens.size(0)
        cache = state.setdefault("incremental_state", {})
        return self.layers.forward_streaming(self._embed(new_tokens, start), cache)

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

Word look-ahead (``lookahead=True``): how a subword sounds depends on what follows it inside
its word ("th" + "e"), and whether a word ends there. Each position therefore also gets an
embedding of the *next* subword if that one continues the word, else of a word-boundary
symbol (``</s>``). Both are known once the word is complete, i.e. when EchoStream's word
policy writes it; in streaming, a token whose successor is unknown is held back until the
next token arrives or the caller declares the text word-final.
"""
import math
from typing import Dict

import torch
from torch import Tensor, nn

from ..datasets.text import begins_word
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
        lookahead: add the word look-ahead embedding (see module docstring).

    Raises:
        ValueError: if ``embed_dim`` is odd or < 4 (sinusoidal positions), at the first forward.
    """

    def __init__(self, dictionary, embed_dim: int, layers: int, attention_heads: int, ffn_embed_dim: int,
                 dropout: float = 0.1, window: int = 16, lookahead: bool = True):
        super().__init__()
        self.padding_idx = dictionary.pad()
        self.boundary_idx = dictionary.eos()
        self.embed_dim = embed_dim
        self.embed_tokens = self._embedding(len(dictionary), embed_dim)
        self.embed_next = self._embedding(len(dictionary), embed_dim) if lookahead else None
        # True where a symbol does not continue the previous subword's word
        starts = [begins_word(dictionary[i]) or i < dictionary.nspecial for i in range(len(dictionary))]
        self.register_buffer("word_start", torch.tensor(starts), persistent=False)
        self.scale = math.sqrt(embed_dim)
        self.dropout = nn.Dropout(dropout)
        self.layers = CausalTransformerStack(embed_dim, layers, attention_heads, ffn_embed_dim,
                                             dropout=dropout, window=window)

    def _embedding(self, n: int, dim: int) -> nn.Embedding:
        emb = nn.Embedding(n, dim, padding_idx=self.padding_idx)
        nn.init.normal_(emb.weight, mean=0, std=dim ** -0.5)
        nn.init.constant_(emb.weight[self.padding_idx], 0)
        return emb

    def _embed(self, tokens: Tensor, following: Tensor, start: int) -> Tensor:
        """``tokens`` ``(n, B)`` and the token after each (``following``, pad = word end)."""
        pos = torch.arange(start, start + tokens.size(0), device=tokens.device)
        x = self.embed_tokens(tokens) * self.scale + sinusoidal_positions(pos, self.embed_dim)[:, None, :]
        if self.embed_next is not None:
            nxt = torch.where(self.word_start[following], torch.full_like(following, self.boundary_idx), following)
            x = x + self.embed_next(nxt) * self.scale
        return self.dropout(x)

    def forward(self, tokens: Tensor) -> Tensor:
        """Full-sequence pass: ``(T_text, B)`` token ids (right padding allowed) -> ``(T_text, B, C)``.

        The text ends with a complete word (a padded position counts as a word boundary).
        """
        following = torch.cat([tokens[1:], torch.full_like(tokens[:1], self.padding_idx)])
        return self.layers(self._embed(tokens, following, 0))

    def forward_streaming(self, new_tokens: Tensor, state: Dict, word_final: bool = True) -> Tensor:
        """States of newly written tokens; equals the matching rows of :meth:`forward`.

        With look-ahead, the last token is held back (its state comes with the next call)
        unless ``word_final`` says the text written so far ends with a complete word.

        Args:
            new_tokens: ``(n, B)`` token ids (n may be 0).
            state: caller-owned dict (``{}`` at stream start), updated in place.
            word_final: the written text ends at a word boundary (or the stream ends).

        Returns:
            ``(m, B, C)`` states of the tokens released by this call, in order (m may be 0).
        """
        pending = state.pop("pending", None)
        tokens = new_tokens if pending is None else torch.cat([pending, new_tokens])
        if self.embed_next is not None and not word_final and tokens.size(0) > 0:
            tokens, state["pending"] = tokens[:-1], tokens[-1:]
            following = torch.cat([tokens[1:], state["pending"]])
        else:
            following = torch.cat([tokens[1:], torch.full_like(tokens[:1], self.padding_idx)])
        if tokens.size(0) == 0:
            return new_tokens.new_zeros(0, new_tokens.size(1), self.embed_dim, dtype=torch.float)
        start = state.get("n_tokens", 0)
        state["n_tokens"] = start + tokens.size(0)
        cache = state.setdefault("incremental_state", {})
        return self.layers.forward_streaming(self._embed(tokens, following, start), cache)

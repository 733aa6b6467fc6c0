"""Sinusoidal absolute position embeddings computed for arbitrary positions (streaming-safe)."""
import math

import torch
from torch import Tensor


def sinusoidal_positions(positions: Tensor, dim: int) -> Tensor:
    """Sinusoidal position embeddings (Vaswani et al., 2017; fairseq's layout: sin | cos).

    Computing them for explicit indices lets a stream add positions ``t0..t0+n-1`` to its
    ``n`` new frames at O(n) cost, identical to the full-sequence embedding.

    Args:
        positions: ``(n,)`` absolute indices (0-based).
        dim: embedding dimension (even, >= 4).

    Returns:
        ``(n, dim)`` float tensor.

    Raises:
        ValueError: if ``dim`` is odd or < 4.
    """
    if dim % 2 or dim < 4:
        raise ValueError(f"position embedding dim must be even and >= 4, got {dim}")
    half = dim // 2
    scale = math.log(10000) / (half - 1)
    freqs = torch.exp(torch.arange(half, dtype=torch.float, device=positions.device) * -scale)
    angles = positions.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)

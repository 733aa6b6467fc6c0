"""Emformer with a settable segment length and exact segment-wise streaming.

Built on :class:`torchaudio.models.Emformer` (Shi et al., 2021, "Emformer: Efficient Memory
Transformer Based Acoustic Model for Low Latency Streaming Speech Recognition"): the input
is cut into segments; each segment attends to itself, to ``left_context_length`` cached
keys/values of earlier frames and to an augmented memory bank of at most
``max_memory_size`` segment summaries. Streaming one segment therefore costs the same
whatever the position in the stream.

Two things are added here:

* :meth:`SegmentedEmformer.set_segment_length` changes the segment length of every layer
  at run time (multi-chunk training samples one per batch; ``0`` means one segment per
  utterance, i.e. full context).
* :meth:`SegmentedEmformer.infer_segment` accepts a *partial* last segment. torchaudio's
  ``infer`` only takes whole segments; zero-padding a partial one and passing its true
  length is not equivalent for batch size 1, because torchaudio builds no key padding
  mask then, so the padded frames are attended (measured: differences of ~0.2 on the last
  frames). Passing the partial segment unpadded is exactly what ``forward`` computes.
"""
from typing import List, Optional, Tuple

import torch
from torch import Tensor
from torchaudio.models import Emformer

EmformerStates = List[List[Tensor]]


class SegmentedEmformer(Emformer):
    """torchaudio Emformer with run-time segment length and partial-segment streaming.

    Args: as :class:`torchaudio.models.Emformer` (``segment_length``, ``left_context_length``,
        ``right_context_length`` and ``max_memory_size`` in frames of the input sequence,
        i.e. 40 ms encoder frames after 4x subsampling of 10 ms fbank).
    """

    def set_segment_length(self, segment_length: int) -> None:
        """Use ``segment_length`` frames per segment from now on (every layer).

        Args:
            segment_length: frames per segment, >= 1.

        Raises:
            ValueError: if ``segment_length < 1``.
        """
        if segment_length < 1:
            raise ValueError(f"segment_length must be >= 1, got {segment_length}")
        if segment_length == self.segment_length and self.memory_op.kernel_size[0] == segment_length:
            return
        self.segment_length = segment_length
        self.memory_op = torch.nn.AvgPool1d(segment_length, segment_length, ceil_mode=True)
        for layer in self.emformer_layers:
            layer.segment_length = segment_length
            layer.memory_op = torch.nn.AvgPool1d(segment_length, segment_length, ceil_mode=True)

    def infer_segment(self, segment: Tensor, states: Optional[EmformerStates]) -> Tuple[Tensor, EmformerStates]:
        """Encode one segment of a stream, which may be shorter than ``segment_length``.

        Args:
            segment: ``(B, n + right_context_length, D)`` with ``1 <= n <= segment_length``;
                all batch rows must be valid for all ``n`` frames (no padding).
            states: the states returned for the previous segment, or ``None`` at stream start.

        Returns:
            ``(B, n, D)`` output frames and the new states.

        Raises:
            ValueError: if ``n`` is not in ``[1, segment_length]``.
        """
        n = segment.size(1) - self.right_context_length
        if not 1 <= n <= self.segment_length:
            raise ValueError(f"segment of {n} frames, expected 1..{self.segment_length}")
        lengths = torch.full((segment.size(0),), segment.size(1), dtype=torch.long, device=segment.device)
        full_length = self.segment_length
        self.segment_length = n  # only the input-size check of Emformer.infer reads this
        try:
            output, _, states = self.infer(segment, lengths, states)
        finally:
            self.segment_length = full_length
        return output, states


def emformer_state_nbytes(states: Optional[EmformerStates]) -> int:
    """Bytes held by Emformer streaming states (memory bank + left-context keys/values)."""
    if states is None:
        return 0
    return sum(t.numel() * t.element_size() for layer in states for t in layer)

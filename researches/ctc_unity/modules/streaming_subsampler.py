"""Convolutional 4x subsampling that streams exactly.

fairseq's :class:`Conv1dSubsampler` (stride-2 1-D convolutions with ``padding=k//2`` and
GLU, as in the S2T Transformer) is not causal: output frame ``j`` of a layer reads input
frames ``2j - k//2 .. 2j + k//2``. Encoding a stream chunk by chunk with independent
zero padding therefore changes the frames at every chunk seam. :class:`StreamingConv1dSubsampler`
keeps fairseq's weights and full-sequence behaviour and adds :meth:`forward_streaming`,
which carries the not-yet-consumed input frames of every layer (the convolution's left
context) and emits an output frame only once its whole receptive field has arrived. At the
end of the stream the right zero padding of the full-sequence convolution is applied, so
the concatenated streaming output equals :meth:`forward` exactly.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from fairseq.models.speech_to_text.modules.convolution import Conv1dSubsampler
from torch import Tensor


@dataclass
class SubsamplerState:
    """Carried context of :class:`StreamingConv1dSubsampler`.

    Attributes:
        buffers: per conv layer, the input frames not consumed yet, ``(B, C_in, n)``;
            ``None`` before the first call (the left zero padding is added then).
        finished: set once the end of the stream has been processed.
    """

    buffers: List[Optional[Tensor]] = field(default_factory=list)
    finished: bool = False

    def nbytes(self) -> int:
        """Size of the carried tensors in bytes."""
        return sum(b.numel() * b.element_size() for b in self.buffers if b is not None)


class StreamingConv1dSubsampler(Conv1dSubsampler):
    """fairseq's Conv1dSubsampler (stride 2 per layer, GLU) with exact streaming.

    With the default two layers the output rate is 1/4 of the input: 10 ms fbank frames in,
    40 ms encoder frames out.

    Args:
        in_channels: input feature dimension (80 for 80-dim fbank).
        mid_channels: channels of the hidden conv layer (before GLU halves them).
        out_channels: output dimension (the encoder's embedding dim).
        kernel_sizes: one odd kernel size per layer.

    Raises:
        ValueError: if a kernel size is even (the receptive field would not be centred).
    """

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, kernel_sizes=(5, 5)):
        if any(k % 2 == 0 for k in kernel_sizes):
            raise ValueError(f"kernel sizes must be odd, got {list(kernel_sizes)}")
        super().__init__(in_channels, mid_channels, out_channels, list(kernel_sizes))

    def forward(self, src_tokens: Tensor, src_lengths: Tensor) -> Tuple[Tensor, Tensor]:
        """Full-sequence subsampling.

        Unlike fairseq's version, frames past each sequence's length are zeroed after every
        layer, so a padded batch gives every utterance the same output as encoding it alone
        (and as streaming it).

        Args:
            src_tokens: ``(B, T, C_in)`` features, right-padded.
            src_lengths: ``(B,)`` valid input frames.

        Returns:
            ``(T', B, C_out)`` output frames and ``(B,)`` output lengths, ``T' = ceil(T / 4)``
            for two layers.
        """
        x = src_tokens.transpose(1, 2).contiguous()  # B x C x T
        lengths = src_lengths
        for conv in self.conv_layers:
            x = F.glu(conv(x), dim=1)
            lengths = torch.div(lengths - 1, 2, rounding_mode="floor") + 1
            mask = torch.arange(x.size(2), device=x.device)[None, :] < lengths[:, None]
            x = x * mask[:, None, :].to(x.dtype)
        return x.permute(2, 0, 1).contiguous(), lengths

    def init_state(self) -> SubsamplerState:
        """A fresh state for a new stream."""
        return SubsamplerState(buffers=[None] * len(self.conv_layers))

    def forward_streaming(self, features: Tensor, state: SubsamplerState, finish: bool = False) -> Tuple[Tensor, SubsamplerState]:
        """Subsample the next chunk of a stream.

        Args:
            features: ``(B, n, C_in)`` new input frames (``n`` may be 0 or any size; it need
                not be a multiple of 4).
            state: the state returned by the previous call (or :meth:`init_state`).
            finish: True on the last call: applies the right padding and flushes.

        Returns:
            ``(m, B, C_out)`` output frames that became computable, and the new state.

        Raises:
            RuntimeError: if called again after a call with ``finish=True``.
        """
        if state.finished:
            raise RuntimeError("subsampler stream already finished; call init_state() for a new stream")
        x = features.transpose(1, 2)  # B x C x n
        new_buffers = []
        for conv, buf in zip(self.conv_layers, state.buffers):
            k, pad = conv.kernel_size[0], conv.padding[0]
            if buf is None:  # start of stream: the left zero padding of forward()
                buf = x.new_zeros(x.size(0), x.size(1), pad)
            buf = torch.cat([buf, x], dim=2)
            if finish:
                buf = torch.cat([buf, buf.new_zeros(buf.size(0), buf.size(1), pad)], dim=2)
            n_out = (buf.size(2) - k) // 2 + 1 if buf.size(2) >= k else 0
            if n_out > 0:
                y = F.conv1d(buf[:, :, : (n_out - 1) * 2 + k], conv.weight, conv.bias, stride=2)
                x = F.glu(y, dim=1)
                buf = buf[:, :, n_out * 2:]
            else:
                x = buf.new_zeros(buf.size(0), conv.out_channels // 2, 0)
            new_buffers.append(buf)
        return x.permute(2, 0, 1).contiguous(), SubsamplerState(buffers=new_buffers, finished=finish)

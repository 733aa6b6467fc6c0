"""What the EchoStream and StreamSpeech speech encoders share.

Both take normalized 80-dim fbank (10 ms frames), subsample 4x with
:class:`StreamingConv1dSubsampler` (40 ms frames), encode with a segment / chunk length that
multi-chunk training samples per batch (StreamSpeech, Zhang et al. 2024), and return
fairseq's encoder dict.
"""
import math
import random
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from fairseq.models import FairseqEncoder
from torch import Tensor

from ..modules.streaming_subsampler import StreamingConv1dSubsampler

FULL_CONTEXT = 0  # segment length meaning "one segment per utterance"


def parse_segment_lengths(spec: str) -> List[int]:
    """Parse ``"4,8,16,0"`` into segment lengths in encoder frames (``0`` = full context).

    Raises:
        ValueError: on an empty list or a negative / non-integer entry.
    """
    try:
        values = [int(v) for v in str(spec).split(",") if v.strip() != ""]
    except ValueError as exc:
        raise ValueError(f"bad segment length list {spec!r}: {exc}") from None
    if not values or any(v < 0 for v in values):
        raise ValueError(f"segment length list must be non-empty and >= 0, got {spec!r}")
    return values


class SegmentedSpeechEncoder(FairseqEncoder):
    """Base of the streaming speech encoders.

    Args:
        args: fairseq namespace with ``input_feat_per_channel``, ``input_channels``,
            ``conv_channels``, ``conv_kernel_sizes`` ("5,5"), ``encoder_embed_dim``,
            ``dropout``, ``segment_length`` (frames of 40 ms at inference, 0 = full
            context), ``multichunk`` and ``segment_length_choices``.

    Raises:
        ValueError: if ``segment_length < 0`` or the choice list is malformed.
    """

    def __init__(self, args):
        super().__init__(None)
        if args.segment_length < 0:
            raise ValueError(f"--segment-length must be >= 0 (0 = full context), got {args.segment_length}")
        dim = args.encoder_embed_dim
        self.embed_dim = dim
        self.subsample = StreamingConv1dSubsampler(
            args.input_feat_per_channel * args.input_channels,
            args.conv_channels,
            dim,
            [int(k) for k in args.conv_kernel_sizes.split(",")],
        )
        self.embed_scale = math.sqrt(dim)
        self.dropout = nn.Dropout(args.dropout)
        self.segment_length = args.segment_length
        self.multichunk = getattr(args, "multichunk", False)
        self.segment_length_choices = parse_segment_lengths(getattr(args, "segment_length_choices", "0"))
        self.last_segment_length: Optional[int] = None  # used in the last forward
        self.seed = int(getattr(args, "seed", 1) or 1)
        self.num_updates = 0  # set by fairseq's trainer (BaseFairseqModel.set_num_updates) at every update

    def set_num_updates(self, num_updates: int) -> None:
        self.num_updates = int(num_updates)

    def update_rng(self, salt: int = 0) -> random.Random:
        """A random generator seeded by ``(--seed, update number, salt)`` only.

        Every forward of one update draws the same values: on every rank of a distributed run
        and for every batch of ``--update-freq``, so DDP ranks use the same segment length (the
        same parameters) in a step, and a run is reproducible (Python's global ``random`` is not
        seeded by fairseq).
        """
        return random.Random((self.seed * 1_000_003 + self.num_updates) * 8 + salt)

    def sample_segment_length(self) -> int:
        """The segment length for this forward pass (frames; 0 = full context).

        In training with ``multichunk`` a value is drawn uniformly from
        ``segment_length_choices`` by :meth:`update_rng`: one value per update, the same on every
        rank and for every batch of the update; otherwise the configured ``segment_length``.
        """
        if self.training and self.multichunk:
            return self.update_rng(0).choice(self.segment_length_choices)
        return self.segment_length

    @staticmethod
    def encoder_out_dict(out: Tensor, padding_mask: Tensor, lengths: Tensor) -> Dict[str, List[Tensor]]:
        """fairseq's encoder dict: ``encoder_out`` [(T', B, C)], ``encoder_padding_mask``
        [(B, T') bool, True at padding], ``src_lengths`` [(B,)], other entries empty."""
        return {
            "encoder_out": [out],
            "encoder_padding_mask": [padding_mask],
            "encoder_embedding": [],
            "encoder_states": [],
            "src_tokens": [],
            "src_lengths": [lengths],
        }

    def reorder_encoder_out(self, encoder_out: Dict[str, List[Tensor]], new_order: Tensor):
        """Select batch rows ``new_order`` (``(B',)`` long) for beam search."""
        def sel(key, dim):
            return [t.index_select(dim, new_order) for t in encoder_out[key]]

        return self.encoder_out_dict(sel("encoder_out", 1)[0], sel("encoder_padding_mask", 0)[0],
                                     sel("src_lengths", 0)[0])

    def max_positions(self):
        return None

"""StreamSpeech baseline (``--arch streamspeech``): EchoStream's model with StreamSpeech's encoder.

Zhang et al., "StreamSpeech: Simultaneous Speech-to-Speech Translation with Multi-task
Learning" (ACL 2024). Everything but the speech encoder is :class:`EchoStreamModel` (ASR CTC,
ST CTC, MT decoder, CTC unit decoder, same task and criterion); the encoder is StreamSpeech's
chunk-based Conformer (:class:`ChunkConformerEncoder`), so the two systems differ only in the
encoder and can be compared head to head (quality, latency, per-step encoder cost).

``--segment-length`` is the Conformer chunk size (encoder frames of 40 ms; 0 = full context),
``--multichunk``/``--segment-length-choices`` are StreamSpeech's multi-chunk training. The
Emformer options (``--left-context-length``, ``--right-context-length``, ``--max-memory-size``)
are accepted and ignored.
"""
from fairseq.models import register_model, register_model_architecture

from .echostream import EchoStreamModel, _set, echostream_base, echostream_paper, echostream_tiny
from .streamspeech_encoder import POS_ENC_TYPES, ChunkConformerEncoder


@register_model("streamspeech")
class StreamSpeechModel(EchoStreamModel):
    """EchoStream S2ST model whose encoder is StreamSpeech's chunk-based Conformer."""

    @staticmethod
    def add_args(parser):
        """EchoStream's options plus the Conformer ones (kernel in encoder frames of 40 ms)."""
        EchoStreamModel.add_args(parser)
        a = parser.add_argument
        a("--depthwise-conv-kernel-size", type=int,
          help="Conformer depthwise conv kernel (odd; 31 in fairseq/StreamSpeech)")
        a("--attn-type", type=str, help="Conformer attention: fairseq MHA (unset) or 'espnet'")
        a("--pos-enc-type", type=str, choices=list(POS_ENC_TYPES),
          help="abs (sinusoidal, added after subsampling), rel_pos or rope (need --attn-type espnet)")

    @classmethod
    def build_encoder(cls, args):
        """:class:`ChunkConformerEncoder` from the (arch-completed) args."""
        streamspeech_base(args)
        return ChunkConformerEncoder(args)


def _conformer_defaults(args, kernel: int):
    _set(args, "depthwise_conv_kernel_size", kernel)
    _set(args, "pos_enc_type", "abs")
    if not hasattr(args, "attn_type"):
        args.attn_type = None


@register_model_architecture("streamspeech", "streamspeech")
def streamspeech_base(args):
    """CPU-sized default, same dims as ``echostream``: 6x256, 4 heads, FFN 1024, chunk 8 (320 ms);
    depthwise kernel 15, fairseq MHA, absolute sinusoidal positions."""
    _conformer_defaults(args, 15)
    echostream_base(args)


@register_model_architecture("streamspeech", "streamspeech_paper")
def streamspeech_paper(args):
    """StreamSpeech paper size (same as ``echostream_paper``): 12x256, 4 heads, FFN 2048, kernel 31."""
    _conformer_defaults(args, 31)
    echostream_paper(args)


@register_model_architecture("streamspeech", "streamspeech_tiny")
def streamspeech_tiny(args):
    """Tiny configuration for tests (same as ``echostream_tiny``; kernel 5)."""
    _conformer_defaults(args, 5)
    echostream_tiny(args)

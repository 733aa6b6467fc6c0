"""EchoStream: StreamSpeech's decoders on a cached Emformer encoder (``--arch echostream``).

Architecture (Zhang et al., "StreamSpeech: Simultaneous Speech-to-Speech Translation with
Multi-task Learning", ACL 2024, with the Conformer replaced by an Emformer):

    fbank -> EchoStreamEncoder (4x conv subsampling + Emformer, streaming with cached state)
      |-> ASR CTC decoder (linear)                              -> source subwords
      |-> ST CTC decoder (causal Transformer layers + linear)   -> target subwords
      |-> MT Transformer decoder (autoregressive, first pass)   -> target subwords
            -> optional T2U encoder -> CTC unit decoder (upsampled, causal) -> units
      (``--unit-states tokens``: the unit decoder reads the written target subwords through
       a causal text encoder instead of the MT decoder states; see UnitTextEncoder)

The three text heads are configured by the multitask YAML (task names ``source_unigram``,
``ctc_target_unigram``, ``target_unigram``; the MT one has ``is_first_pass_decoder: true``),
as in StreamSpeech; the main target of the task is the unit sequence.
"""
import copy
import logging
from argparse import Namespace
from typing import Dict, Optional

import torch
from fairseq.models import FairseqEncoderDecoderModel, register_model, register_model_architecture
from fairseq.models.speech_to_speech.modules.ctc_decoder import CTCDecoder
from fairseq.models.speech_to_speech.modules.transformer_encoder import TransformerEncoderNoEmb
from fairseq.models.transformer import TransformerDecoder, TransformerModelBase
from fairseq.models.transformer import base_architecture as transformer_base_architecture
from torch import Tensor

from ..modules.ctc_decoders import CTCUnitDecoder, STCTCDecoder
from ..modules.prefix_cross_attention import ctc_frame_limits, limit_cross_attention
from ..modules.unit_text_encoder import UnitTextEncoder
from .echostream_encoder import EchoStreamEncoder
from .echostream_streaming import StreamingInferenceMixin

logger = logging.getLogger(__name__)

ASR_TASK, ST_TASK, MT_TASK = "source_unigram", "ctc_target_unigram", "target_unigram"


def find_multitask(task, role: str):
    """Return ``(name, DummyMultiTask)`` of the multitask playing ``role`` ("asr", "st", "mt").

    Roles: "mt" = the first-pass transformer decoder; "asr" = a CTC task whose name starts
    with "source"; "st" = a CTC task whose name contains "target".

    Raises:
        ValueError: naming the multitask config if no task plays that role.
    """
    for name, obj in task.multitask_tasks.items():
        dtype = obj.args.decoder_type
        if role == "mt" and obj.is_first_pass_decoder:
            return name, obj
        if role == "asr" and dtype == "ctc" and name.startswith("source"):
            return name, obj
        if role == "st" and dtype == "ctc" and "target" in name:
            return name, obj
    raise ValueError(
        f"--multitask-config-yaml ({getattr(task.args, 'multitask_config_yaml', None)}) has no task for "
        f"role '{role}': expected {ASR_TASK} (ctc), {ST_TASK} (ctc) and {MT_TASK} (transformer, "
        f"is_first_pass_decoder: true)"
    )


@register_model("echostream")
class EchoStreamModel(StreamingInferenceMixin, FairseqEncoderDecoderModel):
    """EchoStream S2ST model. ``self.decoder`` is the MT decoder, so fairseq's
    :class:`SequenceGenerator` translates with it directly (beam search over target subwords).
    """

    @staticmethod
    def add_args(parser):
        """Model options (frames are 40 ms encoder frames unless stated)."""
        a = parser.add_argument
        # encoder
        a("--conv-kernel-sizes", type=str, help="kernel sizes of the 4x conv subsampler, e.g. 5,5")
        a("--conv-channels", type=int, help="hidden channels of the conv subsampler")
        a("--encoder-embed-dim", type=int)
        a("--encoder-ffn-embed-dim", type=int)
        a("--encoder-layers", type=int)
        a("--encoder-attention-heads", type=int)
        a("--encoder-no-positions", action="store_true", help="no sinusoidal positions after subsampling")
        a("--segment-length", type=int, help="Emformer segment length at inference (0 = full context)")
        a("--left-context-length", type=int, help="cached left-context frames per Emformer layer")
        a("--right-context-length", type=int, help="look-ahead frames per segment (adds latency)")
        a("--max-memory-size", type=int, help="augmented memory bank size (segment summaries)")
        a("--multichunk", action="store_true", help="sample a segment length per batch in training")
        a("--segment-length-choices", type=str, help="comma list sampled by --multichunk; 0 = full context")
        # ST CTC decoder
        a("--st-ctc-layers", type=int, help="unidirectional Transformer layers of the ST CTC decoder")
        a("--st-ctc-window", type=int, help="ST CTC self-attention window in encoder frames (0 = unlimited)")
        # MT decoder (first pass) and unit decoder
        a("--translation-decoder-layers", type=int, help="layers of the autoregressive MT decoder")
        a("--decoder-embed-dim", type=int)
        a("--decoder-ffn-embed-dim", type=int)
        a("--decoder-attention-heads", type=int)
        a("--share-decoder-input-output-embed", action="store_true")
        a("--synthesizer-encoder-layers", type=int, help="T2U encoder layers on the MT states (0 = none)")
        a("--decoder-layers", type=int, help="layers of the CTC unit decoder")
        a("--unit-decoder-embed-dim", type=int, help="width of the CTC unit decoder")
        a("--unit-decoder-ffn-embed-dim", type=int, help="FFN size of the CTC unit decoder")
        a("--ctc-upsample-rate", type=int, help="unit frames per MT decoder state")
        a("--unit-decoder-window", type=int, help="unit decoder attention window in unit frames (0 = unlimited)")
        a("--unit-states", choices=["read", "predict", "tokens"],
          help="what the unit decoder reads: 'read' (all MT decoder positions: the last one, which has "
               "read the final token, is included; StreamSpeech's), 'predict' (the positions that "
               "predicted each token: a written word's units are then complete when it is written) or "
               "'tokens' (the target subwords through a causal text encoder, independent of the source: "
               "streamed units equal offline units for the same text)")
        a("--unit-text-encoder-layers", type=int, help="causal Transformer layers of the 'tokens' text encoder")
        a("--unit-text-encoder-window", type=int, help="its attention window in subwords (0 = unlimited)")
        a("--unit-text-lookahead", choices=["word", "none"],
          help="'word': each subword also sees the next one if it continues the word, else a word-boundary "
               "symbol (known once the word is written); 'none': strictly causal")
        a("--mt-prefix-prob", type=float,
          help="probability per training batch that each MT decoder position attends only to the encoder "
               "frames read when a simultaneous agent writes it (ST-CTC alignment; 0 = off)")
        a("--mt-prefix-lag", type=int, help="ST-CTC tokens of look-ahead for --mt-prefix-prob")
        a("--train-unit-decoder-only", action="store_true",
          help="freeze everything but the T2U encoder(s) and the unit decoder (e.g. to fine-tune a trained "
               "model to another --unit-states; the text side, and so S2TT, stays as it was). With "
               "--unit-states tokens the speech encoder and MT decoder are not even run in training")
        a("--dropout", type=float)
        a("--attention-dropout", type=float)
        a("--activation-dropout", type=float)

    def __init__(self, args, encoder, mt_decoder, asr_decoder, st_decoder, synthesizer_encoder, unit_decoder,
                 task_names: Dict[str, str], unit_text_encoder: Optional[UnitTextEncoder] = None):
        super().__init__(encoder, mt_decoder)
        self.args = args
        self.unit_text_encoder = unit_text_encoder
        self.asr_ctc_decoder = asr_decoder
        self.st_ctc_decoder = st_decoder
        self.synthesizer_encoder = synthesizer_encoder
        self.unit_decoder = unit_decoder
        self.asr_task_name = task_names["asr"]
        self.st_task_name = task_names["st"]
        self.mt_task_name = task_names["mt"]
        # fairseq's SpeechToSpeechTask.train_step toggles these by multitask name
        self.multitask_decoders = {
            self.asr_task_name: asr_decoder,
            self.st_task_name: st_decoder,
            self.mt_task_name: mt_decoder,
        }

    @property
    def mt_decoder(self):
        return self.decoder

    @classmethod
    def build_encoder(cls, args):
        """The speech encoder (hook for subclasses, e.g. the StreamSpeech baseline's Conformer)."""
        return EchoStreamEncoder(args)

    @classmethod
    def build_model(cls, args, task):
        """Build from fairseq args and a ``speech_to_speech_ctc`` task (needs the multitask config)."""
        echostream_base(args)
        names = {}
        dicts = {}
        for role in ("asr", "st", "mt"):
            name, obj = find_multitask(task, role)
            names[role], dicts[role] = name, obj.target_dictionary
        encoder = cls.build_encoder(args)
        asr = CTCDecoder(dicts["asr"], args.encoder_embed_dim)
        st = STCTCDecoder(dicts["st"], args.encoder_embed_dim, args.st_ctc_layers, args.encoder_attention_heads,
                          args.encoder_ffn_embed_dim, dropout=args.dropout, window=args.st_ctc_window)
        mt_args = copy.deepcopy(args)
        mt_args.decoder_layers = args.translation_decoder_layers
        mt_args.decoder_normalize_before = True
        transformer_base_architecture(mt_args)
        embed = TransformerModelBase.build_embedding(mt_args, dicts["mt"], mt_args.decoder_embed_dim)
        mt = TransformerDecoder(mt_args, dicts["mt"], embed)
        synth = text_enc = None
        if args.unit_states == "tokens":
            if args.synthesizer_encoder_layers > 0:
                raise ValueError("--unit-states tokens has its own causal T2U encoder "
                                 "(--unit-text-encoder-layers); set --synthesizer-encoder-layers 0")
            text_enc = UnitTextEncoder(dicts["mt"], args.decoder_embed_dim, args.unit_text_encoder_layers,
                                       args.decoder_attention_heads, args.decoder_ffn_embed_dim,
                                       dropout=args.dropout, window=args.unit_text_encoder_window,
                                       lookahead=args.unit_text_lookahead == "word")
        if args.synthesizer_encoder_layers > 0:
            s_args = copy.deepcopy(args)
            s_args.encoder_layers = args.synthesizer_encoder_layers
            s_args.encoder_embed_dim = args.decoder_embed_dim
            s_args.encoder_ffn_embed_dim = args.decoder_ffn_embed_dim
            s_args.encoder_attention_heads = args.decoder_attention_heads
            s_args.encoder_normalize_before = True
            synth = TransformerEncoderNoEmb(s_args)
        unit = CTCUnitDecoder(task.target_dictionary, args.decoder_embed_dim, args.unit_decoder_embed_dim,
                              args.decoder_layers, args.decoder_attention_heads, args.unit_decoder_ffn_embed_dim,
                              upsample_rate=args.ctc_upsample_rate, dropout=args.dropout,
                              window=args.unit_decoder_window)
        model = cls(args, encoder, mt, asr, st, synth, unit, names, text_enc)
        if getattr(args, "train_unit_decoder_only", False):
            trainable = {id(p) for m in (synth, text_enc, unit) if m is not None for p in m.parameters()}
            for p in model.parameters():
                p.requires_grad_(id(p) in trainable)
        n_params = sum(p.numel() for p in model.parameters())
        logger.info(f"EchoStream model: {n_params:,} parameters")
        return model

    def text_states(self, mt_extra: Dict) -> Tensor:
        """Final MT decoder states (after its final layer norm), ``(T_text, B, C)``."""
        x = mt_extra["inner_states"][-1]
        if self.decoder.layer_norm is not None:
            x = self.decoder.layer_norm(x)
        return x

    def upgrade_state_dict_named(self, state_dict, name):
        """Checkpoints trained without ``--unit-states tokens`` get this model's freshly
        initialized text encoder (to fine-tune an existing model to the ``tokens`` mode).

        Raises:
            ValueError: a tensor of the checkpoint has another shape than this model's, named with
                both shapes. The usual cause is a data folder prepared again with other dictionaries
                (e.g. French at 1 000 source pieces, then at 100: ``asr_ctc_decoder.proj.weight``),
                where PyTorch's own "size mismatch" error would not say so.
        """
        prefix = f"{name}." if name else ""
        own = self.state_dict()
        mismatched = [(k, tuple(state_dict[f"{prefix}{k}"].shape), tuple(v.shape)) for k, v in own.items()
                      if f"{prefix}{k}" in state_dict and tuple(state_dict[f"{prefix}{k}"].shape) != tuple(v.shape)]
        if mismatched:
            shown = "; ".join(f"{k} is {a} in the checkpoint, {b} in this model" for k, a, b in mismatched[:3])
            raise ValueError(
                f"the checkpoint does not fit this data folder's dictionaries or unit count ({len(mismatched)} "
                f"tensor(s): {shown}): it was trained on another preparation of the data; use the data it was "
                f"trained on, or move the run away and train again (docs/training.md)")
        super().upgrade_state_dict_named(state_dict, name)
        if self.unit_text_encoder is None:
            return
        missing = [k for k in self.unit_text_encoder.state_dict() if f"{prefix}unit_text_encoder.{k}" not in state_dict]
        if missing:
            logger.info(f"checkpoint has no unit text encoder: {len(missing)} tensors freshly initialized")
            for k, v in self.unit_text_encoder.state_dict().items():
                state_dict.setdefault(f"{prefix}unit_text_encoder.{k}", v)

    def unit_text_inputs(self, prev_output_tokens: Tensor) -> Tensor:
        """``--unit-states tokens``: ``(B, L)`` MT decoder input -> ``(L, B, C)`` text-encoder states.

        Position ``j`` reads target token ``j`` (the input shifted left by one, right-padded),
        so, with :meth:`unit_input_mask`, a sequence of ``n`` tokens has ``n`` unit-decoder
        input positions, aligned with the MT positions that predict those tokens.
        """
        shifted = torch.cat([prev_output_tokens[:, 1:], prev_output_tokens.new_full(
            (prev_output_tokens.size(0), 1), self.decoder.padding_idx)], dim=1)
        return self.unit_text_encoder(shifted.t())

    def unit_logits(self, prev_output_tokens: Tensor, mt_extra: Optional[Dict]):
        """Unit logits for teacher-forced (or generated) text: ``(L*r, B, V_unit)`` and mask.

        Args:
            prev_output_tokens: ``(B, L)`` ``</s>``-shifted, right-padded MT decoder input.
            mt_extra: the MT decoder's extra output on that input (unused, may be None, with
                ``--unit-states tokens``).

        Raises:
            ValueError: ``predict`` / ``tokens`` mode and a sequence without target tokens.
        """
        mask = prev_output_tokens.eq(self.decoder.padding_idx)
        if self.unit_states == "tokens":
            return self.forward_units(self.unit_text_inputs(prev_output_tokens), mask)
        return self.forward_units(self.text_states(mt_extra), mask)

    def forward_units(self, text_states: Tensor, text_padding_mask: Optional[Tensor]):
        """T2U encoder (if any) + CTC unit decoder: ``(T_text, B, C)`` -> ``(T_text*r, B, V_unit)`` logits, mask.

        ``text_states`` are the states of all MT decoder positions (``</s>``-shifted input,
        right-padded), or with ``--unit-states tokens`` those of :meth:`unit_text_inputs`. With
        ``predict`` / ``tokens`` each sequence's last position (the one that predicts
        ``</s>``) is masked out, so every token's units come from the position of that token.
        """
        text_padding_mask = self.unit_input_mask(text_padding_mask, text_states.size(0), text_states.size(1),
                                                 text_states.device)
        if self.synthesizer_encoder is not None:
            text_states = self.synthesizer_encoder(text_states, text_padding_mask)["encoder_out"][0]
        return self.unit_decoder(text_states, text_padding_mask)

    @property
    def unit_states(self) -> str:
        """``read``, ``predict`` or ``tokens`` (see ``--unit-states``)."""
        return getattr(self.args, "unit_states", None) or "read"

    def unit_input_mask(self, text_padding_mask: Optional[Tensor], length: int, batch: int, device) -> Optional[Tensor]:
        """``(B, T_text)`` padding mask of the unit decoder's input positions (None: no padding).

        Args:
            text_padding_mask: ``(B, T_text)`` True at (right) padding of the MT decoder input, or None.
            length, batch: ``T_text`` and ``B``; device: where a new mask is made.

        Raises:
            ValueError: ``predict`` / ``tokens`` mode with a sequence of a single position (nothing
                to synthesize).
        """
        if self.unit_states == "read":
            return text_padding_mask if text_padding_mask is not None and text_padding_mask.any() else None
        mask = (torch.zeros(batch, length, dtype=torch.bool, device=device) if text_padding_mask is None
                else text_padding_mask.clone())
        last = (~mask).sum(1) - 1
        if bool((last < 1).any()):
            raise ValueError(f"--unit-states {self.unit_states} needs at least one target token per sequence")
        mask[torch.arange(batch, device=device), last] = True
        return mask

    def forward(self, src_tokens: Tensor, src_lengths: Tensor, prev_output_tokens_mt: Tensor,
                segment_length: Optional[int] = None, **kwargs) -> Dict[str, Tensor]:
        """Training / teacher-forced forward pass.

        Args:
            src_tokens: ``(B, T, 80)`` normalized fbank (10 ms frames); ``src_lengths``: ``(B,)``.
            prev_output_tokens_mt: ``(B, L)`` MT decoder input (``</s>``-shifted target subwords).
            segment_length: Emformer segment length override (frames; 0 = full context).

        Returns:
            dict with ``encoder_out`` (fairseq dict), ``encoder_lengths`` ``(B,)``,
            ``asr_logits``/``st_logits`` ``(T', B, V)``, ``mt_logits`` ``(B, L, V)``,
            ``unit_logits`` ``(L*r, B, V_unit)``, ``unit_padding_mask`` ``(B, L*r)`` or None,
            ``segment_length`` (the one used). In training with ``--unit-states tokens`` and
            ``--train-unit-decoder-only`` only the unit entries are computed (the others are None).
        """
        if self.training and self.unit_states == "tokens" and getattr(self.args, "train_unit_decoder_only", False):
            unit_logits, unit_mask = self.unit_logits(prev_output_tokens_mt, None)
            return {"encoder_out": None, "encoder_lengths": None, "asr_logits": None, "st_logits": None,
                    "mt_logits": None, "unit_logits": unit_logits, "unit_padding_mask": unit_mask,
                    "segment_length": None}
        enc = self.encoder(src_tokens, src_lengths, segment_length=segment_length)
        h = enc["encoder_out"][0]
        asr_logits = self.asr_ctc_decoder(h)["encoder_out"]
        st_logits = self.st_ctc_decoder(h)
        limits = None
        prefix_prob = getattr(self.args, "mt_prefix_prob", 0.0) or 0.0
        if self.training and prefix_prob > 0 and self.encoder.update_rng(1).random() < prefix_prob:
            limits = ctc_frame_limits(st_logits, enc["src_lengths"][0], prev_output_tokens_mt.size(1),
                                      blank=self.st_ctc_decoder.dictionary.bos(),
                                      lag=getattr(self.args, "mt_prefix_lag", 2),
                                      segment_length=self.encoder.last_segment_length or 0)
        with limit_cross_attention(self.decoder, limits):
            mt_logits, mt_extra = self.decoder(prev_output_tokens_mt, encoder_out=enc)
        unit_logits, unit_mask = self.unit_logits(prev_output_tokens_mt, mt_extra)
        return {
            "encoder_out": enc,
            "encoder_lengths": enc["src_lengths"][0],
            "asr_logits": asr_logits,
            "st_logits": st_logits,
            "mt_logits": mt_logits,
            "unit_logits": unit_logits,
            "unit_padding_mask": unit_mask,
            "segment_length": self.encoder.last_segment_length,
        }

    def max_decoder_positions(self):
        return self.decoder.max_positions()


def _set(args, name, value):
    setattr(args, name, getattr(args, name, None) if getattr(args, name, None) is not None else value)


@register_model_architecture("echostream", "echostream")
def echostream_base(args):
    """CPU-sized default: 6x256 Emformer, 2-layer ST CTC, 2-layer MT decoder, 2x192 unit decoder."""
    for name, value in [
        ("conv_kernel_sizes", "5,5"), ("conv_channels", 256),
        ("encoder_embed_dim", 256), ("encoder_ffn_embed_dim", 1024), ("encoder_layers", 6),
        ("encoder_attention_heads", 4), ("encoder_no_positions", False),
        ("segment_length", 8), ("left_context_length", 32), ("right_context_length", 0),
        ("max_memory_size", 4), ("multichunk", False), ("segment_length_choices", "2,4,8,16,32,0"),
        ("st_ctc_layers", 2), ("st_ctc_window", 64),
        ("translation_decoder_layers", 2), ("decoder_embed_dim", 256), ("decoder_ffn_embed_dim", 1024),
        ("decoder_attention_heads", 4), ("share_decoder_input_output_embed", False),
        ("synthesizer_encoder_layers", 0), ("decoder_layers", 2), ("ctc_upsample_rate", 15),
        ("unit_decoder_embed_dim", 192), ("unit_decoder_ffn_embed_dim", 768),
        ("unit_decoder_window", 64), ("unit_states", "read"), ("unit_text_encoder_layers", 2),
        ("unit_text_encoder_window", 16), ("unit_text_lookahead", "word"), ("mt_prefix_prob", 0.0), ("mt_prefix_lag", 2),
        ("dropout", 0.1), ("attention_dropout", 0.0), ("activation_dropout", 0.0),
        ("max_target_positions", 1024), ("input_feat_per_channel", 80), ("input_channels", 1),
    ]:
        _set(args, name, value)


@register_model_architecture("echostream", "echostream_paper")
def echostream_paper(args):
    """StreamSpeech paper size: 12x256 encoder, 4 heads, FFN 2048; 4-layer MT decoder (GPU)."""
    for name, value in [
        ("encoder_layers", 12), ("encoder_ffn_embed_dim", 2048), ("translation_decoder_layers", 4),
        ("decoder_embed_dim", 512), ("decoder_ffn_embed_dim", 2048), ("decoder_attention_heads", 8),
        ("ctc_upsample_rate", 25), ("conv_channels", 1024), ("unit_decoder_embed_dim", 512),
        ("unit_decoder_ffn_embed_dim", 2048),
    ]:
        _set(args, name, value)
    echostream_base(args)


@register_model_architecture("echostream", "echostream_tiny")
def echostream_tiny(args):
    """Tiny configuration for tests."""
    for name, value in [
        ("conv_channels", 64), ("encoder_embed_dim", 64), ("encoder_ffn_embed_dim", 128), ("encoder_layers", 2),
        ("encoder_attention_heads", 2), ("st_ctc_layers", 1), ("translation_decoder_layers", 1),
        ("decoder_embed_dim", 64), ("decoder_ffn_embed_dim", 128), ("decoder_attention_heads", 2),
        ("decoder_layers", 1), ("unit_decoder_embed_dim", 64), ("unit_decoder_ffn_embed_dim", 128),
        ("segment_length", 4), ("left_context_length", 8), ("max_memory_size", 2),
        ("dropout", 0.0), ("attention_dropout", 0.0), ("activation_dropout", 0.0),
    ]:
        _set(args, name, value)
    echostream_base(args)

"""Criterion ``speech_to_unit_2pass_ctc_asr_st``: StreamSpeech's multi-task loss.

    loss = w_asr * CTC(ASR) + w_st * CTC(ST) + w_mt * CE_ls(MT) + w_unit * CTC(units)

Each term is normalized by its own number of target tokens (so the weights are comparable
across terms and batch sizes); ``w_asr``, ``w_st``, ``w_mt`` are the ``loss_weight`` of the
multitask YAML (fairseq's schedule, updated by the task at every step), ``w_unit`` is
``--unit-ctc-weight``. Every term, the total and the multi-chunk segment length are logged
(console, JSON logs and ``--tensorboard-logdir``). CTC uses blank = ``<s>`` (index 0). When the
model computes only the unit logits (``--unit-states tokens --train-unit-decoder-only``) the
loss is the unit term alone.
"""
import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from fairseq.criterions import FairseqCriterion, register_criterion
from fairseq.criterions.label_smoothed_cross_entropy import label_smoothed_nll_loss
from fairseq.dataclass import FairseqDataclass
from fairseq.logging import metrics
from torch import Tensor

TERMS = ("asr_ctc", "st_ctc", "mt", "unit_ctc")


def ctc_loss_sum(logits: Tensor, input_lengths: Tensor, targets: Tensor, dictionary) -> tuple:
    """Summed CTC loss of padded targets.

    Args:
        logits: ``(T, B, V)`` unnormalized scores.
        input_lengths: ``(B,)`` valid frames.
        targets: ``(B, L)`` token ids, padded with ``dictionary.pad()``; ``</s>`` is ignored.
        dictionary: fairseq dictionary (blank = ``bos``).

    Returns:
        ``(loss, n_tokens)``: summed negative log-likelihood (infinite ones zeroed) and the
        number of target tokens.
    """
    lprobs = F.log_softmax(logits.float(), dim=-1)
    mask = targets.ne(dictionary.pad()) & targets.ne(dictionary.eos())
    target_lengths = mask.sum(-1)
    flat = targets.masked_select(mask)
    loss = F.ctc_loss(lprobs, flat, input_lengths, target_lengths, blank=dictionary.bos(),
                      reduction="sum", zero_infinity=True)
    return loss, int(target_lengths.sum())


@dataclass
class Speech2Unit2passCtcAsrStConfig(FairseqDataclass):
    label_smoothing: float = field(default=0.1, metadata={"help": "label smoothing of the MT cross-entropy"})
    unit_ctc_weight: float = field(default=1.0, metadata={"help": "weight of the unit CTC loss"})
    rdrop_alpha: float = field(default=0.0, metadata={"help": "accepted for StreamSpeech command compatibility; must be 0"})
    sentence_avg: bool = field(default=False, metadata={"help": "unused (each term is token-normalized)"})


@register_criterion("speech_to_unit_2pass_ctc_asr_st", dataclass=Speech2Unit2passCtcAsrStConfig)
class SpeechToUnit2passCtcAsrStCriterion(FairseqCriterion):
    """Multi-task loss of EchoStream/StreamSpeech (see module docstring)."""

    def __init__(self, task, label_smoothing=0.1, unit_ctc_weight=1.0, rdrop_alpha=0.0, sentence_avg=False):
        super().__init__(task)
        if rdrop_alpha:
            raise ValueError("--rdrop-alpha > 0 is not supported by speech_to_unit_2pass_ctc_asr_st")
        self.eps = label_smoothing
        self.unit_ctc_weight = unit_ctc_weight
        self.weights = {name: t.args.get_loss_weight(0) for name, t in task.multitask_tasks.items()}

    def set_multitask_loss_weight(self, task_name: str, weight: float = 0.0) -> None:
        """Called by the task at every update (fairseq's loss-weight schedules)."""
        self.weights[task_name] = weight

    def forward(self, model, sample, reduce=True):
        """Compute the loss of a batch.

        Returns:
            ``(loss, sample_size=1, logging_output)`` where ``loss`` is the weighted sum of
            the token-normalized terms.
        """
        mtl = sample["multitask"]
        mt = mtl[model.mt_task_name]
        out = model(sample["net_input"]["src_tokens"], sample["net_input"]["src_lengths"],
                    prev_output_tokens_mt=mt["net_input"]["prev_output_tokens"])
        sums, counts = {}, {}
        mt_nll = None
        if out["mt_logits"] is not None:  # None: unit-path-only training (--unit-states tokens)
            enc_len = out["encoder_lengths"]
            sums["asr_ctc"], counts["asr_ctc"] = ctc_loss_sum(
                out["asr_logits"], enc_len, mtl[model.asr_task_name]["target"], model.asr_ctc_decoder.dictionary)
            sums["st_ctc"], counts["st_ctc"] = ctc_loss_sum(
                out["st_logits"], enc_len, mtl[model.st_task_name]["target"], model.st_ctc_decoder.dictionary)
            lprobs = F.log_softmax(out["mt_logits"].float(), dim=-1)
            mt_target = mt["target"]
            mt_loss, mt_nll = label_smoothed_nll_loss(lprobs.view(-1, lprobs.size(-1)), mt_target.view(-1),
                                                      self.eps, ignore_index=model.decoder.padding_idx, reduce=True)
            sums["mt"], counts["mt"] = mt_loss, int(mt_target.ne(model.decoder.padding_idx).sum())
        unit_logits, unit_mask = out["unit_logits"], out["unit_padding_mask"]
        unit_len = (torch.full((unit_logits.size(1),), unit_logits.size(0), device=unit_logits.device)
                    if unit_mask is None else (~unit_mask).sum(-1))
        sums["unit_ctc"], counts["unit_ctc"] = ctc_loss_sum(unit_logits, unit_len, sample["target"],
                                                            self.task.target_dictionary)
        weights = {
            "asr_ctc": self.weights.get(model.asr_task_name, 1.0),
            "st_ctc": self.weights.get(model.st_task_name, 1.0),
            "mt": self.weights.get(model.mt_task_name, 1.0),
            "unit_ctc": self.unit_ctc_weight,
        }
        loss = sum(weights[k] * sums[k] / max(counts[k], 1) for k in sums)
        logging_output = {
            "loss": loss.data,
            "nll_loss": (mt_nll / max(counts["mt"], 1)).data if mt_nll is not None else 0.0,
            "ntokens": sample["ntokens"],
            "nsentences": sample["nsentences"],
            "sample_size": 1,
            "segment_length": float(out["segment_length"] or 0),
        }
        for k in sums:
            logging_output[f"{k}_loss_sum"] = float(sums[k].detach())
            logging_output[f"{k}_ntokens"] = counts[k]
            logging_output[f"{k}_weight"] = weights[k]
        return loss, 1, logging_output

    @classmethod
    def reduce_metrics(cls, logging_outputs) -> None:
        """Aggregate: total loss per batch; each term per target token (nats)."""
        n = sum(log.get("sample_size", 0) for log in logging_outputs) or 1
        metrics.log_scalar("loss", sum(float(log.get("loss", 0)) for log in logging_outputs) / n, n, round=3)
        if any("mt_ntokens" in log for log in logging_outputs):  # not in unit-path-only training
            metrics.log_scalar("nll_loss", sum(float(log.get("nll_loss", 0)) for log in logging_outputs) / n, n,
                               round=3)
            metrics.log_derived("ppl", lambda m: round(math.exp(min(m["nll_loss"].avg, 50)), 2))
        for k in TERMS:
            if not any(f"{k}_ntokens" in log for log in logging_outputs):
                continue  # a term this model does not train (unit-path-only training)
            ntok = sum(log.get(f"{k}_ntokens", 0) for log in logging_outputs)
            total = sum(log.get(f"{k}_loss_sum", 0) for log in logging_outputs)
            metrics.log_scalar(f"{k}_loss", total / max(ntok, 1), ntok, round=3)
            metrics.log_scalar(f"{k}_weight", logging_outputs[0].get(f"{k}_weight", 0) if logging_outputs else 0,
                               weight=0, round=3)
        metrics.log_scalar("segment_length", sum(log.get("segment_length", 0) for log in logging_outputs) / n,
                           n, round=2)

    @staticmethod
    def logging_outputs_can_be_summed() -> bool:
        return False

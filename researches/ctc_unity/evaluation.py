"""Offline (full-utterance) evaluation of every head of a trained EchoStream model.

Reports on a split: ASR WER and CER (characters of the detokenized text, spaces included) of
the ASR CTC head, BLEU of the ST CTC head, BLEU of the MT
decoder (greedy and beam search, fairseq's :class:`SequenceGenerator`), and the unit error
rate of the CTC unit decoder (fed with the MT decoder states of the greedy translation,
i.e. what the S2ST system would synthesize, and also teacher-forced on the reference text).
Text is detokenized with the SentencePiece models of the data and scored with sacrebleu
(default 13a tokenization, case-sensitive on the lowercase corpus).

Command line (``echostream-eval``)::

    echostream-eval --checkpoint runs/echostream_cpu/checkpoints/checkpoint_best.pt \
        --data data/embedded/s2st --split test [--segment-length 0|N|best] [--beam 5] [--output report.json]

prints (and with ``--output`` writes) JSON: asr_wer, asr_cer, st_ctc_bleu, mt_bleu_greedy, mt_bleu_beam5,
unit_error_rate (units from the greedy translation), unit_error_rate_tf (teacher-forced text);
with ``--segment-length best`` also ``segment_selection`` (the dev BLEU of every training segment
choice and the one used: the offline upper bound, :func:`select_offline_segment`).
"""
import argparse
import json
import logging
import os
import sys
from typing import Dict, List, Optional

import sacrebleu
import sentencepiece as spm
import torch
from fairseq import checkpoint_utils, utils
from fairseq.sequence_generator import SequenceGenerator

from .modules.ctc_decoding import ctc_greedy, error_rate

logger = logging.getLogger(__name__)


def _spm_for(dictionary_path: str) -> spm.SentencePieceProcessor:
    model = os.path.splitext(dictionary_path)[0] + ".model"
    if not os.path.isfile(model):
        raise FileNotFoundError(f"SentencePiece model beside {dictionary_path} not found: {model}")
    return spm.SentencePieceProcessor(model_file=model)


def _detok(sp, dictionary, ids: List[int]) -> str:
    pieces = [dictionary[i] for i in ids if i not in (dictionary.eos(), dictionary.pad(), dictionary.bos())]
    return sp.decode(pieces)


def load_model(checkpoint: str, data: Optional[str] = None, device: str = "cpu", segment_length: Optional[int] = None):
    """Load an EchoStream checkpoint and its task (optionally pointing at another data folder).

    Returns:
        ``(model, task, cfg)`` with the model in eval mode on ``device``.
    """
    overrides = {"data": os.path.abspath(data)} if data else {}
    models, cfg, task = checkpoint_utils.load_model_ensemble_and_task([checkpoint], arg_overrides=overrides)
    model = models[0].eval().to(device)
    if segment_length is not None:
        model.encoder.segment_length = segment_length
    return model, task, cfg


@torch.no_grad()
def evaluate(model, task, split: str = "test", beam: int = 5, max_sentences: int = 32, device: str = "cpu",
             max_utterances: Optional[int] = None, mt_only: bool = False) -> Dict:
    """Score every head on ``split`` (see module docstring).

    Args:
        mt_only: only the greedy MT decoder (``mt_bleu_greedy``; no beam search, no units), as
            :func:`select_offline_segment` needs.

    Returns:
        dict with ``asr_wer``, ``asr_cer`` (percent), ``st_ctc_bleu``, ``mt_bleu_greedy``, ``mt_bleu_beam``,
        ``unit_error_rate`` (from greedy MT), ``unit_error_rate_tf`` (teacher-forced text),
        ``n`` and a few example hypotheses.
    """
    task.load_dataset(split)
    ds = task.dataset(split)
    asr_dict = model.asr_ctc_decoder.dictionary
    mt_dict = model.decoder.dictionary
    mtl = task.multitask_tasks
    asr_sp = _spm_for(mtl[model.asr_task_name].args.config["dict"])
    tgt_sp = _spm_for(mtl[model.mt_task_name].args.config["dict"])
    unit_dict = task.target_dictionary
    gens = {"greedy": SequenceGenerator([model], mt_dict, beam_size=1, max_len_b=200)}
    if not mt_only:
        gens[f"beam{beam}"] = SequenceGenerator([model], mt_dict, beam_size=beam, max_len_b=200)
    n = len(ds) if max_utterances is None else min(len(ds), max_utterances)
    res = {k: [] for k in ("asr_hyp", "asr_ref", "st_hyp", "mt_ref", "greedy", f"beam{beam}",
                           "unit_hyp", "unit_tf", "unit_ref")}
    for start in range(0, n, max_sentences):
        sample = ds.collater([ds[i] for i in range(start, min(n, start + max_sentences))])
        sample = utils.move_to_cuda(sample) if device == "cuda" else sample
        net = sample["net_input"]
        mt = sample["multitask"][model.mt_task_name]
        out = model(net["src_tokens"], net["src_lengths"], mt["net_input"]["prev_output_tokens"],
                    segment_length=model.encoder.segment_length)
        enc_len = out["encoder_lengths"]
        asr_t = sample["multitask"][model.asr_task_name]["target"]
        for hyp, ref in zip(ctc_greedy(out["asr_logits"], enc_len), asr_t.tolist()):
            res["asr_hyp"].append(_detok(asr_sp, asr_dict, hyp).split())
            res["asr_ref"].append(_detok(asr_sp, asr_dict, ref).split())
        for hyp in ctc_greedy(out["st_logits"], enc_len):
            res["st_hyp"].append(_detok(tgt_sp, mt_dict, hyp))
        for ref in mt["target"].tolist():
            res["mt_ref"].append(_detok(tgt_sp, mt_dict, ref))
        # teacher-forced units
        unit_tf = ctc_greedy(out["unit_logits"], (~out["unit_padding_mask"]).sum(-1) if out["unit_padding_mask"]
                             is not None else torch.full((out["unit_logits"].size(1),), out["unit_logits"].size(0)))
        res["unit_tf"].extend(unit_tf)
        for ref in sample["target"].tolist():
            res["unit_ref"].append([t for t in ref if t not in (unit_dict.pad(), unit_dict.eos())])
        for name, gen in gens.items():
            hyps = gen.generate([model], sample)
            for h in hyps:
                res[name].append(_detok(tgt_sp, mt_dict, h[0]["tokens"].tolist()))
        if mt_only:
            continue
        # units from the greedy translation: rerun the decoder teacher-forced on its own output
        greedy = gens["greedy"].generate([model], sample)
        toks = [h[0]["tokens"] for h in greedy]
        prev = torch.full((len(toks), max(len(t) for t in toks)), mt_dict.pad(), dtype=torch.long, device=enc_len.device)
        for i, t in enumerate(toks):
            prev[i, 0] = mt_dict.eos()
            prev[i, 1:len(t)] = t[:-1]
        _, extra = model.decoder(prev, encoder_out=out["encoder_out"])
        logits, umask = model.unit_logits(prev, extra)
        ulen = (~umask).sum(-1) if umask is not None else torch.full((logits.size(1),), logits.size(0))
        res["unit_hyp"].extend(ctc_greedy(logits, ulen))
    if mt_only:
        return {"split": split, "n": n, "segment_length": model.encoder.segment_length,
                "mt_bleu_greedy": round(sacrebleu.corpus_bleu(res["greedy"], [res["mt_ref"]]).score, 2)}
    report = {
        "split": split,
        "n": n,
        "segment_length": model.encoder.segment_length,
        "asr_wer": round(error_rate(res["asr_hyp"], res["asr_ref"]), 2),
        # small source vocabularies misspell words: the CER tells a misspelling from a lost word
        "asr_cer": round(error_rate([" ".join(h) for h in res["asr_hyp"]], [" ".join(r) for r in res["asr_ref"]]), 2),
        "st_ctc_bleu": round(sacrebleu.corpus_bleu(res["st_hyp"], [res["mt_ref"]]).score, 2),
        "mt_bleu_greedy": round(sacrebleu.corpus_bleu(res["greedy"], [res["mt_ref"]]).score, 2),
        f"mt_bleu_beam{beam}": round(sacrebleu.corpus_bleu(res[f"beam{beam}"], [res["mt_ref"]]).score, 2),
        "unit_error_rate": round(error_rate(res["unit_hyp"], res["unit_ref"]), 2),
        "unit_error_rate_tf": round(error_rate(res["unit_tf"], res["unit_ref"]), 2),
        "examples": [{"asr": " ".join(res["asr_hyp"][i]), "asr_ref": " ".join(res["asr_ref"][i]), "st_ctc": res["st_hyp"][i], "mt": res["greedy"][i],
                      "ref": res["mt_ref"][i]} for i in range(min(3, n))],
    }
    return report


def select_offline_segment(model, task, split: str = "dev", max_utterances: int = 100,
                           device: str = "cpu") -> Dict:
    """The offline upper bound's encoder segment: the best on ``split`` among the model's training choices.

    Offline decoding sees the whole source; the encoder may still run in segments (Emformer,
    Shi et al. 2021), and with multi-chunk training (StreamSpeech, Zhang et al. 2024) the
    full-context mode (segment 0) is only one of the sampled choices and need not be the model's
    best. The offline figure is therefore the whole source encoded with the segment length (in
    40 ms encoder frames, from ``--segment-length-choices``) whose greedy MT BLEU on the first
    ``max_utterances`` of ``split`` is highest (ties: the longest context). The selection never
    looks at the test split.

    Returns:
        ``{"segment_length": best, "selection": {choice: BLEU}, "split": split, "n": n}``; the
        model's ``encoder.segment_length`` is left at ``best``.

    Raises:
        KeyError, FileNotFoundError: as :func:`evaluate` (unknown split, missing SentencePiece model).
    """
    choices = list(getattr(model.encoder, "segment_length_choices", None) or [0])
    table, n = {}, 0
    for seg in choices:
        model.encoder.segment_length = seg
        rep = evaluate(model, task, split, device=device, max_utterances=max_utterances, mt_only=True)
        table[seg], n = rep["mt_bleu_greedy"], rep["n"]
        logger.info("offline segment selection on %s: segment %d -> MT BLEU %.2f", split, seg, table[seg])
    # highest BLEU; among equals the longest context (0 = full context counts as the longest)
    best = max(choices, key=lambda c: (table[c], c == 0, c))
    model.encoder.segment_length = best
    return {"segment_length": best, "selection": {str(k): v for k, v in table.items()}, "split": split, "n": n}


def main(argv=None):
    """``echostream-eval``: offline evaluation of a checkpoint on a split (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", help="prepared data folder (default: the one stored in the checkpoint)")
    p.add_argument("--split", default="test")
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--segment-length", default="0",
                   help="encoder segment length in 40 ms frames (0 = full context), or 'best': the best of the "
                        "model's training choices on --select-split (the offline upper bound, see "
                        "select_offline_segment)")
    p.add_argument("--select-split", default="dev", help="split that --segment-length best selects on")
    p.add_argument("--select-utterances", type=int, default=100, help="utterances of --select-split it uses")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--max-utterances", type=int)
    p.add_argument("--output", help="write the JSON report here (atomically)")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from .datasets.atomic import write_json_atomic

    try:
        for path, what in ((a.checkpoint, "checkpoint"), (a.data, "data folder")):
            if path and not os.path.exists(path):
                raise FileNotFoundError(f"{what} not found: {path}")
        best = a.segment_length == "best"
        if not best and not a.segment_length.isdigit():
            raise ValueError(f"--segment-length must be a non-negative integer or 'best', got {a.segment_length!r}")
        model, task, _ = load_model(a.checkpoint, a.data, a.device, None if best else int(a.segment_length))
        selection = (select_offline_segment(model, task, a.select_split, a.select_utterances, a.device)
                     if best else None)
        report = evaluate(model, task, a.split, beam=a.beam, device=a.device, max_utterances=a.max_utterances)
        if selection is not None:
            report["segment_selection"] = selection
    except (FileNotFoundError, ValueError, KeyError) as e:
        print(f"echostream-eval: error: {e}", file=sys.stderr)
        sys.exit(1)
    report["checkpoint"] = a.checkpoint
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if a.output:
        write_json_atomic(a.output, report)


if __name__ == "__main__":
    main()

"""Greedy CTC decoding and the edit-distance metrics used for the CTC heads."""
from typing import List, Sequence

import editdistance
import torch
from torch import Tensor


def ctc_greedy(logits: Tensor, lengths: Tensor, blank: int = 0) -> List[List[int]]:
    """Best-path CTC decoding: argmax per frame, merge repeats, drop blanks.

    Args:
        logits: ``(T, B, V)`` scores (any monotone transform of the log-probabilities).
        lengths: ``(B,)`` valid frames.
        blank: blank index (fairseq dictionaries: ``<s>`` = 0).

    Returns:
        one list of token ids per batch row.
    """
    best = logits.argmax(dim=-1).t().tolist()  # B x T
    out = []
    for row, n in zip(best, lengths.tolist()):
        tokens, prev = [], None
        for t in row[: int(n)]:
            if t != prev and t != blank:
                tokens.append(t)
            prev = t
        out.append(tokens)
    return out


def collapse_ctc_prefix(frame_ids: Sequence[int], prev_last: int, blank: int = 0):
    """Extend a streaming CTC prefix with new frame argmaxes.

    Args:
        frame_ids: argmax ids of the new frames.
        prev_last: argmax id of the last frame seen before them (``blank`` at stream start).
        blank: blank index.

    Returns:
        ``(new_tokens, last)``: tokens appended to the collapsed prefix, and the last frame id.
        Concatenating the outputs of successive calls equals :func:`ctc_greedy` on all frames.
    """
    new, prev = [], prev_last
    for t in frame_ids:
        if t != prev and t != blank:
            new.append(t)
        prev = t
    return new, prev


def error_rate(hyps: Sequence[Sequence], refs: Sequence[Sequence]) -> float:
    """Corpus edit-distance rate in percent: sum(edits) / sum(len(ref)) * 100 (WER on words, UER on units).

    Raises:
        ValueError: if the lists differ in length or all references are empty.
    """
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses for {len(refs)} references")
    total = sum(len(r) for r in refs)
    if total == 0:
        raise ValueError("references are empty")
    return 100.0 * sum(editdistance.eval(list(h), list(r)) for h, r in zip(hyps, refs)) / total

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
    return [collapse_ctc_prefix(row[: int(n)], blank, blank)[0] for row, n in zip(best, lengths.tolist())]


def collapse_ctc_prefix(frame_ids: Sequence[int], prev_last: int, blank: int = 0, return_positions: bool = False):
    """Extend a streaming CTC best-path prefix with new frame argmaxes (merge repeats, drop blanks).

    The one CTC collapse of the project (Graves et al., 2006, best-path decoding):
    :func:`ctc_greedy` and every streaming CTC head (ASR, ST, units) use it.

    Args:
        frame_ids: argmax ids of the new frames.
        prev_last: argmax id of the last frame seen before them (``blank`` at stream start).
        blank: blank index.
        return_positions: also return, per new token, the index in ``frame_ids`` of the frame
            that emitted it.

    Returns:
        ``(new_tokens, last)`` or, with ``return_positions``, ``(new_tokens, positions, last)``:
        tokens appended to the collapsed prefix and the last frame id. Concatenating the
        outputs of successive calls equals :func:`ctc_greedy` on all frames.
    """
    new, positions, prev = [], [], prev_last
    for i, t in enumerate(frame_ids):
        if t != prev and t != blank:
            new.append(t)
            positions.append(i)
        prev = t
    return (new, positions, prev) if return_positions else (new, prev)


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

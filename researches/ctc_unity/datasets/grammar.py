"""Public API of the embedded corpus grammars (a thin facade over :mod:`.grammars`).

The rules live in ``datasets/grammars/<lang>.py`` and the lexicons in
``datasets/lexicons/<lang>/*.tsv``; this module keeps the historical API
(:func:`generate_pairs`, :func:`split_pairs`, :func:`vocabulary`,
:class:`SentencePair`, :data:`PHENOMENA`, ...) for every pair, the default pair
(:data:`DEFAULT_LANG_PAIR`) when none is given::

    python -m ctc_unity.datasets.grammar --n 10 --seed 0 --lang-pair de-en
"""

from __future__ import annotations

import argparse
import sys
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

from .grammars import DEFAULT_LANG_PAIR, LANG_PAIRS, get_grammar, parse_lang_pair
from .grammars import base as _base
from .grammars.base import SentencePair, split_pairs

__all__ = [
    "LANG_PAIRS",
    "DEFAULT_LANG_PAIR",
    "PHENOMENA",
    "SRC_CHARSET",
    "TGT_CHARSET",
    "SentencePair",
    "generate_pairs",
    "vocabulary",
    "phenomena",
    "charsets",
    "split_pairs",
    "get_grammar",
    "parse_lang_pair",
]

_DEFAULT = get_grammar(DEFAULT_LANG_PAIR)
#: Phenomenon tags of the default pair's grammar (:data:`DEFAULT_LANG_PAIR`), in canonical order.
PHENOMENA: Tuple[str, ...] = _DEFAULT.PHENOMENA
#: Every character a source sentence of the default pair can contain.
SRC_CHARSET: FrozenSet[str] = _DEFAULT.SRC_CHARSET
#: Every character an English (target) sentence can contain.
TGT_CHARSET: FrozenSet[str] = _DEFAULT.TGT_CHARSET


def generate_pairs(
    n: int, seed: int = 0, min_words: int = 3, max_words: int = 20, lang_pair: str = DEFAULT_LANG_PAIR
) -> List[SentencePair]:
    """Generate ``n`` unique sentence pairs of ``lang_pair`` (see :func:`.grammars.base.generate_pairs`).

    Deterministic per ``(n, seed, min_words, max_words, lang_pair)``; a longer
    run extends a shorter one.

    Raises:
        TypeError, ValueError: as :func:`.grammars.base.generate_pairs`; ValueError
            also for an unknown ``lang_pair``.
    """
    return _base.generate_pairs(get_grammar(lang_pair), n, seed=seed, min_words=min_words, max_words=max_words)


def vocabulary(lang_pair: str = DEFAULT_LANG_PAIR) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """``(source_types, english_types)``: every whitespace token the grammar of ``lang_pair`` can emit."""
    return get_grammar(lang_pair).vocabulary()


def phenomena(lang_pair: str = DEFAULT_LANG_PAIR) -> Tuple[str, ...]:
    """Phenomenon tags of ``lang_pair``, in canonical order."""
    return get_grammar(lang_pair).PHENOMENA


def charsets(lang_pair: str = DEFAULT_LANG_PAIR) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """``(source_charset, target_charset)`` of ``lang_pair``."""
    g = get_grammar(lang_pair)
    return g.SRC_CHARSET, g.TGT_CHARSET


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Print generated pairs as ``src<TAB>tgt<TAB>phenomena`` lines, or with ``--stats`` the text
    statistics of the corpus ``build_corpus.py`` would build (``--n`` train pairs, ``--n-eval``
    dev and test pairs each, the same split): :func:`.corpus.compute_corpus_stats` of every split
    and of all together, as JSON (no audio, so no durations and speakers).

    Returns:
        Process exit status (0).

    Raises:
        SystemExit: on invalid command-line arguments.
    """
    ap = argparse.ArgumentParser(description="Print sentence pairs of an embedded grammar.")
    ap.add_argument("--n", type=int, default=10, help="number of pairs (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    ap.add_argument("--min-words", type=int, default=3)
    ap.add_argument("--max-words", type=int, default=20)
    ap.add_argument("--lang-pair", default=DEFAULT_LANG_PAIR, choices=LANG_PAIRS)
    ap.add_argument("--stats", action="store_true", help="print corpus statistics (JSON) instead of pairs")
    ap.add_argument("--n-eval", type=int, default=300, help="with --stats: dev and test pairs each (default: %(default)s)")
    args = ap.parse_args(argv)
    if args.stats:
        import json

        from . import corpus

        try:
            splits = corpus.grammar_splits(args.n, args.n_eval, args.n_eval, seed=args.seed, min_words=args.min_words,
                                           max_words=args.max_words, lang_pair=args.lang_pair)
        except ValueError as exc:
            ap.error(str(exc))
        rows = {split: [{"src_text": p.src, "tgt_text": p.tgt, "phenomena": corpus.PHENOMENA_SEP.join(p.phenomena)}
                        for p in pairs] for split, pairs in splits.items()}
        stats = {split: corpus.compute_corpus_stats({split: r}, args.lang_pair) for split, r in rows.items()}
        stats["all"] = corpus.compute_corpus_stats(rows, args.lang_pair)
        print(json.dumps(stats, indent=1, ensure_ascii=False))
        return 0
    try:
        pairs = generate_pairs(args.n, seed=args.seed, min_words=args.min_words, max_words=args.max_words,
                               lang_pair=args.lang_pair)
    except ValueError as exc:
        ap.error(str(exc))
    for p in pairs:
        print(f"{p.src}\t{p.tgt}\t{','.join(p.phenomena)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

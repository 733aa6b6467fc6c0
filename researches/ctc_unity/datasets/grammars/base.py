"""Language-independent part of the synchronous grammars of the embedded corpus.

A *grammar* is a module of :mod:`ctc_unity.datasets.grammars` named after its
source language (``fr``, ``de``, ``es``) that translates into English.  It
provides:

``SRC`` / ``TGT``
    language codes (``"de"``, ``"en"``).
``SOURCE_VOICE``
    the espeak-ng voice of the source speech (:func:`ctc_unity.datasets.tts.source_speakers`).
``PHENOMENA``
    the phenomenon tags of the pair, in canonical order.
``SRC_VOCAB_SIZE`` (optional; absent: the preparation's default, ``PrepConfig.src_vocab_size``)
    the source SentencePiece size the embedded corpus is prepared with
    (``scripts/prepare_embedded.sh`` asks :func:`..grammars.source_vocab_size`): the size at
    which the ASR CTC head learns within the default training budget.
``SRC_CHARSET`` / ``TGT_CHARSET``
    every character a sentence can contain.
``sample_sentence(rng, n_clauses) -> (src_tokens, tgt_tokens, tags)``
    one synchronous derivation; all randomness from ``rng``.
``vocabulary() -> (src_types, tgt_types)``
    the word types the rules can emit, derived from the lexicon (the data files
    under ``datasets/lexicons/<lang>/``) and the closed-class tables the rules
    use, closed under the language's morphology/orthography functions.

This module holds what every grammar shares: :class:`SentencePair`, the
lexicon reader (:func:`read_lexicon`), the generation driver
(:func:`generate_pairs`: length bounds, uniqueness, determinism per seed) and
:func:`split_pairs`.  Only the standard library is used.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Dict, List, Sequence, Set, Tuple

__all__ = [
    "LEXICON_DIR",
    "SentencePair",
    "read_lexicon",
    "weighted",
    "clause_counts",
    "generate_pairs",
    "split_pairs",
]

#: Folder of the lexicon data files: ``<LEXICON_DIR>/<lang>/<table>.tsv``.
LEXICON_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lexicons")


@dataclass(frozen=True)
class SentencePair:
    """One aligned source/target sentence pair.

    Args:
        src: source sentence (lower case, space separated, no punctuation).
        tgt: target (English) translation (same format).
        phenomena: sorted tuple (in the grammar's ``PHENOMENA`` order) of the
            phenomena the pair exhibits; empty for plain sentences or non-grammar text.

    ``fr`` and ``en`` are read-only aliases of ``src`` and ``tgt`` (the names
    used when the only pair was French -> English).
    """

    src: str
    tgt: str
    phenomena: Tuple[str, ...] = ()

    @property
    def fr(self) -> str:  # backward-compatible alias
        return self.src

    @property
    def en(self) -> str:  # backward-compatible alias
        return self.tgt


def read_lexicon(lang: str, table: str) -> List[Dict[str, str]]:
    """Rows of ``lexicons/<lang>/<table>.tsv`` as dicts keyed by the header row.

    Lines starting with ``#`` and blank lines are skipped; fields are tab separated
    and may be empty.

    Raises:
        FileNotFoundError: if the table does not exist.
        ValueError: if a row has another number of fields than the header.
    """
    path = os.path.join(LEXICON_DIR, lang, table + ".tsv")
    header = None
    rows: List[Dict[str, str]] = []
    with open(path, "r", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                continue
            if len(cols) != len(header):
                raise ValueError(f"{path}:{lineno}: {len(cols)} fields, header has {len(header)}")
            rows.append(dict(zip(header, cols)))
    return rows


def weighted(rng: random.Random, items: Sequence, weights: Sequence[float]):
    """One item of ``items`` drawn with ``weights`` (a single ``rng.choices`` call)."""
    return rng.choices(items, weights=weights, k=1)[0]


def tense_tags(tense: str, neg: bool, question: bool) -> Set[str]:
    """Phenomenon tags of a clause's tense (``past``/``fut``), negation and question."""
    tags = set()
    if tense == "past":
        tags.add("past_tense")
    elif tense == "fut":
        tags.add("future_tense")
    if neg:
        tags.add("negation")
    if question:
        tags.add("question")
    return tags


def clause_counts(min_words: int, max_words: int) -> Tuple[Tuple[int, ...], Tuple[float, ...]]:
    """Clause-count distribution adapted to the requested sentence length range."""
    if max_words < 8:
        return (1,), (1.0,)
    if min_words >= 13:
        return (2, 3), (0.55, 0.45)
    if min_words >= 9:
        return (1, 2, 3), (0.25, 0.6, 0.15)
    return (1, 2, 3), (0.74, 0.23, 0.03)


def generate_pairs(grammar, n: int, seed: int = 0, min_words: int = 3, max_words: int = 20) -> List[SentencePair]:
    """Generate ``n`` unique sentence pairs with ``grammar`` (a grammar module).

    Args:
        grammar: a module of :mod:`ctc_unity.datasets.grammars` (see the module docstring).
        n: number of pairs (>= 0).
        seed: seed of the private ``random.Random``; the same arguments always
            give the same list, and a longer run extends a shorter one.
        min_words: minimum source length in whitespace tokens (>= 1).
        max_words: maximum source length in whitespace tokens (>= min_words).

    Returns:
        A list of ``n`` :class:`SentencePair`, with pairwise distinct source
        sentences, in generation order.

    Raises:
        TypeError: if an argument is not an ``int``.
        ValueError: if ``n < 0``, ``min_words < 1``, ``min_words > max_words``,
            or if ``n`` unique pairs within the length bounds cannot be produced
            within ``50 * n + 1000`` sampling attempts.
    """
    for name, val in (("n", n), ("seed", seed), ("min_words", min_words), ("max_words", max_words)):
        if isinstance(val, bool) or not isinstance(val, int):
            raise TypeError(f"generate_pairs: {name} must be an int, got {val!r}")
    if n < 0:
        raise ValueError(f"generate_pairs: n must be >= 0, got {n}")
    if min_words < 1:
        raise ValueError(f"generate_pairs: min_words must be >= 1, got {min_words}")
    if min_words > max_words:
        raise ValueError(f"generate_pairs: min_words ({min_words}) > max_words ({max_words})")
    rng = random.Random(seed)
    counts, weights = clause_counts(min_words, max_words)
    phenomena = grammar.PHENOMENA
    out: List[SentencePair] = []
    seen: Set[str] = set()
    max_attempts = 50 * n + 1000
    attempts = 0
    while len(out) < n:
        if attempts >= max_attempts:
            raise ValueError(
                f"generate_pairs: could only produce {len(out)} of {n} unique pairs with "
                f"{min_words}..{max_words} words in {max_attempts} attempts"
            )
        attempts += 1
        src_toks, tgt_toks, tags = grammar.sample_sentence(rng, weighted(rng, counts, weights))
        if not (min_words <= len(src_toks) <= max_words) or not tgt_toks:
            continue
        src = " ".join(src_toks)
        if src in seen:
            continue
        seen.add(src)
        out.append(SentencePair(src, " ".join(tgt_toks), tuple(p for p in phenomena if p in tags)))
    return out


def split_pairs(
    pairs: Sequence[SentencePair], dev_size: int, test_size: int, seed: int = 0
) -> Dict[str, List[SentencePair]]:
    """Shuffle ``pairs`` deterministically and split them into train/dev/test.

    The dev split takes the first ``dev_size`` shuffled pairs; the test split
    takes the next ``test_size`` pairs that share neither their source nor their
    target sentence with a dev pair (conflicting pairs are kept back); train
    gets every remaining pair that shares neither side with dev or test, the
    others are dropped.  Hence no source sentence and no target sentence occurs
    in two splits, dev and test have exactly the requested sizes, and train may
    be smaller than ``len(pairs) - dev_size - test_size``.  The input is not
    modified.

    Args:
        pairs: sentence pairs (e.g. from :func:`generate_pairs`).
        dev_size: number of dev pairs (>= 0).
        test_size: number of test pairs (>= 0).
        seed: seed of the private ``random.Random`` used for shuffling.

    Returns:
        ``{"train": [...], "dev": [...], "test": [...]}``.

    Raises:
        TypeError: if a size or the seed is not an ``int``.
        ValueError: if a size is negative, if ``dev_size + test_size >
            len(pairs)``, or if fewer than ``test_size`` pairs are disjoint from
            the dev split (only possible with many duplicated sentences).
    """
    for name, val in (("dev_size", dev_size), ("test_size", test_size), ("seed", seed)):
        if isinstance(val, bool) or not isinstance(val, int):
            raise TypeError(f"split_pairs: {name} must be an int, got {val!r}")
    if dev_size < 0 or test_size < 0:
        raise ValueError(f"split_pairs: sizes must be >= 0, got dev_size={dev_size} test_size={test_size}")
    if dev_size + test_size > len(pairs):
        raise ValueError(
            f"split_pairs: dev_size + test_size = {dev_size + test_size} exceeds the {len(pairs)} pairs"
        )
    order = list(pairs)
    random.Random(seed).shuffle(order)
    dev = order[:dev_size]
    dev_src = {p.src for p in dev}
    dev_tgt = {p.tgt for p in dev}
    test: List[SentencePair] = []
    rest: List[SentencePair] = []
    for p in order[dev_size:]:
        if len(test) < test_size and p.src not in dev_src and p.tgt not in dev_tgt:
            test.append(p)
        else:
            rest.append(p)
    if len(test) < test_size:
        raise ValueError(
            f"split_pairs: only {len(test)} pairs are disjoint from the dev split, {test_size} requested"
        )
    held_src = dev_src | {p.src for p in test}
    held_tgt = dev_tgt | {p.tgt for p in test}
    train = [p for p in rest if p.src not in held_src and p.tgt not in held_tgt]
    return {"train": train, "dev": dev, "test": test}

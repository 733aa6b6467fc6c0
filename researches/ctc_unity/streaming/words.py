"""Word boundaries in SentencePiece pieces: the one place that knows ``▁`` (U+2581).

SentencePiece (Kudo & Richardson, 2018) marks a piece that begins a word with ``▁``; the
first piece of a text begins a word whether or not it carries the mark. A streaming text's
last word is complete only once the next word has started, or the text has ended.
"""
from typing import List, Sequence

WORD_BOUNDARY = "\u2581"


def word_starts(pieces: Sequence[str]) -> List[int]:
    """Indices of the pieces that begin a word (index 0 always does, when there is one)."""
    return [i for i, p in enumerate(pieces) if i == 0 or p.startswith(WORD_BOUNDARY)]


def complete_words(pieces: Sequence[str], text_finished: bool) -> int:
    """Number of whole words in a piece sequence; the last word counts once ``text_finished``."""
    n = len(word_starts(pieces))
    return n if text_finished else max(0, n - 1)

"""Synchronous X -> English grammars of the embedded corpus, one module per source language.

``get_grammar("de-en")`` returns the module :mod:`.de`; see :mod:`.base` for the
interface every grammar module provides and the shared generation driver.
Lexicons are data files under ``datasets/lexicons/<lang>/``.
"""

from __future__ import annotations

import importlib
import re
from typing import Optional, Tuple

__all__ = ["LANG_PAIRS", "DEFAULT_LANG_PAIR", "parse_lang_pair", "split_lang_pair", "get_grammar",
           "source_vocab_size"]

#: Language pairs with an embedded grammar (``<source>-<target>``).
LANG_PAIRS: Tuple[str, ...] = ("fr-en", "de-en", "es-en")
#: The pair used when none is given.
DEFAULT_LANG_PAIR = "fr-en"


_CODE = r"[a-z]{2,3}(?:-[A-Za-z]{2,4})?"


def split_lang_pair(lang_pair: str) -> Tuple[str, str]:
    """``"<source>-<target>"`` -> ``(source, target)`` for any pair, embedded grammar or not.

    Codes are ISO 639 (two or three lower-case letters) with an optional region or script
    (``zh-CN``), as CoVoST 2 / CVSS name them; ``_`` also separates (``de_en``).  The last
    separator splits, so ``"zh-CN-en"`` -> ``("zh-CN", "en")``.

    Raises:
        ValueError: if ``lang_pair`` is not two such codes.
    """
    text = str(lang_pair).strip()
    for i in range(len(text) - 1, 0, -1):
        if text[i] in "-_" and re.fullmatch(_CODE, text[:i]) and re.fullmatch(_CODE, text[i + 1:]):
            return text[:i], text[i + 1:]
    raise ValueError(f"not a language pair {lang_pair!r}: expected <source>-<target> language codes, e.g. de-en")


def parse_lang_pair(lang_pair: str) -> Tuple[str, str]:
    """``"de-en"`` -> ``("de", "en")``.

    Raises:
        ValueError: if the pair is not one of :data:`LANG_PAIRS`.
    """
    pair = str(lang_pair).strip().lower().replace("_", "-")
    if pair not in LANG_PAIRS:
        raise ValueError(f"unknown language pair {lang_pair!r}; embedded grammars: {', '.join(LANG_PAIRS)}")
    src, tgt = pair.split("-")
    return src, tgt


def get_grammar(lang_pair: str = DEFAULT_LANG_PAIR):
    """The grammar module of ``lang_pair`` (imported on first use).

    Raises:
        ValueError: if the pair is not one of :data:`LANG_PAIRS`.
    """
    src, _ = parse_lang_pair(lang_pair)
    return importlib.import_module(f"{__name__}.{src}")


def source_vocab_size(lang_pair: str = DEFAULT_LANG_PAIR) -> Optional[int]:
    """The source SentencePiece size (pieces) the embedded corpus of ``lang_pair`` is prepared
    with: the grammar's ``SRC_VOCAB_SIZE``, or ``None`` when it sets none (the preparation's own
    default then applies). docs/training.md, "Source vocabulary per pair", has the measurements
    behind each value.

    Raises:
        ValueError: if the pair is not one of :data:`LANG_PAIRS`.
    """
    size = getattr(get_grammar(lang_pair), "SRC_VOCAB_SIZE", None)
    return None if size is None else int(size)

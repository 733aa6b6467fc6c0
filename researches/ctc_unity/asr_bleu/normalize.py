"""Text normalization for ASR-BLEU, applied identically to ASR hypotheses and references.

Follows the normalization of StreamSpeech's / fairseq's ASR-BLEU
(``fairseq/examples/speech_to_speech/asr_bleu/compute_asr_bleu.py``: the wav2vec2 transcript
is lower-cased, and the references are expected to be normalized text) and SimulEval 1.1.4's
``remove_punctuations`` (``simuleval/evaluator/scorers/quality_scorer.py``: dash-like
characters become spaces, other punctuation is deleted, apostrophes are excluded from
deletion). Rules, in order:

1. Unicode NFKC; typographic apostrophes (U+2018, U+2019, U+02BC, U+0060, U+00B4) become ``'``.
2. Lower-case.
3. Dash-like characters and slashes (``- / – — · •`` ...) become a space.
4. Every other punctuation or symbol character (Unicode categories ``P*`` and ``S*``) is
   deleted, except ``'``. Letters, digits and combining marks are kept; numbers are not
   spelled out, and a decimal point is deleted like any punctuation (``3.5`` -> ``35``).
5. Apostrophes are kept **inside** words (``don't``, ``paul's``): the English wav2vec2 ASR
   of ASR-BLEU (``facebook/wav2vec2-large-960h-lv60-self``) has ``'`` in its vocabulary and
   outputs it there. Apostrophes at the start or end of a word (quotes, plural possessive
   ``students'``) are removed.
6. Whitespace is collapsed to single spaces and stripped.

sacrebleu's default ``13a`` tokenizer does not split ``'``, so ``don't`` stays one token.
"""
import re
import unicodedata
from typing import Iterable, List

NORMALIZATION_VERSION = "asr_bleu-norm-v1"

_APOSTROPHES = {"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"}
_TO_SPACE = set("-/\u2013\u2014\u2012\u2015\u00b7\u2022\u2010\u2011")
_EDGE_APOSTROPHES = re.compile(r"(?<![\w])'+|'+(?![\w])")
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Normalize one sentence for ASR-BLEU / WER (rules in the module docstring).

    Args:
        text: any string (an ASR transcript or a reference translation).

    Returns:
        the normalized string: lower-case words separated by single spaces, no punctuation
        except word-internal apostrophes; ``""`` if nothing is left.

    Raises:
        TypeError: if ``text`` is not a ``str``.

    Examples:
        >>> normalize_text("Hello, World!  It's  'great' -- isn't it?")
        "hello world it's great isn't it"
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize_text expects a str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_APOSTROPHES.get(c, c) for c in text).lower()
    out = []
    for c in text:
        if c in _TO_SPACE:
            out.append(" ")
        elif c == "'":
            out.append(c)
        elif unicodedata.category(c)[0] in "PS":
            continue
        elif c.isspace():
            out.append(" ")
        else:
            out.append(c)
    text = _EDGE_APOSTROPHES.sub("", "".join(out))
    return _SPACES.sub(" ", text).strip()


def normalize_corpus(texts: Iterable[str]) -> List[str]:
    """:func:`normalize_text` on every sentence of a corpus (same order, same length)."""
    return [normalize_text(t) for t in texts]

"""SentencePiece vocabularies and fairseq dictionaries for the text targets.

Training uses fairseq's own recipe (``examples.speech_to_text.data_utils.gen_vocab``: a
SentencePiece model ``<prefix>.model`` plus the fairseq dictionary ``<prefix>.txt``).
"""
import logging
import os
import re
from collections import Counter
from typing import Dict, List, Optional, Sequence

import sentencepiece as spm

from .atomic import write_lines_atomic

logger = logging.getLogger(__name__)

# Word boundaries (the one place that knows SentencePiece's mark, Kudo & Richardson 2018): a piece
# that begins a word starts with ``▁``; the first piece of a text begins a word whether or not it
# carries the mark; a streaming text's last word is complete only once the next word has started,
# or the text has ended.
WORD_BOUNDARY = "\u2581"


def begins_word(piece: str) -> bool:
    """True if a SentencePiece piece carries the word-start mark ``▁``."""
    return piece.startswith(WORD_BOUNDARY)


def word_starts(pieces: Sequence[str]) -> List[int]:
    """Indices of the pieces that begin a word (index 0 always does, when there is one)."""
    return [i for i, p in enumerate(pieces) if i == 0 or begins_word(p)]


def complete_words(pieces: Sequence[str], text_finished: bool) -> int:
    """Number of whole words in a piece sequence; the last word counts once ``text_finished``."""
    n = len(word_starts(pieces))
    return n if text_finished else max(0, n - 1)



class UnknownTokenError(ValueError):
    """A text contains characters the SentencePiece model cannot represent."""


def train_sentencepiece(texts: Sequence[str], prefix: str, vocab_size: int, model_type: str = "unigram") -> int:
    """Train a SentencePiece model + fairseq dict at ``prefix`` (``.model``, ``.vocab``, ``.txt``).

    The vocabulary size is lowered automatically when the text is too small for it (a
    closed grammar has only a few hundred word types); the size used is returned.

    Args:
        texts: training sentences.
        prefix: output path prefix.
        vocab_size: requested size (including SentencePiece's 4 special symbols).
        model_type: ``unigram`` (StreamSpeech's choice) or ``bpe``/``char``.

    Raises:
        ValueError: if ``texts`` is empty.
    """
    from pathlib import Path

    from fairseq.examples.speech_to_text.data_utils import gen_vocab

    texts = [t for t in texts if t.strip()]
    if not texts:
        raise ValueError(f"no text to train the SentencePiece model {prefix}")
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    corpus = prefix + ".train.txt"
    write_lines_atomic(corpus, texts)
    size = vocab_size
    for _ in range(3):
        try:
            gen_vocab(Path(corpus), Path(prefix), model_type=model_type, vocab_size=size)
            break
        except RuntimeError as exc:
            match = re.search(r"value <= (\d+)", str(exc))
            if not match:
                raise
            size = int(match.group(1))
            logger.info(f"{prefix}: vocabulary size {vocab_size} too large for this text, using {size}")
    os.remove(corpus)
    return size


class SentencePieceText:
    """Encode text with a trained SentencePiece model, refusing characters it does not know.

    Args:
        model_path: ``<prefix>.model``.
    """

    def __init__(self, model_path: str):
        if not os.path.isfile(model_path):
            raise FileNotFoundError(f"SentencePiece model not found: {model_path}")
        self.model_path = model_path
        self.sp = spm.SentencePieceProcessor(model_file=model_path)
        pieces = [self.sp.id_to_piece(i) for i in range(self.sp.get_piece_size())]
        self.known_chars = set("".join(p for p in pieces if not (p.startswith("<") and p.endswith(">"))))
        self.known_chars.discard("\u2581")

    def unknown_chars(self, text: str) -> List[str]:
        """The characters of ``text`` outside the model (sorted, each once; whitespace ignored)."""
        return sorted({c for c in text if not c.isspace() and c not in self.known_chars})

    def encode(self, text: str, where: str = "", strict: bool = True) -> List[str]:
        """Pieces of ``text``.

        Args:
            text: one sentence.
            where: location for error messages (e.g. ``"data/raw/dev.tsv:12"``).
            strict: refuse characters outside the model; ``False`` maps them to ``<unk>``
                (SentencePiece's unknown piece, which the fairseq dictionary maps to its unk index).

        Raises:
            UnknownTokenError: (``strict``) naming ``where`` and the characters outside the model.
        """
        unknown = self.unknown_chars(text)
        if unknown and strict:
            raise UnknownTokenError(
                f"{where}: characters {unknown} are not in the SentencePiece model {self.model_path} "
                f"(text: {text!r})")
        if unknown:
            return [self.sp.id_to_piece(i) for i in self.sp.encode(text)]  # unknown runs -> "<unk>"
        return self.sp.encode(text, out_type=str)

    def decode(self, pieces: Sequence[str]) -> str:
        """Detokenize pieces back to text."""
        return self.sp.decode(list(pieces))


def pieces_per_split(model: SentencePieceText, texts: Dict[str, List[str]], sources: Dict[str, str],
                     strict_splits: Optional[Sequence[str]] = None,
                     report: Optional[Dict[str, Dict]] = None) -> Dict[str, List[str]]:
    """Encode ``{split: [text]}`` to space-joined pieces; errors name ``sources[split]`` and the row.

    Args:
        strict_splits: splits where a character outside the model is an error
            (:class:`UnknownTokenError`); ``None``: every split. In the other splits such
            characters become ``<unk>``, and each split's count is logged with examples.
        report: if given, filled with ``{split: {"sentences", "characters": {char: count},
            "examples": [(where, text)]}}`` for the splits that had unknown characters.
    """
    out = {}
    for split, items in texts.items():
        strict = strict_splits is None or split in strict_splits
        encoded, counts, examples, n_sent = [], Counter(), [], 0
        for i, t in enumerate(items):
            where = f"{sources[split]}:{i + 2}"
            unknown = model.unknown_chars(t)
            if unknown and not strict:
                n_sent += 1
                counts.update(c for c in t if c in unknown)
                if len(examples) < 3:
                    examples.append((where, t))
            encoded.append(" ".join(model.encode(t, where, strict=strict)))
        out[split] = encoded
        if n_sent:
            logger.warning(f"{split}: {n_sent} of {len(items)} sentence(s) have characters outside "
                           f"{os.path.basename(model.model_path)}, mapped to <unk>: "
                           f"{dict(counts.most_common(20))}; e.g. " + "; ".join(f"{w} {t!r}" for w, t in examples))
            if report is not None:
                report[split] = {"sentences": n_sent, "characters": dict(counts.most_common()),
                                 "examples": [list(e) for e in examples]}
    return out

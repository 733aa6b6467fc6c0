"""English (target side) helpers shared by every X -> English grammar.

do-support ("does not see", "did you see"), forms of "to be", and the a/an
rule.  Pure functions of their arguments.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

__all__ = ["TARGET_VOICE", "TARGET_RATE", "TARGET_PITCH", "en_article_fix", "en_vowel_sound", "be_en", "en_verb_group", "en_be_group", "AUXILIARIES"]

#: espeak-ng voice of the English target speech (the variant an independent English ASR
#: recognised best), with its fixed rate (words/min) and pitch (0..99).
TARGET_VOICE = "en-us+klatt2"
TARGET_RATE = 165
TARGET_PITCH = 50

#: English auxiliaries and forms of "to be" the helpers can emit.
AUXILIARIES = ("am", "is", "are", "was", "were", "be", "will", "do", "does", "did", "not")


def en_article_fix(tokens: Sequence[str]) -> List[str]:
    """Turn the English indefinite article "a" into "an" before a vowel sound."""
    out = list(tokens)
    for i in range(len(out) - 1):
        if out[i] == "a" and en_vowel_sound(out[i + 1]):
            out[i] = "an"
    return out


def en_vowel_sound(word: str) -> bool:
    if word.startswith(("uni", "use", "eu", "one", "once")):
        return False
    if word.startswith(("hour", "honest", "heir")):
        return True
    return word[0] in "aeiou"



def be_en(person: int, tense: str = "pres") -> str:
    if tense == "past":
        return "was" if person in (0, 2) else "were"
    return "am" if person == 0 else "is" if person == 2 else "are"



def en_verb_group(
    subj_en: List[str],
    person: int,
    tense: str,
    neg: bool,
    question: bool,
    forms: Tuple[str, str, str],
    adv: Optional[str] = None,
) -> List[str]:
    """English subject + verb group with do-support (no objects)."""
    base, s3, past = forms
    if tense == "pres":
        if neg or question:
            aux: Optional[str] = "does" if person == 2 else "do"
            main = base
        else:
            aux, main = None, (s3 if person == 2 else base)
    elif tense == "past":
        if neg or question:
            aux, main = "did", base
        else:
            aux, main = None, past
    else:
        aux, main = "will", base
    advs = [adv] if adv else []
    if question:
        assert aux is not None
        return [aux] + subj_en + (["not"] if neg else []) + advs + [main]
    return subj_en + ([aux] if aux else []) + (["not"] if neg else []) + advs + [main]


def en_be_group(
    subj_en: List[str], person: int, tense: str, neg: bool, question: bool, adv: Optional[str] = None
) -> List[str]:
    """English subject + form of "to be" (pres/fut/past) with negation/question order."""
    advs = [adv] if adv else []
    notl = ["not"] if neg else []
    if tense in ("pres", "past"):
        be = be_en(person, tense)
        if question:
            return [be] + subj_en + notl + advs
        return subj_en + [be] + notl + advs
    if question:
        return ["will"] + subj_en + notl + advs + ["be"]
    return subj_en + ["will"] + notl + advs + ["be"]


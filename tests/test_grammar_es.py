"""Spanish -> English grammar (datasets/grammars/es.py, lexicon in datasets/lexicons/es/*.tsv)."""

from collections import Counter

import pytest

from ctc_unity.datasets import grammar as G
from ctc_unity.datasets.grammars import es as ES

PAIR = "es-en"
_PRONOUNS = {s for s, _, _ in ES._SUBJ}
_CLITICS = {c for c, _ in ES._CLITICS.values()} | set(ES._THING_CLITIC.values())
_FINITE = {ES.conjugate(v, t, p) for v in ES._VERBS for t in ("pres", "past", "fut") for p in range(6)}


@pytest.fixture(scope="module")
def pairs():
    return G.generate_pairs(2000, seed=0, lang_pair=PAIR)


def _single(pairs, tag):
    return [p for p in pairs if tag in p.phenomena and "conjunction" not in p.phenomena]


def test_determinism_and_phenomena(pairs):
    assert G.generate_pairs(200, seed=0, lang_pair=PAIR) == pairs[:200]
    assert G.generate_pairs(200, seed=1, lang_pair=PAIR) != pairs[:200]
    counts = Counter(t for p in pairs for t in p.phenomena)
    for tag in ES.PHENOMENA:
        assert counts[tag] >= 0.03 * len(pairs), (tag, counts[tag])


def test_charset_and_vocabulary(pairs):
    src_v, tgt_v = G.vocabulary(PAIR)
    for p in pairs:
        assert set(p.src) <= ES.SRC_CHARSET and set(p.tgt) <= ES.TGT_CHARSET, p
        assert set(p.src.split()) <= src_v and set(p.tgt.split()) <= tgt_v, p


def test_pro_drop_starts_with_the_verb(pairs):
    checked = 0
    for p in _single(pairs, "pro_drop"):
        if "question" in p.phenomena:
            continue
        toks = [t for t in p.src.split() if t not in ("no",) and t not in _CLITICS]
        assert toks[0] in _FINITE, p  # no subject before the verb
        assert p.tgt.split()[0] in {"i", "you", "he", "she", "we", "they"}, p
        checked += 1
    assert checked >= 50


def test_clitic_before_the_verb_and_pronoun_after_in_english(pairs):
    checked = 0
    for p in _single(pairs, "clitic_pronoun"):
        toks = p.src.split()
        assert any(a in _CLITICS and b in _FINITE for a, b in zip(toks, toks[1:])), p  # « lo veo »
        assert set(p.tgt.split()) & {"me", "you", "him", "her", "it", "us", "them"}, p
        checked += 1
    assert checked >= 50


def test_negation_before_clitic_and_verb(pairs):
    for p in _single(pairs, "negation"):
        toks = p.src.split()
        k = toks.index("no")
        assert toks[k + 1] in _FINITE or (toks[k + 1] in _CLITICS and toks[k + 2] in _FINITE), p
        assert "not" in p.tgt.split(), p


def test_adjective_follows_the_noun(pairs):
    adjs = {ES._adj_form(ms, g, pl): en for ms, en, _ in ES._ADJS for g in "mf" for pl in (False, True)}
    checked = 0
    for p in _single(pairs, "adj_noun_reordering"):
        toks, en = p.src.split(), p.tgt.split()
        for i, t in enumerate(toks):
            if t in adjs and en.count(adjs[t]) == 1:
                assert toks[i - 1] not in {"el", "la", "los", "las", "un", "una", "unos", "unas"}, p
                j = en.index(adjs[t])
                assert j + 1 < len(en), p  # the English adjective precedes its noun
                checked += 1
    assert checked >= 50


def test_questions(pairs):
    for p in pairs:
        if "question" in p.phenomena:
            assert p.tgt.split()[0] in {"do", "does", "did", "will", "what", "where", "when", "why"}, p


def test_spanish_voices():
    from ctc_unity.datasets import tts

    voices = tts.source_speakers("es")
    assert len({v.voice for v in voices}) >= 4 and all(v.voice.startswith("es+") for v in voices)

"""Tests of the synchronous French -> English grammar (researches/ctc_unity/datasets/grammar.py).

The grammar is pure standard library.  Importing it through the package runs
``researches/ctc_unity/__init__.py`` (which needs torch); when that is not
available the module is loaded directly from its file, so these tests also run
with a bare system Python.
"""

import importlib.util
import os
import re
import sys
from collections import Counter

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    from ctc_unity.datasets import grammar as G
except ImportError:  # package __init__ needs torch; the grammar itself does not
    _spec = importlib.util.spec_from_file_location(
        "echostream_grammar_standalone", os.path.join(ROOT, "researches", "ctc_unity", "datasets", "grammar.py")
    )
    G = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = G
    _spec.loader.exec_module(G)

SentencePair = G.SentencePair

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def pairs2000():
    return G.generate_pairs(2000, seed=123)


@pytest.fixture(scope="module")
def pairs3000():
    return G.generate_pairs(3000, seed=7)


def _tagged(pairs, tag):
    return [p for p in pairs if tag in p.phenomena]


# --------------------------------------------------------------------------- basics


def test_pairs_carry_only_declared_phenomena(pairs2000):
    # the tags written to the manifests are exactly the declared ones, each at most once per pair
    assert len(set(G.PHENOMENA)) == len(G.PHENOMENA)
    assert {t for p in pairs2000 for t in p.phenomena} == set(G.PHENOMENA)
    assert all(len(set(p.phenomena)) == len(p.phenomena) for p in pairs2000)


def test_determinism_and_seed_sensitivity():
    a = G.generate_pairs(300, seed=5)
    b = G.generate_pairs(300, seed=5)
    c = G.generate_pairs(300, seed=6)
    assert a == b
    assert a != c
    # generation is sequential: a longer run with the same seed extends the shorter one
    assert G.generate_pairs(400, seed=5)[:300] == a


def test_does_not_touch_global_rng():
    import random

    random.seed(42)
    expected = random.random()
    random.seed(42)
    G.generate_pairs(50, seed=1)
    assert random.random() == expected


def test_uniqueness_and_types(pairs3000):
    assert len(pairs3000) == 3000
    assert len({p.fr for p in pairs3000}) == 3000
    for p in pairs3000:
        assert isinstance(p, SentencePair)
        assert p.en.strip()
        assert set(p.phenomena) <= set(G.PHENOMENA)
        assert list(p.phenomena) == [t for t in G.PHENOMENA if t in p.phenomena]


@pytest.mark.parametrize(
    "lo,hi,n", [(3, 20, 500), (3, 5, 200), (4, 4, 100), (5, 10, 300), (10, 20, 200), (15, 20, 100)]
)
def test_length_bounds(lo, hi, n):
    pairs = G.generate_pairs(n, seed=3, min_words=lo, max_words=hi)
    assert len(pairs) == n
    lengths = [len(p.fr.split()) for p in pairs]
    assert min(lengths) >= lo and max(lengths) <= hi
    assert all(p.en.split() for p in pairs)


def test_default_length_distribution(pairs3000):
    lengths = [len(p.fr.split()) for p in pairs3000]
    mean = sum(lengths) / len(lengths)
    assert 6.0 <= mean <= 10.0
    assert max(lengths) == 20 or max(lengths) >= 18  # long conjunctions do occur
    assert min(lengths) >= 3


def test_zero_pairs():
    assert G.generate_pairs(0) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n=-1),
        dict(n=5, min_words=0),
        dict(n=5, min_words=6, max_words=5),
        dict(n=5, min_words=60, max_words=80),  # no sentence is that long
    ],
)
def test_value_errors(kwargs):
    with pytest.raises(ValueError):
        G.generate_pairs(**kwargs)


def test_one_word_sentences_exist():
    # min_words=1 is legal, and inverted questions can be a single token (« dors-tu »)
    pairs = G.generate_pairs(5, seed=0, min_words=1, max_words=1)
    assert all(len(p.fr.split()) == 1 and "question" in p.phenomena for p in pairs)


def test_type_errors():
    with pytest.raises(TypeError):
        G.generate_pairs("10")
    with pytest.raises(TypeError):
        G.generate_pairs(10, seed=1.5)


# --------------------------------------------------------------------------- text format


def test_charset_and_spacing(pairs3000):
    for p in pairs3000:
        for text, charset in ((p.fr, G.FR_CHARSET), (p.en, G.EN_CHARSET)):
            assert set(text) <= charset, text
            assert text == text.strip() and "  " not in text, text
            assert text == text.lower()
            for tok in text.split():
                assert tok[0] not in "'-" and tok[-1] not in "'-", (tok, text)
    # the English side is plain ASCII letters
    assert all(re.fullmatch(r"[a-z' -]+", p.en) for p in pairs3000)


_VOWEL_WORD = re.compile(r"^[aeiouàâéèêëîïôûœh]")
_NO_ELISION = {"huit", "onze"}


def test_french_elision_and_contractions(pairs3000):
    bad = []
    for p in pairs3000:
        toks = p.fr.split()
        for a, b in zip(toks, toks[1:]):
            vowel = bool(_VOWEL_WORD.match(b)) and b not in _NO_ELISION
            if a in ("le", "la", "je", "me", "te", "ne", "de", "que") and vowel:
                bad.append((a, b, p.fr))
            if a in ("ma", "ta", "sa") and vowel:  # « mon amie », not « ma amie »
                bad.append((a, b, p.fr))
            if a == "ce" and vowel:  # « cet homme »
                bad.append((a, b, p.fr))
            if a in ("à", "de") and b in ("le", "les"):  # au, aux, du, des
                bad.append((a, b, p.fr))
            if a == "si" and b in ("il", "ils"):
                bad.append((a, b, p.fr))
    assert not bad, bad[:10]
    fr_tokens = Counter(t for p in pairs3000 for t in p.fr.split())
    for elided in ("l'", "j'", "n'", "qu'", "d'"):
        assert any(t.startswith(elided) for t in fr_tokens), elided


def test_english_articles_and_agreement(pairs3000):
    bad = []
    for p in pairs3000:
        toks = p.en.split()
        for k, (a, b) in enumerate(zip(toks, toks[1:])):
            after_aux = k > 0 and toks[k - 1] in ("do", "does", "did", "will")  # "does she have"
            if a == "a" and b[0] in "aeio":
                bad.append(p.en)
            if a == "an" and b[0] not in "aeiou":
                bad.append(p.en)
            if a in ("he", "she", "it") and b in ("do", "have", "are", "am", "were") and not after_aux:
                bad.append(p.en)
            if a == "i" and b in ("is", "are", "does", "has"):
                bad.append(p.en)
            if a in ("we", "they") and b in ("is", "am", "does", "has", "was"):
                bad.append(p.en)
        for m in re.finditer(r"\b(does|do|did|will) not (\S+)", p.en):
            # after do-support the verb is a base form ("does not see", "did not see")
            assert m.group(2) not in ("saw", "sees", "ate", "eats", "went", "has", "had", "took"), p.en
    assert not bad, bad[:10]


# --------------------------------------------------------------------------- phenomena


def test_every_phenomenon_occurs(pairs2000):
    counts = Counter(t for p in pairs2000 for t in p.phenomena)
    for tag in G.PHENOMENA:
        assert counts[tag] >= 0.03 * len(pairs2000), (tag, counts[tag])
    assert sum(1 for p in pairs2000 if len(p.phenomena) >= 2) >= 0.25 * len(pairs2000)


_COLOURS = {
    "red": {"rouge", "rouges"},
    "blue": {"bleu", "bleue", "bleus", "bleues"},
    "green": {"vert", "verte", "verts", "vertes"},
    "black": {"noir", "noire", "noirs", "noires"},
    "white": {"blanc", "blanche", "blancs", "blanches"},
    "yellow": {"jaune", "jaunes"},
    "gray": {"gris", "grise", "grises"},
}
_FR_DETS = set(
    "le la les l' un une des de du d' mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs "
    "ce cet cette ces".split()
)
_FR_COPULA = set(
    "est sont suis es sommes êtes sera seront serai seras serons serez pas souvent parfois rarement toujours".split()
)
_EN_AFTER_PREDICATIVE = set("and but because so if in on at near under behind to tomorrow today".split())


def test_adj_noun_reordering_structure(pairs2000):
    checked = 0
    for p in _tagged(pairs2000, "adj_noun_reordering"):
        fr, en = p.fr.split(), p.en.split()
        for i, tok in enumerate(fr):
            colour = next((e for e, forms in _COLOURS.items() if tok in forms), None)
            if colour is None or i == 0 or fr[i - 1] in _FR_COPULA or "-" in fr[i - 1]:
                continue
            if sum(t in _COLOURS[colour] for t in fr) != 1 or en.count(colour) != 1:
                continue
            # French: determiner + noun + colour (the adjective follows its noun) ...
            assert fr[i - 1] not in _FR_DETS, p
            j = en.index(colour)
            # ... English: the colour precedes the noun it modifies.
            assert j + 1 < len(en) and en[j + 1] not in _EN_AFTER_PREDICATIVE, p
            assert en[j + 1] not in _COLOURS, p
            checked += 1
    assert checked >= 10


def test_attributive_colour_is_tagged(pairs2000):
    # every colour adjective right after a noun makes the pair adj_noun_reordering
    for p in pairs2000:
        fr = p.fr.split()
        for i, tok in enumerate(fr[1:], start=1):
            prev = fr[i - 1]
            colour = any(tok in forms for forms in _COLOURS.values())
            if colour and prev not in _FR_COPULA | _FR_DETS and "-" not in prev:
                if fr[i - 1] in G._FR_VERB_FORMS:  # « il fait ... »
                    continue
                assert "adj_noun_reordering" in p.phenomena, p


_CLITICS = {"le", "la", "les", "lui", "leur", "me", "te", "nous", "vous"}
_EN_OBJ = {"him", "her", "it", "them", "me", "you", "us"}


def _verbish(tok):
    return tok.split("-")[0] in G._FR_VERB_FORMS


def test_clitic_position(pairs2000):
    tagged = _tagged(pairs2000, "clitic_pronoun")
    assert tagged
    for p in tagged:
        fr, en = p.fr.split(), p.en.split()
        ok = any(
            (a in _CLITICS and _verbish(b)) for a, b in zip(fr, fr[1:])
        ) or any(t[:2] in ("l'", "m'", "t'") and _verbish(t[2:]) for t in fr)
        assert ok, p
        first_verb = next(k for k, t in enumerate(en) if t in G._EN_VERB_FORMS)
        assert any(t in _EN_OBJ for t in en[first_verb + 1:]), p


_SIMPLE_CLITIC = re.compile(
    r"^(je|tu|il|elle|nous|vous|ils|elles) (?:ne |n')?(le|la|les|lui|leur|me|te|nous|vous|l'|m'|t')(?: |)(\S+)"
)
_EN_SIMPLE = re.compile(
    r"^(i|you|he|she|we|they) (?:(?:do|does|did|will) not |will )?(?:(?:often|sometimes|rarely|always) )?"
    r"(\S+) (?:\S+ )*?(him|her|it|them|me|you|us)\b"
)
_SUBJ_EN = {
    "je": "i", "tu": "you", "il": "he", "elle": "she", "nous": "we", "vous": "you", "ils": "they", "elles": "they"
}
_CLITIC_EN = {"les": {"them"}, "leur": {"them"}, "me": {"me"}, "te": {"you"}, "nous": {"us"}, "vous": {"you"},
              "le": {"him", "it"}, "la": {"her", "it"}, "lui": {"him", "her"}}


def test_clitic_simple_clauses_exact(pairs3000):
    """« SUBJ [ne] CLITIC VERB ... » -> "SUBJ [aux] VERB ... PRONOUN" with matching persons.

    ("je lui donne le livre" -> "i give him the book" / "i give the book to her").
    """
    checked = 0
    for p in pairs3000:
        if set(p.phenomena) & {"question", "conjunction"} or "clitic_pronoun" not in p.phenomena:
            continue
        m = _SIMPLE_CLITIC.match(p.fr)
        if not m:
            continue
        subj, clitic, rest = m.groups()
        if clitic in ("l'", "m'", "t'"):
            continue
        if not _verbish(rest):
            continue
        e = _EN_SIMPLE.match(p.en)
        assert e, p
        assert e.group(1) == _SUBJ_EN[subj], p
        assert e.group(2) in G._EN_VERB_FORMS, p
        assert e.group(3) in _CLITIC_EN[clitic], p
        checked += 1
    assert checked >= 20


def test_participle_agrees_with_plural_clitic(pairs3000):
    checked = 0
    for p in pairs3000:
        fr = p.fr.split()
        for i in range(len(fr) - 2):
            if fr[i] == "les" and fr[i + 1] in ("ai", "as", "a", "avons", "avez", "ont"):
                k = i + 2
                while k < len(fr) and fr[k] in ("pas", "souvent", "parfois", "rarement"):
                    k += 1
                if k == len(fr) or fr[k] not in G._FR_VERB_FORMS:
                    continue  # « je les ai » = "i have them" (avoir as the main verb)
                assert fr[k].endswith("s"), p  # « je les ai vus / vues »
                checked += 1
    assert checked >= 5


def test_negation(pairs2000):
    tagged = _tagged(pairs2000, "negation")
    assert tagged
    for p in tagged:
        fr, en = p.fr.split(), p.en.split()
        assert "ne" in fr or any(t.startswith("n'") for t in fr), p
        assert "pas" in fr, p
        assert "not" in en, p
    for p in pairs2000:
        if "negation" not in p.phenomena:
            assert "pas" not in p.fr.split() and "not" not in p.en.split(), p


def test_negated_indefinite_object_becomes_de(pairs3000):
    # « je ne vois pas un chien » is wrong: indefinite/partitive objects become de/d'
    # (« il n'a pas un an », an age, is right; clause boundaries are unmarked, so only
    # single-clause sentences are checked)
    for p in pairs3000:
        if "conjunction" in p.phenomena:
            continue
        assert not re.search(r"\bpas (un|une|des|du|de la|de l')\b(?! an\b)", p.fr), p
    assert any(re.search(r"\bpas (de|d')", p.fr) for p in pairs3000)


def test_tense_tags(pairs2000):
    for p in pairs2000:
        en = p.en.split()
        if "future_tense" in p.phenomena:
            assert "will" in en, p
        else:
            assert "will" not in en, p
        if "past_tense" in p.phenomena:
            fr = p.fr.split()
            aux = {"ai", "as", "a", "avons", "avez", "ont"}
            assert any(t.split("'")[-1].split("-")[0] in aux for t in fr), p
    past = _tagged(pairs2000, "past_tense")
    assert any(re.search(r"\bdid not\b", p.en) for p in past)
    assert any(re.match(r"^(i|you|he|she|we|they) (saw|ate|bought|took|found|gave|read|wrote)\b", p.en) for p in past)


def test_questions(pairs2000):
    starters = {"do", "does", "did", "will", "is", "are", "am", "was", "where", "what", "who", "when", "why"}
    tagged = _tagged(pairs2000, "question")
    assert tagged
    for p in tagged:
        assert p.en.split()[0] in starters, p
        fr = p.fr
        assert (
            "est-ce" in fr
            or fr.startswith(("où ", "qui ", "qu'est-ce"))
            or re.search(r"-(t-)?(tu|il|elle|vous|ils|elles)\b", fr)
        ), p
    # do-support questions: "does she", "do you"
    assert any(re.match(r"^(do|does) \S+", p.en) for p in tagged)
    assert any(p.fr.startswith("est-ce que tu ") and p.en.startswith(("do you ", "did you ", "will you ", "are you "))
               for p in tagged)


_FR_NUMBERS = set(
    "un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "dix-sept dix-huit dix-neuf vingt trente quarante cinquante soixante cent".split()
)
_EN_NUMBERS = set(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty hundred".split()
)


def test_numbers(pairs2000):
    tagged = _tagged(pairs2000, "number")
    assert tagged
    for p in tagged:
        assert _FR_NUMBERS & set(p.fr.split()), p
        assert _EN_NUMBERS & set(p.en.split()), p
    # « trois chats » -> "three cats": a number >= 2 directly before a plural noun
    plural_ok = 0
    for p in tagged:
        m = re.search(r"\b(deux|trois|quatre|cinq|six|sept|dix) (\S+)", p.fr)
        if m and m.group(2) not in ("heures", "ans", "jours", "semaines"):
            noun = m.group(2)
            assert noun.endswith(("s", "x")) or G._FR_VERB_FORMS.isdisjoint({noun}), p
            plural_ok += 1
    assert plural_ok >= 5


def test_conjunctions(pairs2000):
    tagged = _tagged(pairs2000, "conjunction")
    assert tagged
    for p in tagged:
        fr, en = set(p.fr.split()), set(p.en.split())
        assert fr & {"et", "mais", "parce", "donc", "si", "s'il", "s'ils"}, p
        assert en & {"and", "but", "because", "so", "if"}, p
    assert max(len(p.fr.split()) for p in tagged) >= 16


# --------------------------------------------------------------------------- vocabulary


def test_vocabulary(pairs3000):
    fr_vocab, en_vocab = G.vocabulary()
    assert isinstance(fr_vocab, frozenset) and isinstance(en_vocab, frozenset)
    assert len(fr_vocab) >= 300
    assert len(en_vocab) >= 200
    fr_seen = {t for p in pairs3000 for t in p.fr.split()}
    en_seen = {t for p in pairs3000 for t in p.en.split()}
    assert fr_seen <= fr_vocab, sorted(fr_seen - fr_vocab)[:20]
    assert en_seen <= en_vocab, sorted(en_seen - en_vocab)[:20]
    # the types actually used are many, not just the listed ones
    assert len(fr_seen) >= 300
    assert {"l'homme", "j'ai", "rouge", "vieil", "est-ce"} <= fr_vocab
    assert all(set(t) <= G.FR_CHARSET for t in fr_vocab)
    assert all(set(t) <= G.EN_CHARSET for t in en_vocab)


# --------------------------------------------------------------------------- split_pairs


def test_split_pairs_sizes_and_disjointness(pairs2000):
    splits = G.split_pairs(pairs2000, 150, 200, seed=1)
    assert set(splits) == {"train", "dev", "test"}
    assert len(splits["dev"]) == 150 and len(splits["test"]) == 200
    assert len(splits["train"]) <= len(pairs2000) - 350
    assert len(splits["train"]) >= len(pairs2000) - 350 - 50
    for a in splits:
        for b in splits:
            if a < b:
                assert not {p.fr for p in splits[a]} & {p.fr for p in splits[b]}
                assert not {p.en for p in splits[a]} & {p.en for p in splits[b]}
    assert G.split_pairs(pairs2000, 150, 200, seed=1) == splits
    assert G.split_pairs(pairs2000, 150, 200, seed=2) != splits


def test_split_pairs_moves_english_duplicates():
    pairs = [SentencePair(f"fr {i}", f"en {i % 7}", ()) for i in range(60)]
    splits = G.split_pairs(pairs, 3, 3, seed=0)
    assert len(splits["dev"]) == 3 and len(splits["test"]) == 3
    en = {k: {p.en for p in v} for k, v in splits.items()}
    assert not en["train"] & en["dev"] and not en["train"] & en["test"] and not en["dev"] & en["test"]
    assert len(splits["train"]) < 54  # duplicates of held-out English were dropped from train


def test_split_pairs_errors(pairs2000):
    with pytest.raises(ValueError):
        G.split_pairs(pairs2000[:10], 6, 5)
    with pytest.raises(ValueError):
        G.split_pairs(pairs2000[:10], -1, 2)
    same = [SentencePair(f"fr {i}", "same", ()) for i in range(10)]
    with pytest.raises(ValueError):  # no test pair can avoid the dev English
        G.split_pairs(same, 2, 2)
    assert G.split_pairs([], 0, 0) == {"train": [], "dev": [], "test": []}


def test_cli(capsys):
    assert G.main(["--n", "4", "--seed", "0"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == 4
    assert all(len(line.split("\t")) == 3 for line in lines)

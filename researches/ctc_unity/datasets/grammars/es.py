"""Spanish -> English rules of the embedded corpus (the lexicon is in ``lexicons/es/*.tsv``).

Phenomenon tags (:data:`PHENOMENA`):

``pro_drop``
    no subject pronoun: « veo el perro » -> "i see the dog" (English needs the verb ending).
``adj_noun_reordering``
    a post-nominal adjective: « el perro negro » -> "the black dog".
``clitic_pronoun``
    an object pronoun before the finite verb: « lo veo » -> "i see him", « me ve » -> "he sees me".
``negation``
    « no » before the clitic and the verb: « no lo veo » -> "i do not see him".
``past_tense`` / ``future_tense``
    preterite (« vi ») and simple future (« veré »).
``question``
    a wh-question (« qué comes », « dónde trabajas ») or a subject-inverted yes/no question
    (« come el niño pan » -> "does the boy eat bread").
``number``
    a cardinal number before a plural noun.
``conjunction``
    clauses joined by « y », « pero », « porque ».

Also personal « a » before person objects and « al » (« veo al niño »).
"""

from __future__ import annotations

import random
from typing import FrozenSet, List, Optional, Set, Tuple

from .base import read_lexicon, tense_tags, weighted
from .english import en_article_fix, en_verb_group

SRC = "es"
#: espeak-ng voice of the source speech (speaker variants: :func:`..tts.source_speakers`).
SOURCE_VOICE = "es"
TGT = "en"

PHENOMENA: Tuple[str, ...] = (
    "pro_drop",
    "adj_noun_reordering",
    "clitic_pronoun",
    "negation",
    "past_tense",
    "future_tense",
    "question",
    "number",
    "conjunction",
)
SRC_CHARSET: FrozenSet[str] = frozenset("abcdefghijklmnopqrstuvwxyz" "áéíóúüñ" " ")
TGT_CHARSET: FrozenSet[str] = frozenset("abcdefghijklmnopqrstuvwxyz" "'- ")

_NOUNS = tuple((r["sg"], r["gender"], r["pl"], r["en_sg"], r["en_pl"], frozenset(r["cats"].split()))
               for r in read_lexicon("es", "nouns"))
_ADJS = tuple((r["ms"], r["en"], frozenset(r["cats"].split())) for r in read_lexicon("es", "adjectives"))
_VERBS = tuple(read_lexicon("es", "verbs"))
_NAMES = tuple((r["name"], r["en"], r["gender"]) for r in read_lexicon("es", "names"))
_NUMBERS = tuple((r["word"], r["en"]) for r in read_lexicon("es", "numbers"))
_PLACES = tuple((r["es"].split(), r["en"].split()) for r in read_lexicon("es", "places"))
_TIMES = tuple((r["es"].split(), r["en"].split(), frozenset(r["tenses"].split())) for r in read_lexicon("es", "times"))

# closed classes
_SUBJ = (("yo", 0, "i"), ("tú", 1, "you"), ("él", 2, "he"), ("ella", 2, "she"), ("nosotros", 3, "we"),
         ("vosotros", 4, "you"), ("ellos", 5, "they"), ("ellas", 5, "they"))
_SUBJ_W = (0.22, 0.15, 0.15, 0.13, 0.12, 0.05, 0.1, 0.08)
#: Direct-object clitics: key -> (spanish, english).
_CLITICS = {0: ("me", "me"), 1: ("te", "you"), "m": ("lo", "him"), "f": ("la", "her"), 3: ("nos", "us"),
            "mp": ("los", "them"), "fp": ("las", "them")}
_THING_CLITIC = {("m", False): "lo", ("f", False): "la", ("m", True): "los", ("f", True): "las"}
_DEF = {("m", False): "el", ("f", False): "la", ("m", True): "los", ("f", True): "las"}
_INDEF = {("m", False): "un", ("f", False): "una", ("m", True): "unos", ("f", True): "unas"}
_CONJ = ((("y",), ("and",), 0.45), (("pero",), ("but",), 0.3), (("porque",), ("because",), 0.25))
_WH = {"qué": ["what"], "dónde": ["where"], "cuándo": ["when"], "por qué": ["why"]}
_PRES_END = {"ar": ("o", "as", "a", "amos", "áis", "an"), "er": ("o", "es", "e", "emos", "éis", "en"),
             "ir": ("o", "es", "e", "imos", "ís", "en")}
_PRET_END = {"ar": ("é", "aste", "ó", "amos", "asteis", "aron"), "er": ("í", "iste", "ió", "imos", "isteis", "ieron"),
             "ir": ("í", "iste", "ió", "imos", "isteis", "ieron")}
_FUT_END = ("é", "ás", "á", "emos", "éis", "án")
_INLINE = {"es": "no a al de", "en": "not the a an"}


def conjugate(verb: dict, tense: str, person: int) -> str:
    """Finite form of ``verb`` (a verbs.tsv row) in pres / past / fut."""
    inf = verb["inf"]
    if tense == "fut":
        stem = inf if verb["future"] == "-" else verb["future"]
        return stem + _FUT_END[person]
    col = "present" if tense == "pres" else "preterite"
    if verb[col] != "-":
        return verb[col].split()[person]
    ends = (_PRES_END if tense == "pres" else _PRET_END)[inf[-2:]]
    return inf[:-2] + ends[person]


def _adj_form(ms: str, g: str, plural: bool) -> str:
    if ms.endswith("o"):
        base = ms[:-1] + ("a" if g == "f" else "o")
    else:
        base = ms
    if not plural:
        return base
    return base + ("s" if base[-1] in "aeiou" else "es")


def _np(rng: random.Random, cats: FrozenSet[str], *, adj_p: float = 0.4, num_p: float = 0.08):
    """(spanish, english, gender, plural, tags, is a person)."""
    sg, g, pl, en_sg, en_pl, ncats = rng.choice([n for n in _NOUNS if n[5] & cats])
    tags: Set[str] = set()
    if rng.random() < num_p:
        num, num_en = rng.choice(_NUMBERS)
        plural, det, det_en = True, [num], [num_en]
        tags.add("number")
    else:
        plural = rng.random() < 0.3
        if rng.random() < 0.6:
            det, det_en = [_DEF[(g, plural)]], ["the"]
        else:
            det, det_en = [_INDEF[(g, plural)]], ([] if plural else ["a"]) if not plural else ["some"]
    es = det + [pl if plural else sg]
    en = det_en
    adjs = [a for a in _ADJS if a[2] & ncats]
    if adjs and rng.random() < adj_p:
        ms, a_en, _ = rng.choice(adjs)
        es.append(_adj_form(ms, g, plural))
        en = en + [a_en]
        tags.add("adj_noun_reordering")
    en = en + (en_pl if plural else en_sg).split()
    return es, en, g, plural, tags, "p" in ncats


def _with_a(es: List[str]) -> List[str]:
    """Personal « a »: « a la niña », « al niño »."""
    if es[0] == "el":
        return ["al"] + es[1:]
    return ["a"] + es


def _subject(rng: random.Random):
    """(spanish tokens, english tokens, person, tags)."""
    r = rng.random()
    if r < 0.6:
        es, person, en = weighted(rng, _SUBJ, _SUBJ_W)
        if rng.random() < 0.65:
            return [], [en], person, {"pro_drop"}
        return [es], [en], person, set()
    if r < 0.72:
        name, en, _ = rng.choice(_NAMES)
        return [name], [en], 2, set()
    es, en, _, plural, tags, _ = _np(rng, frozenset({"p", "a"}), adj_p=0.25)
    return es, en, 5 if plural else 2, tags


def _clause(rng: random.Random, mode: str = "decl") -> Tuple[List[str], List[str], Set[str]]:
    """One clause; mode: decl, wh or yn (yes/no question with an inverted subject)."""
    wh = rng.choice(tuple(_WH)) if mode == "wh" else None
    kinds = ("dobj",) if wh == "qué" else ("dobj", "dobj", "intr")
    verb = rng.choice([v for v in _VERBS if v["kind"] == rng.choice(kinds)])
    tense = weighted(rng, ("pres", "past", "fut"), (0.5, 0.3, 0.2))
    neg = mode == "decl" and rng.random() < 0.25
    subj_es, subj_en, person, tags = _subject(rng)
    if mode == "yn" and not subj_es:  # an inverted subject must be overt
        subj_es = [next(s for s, p, e in _SUBJ if p == person and e == subj_en[0])]
        tags.discard("pro_drop")
    base, s3, past = verb["en_forms"].split()
    prt = verb["en_particle"].split()
    clitic: List[str] = []
    obj_es: List[str] = []
    obj_en: List[str] = []
    if verb["kind"] == "dobj" and wh != "qué":
        cats = frozenset(verb["args"].split())
        if rng.random() < 0.35:
            if "p" in cats and rng.random() < 0.5:
                keys = [k for k in _CLITICS if k != person and not (person == 3 and k == 0)
                        and not (person == 0 and k == 3)]
                c_es, c_en = _CLITICS[rng.choice(keys)]
            else:
                sg, g, pl, en_sg, _, ncats = rng.choice([n for n in _NOUNS if n[5] & cats and "p" not in n[5]]
                                                          or [n for n in _NOUNS if n[5] & cats])
                plural = rng.random() < 0.3
                c_es = _THING_CLITIC[(g, plural)]
                c_en = "them" if plural else ("it" if "p" not in ncats else ("him" if g == "m" else "her"))
            clitic = [c_es]
            obj_en = prt + [c_en]
            tags.add("clitic_pronoun")
        else:
            es, en, _, _, np_tags, person_obj = _np(rng, cats)
            obj_es = _with_a(es) if person_obj else es
            obj_en = prt + en
            tags |= np_tags
    elif wh == "qué":
        obj_en = prt
    else:
        obj_en = prt
    fin = conjugate(verb, tense, person)
    en_tense = tense
    question = mode != "decl"
    en = en_verb_group(subj_en, person, en_tense, neg, question, (base, s3, past)) + obj_en
    es_tail: List[str] = []
    if verb["kind"] == "intr" and wh != "dónde" and rng.random() < 0.3:
        p_es, p_en = rng.choice(_PLACES)
        es_tail += p_es
        en += p_en
    if wh != "cuándo" and rng.random() < 0.3:
        t_es, t_en, _ = rng.choice([t for t in _TIMES if tense in t[2]])
        es_tail += t_es
        en += t_en
    if mode == "decl":
        es = subj_es + (["no"] if neg else []) + clitic + [fin] + obj_es + es_tail
    elif mode == "yn":
        es = clitic + [fin] + subj_es + obj_es + es_tail
    else:
        es = wh.split() + clitic + [fin] + subj_es + obj_es + es_tail
        en = _WH[wh] + en
    return es, en, tags | tense_tags(tense, neg, question)


def sample_sentence(rng: random.Random, n_clauses: int) -> Tuple[List[str], List[str], Set[str]]:
    """One synchronous derivation: (Spanish tokens, English tokens, phenomenon tags)."""
    if n_clauses == 1:
        mode = weighted(rng, ("decl", "wh", "yn"), (0.72, 0.16, 0.12))
        es, en, tags = _clause(rng, mode)
        return es, en_article_fix(en), tags
    es, en, tags = _clause(rng)
    used: Set[str] = set()
    for _ in range(n_clauses - 1):
        opts = [c for c in _CONJ if c[0][0] not in used]
        c_es, c_en, _ = weighted(rng, opts, [c[2] for c in opts])
        used.add(c_es[0])
        es2, en2, tags2 = _clause(rng)
        es += list(c_es) + es2
        en += list(c_en) + en2
        tags |= tags2
    return es, en_article_fix(en), tags | {"conjunction"}


def _compute_vocabulary() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    es: Set[str] = set(_INLINE["es"].split())
    en: Set[str] = set(_INLINE["en"].split()) | {"do", "does", "did", "will", "some"}
    for sg, _, pl, en_sg, en_pl, _ in _NOUNS:
        es.update((sg, pl))
        en.update(en_sg.split() + en_pl.split())
    for ms, a_en, _ in _ADJS:
        es.update(_adj_form(ms, g, p) for g in "mf" for p in (False, True))
        en.add(a_en)
    for v in _VERBS:
        es.update(conjugate(v, t, p) for t in ("pres", "past", "fut") for p in range(6))
        en.update(v["en_forms"].split() + v["en_particle"].split())
    for s, _, e in _SUBJ:
        es.add(s)
        en.add(e)
    for c_es, c_en in _CLITICS.values():
        es.add(c_es)
        en.add(c_en)
    es.update(_THING_CLITIC.values())
    en.update(("it", "them"))
    es.update(tuple(_DEF.values()) + tuple(_INDEF.values()))
    for table in (_NAMES,):
        for w, e, _ in table:
            es.add(w)
            en.add(e)
    for w, e in _NUMBERS:
        es.add(w)
        en.add(e)
    for w, e in _PLACES + tuple((t[0], t[1]) for t in _TIMES):
        es.update(w)
        en.update(e)
    for c_es, c_en, _ in _CONJ:
        es.update(c_es)
        en.update(c_en)
    for w, e in _WH.items():
        es.update(w.split())
        en.update(e)
    en.update(en_article_fix(["a", w])[0] for w in list(en))
    return frozenset(es), frozenset(en)


_VOCAB = _compute_vocabulary()


def vocabulary() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """``(spanish_types, english_types)``: every whitespace token the rules can emit."""
    return _VOCAB

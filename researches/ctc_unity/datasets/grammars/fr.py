"""French -> English rules of the embedded corpus (the lexicon is in ``lexicons/fr/*.tsv``).

Every sentence is built once, as a tree of synchronous choices (subject, verb,
tense, negation, object realisation, adjuncts, ...), and each choice emits the
French and the English words at the same time, so the two sides are always
translations of each other.  The grammar was written for this project; it covers
the phenomena that make *simultaneous* translation hard, and tags every pair with
the ones it exhibits (see :data:`PHENOMENA`):

``adj_noun_reordering``
    a post-nominal French adjective: « une voiture rouge » -> "a red car".
``clitic_pronoun``
    an object pronoun before the (auxiliary) verb: « je le vois » -> "i see him".
``negation``
    « ne ... pas »: « je ne vois pas le chien » -> "i do not see the dog".
``past_tense``
    passé composé with *avoir*: « j'ai vu la maison » -> "i saw the house".
``future_tense``
    simple future: « je verrai » -> "i will see".
``number``
    a cardinal number (1-20, some tens, hours, ages, "N days ago").
``question``
    « est-ce que », subject-verb inversion (« vois-tu ») or a wh-question.
``conjunction``
    two or three clauses joined by « et », « mais », « parce que », « donc », « si ».

Morphology handled: gender/number agreement of articles, possessives,
demonstratives (« cet homme »), adjectives (including « vieil », « bel »,
« nouvel » and « de » before a plural pre-nominal adjective), past participles
(agreement with a preceding direct-object clitic: « je l'ai vue »), contractions
(« au », « aux », « du »), partitives and « de » under negation, elision
(« l' », « j' », « n' », « m' », « t' », « d' », « qu' », « s'il »), the
euphonic « -t- » (« mange-t-il »), and on the English side 3rd-person -s,
do-support ("does not", "did not see", "will not", "do you", "does she"), a/an
(:mod:`.english`).

This module is the former ``ctc_unity.datasets.grammar`` with its lexicon
tables moved to data files; for a given seed it generates exactly the same
pairs (``tests/test_grammar.py::test_french_output_is_unchanged``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from .base import read_lexicon
from .base import tense_tags as _tense_tags
from .base import weighted as _weighted
from .english import be_en as _be_en
from .english import en_article_fix as _en_article_fix
from .english import en_be_group as _en_be_group
from .english import en_verb_group as _en_verb_group

SRC = "fr"
#: espeak-ng voice of the source speech (speaker variants: :func:`..tts.source_speakers`).
SOURCE_VOICE = "fr"
TGT = "en"
#: Source SentencePiece size of the embedded corpus (:func:`.source_vocab_size`). At 1 000 pieces
#: the ASR CTC head of the default recipe leaves its unigram prior late, at an update that differs
#: from run to run (so stage 1 does not reproduce); at 100 it leaves it in the first epoch
#: (docs/training.md, "The French plateau").
SRC_VOCAB_SIZE = 100

#: Phenomenon tags, in canonical order.
PHENOMENA: Tuple[str, ...] = (
    "adj_noun_reordering",
    "clitic_pronoun",
    "negation",
    "past_tense",
    "future_tense",
    "number",
    "question",
    "conjunction",
)

#: Every character a French sentence can contain.
SRC_CHARSET: FrozenSet[str] = frozenset("abcdefghijklmnopqrstuvwxyz" "àâçéèêëîïôûùüÿœ" "'- ")
#: Every character an English sentence can contain.
TGT_CHARSET: FrozenSet[str] = frozenset("abcdefghijklmnopqrstuvwxyz" "'- ")


# =========================================================================== lexicon (data files)

_MANNER_EN: Dict[str, List[str]] = {r["word"]: r["en"].split() for r in read_lexicon("fr", "manner_adverbs")}
#: Manner adverbs that sit between the auxiliary and the participle.
_SHORT_MANNER = frozenset(r["word"] for r in read_lexicon("fr", "manner_adverbs") if r["position"] == "short")
#: Frequency adverbs: (french, english, allowed tenses).
_FREQ_ADVS = tuple((r["word"], r["en"], tuple(r["tenses"].split())) for r in read_lexicon("fr", "frequency_adverbs"))
_NUMBERS = tuple((r["word"], r["en"], int(r["value"])) for r in read_lexicon("fr", "numbers"))
_NUM_BY_VALUE = {v: (fr, en.split()) for fr, en, v in _NUMBERS}
#: Numbers used as determiners (2..20 and some tens).
_DET_NUMBERS = tuple(v for _, _, v in _NUMBERS if v >= 2)
_NAMES = tuple((r["name"], r["en"], r["gender"]) for r in read_lexicon("fr", "names"))

_SUBJ_PRONOUNS = (
    ("je", 0, "i", None),
    ("tu", 1, "you", None),
    ("il", 2, "he", "m"),
    ("elle", 2, "she", "f"),
    ("nous", 3, "we", None),
    ("vous", 4, "you", None),
    ("ils", 5, "they", "m"),
    ("elles", 5, "they", "f"),
)
_SUBJ_PRONOUN_WEIGHTS = (0.2, 0.12, 0.18, 0.17, 0.1, 0.1, 0.08, 0.05)
#: Pronouns that may be inverted with the verb (« vois-tu »).
_INVERTIBLE = ("tu", "il", "elle", "vous", "ils", "elles")
#: Object clitics for speech-act persons: person -> (french, english).
_PERSON_CLITICS = {0: ("me", "me"), 1: ("te", "you"), 3: ("nous", "us"), 4: ("vous", "you")}

_AVOIR_PRES = ("ai", "as", "a", "avons", "avez", "ont")
_ETRE_PRES = ("suis", "es", "est", "sommes", "êtes", "sont")
_ETRE_FUT = "ser"
_FUT_END = ("ai", "as", "a", "ons", "ez", "ont")
_VOULOIR = ("veux veux veut voulons voulez veulent".split(), "voudr", "voulu", ("want", "wants", "wanted"))

# Possessives: person index -> (masc sg, fem sg, plural, english options).
_POSSESSIVES = {
    0: ("mon", "ma", "mes", ("my",)),
    1: ("ton", "ta", "tes", ("your",)),
    2: ("son", "sa", "ses", ("his", "her")),
    3: ("notre", "notre", "nos", ("our",)),
    4: ("votre", "votre", "vos", ("your",)),
    5: ("leur", "leur", "leurs", ("their",)),
}

# Places: (french preposition tokens, noun or None, gender, english "at" phrase,
#          english "to" phrase or None, kinds).  kinds: gen (people/animals can be
#          there), obj (objects can lie there), city.
_PLACE_TABLE = tuple(
    (
        tuple(r["prep"].split()),
        r["noun"],
        None if r["gender"] == "-" else r["gender"],
        r["en_at"],
        None if r["en_to"] == "-" else r["en_to"],
        r["kinds"],
    )
    for r in read_lexicon("fr", "places")
)

_DAYS = tuple((r["word"], r["en"]) for r in read_lexicon("fr", "days"))


_WEATHER_ADJ = (
    # french adjective after « fait », english subject, english adjective
    ("froid", ("it",), "cold"),
    ("chaud", ("it",), "hot"),
    ("beau", ("the", "weather"), "nice"),
    ("mauvais", ("the", "weather"), "bad"),
)
_WEATHER_VERBS = (
    # present, future stem, participle, english -ing, english past, english base
    ("pleut", "pleuvr", "plu", "raining", "rained", "rain"),
    ("neige", "neiger", "neigé", "snowing", "snowed", "snow"),
)

_CONJUNCTIONS = (
    # french tokens, english tokens, weight
    (("et",), ("and",), 0.3),
    (("mais",), ("but",), 0.25),
    (("parce", "que"), ("because",), 0.25),
    (("donc",), ("so",), 0.1),
)

# Words before which no elision happens although they start with a vowel letter
# (h aspiré and a few numerals).
_NO_ELISION = frozenset({"huit", "onze", "hibou", "héros", "haricot", "hache", "haut", "honte"})
_ELIDABLE = {"je": "j'", "me": "m'", "te": "t'", "le": "l'", "la": "l'", "ne": "n'", "de": "d'", "que": "qu'"}
_FR_VOWELS = frozenset("aeiouàâäéèêëîïôöûùüœh")
#: Pre-nominal adjective + noun pairs that would form a different lexeme
#: (« beau-père » father-in-law, « petit ami » boyfriend, « petits-enfants »...).
_BAD_PRE_PAIRS = frozenset(
    [("beau", n) for n in ("père", "mère", "frère", "sœur", "fille")]
    + [("petit", n) for n in ("ami", "amie", "enfant")]
    + [("vieux", "fille"), ("bon", "homme"), ("bon", "femme"), ("grand", "mère")]
)


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Noun:
    sg: str
    pl: Optional[str]
    g: str
    en_sg: Tuple[str, ...]
    en_pl: Optional[Tuple[str, ...]]
    cats: FrozenSet[str]

    @property
    def mass(self) -> bool:
        return self.pl is None


@dataclass(frozen=True)
class _Adj:
    forms: Tuple[str, str, str, str]  # ms, fs, mp, fp
    en: str
    attr: FrozenSet[str]
    pred: FrozenSet[str]
    pre: bool
    colour: bool
    ms_vowel: Optional[str]
    en_pred_person: Optional[str]
    en_attr_person: Optional[str]
    en_masc_person: Optional[str]

    def english(self, person: bool, g: str, predicative: bool) -> str:
        """English adjective, depending on the noun (person or not, gender) and the use."""
        if person and g == "m" and self.en_masc_person:
            return self.en_masc_person
        if person and predicative and self.en_pred_person:
            return self.en_pred_person
        if person and not predicative and self.en_attr_person:
            return self.en_attr_person
        return self.en

    def fr(self, g: str, plural: bool, next_word: Optional[str] = None) -> str:
        if g == "m" and not plural and self.ms_vowel and next_word and _vowel_start(next_word):
            return self.ms_vowel
        return self.forms[(1 if g == "f" else 0) + (2 if plural else 0)]


@dataclass(frozen=True)
class _Verb:
    inf: str
    pres: Tuple[str, ...]
    fut: str
    pp: str
    en: Tuple[str, str, str]
    prt: Tuple[str, ...]
    kind: str
    obj: FrozenSet[str]
    subj: FrozenSet[str]
    manner: Tuple[str, ...]


def _parse_nouns() -> Tuple[_Noun, ...]:
    out = []
    for r in read_lexicon("fr", "nouns"):
        out.append(
            _Noun(
                sg=r["sg"],
                pl=None if r["pl"] == "-" else r["pl"],
                g=r["gender"],
                en_sg=tuple(r["en_sg"].split()),
                en_pl=None if r["en_pl"] == "-" else tuple(r["en_pl"].split()),
                cats=frozenset(r["cats"].split()),
            )
        )
    return tuple(out)


def _parse_adjs() -> Tuple[_Adj, ...]:
    out = []
    for r in read_lexicon("fr", "adjectives"):
        fl = r["flags"].split()
        opts = dict(f.split("=", 1) for f in fl if "=" in f)
        out.append(
            _Adj(
                forms=(r["ms"], r["fs"], r["mp"], r["fp"]),
                en=r["en"],
                attr=frozenset(r["attr_cats"].split()),
                pred=frozenset(r["pred_cats"].split()),
                pre="pre" in fl,
                colour="col" in fl,
                ms_vowel=opts.get("v"),
                en_pred_person=opts.get("pp"),
                en_attr_person=opts.get("pa"),
                en_masc_person=opts.get("pm"),
            )
        )
    return tuple(out)


def _regular_present(inf: str) -> Tuple[str, ...]:
    stem = inf[:-2]
    nous = stem + ("eons" if stem.endswith("g") else "ons")
    return (stem + "e", stem + "es", stem + "e", nous, stem + "ez", stem + "ent")


def _parse_verbs() -> Tuple[_Verb, ...]:
    out = []
    for r in read_lexicon("fr", "verbs"):
        inf, pres, fut = r["inf"], r["present"], r["future_stem"]
        pres_t = _regular_present(inf) if pres == "-" else tuple(pres.split())
        if fut == "-":
            fut = inf[:-1] if inf.endswith("re") else inf
        if len(pres_t) != 6:
            raise ValueError(f"lexicons/fr/verbs.tsv: {inf}: {len(pres_t)} present forms, need 6")
        base, s3, past = r["en_forms"].split()
        out.append(
            _Verb(
                inf=inf,
                pres=pres_t,
                fut=fut,
                pp=r["participle"],
                en=(base, s3, past),
                prt=tuple(r["en_particle"].split()),
                kind=r["kind"],
                obj=frozenset(r["obj_cats"].split()),
                subj=frozenset(r["subj_cats"].split()),
                manner=tuple(r["manner"].split()),
            )
        )
    return tuple(out)


_NOUNS = _parse_nouns()
_ADJS = _parse_adjs()
_VERBS = _parse_verbs()
_PRE_ADJS = tuple(a for a in _ADJS if a.pre)
_COLOUR_EN = frozenset(a.en for a in _ADJS if a.colour)
#: Adjectives denoting temporary states (they accept a time adjunct: « malade demain »).
_STATE_ADJS = frozenset(
    "chaud froid sale propre fatigué malade triste heureux content occupé calme prêt vide".split()
)
_POST_ADJS = tuple(a for a in _ADJS if not a.pre)
_VERBS_BY_KIND: Dict[str, Tuple[_Verb, ...]] = {}
for _v in _VERBS:
    _VERBS_BY_KIND.setdefault(_v.kind, ())
    _VERBS_BY_KIND[_v.kind] += (_v,)
del _v
#: Verbs that can follow « vouloir » as an infinitive.
_MODAL_INNER = tuple(
    v
    for v in _VERBS
    if v.kind in ("dobj", "iobj", "intr", "go", "stay") and v.inf not in ("aimer", "détester", "connaître")
)
_NON_ANIMATE = frozenset({"p", "a", "pet"})
#: Verbs whose object takes the definite (generic) article, never a partitive.
_LIKING_VERBS = frozenset({"aimer", "détester"})
#: Verbs of state: no place adjunct, no present-tense time adjunct.
_STATIVE_VERBS = frozenset({"aimer", "détester", "connaître", "avoir"})


def _what_ok(verb: _Verb) -> bool:
    """Whether « qu'est-ce que ... VERB » (object gap = a thing) makes sense."""
    return verb.kind in ("dobj", "ditr") and bool(verb.obj - _NON_ANIMATE)


# --------------------------------------------------------------------------- helpers


def _vowel_start(word: str) -> bool:
    """True if a French ``word`` triggers elision of a preceding le/la/je/de/que..."""
    return bool(word) and word not in _NO_ELISION and word[0] in _FR_VOWELS


def _elide(tokens: Sequence[str]) -> List[str]:
    """Apply French elision (le homme -> l'homme, si il -> s'il) to a token list."""
    out: List[str] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if i + 1 < n:
            nxt = tokens[i + 1]
            if tok in _ELIDABLE and _vowel_start(nxt):
                out.append(_ELIDABLE[tok] + nxt)
                i += 2
                continue
            if tok == "si" and nxt in ("il", "ils"):
                out.append("s'" + nxt)
                i += 2
                continue
        out.append(tok)
        i += 1
    return out



def _invert(form: str, pron: str) -> str:
    """Inverted verb form: « vois » + « tu » -> « vois-tu », « mange » + « il » -> « mange-t-il »."""
    if pron in ("il", "elle") and form[-1] in "ae":
        return f"{form}-t-{pron}"
    return f"{form}-{pron}"


def _agree_pp(pp: str, g: str, plural: bool) -> str:
    """Past participle agreeing with a preceding direct object."""
    if g == "f":
        return pp + ("es" if plural else "e")
    if plural:
        return pp if pp.endswith("s") else pp + "s"
    return pp


def _finite(verb: _Verb, tense: str, person: int) -> str:
    """French finite form (for the past: the auxiliary « avoir »)."""
    if tense == "pres":
        return verb.pres[person]
    if tense == "fut":
        return verb.fut + _FUT_END[person]
    return _AVOIR_PRES[person]


def _nouns_with(cats: FrozenSet[str], *, count_only: bool = False) -> Tuple[_Noun, ...]:
    return tuple(n for n in _NOUNS if n.cats & cats and not (count_only and n.mass))


_NOUNS_CACHE: Dict[Tuple[FrozenSet[str], bool], Tuple[_Noun, ...]] = {}


def _pick_noun(rng: random.Random, cats: FrozenSet[str], count_only: bool = False) -> _Noun:
    key = (cats, count_only)
    pool = _NOUNS_CACHE.get(key)
    if pool is None:
        pool = _NOUNS_CACHE[key] = _nouns_with(cats, count_only=count_only)
    return rng.choice(pool)


# --------------------------------------------------------------------------- noun phrases


@dataclass
class _NP:
    fr: List[str]
    en: List[str]
    g: str
    plural: bool
    tags: Set[str]
    noun: Optional[_Noun] = None


def _adj_en(adj: _Adj, noun: _Noun, g: str) -> str:
    return adj.english("p" in noun.cats, g, predicative=False)


def _build_np(
    noun: _Noun,
    plural: bool,
    det: str,
    *,
    poss: int = 0,
    poss_en: int = 0,
    num: int = 0,
    pre: Optional[_Adj] = None,
    post: Optional[_Adj] = None,
    neg: bool = False,
    generic: bool = False,
) -> _NP:
    """Build a noun phrase (unelided French tokens, English tokens).

    det: def, indef, part (mass nouns), poss, dem, num, defnum, possnum.
    neg: the NP is the direct object of a negated verb, so indefinite and
    partitive articles become « de ».
    generic: object of a verb of liking (« j'aime le lait » -> "i like milk"):
    a definite mass or plural noun has no English article.
    """
    g = noun.g
    word = noun.pl if plural else noun.sg
    assert word is not None
    head_fr: List[str] = []
    head_en: List[str] = []
    tags: Set[str] = set()
    if pre is not None:
        head_fr.append(pre.fr(g, plural, word))
        head_en.append(_adj_en(pre, noun, g))
    head_fr.append(word)
    if post is not None:
        head_fr.append(post.fr(g, plural))
        head_en.append(_adj_en(post, noun, g))
        tags.add("adj_noun_reordering")
    head_en.extend(noun.en_pl if plural else noun.en_sg)
    first = head_fr[0]
    vowel = _vowel_start(first)
    if det == "def":
        d_fr = ["les"] if plural else ["le" if g == "m" else "la"]
        d_en = [] if generic and (plural or noun.mass) else ["the"]
    elif det == "indef":
        if neg:
            d_fr = ["de"]
            d_en = ["any"] if plural else ["a"]
        elif plural:
            d_fr = ["de"] if pre is not None else ["des"]
            d_en = []
        else:
            d_fr = ["un" if g == "m" else "une"]
            d_en = ["a"]
    elif det == "part":
        if neg:
            d_fr = ["de"]
        elif vowel:
            d_fr = ["de", "la"]  # elided to « de l' »
        else:
            d_fr = ["du"] if g == "m" else ["de", "la"]
        d_en = []
    elif det in ("poss", "possnum"):
        ms, fs, pl_, en_opts = _POSSESSIVES[poss]
        if plural:
            d_fr = [pl_]
        elif g == "m" or vowel:
            d_fr = [ms]
        else:
            d_fr = [fs]
        d_en = [en_opts[poss_en % len(en_opts)]]
    elif det == "dem":
        if plural:
            d_fr, d_en = ["ces"], ["these"]
        elif g == "f":
            d_fr, d_en = ["cette"], ["this"]
        else:
            d_fr, d_en = (["cet"] if vowel else ["ce"]), ["this"]
    elif det == "num":
        d_fr, d_en = [], []
    elif det == "defnum":
        d_fr, d_en = ["les"], ["the"]
    else:
        raise AssertionError(det)
    if det in ("num", "defnum", "possnum"):
        nfr, nen = _NUM_BY_VALUE[num]
        d_fr = d_fr + [nfr]
        d_en = d_en + nen
        tags.add("number")
    return _NP(fr=d_fr + head_fr, en=d_en + head_en, g=g, plural=plural, tags=tags, noun=noun)


def _sample_np(
    rng: random.Random,
    cats: FrozenSet[str],
    *,
    neg: bool = False,
    adj_p: float = 0.4,
    num_p: float = 0.09,
    noun: Optional[_Noun] = None,
    role: str = "obj",
) -> _NP:
    """Random noun phrase whose noun belongs to one of ``cats``.

    role: ``obj`` (any determiner), ``subj`` (no partitive), ``def`` (definite-like
    determiners only: for « où est le chat »), ``generic`` (object of « aimer »,
    « détester »: no partitive, generic English for definite mass/plural nouns).
    """
    if noun is None:
        noun = _pick_noun(rng, cats)
    pre = post = None
    if rng.random() < adj_p:
        pres_ = [a for a in _PRE_ADJS if a.attr & noun.cats and (a.forms[0], noun.sg) not in _BAD_PRE_PAIRS]
        posts = [a for a in _POST_ADJS if a.attr & noun.cats]
        r = rng.random()
        if posts and (r < 0.68 or not pres_):
            post = rng.choice(posts)
            if post.colour and pres_ and rng.random() < 0.15:
                pre = rng.choice(pres_)
        elif pres_:
            pre = rng.choice(pres_)
    poss = rng.randrange(6)
    poss_en = rng.randrange(2)
    definite = role == "def"
    generic = role == "generic"
    if noun.mass:
        det = _weighted(rng, ("part", "def", "poss", "dem"), (0.55 if role == "obj" else 0, 0.28, 0.12, 0.05))
        return _build_np(noun, False, det, poss=poss, poss_en=poss_en, pre=pre, post=post, neg=neg, generic=generic)
    if rng.random() < num_p:
        num = rng.choice(_DET_NUMBERS) if rng.random() < 0.3 else rng.choice(_DET_NUMBERS[:9])
        det = _weighted(rng, ("num", "defnum", "possnum"), (0 if definite else 0.75, 0.12, 0.13))
        return _build_np(noun, True, det, poss=poss, poss_en=poss_en, num=num, pre=pre, post=post, neg=neg)
    plural = rng.random() < 0.28
    det = _weighted(rng, ("def", "indef", "poss", "dem"), (0.42, 0 if definite or generic else 0.33, 0.17, 0.08))
    return _build_np(noun, plural, det, poss=poss, poss_en=poss_en, pre=pre, post=post, neg=neg, generic=generic)


def _with_a(np_fr: List[str]) -> List[str]:
    """Prefix « à » to a French NP, contracting « à le » -> « au », « à les » -> « aux »."""
    if np_fr and np_fr[0] == "les":
        return ["aux"] + np_fr[1:]
    if np_fr and np_fr[0] == "le" and len(np_fr) > 1 and not _vowel_start(np_fr[1]):
        return ["au"] + np_fr[1:]
    return ["à"] + np_fr


def _place_tokens(entry) -> List[str]:
    """French tokens of a place adjunct (unelided)."""
    prep, noun, g, _, _, _ = entry
    prep = list(prep)
    if noun is None or "city" in entry[5]:
        return prep + [noun]
    vowel = _vowel_start(noun)
    if prep[-1] in ("à", "de") and g == "m" and not vowel:
        return prep[:-1] + [{"à": "au", "de": "du"}[prep[-1]], noun]
    return prep + ["le" if g == "m" else "la", noun]


_PLACES_GEN = tuple(p for p in _PLACE_TABLE if "gen" in p[5].split())
_PLACES_OBJ = tuple(p for p in _PLACE_TABLE if "obj" in p[5].split())
_PLACES_TO = tuple(p for p in _PLACE_TABLE if p[4] is not None)
_PLACES_CITY = tuple(p for p in _PLACE_TABLE if "city" in p[5].split())


# --------------------------------------------------------------------------- subjects


@dataclass
class _Subj:
    fr: List[str]
    en: List[str]
    person: int
    g: str
    plural: bool
    pron: Optional[str]
    tags: Set[str]
    cats: FrozenSet[str]


def _pronoun_subject(rng: random.Random, choices: Optional[Sequence[str]] = None) -> _Subj:
    if choices is None:
        fr, person, en, g = _weighted(rng, _SUBJ_PRONOUNS, _SUBJ_PRONOUN_WEIGHTS)
    else:
        fr, person, en, g = rng.choice([p for p in _SUBJ_PRONOUNS if p[0] in choices])
    if g is None:
        g = rng.choice("mf")
    return _Subj([fr], [en], person, g, person >= 3, fr, set(), frozenset({"p"}))


def _sample_subject(rng: random.Random, cats: FrozenSet[str], *, pron_p: float = 0.5, num_p: float = 0.09) -> _Subj:
    """Random subject compatible with the subject categories ``cats`` (p/a)."""
    r = rng.random()
    if "p" in cats and r < pron_p:
        return _pronoun_subject(rng)
    if "p" not in cats and r < pron_p * 0.4:
        return _pronoun_subject(rng, ("il", "elle", "ils", "elles"))
    if "p" in cats and r < pron_p + 0.12:
        fr, en, g = rng.choice(_NAMES)
        return _Subj([fr], [en], 2, g, False, None, set(), frozenset({"p"}))
    np = _sample_np(rng, cats, adj_p=0.25, num_p=num_p, role="subj")
    return _Subj(np.fr, np.en, 5 if np.plural else 2, np.g, np.plural, None, np.tags, np.noun.cats)


def _who_subject() -> _Subj:
    return _Subj(["qui"], ["who"], 2, "m", False, None, set(), frozenset({"p"}))


# --------------------------------------------------------------------------- clauses


@dataclass
class _Clause:
    fr: List[str]
    en: List[str]
    tags: Set[str]
    ref: Optional[Tuple[_Noun, bool]] = None  # direct-object referent (for anaphora)
    subj: Optional[_Subj] = None
    time_n: Tuple[int, int] = (0, 0)  # trailing time adjunct length (french, english)


#: Question modes.
#:   decl: declarative; est: « est-ce que »; inv: inversion; wh: « où/quand/pourquoi
#:   est-ce que »; what: « qu'est-ce que » (object gap); whoobj: « qui est-ce que »
#:   (object gap); whosubj: « qui » subject; whereis: « où est le chat ».


def _time_adjunct(rng: random.Random, tense: str, habitual: bool = True) -> Tuple[List[str], List[str], Set[str]]:
    """A time adverbial compatible with ``tense`` (French tokens unelided).

    habitual=False excludes habitual present-tense adverbials (« le lundi »,
    « chaque jour »), e.g. for « il pleut » -> "it is raining".
    """
    tags: Set[str] = set()
    r = rng.random()
    if tense == "pres" and not habitual and r >= 0.4:
        return ["aujourd'hui"], ["today"], tags
    if r < 0.1 or (tense == "pres" and not habitual):
        n = rng.randrange(1, 13)
        nfr, nen = _NUM_BY_VALUE[n]
        if n == 1:
            return ["à", "une", "heure"], ["at", "one", "o'clock"], {"number"}
        return ["à", nfr, "heures"], ["at"] + nen + ["o'clock"], {"number"}
    if tense == "pres":
        opts = [
            (["aujourd'hui"], ["today"]),
            (["le", "matin"], ["in", "the", "morning"]),
            (["le", "soir"], ["in", "the", "evening"]),
            (["le", "après-midi"], ["in", "the", "afternoon"]),
            (["chaque", "jour"], ["every", "day"]),
            (["tous", "les", "jours"], ["every", "day"]),
            (["chaque", "semaine"], ["every", "week"]),
            (["le", "week-end"], ["on", "weekends"]),
        ]
        if rng.random() < 0.3:
            d_fr, d_en = rng.choice(_DAYS)
            return ["le", d_fr], ["on", d_en + "s"], tags
        return (*rng.choice(opts), tags)
    if tense == "past":
        opts = [
            (["hier"], ["yesterday"]),
            (["hier", "soir"], ["last", "night"]),
            (["hier", "matin"], ["yesterday", "morning"]),
            (["la", "semaine", "dernière"], ["last", "week"]),
            (["le", "mois", "dernier"], ["last", "month"]),
            (["la", "année", "dernière"], ["last", "year"]),
            (["ce", "matin"], ["this", "morning"]),
        ]
        r = rng.random()
        if r < 0.15:
            d_fr, d_en = rng.choice(_DAYS)
            return [d_fr, "dernier"], ["last", d_en], tags
        if r < 0.3:
            n = rng.randrange(2, 11)
            unit = rng.choice((("jours", "days"), ("semaines", "weeks"), ("ans", "years")))
            nfr, nen = _NUM_BY_VALUE[n]
            return ["il", "y", "a", nfr, unit[0]], nen + [unit[1], "ago"], {"number"}
        return (*rng.choice(opts), tags)
    opts = [
        (["demain"], ["tomorrow"]),
        (["demain", "matin"], ["tomorrow", "morning"]),
        (["demain", "soir"], ["tomorrow", "evening"]),
        (["la", "semaine", "prochaine"], ["next", "week"]),
        (["le", "mois", "prochain"], ["next", "month"]),
        (["la", "année", "prochaine"], ["next", "year"]),
        (["bientôt"], ["soon"]),
        (["ce", "soir"], ["tonight"]),
    ]
    r = rng.random()
    if r < 0.15:
        d_fr, d_en = rng.choice(_DAYS)
        return [d_fr, "prochain"], ["next", d_en], tags
    if r < 0.3:
        n = rng.randrange(2, 11)
        unit = rng.choice((("jours", "days"), ("semaines", "weeks")))
        nfr, nen = _NUM_BY_VALUE[n]
        return ["dans", nfr, unit[0]], ["in"] + nen + [unit[1]], {"number"}
    return (*rng.choice(opts), tags)



def _fr_group(
    subj: _Subj,
    fin: str,
    *,
    inv: bool,
    neg: bool,
    clitic: Optional[str] = None,
    mid: Optional[str] = None,
    pp: Optional[str] = None,
) -> List[str]:
    """French subject + [ne] [clitic] finite verb [pas] [adverb] [participle]."""
    toks: List[str] = []
    if not inv:
        toks += subj.fr
    if neg:
        toks.append("ne")
    if clitic:
        toks.append(clitic)
    toks.append(_invert(fin, subj.pron) if inv else fin)
    if neg:
        toks.append("pas")
    if mid:
        toks.append(mid)
    if pp:
        toks.append(pp)
    return toks


def _question_prefix(mode: str, wh: Optional[str]) -> Tuple[List[str], List[str]]:
    if mode == "est":
        return ["est-ce", "que"], []
    if mode == "wh":
        fr_wh, en_wh = {"où": ("où", "where"), "quand": ("quand", "when"), "pourquoi": ("pourquoi", "why")}[wh]
        return [fr_wh, "est-ce", "que"], [en_wh]
    if mode == "what":
        return ["que", "est-ce", "que"], ["what"]
    if mode == "whoobj":
        return ["qui", "est-ce", "que"], ["who"]
    return [], []


def _obj_pronoun_en(noun: _Noun, plural: bool, g: str) -> str:
    if plural:
        return "them"
    if "p" in noun.cats:
        return "him" if g == "m" else "her"
    return "it"


def _third_clitic(noun: _Noun, plural: bool) -> Tuple[str, str, str, bool]:
    """(french clitic, english pronoun, gender, plural) for a direct-object referent."""
    fr = "les" if plural else ("le" if noun.g == "m" else "la")
    return fr, _obj_pronoun_en(noun, plural, noun.g), noun.g, plural


def _clause_verbal(
    rng: random.Random,
    verb: _Verb,
    mode: str,
    *,
    tense: str,
    neg: bool,
    wh: Optional[str] = None,
    subj: Optional[_Subj] = None,
    forced_ref: Optional[Tuple[_Noun, bool]] = None,
    modal: bool = False,
    adjuncts: bool = True,
) -> _Clause:
    """Clause headed by a dobj/iobj/ditr/intr/motion verb (optionally under « vouloir »)."""
    tags: Set[str] = set()
    question = mode not in ("decl", "whosubj")
    if subj is None:
        if mode == "whosubj":
            subj = _who_subject()
        elif mode == "inv":
            subj = _pronoun_subject(rng, _INVERTIBLE)
        else:
            subj = _sample_subject(rng, verb.subj)
    inv = mode == "inv"
    tags |= subj.tags
    kind = verb.kind

    # ---- objects -------------------------------------------------------------------
    clitic_fr: Optional[str] = None  # before the verb (or before the infinitive)
    clitic_en: List[str] = []  # english pronoun after the verb
    agree: Optional[Tuple[str, bool]] = None  # participle agreement (gender, plural)
    obj_fr: List[str] = []
    obj_en: List[str] = []  # after english verb (+particle)
    ref: Optional[Tuple[_Noun, bool]] = None
    gap = mode in ("what", "whoobj")
    en_tail_prep: List[str] = []  # stranded preposition in english wh-questions
    excl = {0: (0, 3), 1: (1, 4), 3: (0, 3), 4: (1, 4)}.get(subj.person, ())

    def person_clitic() -> Optional[Tuple[str, str, int]]:
        opts = [p for p in _PERSON_CLITICS if p not in excl]
        if mode == "whosubj":
            opts = [p for p in opts if p in (0, 3)]
        if not opts:
            return None
        p = rng.choice(opts)
        return _PERSON_CLITICS[p][0], _PERSON_CLITICS[p][1], p

    if kind == "dobj":
        cats = verb.obj
        if gap:
            en_tail_prep = list(verb.prt)
        elif forced_ref is not None or rng.random() < 0.36:
            if forced_ref is None and "p" in cats and rng.random() < 0.25 and (pc := person_clitic()):
                clitic_fr, pron_en, p = pc
                clitic_en = list(verb.prt) + [pron_en]
                agree = (rng.choice("mf"), p >= 3)
            else:
                if forced_ref is not None:
                    noun, plural = forced_ref
                else:
                    noun = _pick_noun(rng, cats)
                    plural = False if noun.mass else rng.random() < 0.3
                clitic_fr, pron_en, g, pl = _third_clitic(noun, plural)
                clitic_en = list(verb.prt) + [pron_en]
                agree = (g, pl)
            tags.add("clitic_pronoun")
        else:
            np = _sample_np(rng, cats, neg=neg, role="generic" if verb.inf in _LIKING_VERBS else "obj")
            obj_fr, obj_en = np.fr, list(verb.prt) + np.en
            tags |= np.tags
            if not neg and np.noun is not None:
                ref = (np.noun, np.plural)
    elif kind == "iobj":
        iprep = list(verb.prt)
        if gap:  # « à qui est-ce que tu parles » -> "who do you talk to"
            en_tail_prep = iprep
        elif rng.random() < 0.4:
            if rng.random() < 0.35 and (pc := person_clitic()):
                clitic_fr, pron_en, _ = pc
            else:
                plural = rng.random() < 0.3
                clitic_fr = "leur" if plural else "lui"
                pron_en = "them" if plural else rng.choice(("him", "her"))
            clitic_en = iprep + [pron_en]
            tags.add("clitic_pronoun")
        else:
            if rng.random() < 0.25:
                fr, en, _ = rng.choice(_NAMES)
                obj_fr, obj_en = _with_a([fr]), iprep + [en]
            else:
                np = _sample_np(rng, frozenset({"p"}), adj_p=0.2)
                obj_fr, obj_en = _with_a(np.fr), iprep + np.en
                tags |= np.tags
    elif kind == "ditr":
        # indirect object (recipient)
        r = rng.random()
        if gap:
            r = max(r, 0.3)  # no direct-object clitic when the direct object is the gap
        rec_tags: Set[str] = set()
        if rng.random() < 0.25:
            fr, en, _ = rng.choice(_NAMES)
            rec_fr, rec_en = _with_a([fr]), [en]
        else:
            np = _sample_np(rng, frozenset({"p"}), adj_p=0.15, num_p=0.04)
            rec_fr, rec_en, rec_tags = _with_a(np.fr), np.en, np.tags
        if r < 0.22 or r >= 0.45:
            tags |= rec_tags  # the recipient NP is used
        if r < 0.22:  # direct-object clitic: « je le donne à marie » -> "i give it to marie"
            noun = _pick_noun(rng, verb.obj)
            plural = False if noun.mass else rng.random() < 0.3
            clitic_fr, pron_en, g, pl = _third_clitic(noun, plural)
            agree = (g, pl)
            clitic_en = [pron_en, "to"] + rec_en
            obj_fr = rec_fr
            tags.add("clitic_pronoun")
        elif r < 0.45:  # indirect clitic: « je lui donne le livre » -> "i give him the book"
            if rng.random() < 0.3 and (pc := person_clitic()):
                clitic_fr, pron_en, _ = pc
            else:
                plural = rng.random() < 0.3
                clitic_fr = "leur" if plural else "lui"
                pron_en = "them" if plural else rng.choice(("him", "her"))
            tags.add("clitic_pronoun")
            if gap:
                clitic_en = [pron_en]
            else:
                np = _sample_np(rng, verb.obj, neg=neg, adj_p=0.3)
                tags |= np.tags
                if pron_en == "her":  # "lend her clean pens" would read as a possessive
                    clitic_en = np.en + ["to", pron_en]
                else:  # double object: "i give him the book"
                    clitic_en = [pron_en] + np.en
                obj_fr = np.fr
        else:
            if gap:
                obj_fr, obj_en = rec_fr, ["to"] + rec_en
            else:
                np = _sample_np(rng, verb.obj, neg=neg, adj_p=0.3)
                tags |= np.tags
                obj_fr = np.fr + rec_fr
                obj_en = np.en + ["to"] + rec_en
    # intr / motion verbs have no object here

    # ---- adverbs -------------------------------------------------------------------
    mid: Optional[str] = None
    mid_en: Optional[str] = None
    end_fr: List[str] = []
    end_en: List[str] = []
    if kind == "intr" and verb.manner and not modal and rng.random() < 0.35:
        adv = rng.choice(verb.manner)
        if tense == "past" and adv in _SHORT_MANNER and not modal:
            mid = adv
        else:
            end_fr = [adv]
        end_en = list(_MANNER_EN[adv])
    elif not neg and not modal and rng.random() < 0.12:
        fa = rng.choice([f for f in _FREQ_ADVS if tense in f[2]])
        mid, mid_en = fa[0], fa[1]

    # ---- motion complements --------------------------------------------------------
    place_used = False
    if kind == "go":
        if not (mode == "wh" and wh == "où"):
            p = rng.choice(_PLACES_TO)
            obj_fr, obj_en = _place_tokens(p), p[4].split()
            place_used = True
    elif kind == "stay":
        if not (mode == "wh" and wh == "où"):
            p = rng.choice(_PLACES_GEN)
            obj_fr, obj_en = _place_tokens(p), p[3].split()
            place_used = True

    # ---- french verb group -----------------------------------------------------------
    if modal:
        vforms, vfut, vpp, ven = _VOULOIR
        if tense == "pres":
            fin = vforms[subj.person]
        elif tense == "fut":
            fin = vfut + _FUT_END[subj.person]
        else:
            fin = _AVOIR_PRES[subj.person]
        pp = vpp if tense == "past" else None
        fr = _fr_group(subj, fin, inv=inv, neg=neg, mid=mid, pp=pp)
        if clitic_fr:
            fr.append(clitic_fr)
        fr.append(verb.inf)
    else:
        fin = _finite(verb, tense, subj.person)
        pp = None
        if tense == "past":
            # agreement with a preceding direct-object clitic: « je l'ai vue »
            pp = verb.pp if agree is None else _agree_pp(verb.pp, agree[0], agree[1])
        fr = _fr_group(subj, fin, inv=inv, neg=neg, clitic=clitic_fr, mid=mid, pp=pp)
    fr += obj_fr
    fr += end_fr

    # ---- english verb group --------------------------------------------------------
    if modal:
        en = _en_verb_group(subj.en, subj.person, tense, neg, question, ven, mid_en)
        en += ["to", verb.en[0]]
    else:
        en = _en_verb_group(subj.en, subj.person, tense, neg, question, verb.en, mid_en)
    en += clitic_en
    en += obj_en
    en += end_en
    en += en_tail_prep

    # ---- place / time adjuncts -----------------------------------------------------
    time_n = (0, 0)
    stative = verb.inf in _STATIVE_VERBS and not modal
    if adjuncts and not en_tail_prep:  # avoid "who do you smile at at noon"
        where_gap = mode == "wh" and wh == "où"
        if not place_used and not stative and kind != "leave" and not where_gap and rng.random() < 0.22:
            p = rng.choice(_PLACES_GEN)
            fr += _place_tokens(p)
            en += p[3].split()
        when_gap = mode == "wh" and wh == "quand"
        time_ok = not when_gap and mid_en is None and not (stative and tense == "pres")
        if time_ok and rng.random() < (0.55 if kind == "leave" else 0.25):
            time_n = _add_time(rng, tense, fr, en, tags)

    pre_fr, pre_en = _question_prefix(mode, wh)
    if mode == "whoobj" and kind == "iobj":
        pre_fr = ["à"] + pre_fr
    return _Clause(pre_fr + fr, pre_en + en, tags | _tense_tags(tense, neg, question), ref=ref, subj=subj,
                   time_n=time_n)


def _add_time(
    rng: random.Random, tense: str, fr: List[str], en: List[str], tags: Set[str], habitual: bool = True
) -> Tuple[int, int]:
    """Append a time adjunct in place; return its (french, english) token counts."""
    t_fr, t_en, t_tags = _time_adjunct(rng, tense, habitual)
    fr += t_fr
    en += t_en
    tags |= t_tags
    return len(t_fr), len(t_en)


def _pred_adj(rng: random.Random, subj: _Subj) -> Tuple[str, str, bool]:
    """Predicative adjective agreeing with ``subj``: (french, english, is a temporary state)."""
    cats = subj.cats
    adj = rng.choice([a for a in _ADJS if a.pred & cats])
    return adj.fr(subj.g, subj.plural), adj.english("p" in cats, subj.g, predicative=True), adj.forms[0] in _STATE_ADJS


def _clause_copula(
    rng: random.Random, mode: str, *, tense: str, neg: bool, wh: Optional[str] = None, what: str = "adj"
) -> _Clause:
    """« être » + adjective (what='adj') or + place (what='place'); also « où est X »."""
    question = mode not in ("decl", "whosubj")
    tags: Set[str] = set()
    if mode == "whosubj":
        subj = _who_subject()
    elif mode == "inv" or (mode == "whereis" and rng.random() < 0.35):
        subj = _pronoun_subject(rng, _INVERTIBLE)
    else:
        r = rng.random()
        if r < 0.4:
            subj = _pronoun_subject(rng, _INVERTIBLE if mode == "whereis" else None)
        elif r < 0.5:
            fr, en, g = rng.choice(_NAMES)
            subj = _Subj([fr], [en], 2, g, False, None, set(), frozenset({"p"}))
        else:
            if what == "place" and rng.random() < 0.35:
                cats = frozenset({"o", "t", "c"})
            else:
                cats = frozenset({"p", "a"} if what == "place" else "p a o c v b f m d r w n".split())
            np = _sample_np(rng, cats, adj_p=0.15, num_p=0.06, role="def" if mode == "whereis" else "subj")
            subj = _Subj(np.fr, np.en, 5 if np.plural else 2, np.g, np.plural, None, np.tags, np.noun.cats)
    tags |= subj.tags
    fin = _ETRE_PRES[subj.person] if tense == "pres" else _ETRE_FUT + _FUT_END[subj.person]
    mid = mid_en = None
    if not neg and mode != "whereis" and what == "place" and rng.random() < 0.15:
        fa = rng.choice([f for f in _FREQ_ADVS if tense in f[2]])
        mid, mid_en = fa[0], fa[1]
    if mode == "whereis":
        # « où est le chat » / « où est-il » -> "where is the cat" / "where is he"
        if subj.pron:
            fr = ["où", _invert(fin, subj.pron)]
        else:
            fr = ["où", fin] + subj.fr
        en = ["where"] + _en_be_group(subj.en, subj.person, tense, False, True)
        if tense == "fut" and rng.random() < 0.4:
            _add_time(rng, tense, fr, en, tags)
        return _Clause(fr, en, tags | _tense_tags(tense, False, True), subj=subj)
    state = True
    if what == "adj":
        a_fr, a_en, state = _pred_adj(rng, subj)
        for _ in range(5):  # not « des téléphones verts sont rouges »
            if not (_COLOUR_EN & set(subj.en) and a_en in _COLOUR_EN) and a_en not in subj.en:
                break
            a_fr, a_en, state = _pred_adj(rng, subj)
        p_fr, p_en = [a_fr], [a_en]
    else:
        objish = bool(subj.cats & {"o", "t", "c"}) and "p" not in subj.cats and "a" not in subj.cats
        p = rng.choice(_PLACES_OBJ if objish else _PLACES_GEN)
        p_fr, p_en = _place_tokens(p), p[3].split()
    fr = _fr_group(subj, fin, inv=mode == "inv", neg=neg, mid=mid) + p_fr
    en = _en_be_group(subj.en, subj.person, tense, neg, question, mid_en) + p_en
    time_n = (0, 0)
    if rng.random() < 0.2 and not (mode == "wh" and wh == "quand") and mid_en is None and state:
        # a time only with temporary states, never habitual: « il est fatigué aujourd'hui »
        time_n = _add_time(rng, tense, fr, en, tags, habitual=what == "place")
    pre_fr, pre_en = _question_prefix(mode, wh)
    return _Clause(pre_fr + fr, pre_en + en, tags | _tense_tags(tense, neg, question), subj=subj, time_n=time_n)


def _clause_age(rng: random.Random, mode: str, *, tense: str, neg: bool) -> _Clause:
    """« il a dix ans » -> "he is ten years old"."""
    question = mode != "decl"
    if mode == "inv":
        subj = _pronoun_subject(rng, _INVERTIBLE)
    else:
        subj = _sample_subject(rng, frozenset({"p", "a"}), pron_p=0.45, num_p=0.0)
    n = rng.choice(_DET_NUMBERS[:19] + (1,))
    nfr, nen = _NUM_BY_VALUE[n]
    fin = _finite(_VERB_AVOIR, tense, subj.person)
    fr = _fr_group(subj, fin, inv=mode == "inv", neg=neg) + [nfr, "an" if n == 1 else "ans"]
    en = _en_be_group(subj.en, subj.person, tense, neg, question) + nen + ["year" if n == 1 else "years", "old"]
    pre_fr, _ = _question_prefix(mode, None)
    return _Clause(pre_fr + fr, en, subj.tags | {"number"} | _tense_tags(tense, neg, question), subj=subj)


def _clause_weather(rng: random.Random, mode: str, *, tense: str, neg: bool) -> _Clause:
    """« il pleut » -> "it is raining", « il fait froid » -> "it is cold"."""
    question = mode != "decl"
    inv = mode == "inv"
    subj = _Subj(["il"], ["it"], 2, "m", False, "il", set(), frozenset())
    progressive = False
    if rng.random() < 0.5:
        progressive = tense == "pres"  # « il pleut » -> "it is raining"
        pres, fut, pp, ing, past, base = rng.choice(_WEATHER_VERBS)
        if tense == "pres":
            fr = _fr_group(subj, pres, inv=inv, neg=neg)
            en = _en_be_group(["it"], 2, "pres", neg, question) + [ing]
        elif tense == "fut":
            fr = _fr_group(subj, fut + "a", inv=inv, neg=neg)
            en = _en_verb_group(["it"], 2, "fut", neg, question, (base, base + "s", past))
        else:
            fr = _fr_group(subj, "a", inv=inv, neg=neg, pp=pp)
            en = _en_verb_group(["it"], 2, "past", neg, question, (base, base + "s", past))
    else:
        adj, en_subj, en_adj = rng.choice(_WEATHER_ADJ)
        fin = {"pres": "fait", "fut": "fera", "past": "a"}[tense]
        fr = _fr_group(subj, fin, inv=inv, neg=neg, pp="fait" if tense == "past" else None) + [adj]
        en = _en_be_group(list(en_subj), 2, tense, neg, question) + [en_adj]
    tags = _tense_tags(tense, neg, question)
    if rng.random() < 0.3:
        p = rng.choice(_PLACES_CITY)
        fr += _place_tokens(p)
        en += p[3].split()
    time_n = (0, 0)
    if rng.random() < 0.3:
        time_n = _add_time(rng, tense, fr, en, tags, habitual=not progressive)
    pre_fr, _ = _question_prefix(mode, None)
    return _Clause(pre_fr + fr, en, tags, subj=subj, time_n=time_n)


_VERB_AVOIR = next(v for v in _VERBS if v.inf == "avoir")

# clause type -> (weight, allowed modes)
_CLAUSE_TYPES = {
    "dobj": (0.36, ("decl", "est", "inv", "wh", "what", "whoobj", "whosubj")),
    "iobj": (0.07, ("decl", "est", "inv", "wh", "whoobj", "whosubj")),
    "ditr": (0.08, ("decl", "est", "inv", "wh", "what", "whosubj")),
    "intr": (0.13, ("decl", "est", "inv", "wh", "whosubj")),
    "modal": (0.06, ("decl", "est", "inv", "wh", "what", "whosubj")),
    "motion": (0.06, ("decl", "est", "inv", "wh", "whosubj")),
    "cop_adj": (0.12, ("decl", "est", "inv", "wh", "whosubj")),
    "cop_place": (0.05, ("decl", "est", "inv", "whereis", "whosubj")),
    "age": (0.03, ("decl", "est", "inv")),
    "weather": (0.04, ("decl", "est", "inv")),
}
_Q_MODES = ("est", "inv", "wh", "what", "whoobj", "whosubj", "whereis")
_Q_MODE_WEIGHTS = (0.36, 0.2, 0.14, 0.1, 0.05, 0.07, 0.08)


def _sample_clause(
    rng: random.Random, mode: str = "decl", *, tense: Optional[str] = None, neg_ok: bool = True
) -> _Clause:
    """One clause in the given mode (decl or a question mode)."""
    types = [t for t, (w, modes) in _CLAUSE_TYPES.items() if mode in modes]
    ctype = _weighted(rng, types, [_CLAUSE_TYPES[t][0] for t in types])
    wh = rng.choice(("où", "quand", "pourquoi")) if mode == "wh" else None
    if ctype == "cop_adj" and mode == "wh":
        wh = "pourquoi"  # « pourquoi est-ce que tu es triste »
    neg = neg_ok and mode == "decl" and rng.random() < 0.24
    if tense is None:
        tense = _weighted(rng, ("pres", "past", "fut"), (0.45, 0.33, 0.22))
    if ctype in ("motion", "cop_adj", "cop_place", "age") and tense == "past":
        tense = rng.choice(("pres", "fut"))
    if ctype in ("cop_adj", "cop_place"):
        return _clause_copula(rng, mode, tense=tense, neg=neg, wh=wh, what="adj" if ctype == "cop_adj" else "place")
    if ctype == "age":
        return _clause_age(rng, mode, tense=tense, neg=neg)
    if ctype == "weather":
        return _clause_weather(rng, mode, tense=tense, neg=neg)
    if ctype == "modal":
        inner = [v for v in _MODAL_INNER if not (mode == "what" and not (v.kind == "dobj" and _what_ok(v)))]
        if mode == "whosubj":
            inner = [v for v in inner if v.kind in ("dobj", "intr", "go", "stay")]
        verb = rng.choice(inner)
        return _clause_verbal(rng, verb, mode, tense=tense, neg=neg, wh=wh, modal=True)
    if ctype == "motion":
        verb = rng.choice(_VERBS_BY_KIND["go"] * 2 + _VERBS_BY_KIND["leave"] + _VERBS_BY_KIND["stay"])
        return _clause_verbal(rng, verb, mode, tense=tense, neg=neg, wh=wh)
    pool = _VERBS_BY_KIND[ctype]
    if mode == "whoobj":
        pool = tuple(v for v in pool if "p" in v.obj)
    elif mode == "what":
        pool = tuple(v for v in pool if _what_ok(v))
    verb = rng.choice(pool)
    return _clause_verbal(rng, verb, mode, tense=tense, neg=neg, wh=wh)


def _anaphoric_clause(rng: random.Random, ref: Tuple[_Noun, bool], prev_subj: Optional[_Subj]) -> Optional[_Clause]:
    """A declarative clause whose direct object is a clitic referring to ``ref``."""
    noun, _ = ref
    verbs = [v for v in _VERBS_BY_KIND["dobj"] if v.obj & noun.cats]
    if not verbs:
        return None
    verb = rng.choice(verbs)
    subj = None
    if prev_subj is not None and prev_subj.pron and rng.random() < 0.6 and "p" in verb.subj:
        subj = _Subj(list(prev_subj.fr), list(prev_subj.en), prev_subj.person, prev_subj.g,
                     prev_subj.plural, prev_subj.pron, set(), prev_subj.cats)
    tense = _weighted(rng, ("pres", "past", "fut"), (0.45, 0.3, 0.25))
    neg = rng.random() < 0.25
    return _clause_verbal(rng, verb, "decl", tense=tense, neg=neg, subj=subj, forced_ref=ref)


def _sample_sentence(rng: random.Random, n_clauses: int) -> Tuple[List[str], List[str], Set[str]]:
    """French tokens (elided), English tokens, phenomenon tags."""
    if n_clauses == 1:
        if rng.random() < 0.3:
            mode = _weighted(rng, _Q_MODES, _Q_MODE_WEIGHTS)
        else:
            mode = "decl"
        cl = _sample_clause(rng, mode)
        fr, en = _maybe_front_time(rng, cl) if mode == "decl" else (cl.fr, cl.en)
        return _elide(fr), _en_article_fix(en), set(cl.tags)
    clauses: List[_Clause] = []
    conjs: List[Tuple[Tuple[str, ...], Tuple[str, ...]]] = []
    if rng.random() < 0.12 and n_clauses == 2:
        # conditional: « si » + present, main clause present or future
        cond = _sample_clause(rng, "decl", tense="pres")
        main = _sample_clause(rng, "decl", tense=rng.choice(("pres", "fut", "fut")))
        tags = cond.tags | main.tags | {"conjunction"}
        if rng.random() < 0.5:
            fr = ["si"] + cond.fr + main.fr
            en = ["if"] + cond.en + main.en
        else:
            fr = main.fr + ["si"] + cond.fr
            en = main.en + ["if"] + cond.en
        return _elide(fr), _en_article_fix(en), tags
    first = _sample_clause(rng, "decl")
    clauses.append(first)
    while len(clauses) < n_clauses:
        prev = clauses[-1]
        used = {c[0] for c in conjs}
        options = [c for c in _CONJUNCTIONS if c[0] not in used]  # never « mais ... mais »
        conj = _weighted(rng, options, [c[2] for c in options])
        nxt = None
        if prev.ref is not None and conj[0][0] in ("et", "mais", "donc") and rng.random() < 0.45:
            nxt = _anaphoric_clause(rng, prev.ref, prev.subj)
        if nxt is None:
            nxt = _sample_clause(rng, "decl")
        clauses.append(nxt)
        conjs.append((conj[0], conj[1]))
    fr, en = _maybe_front_time(rng, clauses[0])
    tags = set(clauses[0].tags) | {"conjunction"}
    for (c_fr, c_en), cl in zip(conjs, clauses[1:]):
        fr += list(c_fr) + cl.fr
        en += list(c_en) + cl.en
        tags |= cl.tags
    return _elide(fr), _en_article_fix(en), tags


def _maybe_front_time(rng: random.Random, cl: _Clause) -> Tuple[List[str], List[str]]:
    """Copies of the clause tokens, with a final time adjunct moved to the front 30% of the time.

    « demain je verrai le chien » -> "tomorrow i will see the dog".
    """
    nf, ne = cl.time_n
    if nf and ne and rng.random() < 0.3:
        return cl.fr[-nf:] + cl.fr[:-nf], cl.en[-ne:] + cl.en[:-ne]
    return list(cl.fr), list(cl.en)




def sample_sentence(rng: random.Random, n_clauses: int) -> Tuple[List[str], List[str], Set[str]]:
    """One synchronous derivation: (French tokens, English tokens, phenomenon tags)."""
    return _sample_sentence(rng, n_clauses)



# =========================================================================== vocabulary
#
# Derived, not enumerated: the word types are the forms of the lexicon entries and of the
# closed-class tables above (computed with the same morphology functions the rules call:
# _finite, _agree_pp, _invert), the few function words the rules write inline
# (_INLINE_WORDS), and the French orthography closure (_elide) over them.  This is a sound
# over-approximation: every emitted token is in it (tests/test_grammar.py checks that on
# generated text), some elided combinations (« j'arbre ») are never produced.

#: Words the rules write inline (question frames, negation, time and weather expressions).
_INLINE_WORDS = {
    "fr": "qui ne pas un une des de du la le les au aux à est-ce que où quand pourquoi il y a heure heures an ans "
          "jours semaines dans dernier dernière prochain prochaine aujourd'hui matin soir après-midi chaque jour "
          "tous semaine week-end hier mois année demain bientôt ce cet cette ces si fait fera",
    "en": "who not the a an any to at in on for where when why what o'clock ago years year old it weather "
          "today morning evening afternoon every day week weekends yesterday last night month next tomorrow soon "
          "this tonight days weeks these if is",
}


def _compute_vocabulary() -> Tuple[FrozenSet[str], FrozenSet[str], FrozenSet[str], FrozenSet[str]]:
    """(french types, english types, french verb forms, english verb forms)."""
    atoms: Set[str] = set(_INLINE_WORDS["fr"].split())
    en: Set[str] = set(_INLINE_WORDS["en"].split())
    fr_vf: Set[str] = set()
    en_vf: Set[str] = {"am", "is", "are", "was", "were", "be", "will", "do", "does", "did"}
    # --- open classes (lexicon files)
    for noun in _NOUNS:
        atoms.update(w for w in (noun.sg, noun.pl) if w)
        en.update(noun.en_sg + (noun.en_pl or ()))
    for adj in _ADJS:
        atoms.update(adj.forms)
        atoms.update(w for w in (adj.ms_vowel,) if w)
        en.update(w for w in (adj.en, adj.en_pred_person, adj.en_attr_person, adj.en_masc_person) if w)
    for word, en_words, _ in _NUMBERS:
        atoms.add(word)
        en.update(en_words.split())
    for word, en_word, _ in _NAMES:
        atoms.add(word)
        en.add(en_word)
    for prep, noun, _, at, to, _ in _PLACE_TABLE:
        atoms.update(prep + (noun,))
        en.update(at.split() + (to.split() if to else []))
    for word, en_word in _DAYS:
        atoms.add(word)
        en.update((en_word, en_word + "s"))
    for word, en_words in _MANNER_EN.items():
        atoms.add(word)
        en.update(en_words)
    for word, en_word, _ in _FREQ_ADVS:
        atoms.add(word)
        en.add(en_word)
    # --- closed classes (tables of this module)
    for word, _, en_word, _ in _SUBJ_PRONOUNS:
        atoms.add(word)
        en.add(en_word)
    for word, en_word in _PERSON_CLITICS.values():
        atoms.add(word)
        en.add(en_word)
    atoms.update(("lui", "leur") + tuple(_ELIDABLE))
    en.update(("him", "her", "them", "it", "me", "you", "us"))
    for ms, fs, pl, en_opts in _POSSESSIVES.values():
        atoms.update((ms, fs, pl))
        en.update(en_opts)
    for c_fr, c_en, _ in _CONJUNCTIONS:
        atoms.update(c_fr)
        en.update(c_en)
    for adj, en_subj, en_adj in _WEATHER_ADJ:
        atoms.add(adj)
        en.update(en_subj + (en_adj,))
    # --- verbs: finite forms through the rules' own morphology
    finite: List[Tuple[str, int]] = []
    for verb in _VERBS:
        motion = verb.kind in ("go", "leave", "stay")
        en_forms = verb.en[:2] if motion else verb.en  # motion verbs are never in the past
        en.update(en_forms + verb.prt)
        en_vf.update(en_forms)
        for person in range(6):
            finite += [(_finite(verb, "pres", person), person), (_finite(verb, "fut", person), person)]
            if not motion:
                finite.append((_finite(verb, "past", person), person))
        if not motion:
            fr_vf.update(_agree_pp(verb.pp, g, pl) for g in "mf" for pl in (False, True))
        if verb in _MODAL_INNER:
            fr_vf.add(verb.inf)
    vforms, vfut, vpp, ven = _VOULOIR
    for person in range(6):
        finite += [(vforms[person], person), (vfut + _FUT_END[person], person),
                   (_ETRE_PRES[person], person), (_ETRE_FUT + _FUT_END[person], person)]
    fr_vf.add(vpp)
    en.update(ven)
    en_vf.update(ven)
    for pres, fut, pp, ing, past, base in _WEATHER_VERBS:
        finite += [(pres, 2), (fut + "a", 2)]
        fr_vf.add(pp)
        en_vf.update((ing, past, base, base + "s"))
    finite += [("fait", 2), ("fera", 2)]
    fr_vf.add("fait")
    for form, person in finite:
        fr_vf.add(form)
        fr_vf.update(_invert(form, pron) for pron, p, _, _ in _SUBJ_PRONOUNS if p == person and pron in _INVERTIBLE)
    atoms |= fr_vf
    en |= en_vf
    # --- orthography: elision of a clitic/article/« que »/« si » before any type
    fr: Set[str] = set(atoms)
    for left in tuple(_ELIDABLE) + ("si",):
        for right in atoms:
            fr.update(_elide([left, right]))
    en.update(_en_article_fix(["a", w])[0] for w in list(en))
    return frozenset(fr), frozenset(en), frozenset(fr_vf), frozenset(en_vf)


_VOCAB_FR, _VOCAB_EN, _FR_VERB_FORMS, _EN_VERB_FORMS = _compute_vocabulary()
# _FR_VERB_FORMS: every French verb form (finite, inverted, participle, infinitive);
# _EN_VERB_FORMS: every English verb form (incl. auxiliaries).  Used by the tests.


def vocabulary() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """``(french_types, english_types)``: every whitespace token the rules can emit (computed once)."""
    return _VOCAB_FR, _VOCAB_EN

"""German -> English rules of the embedded corpus (the lexicon is in ``lexicons/de/*.tsv``).

German is the hard case of simultaneous translation: the finite verb of a
subordinate clause, the participle of the perfect, the infinitive after a modal
or « werden » and the particle of a separable verb all come at the *end* of
their clause, while English needs them early.  Phenomenon tags (:data:`PHENOMENA`):

``v2_inversion``
    a fronted adverb or clause puts the finite verb before the subject:
    « morgen rufe ich dich an » -> "tomorrow i will call you".
``subordinate_verb_final``
    a weil / dass / wenn / ob clause ends with its finite verb:
    « weil ich den hund gesehen habe » -> "because i saw the dog".
``perfect_tense``
    haben/sein + participle at the end: « ich habe den hund gesehen » -> "i saw the dog".
``separable_verb``
    the particle at the end: « ich rufe dich an » -> "i call you".
``modal_verb``
    können / wollen / müssen + infinitive at the end: « ich will schwimmen » -> "i want to swim".
``future_tense``
    werden + infinitive (or a present with a future adverb): "i will ...".
``negation``
    « nicht » or « kein »: « ich sehe keinen hund » -> "i do not see a dog".
``adjective_inflection``
    an attributive adjective with its strong/weak/mixed ending: « ein großer hund », « den großen hund ».
``question``
    verb-first yes/no question or a wh-question (« was hast du gekauft »).
``number``
    a cardinal number (determiner, « um drei uhr », « vor drei tagen »).
``conjunction``
    clauses joined by und / aber / oder or a subordinate clause.
``verb_final``
    any of subordinate_verb_final, perfect_tense, separable_verb, modal_verb or a
    werden future: some verbal information the English needs comes last.

Text format as for every grammar: lower case, single spaces, no punctuation
(no commas before subordinate clauses).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from .base import read_lexicon, weighted
from .english import en_article_fix, en_be_group, en_verb_group

SRC = "de"
#: espeak-ng voice of the source speech (speaker variants: :func:`..tts.source_speakers`).
SOURCE_VOICE = "de"
TGT = "en"
#: Source SentencePiece size of the embedded corpus (:func:`.source_vocab_size`). At 1 000 (or
#: 300) pieces, nearly one per German word, the ASR CTC head of the default recipe stays at the
#: unigram prior for the whole budget and the encoder learns nothing; at 50 (about the
#: characters) it learns from the first updates (docs/training.md, "Source vocabulary per pair").
SRC_VOCAB_SIZE = 50

PHENOMENA: Tuple[str, ...] = (
    "v2_inversion",
    "subordinate_verb_final",
    "perfect_tense",
    "separable_verb",
    "modal_verb",
    "future_tense",
    "negation",
    "adjective_inflection",
    "question",
    "number",
    "conjunction",
    "verb_final",
)
_VERB_FINAL_TAGS = frozenset({"subordinate_verb_final", "perfect_tense", "separable_verb", "modal_verb", "werden"})

SRC_CHARSET: FrozenSet[str] = frozenset("abcdefghijklmnopqrstuvwxyz" "äöüß" " ")
TGT_CHARSET: FrozenSet[str] = frozenset("abcdefghijklmnopqrstuvwxyz" "'- ")

# =========================================================================== lexicon


@dataclass(frozen=True)
class _Noun:
    sg: str
    g: str  # m f n
    pl: Optional[str]
    en_sg: str
    en_pl: Optional[str]
    cats: FrozenSet[str]

    @property
    def mass(self) -> bool:
        return self.pl is None

    def form(self, case: str, plural: bool) -> str:
        if plural:
            pl = self.pl
            if case == "dat" and not pl.endswith(("n", "s")):
                return pl + "n"
            return pl
        if "weak" in self.cats and case != "nom":
            return self.sg + ("n" if self.sg.endswith(("e", "er", "ar")) else "en")
        return self.sg


@dataclass(frozen=True)
class _Verb:
    inf: str
    stem23: Optional[str]
    pp: str
    aux: str
    particle: str
    en: Tuple[str, str, str]
    en_prt: Tuple[str, ...]
    kind: str
    args: Tuple[str, ...]

    @property
    def base(self) -> str:
        return self.inf[len(self.particle):]


_NOUNS = tuple(
    _Noun(r["sg"], r["gender"], None if r["pl"] == "-" else r["pl"], r["en_sg"],
          None if r["en_pl"] == "-" else r["en_pl"], frozenset(r["cats"].split()))
    for r in read_lexicon("de", "nouns")
)
_ADJS = tuple((r["stem"], r["en"], frozenset(r["cats"].split())) for r in read_lexicon("de", "adjectives"))
_VERBS = tuple(
    _Verb(r["inf"], None if r["stem23"] == "-" else r["stem23"], r["participle"], r["aux"], r["particle"],
          tuple(r["en_forms"].split()), tuple(r["en_particle"].split()), r["kind"], tuple(r["args"].split()))
    for r in read_lexicon("de", "verbs")
)
_NAMES = tuple((r["name"], r["en"], r["gender"]) for r in read_lexicon("de", "names"))
_NUMBERS = {int(r["value"]): (r["word"], r["en"].split()) for r in read_lexicon("de", "numbers")}
_PLACES = tuple((r["at"].split(), r["en_at"].split(), r["to"].split(), r["en_to"].split())
                for r in read_lexicon("de", "places"))
_DAYS = tuple((r["word"], r["en"]) for r in read_lexicon("de", "days"))
_ADVERBS = read_lexicon("de", "adverbs")
_MANNER = {r["word"]: r["en"].split() for r in _ADVERBS if r["kind"] == "manner"}
_TIMES = tuple((r["word"].split(), r["en"].split(), frozenset(r["tenses"].split()), r["future"] == "yes")
               for r in _ADVERBS if r["kind"] == "time")

# =========================================================================== closed classes

#: Subject pronouns: german, person (0 ich .. 5 sie), english, gender.
_SUBJ_PRONOUNS = (("ich", 0, "i", None), ("du", 1, "you", None), ("er", 2, "he", "m"), ("sie", 2, "she", "f"),
                  ("wir", 3, "we", None), ("ihr", 4, "you", None), ("sie", 5, "they", None))
_SUBJ_WEIGHTS = (0.22, 0.14, 0.17, 0.15, 0.12, 0.07, 0.13)
#: Object pronouns by person and gender: (accusative, dative, english).
_OBJ_PRONOUNS = {0: ("mich", "mir", "me"), 1: ("dich", "dir", "you"), "2m": ("ihn", "ihm", "him"),
                 "2f": ("sie", "ihr", "her"), 3: ("uns", "uns", "us"), 4: ("euch", "euch", "you"),
                 5: ("sie", "ihnen", "them")}
_HABEN = ("habe", "hast", "hat", "haben", "habt", "haben")
_SEIN = ("bin", "bist", "ist", "sind", "seid", "sind")
_WERDEN = ("werde", "wirst", "wird", "werden", "werdet", "werden")
#: Modals: forms, english (kind, forms): "can" is an auxiliary, the others take "to".
_MODALS = {
    "können": (("kann", "kannst", "kann", "können", "könnt", "können"), ("aux", ("can", "can", "could"))),
    "wollen": (("will", "willst", "will", "wollen", "wollt", "wollen"), ("to", ("want", "wants", "wanted"))),
    "müssen": (("muss", "musst", "muss", "müssen", "müsst", "müssen"), ("to", ("have", "has", "had"))),
}
_DEF = {"nom": ("der", "die", "das", "die"), "acc": ("den", "die", "das", "die"), "dat": ("dem", "der", "dem", "den")}
_EIN = {"nom": ("", "e", "", "e"), "acc": ("en", "e", "", "e"), "dat": ("em", "er", "em", "en")}  # ein-/kein-/mein- endings
_POSS = (("mein", "my"), ("dein", "your"), ("sein", "his"), ("ihr", "her"), ("unser", "our"), ("ihr", "their"))
_WEAK_END = {"nom": ("e", "e", "e", "en"), "acc": ("en", "e", "e", "en"), "dat": ("en", "en", "en", "en")}
_MIXED_END = {"nom": ("er", "e", "es", "en"), "acc": ("en", "e", "es", "en"), "dat": ("en", "en", "en", "en")}
_STRONG_END = {"nom": ("er", "e", "es", "e"), "acc": ("en", "e", "es", "e"), "dat": ("em", "er", "em", "en")}
_COORD = ((("und",), ("and",), 0.5), (("aber",), ("but",), 0.35), (("oder",), ("or",), 0.15))
#: Subordinating conjunctions: german, english, weight.
_SUBORD = (("weil", "because", 0.4), ("wenn", "when", 0.3), ("dass", "that", 0.0), ("ob", "whether", 0.0))
#: Verbs that embed a dass / ob clause: german inf, english forms, conjunction.
_EMBED = (("glauben", ("think", "thinks", "thought"), "dass"), ("sagen", ("say", "says", "said"), "dass"),
          ("hoffen", ("hope", "hopes", "hoped"), "dass"), ("wissen", ("know", "knows", "knew"), "dass"),
          ("wissen", ("know", "knows", "knew"), "ob"), ("fragen", ("ask", "asks", "asked"), "ob"))
_WISSEN = ("weiß", "weißt", "weiß", "wissen", "wisst", "wissen")
_WH = {"wann": "when", "warum": "why", "wo": "where", "was": "what"}
_INLINE = {"de": "nicht kein um uhr vor in tagen wochen jahren am eine einen einer einem", "en": "not a an any at "
           "o'clock ago in days weeks years on one no"}

# =========================================================================== morphology


def _stem(inf: str) -> str:
    return inf[:-1] if inf.endswith(("ern", "eln")) else inf[:-2]


def _needs_e(stem: str) -> bool:
    return stem.endswith(("t", "d", "ffn", "chn", "gn", "dm", "tm"))


def present(verb: _Verb, person: int) -> str:
    """Present-tense form of the verb (without a separable particle)."""
    base = verb.base
    if base == "wissen":
        return _WISSEN[person]
    stem = _stem(base)
    plural_end = "n" if base.endswith(("ern", "eln")) else "en"
    if person in (1, 2) and verb.stem23:
        s = verb.stem23
        if person == 1:
            return s + ("t" if s.endswith(("s", "ß", "z", "x")) else "st")
        return s if s.endswith("t") else s + "t"
    e = "e" if _needs_e(stem) else ""
    if person == 0:
        return stem + "e"
    if person == 1:
        return stem + (e + "t" if stem.endswith(("s", "ß", "z", "x")) else e + "st")
    if person in (2, 4):
        return stem + e + "t"
    return stem + plural_end


def _adj_form(stem: str, ending: str) -> str:
    if stem.endswith("e") and ending.startswith("e"):
        return stem + ending[1:]
    return stem + ending


def _slot(g: str, plural: bool) -> int:
    return 3 if plural else "mfn".index(g)


# =========================================================================== noun phrases


@dataclass
class _NP:
    de: List[str]
    en: List[str]
    person: int
    g: str
    plural: bool
    definite: bool
    tags: Set[str] = field(default_factory=set)
    noun: Optional[_Noun] = None


def _np(rng: random.Random, cats: FrozenSet[str], case: str, *, neg: bool = False, adj_p: float = 0.35,
        num_p: float = 0.08, role: str = "obj") -> _NP:
    """A noun phrase in ``case``; ``neg`` turns an indefinite article into « kein »."""
    pool = [n for n in _NOUNS if n.cats & cats]
    noun = rng.choice(pool)
    adj = None
    if rng.random() < adj_p:
        adjs = [a for a in _ADJS if a[2] & noun.cats]
        if adjs:
            adj = rng.choice(adjs)
    tags: Set[str] = set()
    num = 0
    if noun.mass:
        plural = False
        det = weighted(rng, ("def", "bare", "poss"), (0.5, 0.0 if role == "subj" else 0.35, 0.15))
    elif rng.random() < num_p:
        plural, det = True, "num"
        num = rng.choice((2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 20))
    else:
        plural = rng.random() < 0.25
        det = weighted(rng, ("def", "indef", "poss"), (0.5, 0.32, 0.18))
    slot = _slot(noun.g, plural)
    head = noun.form(case, plural)
    definite = det in ("def", "poss")
    poss = rng.randrange(6)
    if det == "def":
        d_de, d_en, endings = [_DEF[case][slot]], ["the"], _WEAK_END
    elif det == "poss":
        d_de, d_en, endings = [_POSS[poss][0] + _EIN[case][slot]], [_POSS[poss][1]], _MIXED_END
    elif det == "num":
        d_de, d_en, endings = [_NUMBERS[num][0]], list(_NUMBERS[num][1]), _STRONG_END
        tags.add("number")
    elif det == "indef" and plural:
        if neg:
            d_de, d_en, endings = ["kein" + _EIN[case][slot]], ["any"], _MIXED_END
        else:
            d_de, d_en, endings = [], [], _STRONG_END
    elif det == "indef":
        d_de = [("kein" if neg else "ein") + _EIN[case][slot]]
        d_en, endings = ["a"], _MIXED_END
    else:  # bare mass noun
        if neg:
            d_de, d_en, endings = ["kein" + _EIN[case][slot]], ["any"], _MIXED_END
        else:
            d_de, d_en, endings = [], [], _STRONG_END
    if neg and det in ("indef", "bare"):
        tags.add("negation")
    en_head = (noun.en_pl if plural else noun.en_sg).split()
    de = d_de + ([_adj_form(adj[0], endings[case][slot])] if adj else []) + [head]
    en = d_en + ([adj[1]] if adj else []) + en_head
    if adj:
        tags.add("adjective_inflection")
    return _NP(de, en, 5 if plural else 2, noun.g, plural, definite, tags, noun)


def _person_np(rng: random.Random, case: str, adj_p: float = 0.2) -> _NP:
    if rng.random() < 0.3:
        name, en, g = rng.choice(_NAMES)
        return _NP([name], [en], 2, g, False, True)
    return _np(rng, frozenset({"p"}), case, adj_p=adj_p, num_p=0.03)


def _subject(rng: random.Random, cats=frozenset({"p"}), pron_p: float = 0.5) -> _NP:
    if rng.random() < pron_p:
        de, person, en, g = weighted(rng, _SUBJ_PRONOUNS, _SUBJ_WEIGHTS)
        return _NP([de], [en], person, g or rng.choice("mf"), person >= 3, True)
    if rng.random() < 0.3:
        return _person_np(rng, "nom")
    return _np(rng, cats, "nom", adj_p=0.25, num_p=0.05, role="subj")


def _obj_pronoun(rng: random.Random, subj_person: int, case: str) -> Tuple[str, str]:
    keys = [k for k in _OBJ_PRONOUNS if k != subj_person and not (subj_person == 3 and k == 0)
            and not (subj_person == 0 and k == 3) and not (subj_person in (1, 4) and k in (1, 4))]
    k = rng.choice(keys)
    acc, dat, en = _OBJ_PRONOUNS[k]
    return (acc if case == "acc" else dat), en


# =========================================================================== clauses


@dataclass
class _Clause:
    """A clause before linearisation: the German fields and the English pieces."""

    subj: _NP
    fin: str  # finite verb (or auxiliary / modal)
    mid: List[str]  # middle field after the subject (objects, negation, adverbs, places)
    right: List[str]  # right bracket: particle / participle / infinitive
    en_head: Tuple  # (tense, english verb forms, modal, en tail after the verb group)
    en_tail: List[str]
    tags: Set[str]
    time: Optional[Tuple[List[str], List[str]]] = None
    sep_particle: str = ""  # present tense of a separable verb: joins the verb in final position
    gap: Optional[str] = None  # wh-word (what)
    neg: bool = False
    time_at: int = 0  # the time adverb goes after this many middle-field tokens (the pronouns)


def _time(rng: random.Random, tense: str) -> Tuple[List[str], List[str], bool, Set[str]]:
    """(german, english, makes the english future, tags)."""
    r = rng.random()
    if r < 0.12 and tense != "perf":
        n = rng.randrange(1, 13)
        word, en = ("ein", ["one"]) if n == 1 else _NUMBERS.get(n, _NUMBERS[12])
        return ["um", word, "uhr"], ["at"] + list(en) + ["o'clock"], False, {"number"}
    if r < 0.22 and tense == "perf":
        n = rng.choice((2, 3, 4, 5, 6, 7, 8, 9, 10))
        unit = rng.choice((("tagen", "days"), ("wochen", "weeks"), ("jahren", "years")))
        return ["vor", _NUMBERS[n][0], unit[0]], list(_NUMBERS[n][1]) + [unit[1], "ago"], False, {"number"}
    if r < 0.32:
        d, e = rng.choice(_DAYS)
        return ["am", d], ["on", e], tense == "pres", set()
    opts = [t for t in _TIMES if tense in t[2]]
    de, en, _, fut = rng.choice(opts)
    return list(de), list(en), fut and tense == "pres", set()


def _verbal_clause(rng: random.Random, *, tense: str, neg: bool, modal: Optional[str] = None,
                   gap: Optional[str] = None, time_ok: bool = True, place_ok: bool = True) -> _Clause:
    """A clause headed by a lexical verb; tense: pres / perf / fut (modal: pres only)."""
    kinds = ("dobj", "dobj", "dobj", "ditr", "intr", "intr", "go")
    if gap == "was":
        kinds = ("dobj", "ditr")
    kind = rng.choice(kinds)
    pool = [v for v in _VERBS if v.kind == kind]
    if gap == "was":
        pool = [v for v in pool if set(v.args) - {"p", "a"}]
    verb = rng.choice(pool)
    subj = _subject(rng)
    tags: Set[str] = set(subj.tags)
    mid: List[str] = []
    en_obj: List[str] = []
    neg_done = False
    n_pron = 0
    # ---- objects
    if kind in ("dobj", "ditr"):
        cats = frozenset(verb.args) if gap != "was" else frozenset(verb.args) - {"p", "a"}
        rec_de: List[str] = []
        rec_en: List[str] = []
        if kind == "ditr":
            if rng.random() < 0.4:
                pde, pen = _obj_pronoun(rng, subj.person, "dat")
                rec_de, rec_en = [pde], [pen]
                n_pron = 1
            else:
                rnp = _person_np(rng, "dat")
                rec_de, rec_en = rnp.de, rnp.en
                tags |= rnp.tags
        if gap == "was":
            mid += rec_de
            en_obj = rec_en + list(verb.en_prt)
        elif kind == "dobj" and "p" in cats and rng.random() < 0.3:
            pde, pen = _obj_pronoun(rng, subj.person, "acc")
            mid.append(pde)
            n_pron = 1
            en_obj = list(verb.en_prt) + [pen]
        else:
            onp = _np(rng, cats, "acc", neg=neg)
            tags |= onp.tags
            if neg and "negation" in onp.tags:
                neg_done = True  # « kein »
            mid += rec_de + onp.de
            if kind == "ditr":
                en_obj = rec_en + onp.en
            else:
                en_obj = list(verb.en_prt) + onp.en
    else:
        en_obj = list(verb.en_prt)
    # ---- negation, manner, place / direction
    if neg and not neg_done:
        mid.append("nicht")
        tags.add("negation")
    elif neg:
        tags.add("negation")
    manner = [m for m in _MANNER if verb.kind == "intr" and m in verb.args]
    en_end: List[str] = []
    if manner and rng.random() < 0.4:
        m = rng.choice(manner)
        mid.append(m)
        en_end += _MANNER[m]
    if kind == "go" and place_ok:
        at, en_at, to, en_to = rng.choice(_PLACES)
        mid += to
        en_end += en_to
    elif kind == "go":
        pass
    elif place_ok and rng.random() < 0.2:
        at, en_at, to, en_to = rng.choice(_PLACES)
        mid += at
        en_end += en_at
    # ---- verb group
    right: List[str] = []
    sep = ""
    if modal:
        forms, _ = _MODALS[modal]
        fin = forms[subj.person]
        right = [verb.inf]
        tags |= {"modal_verb"}
    elif tense == "perf":
        fin = (_HABEN if verb.aux == "haben" else _SEIN)[subj.person]
        right = [verb.pp]
        tags.add("perfect_tense")
    elif tense == "fut":
        fin = _WERDEN[subj.person]
        right = [verb.inf]
        tags |= {"future_tense", "werden"}
    else:
        fin = present(verb, subj.person)
        if verb.particle:
            right = [verb.particle]
            sep = verb.particle
            tags.add("separable_verb")
    cl = _Clause(subj, fin, mid, right, (tense, verb.en, modal), en_obj + en_end, tags, sep_particle=sep,
                 gap=gap, neg=neg, time_at=n_pron)
    if time_ok and rng.random() < 0.3:
        t_de, t_en, fut, t_tags = _time(rng, tense if not modal else "pres")
        if fut and not modal:
            cl.en_head = ("fut", verb.en, None)
            cl.tags.add("future_tense")
        cl.time = (t_de, t_en)
        cl.tags |= t_tags
    return cl


def _en_clause(cl: _Clause, question: bool = False, wh: Optional[str] = None) -> List[str]:
    tense, forms, modal = cl.en_head
    en_tense = {"pres": "pres", "perf": "past", "fut": "fut"}[tense]
    subj_en = cl.subj.en
    if modal:
        kind, mforms = _MODALS[modal][1]
        if kind == "aux":
            aux = ["cannot"] if cl.neg and not question else ["can"]
            if question:
                group = aux + subj_en + (["not"] if cl.neg else []) + [forms[0]]
            else:
                group = subj_en + aux + [forms[0]]
        else:
            group = en_verb_group(subj_en, cl.subj.person, "pres", cl.neg, question, mforms) + ["to", forms[0]]
    else:
        group = en_verb_group(subj_en, cl.subj.person, en_tense, cl.neg, question, forms)
    en = ([wh] if wh else []) + group + cl.en_tail
    return en


def _de_main(cl: _Clause, *, front_time: bool, question: bool = False, wh: Optional[str] = None,
             fronted: Optional[List[str]] = None) -> Tuple[List[str], Set[str]]:
    """V2 main clause (or verb-first question); returns german tokens and extra tags."""
    tags: Set[str] = set()
    time_de = cl.time[0] if cl.time else []
    mid = list(cl.mid)
    # the time adverb goes before nicht / manner / place: after the pronoun and noun objects
    if time_de and not front_time:
        mid = mid[:cl.time_at] + time_de + mid[cl.time_at:]
    if wh:
        de = [wh, cl.fin] + cl.subj.de + mid + cl.right
    elif question:
        de = [cl.fin] + cl.subj.de + mid + cl.right
    elif fronted is not None:
        de = fronted + [cl.fin] + cl.subj.de + mid + cl.right
        tags.add("v2_inversion")
    elif front_time and time_de:
        de = time_de + [cl.fin] + cl.subj.de + mid + cl.right
        tags.add("v2_inversion")
    else:
        de = cl.subj.de + [cl.fin] + mid + cl.right
    return de, tags


def _de_sub(cl: _Clause, conj: str) -> List[str]:
    """Verb-final subordinate clause: conj subject middle-field [non-finite] finite."""
    time_de = cl.time[0] if cl.time else []
    if cl.sep_particle:
        tail = [cl.sep_particle + cl.fin]  # « ... anruft »
    else:
        tail = cl.right + [cl.fin]
    mid = cl.mid[:cl.time_at] + time_de + cl.mid[cl.time_at:]
    return [conj] + cl.subj.de + mid + tail


def _en_with_time(cl: _Clause, en: List[str], front: bool) -> List[str]:
    if not cl.time:
        return en
    return cl.time[1] + en if front else en + cl.time[1]


def _tense(rng: random.Random) -> Tuple[str, Optional[str]]:
    t = weighted(rng, ("pres", "perf", "fut", "modal"), (0.4, 0.3, 0.14, 0.16))
    if t == "modal":
        return "pres", rng.choice(tuple(_MODALS))
    return t, None


def _main_clause(rng: random.Random, question_p: float = 0.0) -> Tuple[List[str], List[str], Set[str]]:
    tense, modal = _tense(rng)
    q = rng.random() < question_p
    wh = None
    if q and rng.random() < 0.5:
        wh = rng.choice(tuple(_WH))
    neg = (not q) and rng.random() < 0.25
    cl = _verbal_clause(rng, tense=tense, neg=neg, modal=modal, gap="was" if wh == "was" else None,
                        time_ok=wh != "wann", place_ok=wh != "wo")
    front = bool(cl.time) and not q and rng.random() < 0.45
    de, tags = _de_main(cl, front_time=front, question=q, wh=wh)
    en = _en_clause(cl, question=q, wh=_WH[wh] if wh else None)
    en = _en_with_time(cl, en, front)
    tags |= cl.tags
    if q:
        tags.add("question")
    return de, en, tags


def _sub_clause(rng: random.Random, conj: str) -> Tuple[List[str], List[str], Set[str], _Clause]:
    tense, modal = _tense(rng)
    neg = rng.random() < 0.2
    cl = _verbal_clause(rng, tense=tense, neg=neg, modal=modal)
    de = _de_sub(cl, conj)
    en = _en_with_time(cl, _en_clause(cl), False)
    return de, en, cl.tags | {"subordinate_verb_final"}, cl


def _embedding(rng: random.Random, conj: str) -> Tuple[List[str], List[str], Set[str]]:
    """« ich glaube » / « er weiß nicht » (a main clause whose complement is a dass / ob clause)."""
    inf, en_forms, _ = rng.choice([e for e in _EMBED if e[2] == conj])
    subj = _subject(rng, pron_p=0.7)
    verb = _Verb(inf, None, "", "haben", "", en_forms, (), "intr", ())
    neg = conj == "ob" and inf == "wissen" and rng.random() < 0.6
    de = subj.de + [present(verb, subj.person)] + (["nicht"] if neg else [])
    en = en_verb_group(subj.en, subj.person, "pres", neg, False, en_forms)
    return de, en, {"negation"} if neg else set()


def _sample_sentence(rng: random.Random, n_clauses: int) -> Tuple[List[str], List[str], Set[str]]:
    if n_clauses == 1:
        de, en, tags = _main_clause(rng, question_p=0.3)
        return de, en_article_fix(en), tags
    parts_de: List[str] = []
    parts_en: List[str] = []
    tags: Set[str] = {"conjunction"}
    r = rng.random()
    if r < 0.2:  # fronted « wenn » / « weil » clause: the main clause inverts
        conj = weighted(rng, ("wenn", "weil"), (0.7, 0.3))
        s_de, s_en, s_tags, _ = _sub_clause(rng, conj)
        tense, modal = _tense(rng)
        if tense == "perf":  # « wenn ..., habe ich ... gesehen » reads oddly: present, future or modal
            tense = "fut"
        cl = _verbal_clause(rng, tense=tense, neg=rng.random() < 0.2, modal=modal, time_ok=False)
        m_de, m_tags = _de_main(cl, front_time=False, fronted=s_de)
        parts_de = m_de
        en_conj = "if" if conj == "wenn" else "because"
        parts_en = [en_conj] + s_en + _en_clause(cl)
        tags |= s_tags | m_tags | cl.tags
    elif r < 0.45:  # embedding verb + dass / ob clause
        conj = rng.choice(("dass", "ob"))
        e_de, e_en, e_tags = _embedding(rng, conj)
        s_de, s_en, s_tags, _ = _sub_clause(rng, conj)
        parts_de = e_de + s_de
        parts_en = e_en + [{"dass": "that", "ob": "whether"}[conj]] + s_en
        tags |= e_tags | s_tags
    elif r < 0.7:  # main clause + weil / wenn clause
        de, en, m_tags = _main_clause(rng)
        conj = weighted(rng, ("weil", "wenn"), (0.6, 0.4))
        s_de, s_en, s_tags, _ = _sub_clause(rng, conj)
        parts_de = de + s_de
        parts_en = en + [{"weil": "because", "wenn": "when"}[conj]] + s_en
        tags |= m_tags | s_tags
    else:  # coordination: both clauses V2
        de, en, m_tags = _main_clause(rng)
        c_de, c_en, _ = weighted(rng, _COORD, [c[2] for c in _COORD])
        de2, en2, tags2 = _main_clause(rng)
        parts_de = de + list(c_de) + de2
        parts_en = en + list(c_en) + en2
        tags |= m_tags | tags2
    if n_clauses >= 3:
        de3, en3, tags3 = _main_clause(rng)
        c_de, c_en, _ = weighted(rng, _COORD[:2], [c[2] for c in _COORD[:2]])
        parts_de += list(c_de) + de3
        parts_en += list(c_en) + en3
        tags |= tags3
    return parts_de, en_article_fix(parts_en), tags


def sample_sentence(rng: random.Random, n_clauses: int) -> Tuple[List[str], List[str], Set[str]]:
    """One synchronous derivation: (German tokens, English tokens, phenomenon tags)."""
    de, en, tags = _sample_sentence(rng, n_clauses)
    tags = set(tags)
    if tags & _VERB_FINAL_TAGS:
        tags.add("verb_final")
    tags.discard("werden")
    return de, en, tags


# =========================================================================== vocabulary
# Derived from the lexicon entries and the closed-class tables through the morphology functions
# above (present, Noun.form, _adj_form): no second copy of the syntax.


def _compute_vocabulary() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    de: Set[str] = set(_INLINE["de"].split())
    en: Set[str] = set(_INLINE["en"].split()) | {"cannot", "can", "to", "will", "do", "does", "did", "not"}
    for n in _NOUNS:
        for case in ("nom", "acc", "dat"):
            de.add(n.form(case, False))
            if n.pl:
                de.add(n.form(case, True))
        en.update(n.en_sg.split() + (n.en_pl.split() if n.en_pl else []))
    for stem, e, _ in _ADJS:
        de.update(_adj_form(stem, end) for table in (_WEAK_END, _MIXED_END, _STRONG_END)
                  for ends in table.values() for end in ends)
        en.add(e)
    for v in _VERBS:
        forms = [present(v, p) for p in range(6)]
        de.update(forms + [v.inf, v.pp] + ([v.particle] + [v.particle + f for f in forms] if v.particle else []))
        en.update(v.en + v.en_prt)
    for inf, forms, _ in _EMBED:
        de.update(present(_Verb(inf, None, "", "haben", "", forms, (), "intr", ()), p) for p in range(6))
        en.update(forms)
    for table in (_HABEN, _SEIN, _WERDEN):
        de.update(table)
    for forms, (_, eforms) in _MODALS.values():
        de.update(forms)
        en.update(eforms + ("want", "have"))
    for de_w, _, en_w, _ in _SUBJ_PRONOUNS:
        de.add(de_w)
        en.add(en_w)
    for acc, dat, e in _OBJ_PRONOUNS.values():
        de.update((acc, dat))
        en.add(e)
    for forms in _DEF.values():
        de.update(forms)
    for base in ("ein", "kein") + tuple(p for p, _ in _POSS):
        de.update(base + end for ends in _EIN.values() for end in ends)
    en.update(e for _, e in _POSS)
    en.add("the")
    for word, e in _NUMBERS.values():
        de.add(word)
        en.update(e)
    for name, e, _ in _NAMES:
        de.add(name)
        en.add(e)
    for at, en_at, to, en_to in _PLACES:
        de.update(at + to)
        en.update(en_at + en_to)
    for d, e in _DAYS:
        de.add(d)
        en.add(e)
    for r in _ADVERBS:
        de.update(r["word"].split())
        en.update(r["en"].split())
    for c_de, c_en, _ in _COORD:
        de.update(c_de)
        en.update(c_en)
    for s_de, s_en, _ in _SUBORD:
        de.add(s_de)
        en.add(s_en)
    en.update(("if", "because", "when", "that", "whether", "am", "is", "are"))
    for w, e in _WH.items():
        de.add(w)
        en.add(e)
    en.update(en_article_fix(["a", w])[0] for w in list(en))
    return frozenset(de), frozenset(en)


_VOCAB = _compute_vocabulary()


def vocabulary() -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """``(german_types, english_types)``: every whitespace token the rules can emit."""
    return _VOCAB


def lemma_count() -> int:
    """Number of distinct source lemmas in the lexicon (nouns, adjectives, verbs, adverbs)."""
    return len({n.sg for n in _NOUNS} | {a[0] for a in _ADJS} | {v.inf for v in _VERBS} | {r["word"] for r in _ADVERBS})

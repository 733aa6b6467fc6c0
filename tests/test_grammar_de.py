"""German -> English grammar (datasets/grammars/de.py, lexicon in datasets/lexicons/de/*.tsv)."""

import re
from collections import Counter

import pytest

from ctc_unity.datasets import grammar as G
from ctc_unity.datasets.grammars import de as DE

PAIR = "de-en"


@pytest.fixture(scope="module")
def pairs():
    return G.generate_pairs(2000, seed=0, lang_pair=PAIR)


def _tagged(pairs, tag):
    return [p for p in pairs if tag in p.phenomena]


_FINITE = set(DE._HABEN + DE._SEIN + DE._WERDEN) | {f for forms, _ in DE._MODALS.values() for f in forms}
_FINITE |= {DE.present(v, p) for v in DE._VERBS for p in range(6)}
_FINITE |= {v.particle + DE.present(v, p) for v in DE._VERBS if v.particle for p in range(6)}
_PARTICIPLES = {v.pp for v in DE._VERBS}
_INFINITIVES = {v.inf for v in DE._VERBS}
_PARTICLES = {v.particle for v in DE._VERBS if v.particle}
_NOUN_FORMS = {n.form(c, pl) for n in DE._NOUNS for c in ('nom', 'acc', 'dat') for pl in (False, True) if n.pl or not pl}


def test_lexicon_size():
    assert DE.lemma_count() >= 300


def test_determinism_and_seed(pairs):
    assert G.generate_pairs(300, seed=0, lang_pair=PAIR) == pairs[:300]
    assert G.generate_pairs(300, seed=1, lang_pair=PAIR) != pairs[:300]
    assert len({p.src for p in pairs}) == len(pairs)


def test_every_phenomenon_occurs(pairs):
    counts = Counter(t for p in pairs for t in p.phenomena)
    for tag in DE.PHENOMENA:
        assert counts[tag] >= 0.03 * len(pairs), (tag, counts[tag])


def test_charset_and_vocabulary(pairs):
    src_v, tgt_v = G.vocabulary(PAIR)
    for p in pairs:
        assert set(p.src) <= DE.SRC_CHARSET and set(p.tgt) <= DE.TGT_CHARSET, p
        assert set(p.src.split()) <= src_v, set(p.src.split()) - src_v
        assert set(p.tgt.split()) <= tgt_v, set(p.tgt.split()) - tgt_v


def _single(pairs, tag):
    return [p for p in _tagged(pairs, tag) if "conjunction" not in p.phenomena and "question" not in p.phenomena]


def test_weil_clause_ends_with_finite_verb(pairs):
    checked = 0
    for p in pairs:
        toks = p.src.split()
        if "weil" in toks and toks.index("weil") > 0 and " und " not in p.src and " aber " not in p.src \
                and " oder " not in p.src:
            assert toks[-1] in _FINITE, p  # « ... weil ich den hund gesehen habe »
            assert "because" in p.tgt.split(), p
            checked += 1
    assert checked >= 20


def test_perfect_ends_with_participle(pairs):
    checked = 0
    for p in _single(pairs, "perfect_tense"):
        toks = p.src.split()
        assert toks[-1] in _PARTICIPLES, p
        assert toks[1] in DE._HABEN + DE._SEIN or toks[0] in ("heute", "gestern") or len(toks) > 2, p
        checked += 1
    assert checked >= 30


def test_separable_particle_at_the_end(pairs):
    checked = 0
    for p in _single(pairs, "separable_verb"):
        toks = p.src.split()
        if "modal_verb" in p.phenomena or "perfect_tense" in p.phenomena or "future_tense" in p.phenomena:
            continue
        assert toks[-1] in _PARTICLES, p  # « ich rufe dich an »
        checked += 1
    assert checked >= 10


def test_modal_infinitive_at_the_end(pairs):
    checked = 0
    for p in _single(pairs, "modal_verb"):
        toks = p.src.split()
        assert toks[-1] in _INFINITIVES, p
        assert re.search(r"\b(can|cannot|want|wants|have|has) ", p.tgt), p
        checked += 1
    assert checked >= 20


def test_v2_inversion_puts_verb_second(pairs):
    checked = 0
    for p in _single(pairs, "v2_inversion"):
        toks = p.src.split()
        # a fronted time adverb (one to three words), then the finite verb, then the subject
        k = next(i for i, t in enumerate(toks) if t in _FINITE)
        assert 1 <= k <= 3, p
        assert toks[k + 1] not in _FINITE, p
        checked += 1
    assert checked >= 20


def test_negation(pairs):
    for p in _tagged(pairs, "negation"):
        toks = p.src.split()
        assert "nicht" in toks or any(t.startswith("kein") for t in toks), p
        assert "not" in p.tgt.split() or "cannot" in p.tgt.split(), p
    kein = [p for p in pairs if re.search(r"\bkein(e|en|em|er)?\b", p.src)]
    assert kein and all("negation" in p.phenomena for p in kein)


def test_adjective_inflection_endings(pairs):
    for p in _tagged(pairs, "adjective_inflection"):
        for m in re.finditer(r"\b(der|die|das|den|dem|ein|einen|einem|einer|eine)\s+(\S+)\s", p.src):
            art, word = m.groups()
            if word in _NOUN_FORMS:
                continue
            stem = next((a for a, _, _ in DE._ADJS if word.startswith(a) and len(word) - len(a) <= 2), None)
            if stem is None:
                continue
            end = word[len(stem):]
            if art == "ein":
                assert end in ("er", "es", "r", "s"), p  # « ein großer hund », « ein kleines kind »
            elif art in ("dem", "den", "einen", "einem", "einer"):
                assert end in ("en", "n"), p
            elif art in ("der", "das") and "der" in p.src.split()[:1]:
                assert end in ("e", "", "en", "n"), p


def test_questions(pairs):
    for p in _tagged(pairs, "question"):
        first = p.src.split()[0]
        assert first in _FINITE or first in DE._WH, p
        assert p.tgt.split()[0] in {"do", "does", "did", "will", "can", "what", "where", "when", "why"}, p


def test_numbers(pairs):
    nums = {w for w, _ in DE._NUMBERS.values()} | {"ein"}
    for p in _tagged(pairs, "number"):
        assert nums & set(p.src.split()), p


def test_verb_final_umbrella(pairs):
    for p in pairs:
        specific = {"subordinate_verb_final", "perfect_tense", "separable_verb", "modal_verb"} & set(p.phenomena)
        if specific:
            assert "verb_final" in p.phenomena, p


def test_german_voices():
    from ctc_unity.datasets import tts

    voices = tts.source_speakers("de")
    assert len({v.voice for v in voices}) >= 4 and all(v.voice.startswith("de+") for v in voices)


def test_embedded_corpus_gets_the_pairs_own_source_vocabulary():
    from ctc_unity.datasets.grammars import source_vocab_size
    from ctc_unity.datasets.prepare import PrepConfig

    # German words as single pieces keep the ASR CTC at its prior, and French ones leave it late and
    # at a varying update (docs/training.md): those corpora get small source vocabularies, Spanish
    # (which leaves it at once) the preparation's default
    from ctc_unity.datasets.grammars import fr as FR

    assert source_vocab_size("de-en") == DE.SRC_VOCAB_SIZE == 50
    assert source_vocab_size("fr-en") == FR.SRC_VOCAB_SIZE == 100
    assert source_vocab_size("es-en") is None
    assert PrepConfig.src_vocab_size == 1000
    with pytest.raises(ValueError, match="unknown language pair"):
        source_vocab_size("xx-en")


@pytest.mark.integration
def test_prepare_embedded_refuses_a_preparation_with_another_source_vocabulary(tmp_path):
    import subprocess
    from pathlib import Path

    from ctc_unity.datasets.grammars import source_vocab_size

    repo = Path(__file__).resolve().parents[1]
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "corpus_stats.json").write_text("{}")
    (tmp_path / "s2st" / "src_unigram1000").mkdir(parents=True)
    (tmp_path / "s2st" / "data_stats.json").write_text("{}")
    env = {"PATH": "/usr/bin:/bin", "LANG_PAIR": "de-en", "DATA_ROOT": str(tmp_path)}

    def prepare():
        return subprocess.run(["bash", "scripts/prepare_embedded.sh"], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=120)

    # a preparation made before the grammar chose its vocabulary must not be reused silently
    stale = prepare()
    assert stale.returncode == 2
    assert "src_unigram1000" in stale.stderr and f"asks for {source_vocab_size('de-en')} pieces" in stale.stderr
    assert (tmp_path / "s2st" / "data_stats.json").exists()  # nothing is deleted
    # the matching preparation is skipped as done
    (tmp_path / "s2st" / f"src_unigram{source_vocab_size('de-en')}").mkdir()
    done = prepare()
    assert done.returncode == 0 and "exists, skipped" in done.stdout

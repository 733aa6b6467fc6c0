#!/usr/bin/env python
"""Add a target-only split (target text spoken in the target voice, with units) to prepared data.

Stage 2 (``train_t2u.sh``) trains the unit path on target text alone, so any target text of the
domain is training data for it (see ``ctc_unity.datasets.target_set``). Sentences come from the
embedded grammar of the data's language pair (new ones: another seed, minus the corpus's own) or
from a text file (one normalized sentence per line).

Examples:
    python preprocess_scripts/prep_target_set.py --data data/embedded/s2st --grammar 40000
    python preprocess_scripts/prep_target_set.py --data data/embedded/s2st --text my_english.txt --split train_mine
Then: TARGET_SET=train_t2u bash train_t2u.sh
"""
import argparse
import logging
import os
import sys

from ctc_unity.datasets.target_set import (DEFAULT_SPLIT, corpus_targets, data_lang_pair, grammar_target_texts,
                                          prepare_target_set)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[2],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="prepared data folder (e.g. data/embedded/s2st)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--grammar", type=int, metavar="N", help="N new sentences of the data's embedded grammar")
    src.add_argument("--text", help="a text file, one target sentence per line")
    p.add_argument("--lang-pair", help="grammar of --grammar (default: the pair recorded in the data config)")
    p.add_argument("--seed", type=int, default=1, help="grammar seed (the corpus uses 0; default 1)")
    p.add_argument("--split", default=DEFAULT_SPLIT)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(levelname)s | %(name)s | %(message)s", force=True)
    try:
        if a.grammar is not None:
            pair = a.lang_pair or data_lang_pair(a.data)
            if not pair:
                raise ValueError(f"{a.data}: the data config records no language pair; pass --lang-pair")
            spm, known = corpus_targets(a.data)
            texts = grammar_target_texts(a.grammar, pair, seed=a.seed, exclude={spm.decode(k.split()) for k in known})
        else:
            if not os.path.isfile(a.text):
                raise FileNotFoundError(f"text file not found: {a.text}")
            with open(a.text, encoding="utf-8") as fh:
                texts = [line.strip() for line in fh]
        prepare_target_set(a.data, texts, split=a.split, workers=a.workers)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"prep_target_set: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

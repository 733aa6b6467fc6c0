#!/usr/bin/env python
"""Build the embedded EchoStream corpus (raw level): text + espeak-ng speech.

Examples (from the repository root)::

    python preprocess_scripts/build_corpus.py                       # grammar, 10000/300/300
    python preprocess_scripts/build_corpus.py --n-train 200 --n-dev 20 --n-test 20 --out-dir /tmp/c
    python preprocess_scripts/build_corpus.py --source tsv --tsv fra.tsv --src-col 1 --tgt-col 0 --normalize
    python preprocess_scripts/build_corpus.py --lang-pair de-en --out-dir data/embedded-de-en/raw

Output layout: see researches/ctc_unity/datasets/corpus.py.  Audio paths in the
split TSVs are relative to the directory of the TSV (i.e. ``--out-dir``).
Re-running the same command resumes an interrupted build.
"""

import argparse
import json
import logging
import os
import sys
import time


from ctc_unity.datasets import corpus  # noqa: E402
from ctc_unity.datasets.grammars import DEFAULT_LANG_PAIR, LANG_PAIRS  # noqa: E402

logger = logging.getLogger("build_corpus")


def parse_args(argv=None):
    """Parse command-line arguments (see ``--help``)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out-dir", default="data/embedded/raw", help="output directory (default: %(default)s)")
    p.add_argument("--lang-pair", default=os.environ.get("LANG_PAIR") or DEFAULT_LANG_PAIR,
                   choices=LANG_PAIRS,
                   help="grammar and source voices (default: $LANG_PAIR or %(default)s)")
    p.add_argument("--source", choices=("grammar", "tsv"), default="grammar", help="text source (default: %(default)s)")
    p.add_argument("--tsv", help="parallel TSV file (with --source tsv)")
    p.add_argument("--src-col", dest="src_col", type=int, default=0,
                   help="0-based source-language column of --tsv (default: %(default)s)")
    p.add_argument("--tgt-col", dest="tgt_col", type=int, default=1,
                   help="0-based English (target) column of --tsv (default: %(default)s)")
    p.add_argument("--normalize", action="store_true", help="lower-case and strip punctuation of TSV text")
    p.add_argument("--n-train", type=int, default=10000, help="train pairs (default: %(default)s; with --source tsv "
                   "an upper bound: train keeps at most this many of the pairs not in dev/test, 0 = all)")
    p.add_argument("--n-dev", type=int, default=300, help="dev pairs (default: %(default)s)")
    p.add_argument("--n-test", type=int, default=300, help="test pairs (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="text, split and speaker seed (default: %(default)s)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="synthesis processes (default: number of CPUs, %(default)s)")
    p.add_argument("--min-words", type=int, default=3, help="grammar: minimum words per sentence (default: %(default)s)")
    p.add_argument("--max-words", type=int, default=20, help="grammar: maximum words per sentence (default: %(default)s)")
    p.add_argument("--covered-eval", action="store_true",
                   help="grammar: keep only dev/test pairs whose characters all occur in train (needed for tiny "
                        "corpora, whose SentencePiece models would otherwise miss characters of dev/test)")
    p.add_argument("--no-progress", action="store_true", help="disable the progress bar")
    args = p.parse_args(argv)
    if args.source == "tsv" and not args.tsv:
        p.error("--source tsv requires --tsv PATH")
    return args


def covered_grammar_splits(args, oversample: int = 20) -> dict:
    """Grammar splits whose dev/test pairs use only characters seen in train (both languages).

    ``oversample`` times the requested dev+test pairs are drawn as candidates and the first
    covered ones are kept in order (deterministic per seed), as the tests' tiny corpus does.
    """
    n_eval = (args.n_dev + args.n_test) * oversample
    splits = corpus.grammar_splits(args.n_train, n_eval, 0, seed=args.seed,
                                   min_words=args.min_words, max_words=args.max_words, lang_pair=args.lang_pair)
    seen = {side: set("".join(getattr(p, side) for p in splits["train"])) for side in ("src", "tgt")}
    covered = [p for p in splits["dev"] if all(set(getattr(p, side)) <= seen[side] for side in ("src", "tgt"))]
    if len(covered) < args.n_dev + args.n_test:
        raise SystemExit(f"build_corpus: only {len(covered)} of {n_eval} candidate dev/test pairs are covered by "
                         f"the {args.n_train} train pairs; raise --n-train")
    return {"train": splits["train"], "dev": covered[: args.n_dev],
            "test": covered[args.n_dev: args.n_dev + args.n_test]}


def main(argv=None) -> int:
    """Entry point: build the corpus and print its statistics as JSON."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(levelname)s | %(name)s | %(message)s",
                        force=True)
    args = parse_args(argv)
    t0 = time.time()
    if args.source == "grammar" and args.covered_eval:
        splits = covered_grammar_splits(args)
    elif args.source == "grammar":
        splits = corpus.grammar_splits(args.n_train, args.n_dev, args.n_test, seed=args.seed,
                                       min_words=args.min_words, max_words=args.max_words,
                                       lang_pair=args.lang_pair)
    else:
        pairs = corpus.read_parallel_tsv(args.tsv, src_col=args.src_col, tgt_col=args.tgt_col, normalize=args.normalize)
        logger.info("read %d pairs from %s", len(pairs), args.tsv)
        splits = corpus.split_tsv_pairs(pairs, args.n_dev, args.n_test, seed=args.seed)
        if args.n_train > 0:
            splits["train"] = splits["train"][: args.n_train]
    logger.info("pairs per split: %s", {k: len(v) for k, v in splits.items()})
    stats = corpus.build_corpus(args.out_dir, splits, workers=args.workers, seed=args.seed,
                                progress=not args.no_progress, lang_pair=args.lang_pair)
    logger.info("done in %.1f s (%d WAV files synthesised) -> %s", time.time() - t0,
                stats.pop("synthesized_files"), os.path.abspath(args.out_dir))
    print(json.dumps(stats, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Convert CVSS-C (any X -> En pair: fr-en, de-en, es-en, ...) + Common Voice (X) into EchoStream raw manifests.

Example (from the repository root)::

    python preprocess_scripts/prep_cvss_raw.py --cv-root /data/cv-corpus-4/de \\
        --cvss-root /data/cvss-c/de-en --out-dir data/cvss-de-en/raw

The pair comes from the CVSS-C folder name or the clip names (``--lang-pair`` gives it); it
is recorded in ``corpus_stats.json`` and from there in the prepared data config.

Writes ``<out-dir>/<split>.tsv`` (absolute audio paths, see
researches/ctc_unity/datasets/cvss.py) and ``<out-dir>/corpus_stats.json``.
"""

import argparse
import json
import logging
import sys


from ctc_unity.datasets import cvss  # noqa: E402


def parse_args(argv=None):
    """Parse command-line arguments (see ``--help``)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cv-root", required=True, help="Common Voice language dir (clips/, train.tsv, ...)")
    p.add_argument("--cvss-root", required=True, help="CVSS-C language-pair dir (train.tsv, train/*.wav, ...)")
    p.add_argument("--out-dir", required=True, help="output directory for <split>.tsv")
    p.add_argument("--splits", nargs="+", default=["train", "dev", "test"], help="splits (default: %(default)s)")
    p.add_argument("--normalize", action="store_true", help="lower-case and strip punctuation of both texts")
    p.add_argument("--lang-pair", default=None,
                   help="<source>-en pair of the tree (default: from the CVSS-C folder name or the clip names)")
    p.add_argument("--no-durations", action="store_true", help="leave tgt_duration empty (skip WAV header reads)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    """Entry point: write the manifests and print the per-split join summary as JSON."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(levelname)s | %(name)s | %(message)s",
                        force=True)
    args = parse_args(argv)
    summary = cvss.build_cvss_raw(args.cv_root, args.cvss_root, args.out_dir, splits=args.splits,
                                  normalize=args.normalize, durations=not args.no_durations,
                                  lang_pair=args.lang_pair)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

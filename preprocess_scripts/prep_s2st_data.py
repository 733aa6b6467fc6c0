#!/usr/bin/env python
"""Prepare fairseq S2ST data (fbank, CMVN, SentencePiece, units, manifests, configs).

Example (embedded corpus):
    python preprocess_scripts/prep_s2st_data.py --raw-dir data/embedded/raw --out-dir data/embedded/s2st
Example (CVSS-C, after preprocess_scripts/prep_cvss_raw.py, with mHuBERT units):
    python preprocess_scripts/prep_s2st_data.py --raw-dir data/cvss-fr-en/raw --out-dir data/cvss-fr-en/s2st \
        --src-vocab-size 6000 --tgt-vocab-size 6000 --unit-extractor hubert \
        --hubert-checkpoint mhubert_base_vp_en_es_fr_it3.pt --hubert-layer 11 \
        --hubert-kmeans mhubert_base_vp_en_es_fr_it3_L11_km1000.bin
"""
import argparse
import logging
import os


from ctc_unity.datasets.prepare import SPLITS, PrepConfig, prepare  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--raw-dir", required=True, help="folder with raw {train,dev,test}.tsv")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--splits", nargs="+", default=list(SPLITS))
    p.add_argument("--src-vocab-size", type=int, default=1000)
    p.add_argument("--tgt-vocab-size", type=int, default=1000)
    p.add_argument("--unit-extractor", choices=["kmeans", "hubert"], default="kmeans")
    p.add_argument("--n-units", type=int, default=200, help="k-means clusters (kmeans extractor)")
    p.add_argument("--hubert-checkpoint")
    p.add_argument("--hubert-layer", type=int, default=11)
    p.add_argument("--hubert-kmeans")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--no-specaugment", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--strict-chars", action="store_true",
                   help="stop on a dev/test character outside the SentencePiece models (default: map it to <unk>, "
                        "count and log it; train always stops)")
    p.add_argument("--lang-pair", default=None,
                   help="<source>-<target> of the data (default: lang_pair of <raw-dir>/corpus_stats.json)")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s | %(levelname)s | %(name)s | %(message)s",
                        force=True)
    cfg = PrepConfig(raw_dir=a.raw_dir, out_dir=a.out_dir, splits=a.splits, src_vocab_size=a.src_vocab_size,
                     tgt_vocab_size=a.tgt_vocab_size, unit_extractor=a.unit_extractor, n_units=a.n_units,
                     hubert_checkpoint=a.hubert_checkpoint, hubert_layer=a.hubert_layer,
                     hubert_kmeans=a.hubert_kmeans, workers=a.workers, specaugment=not a.no_specaugment, seed=a.seed,
                     strict_chars=a.strict_chars, lang_pair=a.lang_pair)
    prepare(cfg)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Build the embedded corpus of LANG_PAIR and prepare it for fairseq (each step skipped when done).
# Variables: LANG_PAIR (fr-en; or de-en, es-en), DATA_ROOT (data/embedded for fr-en, else data/embedded-$LANG_PAIR), N_TRAIN/N_DEV/N_TEST (10000/300/300), WORKERS (nproc),
#            CORPUS_ARGS (more build_corpus.py options, e.g. "--max-words 8 --covered-eval"),
#            PREP_ARGS (more prep_s2st_data.py options, e.g. "--src-vocab-size 80 --n-units 50"; they come
#            after the pair's own --src-vocab-size, if its grammar sets one (grammars.source_vocab_size), and so override it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
DEFAULT_LANG_PAIR=$($PY -c "from ctc_unity.datasets.grammars import DEFAULT_LANG_PAIR as p; print(p)")
LANG_PAIR="${LANG_PAIR:-$DEFAULT_LANG_PAIR}"
if [ "$LANG_PAIR" = "$DEFAULT_LANG_PAIR" ]; then DATA_ROOT="${DATA_ROOT:-data/embedded}"; else DATA_ROOT="${DATA_ROOT:-data/embedded-$LANG_PAIR}"; fi
WORKERS="${WORKERS:-$(nproc)}"
t0=$(date +%s)
if [ ! -f "$DATA_ROOT/raw/corpus_stats.json" ]; then
  $PY preprocess_scripts/build_corpus.py --lang-pair "$LANG_PAIR" --out-dir "$DATA_ROOT/raw" --workers "$WORKERS" \
    --n-train "${N_TRAIN:-10000}" --n-dev "${N_DEV:-300}" --n-test "${N_TEST:-300}" ${CORPUS_ARGS:-}
  echo "[prepare] corpus built in $(( $(date +%s) - t0 )) s"
else echo "[prepare] corpus: $DATA_ROOT/raw exists, skipped"; fi
t1=$(date +%s)
SRC_VOCAB=$($PY -c "import sys; from ctc_unity.datasets.grammars import source_vocab_size as v; print(v(sys.argv[1]) or '')" "$LANG_PAIR")
if [ -f "$DATA_ROOT/s2st/data_stats.json" ] && [ -n "$SRC_VOCAB" ] && [[ "${PREP_ARGS:-}" != *--src-vocab-size* ]] \
   && [ ! -d "$DATA_ROOT/s2st/src_unigram$SRC_VOCAB" ]; then
  # A preparation from before the grammar set its vocabulary would be reused silently: refuse, keep the data.
  echo "[prepare] error: $DATA_ROOT/s2st was prepared with another source vocabulary ($(cd "$DATA_ROOT/s2st" && echo src_unigram*)), the $LANG_PAIR grammar asks for $SRC_VOCAB pieces: move it away and run again" >&2
  exit 2
fi
if [ ! -f "$DATA_ROOT/s2st/data_stats.json" ]; then
  $PY preprocess_scripts/prep_s2st_data.py --raw-dir "$DATA_ROOT/raw" --out-dir "$DATA_ROOT/s2st" --workers "$WORKERS" \
    ${SRC_VOCAB:+--src-vocab-size "$SRC_VOCAB"} ${PREP_ARGS:-}
  echo "[prepare] data prepared in $(( $(date +%s) - t1 )) s"
else echo "[prepare] data: $DATA_ROOT/s2st exists, skipped"; fi

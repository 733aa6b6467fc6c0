#!/usr/bin/env bash
# EchoStream main job on the embedded default corpus, from a fresh clone:
#   set-up (.venv, espeak-ng, ffmpeg) -> corpus (espeak-ng Fr->En) -> data preparation -> training
# Every stage skips what is already done, so a second run is fast.
# Variables: STAGES (default "corpus prep train"), DATA_ROOT (default data/embedded),
#            N_TRAIN/N_DEV/N_TEST (corpus size), WORKERS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/setup_env.sh
PY=.venv/bin/python
STAGES="${STAGES:-corpus prep train}"
DATA_ROOT="${DATA_ROOT:-data/embedded}"
WORKERS="${WORKERS:-$(nproc)}"
stamp() { date +%s; }
for stage in $STAGES; do
  t0=$(stamp)
  case "$stage" in
    corpus)
      if [ ! -f "$DATA_ROOT/raw/corpus_stats.json" ]; then
        $PY preprocess_scripts/build_corpus.py --out-dir "$DATA_ROOT/raw" --workers "$WORKERS" \
          --n-train "${N_TRAIN:-6000}" --n-dev "${N_DEV:-300}" --n-test "${N_TEST:-300}"
      else echo "[run] corpus: $DATA_ROOT/raw exists, skipped"; fi ;;
    prep)
      if [ ! -f "$DATA_ROOT/s2st/data_stats.json" ]; then
        $PY preprocess_scripts/prep_s2st_data.py --raw-dir "$DATA_ROOT/raw" --out-dir "$DATA_ROOT/s2st" --workers "$WORKERS"
      else echo "[run] prep: $DATA_ROOT/s2st exists, skipped"; fi ;;
    train)
      DATA="$DATA_ROOT/s2st" bash train.sh ;;
    *) echo "[run] unknown stage $stage" >&2; exit 2 ;;
  esac
  echo "[run] stage $stage: $(( $(stamp) - t0 )) s"
done

#!/usr/bin/env bash
# Stage 2 of the default recipe: train the unit path on the target text (--unit-states tokens)
# on top of a trained EchoStream model (stage 1: train.sh, the StreamSpeech multi-task recipe).
# The unit decoder then reads the written subwords (UnitTextEncoder, with word look-ahead)
# instead of MT decoder states computed on a source prefix, so what the agent synthesizes does
# not depend on how much source it has read, and a written word's units are complete when it
# is written. The speech encoder and the text decoders are frozen and not even run in training
# (about 1 update/s on 2 CPU cores); the stage-1 unit decoder is the starting point.
#   bash train_t2u.sh                    # runs/echostream_cpu -> runs/echostream_cpu_t2u (stage 1 trained if missing)
#   BASE=runs/cvss/checkpoints/checkpoint_best.pt RUN=runs/cvss_t2u DATA=/data/cvss-c/fr-en/s2st \
#       CONFIG=configs/echostream_gpu.yaml UPDATES=20000 bash train_t2u.sh
# Variables: BASE (stage-1 checkpoint), RUN (default runs/echostream_cpu_t2u), UPDATES (default 1704 = 12 epochs of the embedded corpus),
#            TARGET_SET (a target-only split of DATA, e.g. train_t2u from preprocess_scripts/prep_target_set.py:
#            target text spoken in the target voice; trained on beside train, dev stays the real dev),
#            TARGET_SET_SIZE (N > 0: first make the split train_t2u of N new sentences of the data's embedded
#            grammar, if not made yet, and train on it; only for data whose target voice is espeak-ng's),
#            and train.sh's DATA, CONFIG, DEVICE, EVAL. KEY=VALUE arguments override config entries.
# Re-running resumes from $RUN/checkpoints/checkpoint_last.pt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
DEFAULT_BASE=runs/echostream_cpu/checkpoints/checkpoint_best.pt
BASE="${BASE:-$DEFAULT_BASE}"
UPDATES="${UPDATES:-1704}"
export RUN="${RUN:-runs/echostream_cpu_t2u}"
if [ ! -f "$BASE" ]; then
  if [ "$BASE" = "$DEFAULT_BASE" ]; then RUN=runs/echostream_cpu bash train.sh
  else echo "[train_t2u] stage-1 checkpoint not found: $BASE" >&2; exit 1; fi
fi
DATA="${DATA:-data/embedded/s2st}"
if [ "${TARGET_SET_SIZE:-0}" -gt 0 ]; then
  TARGET_SET="${TARGET_SET:-train_t2u}"
  MADE=$(.venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1])).get('texts_given', 0))" \
         "$DATA/target_set/$TARGET_SET/stats.json" 2>/dev/null || echo 0)
  if [ "$MADE" != "$TARGET_SET_SIZE" ]; then  # not made yet, or made at another size: prep_target_set refuses other texts
    .venv/bin/python preprocess_scripts/prep_target_set.py --data "$DATA" --grammar "$TARGET_SET_SIZE" --split "$TARGET_SET"
  fi
fi
SUBSET=()
if [ -n "${TARGET_SET:-}" ]; then
  [ -f "$DATA/$TARGET_SET.tsv" ] || { echo "[train_t2u] target set $DATA/$TARGET_SET.tsv not found (preprocess_scripts/prep_target_set.py)" >&2; exit 1; }
  SUBSET=("train-subset=train,$TARGET_SET")
  mkdir -p "$RUN"; cp "$DATA/target_set/$TARGET_SET/stats.json" "$RUN/target_set.json" 2>/dev/null || true
  echo "[train_t2u] training on train + the target-only split $TARGET_SET"
else
  rm -f "$RUN/target_set.json"  # the run summary must not report a target set this run does not use
fi
# checkpoint_best.pt is the one with the lowest dev unit CTC loss: only the unit path trains here, and the
# weighted total (a mean of per-batch sums) rose from epoch 7 while the unit loss still fell (2026-12-07 run).
bash train.sh unit-states=tokens "${SUBSET[@]}" train-unit-decoder-only=true finetune-from-model="$BASE" \
  stop-time-hours=0 max-update="$UPDATES" warmup-updates=200 best-checkpoint-metric=unit_ctc_loss "$@"

#!/usr/bin/env bash
# EchoStream main job, from a fresh clone: every stage, each skipped when already done.
#   bash run.sh                  # profile "full" (or "gpu" when torch sees CUDA): the embedded default corpus
#   PROFILE=quick bash run.sh    # the same stages on a tiny corpus and the tiny model: <= 15 min on 2 cores
# Stages (STAGES selects, in this order):
#   data       scripts/prepare_embedded.sh   corpus (espeak-ng Fr->En) + fairseq data preparation
#   train      train.sh                      stage 1: multi-task training + offline evaluation on test
#   t2u        train_t2u.sh                  stage 2: the unit path on the target text (+ TARGET_SET_SIZE new target
#                                            sentences spoken in the target voice) + offline evaluation
#   vocoder    train_vocoder.sh              CodeHiFiGAN unit vocoder
#   asr        train_asr.sh                  the CTC ASR that ASR-BLEU uses (the judge)
#   simuleval  simuleval.sh                  quality-latency sweep (S2TT and S2ST)
#   demo       scripts/demo_sample.sh        the live demo on a test utterance, as WAV and as 44.1 kHz stereo mp3
#   serve      scripts/serve_smoke.sh        the live server on a local port, one client session on the demo's input
#   summary    the headline tables from the run summary, where the translated sample and the plot are
# Profiles are variable files, configs/profiles/<PROFILE>.env (full, quick, gpu); they set the variables the
# stage scripts read, and any of them can be overridden from the environment. Every stage is fixed in
# updates/steps, so the result does not depend on the machine's speed (STOP_TIME_HOURS / MAX_MINUTES add
# wall-clock caps). Each stage's wall time, command and figures go to $SUMMARY_DIR/summary.json
# (python -m ctc_unity.run_summary; `... check --summary FILE` fails if a stage or a figure is missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
T0=$(date +%s)
bash scripts/setup_env.sh
PY=.venv/bin/python
echo "[run] set-up: $(( $(date +%s) - T0 )) s"
if [ -z "${PROFILE:-}" ]; then
  PROFILE=$($PY -c "import torch; print('gpu' if torch.cuda.is_available() else 'full')")
fi
[ -f "configs/profiles/$PROFILE.env" ] || { echo "[run] unknown profile $PROFILE (configs/profiles/*.env)" >&2; exit 2; }
# LANG_PAIR (fr-en, the default; de-en, es-en): the embedded corpus's pair. Other pairs get their own data
# and run folders (the profiles append PAIR_SUFFIX, "-de-en" etc.), so pairs never overwrite each other.
DEFAULT_LANG_PAIR=$($PY -c "from ctc_unity.datasets.grammars import DEFAULT_LANG_PAIR as p; print(p)")
LANG_PAIR="${LANG_PAIR:-$DEFAULT_LANG_PAIR}"
export LANG_PAIR
PAIR_SUFFIX=""; [ "$LANG_PAIR" = "$DEFAULT_LANG_PAIR" ] || PAIR_SUFFIX="-$LANG_PAIR"
# shellcheck source=configs/profiles/full.env
. "configs/profiles/$PROFILE.env"
if [ "$DEVICE" = auto ]; then DEVICE=$($PY -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')"); fi
STAGES="${STAGES:-data train t2u vocoder asr simuleval demo serve summary}"
SUMMARY="$SUMMARY_DIR/summary.json"
DEMO_DIR="$SUMMARY_DIR/demo"
MODEL="$T2U_RUN/checkpoints/checkpoint_best.pt"
mkdir -p "$SUMMARY_DIR"
echo "[run] profile $PROFILE, pair $LANG_PAIR, device $DEVICE, stages: $STAGES; summary: $SUMMARY"
export DEVICE

stage() {  # stage NAME [run_summary options] -- command...: skipped when done, recorded, one progress line
  local name="$1"; shift
  $PY -m ctc_unity.run_summary stage --stage "$name" --summary "$SUMMARY" --profile "$PROFILE" \
    --stages "${STAGES/summary/}" --expected "$EXPECTED" --start "$T0" "$@" 2> >(grep --line-buffered -v tensorboardX >&2)
}

for s in $STAGES; do
  case "$s" in
    data) stage data --data "$DATA" -- env DATA_ROOT="$DATA_ROOT" \
            N_TRAIN="${N_TRAIN:-10000}" N_DEV="${N_DEV:-300}" N_TEST="${N_TEST:-300}" \
            CORPUS_ARGS="${CORPUS_ARGS:-}" PREP_ARGS="${PREP_ARGS:-}" bash scripts/prepare_embedded.sh ;;
    train)
      # shellcheck disable=SC2086  # *_ARGS are word lists
      stage train --run "$STAGE1_RUN" --steps "${STAGE1_UPDATES:-0}" -- \
        env DATA="$DATA" CONFIG="$STAGE1_CONFIG" RUN="$STAGE1_RUN" \
        bash train.sh ${STAGE1_UPDATES:+max-update=$STAGE1_UPDATES} $STAGE1_ARGS ;;
    t2u)
      # shellcheck disable=SC2086
      stage t2u --run "$T2U_RUN" --steps "$T2U_UPDATES" --newer-than "$STAGE1_RUN/checkpoints/checkpoint_best.pt" -- \
        env DATA="$DATA" CONFIG="$STAGE1_CONFIG" BASE="$STAGE1_RUN/checkpoints/checkpoint_best.pt" RUN="$T2U_RUN" \
        UPDATES="$T2U_UPDATES" TARGET_SET_SIZE="$TARGET_SET_SIZE" bash train_t2u.sh $STAGE1_ARGS $T2U_ARGS ;;
    vocoder)
      # shellcheck disable=SC2086
      stage vocoder --run "$VOCODER_RUN" --steps "$VOCODER_STEPS" -- \
        env DATA="$DATA" CONFIG="$VOCODER_CONFIG" RUN="$VOCODER_RUN" MAX_STEPS="$VOCODER_STEPS" \
        bash train_vocoder.sh $VOCODER_ARGS ;;
    asr)
      # shellcheck disable=SC2086
      stage asr --run "$ASR_RUN" --steps "$ASR_STEPS" -- \
        env DATA="$DATA" RUN="$ASR_RUN" MAX_STEPS="$ASR_STEPS" bash train_asr.sh $ASR_ARGS ;;
    simuleval) stage simuleval --out "$SV_OUT" --newer-than "$MODEL" -- \
            env MODEL="$MODEL" DATA="$DATA" OUT="$SV_OUT" TASKS="$SV_TASKS" POLICIES="$SV_POLICIES" \
            SEGMENTS="$SV_SEGMENTS" MAX_INSTANCES="$SV_MAX_INSTANCES" VOCODER_RUN="$VOCODER_RUN" ASR_RUNS="$ASR_RUNS" \
            bash simuleval.sh ;;
    demo) stage demo --demo "$DEMO_DIR/sample.timeline.json" "$DEMO_DIR/sample_mp3.timeline.json" \
            --newer-than "$MODEL" --reference "@$DEMO_DIR/reference.txt" -- \
            env MODEL="$MODEL" DATA="$DATA" OUT="$DEMO_DIR" VOCODER_RUN="$VOCODER_RUN" bash scripts/demo_sample.sh ;;
    serve) stage serve --demo "$DEMO_DIR/served.timeline.json" "$DEMO_DIR/sample.timeline.json" --newer-than "$MODEL" -- \
            env MODEL="$MODEL" DATA="$DATA" OUT="$DEMO_DIR" VOCODER_RUN="$VOCODER_RUN" bash scripts/serve_smoke.sh ;;
    summary) $PY -m ctc_unity.run_summary table --summary "$SUMMARY" 2>/dev/null | tee "$SUMMARY_DIR/summary.md"
             echo "[run] summary: $SUMMARY (table: $SUMMARY_DIR/summary.md); total $(( $(date +%s) - T0 )) s this invocation" ;;
    *) echo "[run] unknown stage $s" >&2; exit 2 ;;
  esac
done

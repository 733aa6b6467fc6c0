#!/usr/bin/env bash
# Train the CodeHiFiGAN unit vocoder (HiFi-GAN / speech-resynthesis recipe, fairseq CodeGenerator
# with a duration predictor) on a prepared S2ST data folder.
#   bash train_vocoder.sh                                   # CPU config on data/embedded/s2st -> runs/vocoder_cpu, 10 000 steps
#   MAX_MINUTES=30 bash train_vocoder.sh                    # add a wall-clock cap (this invocation)
#   DATA=/data/cvss-c/fr-en/s2st CONFIG=configs/vocoder_paper.json RUN=runs/vocoder_paper DEVICE=cuda bash train_vocoder.sh
#   bash train_vocoder.sh --set batch_size=4 --max-steps 5000   # extra arguments go to train.py
# Variables: DATA, CONFIG, RUN (run directory: config.json, checkpoint_{last,best}.pt, training_state.pt,
#            tb/, train.log), MAX_STEPS (total steps, default 10000: the measured checkpoint of docs/results.md),
#            MAX_MINUTES (optional wall-clock cap of this invocation; empty: none), DEVICE (auto|cpu|cuda), THREADS.
# Re-running with the same RUN resumes from RUN/training_state.pt. The result loads with
#   ctc_unity.vocoder.load_vocoder(RUN)  or fairseq's CodeHiFiGANVocoder(RUN/checkpoint_best.pt, config).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/setup_env.sh
PY=.venv/bin/python
DATA="${DATA:-data/embedded/s2st}"
CONFIG="${CONFIG:-configs/vocoder_cpu.json}"
RUN="${RUN:-runs/$(basename "$CONFIG" .json)}"
DEVICE="${DEVICE:-auto}"
ARGS=(--data "$DATA" --config "$CONFIG" --run-dir "$RUN" --device "$DEVICE")
[ -n "${MAX_MINUTES:-}" ] && ARGS+=(--max-minutes "$MAX_MINUTES")
MAX_STEPS="${MAX_STEPS-10000}"
[ -n "$MAX_STEPS" ] && ARGS+=(--max-steps "$MAX_STEPS")
[ -n "${THREADS:-}" ] && ARGS+=(--threads "$THREADS")
if [ ! -f "$DATA/units/train.tsv" ]; then
  echo "[vocoder] $DATA/units/train.tsv not found: prepare the data first (bash scripts/prepare_embedded.sh)" >&2
  exit 1
fi
mkdir -p "$RUN"
echo "[vocoder] data=$DATA config=$CONFIG run=$RUN device=$DEVICE max_steps=${MAX_STEPS:-none} max_minutes=${MAX_MINUTES:-none}" | tee -a "$RUN/train.log"
t0=$(date +%s)
PYTHONWARNINGS="ignore::FutureWarning" $PY -m ctc_unity.vocoder.train "${ARGS[@]}" "$@" 2>&1 | tee -a "$RUN/train.log"
echo "[vocoder] wall time: $(( $(date +%s) - t0 )) s" | tee -a "$RUN/train.log"

#!/usr/bin/env bash
# EchoStream main job on the embedded default corpus, from a fresh clone:
#   set-up (.venv, espeak-ng, ffmpeg) -> corpus (espeak-ng Fr->En) -> data preparation
#   -> training (train.sh: multi-task training, then train_t2u.sh: the unit path on the target text;
#      each with an offline evaluation on the test set)
# Every stage skips what is already done. STAGES selects stages (default: "data train");
# further stages: vocoder (train_vocoder.sh), asr (train_asr.sh, the ASR of ASR-BLEU),
# simuleval (simuleval.sh: quality-latency sweep), e.g. STAGES="data train vocoder asr simuleval".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
t0=$(date +%s)
bash scripts/setup_env.sh
echo "[run] set-up: $(( $(date +%s) - t0 )) s"
for stage in ${STAGES:-data train}; do
  t1=$(date +%s)
  case "$stage" in
    data) bash scripts/prepare_embedded.sh ;;
    train) bash train.sh && bash train_t2u.sh ;;
    vocoder) bash train_vocoder.sh ;;
    asr) bash train_asr.sh ;;
    simuleval) bash simuleval.sh ;;
    *) echo "[run] unknown stage $stage" >&2; exit 2 ;;
  esac
  echo "[run] stage $stage: $(( $(date +%s) - t1 )) s"
done

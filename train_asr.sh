#!/usr/bin/env bash
# Train the toolkit's English character CTC ASR (for ASR-BLEU without a pretrained ASR)
# on the target speech of a corpus.
#   bash train_asr.sh                        # embedded corpus (train/dev target speech) -> runs/asr_ctc, 1 100 steps
#   MAX_MINUTES=90 bash train_asr.sh         # add a wall-clock cap to this invocation (default: none)
#   DATA=data/cvss-c/fr-en/s2st RUN=runs/asr_cvss bash train_asr.sh --d-model 256 --num-layers 8
# Re-running resumes from $RUN/checkpoint_last.pt with a fresh budget. Extra arguments go to
# researches/ctc_unity/asr_bleu/train_ctc_asr.py (see --help). Variables: DATA (prepared S2ST
# folder with simuleval/{train,dev}/{tgt_wav_list,target}.txt), RUN, MAX_STEPS (total steps; default 1100,
# about what the former 60-minute default reached on 2 cores, 1 068 steps; 0: no limit), MAX_MINUTES
# (optional wall-clock cap; empty: none),
# DEVICE (auto|cpu|cuda), THREADS (torch CPU threads, 0 = default), WORKERS (feature extraction),
# AUGMENT (robustness augmentations on top of SpecAugment; default "--tempo-perturb 0.15 --noise-std 0.3
# --smooth-prob 0.3 --gain-db 6 --pause-prob 0.5"; AUGMENT="" turns them off). Without them the ASR is
# brittle: a 10 % tempo change of the reference speech cost 20 BLEU, and pauses (which simultaneous
# output has) 30. New runs also floor log-mel energies 60 dB below each utterance's maximum
# (--dynamic-range-db), so that digital silence and a vocoder's or 16-bit PCM's noise floor look alike.
# To make an existing ASR robust, fine-tune it into a new run (how runs/asr_ctc_pause was made):
#   RUN=runs/asr_ctc_robust MAX_STEPS=600 AUGMENT="--tempo-perturb 0.15 --noise-std 0.3 --smooth-prob 0.3" \
#       bash train_asr.sh --init-from runs/asr_ctc/checkpoint_best.pt --cache-dir runs/asr_ctc/cache \
#       --lr 8e-4 --warmup 100 --eval-every 250 --dynamic-range-db 0
#   RUN=runs/asr_ctc_floor MAX_STEPS=400 AUGMENT="--tempo-perturb 0.15 --noise-std 0.3 --smooth-prob 0.3 --gain-db 6" \
#       bash train_asr.sh --dynamic-range-db 60 \
#       --init-from runs/asr_ctc_robust/checkpoint_best.pt --cache-dir runs/asr_ctc/cache --lr 8e-4 --warmup 100
#   RUN=runs/asr_ctc_pause MAX_STEPS=300 bash train_asr.sh --init-from runs/asr_ctc_floor/checkpoint_best.pt \
#       --cache-dir runs/asr_ctc/cache --lr 6e-4 --warmup 50 --eval-every 100
# Use the result with: scripts/asr_bleu.py --backend ctc:$RUN/checkpoint_best.pt ...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PY=.venv/bin/python
bash scripts/setup_env.sh
DATA="${DATA:-data/embedded/s2st}"
RUN="${RUN:-runs/asr_ctc}"
MAX_STEPS="${MAX_STEPS-1100}"
MAX_MINUTES="${MAX_MINUTES:-}"
SV="$DATA/simuleval"
if [ ! -f "$SV/train/tgt_wav_list.txt" ]; then
  if [ "$DATA" = "data/embedded/s2st" ]; then bash scripts/prepare_embedded.sh
  else echo "[train_asr] $SV/train/tgt_wav_list.txt not found: prepare the data first" >&2; exit 1; fi
fi
mkdir -p "$RUN"
echo "[train_asr] data=$DATA run=$RUN max_steps=${MAX_STEPS:-none} max_minutes=${MAX_MINUTES:-none}"
t0=$(date +%s)
$PY -m ctc_unity.asr_bleu.train_ctc_asr \
  --train-wav-list "$SV/train/tgt_wav_list.txt" --train-text "$SV/train/target.txt" \
  --dev-wav-list "$SV/dev/tgt_wav_list.txt" --dev-text "$SV/dev/target.txt" \
  --run-dir "$RUN" --max-minutes "${MAX_MINUTES:-1000000}" --max-steps "${MAX_STEPS:-0}" \
  --device "${DEVICE:-auto}" --threads "${THREADS:-0}" --workers "${WORKERS:-1}" \
  ${AUGMENT---tempo-perturb 0.15 --noise-std 0.3 --smooth-prob 0.3 --gain-db 6 --pause-prob 0.5} "$@"
echo "[train_asr] wall time: $(( $(date +%s) - t0 )) s; checkpoint: $RUN/checkpoint_best.pt"

#!/usr/bin/env bash
# Quality-latency evaluation with SimulEval: a sweep of source segment sizes, for S2TT and S2ST.
#   bash simuleval.sh                     # default model on the embedded test set
#   MODEL=ckpt.pt DATA=/data/cvss/s2st POLICIES="alignment" SEGMENTS="320 640" bash simuleval.sh
# Variables (defaults):
#   MODEL (runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt: the default recipe, train.sh + train_t2u.sh)
#   DATA (data/embedded/s2st)   SPLIT (test)
#   TASKS ("s2tt s2st")  POLICIES ("alignment word wait-k")  SEGMENTS ("160 320 640 1280 offline")
#   DEVICE (cpu|cuda)  MAX_INSTANCES (all)  OUT (runs/simuleval/<model run name>)
#   AGENT_ARGS (extra agent options, e.g. "--word-holdback 1" or "--vocoder-drain never")
#   SHARDS (unset/1: one simuleval process per run; N: the list split into N contiguous shards run in parallel,
#           merged in order and scored as one run: python -m ctc_unity.simuleval_shards, docs/evaluation.md)
#   SHARD_LAUNCHER (local | submitit: one Slurm array task per shard), SHARD_SLURM (submitit parameters, JSON),
#   SHARD_THREADS (OMP threads per local shard)
#   ASR_BACKEND (S2ST ASR-BLEU back end: ctc:<first of ASR_RUNS that train_asr.sh produced>/checkpoint_best.pt,
#                else pocketsphinx; ASR_RUNS default "runs/asr_ctc_pause runs/asr_ctc_floor runs/asr_ctc_robust runs/asr_ctc")
#   EXTRA_ASR_BACKENDS (S2ST: more judges scored on every run's wavs beside ASR_BACKEND, each with its ceiling;
#                default "pocketsphinx", an ASR independent of this project; "" for none):
#                OUT/<run>/asr_bleu_<kind>.json, the results.csv columns ASR_BLEU_<kind>(_CEILING)
#   VOCODER (S2ST vocoder config; default: the CodeHiFiGAN of train_vocoder.sh in VOCODER_RUN (runs/vocoder_cpu)
#            when trained, else the zero-training Griffin-Lim fallback with per-unit mean durations)
# Output: OUT/<task>_<policy>_<segment>/ (SimulEval logs, scores, wavs), OUT/results.csv, OUT/quality_latency.png
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/setup_env.sh
PY=.venv/bin/python
MODEL="${MODEL:-runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt}"
DATA="${DATA:-data/embedded/s2st}"
SPLIT="${SPLIT:-test}"
TASKS="${TASKS:-s2tt s2st}"
POLICIES="${POLICIES:-alignment word wait-k}"
SEGMENTS="${SEGMENTS:-160 320 640 1280 offline}"
DEVICE="${DEVICE:-cpu}"
if [ -z "${ASR_BACKEND:-}" ]; then
  ASR_BACKEND=pocketsphinx
  for c in ${ASR_RUNS:-runs/asr_ctc_pause runs/asr_ctc_floor runs/asr_ctc_robust runs/asr_ctc}; do
    c="$c/checkpoint_best.pt"
    if [ -f "$c" ]; then ASR_BACKEND="ctc:$c"; break; fi
  done
fi
OUT="${OUT:-runs/simuleval/$(basename "$(dirname "$(dirname "$MODEL")")")}"
mkdir -p "$OUT"
# The offline upper bound's encoder segment (40 ms frames): OFFLINE_SEGMENT, else the one train.sh's offline
# evaluation selected on dev (<run>/eval_test.json segment_selection), else full context (0).
if [ -z "${OFFLINE_SEGMENT:-}" ]; then
  OFFLINE_SEGMENT=$($PY -c 'import json, sys
try: print(json.load(open(sys.argv[1]))["segment_selection"]["segment_length"])
except (OSError, KeyError, ValueError): print(0)' "$(dirname "$(dirname "$MODEL")")/eval_test.json")
fi
if [ ! -f "$MODEL" ]; then
  if [ "$MODEL" = runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt ]; then bash train_t2u.sh
  else echo "[simuleval] model not found: $MODEL" >&2; exit 1; fi
fi
if [ -z "${VOCODER:-}" ]; then
  VOCODER=$($PY scripts/fallback_vocoder_config.py --data "$DATA" --out "$OUT/fallback_vocoder.json" \
    --prefer-trained "${VOCODER_RUN:-runs/vocoder_cpu}")
fi
echo "[simuleval] vocoder: $VOCODER; ASR-BLEU back end: $ASR_BACKEND"
LIST="$DATA/simuleval/$SPLIT"
SRC="$LIST/wav_list.txt"; TGT="$LIST/target.txt"; TGT_WAV="$LIST/tgt_wav_list.txt"
if [ -n "${MAX_INSTANCES:-}" ]; then
  head -n "$MAX_INSTANCES" "$SRC" > "$OUT/wav_list.txt"; head -n "$MAX_INSTANCES" "$TGT" > "$OUT/target.txt"
  head -n "$MAX_INSTANCES" "$TGT_WAV" > "$OUT/tgt_wav_list.txt"
  SRC="$OUT/wav_list.txt"; TGT="$OUT/target.txt"; TGT_WAV="$OUT/tgt_wav_list.txt"
fi
EXTRA_ASR_BACKENDS="${EXTRA_ASR_BACKENDS-pocketsphinx}"
extra_judges() {  # extra_judges RUN_DIR: the S2ST run's wavs scored by each extra judge not done yet
  local b name
  for b in $EXTRA_ASR_BACKENDS; do
    [ "$b" = "$ASR_BACKEND" ] && continue
    name="${b%%:*}"
    [ -f "$1/asr_bleu_$name.json" ] && continue
    $PY scripts/rescore_simuleval.py --output "$1" --asr-backend "$b" --asr-reference-wav-list "$TGT_WAV" \
      --asr-ceiling-cache "$OUT/ceiling_$name.json" >> "$1.log" 2>&1 || { tail -5 "$1.log"; exit 1; }
    echo "[simuleval]   $(tail -n 1 "$1.log")"
  done
}
for task in $TASKS; do
  case $task in
    s2tt) AGENT=agent/speech_to_text.s2tt.echostream.agent.py; QUALITY=(--quality-metrics BLEU)
          LATENCY=(AL AP DAL LAAL ATD StartOffset EndOffset RTF NumChunks) ;;
    s2st) AGENT=agent/speech_to_speech.echostream.agent.py
          QUALITY=(--user-dir researches/ctc_unity/asr_bleu --quality-metrics ASR_BLEU_OFFLINE ASR_BLEU_OFFLINE_CEILING
                   --asr-backend "$ASR_BACKEND" --asr-reference-wav-list "$TGT_WAV")
          LATENCY=(AL AP DAL LAAL ATD StartOffset EndOffset RTF NumChunks) ;;
    *) echo "[simuleval] unknown task $task" >&2; exit 2 ;;
  esac
  for policy in $POLICIES; do
    for seg in $SEGMENTS; do
      if [ "$seg" = offline ]; then SEG_ARGS=(--source-segment-size 320 --offline --encoder-segment-length "$OFFLINE_SEGMENT"); else SEG_ARGS=(--source-segment-size "$seg"); fi
      # offline is policy-independent: run once, with the first policy listed (alignment by default)
      [ "$seg" = offline ] && [ "$policy" != "${POLICIES%% *}" ] && continue
      dir="$OUT/${task}_${policy}_${seg}"
      if [ -f "$dir/scores.tsv" ] && [ -f "$dir/scores_ca.tsv" ]; then
        echo "[simuleval] $dir done, skipped"; [ "$task" = s2st ] && extra_judges "$dir"; continue
      fi
      rm -rf "$dir"
      echo "[simuleval] $task policy=$policy segment=$seg -> $dir"
      t0=$(date +%s)
      if [ "${SHARDS:-1}" -gt 1 ]; then
        # SHARDS contiguous shards as parallel processes (or a Slurm array: SHARD_LAUNCHER=submitit), merged
        # into $dir in the original order and scored there, computation-aware latency included
        $PY -m ctc_unity.simuleval_shards eval --shards "$SHARDS" --launcher "${SHARD_LAUNCHER:-local}" \
          ${SHARD_THREADS:+--threads "$SHARD_THREADS"} ${SHARD_SLURM:+--slurm "$SHARD_SLURM"} --output "$dir" -- \
          --agent "$AGENT" --model-path "$MODEL" --data-bin "$DATA" --source "$SRC" --target "$TGT" \
          --policy "$policy" "${SEG_ARGS[@]}" --device "$DEVICE" --vocoder "$VOCODER" ${AGENT_ARGS:-} \
          "${QUALITY[@]}" --latency-metrics "${LATENCY[@]}" > "$dir.log" 2>&1 || { tail -20 "$dir.log"; exit 1; }
      else
      .venv/bin/simuleval --agent "$AGENT" --model-path "$MODEL" --data-bin "$DATA" --source "$SRC" --target "$TGT" \
        --policy "$policy" "${SEG_ARGS[@]}" --device "$DEVICE" --vocoder "$VOCODER" --output "$dir" ${AGENT_ARGS:-} \
        "${QUALITY[@]}" --latency-metrics "${LATENCY[@]}" > "$dir.log" 2>&1 || { tail -20 "$dir.log"; exit 1; }
      # computation-aware latency of the same run (elapsed wall-clock instead of ideal delays)
      $PY scripts/rescore_simuleval.py --output "$dir" --latency-metrics "${LATENCY[@]}" >> "$dir.log" 2>&1
      fi
      [ "$task" = s2st ] && extra_judges "$dir"
      echo "[simuleval]   $(( $(date +%s) - t0 )) s"
    done
  done
done
$PY -m ctc_unity.simuleval_results --runs "$OUT" --csv "$OUT/results.csv" --plot "$OUT/quality_latency.png"

#!/usr/bin/env bash
# End-to-end comparison of EchoStream and the StreamSpeech baseline, in one run on one machine:
#   bash benchmarks/end_to_end.sh
# 1. the default EchoStream model (bash train.sh) is trained if missing;
# 2. the StreamSpeech baseline (--arch streamspeech) is trained if missing with the SAME budget:
#    same config, data, seed and batch size, and the same number of updates as the EchoStream
#    checkpoint (read from it), so machine load during training cannot favour either model;
# 3. both are evaluated with simuleval.sh side by side (one process per model, one thread each,
#    at the same time, so computation-aware latencies see the same load), for TASKS and SEGMENTS;
# 4. benchmarks/compare_end_to_end.py writes $RESULTS_<policy>.{csv,json,png} and prints the table.
# Variables: POLICIES ("word alignment"), TASKS ("s2tt s2st"), SEGMENTS ("160 320 640 1280 offline"),
#            MAX_INSTANCES (all), ASR_BACKEND and VOCODER (simuleval.sh's defaults), OUT (runs/benchmark_e2e),
#            RESULTS (benchmarks/results/end_to_end).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup_env.sh
PY=.venv/bin/python
ECHO=runs/echostream_cpu/checkpoints/checkpoint_best.pt
BASE=runs/echostream_cpu_streamspeech/checkpoints/checkpoint_best.pt
POLICIES="${POLICIES:-word alignment}"
OUT="${OUT:-runs/benchmark_e2e}"
RESULTS="${RESULTS:-benchmarks/results/end_to_end}"
[ -f "$ECHO" ] || bash train.sh
if [ ! -f "$BASE" ]; then
  UPDATES=$($PY -c "import sys,torch; print(torch.load(sys.argv[1], map_location='cpu', weights_only=False)['optimizer_history'][-1]['num_updates'])" "$ECHO")
  echo "[e2e] training the StreamSpeech baseline for $UPDATES updates (EchoStream's budget)"
  ARCH=streamspeech bash train.sh stop-time-hours=0 "max-update=$UPDATES"
fi
export POLICIES TASKS="${TASKS:-s2tt s2st}" SEGMENTS="${SEGMENTS:-160 320 640 1280 offline}"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$OUT"
t0=$(date +%s)
MODEL="$ECHO" OUT="$OUT/echostream" bash simuleval.sh > "$OUT/echostream.log" 2>&1 & p1=$!
MODEL="$BASE" OUT="$OUT/streamspeech" bash simuleval.sh > "$OUT/streamspeech.log" 2>&1 & p2=$!
rc=0; wait $p1 || rc=$?; wait $p2 || rc=$?
if [ $rc != 0 ]; then tail -5 "$OUT/echostream.log" "$OUT/streamspeech.log"; exit $rc; fi
echo "[e2e] evaluation wall time: $(( $(date +%s) - t0 )) s"
for policy in $POLICIES; do
  $PY benchmarks/compare_end_to_end.py --runs "echostream=$OUT/echostream" "streamspeech=$OUT/streamspeech" \
    --policy "$policy" --reference streamspeech --out "${RESULTS}_$policy"
done

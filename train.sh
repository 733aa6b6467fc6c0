#!/usr/bin/env bash
# Train EchoStream (or the StreamSpeech baseline) with fairseq-train.
#   bash train.sh                          # CPU default on the embedded corpus (prepared if missing)
#   DATA=/data/cvss-c/fr-en/s2st CONFIG=configs/echostream_gpu.yaml RUN=runs/cvss bash train.sh
#   bash train.sh arch=echostream_tiny max-epoch=1      # override config entries (KEY=VALUE)
#   ARCH=streamspeech bash train.sh                     # the StreamSpeech baseline, same budget -> runs/echostream_cpu_streamspeech
# Variables: DATA, CONFIG, ARCH, RUN (run directory: checkpoints/, tb/, train.log, dev_losses.csv,
#            dev_curves.png, eval_test.json),
#            DEVICE (auto|cpu|cuda; cuda adds --fp16), EVAL (1: offline evaluation on test at the end),
#            EVAL_SEGMENT (best: the offline upper bound, whole source with the training segment choice that
#            scores best on dev, recorded in eval_test.json segment_selection; or 0 = full context, or N),
#            STOP_TIME_HOURS (optional wall-clock cap; the default budget is the config's max-update, so the
#            model does not depend on the machine's speed).
# Distributed (fairseq's own torch.distributed training, started by torchrun; unset = one process as before):
#   NPROC_PER_NODE (processes per node: GPUs, or CPU ranks), NNODES (1), NODE_RANK (0),
#   MASTER_ADDR (127.0.0.1), MASTER_PORT (29500). World size NNODES x NPROC_PER_NODE; every rank reads
#   max-tokens per batch, so the effective batch is world x update-freq x max-tokens. On CUDA: nccl, c10d DDP;
#   on CPU: gloo and legacy_ddp (fairseq's c10d wrapper passes device_ids, which CPU DDP refuses).
#   DDP_ARGS: extra fairseq distributed flags (e.g. --find-unused-parameters). See docs/training.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/setup_env.sh
PY=.venv/bin/python
DATA="${DATA:-data/embedded/s2st}"
CONFIG="${CONFIG:-configs/echostream_cpu.yaml}"
RUN_NAME="$(basename "$CONFIG" .yaml)"; [ -n "${ARCH:-}" ] && RUN_NAME="${RUN_NAME}_${ARCH}"
RUN="${RUN:-runs/$RUN_NAME}"
DEVICE="${DEVICE:-auto}"
if [ ! -f "$DATA/config_gcmvn.yaml" ]; then
  if [ "$DATA" = "data/embedded/s2st" ]; then bash scripts/prepare_embedded.sh
  else echo "[train] $DATA/config_gcmvn.yaml not found: prepare the data first" >&2; exit 1; fi
fi
K=$($PY -c "import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))['n_units'])" "$DATA/config_gcmvn.yaml")
if [ "$DEVICE" = auto ]; then
  DEVICE=$($PY -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')")
fi
DEV_ARGS=(--cpu); [ "$DEVICE" = cuda ] && DEV_ARGS=(--fp16)
LAUNCH=(.venv/bin/fairseq-train)
if [ -n "${NPROC_PER_NODE:-}" ] || [ "${NNODES:-1}" -gt 1 ]; then
  NPROC_PER_NODE="${NPROC_PER_NODE:-1}"; NNODES="${NNODES:-1}"
  WORLD=$(( NNODES * NPROC_PER_NODE ))
  LAUNCH=(.venv/bin/torchrun --nnodes "$NNODES" --node_rank "${NODE_RANK:-0}" --nproc_per_node "$NPROC_PER_NODE"
          --master_addr "${MASTER_ADDR:-127.0.0.1}" --master_port "${MASTER_PORT:-29500}" .venv/bin/fairseq-train)
  DEV_ARGS+=(--distributed-world-size "$WORLD")
  if [ "$DEVICE" = cuda ]; then DEV_ARGS+=(--distributed-backend nccl)
  else DEV_ARGS+=(--distributed-backend gloo --ddp-backend legacy_ddp); fi
  # shellcheck disable=SC2206
  DEV_ARGS+=(${DDP_ARGS:-})
  echo "[train] distributed: $NNODES node(s) x $NPROC_PER_NODE process(es), this node rank ${NODE_RANK:-0}, world $WORLD"
fi
OVERRIDES=(); [ -n "${STOP_TIME_HOURS:-}" ] && OVERRIDES+=("stop-time-hours=$STOP_TIME_HOURS")
OVERRIDES+=("$@"); [ -n "${ARCH:-}" ] && OVERRIDES+=("arch=$ARCH")
mapfile -t ARGS < <($PY scripts/yaml_to_args.py "$CONFIG" "${OVERRIDES[@]}")
mkdir -p "$RUN"
echo "[train] data=$DATA config=$CONFIG run=$RUN device=$DEVICE units=$K"
t0=$(date +%s)
"${LAUNCH[@]}" "$DATA" --user-dir researches/ctc_unity "${ARGS[@]}" --target-code-size "$K" \
  --save-dir "$RUN/checkpoints" --tensorboard-logdir "$RUN/tb" "${DEV_ARGS[@]}" 2>&1 | tee -a "$RUN/train.log"
echo "[train] training wall time: $(( $(date +%s) - t0 )) s"
if [ -n "${WORLD:-}" ] && [ ! -f "$RUN/checkpoints/checkpoint_last.pt" ] && [ "${NODE_RANK:-0}" = 0 ]; then
  echo "[train] distributed run wrote no checkpoint in $RUN/checkpoints (see $RUN/train.log)" >&2; exit 1
fi
$PY scripts/training_report.py "$RUN/train.log" --plot "$RUN/dev_curves.png" || true
if [ "${EVAL:-1}" = 1 ] && [ "${NODE_RANK:-0}" = 0 ]; then
  $PY -m ctc_unity.evaluation --checkpoint "$RUN/checkpoints/checkpoint_best.pt" --data "$DATA" --split test \
    --device "$DEVICE" --segment-length "${EVAL_SEGMENT:-best}" --output "$RUN/eval_test.json"
fi

#!/usr/bin/env bash
# The live EchoStream server (WebSocket /v1/s2st, page /, health /healthz, info /v1/info) on
# 127.0.0.1:8000. No arguments: the default model of run.sh; MODEL=... VOCODER=... for others;
# any further option goes to `python -m server` (e.g. --host 0.0.0.0 --token T --max-sessions 4).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${ECHOSTREAM_VENV:-$ROOT/.venv}/bin/python"
[ -x "$PY" ] || { echo "serve.sh: no environment at $PY: run 'bash scripts/setup_env.sh' first" >&2; exit 1; }
MODEL="${MODEL:-$ROOT/runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt}"
if [ ! -f "$MODEL" ]; then
  echo "serve.sh: no model at $MODEL: train the default one with 'bash run.sh' (or set MODEL=path/to/checkpoint.pt)" >&2
  exit 1
fi
args=(--model "$MODEL")
[ -n "${VOCODER:-}" ] && args+=(--vocoder "$VOCODER")
[ -n "${VOCODER_CHECKPOINT:-}" ] && args+=(--vocoder-checkpoint "$VOCODER_CHECKPOINT")
cd "$ROOT"
exec "$PY" -m server "${args[@]}" "$@"

#!/usr/bin/env bash
# run.sh's serve stage: start the live server on a free local port, stream the demo stage's input
# through it with echostream-client (as fast as the socket takes it, VAD off), stop the server.
# The run summary checks that the session closed with 1000 and that its translation equals the
# file demo's for the same audio and options.
#   MODEL=... DATA=... OUT=runs/full/demo VOCODER_RUN=runs/vocoder_cpu bash scripts/serve_smoke.sh
# Needs OUT/input.wav (scripts/demo_sample.sh). Writes OUT/served.wav/.txt/.asr.txt/.timeline.json
# and OUT/server.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
: "${MODEL:=runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt}" "${DATA:=data/embedded/s2st}" "${OUT:=runs/full/demo}"
for f in "$MODEL" "$OUT/input.wav"; do
  [ -f "$f" ] || { echo "[serve] not found: $f (run the demo stage first)" >&2; exit 1; }
done
VOCODER=$($PY scripts/fallback_vocoder_config.py --data "$DATA" --out "$OUT/fallback_vocoder.json" \
  --prefer-trained "${VOCODER_RUN:-runs/vocoder_cpu}")
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$PY -m server --model "$MODEL" --data-dir "$DATA" --vocoder "$VOCODER" --device "${DEVICE:-cpu}" \
  --port "$PORT" --max-sessions 2 > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
$PY - "$PORT" <<'PYEOF' || { tail -20 "$OUT/server.log" >&2; exit 1; }
import sys, time, urllib.request
for _ in range(240):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2).read()
        sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit("[serve] the server did not answer /healthz within 120 s")
PYEOF
$PY -m server.client "$OUT/input.wav" --output "$OUT/served.wav" --url "ws://127.0.0.1:$PORT/v1/s2st" --speed 0 \
  --quiet > "$OUT/served.log" 2>&1 || { tail -20 "$OUT/served.log" "$OUT/server.log" >&2; exit 1; }
echo "[serve] $OUT/input.wav -> $OUT/served.wav over ws://127.0.0.1:$PORT/v1/s2st: $(cat "$OUT/served.txt")"

#!/usr/bin/env bash
# Idempotent set-up of everything EchoStream needs on a fresh Debian machine:
#   * Debian packages: espeak-ng (speech synthesis), ffmpeg (audio decoding), chromium and
#     chromium-driver (the page's real-browser tests, tests/test_page.py)
#   * .venv with pinned Python packages (see requirements.txt), fairseq-fixed built
#     with --no-build-isolation after torch/cython/numpy, then EchoStream itself
#     (pip install -e .: the packages ctc_unity and agent, the echostream-* commands).
# A second run only checks stamps and returns in seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ECHOSTREAM_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3

log() { echo "[setup] $*" >&2; }

# ---- Debian packages -------------------------------------------------------
need_apt=()
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium chromium-driver)
if ((${#need_apt[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# ---- Python virtual environment -------------------------------------------
STAMP="$VENV/.echostream-installed"
REQ_HASH="$(cat "$ROOT/requirements.txt" "$ROOT/pyproject.toml" "$ROOT/scripts/setup_env.sh" | sha256sum | cut -c1-16)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQ_HASH" ]; then
  exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
"${PIP[@]}" --upgrade "pip<25" "setuptools<70" wheel
log "installing torch/torchaudio and build requirements (several minutes on first run)"
"${PIP[@]}" -r "$ROOT/requirements-build.txt"
if ! "$VENV/bin/python" -c "import fairseq" >/dev/null 2>&1; then
  log "building fairseq-fixed (about 4 minutes)"
  "${PIP[@]}" --no-build-isolation "fairseq-fixed==0.12.3.1"
fi
"${PIP[@]}" -r "$ROOT/requirements.txt"
log "installing EchoStream itself (editable: packages ctc_unity and agent, commands echostream-*)"
"${PIP[@]}" --no-build-isolation --no-deps -e "$ROOT"
echo "$REQ_HASH" > "$STAMP"
log "environment ready: $VENV"

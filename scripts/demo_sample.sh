#!/usr/bin/env bash
# run.sh's demo stage: the live demo on one test utterance, as its WAV and as an mp3 at 44.1 kHz
# stereo (the path real recordings take: decoding, resampling, downmix).
#   MODEL=runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt DATA=data/embedded/s2st OUT=runs/full/demo \
#       bash scripts/demo_sample.sh
# Variables: MODEL, DATA, OUT, VOCODER_RUN (the CodeHiFiGAN of train_vocoder.sh, used when trained, else the
# Griffin-Lim fallback), DEVICE (cpu|cuda), UTT (line of the test list, default 1).
# Writes OUT/sample.wav + .txt/.asr.txt/.timeline.json (from the WAV), OUT/sample_mp3.* (from OUT/input.mp3),
# OUT/input.wav (a copy of the source), OUT/reference.txt (its reference translation).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
MODEL="${MODEL:-runs/echostream_cpu_t2u/checkpoints/checkpoint_best.pt}"
DATA="${DATA:-data/embedded/s2st}"
OUT="${OUT:-runs/full/demo}"
UTT="${UTT:-1}"
LIST="$DATA/simuleval/test"
for f in "$MODEL" "$LIST/wav_list.txt" "$LIST/target.txt"; do
  [ -f "$f" ] || { echo "[demo] not found: $f" >&2; exit 1; }
done
mkdir -p "$OUT"
SRC=$(sed -n "${UTT}p" "$LIST/wav_list.txt")
case "$SRC" in /*) ;; *) [ -f "$SRC" ] || SRC="$LIST/$SRC" ;; esac
cp "$SRC" "$OUT/input.wav"
sed -n "${UTT}p" "$LIST/target.txt" > "$OUT/reference.txt"
ffmpeg -nostdin -y -loglevel error -i "$OUT/input.wav" -ar 44100 -ac 2 -codec:a libmp3lame -b:a 128k "$OUT/input.mp3"
VOCODER=$($PY scripts/fallback_vocoder_config.py --data "$DATA" --out "$OUT/fallback_vocoder.json" \
  --prefer-trained "${VOCODER_RUN:-runs/vocoder_cpu}")
for input in input.wav input.mp3; do
  name=sample; [ "$input" = input.mp3 ] && name=sample_mp3
  $PY -m agent.demo --model "$MODEL" --data-bin "$DATA" --input "$OUT/$input" --output "$OUT/$name.wav" \
    --vocoder "$VOCODER" --device "${DEVICE:-cpu}" > "$OUT/$name.log" 2>&1 || { tail -20 "$OUT/$name.log" >&2; exit 1; }
  echo "[demo] $OUT/$input -> $OUT/$name.wav: $(cat "$OUT/$name.txt")"
done
echo "[demo] reference: $(cat "$OUT/reference.txt")"

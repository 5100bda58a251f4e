#!/usr/bin/env bash
# End-to-end timing of `dyno convert --to fp16` and `dyno quantize` (process start, calibration runs and the
# file write included) on the two shapes detectors. Calibration: the five preprocessed detector inputs of
# tests/fixtures/val/expected/tensors, and the same five repeated 20 times (100 samples) to show how calibration scales.
# Usage: bench/variants.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
dotnet publish src/Dyno.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o artifacts/dyno >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/calib5" "$tmp/calib100"
for f in tests/fixtures/val/expected/tensors/det_input_*.npy.gz; do cp "$f" "$tmp/calib5/"; done
for k in $(seq -w 1 20); do for f in "$tmp"/calib5/*.npy.gz; do ln -s "$f" "$tmp/calib100/${k}_$(basename "$f")"; done; done
echo "load: $(uptime | sed 's/.*load average: //')"
printf '%-22s %-34s %10s %10s %9s\n' model step "median s" "max s" "RSS MB"
time_it() { # label model args...
  local label=$1 model=$2; shift 2
  local times=() rss=0 out r
  for _ in $(seq "$runs"); do
    out=$( { /usr/bin/time -f "%e %M" artifacts/dyno/dyno "$@" -q --format json >/dev/null; } 2>&1 | tail -1)
    times+=("${out% *}"); r=${out#* }; [ "$r" -gt "$rss" ] && rss=$r
  done
  local sorted median max
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p"); max=$(echo "$sorted" | tail -1)
  printf '%-22s %-34s %10s %10s %9d\n' "$model" "$label" "$median" "$max" $((rss / 1024))
}
for m in shapes_det_n_v8 shapes_det_s_v8; do
  src=tests/fixtures/val/models/$m.onnx
  time_it "convert --to fp16" "$m" convert "$src" --to fp16 --out "$tmp/$m.fp16.onnx"
  time_it "quantize minmax, 5 samples" "$m" quantize "$src" --calib "$tmp/calib5" --out "$tmp/$m.int8.onnx"
  time_it "quantize minmax, 100 samples" "$m" quantize "$src" --calib "$tmp/calib100" --out "$tmp/$m.int8.onnx"
  time_it "quantize percentile, 100 samples" "$m" quantize "$src" --calib "$tmp/calib100" --method percentile --out "$tmp/$m.int8.onnx"
done
echo "load: $(uptime | sed 's/.*load average: //')"

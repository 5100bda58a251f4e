#!/usr/bin/env bash
# How much detection accuracy the FP16 and INT8 variants Dyno makes keep: runs the shapes detectors (FP32, FP16,
# INT8 calibrated on the first N val images' tensors) over the 200 val images with `dyno val` (the reference
# pipeline's preprocessing and decoding). Usage: bench/variants-map.sh [VAL_DIR] [CALIB_COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
val=${1:-tests/fixtures/val}
n=${2:-5}
rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
dotnet publish src/Dyno.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o artifacts/dyno >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/calib"
for f in "$val"/expected/tensors/det_input_*.npy.gz; do cp "$f" "$tmp/calib/"; done
models=()
for m in shapes_det_n_v8 shapes_det_s_v8; do
  cp "$val/models/$m.onnx" "$tmp/$m.fp32.onnx"
  artifacts/dyno/dyno convert "$tmp/$m.fp32.onnx" --to fp16 --out "$tmp/$m.fp16.onnx" -q --format json >/dev/null
  artifacts/dyno/dyno quantize "$tmp/$m.fp32.onnx" --calib "$tmp/calib" --calib-count "$n" --out "$tmp/$m.int8.onnx" -q --format json >/dev/null
  artifacts/dyno/dyno quantize "$tmp/$m.fp32.onnx" --calib "$tmp/calib" --calib-count "$n" --method percentile --out "$tmp/$m.int8p.onnx" -q --format json >/dev/null
  models+=("$tmp/$m.fp32.onnx" "$tmp/$m.fp16.onnx" "$tmp/$m.int8.onnx" "$tmp/$m.int8p.onnx")
done
printf '%-26s %10s %10s %12s\n' model AP AP50 "AP vs fp32"
for m in shapes_det_n_v8 shapes_det_s_v8; do
  base=""
  for v in fp32 fp16 int8 int8p; do
    stats=$(artifacts/dyno/dyno val "$tmp/$m.$v.onnx" --data "$val/det/instances_val.json" --images "$val/det/images" --format json -q \
      | /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; print(s["AP"], s["AP50"])')
    ap=${stats% *}; ap50=${stats#* }; [ -z "$base" ] && base=$ap
    printf '%-26s %10.4f %10.4f %12.4f\n' "$m.$v" "$ap" "$ap50" "$(/usr/bin/python3 -c "print($ap / $base)")"
  done
done

#!/usr/bin/env bash
# End-to-end timing of `dyno profile` (process start included) on every fixture model, and memory on a
# model with 1.5 GB of embedded weights. Usage: bench/profile.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
dotnet publish src/Dyno.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o artifacts/dyno >/dev/null
dotnet build bench/Dyno.Bench -c Release >/dev/null
tool="dotnet bench/Dyno.Bench/bin/Release/net10.0/Dyno.Bench.dll"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
$tool make-decoder "$tmp/decoder-1b.onnx"
$tool make-big-model "$tmp/big-embedded.onnx" 1610612736
echo "load: $(uptime | sed 's/.*load average: //')"
printf '%-44s %12s %10s %10s\n' model "median s" "max s" "RSS MB"
for m in src/Dyno.Models/Examples/*.onnx tests/fixtures/models/*.onnx "$tmp/decoder-1b.onnx" "$tmp/big-embedded.onnx"; do
  times=(); rss=0
  for _ in $(seq "$runs"); do
    out=$( { /usr/bin/time -f "%e %M" artifacts/dyno/dyno profile "$m" --format json >/dev/null; } 2>&1 | tail -1)
    times+=("${out% *}"); r=${out#* }; [ "$r" -gt "$rss" ] && rss=$r
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p"); max=$(echo "$sorted" | tail -1)
  printf '%-44s %12s %10s %10d\n' "$(basename "$m") ($(du -h --apparent-size "$m" | cut -f1))" "$median" "$max" $((rss / 1024))
done

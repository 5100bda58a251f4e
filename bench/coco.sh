#!/usr/bin/env bash
# End-to-end timing of `dyno eval det` (JSON loading included) on gen_coco.py presets.
# Usage: bench/coco.sh [preset ...]     (default: val2017-like large)
# Needs python3 (gen_coco.py is standard library only) and GNU time (/usr/bin/time).
# Targets (2-core machine): val2017-like < 1.0 s wall and < 400 MB peak RSS; large < 4 s wall.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
gen="${GEN_COCO:-$here/../shared/tools/gen_coco.py}"
[ -f "$gen" ] || gen=/work/shared/tools/gen_coco.py
data="${COCO_BENCH_DIR:-/tmp/dyno-coco-bench}"
runs="${RUNS:-5}"
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(val2017-like large)

"$here"/dyno --version >/dev/null   # (re)publishes the ReadyToRun build users run
dyno="$here/artifacts/dyno/dyno"
mkdir -p "$data"
for p in "${presets[@]}"; do
  gt="$data/$p/${p}_gt.json"; dt="$data/$p/${p}_dt.json"
  [ -f "$gt" ] && [ -f "$dt" ] || python3 "$gen" --preset "$p" --out-dir "$data/$p" >/dev/null
  "$dyno" eval det --gt "$gt" --dt "$dt" --format json -q >/dev/null   # warm the page cache
  walls=(); rss=(); cpus=()
  for i in $(seq "$runs"); do
    read -r w m u s < <( { /usr/bin/time -f "%e %M %U %S" "$dyno" eval det --gt "$gt" --dt "$dt" --format json -q >/dev/null; } 2>&1 | tail -1)
    walls+=("$w"); rss+=("$m"); cpus+=("$(awk "BEGIN{print $u + $s}")")
  done
  sorted=($(printf '%s\n' "${walls[@]}" | sort -n))
  cpu=($(printf '%s\n' "${cpus[@]}" | sort -n))
  maxrss=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  # CPU (user+sys) is reported too: on a shared machine wall time also measures the neighbours
  echo "$p: wall best ${sorted[0]} s, median ${sorted[$((runs / 2))]} s; cpu best ${cpu[0]} s; over $runs runs; peak RSS max $((maxrss / 1024)) MB; load avg $(cut -d' ' -f1 /proc/loadavg)"
done

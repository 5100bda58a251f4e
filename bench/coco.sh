#!/usr/bin/env bash
# End-to-end timing of `dyno eval det` (JSON loading included) on gen_coco.py presets.
# Usage: bench/coco.sh [preset[:segm] ...]     (default: val2017-like large val2017-like:segm)
# preset:segm evaluates masks (--iou-type segm): bench/gen_coco_masks.py gives every detection a
# mask (2/3 compressed RLE strings, 1/3 polygons; the ground truth has polygons and crowd RLEs).
# Needs python3 (gen_coco.py and gen_coco_masks.py are standard library only) and GNU time (/usr/bin/time).
# PEERS="pycocotools faster_coco_eval" also times those evaluators once on the same files, in the
# same run (each must be importable by /usr/bin/python3, e.g. via PYTHONPATH), prints the wall-time
# ratio, and checks that Dyno's 12 summary numbers are the same doubles as theirs.
# Targets (2-core machine): val2017-like < 1.0 s wall and < 400 MB peak RSS; large < 4 s wall;
# val2017-like:segm < 1.5 s wall and < 400 MB.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
gen="${GEN_COCO:-$here/../shared/tools/gen_coco.py}"
[ -f "$gen" ] || gen=/work/shared/tools/gen_coco.py
data="${COCO_BENCH_DIR:-/tmp/dyno-coco-bench}"
runs="${RUNS:-5}"
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(val2017-like large val2017-like:segm)

"$here"/dyno --version >/dev/null   # (re)publishes the ReadyToRun build users run
dyno="$here/artifacts/dyno/dyno"
mkdir -p "$data"
for spec in "${presets[@]}"; do
  p="${spec%%:*}"; iou=bbox
  [ "$spec" = "$p:segm" ] && iou=segm
  gt="$data/$p/${p}_gt.json"; dt="$data/$p/${p}_dt.json"
  [ -f "$gt" ] && [ -f "$dt" ] || python3 "$gen" --preset "$p" --out-dir "$data/$p" >/dev/null
  if [ "$iou" = segm ]; then
    [ -f "$data/$p/${p}_dt_segm.json" ] || python3 "$here/bench/gen_coco_masks.py" "$gt" "$dt" "$data/$p/${p}_dt_segm.json"
    dt="$data/$p/${p}_dt_segm.json"
  fi
  args=(eval det --gt "$gt" --dt "$dt" --iou-type "$iou" --format json -q)
  "$dyno" "${args[@]}" > "$data/$p/dyno_$iou.json"   # warms the page cache; kept for the peer check
  walls=(); rss=(); cpus=()
  for i in $(seq "$runs"); do
    read -r w m u s < <( { /usr/bin/time -f "%e %M %U %S" "$dyno" "${args[@]}" >/dev/null; } 2>&1 | tail -1)
    walls+=("$w"); rss+=("$m"); cpus+=("$(awk "BEGIN{print $u + $s}")")
  done
  sorted=($(printf '%s\n' "${walls[@]}" | sort -n))
  cpu=($(printf '%s\n' "${cpus[@]}" | sort -n))
  maxrss=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
  # CPU (user+sys) is reported too: on a shared machine wall time also measures the neighbours
  echo "$spec: wall best ${sorted[0]} s, median ${sorted[$((runs / 2))]} s; cpu best ${cpu[0]} s; over $runs runs; peak RSS max $((maxrss / 1024)) MB; load avg $(cut -d' ' -f1 /proc/loadavg)"
  for peer in ${PEERS:-}; do
    out=$( { /usr/bin/time -f "%e %M" /usr/bin/python3 "$here/bench/coco_peer.py" "$peer" "$gt" "$dt" "$iou" "$data/$p/dyno_$iou.json"; } 2>&1 ) || { echo "$spec: $peer failed: $(echo "$out" | tail -1)"; continue; }
    read -r pw pm < <(echo "$out" | tail -1)
    echo "$out" | grep "^$peer: Dyno" | sed "s/^/$spec: /"
    echo "$spec: $peer ${pw} s wall, peak RSS $((pm / 1024)) MB; Dyno's best wall is $(awk "BEGIN{printf \"%.1f\", $pw / ${sorted[0]}}")x faster; load avg $(cut -d' ' -f1 /proc/loadavg)"
  done
done

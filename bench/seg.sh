#!/usr/bin/env bash
# End-to-end timing of `dyno eval seg`: N (default 1,000) Cityscapes-like 512x1024 label-map pairs,
# 19 classes, 255 = ignore, generated as PNGs into a temp dir (bench/gen_seg_maps.py, Debian
# python3-numpy + python3-pil). Times the real command with /usr/bin/time (wall, CPU, peak RSS).
# Target: under 3 s wall for 1,000 pairs. usage: bench/seg.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
RUNS=${2:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "generating $N label-map pairs in $tmp ..." >&2
/usr/bin/python3 bench/gen_seg_maps.py "$tmp/maps" "$N"
du -sh "$tmp/maps/gt" "$tmp/maps/pred" >&2
./dyno --version >/dev/null   # (re)publishes the ReadyToRun build users run
dyno=artifacts/dyno/dyno
args=(eval seg --gt "$tmp/maps/gt" --pred "$tmp/maps/pred" --num-classes 19 --format json --out "$tmp/out.json" --quiet)
"$dyno" "${args[@]}" # warm the page cache
echo "cores: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$RUNS"); do
  /usr/bin/time -f "run $i: wall %e s, user %U s, sys %S s, peak RSS %M KB" "$dyno" "${args[@]}"
done
/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('images', d['images'], 'pixels', d['pixels'], 'metrics', d['metrics'])" "$tmp/out.json"

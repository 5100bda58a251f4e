#!/usr/bin/env bash
# End-to-end timing of `dyno eval mot` (CLEAR + Identity + HOTA) on a generated MOT17-sized benchmark:
# 7 sequences, 5,316 frames, ~318k GT rows (~281k after MOT17 preprocessing), ~276k predictions.
# Usage: bench/mot.sh [RUNS] [DATA_DIR] [extra dyno options...]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
DATA=${2:-/tmp/dyno-motbench}
shift $(( $# > 2 ? 2 : $# )) || true
if [ ! -f "$DATA/pred/MOT17-13.txt" ]; then
  python3 bench/mot_gen.py --out-dir "$DATA"
fi
./dyno --version >/dev/null   # (re)publishes the ReadyToRun build users run
DYNO=artifacts/dyno/dyno
echo "machine: $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
walls=()
for i in $(seq 1 "$RUNS"); do
  out=$( { /usr/bin/time -f "%e %M %U %S" "$DYNO" eval mot --gt "$DATA/gt" --pred "$DATA/pred" --format json --quiet "$@" > /tmp/dyno-mot.json; } 2>&1 | tail -1)
  read -r wall rss user sys <<<"$out"
  walls+=("$wall")
  echo "run $i: wall ${wall} s, user ${user} s, sys ${sys} s, peak RSS $((rss / 1024)) MiB"
done
sorted=$(printf '%s\n' "${walls[@]}" | sort -n)
echo "best $(echo "$sorted" | head -1) s, median $(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p") s over $RUNS runs"
python3 - <<'PY'
import json
m = json.load(open('/tmp/dyno-mot.json'))['metrics']
print('COMBINED ' + ', '.join(f'{k} {m[k]:.4f}' if isinstance(m[k], float) else f'{k} {m[k]}' for k in ['HOTA', 'MOTA', 'IDF1', 'GT_Dets', 'Pred_Dets']))
PY

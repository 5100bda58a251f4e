#!/usr/bin/env bash
# End-to-end timing of `dyno eval cls` on a CSV of N samples x C classes of logits (default
# 20,000 x 1,000, about 180 MB of text), generated into a temp dir with Debian's python3-numpy.
# A 1M x 1,000 CSV would be ~9 GB of text: the 1M x 1,000 target is measured on the in-process
# engine instead (bench/Dyno.Bench/Classification/ClassificationBench.cs). This script reports the
# CLI's throughput (rows/s, MB/s) with and without ROC-AUC/PR-AUC.
# usage: bench/cls.sh [N] [C] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
C=${2:-1000}
RUNS=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "generating $N x $C logits CSV in $tmp ..." >&2
/usr/bin/python3 - "$tmp/logits.csv" "$N" "$C" <<'PY'
import sys
import numpy as np
path, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(5)
with open(path, "w") as f:
    f.write("label," + ",".join(f"score_{i}" for i in range(c)) + "\n")
    for start in range(0, n, 2000):
        m = min(2000, n - start)
        y = rng.integers(0, c, m)
        z = rng.normal(size=(m, c)) * 2
        z[np.arange(m), y] += 4
        np.savetxt(f, np.column_stack([y, z]), fmt=["%d"] + ["%.6g"] * c, delimiter=",")
PY
bytes=$(stat -c %s "$tmp/logits.csv")
echo "CSV: $bytes bytes" >&2
./dyno --version >/dev/null   # (re)publishes the ReadyToRun build users run
dyno=artifacts/dyno/dyno
echo "cores: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for variant in "" "--no-auc"; do
  args=(eval cls "$tmp/logits.csv" --logits --top-k 5 $variant --format json --out "$tmp/out.json" --quiet)
  "$dyno" "${args[@]}" # warm the page cache
  for i in $(seq "$RUNS"); do
    start=$(date +%s.%N)
    /usr/bin/time -f "  wall %e s, user %U s, sys %S s, peak RSS %M KB" "$dyno" "${args[@]}"
    end=$(date +%s.%N)
    /usr/bin/python3 -c "import sys; t=float(sys.argv[1])-float(sys.argv[2]); print(f'run {sys.argv[5]} ({sys.argv[6] or \"with AUC\"}): {int(sys.argv[3])/t:,.0f} rows/s, {int(sys.argv[4])/t/1e6:,.0f} MB/s')" "$end" "$start" "$N" "$bytes" "$i" "$variant"
  done
done
/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print({k: d['metrics'][k] for k in ('top1','top5','f1_macro','log_loss','ece')})" "$tmp/out.json"

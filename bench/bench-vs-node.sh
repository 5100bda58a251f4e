#!/usr/bin/env bash
# Side-by-side medians: dyno bench (Microsoft.ML.OnnxRuntime, C#) vs onnxruntime-node, same model file,
# same session settings (CPU EP, graph optimization "all", sequential, same intra-op threads), same
# input scheme (a pool of 8 random float32 inputs cycled), batch 1 and 8. The two harnesses run
# alternately, REPS times, so they share the machine's load; the script prints the median of each
# harness's per-run medians and their ratio, and the best (lowest) run median of each. Then the harness overhead (Identity model) from dyno calibrate.
#
# usage: bench/bench-vs-node.sh [THREADS=1] [REPS=5] [ITERATIONS=300]
# needs: dotnet build src/Dyno.Cli -c Release; (cd bench/ort-node && npm install --ignore-scripts)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-1}
REPS=${2:-5}
ITER=${3:-300}
DYNO=src/Dyno.Cli/bin/Release/net10.0/dyno
NODE_BENCH=bench/ort-node/bench.js
[ -x "$DYNO" ] || { echo "build dyno first: dotnet build src/Dyno.Cli -c Release" >&2; exit 2; }
[ -d bench/ort-node/node_modules/onnxruntime-node ] || { echo "install the peer: (cd bench/ort-node && npm install --ignore-scripts)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$TMP/cache}

echo "# $(date -u +%FT%TZ)  load: $(cut -d' ' -f1-3 /proc/loadavg)  threads=$THREADS reps=$REPS iterations=$ITER"
printf "%-22s %5s %12s %12s %8s %10s %10s %8s\n" model batch dyno_p50_ms node_p50_ms ratio dyno_best node_best ratio
echo "# p50 columns: median over REPS runs of each run's p50; best columns: the lowest run p50 (least disturbed by other load)"
for m in squeezenet1_1_op13 mobilenet_v2_op13; do
  # One model file for both harnesses: the fixture with its batch dim made symbolic (dyno --save-model).
  "$DYNO" bench "tests/fixtures/models/$m.onnx" --batch 1,8 --iterations 3 --no-profile --no-calibration \
    --save-model "$TMP/$m.onnx" --quiet --format json > /dev/null
  for b in 1 8; do
    n=$(( ITER / b > 50 ? ITER / b : 50 ))   # about the same time per run at every batch
    : > "$TMP/d" ; : > "$TMP/n"
    for ((r = 0; r < REPS; r++)); do
      run_dyno() { "$DYNO" bench "$TMP/$m.onnx" --batch "$b" --threads "$THREADS" --iterations "$n" --no-profile --no-calibration --quiet --format json \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["latency_ms"]["p50"])' >> "$TMP/d"; }
      run_node() { node "$NODE_BENCH" "$TMP/$m.onnx" --batch "$b" --threads "$THREADS" --iterations "$n" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["p50_ms"])' >> "$TMP/n"; }
      if (( r % 2 == 0 )); then run_dyno; run_node; else run_node; run_dyno; fi   # alternate who goes first
    done
    python3 - "$m" "$b" "$TMP/d" "$TMP/n" <<'PY'
import statistics, sys
m, b, d, n = sys.argv[1:]
dv = [float(x) for x in open(d)]; nv = [float(x) for x in open(n)]
dm, nm = statistics.median(dv), statistics.median(nv)
print(f"{m:<22} {b:>5} {dm:12.3f} {nm:12.3f} {dm / nm:8.3f} {min(dv):10.3f} {min(nv):10.3f} {min(dv) / min(nv):8.3f}   dyno {['%.3f' % x for x in dv]} node {['%.3f' % x for x in nv]}")
PY
  done
done

echo "# harness overhead (dyno calibrate, Identity float[1] model, 1 thread):"
"$DYNO" calibrate --quiet --format json > "$TMP/cal.json"
python3 - "$TMP/cal.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
h = c["harness"]
print("identity median latency %.3f us, bare Run %.3f us, harness overhead %.3f us per inference" % (h["identity_latency_us"], h["bare_run_us"], h["overhead_us"]))
for g in c["gemm"]: print("GEMM %s %dT %.1f GFLOP/s" % (g["precision"], g["threads"], g["flops_per_second"] / 1e9))
for t in c["triad"]: print("triad %dT %.1f GB/s" % (t["threads"], t["bytes_per_second"] / 1e9))
PY
echo "# per-op kernel sum vs end-to-end latency, utilization, wall and peak RSS of the whole command (/usr/bin/time -v):"
for m in squeezenet1_1_op13 mobilenet_v2_op13; do
  /usr/bin/time -v "$DYNO" bench "tests/fixtures/models/$m.onnx" --threads "$THREADS" --max-time 5 --quiet --format json \
    > "$TMP/full.json" 2> "$TMP/time.txt"
  python3 - "$m" "$TMP/full.json" "$TMP/time.txt" <<'PY'
import json, re, sys
m, f, t = sys.argv[1:]
d = json.load(open(f)); o = d["ops"]; u = d["utilization"]; tt = open(t).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", tt).group(1); rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tt).group(1))
print("%s: p50 %.3f ms (%d its, %s); kernels sum %.3f ms = %.1f%% of interleaved unprofiled p50 %.3f ms, %.1f%% of profiled run; %d/%d static nodes joined; "
      "%.1f GFLOP/s = %.1f%% of GEMM roof, %.1f GB/s = %.1f%% of triad; cold start %.0f ms; peak RSS %.1f MiB (time -v: %.1f MiB), wall %s"
      % (m, d["latency_ms"]["p50"], d["latency_ms"]["count"], d["stop_reason"], o["sum_ops_ms"], 100 * o["sum_ops_over_latency"], o["latency_ms"],
         100 * o["sum_ops_over_profiled_run"], o["static_nodes_joined"], o["static_nodes"], u["achieved_flops_per_second"] / 1e9,
         100 * (u.get("flops_utilization") or 0), u["achieved_bytes_per_second"] / 1e9, 100 * (u.get("bandwidth_utilization") or 0),
         d["cold_start_ms"]["total"], d["peak_rss_bytes"] / 2**20, rss / 1024, wall))
PY
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

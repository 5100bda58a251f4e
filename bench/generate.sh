#!/usr/bin/env bash
# Measured LLM decoding (`dyno bench --generate`) on the ~100 M-parameter reference decoder llama_small_gqa
# (12 layers x 768, 12 query / 4 kv heads, SwiGLU 2048, vocab 16000, rotary, fp32, 100,092,672 parameters):
# prompt 128, generate 128, batch 1, at 1 and 2 intra-op threads. Prints TTFT, TPOT p50, tokens/s, the harness
# overhead per token (and its share of the TPOT) and measured / predicted per phase against `dyno calibrate`'s roofs.
#
# The model is 400 MB, so it is not in the repository: when MODEL_DIR has no model.onnx it is rebuilt bit-for-bit into
# a temporary directory by bench/llm/make_llama_small.py (copied from /work/shared/fixtures/llm/reference; needs
# Debian's python3-torch, python3-onnx, python3-numpy; ~10 s, 2.2 GB RSS) and its sha256 is checked.
#
# Usage: bench/generate.sh [MODEL_DIR] [ITERATIONS] [THREADS...]   (defaults: $TMPDIR/dyno-llm/llama_small_gqa, 5, 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-${TMPDIR:-/tmp}/dyno-llm/llama_small_gqa}
iterations=${2:-5}
shift $(( $# > 2 ? 2 : $# ))
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 2)
sha=478bc0b8fac5a24e848cd39da32a9661b5ded4b9f8463b02f0083b8948454239
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$model/model.onnx" ]; then
  model="$tmp/llama_small_gqa"
  echo "building llama_small_gqa into $model (bench/llm/make_llama_small.py)..." >&2
  nice -n 19 /usr/bin/python3 bench/llm/make_llama_small.py "$model" >&2
fi
got=$(sha256sum "$model/model.onnx" | cut -d' ' -f1)
[ "$got" = "$sha" ] || { echo "$model/model.onnx: sha256 $got, expected $sha (the reference llama_small_gqa)" >&2; exit 1; }

rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
dotnet publish src/Dyno.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o artifacts/dyno >/dev/null
dyno=artifacts/dyno/dyno
echo "load before calibrate: $(uptime | sed 's/.*load average: //')"
$dyno calibrate --quiet --format json --out "$tmp/calibration.json"
python3 - "$tmp/calibration.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
print("roofs: " + ", ".join(f"GEMM {g['precision']} {g['threads']}T {g['flops_per_second']/1e9:.1f} GFLOP/s" for g in c["gemm"] if g["precision"] == "float32")
      + "; " + ", ".join(f"triad {t['threads']}T {t['bytes_per_second']/1e9:.1f} GB/s" for t in c["triad"]))
PY
for t in "${threads[@]}"; do
  echo "load before threads=$t: $(uptime | sed 's/.*load average: //')"
  $dyno bench "$model" --generate --prompt-len 128 --gen-len 128 --batch 1 --threads "$t" --iterations "$iterations" \
    --format json --out "$tmp/gen-$t.json" --quiet
done
echo "load after: $(uptime | sed 's/.*load average: //')"
python3 - "$tmp" "${threads[@]}" <<'PY'
import json, sys
tmp, threads = sys.argv[1], sys.argv[2:]
print(f"{'threads':>7} {'TTFT p50 ms':>12} {'TPOT p50 ms':>12} {'ITL p99 ms':>11} {'decode tok/s':>12} {'e2e tok/s':>10} "
      f"{'overhead us/tok':>15} {'% of TPOT':>9} {'pred TTFT':>10} {'pred TPOT':>10} {'TTFT x':>7} {'TPOT x':>7} {'runs':>5} {'peak RSS MB':>11}")
for t in threads:
    d = json.load(open(f"{tmp}/gen-{t}.json"))
    g = d["generation"]; p = g.get("predicted") or {}
    print(f"{t:>7} {g['ttft_ms']['p50']:12.2f} {g['tpot_ms']['p50']:12.3f} {g['itl_ms']['p99']:11.3f} {g['decode_tokens_per_s']:12.2f} "
          f"{g['e2e_tokens_per_s']:10.2f} {g['harness_overhead_ms_per_token']*1000:15.2f} {100*g['harness_overhead_ms_per_token']/g['tpot_ms']['p50']:9.3f} "
          f"{p.get('ttft_ms', float('nan')):10.2f} {p.get('tpot_ms', float('nan')):10.3f} {p.get('ttft_measured_over_predicted', float('nan')):7.2f} "
          f"{p.get('tpot_measured_over_predicted', float('nan')):7.2f} {g['runs']:5d} {d['peak_rss_bytes']/2**20:11.0f}")
    print(f"        prefill {p.get('prefill_bound')}-bound, decode {p.get('decode_bound')}-bound; ITL slope {g.get('itl_slope_ms_per_1k_context', 0):.3f} ms per 1k tokens of context; "
          f"mean overhead {g['harness_overhead_mean_ms_per_token']*1000:.2f} us/token; tokens identical across runs: {g['tokens_identical_across_runs']}")
PY

// Peer harness for `dyno bench`: runs a model with onnxruntime-node the same way Dyno does
// (same session settings, a pool of distinct random float32 inputs cycled per run, warm-up,
// then per-call timed runs) and prints the latency median as JSON.
// usage: node bench.js MODEL --batch 1 --threads 1 [--inter-op-threads 0] [--iterations 300] [--warmup 50]
//        [--shape 3x224x224] [--profile PREFIX]
'use strict';
const ort = require('onnxruntime-node');

function args(argv) {
  const a = { batch: 1, threads: 0, interOp: 0, iterations: 300, warmup: 50, pool: 8, shape: null, profile: null };
  a.model = argv[0];
  for (let i = 1; i < argv.length; i += 2) {
    const k = argv[i], v = argv[i + 1];
    if (k === '--batch') a.batch = +v;
    else if (k === '--threads') a.threads = +v;
    else if (k === '--inter-op-threads') a.interOp = +v;
    else if (k === '--iterations') a.iterations = +v;
    else if (k === '--warmup') a.warmup = +v;
    else if (k === '--pool') a.pool = +v;
    else if (k === '--shape') a.shape = v.split('x').map(Number);
    else if (k === '--profile') a.profile = v;
    else throw new Error('unknown option ' + k);
  }
  if (!a.model) throw new Error('usage: node bench.js MODEL [options]');
  return a;
}

function percentile(sorted, p) { // Hyndman-Fan type 7, as dyno
  const h = (sorted.length - 1) * p, lo = Math.floor(h);
  return lo >= sorted.length - 1 ? sorted[sorted.length - 1] : sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}

async function main() {
  const a = args(process.argv.slice(2));
  const options = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential' };
  if (a.threads > 0) options.intraOpNumThreads = a.threads;
  if (a.interOp > 0) options.interOpNumThreads = a.interOp;
  if (a.profile) { options.enableProfiling = true; options.profileFilePrefix = a.profile; }
  const session = await ort.InferenceSession.create(a.model, options);
  const name = session.inputNames[0];
  const dims = [a.batch, ...(a.shape || [3, 224, 224])];
  const n = dims.reduce((x, y) => x * y, 1);
  const feeds = [];
  for (let k = 0; k < a.pool; k++) {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.random() * 2 - 1;
    feeds.push({ [name]: new ort.Tensor('float32', data, dims) });
  }
  for (let i = 0; i < a.warmup; i++) await session.run(feeds[i % a.pool]);
  const ms = new Float64Array(a.iterations);
  let prev = process.hrtime.bigint();
  const start = prev;
  for (let i = 0; i < a.iterations; i++) {
    await session.run(feeds[i % a.pool]);
    const now = process.hrtime.bigint();
    ms[i] = Number(now - prev) / 1e6;
    prev = now;
  }
  if (a.profile) session.endProfiling();
  const sorted = Array.from(ms).sort((x, y) => x - y);
  console.log(JSON.stringify({
    harness: 'onnxruntime-node', version: require('onnxruntime-node/package.json').version,
    model: a.model, batch: a.batch, threads: a.threads, iterations: a.iterations,
    p50_ms: percentile(sorted, 0.5), p90_ms: percentile(sorted, 0.9), min_ms: sorted[0],
    mean_ms: sorted.reduce((x, y) => x + y, 0) / sorted.length,
    wall_s: Number(prev - start) / 1e9,
  }));
}

main().catch(e => { console.error('bench.js: ' + (e && e.message || e)); process.exit(2); });

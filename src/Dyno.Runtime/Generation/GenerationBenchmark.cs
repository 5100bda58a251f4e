using System.Diagnostics;
using Dyno.Models.Hardware;
using Dyno.Models.Onnx;
using Dyno.Models.Transformers;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Calibration;
using Dyno.Runtime.Environment;
using Dyno.Runtime.Models;
using Dyno.Runtime.Statistics;
using Microsoft.ML.OnnxRuntime;

namespace Dyno.Runtime.Generation;

/// <summary>
/// Measures greedy generation of a decoder with a KV cache (<see cref="GreedyGenerator"/>): for each point of the sweep
/// (batch × prompt length × generation length, or one batch of given prompts) untimed warm-up generations, then timed
/// ones until the 95% CIs of the median TTFT and ITL are tight, a time budget is spent or a fixed count is done. Each
/// point gets TTFT, TPOT and ITL distributions, decode and end-to-end tokens/s, the cache bytes, the harness's own time
/// per token and, with an architecture (config.json) and calibrated roofs, the <c>dyno llm</c> roofline prediction.
/// </summary>
public static class GenerationBenchmark
{
    /// <summary>Runs every point of the sweep on <paramref name="modelPath"/> (an ONNX file or its directory).</summary>
    /// <exception cref="FileNotFoundException">No model at the path.</exception>
    /// <exception cref="InvalidDataException">The graph has no recognisable cache layout, a config beside it is not JSON, or a prompt id is outside the vocabulary.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or a prompt needs more positions than the model has.</exception>
    public static GenerationBenchResult Run(string modelPath, GenerationOptions o, CalibrationResult? calibration = null,
        IProgress<BenchProgress>? progress = null, CancellationToken ct = default)
    {
        Validate(o);
        var processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var processStartMs = Math.Max(0, (DateTime.UtcNow - processStart).TotalMilliseconds);
        var clock = Stopwatch.StartNew();
        var warnings = new List<string>();
        var notes = new List<string>();

        progress?.Report(new BenchProgress("loading model", 0));
        var model = DecoderModel.Open(modelPath);
        notes.AddRange(model.Notes);
        using var onnx = OnnxModel.Load(model.OnnxPath);
        using var runnable = WeightMaterializer.Prepare(onnx, model.OnnxPath, () => File.OpenRead(model.OnnxPath), seed: o.Session.Seed);
        notes.AddRange(runnable.Notes);
        var modelLoadMs = clock.Elapsed.TotalMilliseconds;

        progress?.Report(new BenchProgress("creating session", 0));
        using var sessionOptions = InferenceBenchmark.CreateSessionOptions(o.Session);
        var t = Stopwatch.GetTimestamp();
        using var session = new InferenceSession(runnable.Path, sessionOptions);
        var sessionMs = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        var layout = DecoderLayout.Detect(session, model.OnnxPath, model.Names);

        var points = Points(o);
        foreach (var (b, len, gen, _) in points) CheckPositions(model, len, gen);
        if (o.Prompts is not null) CheckIds(o.Prompts, layout, o.PromptsSource ?? "GenerationOptions.Prompts");

        var env = EnvironmentInfo.Capture();
        if (env.LoadAverage is { } load && load[0] > env.LogicalCores * 0.75)
            warnings.Add($"the machine is busy (load average {load[0]:0.00} on {env.LogicalCores} cores): timings include interference from other processes");
        var threads = o.Session.IntraOpThreads > 0 ? o.Session.IntraOpThreads : env.LogicalCores;
        var roofs = Roofs(model, layout, calibration, threads, notes);
        if (calibration is { Degraded: true }) warnings.Add(MachineCalibration.DegradedWarning(calibration));

        var measurements = new List<GenerationMeasurement>();
        GenerationColdStart? cold = null;
        for (var pi = 0; pi < points.Count; pi++)
        {
            ct.ThrowIfCancellationRequested();
            var (batch, len, gen, prompts) = points[pi];
            var label = points.Count > 1 ? $"batch {batch}, prompt {len}, gen {gen}: " : "";
            var t0 = Stopwatch.GetTimestamp();
            prompts ??= RandomPrompts(batch, len, layout.Vocab, model.SpecialIds, o.Seed + pi);
            using var generator = new GreedyGenerator(session, layout, prompts, gen, model.PadTokenId);
            var first = new StepTimes(gen);
            generator.Generate(first);
            if (pi == 0)
            {
                var firstToken = StepTimes.Ms(first.End[0] - t0);
                cold = new GenerationColdStart
                {
                    ProcessStart = processStartMs, ModelLoad = modelLoadMs, SessionCreate = sessionMs, FirstToken = firstToken,
                    Total = processStartMs + modelLoadMs + sessionMs + firstToken,
                };
            }
            for (var w = 1; w < o.WarmupGenerations; w++) generator.Generate();
            var m = Measure(generator, o, f => progress?.Report(new BenchProgress(label + "timed generations", f)), ct);
            measurements.Add(m with { Predicted = roofs is null ? null : Predict(roofs, batch, len, gen, m) });
        }
        var peakRss = ProcessMemory.PeakRss();

        var headline = measurements[0];
        if (headline.ItlMs is { Noisy: true } itl)
            warnings.Add($"inter-token latency CV is {itl.Cv:P1} (> {LatencyStats.NoisyCv:P0}): the machine is noisy; compare medians, not means");
        if (measurements.Any(x => !x.TokensIdenticalAcrossRuns))
            warnings.Add("the generated tokens differed between timed runs of the same prompts: the model or runtime is not deterministic");
        notes.Add("TTFT: from touching the prefill feeds to token 0 chosen (one Run over the padded prompt + argmax of the last position); " +
                  "ITL: from one token chosen to the next (feeds, Run, argmax); TPOT: per generation, (end − TTFT) / (gen − 1); percentiles type 7, CIs by order statistics (docs/bench.md)");

        return new GenerationBenchResult
        {
            Model = new GenerationModelInfo
            {
                Source = model.OnnxPath, Config = model.ConfigPath, Layers = layout.Layers.Count, KvHeads = layout.KvHeads, HeadDim = layout.HeadDim,
                Vocab = layout.Vocab, PositionIds = layout.PositionIds is not null, MaxPositions = model.MaxPositions, PadTokenId = model.PadTokenId,
                KvCacheBytesPerToken = layout.KvBytesPerToken, WeightsMaterialized = runnable.WeightsMaterialized,
                Params = model.Architecture is { } a ? LlmCalculator.Parameters(a).Total : null,
            },
            Settings = new GenerationSettings
            {
                Provider = o.Session.Provider, IntraOpThreads = o.Session.IntraOpThreads, InterOpThreads = o.Session.InterOpThreads,
                GraphOptimization = o.Session.GraphOptimization, Prompts = o.Prompts is null ? "random" : "file",
                Batches = points.Select(p => p.Batch).Distinct().ToList(), PromptLengths = points.Select(p => p.Len).Distinct().ToList(),
                GenLengths = points.Select(p => p.Gen).Distinct().ToList(), Iterations = o.Iterations, WarmupGenerations = o.WarmupGenerations,
                MaxTimeSeconds = o.MaxTimeSeconds, TargetRelativeCi = o.TargetRelativeCi, Decoding = "greedy (argmax, lowest id on ties; no stop at EOS)",
                Padding = "left (pad id in input_ids, 0 in attention_mask; position_ids = max(cumsum(mask) - 1, 0))", Seed = o.Seed,
            },
            ColdStartMs = cold!,
            Generation = headline,
            Sweep = measurements.Select(Summary).ToList(),
            PeakRssBytes = peakRss,
            Environment = env,
            Warnings = warnings,
            Notes = notes,
        };
    }

    private static void Validate(GenerationOptions o)
    {
        if (o.Prompts is null && (o.PromptLengths.Count == 0 || o.PromptLengths.Any(p => p < 1))) throw new DynoInputException("GenerationOptions.PromptLengths: prompt lengths must be positive integers", "GenerationOptions.PromptLengths");
        if (o.Batches.Count == 0 || o.Batches.Any(b => b < 1)) throw new DynoInputException("GenerationOptions.Batches: batch sizes must be positive integers", "GenerationOptions.Batches");
        if (o.GenLengths.Count == 0 || o.GenLengths.Any(g => g < 1)) throw new DynoInputException("GenerationOptions.GenLengths: generation lengths must be positive integers", "GenerationOptions.GenLengths");
        if (o.Iterations is < 1) throw new DynoInputException("GenerationOptions.Iterations must be at least 1", "GenerationOptions.Iterations");
        if (o.MaxTimeSeconds <= 0) throw new DynoInputException("GenerationOptions.MaxTimeSeconds must be positive", "GenerationOptions.MaxTimeSeconds");
        if (o.WarmupGenerations < 1) throw new DynoInputException("at least one warm-up generation is needed");
    }

    private static List<(int Batch, int Len, int Gen, IReadOnlyList<IReadOnlyList<long>>? Prompts)> Points(GenerationOptions o)
    {
        var points = new List<(int, int, int, IReadOnlyList<IReadOnlyList<long>>?)>();
        if (o.Prompts is { } given)
            foreach (var g in o.GenLengths) points.Add((given.Count, given.Max(p => p.Count), g, given));
        else
            foreach (var b in o.Batches)
            foreach (var p in o.PromptLengths)
            foreach (var g in o.GenLengths)
                points.Add((b, p, g, null));
        return points;
    }

    /// <summary>The last fed position is prompt + gen − 2 (the last token is never fed back): it must be below the model's maximum.</summary>
    private static void CheckPositions(DecoderModel model, int promptLen, int gen)
    {
        if (model.MaxPositions <= 0) return;
        if (promptLen > model.MaxPositions)
            throw new DynoInputException($"{model.OnnxPath}: a prompt of {promptLen} tokens is longer than the model's maximum position {model.MaxPositions} ({model.MaxPositionsSource})");
        if (promptLen + gen - 1 > model.MaxPositions)
            throw new DynoInputException($"{model.OnnxPath}: prompt {promptLen} + {gen} generated tokens needs {promptLen + gen - 1} positions, more than the model's maximum {model.MaxPositions} ({model.MaxPositionsSource}); lower GenerationOptions.GenLengths", "GenerationOptions.GenLengths");
    }

    private static void CheckIds(IReadOnlyList<IReadOnlyList<long>> prompts, DecoderLayout layout, string source)
    {
        for (var r = 0; r < prompts.Count; r++)
            for (var j = 0; j < prompts[r].Count; j++)
                if (prompts[r][j] >= layout.Vocab)
                    throw DynoInputException.Naming(new InvalidDataException($"{source}: prompt {r}, token {j}: id {prompts[r][j]} is outside the model's vocabulary [0, {layout.Vocab})"), "GenerationOptions.Prompts");
    }

    /// <summary>Random non-special token ids, one seeded stream per point.</summary>
    private static IReadOnlyList<IReadOnlyList<long>> RandomPrompts(int batch, int len, int vocab, IReadOnlyList<long> special, int seed)
    {
        var rng = new XorShiftRandom((ulong)seed * 104729 + 17);
        var allowed = Enumerable.Range(0, vocab).Select(i => (long)i).Where(i => !special.Contains(i)).ToArray();
        if (allowed.Length == 0) allowed = [0];
        return Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<long>)Enumerable.Range(0, len).Select(_ => allowed[(int)(rng.Next() % (ulong)allowed.Length)]).ToArray()).ToList();
    }

    private static GenerationMeasurement Measure(GreedyGenerator g, GenerationOptions o, Action<double> progress, CancellationToken ct)
    {
        int steps = g.NewTokens, b = g.Batch, len = g.PromptLength;
        var ttft = new List<double>();
        var tpot = new List<double>();
        var e2e = new List<double>();
        var itl = new List<double>();
        var runPrefill = new List<double>();
        var runDecode = new List<double>();
        var byStep = Enumerable.Range(0, steps).Select(_ => new List<double>()).ToArray();
        double overheadSum = 0, decodeSum = 0, e2eSum = 0;
        var overhead = new List<double>();
        long[][]? firstTokens = null;
        var identical = true;
        var budget = Stopwatch.StartNew();
        string reason;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var times = new StepTimes(steps);
            var tokens = g.Generate(times);
            if (firstTokens is null) firstTokens = tokens;
            else identical &= tokens.Zip(firstTokens).All(p => p.First.SequenceEqual(p.Second));
            var first = StepTimes.Ms(times.End[0] - times.Start);
            var total = StepTimes.Ms(times.End[^1] - times.Start);
            ttft.Add(first);
            e2e.Add(total);
            e2eSum += total;
            runPrefill.Add(StepTimes.Ms(times.Run[0]));
            if (steps > 1)
            {
                tpot.Add((total - first) / (steps - 1));
                decodeSum += total - first;
                for (var k = 1; k < steps; k++)
                {
                    var step = StepTimes.Ms(times.End[k] - times.End[k - 1]);
                    var run = StepTimes.Ms(times.Run[k]);
                    itl.Add(step);
                    byStep[k].Add(step);
                    runDecode.Add(run);
                    overheadSum += step - run;
                    overhead.Add(step - run);
                }
            }
            var runs = ttft.Count;
            if (o.Iterations is { } n)
            {
                progress((double)runs / n);
                if (runs >= n) { reason = "iterations"; break; }
                continue;
            }
            progress(Math.Min(1, budget.Elapsed.TotalSeconds / o.MaxTimeSeconds));
            if (runs >= o.MinRuns && Tight(ttft, o.TargetRelativeCi) && (steps == 1 || Tight(itl, o.TargetRelativeCi))) { reason = "ci_target"; break; }
            if (budget.Elapsed.TotalSeconds >= o.MaxTimeSeconds) { reason = "time_budget"; break; }
        }

        List<ContextLatency>? byContext = null;
        double? slope = null;
        if (steps > 1)
        {
            byContext = Enumerable.Range(1, steps - 1).Select(k => new ContextLatency(len + k, LatencyStats.From(byStep[k]).P50)).ToList();
            slope = byContext.Count >= 2 ? Slope(byContext.Select(c => (double)c.Context).ToArray(), byContext.Select(c => c.P50Ms).ToArray()) * 1000 : null;
        }
        var decodeSteps = itl.Count;
        var itlStats = steps > 1 ? LatencyStats.From(itl) : null;
        return new GenerationMeasurement
        {
            Batch = b, PromptLength = len, GenLength = steps, Runs = ttft.Count, StopReason = reason,
            Outputs = firstTokens!.Select((tk, r) => new GeneratedOutput(r, len, tk)).ToList(),
            TokensIdenticalAcrossRuns = identical,
            TtftMs = LatencyStats.From(ttft), TpotMs = steps > 1 ? LatencyStats.From(tpot) : null, ItlMs = itlStats, E2eMs = LatencyStats.From(e2e),
            DecodeTokensPerS = steps > 1 ? (double)b * (steps - 1) * ttft.Count / (decodeSum / 1000) : null,
            E2eTokensPerS = (double)b * steps * ttft.Count / (e2eSum / 1000),
            KvCacheBytes = g.KvCacheBytes, KvCacheBufferBytes = g.KvBufferBytes,
            HarnessOverheadMsPerToken = decodeSteps > 0 ? LatencyStats.From(overhead).P50 : null,
            HarnessOverheadMeanMsPerToken = decodeSteps > 0 ? overheadSum / decodeSteps : null,
            HarnessOverheadShareOfTpot = decodeSteps > 0 ? LatencyStats.From(overhead).P50 / itlStats!.P50 : null,
            SessionRunPrefillP50Ms = LatencyStats.From(runPrefill).P50,
            SessionRunDecodeP50Ms = runDecode.Count > 0 ? LatencyStats.From(runDecode).P50 : null,
            ItlByContext = byContext, ItlSlopeMsPer1kContext = slope,
        };
    }

    private static bool Tight(List<double> samples, double target) =>
        LatencyStats.From(samples).Ci.TryGetValue("p50", out var ci) && ci.RelativeWidth < target;

    private static double Slope(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        return sxx > 0 ? sxy / sxx : 0;
    }

    private sealed record RoofContext(TransformerConfig Config, string ConfigPath, HardwareProfile Machine, string Roofs);

    /// <summary>This machine as a roofline device: the calibrated float32 GEMM roof and triad bandwidth at the run's thread count.</summary>
    private static RoofContext? Roofs(DecoderModel model, DecoderLayout layout, CalibrationResult? calibration, int threads, List<string> notes)
    {
        if (model.Architecture is not { } arch) return null;
        if (arch.Layers != layout.Layers.Count || arch.KvHeads != layout.KvHeads || arch.HeadDim != layout.HeadDim || arch.Vocab != layout.Vocab)
        {
            notes.Add($"no roofline prediction: {model.ConfigPath} (layers {arch.Layers}, kv heads {arch.KvHeads}, head dim {arch.HeadDim}, vocab {arch.Vocab}) disagrees with the graph " +
                      $"(layers {layout.Layers.Count}, kv heads {layout.KvHeads}, head dim {layout.HeadDim}, vocab {layout.Vocab})");
            return null;
        }
        var gemm = calibration?.GemmFor("float32", threads);
        var triad = calibration?.TriadFor(threads);
        if (gemm is null || triad is null)
        {
            notes.Add("no roofline prediction: no calibrated roofs of this machine (run dyno calibrate)");
            return null;
        }
        var machine = new HardwareProfile
        {
            Name = "this-machine", Title = $"this machine, {gemm.Threads} thread(s) (dyno calibrate)",
            PeakTflops = new Dictionary<string, double> { ["fp32"] = gemm.FlopsPerSecond / 1e12 },
            MemoryBandwidthGbps = triad.BytesPerSecond / 1e9, MemoryGb = double.MaxValue / 1e10, Source = "dyno calibrate",
        };
        return new RoofContext(arch, model.ConfigPath!, machine,
            $"dyno calibrate: float32 GEMM {gemm.FlopsPerSecond / 1e9:0.0} GFLOP/s at {gemm.Threads} thread(s), triad {triad.BytesPerSecond / 1e9:0.0} GB/s at {triad.Threads} thread(s)");
    }

    private static GenerationPrediction Predict(RoofContext r, int batch, int len, int gen, GenerationMeasurement m)
    {
        LlmEstimate At(int context) => LlmCalculator.Estimate(r.Config, new LlmScenario(len, batch, context, Precision.Fp32, Precision.Fp32, Precision.Fp32, Precision.Fp32), r.Machine);
        var prefill = At(len).Roofline!.Prefill;
        double? tpot = null;
        RooflineTime? mid = null;
        if (gen > 1)
        {
            // Step k (1-based) attends over len + k cached tokens, the new one included.
            tpot = Enumerable.Range(1, gen - 1).Average(k => At(len + k).Roofline!.Decode!.Seconds) * 1000;
            mid = At(len + gen / 2).Roofline!.Decode;
        }
        return new GenerationPrediction
        {
            TtftMs = prefill.Seconds * 1000, TpotMs = tpot,
            TtftMeasuredOverPredicted = m.TtftMs.P50 / (prefill.Seconds * 1000),
            TpotMeasuredOverPredicted = tpot is { } p && m.TpotMs is { } mt ? mt.P50 / p : null,
            PrefillBound = prefill.Bound, DecodeBound = mid?.Bound,
            PrefillFlops = prefill.Flops, PrefillBytes = prefill.Bytes, DecodeFlops = mid?.Flops, DecodeBytes = mid?.Bytes,
            PeakFlopsPerSecond = r.Machine.PeakFlops(Precision.Fp32)!.Value, BandwidthBytesPerSecond = r.Machine.BandwidthBytesPerSecond,
            Roofs = r.Roofs, Config = r.ConfigPath,
        };
    }

    private static GenerationPoint Summary(GenerationMeasurement m) => new()
    {
        Batch = m.Batch, PromptLength = m.PromptLength, GenLength = m.GenLength, Runs = m.Runs,
        TtftP50Ms = m.TtftMs.P50, TtftP50Ci = m.TtftMs.Ci.GetValueOrDefault("p50"),
        TpotP50Ms = m.TpotMs?.P50, TpotP50Ci = m.TpotMs?.Ci.GetValueOrDefault("p50"),
        ItlP50Ms = m.ItlMs?.P50, ItlP90Ms = m.ItlMs?.P90, ItlP99Ms = m.ItlMs?.P99,
        DecodeTokensPerS = m.DecodeTokensPerS, E2eTokensPerS = m.E2eTokensPerS, KvCacheBytes = m.KvCacheBytes,
        HarnessOverheadMsPerToken = m.HarnessOverheadMsPerToken,
        PredictedTtftMs = m.Predicted?.TtftMs, PredictedTpotMs = m.Predicted?.TpotMs,
        TtftMeasuredOverPredicted = m.Predicted?.TtftMeasuredOverPredicted, TpotMeasuredOverPredicted = m.Predicted?.TpotMeasuredOverPredicted,
    };
}

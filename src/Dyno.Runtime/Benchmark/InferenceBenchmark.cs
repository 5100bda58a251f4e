using System.Diagnostics;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Models.Shapes;
using Dyno.Runtime.Calibration;
using Dyno.Runtime.Environment;
using Dyno.Runtime.Models;
using Dyno.Runtime.Statistics;
using Microsoft.ML.OnnxRuntime;

namespace Dyno.Runtime.Benchmark;

/// <summary>A model to benchmark: an ONNX file or one of Dyno's embedded examples.</summary>
public sealed record ModelSource(string? Path, string? Example)
{
    public static ModelSource File(string path) => new(System.IO.Path.GetFullPath(path), null);
    public static ModelSource Embedded(string name) => new(null, name);

    public OnnxModel Open() => Example is not null ? ExampleModels.Open(Example) : OnnxModel.Load(Path!);

    public Stream OpenBytes() => Example is not null
        ? typeof(ExampleModels).Assembly.GetManifestResourceStream("Dyno.Models.Examples." + Example + ".onnx")
          ?? throw new DynoInputException($"no example model named '{Example}'")
        : System.IO.File.OpenRead(Path!);

    public override string ToString() => Example is not null ? "example:" + Example : Path!;
}

/// <summary>Progress of a running benchmark: the phase and its completed fraction.</summary>
public readonly record struct BenchProgress(string Phase, double Fraction);

/// <summary>
/// Measures a model with ONNX Runtime: cold start phases, warm-up to steady state, timed latency
/// until the median's confidence interval is tight enough (or a time budget or fixed count), a
/// throughput sweep over batch sizes and concurrency, an MLPerf-style scenario, memory, and a
/// profiled pass joined to Dyno's static per-node costs.
/// </summary>
public static class InferenceBenchmark
{
    private const int MaxIterations = 2_000_000;

    public static BenchResult Run(ModelSource source, BenchOptions o, CalibrationResult? calibration = null,
        IProgress<BenchProgress>? progress = null, CancellationToken ct = default)
    {
        Validate(o);
        var processStart = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var processStartMs = Math.Max(0, (DateTime.UtcNow - processStart).TotalMilliseconds);
        var clock = Stopwatch.StartNew();
        var warnings = new List<string>();
        var notes = new List<string>();

        progress?.Report(new BenchProgress("loading model", 0));
        using var onnx = source.Open();
        var initNames = onnx.Graph.Initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = onnx.Graph.Inputs.Where(i => !initNames.Contains(i.Name)).ToList();
        var rewrite = NeedsSymbolicBatch(inputs, o);
        Func<Stream> bytes = source.OpenBytes;
        if (rewrite)
        {
            using var s = source.OpenBytes();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            var rewritten = BatchDimRewriter.MakeBatchSymbolic(ms.GetBuffer().AsSpan(0, (int)ms.Length), inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal));
            bytes = () => new MemoryStream(rewritten, writable: false);
            notes.Add($"the model's inputs have a fixed batch dimension; Dyno made it symbolic ('{BatchDimRewriter.Symbol}') to run batch sizes {string.Join(", ", o.Batches)}");
        }
        using var runnable = WeightMaterializer.Prepare(onnx, source.Path, bytes, forceCopy: rewrite, seed: o.Seed);
        notes.AddRange(runnable.Notes);
        if (o.SaveModelPath is not null) SaveRunnable(runnable, o.SaveModelPath, notes);
        var modelLoadMs = clock.Elapsed.TotalMilliseconds;

        var rssBefore = ProcessMemory.Rss();
        progress?.Report(new BenchProgress("creating session", 0));
        using var sessionOptions = CreateSessionOptions(o);
        var t = Stopwatch.GetTimestamp();
        using var session = new InferenceSession(runnable.Path, sessionOptions);
        var sessionMs = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        var rssAfterSession = ProcessMemory.Rss();

        var batch0 = o.Batches[0];
        var specs0 = Specs(inputs, o, batch0, notes);
        var fileInputs = o.InputsDirectory is null ? null : InputFiles.Load(o.InputsDirectory, specs0);
        if (fileInputs is not null)
        {
            specs0 = fileInputs.Select(f => specs0.First(s => s.Name == f.Name) with { Shape = f.Shape }).ToList();
            if (o.Batches.Count > 1) warnings.Add("BenchOptions.InputsDirectory fixes the input shapes: the batch sweep runs only the files' shapes");
        }
        var runner = fileInputs is not null
            ? SessionRunner.Fixed(session, fileInputs.Select(f => (f.Name, f.Value)).ToList())
            : SessionRunner.Random(session, specs0, o.InputPool, o.Seed);
        t = Stopwatch.GetTimestamp();
        runner.Run();
        var firstMs = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        var cold = new ColdStart
        {
            ProcessStart = processStartMs, ModelLoad = modelLoadMs, SessionCreate = sessionMs, FirstInference = firstMs,
            Total = processStartMs + clock.Elapsed.TotalMilliseconds,
        };

        var env = EnvironmentInfo.Capture(); // after the cold start, so reading /proc is not timed as one of its phases
        if (env.LoadAverage is { } load && load[0] > env.LogicalCores * 0.75)
            warnings.Add($"the machine is busy (load average {load[0]:0.00} on {env.LogicalCores} cores): timings include interference from other processes");
        var profile0 = ModelProfiler.Profile(onnx, new ProfileOptions { InputShapes = specs0.ToDictionary(s => s.Name, s => s.Shape) });
        var batches = fileInputs is not null ? [batch0] : o.Batches;
        var points = new List<ThroughputPoint>();
        LatencyStats? latency0 = null;
        double[]? samples0 = null;
        WarmupInfo? warmup0 = null;
        var stop0 = "";
        ScenarioResult? server = null;
        for (var bi = 0; bi < batches.Count; bi++)
        {
            ct.ThrowIfCancellationRequested();
            var b = batches[bi];
            var r = bi == 0 ? runner : SessionRunner.Random(session, Specs(inputs, o, b, null), o.InputPool, o.Seed + bi);
            try
            {
                if (bi > 0) r.Run();
                var label = batches.Count > 1 ? $"batch {b}: " : "";
                var warm = Warmup(r, o, f => progress?.Report(new BenchProgress(label + "warm-up", f)));
                if (!warm.SteadyStateDetected) warnings.Add($"batch {b}: no steady state within {o.MaxWarmupSeconds} s of warm-up; timings may still drift");
                var (samples, reason, wall) = Measure(r, o, f => progress?.Report(new BenchProgress(label + "timed iterations", f)), ct);
                var stats = LatencyStats.From(samples);
                if (bi == 0)
                {
                    latency0 = stats;
                    samples0 = samples.ToArray();
                    warmup0 = warm;
                    stop0 = reason;
                }
                points.Add(Point(b, 1, stats, samples.Count, wall));
                if (o.Concurrency > 1)
                {
                    var (cs, cwall) = Concurrent(r, o, f => progress?.Report(new BenchProgress($"{label}{o.Concurrency} parallel requests", f)), ct);
                    points.Add(Point(b, o.Concurrency, LatencyStats.From(cs), cs.Count, cwall));
                }
                if (bi == 0 && o.Scenario == Scenario.Server)
                    server = Server(r, o, b, f => progress?.Report(new BenchProgress("server scenario", f)), ct);
            }
            finally
            {
                if (bi > 0) r.Dispose();
            }
        }
        var rssAfterRuns = ProcessMemory.Rss();
        var peakRss = ProcessMemory.PeakRss(); // before the profiling pass, whose second session is not the user's
        var latency = latency0!;
        if (latency.Noisy)
            warnings.Add($"latency CV is {latency.Cv:P1} (> {LatencyStats.NoisyCv:P0}): the machine is noisy; compare medians, not means");
        if (latency.Outliers.Count > 0)
            notes.Add($"{latency.Outliers.Count} of {latency.Count} timed iterations are outliers by Tukey's fences ({latency.Outliers.High} high, {latency.Outliers.Low} low); they are kept in every statistic");

        OpsReport? ops = null;
        if (o.ProfileOps && fileInputs is null)
        {
            progress?.Report(new BenchProgress("per-operator profile", 0));
            ops = ProfileOps(runnable.Path, o, specs0, runner, profile0.Nodes, onnx.Graph.Nodes);
            if (Math.Abs(ops.SumOpsOverLatency - 1) > 0.05)
                notes.Add($"per-operator kernel times sum to {ops.SumOpsOverLatency:P1} of the median latency measured without the profiler in interleaved runs ({ops.SumOpsOverProfiledRun:P1} of a profiled run): the rest is the runtime's own work between kernels, profiler cost, or a change of machine load between the two passes");
        }

        runner.Dispose();
        var seconds = latency.P50 / 1000;
        var threads = o.IntraOpThreads > 0 ? o.IntraOpThreads : env.LogicalCores;
        var gemm = calibration?.GemmFor("float32", threads);
        var triad = calibration?.TriadFor(threads);
        var achievedFlops = profile0.Totals.Flops / seconds;
        var achievedBytes = profile0.Totals.MemoryAccessBytes / seconds;
        var utilization = new UtilizationReport
        {
            AchievedFlopsPerSecond = achievedFlops, AchievedBytesPerSecond = achievedBytes,
            GemmRoofFlopsPerSecond = gemm?.FlopsPerSecond, TriadRoofBytesPerSecond = triad?.BytesPerSecond,
            FlopsUtilization = gemm is null ? null : achievedFlops / gemm.FlopsPerSecond,
            BandwidthUtilization = triad is null ? null : achievedBytes / triad.BytesPerSecond,
            CalibrationSource = calibration is null ? null : MachineCalibration.CachePath,
        };
        if (calibration is { Degraded: true }) warnings.Add(MachineCalibration.DegradedWarning(calibration));
        if (profile0.Totals.Partial) warnings.Add("the static cost is partial (some shapes unresolved): FLOP/s and utilization are lower bounds");

        return new BenchResult
        {
            Model = new BenchModelInfo
            {
                Source = source.ToString(),
                Inputs = specs0.Select(s => new BenchInput(s.Name, DataTypes.Name(s.DataType), s.Shape,
                    fileInputs is not null ? "file" : $"random, {o.InputPool} distinct sets cycled")).ToList(),
                WeightsMaterialized = runnable.WeightsMaterialized, MaterializedWeightBytes = runnable.MaterializedBytes,
                BatchDimMadeSymbolic = rewrite,
                Flops = profile0.Totals.Flops, DenseMacs = profile0.Totals.DenseMacs, MemoryAccessBytes = profile0.Totals.MemoryAccessBytes,
            },
            Settings = new BenchSettings
            {
                Provider = o.Provider, IntraOpThreads = o.IntraOpThreads, InterOpThreads = o.InterOpThreads,
                GraphOptimization = o.GraphOptimization, ExecutionMode = o.ExecutionMode, Batches = batches.ToList(),
                Concurrency = o.Concurrency, Scenario = ScenarioName(o.Scenario), Iterations = o.Iterations,
                MaxTimeSeconds = o.MaxTimeSeconds, TargetRelativeCi = o.TargetRelativeCi, InputPool = o.InputPool, Seed = o.Seed,
            },
            ColdStartMs = cold,
            Warmup = warmup0!,
            LatencyMs = latency,
            SamplesMs = samples0,
            StopReason = stop0,
            Throughput = MarkPareto(points),
            Scenario = server ?? ScenarioMetric(o, latency, points),
            PeakRssBytes = peakRss,
            Memory = new MemoryInfo { RssBeforeSessionBytes = rssBefore, RssAfterSessionBytes = rssAfterSession, RssAfterRunsBytes = rssAfterRuns },
            Ops = ops,
            Utilization = utilization,
            Environment = env,
            Warnings = warnings,
            Notes = notes,
        };
    }

    /// <summary>Copies through a temporary file and a rename, so a reader never sees half a file.</summary>
    private static void CopyAtomically(string from, string to)
    {
        var tmp = Path.Combine(Path.GetDirectoryName(to)!, $".{Path.GetFileName(to)}.{System.Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.Copy(from, tmp);
            File.Move(tmp, to, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    private static void SaveRunnable(RunnableModel runnable, string target, List<string> notes)
    {
        target = Path.GetFullPath(target);
        var dir = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(dir)) throw DynoInputException.Naming(new DirectoryNotFoundException($"BenchOptions.SaveModelPath {target}: the folder '{dir}' does not exist"), "BenchOptions.SaveModelPath");
        if (runnable.TempDirectory is not null)
            foreach (var f in Directory.EnumerateFiles(runnable.TempDirectory, "*", SearchOption.AllDirectories))
                if (f != runnable.Path)
                {
                    var to = Path.Combine(dir, Path.GetRelativePath(runnable.TempDirectory, f));
                    Directory.CreateDirectory(Path.GetDirectoryName(to)!); // the external-data layout the model names
                    CopyAtomically(f, to);
                }
        CopyAtomically(runnable.Path, target); // the model last: it is never visible before its weights
        notes.Add($"the model as run was saved to {target}");
    }

    private static void Validate(BenchOptions o)
    {
        if (o.Batches.Count == 0 || o.Batches.Any(b => b < 1)) throw new DynoInputException($"BenchOptions.Batches {string.Join(",", o.Batches)}: batch sizes must be positive integers", "BenchOptions.Batches");
        if (o.InputPool < 1) throw new DynoInputException("BenchOptions.InputPool must be at least 1", "BenchOptions.InputPool");
        if (o.Concurrency < 1) throw new DynoInputException("BenchOptions.Concurrency must be at least 1", "BenchOptions.Concurrency");
        if (o.Iterations is < 1) throw new DynoInputException("BenchOptions.Iterations must be at least 1", "BenchOptions.Iterations");
        if (o.MaxTimeSeconds <= 0) throw new DynoInputException("BenchOptions.MaxTimeSeconds must be positive", "BenchOptions.MaxTimeSeconds");
        if (o.IntraOpThreads < 0 || o.InterOpThreads < 0) throw new DynoInputException("BenchOptions.IntraOpThreads and BenchOptions.InterOpThreads must be ≥ 0 (0 = runtime default)", "BenchOptions.IntraOpThreads", "BenchOptions.InterOpThreads");
        if (o.Scenario == Scenario.Server && o.Qps is not > 0) throw new DynoInputException("Scenario.Server needs BenchOptions.Qps (a positive query rate)", "Scenario.Server", "BenchOptions.Qps");
    }

    /// <summary>Session options from the benchmark options (provider, threads, optimization level, execution mode).</summary>
    public static SessionOptions CreateSessionOptions(BenchOptions o)
    {
        var so = new SessionOptions
        {
            IntraOpNumThreads = o.IntraOpThreads,
            InterOpNumThreads = o.InterOpThreads,
            GraphOptimizationLevel = o.GraphOptimization switch
            {
                GraphOptimization.Disable => GraphOptimizationLevel.ORT_DISABLE_ALL,
                GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                GraphOptimization.All => GraphOptimizationLevel.ORT_ENABLE_ALL,
                var g => throw new ArgumentOutOfRangeException(nameof(o), g, "not a GraphOptimization"),
            },
            ExecutionMode = o.ExecutionMode switch
            {
                SessionExecutionMode.Sequential => ExecutionMode.ORT_SEQUENTIAL,
                SessionExecutionMode.Parallel => ExecutionMode.ORT_PARALLEL,
                var m => throw new ArgumentOutOfRangeException(nameof(o), m, "not a SessionExecutionMode"),
            },
        };
        try
        {
            var available = OrtEnv.Instance().GetAvailableProviders();
            switch (o.Provider.ToLowerInvariant())
            {
                case "cpu": break;
                case "cuda" when available.Contains("CUDAExecutionProvider"): so.AppendExecutionProvider_CUDA(0); break;
                case "dnnl" when available.Contains("DnnlExecutionProvider"): so.AppendExecutionProvider_Dnnl(0); break;
                case "tensorrt" when available.Contains("TensorrtExecutionProvider"): so.AppendExecutionProvider_Tensorrt(0); break;
                case "openvino" when available.Contains("OpenVINOExecutionProvider"): so.AppendExecutionProvider_OpenVINO(""); break;
                default:
                    throw new DynoInputException($"BenchOptions.Provider {o.Provider}: not available in this ONNX Runtime build (available: {string.Join(", ", available)}); install the matching Microsoft.ML.OnnxRuntime.* package", "BenchOptions.Provider");
            }
        }
        catch
        {
            so.Dispose();
            throw;
        }
        return so;
    }

    private static bool NeedsSymbolicBatch(IReadOnlyList<OnnxValueInfo> inputs, BenchOptions o) =>
        o.InputsDirectory is null && inputs.Any(i =>
            o.InputShapes?.ContainsKey(i.Name) != true && i.Shape is { Length: > 0 } s && s[0].IsKnown && o.Batches.Any(b => b != s[0].Value));

    /// <summary>
    /// Concrete input shapes at <paramref name="batch"/>, by the one rule of <see cref="InputShapeResolver"/>:
    /// <see cref="BenchOptions.InputShapes"/> as given, else the declared shape with the leading dim set to the batch,
    /// <see cref="BenchOptions.Dims"/> for symbols and other unknown dims 1 (noted).
    /// </summary>
    internal static List<InputSpec> Specs(IReadOnlyList<OnnxValueInfo> inputs, BenchOptions o, int batch, List<string>? notes)
    {
        foreach (var i in inputs)
            if (i.Kind != ValueKind.Tensor) throw new DynoInputException($"input '{i.Name}' is a {i.Kind}, not a tensor: only tensor inputs can be generated");
        var resolved = InputShapeResolver.Resolve(inputs, new InputShapeRequest { InputShapes = o.InputShapes, Dims = o.Dims, Batch = batch });
        notes?.AddRange(resolved.Notes);
        return resolved.Inputs.Select(r => new InputSpec(r.Input.Name, r.Input.ElemType,
            r.Shape ?? throw new DynoInputException($"input '{r.Input.Name}' declares no shape: give it with InputShapes {r.Input.Name}=...", "InputShapes"))).ToList();
    }

    /// <summary>Runs until <see cref="SteadyStateDetector"/> says steady, or the warm-up budget is spent.</summary>
    private static WarmupInfo Warmup(SessionRunner r, BenchOptions o, Action<double> progress)
    {
        var detector = new SteadyStateDetector();
        var sw = Stopwatch.StartNew();
        var lastReport = 0L;
        while (true)
        {
            var t0 = Stopwatch.GetTimestamp();
            r.Run();
            var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (detector.Add(ms)) break;
            if (sw.Elapsed.TotalSeconds > o.MaxWarmupSeconds) break;
            if (sw.ElapsedMilliseconds - lastReport > 100)
            {
                lastReport = sw.ElapsedMilliseconds;
                progress(sw.Elapsed.TotalSeconds / o.MaxWarmupSeconds);
            }
        }
        progress(1);
        return new WarmupInfo(detector.Count, detector.IsSteady, sw.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The timed loop: per-call latency in ms into <paramref name="samplesMs"/>, nothing else between calls.
    /// Returns the wall time of the whole loop in seconds.
    /// </summary>
    public static double TimedLoop(SessionRunner r, Span<double> samplesMs)
    {
        var tickMs = 1000.0 / Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp();
        var prev = start;
        for (var i = 0; i < samplesMs.Length; i++)
        {
            r.Run();
            var now = Stopwatch.GetTimestamp();
            samplesMs[i] = (now - prev) * tickMs;
            prev = now;
        }
        return (prev - start) / (double)Stopwatch.Frequency;
    }

    private static (List<double> Samples, string Reason, double Wall) Measure(SessionRunner r, BenchOptions o, Action<double> progress, CancellationToken ct)
    {
        if (o.Iterations is { } fixedN)
        {
            var buf = new double[fixedN];
            var done = 0;
            double wall = 0;
            while (done < fixedN)
            {
                ct.ThrowIfCancellationRequested();
                var chunk = Math.Min(fixedN - done, Math.Max(1, fixedN / 20));
                wall += TimedLoop(r, buf.AsSpan(done, chunk));
                done += chunk;
                progress((double)done / fixedN);
            }
            return (buf.ToList(), "iterations", wall);
        }
        // Adaptive: blocks of timed calls; after each block, stop if the median's CI is tight enough or time is up.
        var samples = new List<double>();
        var block = new double[Math.Max(1, o.MinIterations)];
        var total = 0.0;
        var nextCheck = o.MinIterations;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            total += TimedLoop(r, block);
            samples.AddRange(block);
            progress(Math.Min(1, total / o.MaxTimeSeconds));
            if (samples.Count >= nextCheck)
            {
                nextCheck = (int)Math.Max(nextCheck + block.Length, samples.Count * 1.2);
                var sorted = samples.ToArray();
                Array.Sort(sorted);
                var (lo, hi) = LatencyStats.QuantileCi(sorted, 0.5);
                var med = LatencyStats.Percentile(sorted, 0.5);
                if (med > 0 && (hi - lo) / med <= o.TargetRelativeCi) return (samples, "ci_target", total);
            }
            if (total >= o.MaxTimeSeconds) return (samples, "time_budget", total);
            if (samples.Count >= MaxIterations) return (samples, "max_iterations", total);
            // Keep each block around 50 ms so the time budget is respected for slow and fast models alike.
            var perCall = total / samples.Count;
            var want = (int)Math.Clamp(0.05 / Math.Max(perCall, 1e-7), 1, 100_000);
            if (want != block.Length) block = new double[want];
        }
    }

    private static (List<double> Samples, double Wall) Concurrent(SessionRunner r, BenchOptions o, Action<double> progress, CancellationToken ct)
    {
        var workers = Enumerable.Range(0, o.Concurrency).Select(_ => r.Sibling()).ToList();
        try
        {
            foreach (var w in workers) { w.Run(); w.Run(); }
            var perWorker = o.Iterations is { } n ? (n + o.Concurrency - 1) / o.Concurrency : int.MaxValue;
            var budget = o.Iterations is null ? Math.Min(o.MaxTimeSeconds, 5) : double.MaxValue;
            var lists = new List<double>[o.Concurrency];
            var sw = Stopwatch.StartNew();
            Parallel.For(0, o.Concurrency, new ParallelOptions { MaxDegreeOfParallelism = o.Concurrency, CancellationToken = ct }, k =>
            {
                var list = lists[k] = [];
                var w = workers[k];
                while (list.Count < perWorker && sw.Elapsed.TotalSeconds < budget)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    w.Run();
                    list.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                    if (k == 0 && list.Count % 16 == 0)
                        progress(o.Iterations is null ? sw.Elapsed.TotalSeconds / budget : (double)list.Count / perWorker);
                }
            });
            return (lists.SelectMany(l => l).ToList(), sw.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var w in workers) w.Dispose();
        }
    }

    /// <summary>MLPerf server: Poisson arrivals at the target rate; latency counts from the scheduled arrival (queueing included).</summary>
    private static ScenarioResult Server(SessionRunner r, BenchOptions o, int batch, Action<double> progress, CancellationToken ct)
    {
        var qps = o.Qps!.Value;
        var queries = o.Iterations ?? (int)Math.Clamp(qps * o.MaxTimeSeconds, 1, MaxIterations);
        var rng = new XorShiftRandom((ulong)o.Seed + 99);
        var arrivals = new double[queries];
        double at = 0;
        for (var i = 0; i < queries; i++)
        {
            at += -Math.Log(1 - rng.NextDouble()) / qps;
            arrivals[i] = at;
        }
        var latencies = new double[queries];
        var workers = Enumerable.Range(0, o.Concurrency).Select(_ => r.Sibling()).ToList();
        try
        {
            foreach (var w in workers) w.Run();
            var next = -1;
            var start = Stopwatch.GetTimestamp();
            Parallel.For(0, o.Concurrency, new ParallelOptions { MaxDegreeOfParallelism = o.Concurrency, CancellationToken = ct }, k =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < queries)
                {
                    var due = arrivals[i];
                    while (Stopwatch.GetElapsedTime(start).TotalSeconds < due)
                    {
                        var wait = due - Stopwatch.GetElapsedTime(start).TotalSeconds;
                        if (wait > 0.002) Thread.Sleep(1);
                        else Thread.SpinWait(20);
                    }
                    workers[k].Run();
                    latencies[i] = (Stopwatch.GetElapsedTime(start).TotalSeconds - due) * 1000;
                    if (k == 0 && i % 16 == 0) progress((double)i / queries);
                }
            });
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var stats = LatencyStats.From(latencies);
            return new ScenarioResult
            {
                Name = "server", Metric = "p99_latency_ms", Value = stats.P99, TargetMs = o.LatencyTargetMs,
                TargetMet = o.LatencyTargetMs is { } target ? stats.P99 <= target : null,
                TargetQps = qps, AchievedQps = queries / elapsed, LatencyMs = stats,
            };
        }
        finally
        {
            foreach (var w in workers) w.Dispose();
        }
    }

    private static ScenarioResult ScenarioMetric(BenchOptions o, LatencyStats latency, IReadOnlyList<ThroughputPoint> points) => o.Scenario switch
    {
        Scenario.Offline => new ScenarioResult { Name = "offline", Metric = "samples_per_second", Value = points.Max(p => p.SamplesPerSecond) },
        _ => new ScenarioResult
        {
            Name = "single_stream", Metric = "p90_latency_ms", Value = latency.P90, TargetMs = o.LatencyTargetMs,
            TargetMet = o.LatencyTargetMs is { } target ? latency.P90 <= target : null,
        },
    };

    private static string ScenarioName(Scenario s) => s switch
    {
        Scenario.Offline => "offline",
        Scenario.Server => "server",
        _ => "single_stream",
    };

    private static ThroughputPoint Point(int batch, int concurrency, LatencyStats s, int iterations, double wall) => new()
    {
        Batch = batch, Concurrency = concurrency, Iterations = iterations,
        SamplesPerSecond = wall > 0 ? (double)batch * iterations / wall : 0,
        LatencyP50Ms = s.P50, LatencyP90Ms = s.P90, LatencyP99Ms = s.P99, LatencyMeanMs = s.Mean,
    };

    /// <summary>Marks the points no other point beats on both median latency and throughput.</summary>
    public static IReadOnlyList<ThroughputPoint> MarkPareto(IReadOnlyList<ThroughputPoint> points) =>
        points.Select(p => p with
        {
            Pareto = !points.Any(q => !ReferenceEquals(q, p) && q.LatencyP50Ms <= p.LatencyP50Ms && q.SamplesPerSecond >= p.SamplesPerSecond
                                      && (q.LatencyP50Ms < p.LatencyP50Ms || q.SamplesPerSecond > p.SamplesPerSecond)),
        }).ToList();

    /// <summary>
    /// Profiles the model in a second session, interleaving each profiled run with an unprofiled run of
    /// the main session: both see the same machine load, so the kernel-time sum is compared with an
    /// end-to-end latency measured at the same moments.
    /// </summary>
    private static OpsReport ProfileOps(string modelPath, BenchOptions o, IReadOnlyList<InputSpec> specs, SessionRunner main,
        IReadOnlyList<NodeCost> costs, IReadOnlyList<OnnxNode> graphNodes)
    {
        var dir = Directory.CreateTempSubdirectory("dyno-profile-").FullName;
        try
        {
            using var so = CreateSessionOptions(o);
            // The prefix must be set first: enabling profiling reads it.
            so.ProfileOutputPathPrefix = Path.Combine(dir, "ort");
            so.EnableProfiling = true;
            string file;
            const int warm = 5;
            var unprofiled = new double[o.ProfileIterations];
            using (var session = new InferenceSession(modelPath, so))
            using (var r = SessionRunner.Random(session, specs, o.InputPool, o.Seed + 17))
            {
                for (var i = 0; i < warm; i++) r.Run();
                for (var i = 0; i < o.ProfileIterations; i++)
                {
                    TimedLoop(main, unprofiled.AsSpan(i, 1));
                    r.Run();
                }
                file = session.EndProfiling();
            }
            return OpsReport.FromProfile(File.ReadAllText(file), warm, o.Batches[0], unprofiled, costs, graphNodes);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

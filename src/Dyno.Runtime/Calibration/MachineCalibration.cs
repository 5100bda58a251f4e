using System.Diagnostics;
using System.Text.Json;
using Dyno.Models.Onnx;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Environment;
using Dyno.Runtime.Models;
using Microsoft.ML.OnnxRuntime;

namespace Dyno.Runtime.Calibration;

/// <summary>Achievable GEMM rate at one precision and thread count (ONNX Runtime's own MatMul kernel).</summary>
public sealed record GemmRoof(string Precision, int Threads, int Size, double FlopsPerSecond);

/// <summary>STREAM-style triad bandwidth (a[i] = b[i] + s·c[i], 3 × 8 bytes moved per element, write-allocate not counted).</summary>
public sealed record TriadRoof(int Threads, long ArrayBytes, double BytesPerSecond);

/// <summary>What Dyno's timed loop adds to each inference, measured on an Identity model.</summary>
public sealed record HarnessOverhead
{
    /// <summary>Median per-inference latency Dyno reports for Identity(float[1]): the runtime's floor plus the harness.</summary>
    public required double IdentityLatencyUs { get; init; }

    /// <summary>The same calls back to back, timed as a block (no per-call timestamps or bookkeeping).</summary>
    public required double BareRunUs { get; init; }

    /// <summary>
    /// Wall time per iteration of the benchmark's timed loop (timestamps, sample store, input rotation)
    /// minus the bare per-call time, median over interleaved rounds: the harness's own cost per inference.
    /// </summary>
    public required double OverheadUs { get; init; }
}

/// <summary>The measured roofs of this machine, cached by <c>dyno calibrate</c>.</summary>
public sealed record CalibrationResult
{
    public required string CpuModel { get; init; }
    public required int LogicalCores { get; init; }
    public required string OnnxRuntime { get; init; }
    public required DateTimeOffset MeasuredAt { get; init; }
    public required IReadOnlyList<GemmRoof> Gemm { get; init; }
    public required IReadOnlyList<TriadRoof> Triad { get; init; }
    public required HarnessOverhead Harness { get; init; }

    /// <summary>1-minute load average while calibrating: a busy machine gives low roofs.</summary>
    public double? LoadAverage { get; init; }

    /// <summary>
    /// Why these roofs are not trustworthy (<see cref="MachineCalibration.Assess"/>): a busy machine, GEMM on all cores
    /// slower than on one, a negative harness overhead. Empty when the measurement is consistent.
    /// </summary>
    public IReadOnlyList<string> DegradedReasons { get; init; } = [];

    /// <summary>True when <see cref="DegradedReasons"/> is not empty: results that use these roofs say so.</summary>
    public bool Degraded => DegradedReasons.Count > 0;

    /// <summary>The GEMM roof for a precision at the closest thread count not above <paramref name="threads"/>.</summary>
    public GemmRoof? GemmFor(string precision, int threads) =>
        Gemm.Where(g => g.Precision == precision && g.Threads <= Math.Max(1, threads)).MaxBy(g => g.Threads);

    public TriadRoof? TriadFor(int threads) => Triad.Where(t => t.Threads <= Math.Max(1, threads)).MaxBy(t => t.Threads) ?? (Triad.Count > 0 ? Triad[0] : null);
}

/// <summary>
/// Measures the roofs of this machine: GEMM FLOP/s through ONNX Runtime's MatMul (float32 and
/// float64, 1 thread and all cores; best of several runs, as STREAM and LINPACK report) and triad
/// bandwidth over arrays far larger than the caches; and the harness's own cost per inference.
/// </summary>
public static class MachineCalibration
{
    /// <summary>The cache file: $XDG_CACHE_HOME/dyno/calibration.json, else ~/.cache/dyno/calibration.json.</summary>
    public static string CachePath
    {
        get
        {
            var xdg = System.Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(root, "dyno", "calibration.json");
        }
    }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>The cached calibration if it was measured on this CPU with this runtime version, else null; <see cref="CalibrationResult.DegradedReasons"/> re-assessed.</summary>
    public static CalibrationResult? LoadCached()
    {
        try
        {
            if (!File.Exists(CachePath)) return null;
            var c = JsonSerializer.Deserialize<CalibrationResult>(File.ReadAllText(CachePath), Json);
            var env = EnvironmentInfo.Capture();
            if (c is null || c.CpuModel != env.CpuModel || c.LogicalCores != env.LogicalCores || c.OnnxRuntime != env.OnnxRuntime) return null;
            // Caches written before the checks existed (or by --force) are judged again, so results using them say so.
            return c with { DegradedReasons = c.DegradedReasons.Union(Assess(c)).ToList() };
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Writes <paramref name="c"/> to <see cref="CachePath"/> (atomically).</summary>
    public static void Save(CalibrationResult c)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CachePath)!);
        var tmp = CachePath + ".tmp" + System.Environment.ProcessId;
        File.WriteAllText(tmp, JsonSerializer.Serialize(c, Json));
        File.Move(tmp, CachePath, overwrite: true);
    }

    /// <summary>Runs the calibration. <paramref name="quick"/> uses smaller problems and fewer repeats (about 3 s instead of 15 s).</summary>
    public static CalibrationResult Run(bool quick = false, IProgress<string>? progress = null)
    {
        var env = EnvironmentInfo.Capture();
        var cores = System.Environment.ProcessorCount;
        int[] threadCounts = cores > 1 ? [1, cores] : [1];
        var gemm = new List<GemmRoof>();
        foreach (var (precision, type, size) in new[] { ("float32", DataType.Float, quick ? 512 : 1024), ("float64", DataType.Double, quick ? 256 : 512) })
            foreach (var t in threadCounts)
            {
                progress?.Report($"GEMM {precision} {size}x{size}, {t} thread(s)");
                gemm.Add(new GemmRoof(precision, t, size, Gemm(type, size, t, quick ? 0.4 : 1.5)));
            }
        var triad = new List<TriadRoof>();
        foreach (var t in threadCounts)
        {
            progress?.Report($"triad, {t} thread(s)");
            var elements = quick ? 1 << 22 : 1 << 24;
            triad.Add(new TriadRoof(t, 3L * 8 * elements, Triad(elements, t, quick ? 5 : 12)));
        }
        progress?.Report("harness overhead (Identity model)");
        var harness = MeasureHarnessOverhead(quick ? 20_000 : 100_000);
        // The load average after the measurement covers the last minute of it; the higher of before and after counts.
        var loadAfter = EnvironmentInfo.Capture().LoadAverage?[0];
        var load = env.LoadAverage?[0] is { } before ? Math.Max(before, loadAfter ?? before) : loadAfter;
        var c = new CalibrationResult
        {
            CpuModel = env.CpuModel, LogicalCores = env.LogicalCores, OnnxRuntime = env.OnnxRuntime, MeasuredAt = DateTimeOffset.UtcNow,
            Gemm = gemm, Triad = triad, Harness = harness, LoadAverage = load,
        };
        return c with { DegradedReasons = Assess(c) };
    }

    /// <summary>Load average per logical core above which the machine counts as busy (as dyno bench's warning).</summary>
    public const double BusyLoadPerCore = 0.75;

    /// <summary>
    /// The reasons a calibration is not trustworthy: the machine was busy (1-minute load average above
    /// <see cref="BusyLoadPerCore"/> x cores), or the measurement contradicts itself: GEMM on more threads slower than on
    /// one (other processes took the cores), a negative harness overhead (the bare calls were slowed by interference
    /// more than the timed loop).
    /// </summary>
    public static IReadOnlyList<string> Assess(CalibrationResult c)
    {
        var reasons = new List<string>();
        if (c.LoadAverage is { } la && la > BusyLoadPerCore * c.LogicalCores)
            reasons.Add($"the machine was busy (load average {la:0.00} on {c.LogicalCores} cores)");
        foreach (var group in c.Gemm.GroupBy(g => g.Precision))
        {
            var one = group.Where(g => g.Threads == 1).Select(g => (GemmRoof?)g).FirstOrDefault();
            var most = group.MaxBy(g => g.Threads);
            if (one is not null && most is not null && most.Threads > 1 && most.FlopsPerSecond < one.FlopsPerSecond)
                reasons.Add($"GEMM {group.Key} on {most.Threads} threads ({most.FlopsPerSecond / 1e9:0.0} GFLOP/s) is slower than on 1 ({one.FlopsPerSecond / 1e9:0.0} GFLOP/s)");
        }
        if (c.Harness.OverheadUs < 0)
            reasons.Add($"the harness overhead came out negative ({c.Harness.OverheadUs.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} us)");
        return reasons;
    }

    /// <summary>
    /// The roofs dyno bench and dyno demo use: the cache, else a quick calibration, cached only when it is consistent.
    /// A degraded quick calibration is still returned (results that use it say so) but not cached, so the next run
    /// measures again; <paramref name="say"/> gets one line for the user about what happened.
    /// </summary>
    public static CalibrationResult LoadOrMeasure(Action<string>? say = null)
    {
        if (LoadCached() is { } cached) return cached;
        say?.Invoke("no cached machine calibration: measuring the roofs once (quick; run 'dyno calibrate' for the full one)");
        var c = Run(quick: true);
        if (c.Degraded) say?.Invoke($"warning: the quick calibration is not cached: {string.Join("; ", c.DegradedReasons)}");
        else Save(c);
        return c;
    }

    /// <summary>The warning results carry when they use degraded roofs.</summary>
    public static string DegradedWarning(CalibrationResult c) =>
        $"the machine roofs (GEMM FLOP/s, triad bandwidth) were measured unreliably: {string.Join("; ", c.DegradedReasons)}; utilization against them is not trustworthy (rerun 'dyno calibrate' on an idle machine)";

    private static double Gemm(DataType type, int n, int threads, double seconds)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(TinyModels.MatMul(n, n, n, type), options);
        using var runner = SessionRunner.Random(session, [new InputSpec("A", type, [n, n]), new InputSpec("B", type, [n, n])], 1, 3);
        runner.Run();
        runner.Run();
        var best = double.MaxValue;
        var sw = Stopwatch.StartNew();
        var runs = 0;
        while (sw.Elapsed.TotalSeconds < seconds || runs < 3)
        {
            var t0 = Stopwatch.GetTimestamp();
            runner.Run();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            runs++;
        }
        return 2.0 * n * n * n / best;
    }

    /// <summary>Best triad bandwidth in bytes/s over <paramref name="repeats"/> passes.</summary>
    public static double Triad(int elements, int threads, int repeats)
    {
        var a = GC.AllocateUninitializedArray<double>(elements);
        var b = new double[elements];
        var c = new double[elements];
        var chunks = threads;
        var per = (elements + chunks - 1) / chunks;
        // First touch by the threads that will use the pages.
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, k =>
        {
            var lo = k * per;
            var hi = Math.Min(elements, lo + per);
            for (var i = lo; i < hi; i++) { a[i] = 0; b[i] = 1; c[i] = 2; }
        });
        const double s = 3.0;
        var best = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var t0 = Stopwatch.GetTimestamp();
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, k =>
            {
                var lo = k * per;
                var hi = Math.Min(elements, lo + per);
                TriadKernel(a.AsSpan(lo, hi - lo), b.AsSpan(lo, hi - lo), c.AsSpan(lo, hi - lo), s);
            });
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return 3.0 * 8 * elements / best;
    }

    private static void TriadKernel(Span<double> a, ReadOnlySpan<double> b, ReadOnlySpan<double> c, double s)
    {
        var vs = new System.Numerics.Vector<double>(s);
        var w = System.Numerics.Vector<double>.Count;
        var i = 0;
        for (; i <= a.Length - w; i += w)
            (new System.Numerics.Vector<double>(b[i..]) + vs * new System.Numerics.Vector<double>(c[i..])).CopyTo(a[i..]);
        for (; i < a.Length; i++) a[i] = b[i] + s * c[i];
    }

    /// <summary>
    /// Runs Identity(float[1]) in interleaved rounds: per-call timing as the benchmark loop does it,
    /// then the same number of calls timed as one block; the overhead is the median difference.
    /// </summary>
    public static HarnessOverhead MeasureHarnessOverhead(int callsPerRound = 100_000, int rounds = 8)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(TinyModels.Identity(), options);
        using var runner = SessionRunner.Random(session, [new InputSpec("X", DataType.Float, [1])], 8, 1);
        for (var i = 0; i < 1000; i++) runner.Run();
        var samples = new double[callsPerRound];
        var timed = new double[rounds];
        var bare = new double[rounds];
        var diffs = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            // Alternate which loop goes first, so a drift in machine load does not favour one side.
            double wall = 0;
            if (r % 2 == 1) wall = InferenceBenchmark.TimedLoop(runner, samples);
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 0; i < callsPerRound; i++) runner.Run();
            bare[r] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / callsPerRound;
            if (r % 2 == 0) wall = InferenceBenchmark.TimedLoop(runner, samples);
            timed[r] = Statistics.LatencyStats.Percentile(Sorted(samples), 0.5) * 1000;
            diffs[r] = wall * 1e6 / callsPerRound - bare[r];
        }
        return new HarnessOverhead
        {
            IdentityLatencyUs = Median(timed), BareRunUs = Median(bare), OverheadUs = Median(diffs),
        };
    }

    private static double[] Sorted(double[] xs)
    {
        var c = (double[])xs.Clone();
        Array.Sort(c);
        return c;
    }

    private static double Median(double[] xs) => Statistics.LatencyStats.Percentile(Sorted(xs), 0.5);
}

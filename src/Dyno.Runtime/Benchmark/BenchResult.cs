using Dyno.Models.Hardware;
using Dyno.Runtime.Calibration;
using Dyno.Runtime.Environment;
using Dyno.Runtime.Statistics;

namespace Dyno.Runtime.Benchmark;

/// <summary>The result of <c>dyno bench</c>: its JSON contract (docs/bench.md).</summary>
public sealed record BenchResult
{
    public required BenchModelInfo Model { get; init; }
    public required BenchSettings Settings { get; init; }
    public required ColdStart ColdStartMs { get; init; }
    public required WarmupInfo Warmup { get; init; }

    /// <summary>Latency of one inference at the first batch size, milliseconds.</summary>
    public required LatencyStats LatencyMs { get; init; }

    /// <summary>The timed latencies of the first batch size, in milliseconds and in measurement order (for histograms).</summary>
    public IReadOnlyList<double>? SamplesMs { get; init; }

    /// <summary>Why the timed loop stopped: <c>ci_target</c>, <c>time_budget</c>, <c>iterations</c> or <c>max_iterations</c>.</summary>
    public required string StopReason { get; init; }

    public required IReadOnlyList<ThroughputPoint> Throughput { get; init; }
    public required ScenarioResult Scenario { get; init; }

    /// <summary>Peak resident set size of the whole process (bytes), taken after the timed runs and before the profiling pass.</summary>
    public required long PeakRssBytes { get; init; }

    public required MemoryInfo Memory { get; init; }
    public OpsReport? Ops { get; init; }
    public required UtilizationReport Utilization { get; init; }
    public required EnvironmentInfo Environment { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
}

/// <summary>What was run.</summary>
public sealed record BenchModelInfo
{
    public required string Source { get; init; }
    public required IReadOnlyList<BenchInput> Inputs { get; init; }

    /// <summary>True when the weight data was absent and Dyno generated random weights.</summary>
    public bool WeightsMaterialized { get; init; }
    public long MaterializedWeightBytes { get; init; }

    /// <summary>True when the inputs' fixed batch dimension was made symbolic to run other batch sizes.</summary>
    public bool BatchDimMadeSymbolic { get; init; }

    /// <summary>Static cost of one inference at the first batch size (from <c>dyno profile</c>'s cost model).</summary>
    public long Flops { get; init; }
    public long DenseMacs { get; init; }
    public long MemoryAccessBytes { get; init; }
}

/// <summary>A model input as fed at the first batch size.</summary>
public sealed record BenchInput(string Name, string Dtype, IReadOnlyList<long> Shape, string Data);

/// <summary>Session settings, recorded with the result.</summary>
public sealed record BenchSettings
{
    public required string Provider { get; init; }
    public required int IntraOpThreads { get; init; }
    public required int InterOpThreads { get; init; }
    public required GraphOptimization GraphOptimization { get; init; }
    public required SessionExecutionMode ExecutionMode { get; init; }
    public required IReadOnlyList<int> Batches { get; init; }
    public required int Concurrency { get; init; }
    public required string Scenario { get; init; }
    public int? Iterations { get; init; }
    public required double MaxTimeSeconds { get; init; }
    public required double TargetRelativeCi { get; init; }
    public required int InputPool { get; init; }
    public required int Seed { get; init; }
}

/// <summary>Cold start phases in milliseconds, each from the end of the previous one.</summary>
public sealed record ColdStart
{
    /// <summary>Process start → benchmark begins (runtime start-up, JIT, argument parsing).</summary>
    public required double ProcessStart { get; init; }

    /// <summary>Reading and parsing the ONNX file, materializing absent weights.</summary>
    public required double ModelLoad { get; init; }

    /// <summary>Creating the ONNX Runtime session (graph optimization, kernel selection, weight prepacking).</summary>
    public required double SessionCreate { get; init; }

    /// <summary>The first inference (allocations, lazy initialization).</summary>
    public required double FirstInference { get; init; }

    /// <summary>Process start → first inference done.</summary>
    public required double Total { get; init; }
}

/// <summary>Warm-up before the timed loop.</summary>
public sealed record WarmupInfo(int Iterations, bool SteadyStateDetected, double Seconds);

/// <summary>One point of the throughput sweep.</summary>
public sealed record ThroughputPoint
{
    public required int Batch { get; init; }
    public required int Concurrency { get; init; }
    public required int Iterations { get; init; }

    /// <summary>Samples (batch elements) per second, wall clock.</summary>
    public required double SamplesPerSecond { get; init; }

    public required double LatencyP50Ms { get; init; }
    public required double LatencyP90Ms { get; init; }
    public required double LatencyP99Ms { get; init; }
    public required double LatencyMeanMs { get; init; }

    /// <summary>On the latency–throughput Pareto front (no other point is both faster and higher-throughput).</summary>
    public bool Pareto { get; init; }
}

/// <summary>The MLPerf-style scenario's metric.</summary>
public sealed record ScenarioResult
{
    public required string Name { get; init; }

    /// <summary><c>p90_latency_ms</c>, <c>samples_per_second</c> or <c>p99_latency_ms</c>.</summary>
    public required string Metric { get; init; }
    public required double Value { get; init; }
    public double? TargetMs { get; init; }
    public bool? TargetMet { get; init; }

    /// <summary>Server scenario: requested and achieved query rates, and the latency distribution including queueing.</summary>
    public double? TargetQps { get; init; }
    public double? AchievedQps { get; init; }
    public LatencyStats? LatencyMs { get; init; }
}

/// <summary>Resident memory around session creation.</summary>
public sealed record MemoryInfo
{
    public required long RssBeforeSessionBytes { get; init; }
    public required long RssAfterSessionBytes { get; init; }
    public required long RssAfterRunsBytes { get; init; }

    /// <summary>RSS after the timed runs minus RSS before the session was created: the session's weights, arena and buffers.</summary>
    public long SessionGrowthBytes => RssAfterRunsBytes - RssBeforeSessionBytes;
}

/// <summary>Achieved rates against the calibrated roofs of this machine.</summary>
public sealed record UtilizationReport
{
    /// <summary>Static FLOPs of one inference ÷ median latency.</summary>
    public required double AchievedFlopsPerSecond { get; init; }

    /// <summary>Static memory traffic of one inference ÷ median latency.</summary>
    public required double AchievedBytesPerSecond { get; init; }

    public double? GemmRoofFlopsPerSecond { get; init; }
    public double? TriadRoofBytesPerSecond { get; init; }

    /// <summary>Achieved FLOP/s ÷ the measured GEMM roof at the same thread count.</summary>
    public double? FlopsUtilization { get; init; }

    /// <summary>Achieved bytes/s ÷ the measured triad bandwidth.</summary>
    public double? BandwidthUtilization { get; init; }

    /// <summary>Where the roofs came from: the calibration cache file, or a fresh calibration.</summary>
    public string? CalibrationSource { get; init; }

    /// <summary>Model FLOPs utilization for a transformer (with <c>--transformer-preset</c>/<c>--transformer-config</c>).</summary>
    public ModelFlopsUtilization? Mfu { get; init; }

    /// <summary>With a hardware profile: its name, precision and datasheet roofs, and the achieved rates as shares of them.</summary>
    public string? Hardware { get; init; }
    public Precision? HardwarePrecision { get; init; }
    public double? DatasheetPeakFlopsPerSecond { get; init; }
    public double? DatasheetBandwidthBytesPerSecond { get; init; }
    public double? DatasheetFlopsUtilization { get; init; }
    public double? DatasheetBandwidthUtilization { get; init; }
}

/// <summary>
/// Model FLOPs utilization in the PaLM sense (Chowdhery et al., 2022, appendix B): the FLOPs the model needs
/// by its architecture (from the transformer configuration, not from the kernels that ran) per second,
/// divided by a peak. For an inference benchmark the model FLOPs are the forward pass: 2 × matmul MACs of
/// the batch at its sequence length; the training-equivalent rate (6N + 12·L·H·Q·T per token) is given too.
/// </summary>
public sealed record ModelFlopsUtilization
{
    public required string Model { get; init; }
    public required int Seq { get; init; }
    public required int Batch { get; init; }
    public required long ModelFlopsPerInference { get; init; }
    public required double ModelFlopsPerSecond { get; init; }
    public required double TokensPerSecond { get; init; }
    public required double TrainingEquivalentFlopsPerSecond { get; init; }

    /// <summary>Model FLOP/s ÷ the measured GEMM roof of this machine.</summary>
    public double? MfuVsMeasuredRoof { get; init; }

    /// <summary>Model FLOP/s ÷ the datasheet peak of the hardware profile given.</summary>
    public double? MfuVsDatasheet { get; init; }
    public required string Definition { get; init; }
}

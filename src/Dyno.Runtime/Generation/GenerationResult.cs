using Dyno.Models.Roofline;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Environment;
using Dyno.Runtime.Statistics;

namespace Dyno.Runtime.Generation;

/// <summary>The result of <c>dyno bench --generate</c>: its JSON contract (docs/bench.md, "Generation").</summary>
public sealed record GenerationBenchResult
{
    public required GenerationModelInfo Model { get; init; }
    public required GenerationSettings Settings { get; init; }

    /// <summary>Process start → session → first token of the first generation.</summary>
    public required GenerationColdStart ColdStartMs { get; init; }

    /// <summary>The first point of the sweep in full.</summary>
    public required GenerationMeasurement Generation { get; init; }

    /// <summary>Every (batch, prompt length, generation length) point, the first included, in the order run.</summary>
    public required IReadOnlyList<GenerationPoint> Sweep { get; init; }

    /// <summary>Peak resident set size of the process (VmHWM) after all generations.</summary>
    public required long PeakRssBytes { get; init; }

    public required EnvironmentInfo Environment { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
}

/// <summary>The model and the cache layout found in its graph.</summary>
public sealed record GenerationModelInfo
{
    public required string Source { get; init; }
    public string? Config { get; init; }
    public required int Layers { get; init; }
    public required int KvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int Vocab { get; init; }
    public required bool PositionIds { get; init; }
    public required int MaxPositions { get; init; }
    public required long PadTokenId { get; init; }
    public required long KvCacheBytesPerToken { get; init; }
    public long? Params { get; init; }
    public bool WeightsMaterialized { get; init; }
}

/// <summary>How the generations were run.</summary>
public sealed record GenerationSettings
{
    public required string Provider { get; init; }
    public required int IntraOpThreads { get; init; }
    public required int InterOpThreads { get; init; }
    public required Benchmark.GraphOptimization GraphOptimization { get; init; }

    /// <summary><c>file</c> (--prompts) or <c>random</c>.</summary>
    public required string Prompts { get; init; }
    public required IReadOnlyList<int> Batches { get; init; }
    public required IReadOnlyList<int> PromptLengths { get; init; }
    public required IReadOnlyList<int> GenLengths { get; init; }
    public int? Iterations { get; init; }
    public required int WarmupGenerations { get; init; }
    public required double MaxTimeSeconds { get; init; }
    public required double TargetRelativeCi { get; init; }
    public required string Decoding { get; init; }
    public required string Padding { get; init; }
    public required int Seed { get; init; }
}

/// <summary>Cold start of the generation benchmark, milliseconds.</summary>
public sealed record GenerationColdStart
{
    public required double ProcessStart { get; init; }

    /// <summary>Reading the configs and the graph, materializing absent weights.</summary>
    public required double ModelLoad { get; init; }
    public required double SessionCreate { get; init; }

    /// <summary>Preparing the first point's feeds and buffers, then its first prefill up to token 0.</summary>
    public required double FirstToken { get; init; }
    public required double Total { get; init; }
}

/// <summary>One prompt's generated tokens.</summary>
public sealed record GeneratedOutput(int Row, int PromptLength, IReadOnlyList<long> TokenIds);

/// <summary>The median inter-token latency at one cache length.</summary>
public sealed record ContextLatency(int Context, double P50Ms);

/// <summary>
/// The measurement of one point: TTFT (prefill: feeds → token 0), TPOT per generation ((end − TTFT) / (n − 1)),
/// ITL per decode step, throughput, cache bytes, the harness's own time, and the roofline prediction.
/// </summary>
public sealed record GenerationMeasurement
{
    public required int Batch { get; init; }
    public required int PromptLength { get; init; }
    public required int GenLength { get; init; }
    public required int Runs { get; init; }
    public required string StopReason { get; init; }
    public required IReadOnlyList<GeneratedOutput> Outputs { get; init; }
    public required bool TokensIdenticalAcrossRuns { get; init; }
    public required LatencyStats TtftMs { get; init; }

    /// <summary>Absent when one token is generated (no decode step).</summary>
    public LatencyStats? TpotMs { get; init; }
    public LatencyStats? ItlMs { get; init; }

    /// <summary>End-to-end time of one generation, ms.</summary>
    public required LatencyStats E2eMs { get; init; }

    /// <summary>batch × (gen − 1) tokens ÷ the decode time, summed over the timed generations.</summary>
    public double? DecodeTokensPerS { get; init; }

    /// <summary>batch × gen tokens ÷ the end-to-end time, summed over the timed generations.</summary>
    public required double E2eTokensPerS { get; init; }

    /// <summary>K and V the cache holds after the last step (all layers, the whole batch).</summary>
    public required long KvCacheBytes { get; init; }

    /// <summary>Bytes of the two alternating cache buffers Dyno allocated (present of step k written while step k−1's is read).</summary>
    public required long KvCacheBufferBytes { get; init; }

    /// <summary>Median over decode steps of (inter-token latency − time inside <c>RunWithBinding</c>): Dyno's own work per token.</summary>
    public double? HarnessOverheadMsPerToken { get; init; }

    /// <summary>The mean of the same differences (includes preemptions that land outside Run).</summary>
    public double? HarnessOverheadMeanMsPerToken { get; init; }

    /// <summary><see cref="HarnessOverheadMsPerToken"/> ÷ the median inter-token latency.</summary>
    public double? HarnessOverheadShareOfTpot { get; init; }

    /// <summary>Median time inside Run: prefill and decode step.</summary>
    public required double SessionRunPrefillP50Ms { get; init; }
    public double? SessionRunDecodeP50Ms { get; init; }

    /// <summary>Median inter-token latency by cache length (prompt + tokens so far, the new one included).</summary>
    public IReadOnlyList<ContextLatency>? ItlByContext { get; init; }

    /// <summary>Least-squares slope of the per-step median ITL against the cache length, ms per 1,000 tokens.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("itl_slope_ms_per_1k_context")]
    public double? ItlSlopeMsPer1kContext { get; init; }

    public GenerationPrediction? Predicted { get; init; }
}

/// <summary>The <c>dyno llm</c> roofline of the same workload on this machine's measured roofs, and measured ÷ predicted.</summary>
public sealed record GenerationPrediction
{
    /// <summary>Prefill bound at the padded prompt length and batch: max(causal matmul FLOPs / GEMM roof, bytes / triad bandwidth).</summary>
    public required double TtftMs { get; init; }

    /// <summary>Mean of the decode-step bounds over the cache lengths the run visited (prompt + 1 … prompt + gen − 1).</summary>
    public double? TpotMs { get; init; }

    /// <summary>Measured TTFT p50 ÷ <see cref="TtftMs"/>.</summary>
    public required double TtftMeasuredOverPredicted { get; init; }

    /// <summary>Measured TPOT p50 ÷ <see cref="TpotMs"/>.</summary>
    public double? TpotMeasuredOverPredicted { get; init; }

    /// <summary>Which roof bounds the prefill (JSON: <c>compute</c> or <c>memory</c>).</summary>
    public required RooflineBound PrefillBound { get; init; }

    /// <summary>Which roof bounds a decode step, when there is one.</summary>
    public RooflineBound? DecodeBound { get; init; }
    public required long PrefillFlops { get; init; }
    public required long PrefillBytes { get; init; }

    /// <summary>One decode step at the mean cache length.</summary>
    public long? DecodeFlops { get; init; }
    public long? DecodeBytes { get; init; }
    public required double PeakFlopsPerSecond { get; init; }
    public required double BandwidthBytesPerSecond { get; init; }

    /// <summary>Where the roofs came from: <c>dyno calibrate</c> (float32 GEMM and triad at the run's thread count).</summary>
    public required string Roofs { get; init; }
    public required string Config { get; init; }
}

/// <summary>One point of the sweep, in short.</summary>
public sealed record GenerationPoint
{
    public required int Batch { get; init; }
    public required int PromptLength { get; init; }
    public required int GenLength { get; init; }
    public required int Runs { get; init; }
    public required double TtftP50Ms { get; init; }
    public Estimate? TtftP50Ci { get; init; }
    public double? TpotP50Ms { get; init; }
    public Estimate? TpotP50Ci { get; init; }
    public double? ItlP50Ms { get; init; }
    public double? ItlP90Ms { get; init; }
    public double? ItlP99Ms { get; init; }
    public double? DecodeTokensPerS { get; init; }
    public required double E2eTokensPerS { get; init; }
    public required long KvCacheBytes { get; init; }
    public double? HarnessOverheadMsPerToken { get; init; }
    public double? PredictedTtftMs { get; init; }
    public double? PredictedTpotMs { get; init; }
    public double? TtftMeasuredOverPredicted { get; init; }
    public double? TpotMeasuredOverPredicted { get; init; }
}

/// <summary>How <see cref="GenerationBenchmark"/> runs.</summary>
public sealed record GenerationOptions
{
    /// <summary>Session settings (provider, threads, optimization level, execution mode) as for <c>dyno bench</c>.</summary>
    public BenchOptions Session { get; init; } = new();

    /// <summary>One batch of unpadded prompts; null = random prompts of each <see cref="PromptLengths"/> × <see cref="Batches"/>.</summary>
    public IReadOnlyList<IReadOnlyList<long>>? Prompts { get; init; }

    /// <summary>Where <see cref="Prompts"/> came from, for messages.</summary>
    public string? PromptsSource { get; init; }

    public IReadOnlyList<int> PromptLengths { get; init; } = [128];
    public IReadOnlyList<int> Batches { get; init; } = [1];
    public IReadOnlyList<int> GenLengths { get; init; } = [128];

    /// <summary>Timed generations per point; null = until the CIs are tight or the time budget is spent.</summary>
    public int? Iterations { get; init; }

    /// <summary>Untimed generations per point before the timed ones.</summary>
    public int WarmupGenerations { get; init; } = 1;

    /// <summary>Time budget of the timed generations per point, seconds.</summary>
    public double MaxTimeSeconds { get; init; } = 10;

    /// <summary>Stop once the 95% CIs of the median TTFT and ITL are narrower than this fraction of them (after at least <see cref="MinRuns"/>).</summary>
    public double TargetRelativeCi { get; init; } = 0.02;

    public int MinRuns { get; init; } = 5;
    public int Seed { get; init; } = 1;
}

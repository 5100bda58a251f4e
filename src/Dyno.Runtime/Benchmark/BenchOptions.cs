namespace Dyno.Runtime.Benchmark;

/// <summary>MLPerf LoadGen-style scenarios.</summary>
public enum Scenario
{
    /// <summary>One query at a time, the next issued when the previous completes; the metric is the 90th percentile latency.</summary>
    SingleStream,
    /// <summary>All samples available at once: the metric is throughput at the largest batch and concurrency.</summary>
    Offline,
    /// <summary>Queries arrive as a Poisson process at <see cref="BenchOptions.Qps"/>; latency includes queueing, the metric is the 99th percentile.</summary>
    Server,
}

/// <summary>How <see cref="InferenceBenchmark"/> runs a model.</summary>
public sealed record BenchOptions
{
    /// <summary>Execution provider: <c>cpu</c> (default), <c>cuda</c>, <c>dnnl</c>, <c>openvino</c>, ... where the installed runtime has it.</summary>
    public string Provider { get; init; } = "cpu";

    /// <summary>Intra-op threads (0 = ONNX Runtime's default: one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Inter-op threads (0 = default; only used in parallel execution mode).</summary>
    public int InterOpThreads { get; init; }

    /// <summary>ONNX Runtime's graph optimization level.</summary>
    public GraphOptimization GraphOptimization { get; init; } = GraphOptimization.All;

    /// <summary>ONNX Runtime's execution mode.</summary>
    public SessionExecutionMode ExecutionMode { get; init; } = SessionExecutionMode.Sequential;

    /// <summary>Batch sizes to sweep; the first is the one the latency and per-op results describe.</summary>
    public IReadOnlyList<int> Batches { get; init; } = [1];

    /// <summary>Parallel requests on the one session for the throughput sweep.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>Fixed number of timed iterations per point (overrides the CI target and time budget).</summary>
    public int? Iterations { get; init; }

    /// <summary>Time budget per batch point, in seconds.</summary>
    public double MaxTimeSeconds { get; init; } = 10;

    /// <summary>Stop once the 95% CI of the median is narrower than this fraction of it.</summary>
    public double TargetRelativeCi { get; init; } = 0.01;

    /// <summary>Timed iterations always run at least this many times (unless <see cref="Iterations"/> is smaller).</summary>
    public int MinIterations { get; init; } = 50;

    /// <summary>Upper bound on warm-up time, in seconds, should steady state never be detected.</summary>
    public double MaxWarmupSeconds { get; init; } = 5;

    /// <summary>Input name → concrete shape; overrides the model's declaration.</summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>Symbolic dim name → value.</summary>
    public IReadOnlyDictionary<string, long>? Dims { get; init; }

    /// <summary>Directory of .npy or serialized TensorProto (.pb) files named after the inputs, used instead of random data.</summary>
    public string? InputsDirectory { get; init; }

    /// <summary>Distinct random input sets cycled through, so no two consecutive runs see the same data.</summary>
    public int InputPool { get; init; } = 8;

    /// <summary>Run a profiling pass with ONNX Runtime's profiler to time each operator.</summary>
    public bool ProfileOps { get; init; } = true;

    /// <summary>Iterations of the profiling pass.</summary>
    public int ProfileIterations { get; init; } = 50;

    public Scenario Scenario { get; init; } = Scenario.SingleStream;

    /// <summary>Target arrival rate of the server scenario, queries per second.</summary>
    public double? Qps { get; init; }

    /// <summary>Latency bound of the scenario's percentile (ms): p90 for single-stream, p99 for server.</summary>
    public double? LatencyTargetMs { get; init; }

    /// <summary>Also save the model exactly as run (batch dim made symbolic, materialized weights next to it) to this file.</summary>
    public string? SaveModelPath { get; init; }

    /// <summary>Seed of the random inputs and weights.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>ONNX Runtime's graph optimization level (JSON: <c>disable</c>, <c>basic</c>, <c>extended</c>, <c>all</c>).</summary>
public enum GraphOptimization
{
    /// <summary>No graph optimizations (<c>ORT_DISABLE_ALL</c>).</summary>
    Disable,

    /// <summary>Semantics-preserving rewrites such as constant folding (<c>ORT_ENABLE_BASIC</c>).</summary>
    Basic,

    /// <summary>Basic plus node fusions (<c>ORT_ENABLE_EXTENDED</c>).</summary>
    Extended,

    /// <summary>Everything, layout optimizations included (<c>ORT_ENABLE_ALL</c>, ONNX Runtime's default).</summary>
    All,
}

/// <summary>ONNX Runtime's execution mode (JSON: <c>sequential</c>, <c>parallel</c>).</summary>
public enum SessionExecutionMode
{
    /// <summary>Nodes run one after another (<c>ORT_SEQUENTIAL</c>).</summary>
    Sequential,

    /// <summary>Independent branches run concurrently on the inter-op threads (<c>ORT_PARALLEL</c>).</summary>
    Parallel,
}

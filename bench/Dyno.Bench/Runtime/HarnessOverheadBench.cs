using BenchmarkDotNet.Attributes;
using Dyno.Models.Onnx;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Models;
using Dyno.Runtime.Statistics;
using Microsoft.ML.OnnxRuntime;

namespace Dyno.Bench.Runtime;

/// <summary>
/// What dyno bench's timed loop costs on top of <c>InferenceSession.Run</c>: an Identity(float[1])
/// model, a bare call against one timed iteration of the benchmark loop (timestamps, sample store,
/// input rotation). Target: under 2 µs per inference. Also the statistics on a large sample.
/// </summary>
[MemoryDiagnoser]
public class HarnessOverheadBench : IDisposable
{
    private SessionOptions _options = null!;
    private InferenceSession _session = null!;
    private SessionRunner _runner = null!;
    private readonly double[] _sample = new double[1];
    private double[] _latencies = null!;

    [GlobalSetup]
    public void Setup()
    {
        _options = new SessionOptions { IntraOpNumThreads = 1 };
        _session = new InferenceSession(TinyModels.Identity(), _options);
        _runner = SessionRunner.Random(_session, [new InputSpec("X", DataType.Float, [1])], 8, 1);
        _runner.Run();
        var rng = new XorShiftRandom(3);
        _latencies = Enumerable.Range(0, 100_000).Select(_ => 3 + rng.NextDouble()).ToArray();
    }

    /// <summary>BenchmarkDotNet's cleanup; also the type's Dispose.</summary>
    public void Dispose()
    {
        Cleanup();
        GC.SuppressFinalize(this);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        // idempotent: BenchmarkDotNet's cleanup and Dispose may both run
        _runner?.Dispose();
        _session?.Dispose();
        _options?.Dispose();
        _runner = null!;
        _session = null!;
        _options = null!;
    }

    [Benchmark(Baseline = true)]
    public void BareRun() => _runner.Run();

    [Benchmark]
    public double TimedIteration() => InferenceBenchmark.TimedLoop(_runner, _sample);

    [Benchmark(OperationsPerInvoke = 1)]
    public double Stats100k() => LatencyStats.From(_latencies).P99;
}

using BenchmarkDotNet.Attributes;
using Dyno.Metrics.Tracking;

namespace Dyno.Bench.Tracking;

/// <summary>
/// In-process timings of the MOT pipeline on the generated MOT17-sized benchmark
/// (<c>python3 bench/mot_gen.py --out-dir /tmp/dyno-motbench</c>, or run bench/mot.sh once; override the
/// folder with DYNO_MOTBENCH). Run: <c>dotnet run -c Release --project bench/Dyno.Bench -- --filter '*MotBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
public class MotBenchmarks
{
    private IReadOnlyList<MotSequenceInput> _sequences = [];
    private List<TrackingSequence> _prepared = [];

    private static string Dir => Environment.GetEnvironmentVariable("DYNO_MOTBENCH") ?? "/tmp/dyno-motbench";

    [GlobalSetup]
    public void Setup()
    {
        _sequences = MotSequenceLoader.Load(Path.Combine(Dir, "gt"), Path.Combine(Dir, "pred"));
        _prepared = _sequences.Select(s =>
        {
            var (gt, pred) = MotPreprocessing.Apply(s.Gt, s.Pred, new MotPreprocessOptions(), s.Name);
            return TrackingSequence.FromBoxes(s.Name, gt, pred, s.NumFrames ?? Math.Max(gt.MaxFrame, pred.MaxFrame));
        }).ToList();
    }

    /// <summary>Reading and parsing all 14 files (parallel).</summary>
    [Benchmark]
    public int Read() => MotSequenceLoader.Load(Path.Combine(Dir, "gt"), Path.Combine(Dir, "pred")).Count;

    /// <summary>Preprocessing + IoU + CLEAR + Identity + HOTA for all sequences, in parallel (what the CLI does after reading).</summary>
    [Benchmark]
    public double EvaluateAll() => MotEvaluator.Evaluate(_sequences).Combined.Hota.HotaMean;

    /// <summary>CLEAR alone, sequential, on prepared sequences.</summary>
    [Benchmark]
    public int Clear() => _prepared.Sum(s => ClearMetrics.Evaluate(s).TP);

    /// <summary>Identity alone, sequential.</summary>
    [Benchmark]
    public int Identity() => _prepared.Sum(s => IdentityMetrics.Evaluate(s).IDTP);

    /// <summary>HOTA alone, sequential.</summary>
    [Benchmark]
    public double Hota() => _prepared.Sum(s => HotaMetrics.Evaluate(s).HotaMean);
}

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Dyno.Metrics.Classification;

namespace Dyno.Bench.Classification;

/// <summary>
/// The in-process classification engine on 1,000,000 samples x 1,000 classes of float scores (4 GB,
/// row-major): top-1/top-5, confusion matrix and P/R/F1, log loss, ECE (equal-width and equal-mass).
/// ROC-AUC/PR-AUC are off here (<c>Ranking = false</c>): they keep and sort every score (8 GB at this
/// size); <see cref="RankingBench"/> measures them separately.
/// Run: <c>dotnet run -c Release --project bench/Dyno.Bench -- --filter '*ClassificationBench*'</c>
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MemoryDiagnoser, MinColumn, MedianColumn, MaxColumn]
public class ClassificationBench : CpuClockedBench
{
    private const int Samples = 1_000_000, Classes = 1000;
    private int[] _labels = [];
    private float[] _scores = [];

    /// <summary>Scores are probabilities (false) or logits (true; adds a softmax per row).</summary>
    [Params(false, true)]
    public bool Logits { get; set; }

    protected override string Case => $"Logits={Logits}";

    [GlobalSetup]
    public void Setup()
    {
        (_labels, _scores) = SyntheticScores.Make(Samples, Classes, Logits, seed: 7);
    }

    [Benchmark]
    public double TopK_PRF_LogLoss_Ece()
    {
        var acc = new ClassificationAccumulator(Classes, new ClassificationOptions { TopK = [5], Logits = Logits, Ranking = false });
        acc.Update(_labels, _scores);
        var r = acc.Compute();
        return r.Accuracy + r.Macro.F1 + r.LogLoss + r.Calibration!.Ece;
    }
}

/// <summary>Exact one-vs-rest ROC-AUC and PR-AUC (every score kept and sorted per class): 100,000 samples x 1,000 classes.</summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3), MinColumn, MedianColumn, MaxColumn]
public class RankingBench : CpuClockedBench
{
    private const int Samples = 100_000, Classes = 1000;
    private int[] _labels = [];
    private float[] _scores = [];

    [GlobalSetup]
    public void Setup() => (_labels, _scores) = SyntheticScores.Make(Samples, Classes, logits: false, seed: 11);

    [Benchmark]
    public double AllMetricsWithAuc()
    {
        var acc = new ClassificationAccumulator(Classes, new ClassificationOptions { TopK = [5] });
        acc.Update(_labels, _scores);
        return acc.Compute().Ranking!.RocAucMacro;
    }
}

/// <summary>
/// The machine is shared: besides wall time, log the process CPU time of each iteration (all
/// threads), which other processes' load does not inflate; on an idle machine wall ≈ CPU / cores.
/// </summary>
public abstract class CpuClockedBench
{
    private readonly List<double> _cpuSeconds = [];
    private TimeSpan _cpuStart;

    /// <summary>The parameter values, for the log line.</summary>
    protected virtual string Case => "";

    [IterationSetup]
    public void StartCpuClock() => _cpuStart = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;

    [IterationCleanup]
    public void StopCpuClock() => _cpuSeconds.Add((System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - _cpuStart).TotalSeconds);

    [GlobalCleanup]
    public void Report() =>
        Console.WriteLine($"// CPU seconds per iteration ({GetType().BaseType?.Name} {Case}, {Environment.ProcessorCount} cores, warm-up first): " +
                          string.Join(", ", _cpuSeconds.Select(x => x.ToString("F2", System.Globalization.CultureInfo.InvariantCulture))));
}

/// <summary>Deterministic synthetic classifier outputs: the true class gets a boost so accuracy is realistic.</summary>
public static class SyntheticScores
{
    public static (int[] Labels, float[] Scores) Make(int samples, int classes, bool logits, int seed)
    {
        var labels = new int[samples];
        var scores = new float[(long)samples * classes];
        Parallel.For(0, samples, i =>
        {
            var state = (ulong)(seed * 1_000_003L + i) * 0x9E3779B97F4A7C15UL | 1;
            double Next()
            {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                return (state >> 11) * (1.0 / (1UL << 53));
            }
            var label = (int)(Next() * classes);
            labels[i] = label;
            var row = scores.AsSpan((int)((long)i * classes), classes);
            double sum = 0;
            for (var c = 0; c < classes; c++)
            {
                var z = Next() * 4 + (c == label ? 3.0 + 4 * Next() : 0);
                row[c] = (float)(logits ? z : Math.Exp(z));
                sum += row[c];
            }
            if (!logits)
                for (var c = 0; c < classes; c++) row[c] = (float)(row[c] / sum);
        });
        return (labels, scores);
    }
}

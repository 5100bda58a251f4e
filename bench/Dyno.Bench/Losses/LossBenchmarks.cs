using BenchmarkDotNet.Attributes;
using Dyno.Metrics.Losses;

namespace Dyno.Bench.Losses;

/// <summary>
/// Loss forward + backward on YOLOv8-sized heads: 8400 predictions × 80 classes (sigmoid losses),
/// 8400 × 16-bin DFL distributions × 4 sides, 8400 box pairs, and 1024 × 1000 cross-entropy.
/// </summary>
[MemoryDiagnoser]
public class LossBenchmarks
{
    private double[] _cls = [];
    private double[] _clsTargets = [];
    private double[] _ce = [];
    private int[] _ceTargets = [];
    private double[] _dfl = [];
    private double[] _dflTargets = [];
    private double[] _pred = [];
    private double[] _gt = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(0);
        _cls = Fill(rng, 8400 * 80, 4);
        _clsTargets = _cls.Select((_, i) => i % 97 == 0 ? rng.NextDouble() : 0).ToArray();
        _ce = Fill(rng, 1024 * 1000, 3);
        _ceTargets = Enumerable.Range(0, 1024).Select(_ => rng.Next(1000)).ToArray();
        _dfl = Fill(rng, 8400 * 4 * 16, 3);
        _dflTargets = Enumerable.Range(0, 8400 * 4).Select(_ => rng.NextDouble() * 14.99).ToArray();
        _gt = new double[8400 * 4];
        _pred = new double[8400 * 4];
        for (var i = 0; i < 8400; i++)
        {
            double x = rng.NextDouble() * 600, y = rng.NextDouble() * 600, w = 5 + rng.NextDouble() * 100, h = 5 + rng.NextDouble() * 100;
            _gt[4 * i] = x; _gt[4 * i + 1] = y; _gt[4 * i + 2] = x + w; _gt[4 * i + 3] = y + h;
            for (var k = 0; k < 4; k++) _pred[4 * i + k] = _gt[4 * i + k] + (rng.NextDouble() - 0.5) * 20;
            _pred[4 * i + 2] = Math.Max(_pred[4 * i + 2], _pred[4 * i] + 1);
            _pred[4 * i + 3] = Math.Max(_pred[4 * i + 3], _pred[4 * i + 1] + 1);
        }
    }

    private static double[] Fill(Random rng, int n, double scale) => Enumerable.Range(0, n).Select(_ => (rng.NextDouble() * 2 - 1) * scale).ToArray();

    [Benchmark] public double SigmoidFocal_8400x80() => FocalLoss.Sigmoid(_cls, _clsTargets).Value;
    [Benchmark] public double Varifocal_8400x80() => VarifocalLoss.Compute(_cls, _clsTargets).Value;
    [Benchmark] public double BceWithLogits_8400x80() => BinaryCrossEntropyLoss.WithLogits(_cls, _clsTargets).Value;
    [Benchmark] public double CrossEntropySmoothed_1024x1000() => CrossEntropyLoss.Compute(_ce, 1000, _ceTargets, labelSmoothing: 0.1).Value;
    [Benchmark] public double Dfl_33600x16() => DistributionFocalLoss.Compute(_dfl, 16, _dflTargets).Value;
    [Benchmark] public double CIoU_8400() => BoxLoss.Compute(BoxLossKind.CIou, _pred, _gt).Value;
}

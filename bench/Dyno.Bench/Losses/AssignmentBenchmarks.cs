using BenchmarkDotNet.Attributes;
using Dyno.Metrics.Assignment;
using Dyno.Metrics.Boxes;

namespace Dyno.Bench.Losses;

/// <summary>
/// Label assignment on one 640 × 480 image: the RPN-style IoU assigner over 18,900 anchors
/// (strides 8/16/32, 3 ratios) with 8 and 50 ground truths, as a dense scan and with the grid-sparse path; FCOS over its 5 levels; DETR matching of
/// 300 queries × 50 targets × 91 classes.
/// </summary>
[MemoryDiagnoser]
public class AssignmentBenchmarks
{
    private AnchorSet _set = null!;
    private Box[] _anchors = [];
    private Box[] _gt8 = [];
    private Box[] _gt50 = [];
    private double[] _logits = [];
    private double[] _pred = [];
    private double[] _tgt = [];
    private int[] _labels = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(0);
        _set = AnchorGenerator.Create([8, 16, 32], [32, 64, 128], [0.5, 1, 2]).Generate(640, 480);
        _anchors = _set.Anchors;
        Box Rand()
        {
            double x = rng.NextDouble() * 560, y = rng.NextDouble() * 400;
            return new Box(x, y, x + 8 + rng.NextDouble() * 200, y + 8 + rng.NextDouble() * 200);
        }
        _gt8 = Enumerable.Range(0, 8).Select(_ => Rand()).ToArray();
        _gt50 = Enumerable.Range(0, 50).Select(_ => Rand()).ToArray();
        _logits = Enumerable.Range(0, 300 * 92).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        _pred = Enumerable.Range(0, 300 * 4).Select(k => k % 4 < 2 ? rng.NextDouble() : 0.05 + rng.NextDouble() * 0.4).ToArray();
        _tgt = Enumerable.Range(0, 50 * 4).Select(k => k % 4 < 2 ? rng.NextDouble() : 0.05 + rng.NextDouble() * 0.4).ToArray();
        _labels = Enumerable.Range(0, 50).Select(_ => rng.Next(91)).ToArray();
    }

    [Benchmark] public int IouAssigner_18900x8() => new IouAssigner().Assign(_anchors, _gt8).MatchedGt.Length;
    [Benchmark] public int IouAssigner_18900x50() => new IouAssigner().Assign(_anchors, _gt50).MatchedGt.Length;
    [Benchmark] public int IouAssignerGrid_18900x8() => new IouAssigner().Assign(_set, _gt8).MatchedGt.Length;
    [Benchmark] public int IouAssignerGrid_18900x50() => new IouAssigner().Assign(_set, _gt50).MatchedGt.Length;
    [Benchmark] public int Fcos_640x480x50() => FcosAssigner.Default.Assign(640, 480, _gt50).MatchedGt.Length;
    [Benchmark] public double DetrMatch_300x50() => new HungarianMatcher().Match(_logits, 92, _pred, _labels, _tgt).TotalCost;
}

using Dyno.Metrics.Assignment;
using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Tests.Assignment;

public class AnchorFreeAndMatcherTests
{
    [Fact]
    public void FcosAssignsInsideCentreRegionWithinScaleRangeSmallestAreaFirst()
    {
        var fcos = new FcosAssigner([8, 16], [(-1, 32), (32, double.PositiveInfinity)], CenterSampleRadius: 0);
        // Big box 0..64 (max distance up to 60 → mostly level 1), small box 8..24 inside it (level 0).
        Box[] gt = [new(0, 0, 64, 64), new(8, 8, 24, 24)];
        var r = fcos.Assign(64, 64, gt, [5, 9]);
        int Point(int level, int x, int y) => level == 0 ? y * 8 + x : 64 + y * 4 + x;
        // Level 0 point (1,1) at (12,12): inside both; small box max distance 12 ≤ 32, big box max 52 > 32.
        Assert.Equal(1, r.MatchedGt[Point(0, 1, 1)]);
        Assert.Equal(9, r.Labels[Point(0, 1, 1)]);
        Assert.Equal([4, 4, 12, 12], r.Ltrb[(4 * Point(0, 1, 1))..(4 * Point(0, 1, 1) + 4)]);
        Assert.Equal(Math.Sqrt(4.0 / 12 * (4.0 / 12)), r.Centerness[Point(0, 1, 1)], 14);
        // Level 1 point (1,1) at (24,24): big box max distance 40 ∈ [32, ∞); small box edge → not strictly inside.
        Assert.Equal(0, r.MatchedGt[Point(1, 1, 1)]);
        // Level 0 point (0,0) at (4,4): only the big box, max distance 60 outside level 0's range.
        Assert.Equal(-1, r.MatchedGt[Point(0, 0, 0)]);

        // Centre sampling: radius 1.5·stride around the centre (32,32) on level 1 → points 24 and 40 only.
        var sampled = new FcosAssigner([16], [(-1, double.PositiveInfinity)]).Assign(64, 64, [gt[0]]);
        Assert.Equal(4, sampled.Positives);
        Assert.Equal([4], sampled.PositivesPerGt);
    }

    [Fact]
    public void CenterNetPeaksOffsetsAndRadius()
    {
        // CenterNet's gaussian_radius((h, w) = (10, 20), 0.7) evaluated in Python from its code: min of 28.77, 55.69, 3.678.
        Assert.Equal(3.6779253585061333, CenterNetAssigner.GaussianRadius(10, 20, 0.7), 12);
        var r = new CenterNetAssigner().Assign(128, 64, [new Box(10, 10, 50, 30), new Box(12, 10, 50, 31)], [2, 2], 3);
        Assert.Equal((32, 16), (r.OutputWidth, r.OutputHeight));
        Assert.Equal(5 * 32 + 7, r.CenterIndex[0]); // centre (30, 20)/4 = (7.5, 5)
        Assert.Equal([0.5, 0], r.Offset[..2]);
        Assert.Equal([10, 5], r.Size[..2]);
        Assert.Equal(1, r.Collisions);
        Assert.Equal(1f, r.Heatmap[2 * 32 * 16 + 5 * 32 + 7]);
        Assert.Equal(0f, r.Heatmap[5 * 32 + 7]);
        Assert.Equal(Math.Exp(-1 / (2 * Math.Pow((2 * r.Radius.Max() + 1) / 6.0, 2))), r.Heatmap[2 * 32 * 16 + 5 * 32 + 8], 6);
        // A box entirely outside the map clips to zero size: no target.
        Assert.Equal(-1, new CenterNetAssigner().Assign(128, 64, [new Box(200, 10, 260, 30)], [0], 1).CenterIndex[0]);
    }

    [Fact]
    public void HungarianMatcherTotalEqualsBruteForce()
    {
        var rng = new Random(42);
        foreach (var classCost in new[] { MatchClassCost.Softmax, MatchClassCost.Focal })
        for (var trial = 0; trial < 150; trial++)
        {
            var q = rng.Next(1, 7);
            var t = rng.Next(0, q + 1);
            const int classes = 4;
            var logits = Enumerable.Range(0, q * classes).Select(_ => rng.NextDouble() * 6 - 3).ToArray();
            var pred = RandomBoxes(rng, q);
            var tgt = RandomBoxes(rng, t);
            var labels = Enumerable.Range(0, t).Select(_ => rng.Next(classes)).ToArray();
            var matcher = new HungarianMatcher(ClassCost: classCost, ClassWeight: classCost == MatchClassCost.Focal ? 2 : 1);
            var m = matcher.Match(logits, classes, pred, labels, tgt);
            Assert.Equal(t, m.Queries.Length);
            Assert.Equal(t, m.Targets.Distinct().Count());
            Assert.Equal(m.Queries.Order(), m.Queries);
            Assert.Equal(LinearAssignmentTests.BruteForce(m.Cost, q, t), m.TotalCost, 9);
            Assert.Equal(m.Queries.Select((qi, k) => m.Cost[qi * t + m.Targets[k]]).Sum(), m.TotalCost, 12);
        }
    }

    [Fact]
    public void MatcherCostIsDetrs()
    {
        // One query, one target: −softmax prob + 5·L1 − 2·GIoU.
        double[] logits = [Math.Log(0.2), Math.Log(0.8)];
        double[] pred = [0.5, 0.5, 0.2, 0.2];
        double[] tgt = [0.55, 0.5, 0.2, 0.2];
        var m = new HungarianMatcher().Match(logits, 2, pred, [1], tgt);
        var giou = BoxIou.GIoU(Box.FromCxcywh(0.5, 0.5, 0.2, 0.2), Box.FromCxcywh(0.55, 0.5, 0.2, 0.2));
        Assert.Equal(-0.8 + 5 * 0.05 - 2 * giou, m.TotalCost, 12);
    }

    [Fact]
    public void KMeansRecoversClusteredShapesAndEvolutionNeverHurts()
    {
        var rng = new Random(3);
        (double W, double H)[] truth = [(10, 20), (40, 40), (120, 60)];
        var shapes = Enumerable.Range(0, 600).Select(i =>
        {
            var (w, h) = truth[i % 3];
            return new BoxShape(w * (0.95 + 0.1 * rng.NextDouble()), h * (0.95 + 0.1 * rng.NextDouble()));
        }).ToArray();
        var fit = AnchorFitter.Fit(shapes, 3, seed: 1);
        for (var c = 0; c < 3; c++)
        {
            Assert.Equal(truth[c].W, fit.Anchors[c].Width, truth[c].W * 0.03);
            Assert.Equal(truth[c].H, fit.Anchors[c].Height, truth[c].H * 0.03);
        }
        Assert.True(fit.MeanBestIou > 0.9);
        var evolved = AnchorFitter.Fit(shapes, 3, generations: 200, seed: 1);
        Assert.True(evolved.MeanBestIou >= evolved.KmeansMeanBestIou);
        Assert.Equal(evolved.Anchors, AnchorFitter.Fit(shapes, 3, generations: 200, seed: 1).Anchors);
        Assert.Equal("anchors:\n  - [10,20]  # P3/8\n  - [40,40]  # P4/16\n  - [120,60]  # P5/32\n",
            AnchorAnalysis.Yaml([new(10, 20), new(40, 40), new(120, 60)], [8, 16, 32]));
    }

    private static double[] RandomBoxes(Random rng, int n) =>
        Enumerable.Range(0, 4 * n).Select(k => k % 4 < 2 ? rng.NextDouble() : 0.05 + rng.NextDouble() * 0.5).ToArray();
}

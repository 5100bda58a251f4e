using Dyno.Metrics.Losses;

namespace Dyno.Metrics.Tests.Losses;

public class ContrastiveLossTests
{
    [Fact]
    public void InfoNceIsCrossEntropyOverScaledCosineSimilarities()
    {
        // Orthonormal texts; region 0 along text 0, region 1 between the texts.
        double[] texts = [1, 0, 0, 1];
        double[] regions = [2, 0, 1, 1];
        var r = ContrastiveLoss.InfoNce(regions, texts, 2, [0, 1], temperature: 0.5);
        var l0 = ClassificationLossTests.Lse([2, 0]) - 2;
        var s = Math.Sqrt(0.5) / 0.5;
        var l1 = ClassificationLossTests.Lse([s, s]) - s;
        Assert.Equal((l0 + l1) / 2, r.Value, 12);
        Assert.Equal(Math.Log(2), l1, 12);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var rng = new Random(5);
        const int n = 4, m = 4, d = 3;
        var regions = GradientCheck.Random(rng, n * d);
        var texts = GradientCheck.Random(rng, m * d);
        foreach (var (normalize, symmetric, pos) in new[] { (true, false, new[] { 2, -1, 0, 2 }), (false, false, new[] { 1, 0, 3, -1 }), (true, true, new[] { 3, 1, 0, 2 }) })
        {
            var r = ContrastiveLoss.InfoNce(regions, texts, d, pos, 0.3, normalize, symmetric);
            GradientCheck.Assert(x => ContrastiveLoss.InfoNce(x, texts, d, pos, 0.3, normalize, symmetric).Value, regions, r.RegionGradient);
            GradientCheck.Assert(x => ContrastiveLoss.InfoNce(regions, x, d, pos, 0.3, normalize, symmetric).Value, texts, r.TextGradient);
        }
    }

    [Fact]
    public void SymmetricNeedsOneRegionPerText()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => ContrastiveLoss.InfoNce([1, 0, 0, 1], [1, 0], 2, [0, 0], symmetric: true));
        Assert.Contains("text 0", e.Message);
    }
}

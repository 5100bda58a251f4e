using Dyno.Metrics.Losses;

namespace Dyno.Metrics.Tests.Losses;

public class ClassificationLossTests
{
    [Fact]
    public void CrossEntropyOfP06IsMinusLn06()
    {
        // The notes' example: the true class has probability 0.6 → −ln 0.6 = 0.5108…
        var r = CrossEntropyLoss.Compute([Math.Log(0.6), Math.Log(0.4)], 2, [0]);
        Assert.Equal(0.5108256237659907, r.Value, 12);
        Assert.Equal(0.51, Math.Round(r.Value, 2));
        Assert.Equal([-0.4, 0.4], r.Gradient.Select(g => Math.Round(g, 12)));
    }

    [Fact]
    public void CrossEntropyIsStableForHugeLogits()
    {
        var r = CrossEntropyLoss.Compute([1000, 0, -1000], 3, [1]);
        Assert.Equal(1000, r.Value, 9);
        Assert.True(r.Gradient.All(double.IsFinite));
    }

    [Fact]
    public void WeightedMeanDividesBySumOfTargetWeightsLikePyTorch()
    {
        double[] z = [1, 2, 0.5, -1, 0, 3];
        double[] w = [0.2, 1, 3];
        var r = CrossEntropyLoss.Compute(z, 3, [0, 2], w);
        var l0 = -(z[0] - Lse(z[..3]));
        var l1 = -(z[5] - Lse(z[3..]));
        Assert.Equal((0.2 * l0 + 3 * l1) / (0.2 + 3), r.Value, 12);
        Assert.Equal([0.2 * l0, 3 * l1], r.Elements.Select(e => Math.Round(e, 12)), new ToleranceComparer(1e-11));
    }

    [Fact]
    public void LabelSmoothingMixesTheUniformTarget()
    {
        double[] z = [0.3, -1.2, 2.0];
        var r = CrossEntropyLoss.Compute(z, 3, [2], labelSmoothing: 0.1);
        var lse = Lse(z);
        var expected = 0.9 * (lse - z[2]) + 0.1 / 3 * (3 * lse - z.Sum());
        Assert.Equal(expected, r.Value, 12);
    }

    [Fact]
    public void IgnoredSamplesContributeNothingAndAllIgnoredIsNaNLikePyTorch()
    {
        var r = CrossEntropyLoss.Compute([1, 2, 3, 4], 2, [-100, 1]);
        Assert.Equal(0, r.Elements[0]);
        Assert.Equal(Lse([3, 4]) - 4, r.Value, 12);
        Assert.True(double.IsNaN(CrossEntropyLoss.Compute([1, 2], 2, [-100]).Value));
    }

    [Fact]
    public void CrossEntropyRejectsBadTargets()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => CrossEntropyLoss.Compute([1, 2], 2, [2]));
        Assert.Contains("sample 0", e.Message);
    }

    [Fact]
    public void FocalLossOfTheNotes()
    {
        // γ = 2, no α: FL(p_t) = −(1 − p_t)² ln p_t. p_t = 0.99 → 1.005e-6; p_t = 0.1 → 1.86509.
        static double Fl(double pt) => FocalLoss.Sigmoid([Math.Log(pt / (1 - pt))], [1], alpha: -1).Value;
        Assert.Equal(1.0050335853501e-6, Fl(0.99), 15);
        Assert.Equal(1.865093925325177, Fl(0.1), 12);
        // Against plain CE the easy example is down-weighted 10⁴×, the hard one only by 0.81.
        Assert.Equal(1e-4, Fl(0.99) / -Math.Log(0.99), 12);
        Assert.Equal(0.81, Fl(0.1) / -Math.Log(0.1), 12);
        // With α = 0.25 on a positive; a negative with p = 0.01 has p_t = 0.99 and weight 0.75.
        Assert.Equal(0.25 * 1.865093925325177, FocalLoss.Sigmoid([Math.Log(0.1 / 0.9)], [1]).Value, 12);
        Assert.Equal(0.75 * 1.0050335853501e-6, FocalLoss.Sigmoid([Math.Log(0.01 / 0.99)], [0]).Value, 15);
        // The softmax form with two classes is the same number.
        Assert.Equal(1.865093925325177, FocalLoss.Softmax([Math.Log(0.1), Math.Log(0.9)], 2, [0]).Value, 12);
    }

    [Fact]
    public void FocalWithGammaZeroAndNoAlphaIsBce()
    {
        double[] x = [-3, 0.2, 5];
        double[] t = [0, 1, 0.3];
        var f = FocalLoss.Sigmoid(x, t, alpha: -1, gamma: 0);
        var b = BinaryCrossEntropyLoss.WithLogits(x, t);
        Assert.Equal(b.Value, f.Value, 14);
    }

    [Fact]
    public void BceWithPositiveWeight()
    {
        var r = BinaryCrossEntropyLoss.WithLogits([0.5], [1], positiveWeight: 3);
        Assert.Equal(-3 * Math.Log(1 / (1 + Math.Exp(-0.5))), r.Value, 12);
        Assert.Equal(745, BinaryCrossEntropyLoss.WithLogits([-745], [1]).Value, 9);
    }

    [Fact]
    public void VarifocalPositiveIsIouWeightedBceAndNegativeIsFocal()
    {
        var x = 0.4;
        var p = 1 / (1 + Math.Exp(-x));
        var pos = VarifocalLoss.Compute([x], [0.8]).Value;
        Assert.Equal(-0.8 * (0.8 * Math.Log(p) + 0.2 * Math.Log(1 - p)), pos, 12);
        var neg = VarifocalLoss.Compute([x], [0]).Value;
        Assert.Equal(-0.75 * p * p * Math.Log(1 - p), neg, 12);
    }

    [Fact]
    public void DistributionFocalLossSplitsBetweenNeighbouringBins()
    {
        double[] z = [0.1, 1.5, -0.3, 0.7];
        var lse = Lse(z);
        var r = DistributionFocalLoss.Compute(z, 4, [1.25]);
        Assert.Equal(0.75 * (lse - z[1]) + 0.25 * (lse - z[2]), r.Value, 12);
        Assert.Equal(lse - z[3], DistributionFocalLoss.Compute(z, 4, [3.0]).Value, 12);
        Assert.ThrowsAny<ArgumentException>(() => DistributionFocalLoss.Compute(z, 4, [3.5]));
    }

    [Fact]
    public void LargeInputsTakeTheParallelPathWithIdenticalResults()
    {
        var rng = new Random(2);
        const int n = 300, c = 300; // 90,000 logits: above the parallel threshold
        var z = GradientCheck.Random(rng, n * c, 4);
        var y = Enumerable.Range(0, n).Select(i => i % 7 == 0 ? -100 : rng.Next(c)).ToArray();
        var big = CrossEntropyLoss.Compute(z, c, y, labelSmoothing: 0.1, reduction: Reduction.Sum);
        var t = z.Select(v => v > 0 ? 1.0 : 0.0).ToArray();
        var focal = FocalLoss.Sigmoid(z, t, reduction: Reduction.Sum);
        for (var i = 0; i < n; i += 37)
        {
            var row = CrossEntropyLoss.Compute(z.AsSpan(i * c, c), c, [y[i]], labelSmoothing: 0.1, reduction: Reduction.Sum);
            Assert.Equal(row.Elements[0], big.Elements[i]);
            Assert.Equal(row.Gradient, big.Gradient[(i * c)..((i + 1) * c)]);
            var f = FocalLoss.Sigmoid(z.AsSpan(i * c, c), t.AsSpan(i * c, c), reduction: Reduction.Sum);
            Assert.Equal(f.Elements, focal.Elements[(i * c)..((i + 1) * c)]);
        }
    }

    [Fact]
    public void TinyLossesKeepTheirPrecision()
    {
        // softplus(−50) = log1p(e^−50) = 1.9287498479639178e−22, not 0.
        Assert.Equal(1.9287498479639178e-22, BinaryCrossEntropyLoss.WithLogits([50], [1]).Value, 1e-35);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var rng = new Random(7);
        const int n = 5, c = 4;
        var z = GradientCheck.Random(rng, n * c, 3);
        int[] y = [0, 3, -100, 2, 1];
        double[] w = [0.5, 1.5, 2, 0.7];
        double[] soft = GradientCheck.Random(rng, n * c).Select(v => Math.Abs(v) / 2).ToArray();
        double[] binary = soft.Select(v => v > 0.5 ? 1.0 : 0.0).ToArray();
        double[] scores = soft.Select((v, i) => i % 3 == 0 ? 0 : v).ToArray();

        foreach (var red in new[] { Reduction.Mean, Reduction.Sum })
        {
            Check(x => CrossEntropyLoss.Compute(x, c, y, w, 0.15, red), z);
            Check(x => CrossEntropyLoss.Compute(x, c, y, reduction: red), z);
            Check(x => BinaryCrossEntropyLoss.WithLogits(x, soft, soft, 2.5, red), z);
            Check(x => FocalLoss.Sigmoid(x, binary, 0.25, 2, red), z);
            Check(x => FocalLoss.Sigmoid(x, soft, -1, 1.5, red), z);
            Check(x => FocalLoss.Softmax(x, c, y, w, 2, red), z);
            Check(x => FocalLoss.Softmax(x, c, y, default, 0.5, red), z);
            Check(x => VarifocalLoss.Compute(x, scores, 0.75, 2, true, red), z);
            Check(x => VarifocalLoss.Compute(x, scores, 0.5, 1.5, false, red), z);
            Check(x => DistributionFocalLoss.Compute(x, c, [0.3, 2.9, 1.0, 0.0, 2.5], red), z);
        }
    }

    private static void Check(Func<double[], LossResult> loss, double[] x) =>
        GradientCheck.Assert(v => loss(v).Value, x, loss(x).Gradient);

    internal static double Lse(double[] z)
    {
        var m = z.Max();
        return m + Math.Log(z.Sum(v => Math.Exp(v - m)));
    }
}

internal sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
{
    public bool Equals(double a, double b) => Math.Abs(a - b) <= tol;
    public int GetHashCode(double obj) => 0;
}

using Dyno.Runtime.Statistics;
using FsCheck;
using FsCheck.Fluent;

namespace Dyno.Runtime.Tests;

public class LatencyStatsTests
{
    private static readonly double[] OneToHundred = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();

    [Fact]
    public void PercentilesAreType7AsNumpy()
    {
        // numpy.percentile(np.arange(1, 101), [50, 90, 95, 99]) = 50.5, 90.1, 95.05, 99.01
        var s = LatencyStats.From(OneToHundred);
        Assert.Equal(50.5, s.P50, 12);
        Assert.Equal(90.1, s.P90, 12);
        Assert.Equal(95.05, s.P95, 12);
        Assert.Equal(99.01, s.P99, 12);
        Assert.Equal(50.5, s.Mean, 12);
        Assert.Equal(29.011491975882016, s.Std, 12); // statistics.stdev (n - 1)
        Assert.Equal(1, s.Min);
        Assert.Equal(100, s.Max);
        Assert.Equal(29.011491975882016 / 50.5, s.Cv, 12);
    }

    [Fact]
    public void MedianCiUsesBinomialOrderStatistics()
    {
        // Ranks from the exact binomial (python: math.comb): n=100 median → x(40), x(61), coverage 0.9648;
        // p90 → x(84), x(96); n=1000 median → x(469), x(532); n=20 median → x(6), x(15).
        Assert.Equal((40, 61), LatencyStats.QuantileCiRanks(100, 0.5));
        Assert.Equal((84, 96), LatencyStats.QuantileCiRanks(100, 0.9));
        Assert.Equal((469, 532), LatencyStats.QuantileCiRanks(1000, 0.5));
        Assert.Equal((6, 15), LatencyStats.QuantileCiRanks(20, 0.5));
        var s = LatencyStats.From(OneToHundred);
        Assert.Equal(new Estimate(50.5, 40, 61), s.Ci["p50"]);
        Assert.Equal(84, s.Ci["p90"].Lower);
        Assert.Equal(96, s.Ci["p90"].Upper);
    }

    [Fact]
    public void TooFewSamplesForATailQuantileFallBackToTheExtreme()
    {
        // n=100, p99: no rank reaches 97.5% coverage above, so the upper bound is the maximum.
        Assert.Equal((97, 100), LatencyStats.QuantileCiRanks(100, 0.99));
    }

    [Fact]
    public void MeanCiUsesStudentT()
    {
        // scipy.stats.t.ppf(0.975, df): 9 → 2.2621571627, 29 → 2.0452296421, 2 → 4.3026527297, 1 → 12.7062047362
        Assert.Equal(2.2621571627, StudentT.Quantile(0.975, 9), 3);
        Assert.Equal(2.0452296421, StudentT.Quantile(0.975, 29), 4);
        Assert.Equal(4.3026527297, StudentT.Quantile(0.975, 2), 9);
        Assert.Equal(12.7062047362, StudentT.Quantile(0.975, 1), 6);
        Assert.Equal(1.959963984540054, Normal.Quantile(0.975), 7);
        var s = LatencyStats.From(OneToHundred);
        var half = StudentT.Quantile(0.975, 99) * s.Std / 10;
        Assert.Equal(50.5 - half, s.Ci["mean"].Lower, 12);
        Assert.Equal(1.984216952, StudentT.Quantile(0.975, 99), 5);
    }

    [Fact]
    public void OutliersAreCountedWithTukeyFencesAndKept()
    {
        // 1..20 plus 100 and -50: Q1 = 5.25, Q3 = 15.75 (type 7 on 22 values), IQR = 10.5, fences -10.5 and 31.5; far fences -26.25 and 47.25.
        var xs = Enumerable.Range(1, 20).Select(i => (double)i).Append(100).Append(-50).ToArray();
        var s = LatencyStats.From(xs);
        Assert.Equal(1, s.Outliers.High);
        Assert.Equal(1, s.Outliers.Low);
        Assert.Equal(2, s.Outliers.Extreme);
        Assert.Equal([20, 21], s.Outliers.Indices);
        Assert.Equal(5.25, LatencyStats.Percentile([.. xs.Order()], 0.25), 12);
        Assert.Equal(31.5, s.Outliers.UpperFence, 12);
        Assert.Equal(-10.5, s.Outliers.LowerFence, 12);
        Assert.Equal(22, s.Count);
        Assert.Equal(100, s.Max); // kept
    }

    [Fact]
    public void RejectsEmptyAndNonFiniteSamples()
    {
        Assert.ThrowsAny<ArgumentException>(() => LatencyStats.From([]));
        Assert.ThrowsAny<ArgumentException>(() => LatencyStats.From([1, double.NaN]));
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public bool PercentileCiBracketsThePercentile(NonEmptyArray<NormalFloat> data)
    {
        var xs = data.Get.Select(f => f.Get).ToArray();
        var s = LatencyStats.From(xs);
        return s.Ci.Where(kv => kv.Key != "mean").All(kv => kv.Value.Lower <= kv.Value.Value && kv.Value.Value <= kv.Value.Upper)
               && s.Min <= s.P50 && s.P50 <= s.P90 && s.P90 <= s.P95 && s.P95 <= s.P99 && s.P99 <= s.Max;
    }
}

public class SteadyStateDetectorTests
{
    private static IEnumerable<double> Noise(int n, double level, double amplitude, int seed)
    {
        var rng = new System.Random(seed);
        for (var i = 0; i < n; i++) yield return level * (1 + amplitude * (rng.NextDouble() - 0.5));
    }

    [Fact]
    public void DetectsTheEndOfAnExponentialWarmUp()
    {
        // 10 ms decaying to 1 ms with a time constant of 8 samples, ±1% noise: within 5% of the floor after ~30 samples.
        var series = Noise(200, 1, 0.02, 1).Select((x, i) => x * (1 + 9 * Math.Exp(-i / 8.0))).ToList();
        var at = SteadyStateDetector.FindSteadyIndex(series);
        Assert.InRange(at, 30, 60);
    }

    [Fact]
    public void AFlatSeriesIsSteadyAfterTwoWindows()
    {
        Assert.Equal(19, SteadyStateDetector.FindSteadyIndex(Noise(100, 3, 0.04, 2)));
    }

    [Fact]
    public void ASteadyTrendIsNeverSteady()
    {
        // +1% per sample: adjacent windows of 10 differ by ~10%.
        var series = Enumerable.Range(0, 300).Select(i => Math.Pow(1.01, i));
        Assert.Equal(-1, SteadyStateDetector.FindSteadyIndex(series));
    }

    [Fact]
    public void IsolatedSpikesDoNotPreventDetection()
    {
        var series = Noise(100, 2, 0.02, 3).Select((x, i) => i % 7 == 3 ? x * 10 : x);
        Assert.Equal(19, SteadyStateDetector.FindSteadyIndex(series));
    }
}

using Dyno.Metrics.Tracking;

namespace Dyno.Metrics.Tests.Tracking;

/// <summary>
/// The sparse per-component matching (with its uniqueness test and dense fallback) must give exactly
/// what SciPy-order assignment on the whole frame matrix gives, including on tie-heavy inputs. (At
/// scale, bench/mot_crosscheck.py compares with an independent numpy/SciPy implementation.)
/// </summary>
public class SparseMatchingTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    [InlineData(5, true)]
    [InlineData(6, false)]
    public void SparseEqualsDense(int seed, bool ties)
    {
        for (var rep = 0; rep < 25; rep++)
        {
            var seq = RandomSequence(new Random(seed * 1000 + rep), ties);
            var clear = ClearMetrics.Evaluate(seq);
            Assert.Equal(ClearMetrics.Evaluate(seq, denseAssignment: true), clear);
            var hota = HotaMetrics.Evaluate(seq);
            var dense = HotaMetrics.Evaluate(seq, denseAssignment: true);
            Assert.Equal(dense.TP, hota.TP);
            Assert.Equal(dense.FN, hota.FN);
            Assert.Equal(dense.FP, hota.FP);
            Assert.Equal(dense.AssA, hota.AssA);
            Assert.Equal(dense.AssRe, hota.AssRe);
            Assert.Equal(dense.AssPr, hota.AssPr);
            Assert.Equal(dense.LocA, hota.LocA);
        }
    }

    [Theory]
    [InlineData(11, false)]
    [InlineData(12, true)]
    [InlineData(13, true)]
    public void MotAccumulatorSparseEqualsDense(int seed, bool ties)
    {
        for (var rep = 0; rep < 25; rep++)
        {
            var rnd = new Random(seed * 1000 + rep);
            var sparse = new MotAccumulator();
            var dense = new MotAccumulator(denseAssignment: true);
            double[] levels = [0.1, 0.2, 0.2, 0.4, 0.5];
            for (var f = 0; f < 30; f++)
            {
                var o = Enumerable.Range(1, 10).Where(_ => rnd.NextDouble() < 0.6).ToArray();
                var h = Enumerable.Range(1, 12).Where(_ => rnd.NextDouble() < 0.6).ToArray();
                var d = new double[o.Length * h.Length];
                for (var k = 0; k < d.Length; k++)
                    d[k] = rnd.NextDouble() < 0.35 ? (ties ? levels[rnd.Next(levels.Length)] : Math.Round(rnd.NextDouble() * 0.5, 3)) : double.NaN;
                sparse.Update(o, h, d, f);
                dense.Update(o, h, d, f);
            }
            Assert.Equal(dense.Summary(), sparse.Summary());
        }
    }

    // Crowded frames: many ids present at once, overlapping candidates, and (with ties) similarity
    // values drawn from a few levels so that equal-weight alternative matchings are common.
    private static TrackingSequence RandomSequence(Random rnd, bool ties)
    {
        int T = 40, nG = rnd.Next(3, 12), nK = rnd.Next(3, 14);
        double[] levels = [0.2, 0.5, 0.5, 0.75, 1.0];
        var g = new List<int[]>();
        var k = new List<int[]>();
        var s = new List<double[,]>();
        for (var t = 0; t < T; t++)
        {
            var gi = Enumerable.Range(0, nG).Where(_ => rnd.NextDouble() < 0.7).ToArray();
            var ki = Enumerable.Range(0, nK).Where(_ => rnd.NextDouble() < 0.7).ToArray();
            var m = new double[gi.Length, ki.Length];
            for (var r = 0; r < gi.Length; r++)
                for (var c = 0; c < ki.Length; c++)
                    if (rnd.NextDouble() < 0.35)
                        m[r, c] = ties ? levels[rnd.Next(levels.Length)] : Math.Round(rnd.NextDouble(), 3);
            g.Add(gi); k.Add(ki); s.Add(m);
        }
        return TrackingSequence.FromSimilarity("random", g, k, s);
    }
}

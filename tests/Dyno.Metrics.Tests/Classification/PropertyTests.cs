using Dyno.Metrics.Classification;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dyno.Metrics.Tests.Classification;

/// <summary>Vectorized kernels against brute-force definitions on random data with many ties.</summary>
public class PropertyTests
{
    [Property(MaxTest = 200)]
    public Property TopK_follows_sklearn_tie_rule(PositiveInt seed)
    {
        var rng = new Random(seed.Get);
        var c = rng.Next(2, 40);
        var row = Enumerable.Range(0, c).Select(_ => rng.Next(4) / 4.0).ToArray(); // few distinct values: ties
        var label = rng.Next(c);
        var k = rng.Next(2, c + 2);
        var acc = new ClassificationAccumulator(c, new ClassificationOptions { TopK = [k], Ranking = false });
        acc.Update(label, row);
        // scikit-learn: stable ascending argsort, reversed, first k.
        var order = Enumerable.Range(0, c).OrderBy(i => row[i]).ThenBy(i => i).Reverse().Take(k);
        var expected = order.Contains(label) ? 1.0 : 0.0;
        var firstArgMax = Array.IndexOf(row, row.Max());
        var r = acc.Compute();
        return (r.TopK[0].Accuracy == expected && r.Accuracy == (firstArgMax == label ? 1.0 : 0.0)).ToProperty();
    }

    [Property(MaxTest = 200)]
    public Property RocAuc_is_the_tie_aware_pair_count(PositiveInt seed)
    {
        var rng = new Random(seed.Get);
        var pos = Enumerable.Range(0, rng.Next(1, 30)).Select(_ => (double)rng.Next(6)).ToArray();
        var neg = Enumerable.Range(0, rng.Next(1, 30)).Select(_ => (double)rng.Next(6)).ToArray();
        double pairs = 0;
        foreach (var p in pos)
            foreach (var q in neg)
                pairs += p > q ? 1 : p == q ? 0.5 : 0;
        var expected = pairs / (pos.Length * neg.Length);
        // AP by its definition: precision at each distinct threshold times the recall gained there.
        double ap = 0;
        foreach (var t in pos.Concat(neg).Distinct().OrderDescending())
        {
            double tp = pos.Count(v => v >= t), fp = neg.Count(v => v >= t), gained = pos.Count(v => v == t);
            ap += gained / pos.Length * (tp / (tp + fp));
        }
        var (auc, apGot) = BinaryRanking.Compute(pos.ToArray(), neg.ToArray());
        return (Math.Abs(auc - expected) < 1e-12 && Math.Abs(ap - apGot) < 1e-12).ToProperty();
    }
}

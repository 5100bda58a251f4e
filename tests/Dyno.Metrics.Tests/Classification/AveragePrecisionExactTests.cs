using System.Text.Json;
using Dyno.Metrics.Classification;

namespace Dyno.Metrics.Tests.Classification;

/// <summary>
/// Binary average precision equal, bit for bit, to scikit-learn 1.2.1's <c>average_precision_score</c>
/// (tests/fixtures/classification/expected.json, section average_precision_exact): its own tied-score
/// test case gives exactly 1, and tied scores over hundreds or thousands of thresholds follow numpy's
/// pairwise summation.
/// </summary>
public class AveragePrecisionExactTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "fixtures", "classification", "expected.json"))).RootElement;

    public static TheoryData<string> Cases()
    {
        var d = new TheoryData<string>();
        foreach (var c in Root.GetProperty("average_precision_exact").EnumerateArray()) d.Add(c.GetProperty("name").GetString()!);
        return d;
    }

    private static (int[] YTrue, double[] YScore, double Expected) Case(string name)
    {
        var c = Root.GetProperty("average_precision_exact").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        return (c.GetProperty("y_true").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                c.GetProperty("y_score").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
                c.GetProperty("average_precision").GetDouble());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Binary_ap_has_sklearns_exact_bits(string name)
    {
        var (yTrue, yScore, expected) = Case(name);
        var pos = yScore.Where((_, i) => yTrue[i] == 1).ToArray();
        var neg = yScore.Where((_, i) => yTrue[i] == 0).ToArray();
        var (_, ap) = BinaryRanking.Compute(pos, neg);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(ap));
    }

    [Fact]
    public void Sklearns_tied_score_test_gives_exactly_one_through_the_accumulator()
    {
        // scikit-learn's test_average_precision_score_duplicate_values: a perfect ranking with ties.
        var (yTrue, yScore, expected) = Case("sklearn_duplicate_values");
        Assert.Equal(1.0, expected);
        var acc = new ClassificationAccumulator(2, new ClassificationOptions());
        for (var i = 0; i < yTrue.Length; i++) acc.Update(yTrue[i], [1 - yScore[i], yScore[i]]);
        var r = acc.Compute();
        Assert.Equal(1.0, r.PerClass[1].AveragePrecision);
    }
}

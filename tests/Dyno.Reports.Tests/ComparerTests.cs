using System.Text.Json;
using Dyno.Reports.Charts;
using Dyno.Reports.Sections;

namespace Dyno.Reports.Tests;

public class ComparerTests
{
    private static JsonElement J(string s) => JsonDocument.Parse(s).RootElement;

    [Fact]
    public void DeltasAgainstTheBaseline()
    {
        var a = J("""{"latency_ms": {"p50": 10.0, "p95": 12.0}, "stats": {"AP": 0.40}}""");
        var b = J("""{"latency_ms": {"p50": 9.0, "p95": 13.2}, "stats": {"AP": 0.38}}""");
        var c = Comparer.Compare([("fp32.json", a), ("int8.json", b)], null, ["latency_ms.p95 > +5%", "stats.AP < -0.01", "latency_ms.p50 > 9.5"]);
        var p95 = c.Rows.Single(r => r.Key == "latency_ms.p95");
        Assert.Equal(1.2, p95.Delta[1]!.Value, 12);
        Assert.Equal(0.1, p95.RelativeDelta[1]!.Value, 12);
        Assert.True(c.Rules[0].Failed);      // +10% > +5%
        Assert.True(c.Rules[1].Failed);      // -0.02 < -0.01
        Assert.False(c.Rules[2].Failed);     // 9.0 is not > 9.5
        Assert.True(c.Failed);
    }

    [Theory]
    [InlineData("latency_ms.p95 >> 5")]
    [InlineData("latency_ms.p95 > five")]
    [InlineData("nope > +5%")]
    public void BadRulesAreUsageErrors(string rule)
    {
        var a = J("""{"latency_ms": {"p95": 12.0}}""");
        Assert.ThrowsAny<ArgumentException>(() => Comparer.Compare([("a", a), ("b", a)], null, [rule]));
    }

    [Fact]
    public void ParetoFrontKeepsTheUndominated()
    {
        var front = ChartKit.ParetoFront([(10, 0.5), (20, 0.6), (15, 0.4), (30, 0.55), (5, 0.3)]);
        Assert.Equal([(5.0, 0.3), (10.0, 0.5), (20.0, 0.6)], front);
    }

    [Fact]
    public void FlattenKeysArraysByName()
    {
        var flat = JsonPaths.FlattenNumbers(J("""{"throughput": [{"batch": 1, "samples_per_second": 100}, {"batch": 8, "samples_per_second": 400}], "ok": true}"""));
        Assert.Equal(400, flat["throughput.batch=8.samples_per_second"]);
        Assert.Equal(1, flat["ok"]);
    }
}

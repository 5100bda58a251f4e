using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dyno.Reports.Sections;

/// <summary>One compared quantity: its value in each file, and the change from the first (the baseline).</summary>
public sealed record ComparisonRow(string Key, IReadOnlyList<double?> Values, IReadOnlyList<double?> Delta, IReadOnlyList<double?> RelativeDelta);

/// <summary>A regression rule such as <c>latency_ms.p95 &gt; +5%</c>, and whether a file broke it.</summary>
public sealed record RuleResult(string Rule, string File, double? Baseline, double? Value, bool Failed, string Explanation);

/// <summary>The result of <c>dyno compare</c>.</summary>
public sealed record Comparison(string Baseline, IReadOnlyList<string> Files, IReadOnlyList<string> Kinds, IReadOnlyList<ComparisonRow> Rows,
    IReadOnlyList<RuleResult> Rules)
{
    public bool Failed => Rules.Any(r => r.Failed);
}

/// <summary>Side-by-side comparison of Dyno results with deltas, and CI regression rules.</summary>
public static partial class Comparer
{
    private static readonly string[] DefaultPrefixes =
    [
        "totals.", "memory.peak_activation_bytes", "roofline.totals.", "latency_ms.", "cold_start_ms.", "throughput.", "peak_rss_bytes",
        "utilization.", "stats.", "metrics.", "matmul_macs", "flops_prefill", "flops_per_token", "kv_cache_bytes", "params", "bpr",
    ];

    /// <summary>Compares <paramref name="docs"/> (name, JSON); keys limited to <paramref name="prefixes"/> (default: each kind's headline figures).</summary>
    public static Comparison Compare(IReadOnlyList<(string Name, JsonElement Root)> docs, IReadOnlyList<string>? prefixes, IReadOnlyList<string> rules)
    {
        if (docs.Count < 2) throw new DynoInputException("compare needs at least two result files");
        var flats = docs.Select(d => JsonPaths.FlattenNumbers(d.Root)).ToList();
        var pre = prefixes is { Count: > 0 } ? prefixes : DefaultPrefixes;
        var keys = flats.SelectMany(f => f.Keys).Distinct().Where(k => pre.Any(p => k.StartsWith(p, StringComparison.Ordinal)))
            .Where(k => flats.Count(f => f.ContainsKey(k)) >= 2).Order(StringComparer.Ordinal).ToList();
        var rows = keys.Select(k =>
        {
            var vals = flats.Select(f => f.TryGetValue(k, out var v) ? v : (double?)null).ToList();
            var b = vals[0];
            var delta = vals.Select(v => v is null || b is null ? null : v - b).ToList();
            var rel = vals.Select(v => v is null || b is null || b == 0 ? null : (v - b) / Math.Abs(b.Value)).ToList();
            return new ComparisonRow(k, vals, delta, rel);
        }).ToList();
        var results = new List<RuleResult>();
        foreach (var rule in rules)
            for (var i = 1; i < docs.Count; i++)
                results.Add(Evaluate(rule, flats[0], flats[i], docs[i].Name));
        return new Comparison(docs[0].Name, docs.Select(d => d.Name).ToList(), docs.Select(d => ReportBuilder.KindOf(d.Root)).ToList(), rows, results);
    }

    [GeneratedRegex(@"^\s*(?<key>[A-Za-z0-9_.=\-]+)\s*(?<op>>=|<=|>|<)\s*(?<sign>[+-])?(?<num>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)(?:(?<pct>%)|\s*(?<times>\*)\s*baseline)?\s*$")]
    private static partial Regex RulePattern();

    /// <summary>Throws <see cref="DynoInputException"/> when <paramref name="rule"/> is not of the form <c>KEY OP VALUE</c> (checked before anything is measured).</summary>
    public static void CheckSyntax(string rule)
    {
        if (!RulePattern().IsMatch(rule)) throw BadRule(rule);
    }

    private static DynoInputException BadRule(string rule) =>
        new($"--fail-if '{rule}': expected KEY OP VALUE, e.g. \"latency_ms.p95 > +5%\", \"stats.AP < -0.01\", \"accuracy.map < 0.99 * baseline\" or \"peak_rss_bytes > 4e8\"");

    /// <summary>
    /// Evaluates a rule. <c>KEY &lt; 0.99 * baseline</c>: fails when the value is below 0.99 times the baseline's (MLPerf's
    /// accuracy gate); <c>KEY &gt; +5%</c>: fails when the value rose by more than 5% of the baseline;
    /// <c>KEY &lt; -0.01</c>: when it changed by less than −0.01 (absolute); <c>KEY &gt; 120</c>: when the value itself exceeds 120.
    /// </summary>
    public static RuleResult Evaluate(string rule, IReadOnlyDictionary<string, double> baseline, IReadOnlyDictionary<string, double> candidate, string file)
    {
        var m = RulePattern().Match(rule);
        if (!m.Success) throw BadRule(rule);
        var key = m.Groups["key"].Value;
        var op = m.Groups["op"].Value;
        var num = double.Parse(m.Groups["num"].Value, CultureInfo.InvariantCulture);
        var sign = m.Groups["sign"].Value;
        if (sign == "-") num = -num;
        var relative = m.Groups["pct"].Success;
        var isChange = sign.Length > 0 || relative;
        if (!candidate.TryGetValue(key, out var v))
            throw new DynoInputException($"--fail-if '{rule}': {file} has no numeric value at '{key}'");
        double? b = baseline.TryGetValue(key, out var bv) ? bv : null;
        if (m.Groups["times"].Success)
        {
            if (b is null) throw new DynoInputException($"--fail-if '{rule}': the baseline has no value at '{key}'");
            var bound = num * b.Value;
            var broke = op switch { ">" => v > bound, "<" => v < bound, ">=" => v >= bound, _ => v <= bound };
            return new RuleResult(rule, file, b, v, broke,
                $"{key} = {v.ToString("G6", CultureInfo.InvariantCulture)}, {(b.Value != 0 ? (v / b.Value).ToString("0.####", CultureInfo.InvariantCulture) : "-")} x the baseline's {b.Value.ToString("G6", CultureInfo.InvariantCulture)} (bound {bound.ToString("G6", CultureInfo.InvariantCulture)})");
        }
        if (isChange && b is null) throw new DynoInputException($"--fail-if '{rule}': the baseline has no value at '{key}'");
        // From a baseline of 0 any change is infinitely large in relative terms (never 0%, which would pass every rule).
        double lhs = !isChange ? v : relative ? (b!.Value == 0 ? (v == 0 ? 0 : v > 0 ? double.PositiveInfinity : double.NegativeInfinity)
            : (v - b.Value) / Math.Abs(b.Value) * 100) : v - b!.Value;
        var failed = op switch { ">" => lhs > num, "<" => lhs < num, ">=" => lhs >= num, _ => lhs <= num };
        var what = !isChange ? $"{key} = {v.ToString("G6", CultureInfo.InvariantCulture)}"
            : relative && double.IsInfinity(lhs) ? $"{key} changed from 0 to {v.ToString("G6", CultureInfo.InvariantCulture)} (an infinite relative change)"
            : relative ? $"{key} changed {lhs.ToString("+0.##;-0.##;0", CultureInfo.InvariantCulture)}% ({b!.Value.ToString("G6", CultureInfo.InvariantCulture)} -> {v.ToString("G6", CultureInfo.InvariantCulture)})"
            : $"{key} changed {lhs.ToString("+0.######;-0.######;0", CultureInfo.InvariantCulture)} ({b!.Value.ToString("G6", CultureInfo.InvariantCulture)} -> {v.ToString("G6", CultureInfo.InvariantCulture)})";
        return new RuleResult(rule, file, b, v, failed, what);
    }
}

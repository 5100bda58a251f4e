using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Dyno.Metrics.Tests;

/// <summary>
/// The streaming-metric contract (<see cref="IMetric{TSelf, TResult}"/>) checked on real data: random
/// contiguous splits of the samples into 1..5 metrics, merged in data order (left to right and as a
/// tree), compute the same result as one pass; so do reset-and-replay, computing twice, and merging in
/// an empty metric. "The same" is the whole result serialized with round-trip doubles, so every number
/// must be the same bits. Each metric's test then checks the one-pass result against its reference tool.
/// </summary>
internal static class MetricConformance
{
    private static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        IncludeFields = true,
        WriteIndented = false,
        // A confusion matrix exposes its counts as a span; tests fingerprint its rows instead.
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                ti =>
                {
                    for (var i = ti.Properties.Count - 1; i >= 0; i--)
                        if (ti.Properties[i].PropertyType == typeof(Dyno.Metrics.Classification.ConfusionMatrix) || ti.Properties[i].PropertyType.IsByRefLike)
                            ti.Properties.RemoveAt(i);
                },
            },
        },
    };

    /// <summary>The result as text, every double in round-trip form.</summary>
    public static string Fingerprint<T>(T result) => JsonSerializer.Serialize(result, Json);

    private static string Difference(string a, string b)
    {
        var i = 0;
        while (i < Math.Min(a.Length, b.Length) && a[i] == b[i]) i++;
        var from = Math.Max(0, i - 80);
        return $"one pass …{a[from..Math.Min(a.Length, i + 40)]}… vs merged …{b[from..Math.Min(b.Length, i + 40)]}…";
    }

    /// <summary>Runs the contract on samples 0..<paramref name="n"/>-1 and returns the one-pass result.</summary>
    /// <param name="create">A new, empty metric with fixed settings.</param>
    /// <param name="n">Number of samples (images, sequences, rows).</param>
    /// <param name="update">Folds sample i into a metric.</param>
    /// <param name="fingerprint">What must be identical (default: the serialized result).</param>
    /// <param name="seed">Seed of the random splits.</param>
    public static TResult Check<TMetric, TResult>(Func<TMetric> create, int n, Action<TMetric, int> update,
        Func<TResult, string>? fingerprint = null, int seed = 1)
        where TMetric : IMetric<TMetric, TResult>
    {
        fingerprint ??= Fingerprint;
        var one = create();
        for (var i = 0; i < n; i++) update(one, i);
        var result = one.Compute();
        var expected = fingerprint(result);
        Assert.Equal(expected, fingerprint(one.Compute()));

        var rng = new Random(seed);
        for (var trial = 0; trial < 6; trial++)
        {
            var k = 1 + rng.Next(Math.Min(n, 5));
            var cuts = Enumerable.Range(1, n - 1).OrderBy(_ => rng.Next()).Take(k - 1).Order().Prepend(0).Append(n).ToArray();
            var parts = new TMetric[k];
            for (var p = 0; p < k; p++)
            {
                parts[p] = create();
                for (var i = cuts[p]; i < cuts[p + 1]; i++) update(parts[p], i);
            }
            if (trial % 2 == 0)
                for (var p = 1; p < k; p++) parts[0].Merge(parts[p]);
            else
                for (var width = 1; width < k; width *= 2)          // tree: (0+1) (2+3) …, then pairs of pairs
                    for (var p = 0; p + width < k; p += 2 * width) parts[p].Merge(parts[p + width]);
            var merged = fingerprint(parts[0].Compute());
            Assert.True(expected == merged, $"split at [{string.Join(", ", cuts)}] ({(trial % 2 == 0 ? "left to right" : "tree")}) differs from one pass: {Difference(expected, merged)}");
        }

        var withEmpty = create();
        withEmpty.Merge(create());
        for (var i = 0; i < n; i++) update(withEmpty, i);
        withEmpty.Merge(create());
        Assert.Equal(expected, fingerprint(withEmpty.Compute()));

        one.Reset();
        for (var i = 0; i < n; i++) update(one, i);
        Assert.Equal(expected, fingerprint(one.Compute()));
        return result;
    }
}

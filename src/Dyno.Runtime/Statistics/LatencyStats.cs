using System.Text.Json.Serialization;

namespace Dyno.Runtime.Statistics;

/// <summary>A point estimate with its confidence interval (same unit as the estimate).</summary>
public sealed record Estimate(double Value, double Lower, double Upper)
{
    /// <summary>Interval width relative to the estimate ((upper − lower) / value).</summary>
    [JsonIgnore]
    public double RelativeWidth => Value != 0 ? (Upper - Lower) / Math.Abs(Value) : double.PositiveInfinity;
}

/// <summary>Samples outside Tukey's fences, reported and kept in every statistic.</summary>
public sealed record OutlierReport
{
    /// <summary>Q1 − 1.5·IQR and Q3 + 1.5·IQR.</summary>
    public required double LowerFence { get; init; }
    public required double UpperFence { get; init; }
    public required int Low { get; init; }
    public required int High { get; init; }

    /// <summary>Samples beyond the far fences (Q1 − 3·IQR, Q3 + 3·IQR): "extreme" in Tukey's terms.</summary>
    public required int Extreme { get; init; }

    /// <summary>Indices (in measurement order) of the outlying samples, at most 50.</summary>
    public required IReadOnlyList<int> Indices { get; init; }

    public int Count => Low + High;
}

/// <summary>
/// Latency distribution of timed iterations. Definitions (docs/bench.md): percentiles are
/// Hyndman–Fan type 7 (linear interpolation between order statistics, numpy's default); their
/// confidence intervals are distribution-free, from order statistics with binomial coverage;
/// the mean's interval uses Student's t; <c>std</c> is the sample standard deviation (n − 1).
/// Outliers are counted with Tukey's fences and are never dropped.
/// </summary>
public sealed record LatencyStats
{
    public required int Count { get; init; }
    public required double Mean { get; init; }
    public required double Std { get; init; }
    public required double Min { get; init; }
    public required double P50 { get; init; }
    public required double P90 { get; init; }
    public required double P95 { get; init; }
    public required double P99 { get; init; }
    public required double Max { get; init; }

    /// <summary>Coefficient of variation, std / mean.</summary>
    public required double Cv { get; init; }

    /// <summary>Confidence level of the intervals (0.95).</summary>
    public required double ConfidenceLevel { get; init; }

    /// <summary>Intervals: <c>mean</c>, <c>p50</c>, <c>p90</c>, <c>p95</c>, <c>p99</c>.</summary>
    public required IReadOnlyDictionary<string, Estimate> Ci { get; init; }

    public required OutlierReport Outliers { get; init; }

    /// <summary>CV above which a measurement is flagged as noisy.</summary>
    public const double NoisyCv = 0.10;

    [JsonIgnore]
    public bool Noisy => Cv > NoisyCv;

    /// <summary>Computes the statistics of <paramref name="samples"/> (any unit; the result keeps it).</summary>
    /// <exception cref="ArgumentException">No samples, or a sample is not finite.</exception>
    public static LatencyStats From(IReadOnlyList<double> samples, double confidence = 0.95)
    {
        if (samples.Count == 0) throw new ArgumentException("no latency samples");
        var sorted = new double[samples.Count];
        for (var i = 0; i < sorted.Length; i++)
        {
            if (!double.IsFinite(samples[i])) throw new ArgumentException($"latency sample {i} is not finite ({samples[i]})");
            sorted[i] = samples[i];
        }
        Array.Sort(sorted);
        var n = sorted.Length;
        double sum = 0;
        foreach (var x in sorted) sum += x;
        var mean = sum / n;
        double ss = 0;
        foreach (var x in sorted) ss += (x - mean) * (x - mean);
        var std = n > 1 ? Math.Sqrt(ss / (n - 1)) : 0;
        var half = n > 1 ? StudentT.Quantile(1 - (1 - confidence) / 2, n - 1) * std / Math.Sqrt(n) : 0;

        Estimate Q(double p)
        {
            // The interpolated estimate can fall outside the order-statistic interval for tiny n (n = 2, p99:
            // the lower bound is the maximum); the interval is widened to contain it.
            var v = Percentile(sorted, p);
            var (lo, hi) = QuantileCi(sorted, p, confidence);
            return new Estimate(v, Math.Min(lo, v), Math.Max(hi, v));
        }
        var ci = new Dictionary<string, Estimate>
        {
            ["mean"] = new(mean, mean - half, mean + half),
            ["p50"] = Q(0.50), ["p90"] = Q(0.90), ["p95"] = Q(0.95), ["p99"] = Q(0.99),
        };
        return new LatencyStats
        {
            Count = n, Mean = mean, Std = std, Min = sorted[0], Max = sorted[^1],
            P50 = ci["p50"].Value, P90 = ci["p90"].Value, P95 = ci["p95"].Value, P99 = ci["p99"].Value,
            Cv = mean != 0 ? std / mean : 0, ConfidenceLevel = confidence, Ci = ci,
            Outliers = Tukey(samples, sorted),
        };
    }

    /// <summary>Hyndman–Fan type 7 percentile of sorted data: h = (n − 1)·p, linear between x[⌊h⌋] and x[⌊h⌋+1].</summary>
    public static double Percentile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.Length == 0) throw new ArgumentException("no samples");
        if (p is < 0 or > 1) throw new ArgumentException($"percentile {p} is outside [0, 1]");
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    /// <summary>
    /// Distribution-free interval for the p-quantile: order statistics x(l) ≤ q ≤ x(u) (1-based) with
    /// the number of samples below q ~ Binomial(n, p); l is the largest rank with P(B ≤ l−1) ≤ α/2 and u
    /// the smallest with P(B ≤ u−1) ≥ 1 − α/2. When n is too small for a rank, the bound is the sample extreme.
    /// </summary>
    public static (double Lower, double Upper) QuantileCi(ReadOnlySpan<double> sorted, double p, double confidence = 0.95)
    {
        var (l, u) = QuantileCiRanks(sorted.Length, p, confidence);
        return (sorted[l - 1], sorted[u - 1]);
    }

    /// <summary>The 1-based order-statistic ranks (l, u) of <see cref="QuantileCi"/>.</summary>
    public static (int Lower, int Upper) QuantileCiRanks(int n, double p, double confidence = 0.95)
    {
        var alpha = 1 - confidence;
        // cdf[k] = P(B <= k), B ~ Binomial(n, p), accumulated in log space for large n.
        var l = 1;
        var u = n;
        double cdf = 0;
        var logP = Math.Log(p);
        var logQ = Math.Log(1 - p);
        var logChoose = 0.0; // log C(n, k)
        var foundU = false;
        for (var k = 0; k <= n; k++)
        {
            if (k > 0) logChoose += Math.Log(n - k + 1) - Math.Log(k);
            double pmf = p <= 0 ? (k == 0 ? 1 : 0) : p >= 1 ? (k == n ? 1 : 0) : Math.Exp(logChoose + k * logP + (n - k) * logQ);
            cdf += pmf;
            // cdf is now P(B <= k); rank r = k + 1 has P(B <= r - 1) = cdf.
            var r = k + 1;
            if (cdf <= alpha / 2 && r <= n) l = r;
            if (!foundU && cdf >= 1 - alpha / 2)
            {
                u = Math.Min(r, n);
                foundU = true;
            }
            if (foundU) break;
        }
        return (l, u);
    }

    private static OutlierReport Tukey(IReadOnlyList<double> samples, double[] sorted)
    {
        var q1 = Percentile(sorted, 0.25);
        var q3 = Percentile(sorted, 0.75);
        var iqr = q3 - q1;
        double lf = q1 - 1.5 * iqr, uf = q3 + 1.5 * iqr, lx = q1 - 3 * iqr, ux = q3 + 3 * iqr;
        int low = 0, high = 0, extreme = 0;
        var idx = new List<int>();
        for (var i = 0; i < samples.Count; i++)
        {
            var x = samples[i];
            if (x < lf) low++;
            else if (x > uf) high++;
            else continue;
            if (x < lx || x > ux) extreme++;
            if (idx.Count < 50) idx.Add(i);
        }
        return new OutlierReport { LowerFence = lf, UpperFence = uf, Low = low, High = high, Extreme = extreme, Indices = idx };
    }
}

/// <summary>Quantiles of Student's t distribution (for the mean's confidence interval).</summary>
public static class StudentT
{
    /// <summary>The <paramref name="p"/>-quantile of t with <paramref name="df"/> degrees of freedom (Hill's 1970 approximation, |error| &lt; 1e-4 for df ≥ 1 at p ≥ 0.9).</summary>
    public static double Quantile(double p, int df)
    {
        if (df < 1) throw new ArgumentException("degrees of freedom must be ≥ 1");
        if (df == 1) return Math.Tan(Math.PI * (p - 0.5));
        if (df == 2) return (2 * p - 1) / Math.Sqrt(2 * p * (1 - p));
        var z = Normal.Quantile(p);
        double n = df;
        // Cornish–Fisher expansion of t in terms of the normal quantile.
        var z2 = z * z;
        var g1 = (z2 + 1) * z / 4;
        var g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
        var g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
        var g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
        return z + g1 / n + g2 / (n * n) + g3 / (n * n * n) + g4 / (n * n * n * n);
    }
}

/// <summary>The standard normal quantile function.</summary>
public static class Normal
{
    /// <summary>Acklam's rational approximation of Φ⁻¹(p) (relative error &lt; 1.2e-9).</summary>
    public static double Quantile(double p)
    {
        if (p is <= 0 or >= 1) throw new ArgumentException($"probability {p} is outside (0, 1)");
        double[] a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
        double[] b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
        double[] c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
        double[] d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
        const double pl = 0.02425;
        if (p < pl)
        {
            var q = Math.Sqrt(-2 * Math.Log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - pl)
        {
            var q = Math.Sqrt(-2 * Math.Log(1 - p));
            return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        var r = p - 0.5;
        var s = r * r;
        return (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r / (((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1);
    }
}

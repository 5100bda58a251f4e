namespace Dyno.Metrics.Classification;

/// <summary>One bin of a reliability diagram.</summary>
/// <param name="Lower">Lower edge (exclusive, except the first bin which includes 0).</param>
/// <param name="Upper">Upper edge (inclusive).</param>
/// <param name="Count">Samples whose confidence falls in the bin.</param>
/// <param name="MeanConfidence">Mean top-1 confidence of those samples (NaN when empty).</param>
/// <param name="Accuracy">Fraction of those samples whose top-1 prediction is right (NaN when empty).</param>
public sealed record ReliabilityBin(double Lower, double Upper, long Count, double MeanConfidence, double Accuracy)
{
    /// <summary>|accuracy − confidence| (NaN when empty).</summary>
    public double Gap => Math.Abs(Accuracy - MeanConfidence);
}

/// <summary>Calibration of the top-1 confidence: ECE with equal-width and equal-mass bins, MCE, reliability data.</summary>
/// <param name="Bins">Number of bins used for every figure.</param>
/// <param name="Ece">Expected calibration error, equal-width bins: Σ (nᵦ/n) |acc(b) − conf(b)|.</param>
/// <param name="EceEqualMass">The same sum over equal-mass bins (NaN when per-sample confidences were not kept).</param>
/// <param name="Mce">Maximum calibration error: the largest |acc(b) − conf(b)| over non-empty equal-width bins.</param>
/// <param name="Reliability">The equal-width bins (the reliability diagram).</param>
public sealed record CalibrationReport(int Bins, double Ece, double EceEqualMass, double Mce, IReadOnlyList<ReliabilityBin> Reliability);

/// <summary>
/// Streaming, mergeable equal-width calibration bins over [0, 1]. Bin b holds confidences in
/// (b/B, (b+1)/B], computed as ceil(conf·B) − 1 clamped to [0, B−1] (so 0 goes to the first bin).
/// </summary>
public sealed class CalibrationBins
{
    private readonly long[] _count;
    private readonly long[] _correct;
    private readonly double[] _confSum;

    /// <summary>Empty bins.</summary>
    public CalibrationBins(int bins)
    {
        if (bins < 1) throw new DynoInputException($"the number of calibration bins must be at least 1, got {bins}");
        Bins = bins;
        _count = new long[bins];
        _correct = new long[bins];
        _confSum = new double[bins];
    }

    /// <summary>Number of bins.</summary>
    public int Bins { get; }

    /// <summary>The equal-width bin of a confidence.</summary>
    public static int BinOf(double confidence, int bins)
    {
        var b = (int)Math.Ceiling(confidence * bins) - 1;
        return b < 0 ? 0 : b >= bins ? bins - 1 : b;
    }

    /// <summary>Adds one sample.</summary>
    public void Add(double confidence, bool correct)
    {
        var b = BinOf(confidence, Bins);
        _count[b]++;
        _confSum[b] += confidence;
        if (correct) _correct[b]++;
    }

    /// <summary>Adds the bins of <paramref name="other"/> (same bin count).</summary>
    public void Merge(CalibrationBins other)
    {
        if (other.Bins != Bins) throw new ArgumentException($"cannot merge {other.Bins} calibration bins into {Bins}");
        for (var b = 0; b < Bins; b++)
        {
            _count[b] += other._count[b];
            _correct[b] += other._correct[b];
            _confSum[b] += other._confSum[b];
        }
    }

    /// <summary>The reliability diagram, ECE and MCE; <paramref name="eceEqualMass"/> is passed through.</summary>
    public CalibrationReport ToReport(double eceEqualMass)
    {
        long n = 0;
        foreach (var c in _count) n += c;
        var bins = new ReliabilityBin[Bins];
        double ece = 0, mce = 0;
        for (var b = 0; b < Bins; b++)
        {
            var c = _count[b];
            var conf = c == 0 ? double.NaN : _confSum[b] / c;
            var acc = c == 0 ? double.NaN : (double)_correct[b] / c;
            bins[b] = new ReliabilityBin((double)b / Bins, (double)(b + 1) / Bins, c, conf, acc);
            if (c == 0) continue;
            var gap = Math.Abs(acc - conf);
            ece += (double)c / n * gap;
            mce = Math.Max(mce, gap);
        }
        return new CalibrationReport(Bins, n == 0 ? double.NaN : ece, eceEqualMass, n == 0 ? double.NaN : mce, bins);
    }

    /// <summary>
    /// ECE over equal-mass bins: the samples sorted by (confidence, correct) and cut into B
    /// consecutive groups, group b holding sorted positions [⌊b·n/B⌋, ⌊(b+1)·n/B⌋).
    /// Sorts the arrays in place.
    /// </summary>
    public static double EqualMassEce(double[] confidence, bool[] correct, int count, int bins)
    {
        if (count == 0) return double.NaN;
        var keys = confidence.AsSpan(0, count);
        var items = correct.AsSpan(0, count);
        // Sort by confidence, then incorrect before correct, so the result does not depend on input order.
        var composite = new (double Conf, bool Ok)[count];
        for (var i = 0; i < count; i++) composite[i] = (keys[i], items[i]);
        Array.Sort(composite, static (a, b) => a.Conf != b.Conf ? a.Conf.CompareTo(b.Conf) : a.Ok.CompareTo(b.Ok));
        double ece = 0;
        for (var b = 0; b < bins; b++)
        {
            var lo = (int)((long)b * count / bins);
            var hi = (int)((long)(b + 1) * count / bins);
            if (hi <= lo) continue;
            double confSum = 0;
            long ok = 0;
            for (var i = lo; i < hi; i++)
            {
                confSum += composite[i].Conf;
                if (composite[i].Ok) ok++;
            }
            var m = hi - lo;
            ece += (double)m / count * Math.Abs((double)ok / m - confSum / m);
        }
        return ece;
    }
}

namespace Dyno.Runtime.Statistics;

/// <summary>
/// Decides when warm-up is over: the series is steady once the median of the last
/// <see cref="Window"/> samples is within <see cref="Tolerance"/> (relative) of the median of the
/// window before it, and at least <see cref="MinSamples"/> samples were seen. Medians make the
/// test robust to isolated spikes; comparing adjacent windows catches a still-falling trend
/// (caches, allocator and JIT warming up).
/// </summary>
public sealed class SteadyStateDetector
{
    private readonly List<double> _samples = [];

    public SteadyStateDetector(int window = 10, double tolerance = 0.05, int minSamples = 5)
    {
        if (window < 2) throw new ArgumentException("window must be at least 2 samples");
        if (tolerance <= 0) throw new ArgumentException("tolerance must be positive");
        Window = window;
        Tolerance = tolerance;
        MinSamples = Math.Max(minSamples, 2 * window);
    }

    public int Window { get; }
    public double Tolerance { get; }
    public int MinSamples { get; }

    /// <summary>Samples seen so far.</summary>
    public int Count => _samples.Count;

    /// <summary>True once the last two windows agree.</summary>
    public bool IsSteady { get; private set; }

    /// <summary>Adds a sample; returns <see cref="IsSteady"/>.</summary>
    public bool Add(double sample)
    {
        _samples.Add(sample);
        if (IsSteady || _samples.Count < MinSamples) return IsSteady;
        var n = _samples.Count;
        var last = Median(_samples, n - Window, Window);
        var prev = Median(_samples, n - 2 * Window, Window);
        IsSteady = prev > 0 && Math.Abs(last - prev) <= Tolerance * prev;
        return IsSteady;
    }

    /// <summary>Index of the first sample at which <paramref name="series"/> is steady, or −1.</summary>
    public static int FindSteadyIndex(IEnumerable<double> series, int window = 10, double tolerance = 0.05)
    {
        var d = new SteadyStateDetector(window, tolerance);
        var i = 0;
        foreach (var x in series)
        {
            if (d.Add(x)) return i;
            i++;
        }
        return -1;
    }

    private static double Median(List<double> xs, int start, int count)
    {
        Span<double> buf = count <= 256 ? stackalloc double[count] : new double[count];
        for (var i = 0; i < count; i++) buf[i] = xs[start + i];
        buf.Sort();
        return count % 2 == 1 ? buf[count / 2] : 0.5 * (buf[count / 2 - 1] + buf[count / 2]);
    }
}

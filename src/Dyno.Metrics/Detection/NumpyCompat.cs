namespace Dyno.Metrics.Detection;

/// <summary>The two numpy routines whose rounding shows in COCO's numbers, reproduced operation for operation.</summary>
internal static class NumpyCompat
{
    /// <summary><c>np.linspace(start, stop, num, endpoint=True)</c>: i * step + start, last element = stop.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        if (num == 0) return y;
        var div = num - 1;
        var delta = stop - start;
        var step = div > 0 ? delta / div : delta;
        for (var i = 0; i < num; i++) y[i] = i * step + start;
        if (num > 1) y[^1] = stop;
        return y;
    }

    /// <summary>numpy's pairwise summation of a contiguous float64 array (8-way unrolled blocks of 128).</summary>
    public static double PairwiseSum(ReadOnlySpan<double> a)
    {
        var n = a.Length;
        if (n < 8)
        {
            var res = 0.0;
            for (var i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= 128)
        {
            double r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
            var i = 8;
            for (; i < n - n % 8; i += 8)
            {
                r0 += a[i]; r1 += a[i + 1]; r2 += a[i + 2]; r3 += a[i + 3];
                r4 += a[i + 4]; r5 += a[i + 5]; r6 += a[i + 6]; r7 += a[i + 7];
            }
            var res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) res += a[i];
            return res;
        }
        var n2 = n / 2;
        n2 -= n2 % 8;
        return PairwiseSum(a[..n2]) + PairwiseSum(a[n2..]);
    }

    /// <summary>numpy's reduction buffer: <c>np.add.reduce</c> hands the inner loop at most this many elements at a time.</summary>
    public const int BufferSize = 8192;

    /// <summary><c>np.sum</c> of a float64 array: pairwise within each 8192-element chunk, chunks added in order.</summary>
    public static double Sum(ReadOnlySpan<double> a)
    {
        var res = 0.0;
        for (var i = 0; i < a.Length; i += BufferSize) res += PairwiseSum(a.Slice(i, Math.Min(BufferSize, a.Length - i)));
        return res;
    }

    /// <summary><c>np.mean</c> of a float64 array: <see cref="Sum"/> / count.</summary>
    public static double Mean(ReadOnlySpan<double> a) => Sum(a) / a.Length;
}

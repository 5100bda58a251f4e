using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dyno.Metrics.Classification;

/// <summary>Vectorized reductions over one row of class scores (the hot loop of classification metrics).</summary>
internal static class ScoreRowMath
{
    /// <summary>Log-loss clipping bound: scikit-learn's <c>eps="auto"</c> for float64, <c>np.finfo(np.float64).eps</c>.</summary>
    public const double Eps = 2.220446049250313e-16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Widen(ReadOnlySpan<float> src, Span<double> dst)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var s = ref MemoryMarshal.GetReference(src);
            ref var d = ref MemoryMarshal.GetReference(dst);
            for (; i <= src.Length - 8; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                lo.StoreUnsafe(ref d, (nuint)i);
                hi.StoreUnsafe(ref d, (nuint)(i + 4));
            }
        }
        for (; i < src.Length; i++) dst[i] = src[i];
    }

    /// <summary>
    /// Max, min, sum and Σ clip(sᵢ, eps, 1 − eps) of the row in one pass (the sum is non-finite iff
    /// some value is, barring overflow; the clipped sum is scikit-learn's log-loss denominator).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double Max, double Min, double Sum, double ClippedSum) Stats(ReadOnlySpan<double> s)
    {
        double max = double.NegativeInfinity, min = double.PositiveInfinity, sum = 0, clipped = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated && s.Length >= 8)
        {
            ref var r = ref MemoryMarshal.GetReference(s);
            var vmax = Vector256.Create(double.NegativeInfinity);
            var vmin = Vector256.Create(double.PositiveInfinity);
            var vsum = Vector256<double>.Zero;
            var vclip = Vector256<double>.Zero;
            var lo = Vector256.Create(Eps);
            var hi = Vector256.Create(1 - Eps);
            for (; i <= s.Length - 4; i += 4)
            {
                var v = Vector256.LoadUnsafe(ref r, (nuint)i);
                // Native min/max (no NaN/-0 handling): non-finite rows are caught through the sum.
                vmax = Vector256.MaxNative(vmax, v);
                vmin = Vector256.MinNative(vmin, v);
                vsum += v;
                vclip += Vector256.MinNative(Vector256.MaxNative(v, lo), hi);
            }
            for (var k = 0; k < 4; k++)
            {
                max = Math.Max(max, vmax[k]);
                min = Math.Min(min, vmin[k]);
            }
            sum = Vector256.Sum(vsum);
            clipped = Vector256.Sum(vclip);
        }
        for (; i < s.Length; i++)
        {
            max = Math.Max(max, s[i]);
            min = Math.Min(min, s[i]);
            sum += s[i];
            clipped += Clip(s[i]);
        }
        return (max, min, sum, clipped);
    }

    /// <summary>Index of the first element equal to <paramref name="value"/> (numpy's argmax tie rule); -1 if none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int IndexOfFirst(ReadOnlySpan<double> s, double value)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var r = ref MemoryMarshal.GetReference(s);
            var target = Vector256.Create(value);
            for (; i <= s.Length - 4; i += 4)
            {
                var m = Vector256.Equals(Vector256.LoadUnsafe(ref r, (nuint)i), target).ExtractMostSignificantBits();
                if (m != 0) return i + BitOperations.TrailingZeroCount(m);
            }
        }
        for (; i < s.Length; i++)
            if (s[i] == value) return i;
        return -1;
    }

    /// <summary>
    /// How many classes rank ahead of class <paramref name="label"/> in scikit-learn's
    /// <c>top_k_accuracy_score</c>: a stable ascending sort reversed, so a higher score is ahead
    /// and among equal scores a higher class index is ahead.
    /// </summary>
    public static int RankOf(ReadOnlySpan<double> s, int label)
    {
        var x = s[label];
        // Below the label only strictly higher scores are ahead; above it, equal ones are too.
        return CountAbove(s[..label], x, orEqual: false) + CountAbove(s[(label + 1)..], x, orEqual: true);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int CountAbove(ReadOnlySpan<double> s, double x, bool orEqual)
    {
        var count = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var r = ref MemoryMarshal.GetReference(s);
            var vx = Vector256.Create(x);
            var acc = Vector256<long>.Zero;
            if (orEqual)
                for (; i <= s.Length - 4; i += 4)
                    acc -= Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref r, (nuint)i), vx).AsInt64();
            else
                for (; i <= s.Length - 4; i += 4)
                    acc -= Vector256.GreaterThan(Vector256.LoadUnsafe(ref r, (nuint)i), vx).AsInt64();
            count = (int)Vector256.Sum(acc);
        }
        for (; i < s.Length; i++)
            if (s[i] > x || (orEqual && s[i] == x)) count++;
        return count;
    }

    /// <summary>Writes exp(sᵢ − shift) to <paramref name="dst"/>; returns their sum and their minimum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double Sum, double Min) ExpShifted(ReadOnlySpan<double> s, double shift, Span<double> dst)
    {
        double sum = 0, min = double.PositiveInfinity;
        var i = 0;
        if (Vector512.IsHardwareAccelerated && s.Length >= 8)
        {
            ref var r = ref MemoryMarshal.GetReference(s);
            ref var d = ref MemoryMarshal.GetReference(dst);
            var vshift = Vector512.Create(shift);
            var vsum = Vector512<double>.Zero;
            var vmin = Vector512.Create(double.PositiveInfinity);
            for (; i <= s.Length - 8; i += 8)
            {
                var e = Vector512.Exp(Vector512.LoadUnsafe(ref r, (nuint)i) - vshift);
                e.StoreUnsafe(ref d, (nuint)i);
                vsum += e;
                vmin = Vector512.MinNative(vmin, e);
            }
            sum = Vector512.Sum(vsum);
            for (var k = 0; k < 8; k++) min = Math.Min(min, vmin[k]);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            ref var r = ref MemoryMarshal.GetReference(s);
            ref var d = ref MemoryMarshal.GetReference(dst);
            var vshift = Vector256.Create(shift);
            var vsum = Vector256<double>.Zero;
            var vmin = Vector256.Create(double.PositiveInfinity);
            for (; i <= s.Length - 4; i += 4)
            {
                var e = Vector256.Exp(Vector256.LoadUnsafe(ref r, (nuint)i) - vshift);
                e.StoreUnsafe(ref d, (nuint)i);
                vsum += e;
                vmin = Vector256.MinNative(vmin, e);
            }
            sum = Vector256.Sum(vsum);
            for (var k = 0; k < 4 && i > 0; k++) min = Math.Min(min, vmin[k]);
        }
        for (; i < s.Length; i++)
        {
            var e = Math.Exp(s[i] - shift);
            dst[i] = e;
            sum += e;
            min = Math.Min(min, e);
        }
        return (sum, min);
    }

    /// <summary>Σ max(eᵢ, floor): the lower clip of scikit-learn's log loss applied to unnormalised exponentials.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double FlooredSum(ReadOnlySpan<double> e, double floor)
    {
        double sum = 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var r = ref MemoryMarshal.GetReference(e);
            var vf = Vector256.Create(floor);
            var vsum = Vector256<double>.Zero;
            for (; i <= e.Length - 4; i += 4) vsum += Vector256.Max(Vector256.LoadUnsafe(ref r, (nuint)i), vf);
            sum = Vector256.Sum(vsum);
        }
        for (; i < e.Length; i++) sum += Math.Max(e[i], floor);
        return sum;
    }

    /// <summary>Divides every element by <paramref name="d"/> in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DivideInPlace(Span<double> s, double d)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var r = ref MemoryMarshal.GetReference(s);
            var vd = Vector256.Create(d);
            for (; i <= s.Length - 4; i += 4)
                (Vector256.LoadUnsafe(ref r, (nuint)i) / vd).StoreUnsafe(ref r, (nuint)i);
        }
        for (; i < s.Length; i++) s[i] /= d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Clip(double p) => Math.Min(Math.Max(p, Eps), 1 - Eps);
}

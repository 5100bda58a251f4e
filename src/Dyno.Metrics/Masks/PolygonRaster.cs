using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Masks;

/// <summary>
/// pycocotools' <c>rleFrPoly</c> with the same result bit for bit, without its arrays and with a
/// fraction of its steps. rleFrPoly walks the 5× upsampled boundary point by point, keeps the points
/// where the column changes and whose downsampled column is an integer, sorts them and takes
/// differences. Here:
/// <list type="bullet">
/// <item>On an edge that advances one column a step (|dx| ≥ |dy|), only every fifth step can give a
/// crossing (xd = (xi + .5) / 5 − .5 is an integer exactly when xi ≡ 2 mod 5), so only those steps
/// are visited, their row computed by rleFrPoly's own expression <c>(int)(ys + s * t + .5)</c> at that
/// step and the one before it; the first point of each edge goes through the general test.</item>
/// <item>On a steeper edge (the column changes at most once a step) the step at which the boundary
/// crosses each fifth column gap is found from the line and settled with rleFrPoly's exact expression
/// (it is monotone in the step), instead of visiting every step.</item>
/// <item>The crossings are sorted by a counting sort on the column (a polygon has a few per column),
/// then each column's rows by insertion sort; equal keys give equal values, so the order is
/// Array.Sort's.</item>
/// </list>
/// Work buffers are per thread; only the caller's output is written.
/// </summary>
internal static class PolygonRaster
{
    [ThreadStatic] private static int[]? t_x, t_y, t_bucket;
    [ThreadStatic] private static uint[]? t_a, t_sorted;

    private static Span<T> Scratch<T>(ref T[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new T[Math.Max(length, Math.Min(2 * length, 1 << 20))];
        return buffer.AsSpan(0, length);
    }

    /// <summary>
    /// The run lengths of polygon <paramref name="xy"/> on a <paramref name="height"/> × <paramref name="width"/>
    /// mask, written to <paramref name="counts"/> (grown as needed); returns how many.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Counts(ReadOnlySpan<double> xy, int height, int width, ref uint[] counts)
    {
        var k = xy.Length / 2;
        const double scale = 5;
        var x = Scratch(ref t_x, k + 1);
        var y = Scratch(ref t_y, k + 1);
        for (var j = 0; j < k; j++) x[j] = (int)(scale * xy[j * 2] + .5);
        x[k] = k > 0 ? x[0] : 0;
        for (var j = 0; j < k; j++) y[j] = (int)(scale * xy[j * 2 + 1] + .5);
        y[k] = k > 0 ? y[0] : 0;
        long m = 0;
        for (var j = 0; j < k; j++) m += Math.Max(Math.Abs(x[j] - x[j + 1]), Math.Abs(y[j] - y[j + 1])) + 1;
        // at most one crossing per boundary point, plus the h*w end marker
        var a = Scratch(ref t_a, checked((int)m + 1));
        var n = 0;
        int pu = 0, pv = 0;
        var first = true;
        var wMax = width - 1;
        for (var j = 0; j < k; j++)
        {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            var dx = Math.Abs(xe - xs);
            var dy = Math.Abs(ys - ye);
            var xMajor = dx >= dy;
            var flip = (xMajor && xs > xe) || (!xMajor && ys > ye);
            if (flip) { (xs, xe) = (xe, xs); (ys, ye) = (ye, ys); }
            var s = xMajor ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
            var steps = xMajor ? dx : dy;
            // the edge's first point (d = 0), by the general rule
            {
                var t = flip ? steps : 0;
                int u, v;
                if (xMajor) { u = t + xs; v = (int)(ys + s * t + .5); }
                else { v = t + ys; u = (int)(xs + s * t + .5); }
                if (!first && u != pu) Emit(a, ref n, u, pu, v, pv, height, wMax);
                first = false;
                pu = u;
                pv = v;
            }
            if (steps == 0) continue;
            if (xMajor)
            {
                // u moves by one every step: u = xs + d (u - 1 is the column) or xs + steps - d (u is)
                if (!flip)
                {
                    // column xr + 2 = u - 1 = xs + d - 1 ≡ 2 (mod 5)
                    for (var d = 1 + Mod5(2 - xs); d <= steps; d += 5)
                    {
                        var xd = (xs + d - 3) / 5;
                        if (xd < 0 || xd > wMax) continue;
                        int v = (int)(ys + s * d + .5), vp = (int)(ys + s * (d - 1) + .5);
                        a[n++] = Cross(xd, v < vp ? v : vp, height);
                    }
                }
                else
                {
                    // column u = xs + steps - d ≡ 2 (mod 5)
                    for (var d = 1 + Mod5(xs + steps - 1 - 2); d <= steps; d += 5)
                    {
                        var t = steps - d;
                        var xd = (xs + t - 2) / 5;
                        if (xd < 0 || xd > wMax) continue;
                        int v = (int)(ys + s * t + .5), vp = (int)(ys + s * (t + 1) + .5);
                        a[n++] = Cross(xd, v < vp ? v : vp, height);
                    }
                }
                var tl = flip ? 0 : steps;
                pu = tl + xs;
                pv = (int)(ys + s * tl + .5);
            }
            else
            {
                // v moves by one every step; u(t) = (int)(xs + s t + .5) is monotone in t (every operation
                // rounds monotonically) and, as |s| < 1, moves by at most one a step. The crossings are at
                // the gaps between columns m and m + 1 with m ≡ 2 (mod 5): find each gap's step directly.
                var u0 = (int)(xs + s * 0 + .5);
                var u1 = (int)(xs + s * steps + .5);
                var n0 = n;
                if (u0 != u1 && !YMajorGaps(a, ref n, xs, ys, s, steps, u0, u1, height, wMax))
                {
                    // a jump of two columns in one step (not seen in practice): rleFrPoly's walk, step by step
                    n = n0;
                    var pu2 = flip ? u1 : u0;
                    if (!flip)
                        for (var t = 1; t <= steps; t++)
                        {
                            var u = (int)(xs + s * t + .5);
                            if (u != pu2) Emit(a, ref n, u, pu2, t + ys, t + ys - 1, height, wMax);
                            pu2 = u;
                        }
                    else
                        for (var t = steps - 1; t >= 0; t--)
                        {
                            var u = (int)(xs + s * t + .5);
                            if (u != pu2) Emit(a, ref n, u, pu2, t + ys, t + ys + 1, height, wMax);
                            pu2 = u;
                        }
                }
                pu = flip ? u0 : u1;
                pv = flip ? ys : steps + ys;
            }
        }
        var total = (uint)(height * width);
        var used = SortCrossings(a[..n], height, width);
        // differences, then zero-length runs merge their neighbours (rleFrPoly's last loop)
        if (counts.Length < n + 1) counts = new uint[Math.Max(n + 1, counts.Length * 2)];
        var c = counts;
        uint p = 0;
        var q = 0;
        var pending = false; // a zero-length run was seen: the next run adds to the last written one
        for (var j = 0; j <= n; j++)
        {
            var t = j < n ? used[j] : total;
            var r = t - p;
            p = t;
            if (j == 0) { c[q++] = r; continue; }
            if (pending) { c[q - 1] += r; pending = false; }
            else if (r > 0) c[q++] = r;
            else pending = true;
        }
        return q;
    }

    /// <summary>
    /// The crossings of a steep edge (u from <paramref name="u0"/> at t = 0 to <paramref name="u1"/> at t = steps):
    /// for each gap m (columns m, m + 1) with m ≡ 2 (mod 5) inside the image, the step t whose pair of points
    /// (t − 1, t) straddles it. Walking either way, that pair gives rleFrPoly's column min(u) − 2 = m − 2 and
    /// row min(v) = ys + t − 1. The step is estimated from the line and then settled with the exact u(t), so
    /// the result does not depend on the estimate. False if some step moves u by two (then nothing is trusted).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool YMajorGaps(Span<uint> a, ref int n, int xs, int ys, double s, int steps, int u0, int u1, int height, int wMax)
    {
        var up = u1 > u0;
        int mLo = up ? u0 : u1, mHi = (up ? u1 : u0) - 1;
        // gaps that give a column inside the image: m = 5 xd + 2, 0 <= xd <= wMax
        if (mLo < 2) mLo = 2;
        if (mHi > 5 * wMax + 2) mHi = 5 * wMax + 2;
        for (var m = mLo + Mod5(2 - mLo); m <= mHi; m += 5)
        {
            int t;
            if (up)
            {
                // smallest t with u(t) >= m + 1
                var est = Math.Ceiling((m + .5 - xs) / s);
                t = est >= 1 ? (est <= steps ? (int)est : steps) : 1;
                while (t > 1 && (int)(xs + s * (t - 1) + .5) >= m + 1) t--;
                while ((int)(xs + s * t + .5) < m + 1) t++;
                if ((int)(xs + s * (t - 1) + .5) != m) return false;
            }
            else
            {
                // smallest t with u(t) <= m
                var est = Math.Floor((m + .5 - xs) / s) + 1;
                t = est >= 1 ? (est <= steps ? (int)est : steps) : 1;
                while (t > 1 && (int)(xs + s * (t - 1) + .5) <= m) t--;
                while ((int)(xs + s * t + .5) > m) t++;
                if ((int)(xs + s * (t - 1) + .5) != m + 1) return false;
            }
            a[n++] = Cross((m - 2) / 5, ys + t - 1, height);
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Mod5(int v)
    {
        var r = v % 5;
        return r < 0 ? r + 5 : r;
    }

    /// <summary>A crossing at upsampled column xd (already downsampled) and upsampled row yi: ⌈clamp((yi + .5) / 5 − .5, 0, h)⌉ = clamp(⌈(yi − 2) / 5⌉, 0, h).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Cross(int xd, int yi, int height)
    {
        var yr = yi - 2;
        var yd = yr >= 0 ? (yr + 4) / 5 : yr / 5; // ⌈yr / 5⌉ (C# division truncates towards 0)
        if (yd < 0) yd = 0; else if (yd > height) yd = height;
        return (uint)(xd * height + yd);
    }

    /// <summary>
    /// rleFrPoly's second loop for one boundary point (u, v) after (pu, pv) with u ≠ pu: xd = (xi + .5) / 5 − .5
    /// is an integer exactly when xi ≡ 2 (mod 5), and is then (xi − 2) / 5 with no rounding (the quotient
    /// n + .5 is representable); otherwise it is at least 0.2 away from any integer, so rounding cannot make it one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Emit(Span<uint> a, ref int n, int u, int pu, int v, int pv, int height, int wMax)
    {
        var xr = (u < pu ? u : u - 1) - 2;
        if (xr % 5 != 0) return;
        var xd = xr / 5;
        if (xd < 0 || xd > wMax) return;
        a[n++] = Cross(xd, v < pv ? v : pv, height);
    }

    /// <summary>The crossings in ascending order: counting sort on the column, insertion sort inside a column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReadOnlySpan<uint> SortCrossings(Span<uint> a, int height, int width)
    {
        var n = a.Length;
        if (n < 48 || height <= 0)
        {
            a.Sort();
            return a;
        }
        var h = (uint)height;
        // v / h as a multiply-high (exact for every 32-bit v: Lemire et al., "Faster remainder by direct computation")
        var magic = ulong.MaxValue / h + 1;
        uint lo = uint.MaxValue, hi = 0;
        foreach (var v in a)
        {
            var col = h == 1 ? v : (uint)Math.BigMul(magic, v, out _);
            if (col < lo) lo = col;
            if (col > hi) hi = col;
        }
        var cols = (int)(hi - lo) + 1;
        if (cols > 4 * n)
        {
            a.Sort();
            return a;
        }
        var start = Scratch(ref t_bucket, cols + 1);
        start.Clear();
        foreach (var v in a) start[(int)((h == 1 ? v : (uint)Math.BigMul(magic, v, out _)) - lo) + 1]++;
        for (var i = 0; i < cols; i++) start[i + 1] += start[i];
        var outp = Scratch(ref t_sorted, n);
        foreach (var v in a)
        {
            var b = (int)((h == 1 ? v : (uint)Math.BigMul(magic, v, out _)) - lo);
            outp[start[b]++] = v; // afterwards start[b] is the end of column b
        }
        // columns are contiguous now; sort each (a handful of values) by insertion
        var s0 = 0;
        for (var i = 0; i < cols; i++)
        {
            var s1 = start[i];
            for (var j = s0 + 1; j < s1; j++)
            {
                var v = outp[j];
                var q = j - 1;
                while (q >= s0 && outp[q] > v) { outp[q + 1] = outp[q]; q--; }
                outp[q + 1] = v;
            }
            s0 = s1;
        }
        return outp;
    }
}

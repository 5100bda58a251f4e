using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Detection;

/// <summary>
/// Boundary IoU (Cheng et al. 2021) as boundary-iou-api computes it (<c>boundary_utils.mask_to_boundary</c>):
/// the boundary of a mask is the mask minus its erosion by a (2d+1)² square, d = max(1, round(ratio ×
/// image diagonal)), with the image padded by one row/column of zeros first, so pixels within d of the
/// image edge are boundary too (OpenCV's <c>copyMakeBorder</c> + <c>erode(kernel 3×3, iterations=d)</c>,
/// which is the same square erosion). The evaluation then compares boundaries with pycocotools' RLE IoU
/// and uses min(mask IoU, boundary IoU) for non-crowd ground truth and the mask IoU for crowd.
/// </summary>
internal static class BoundaryIou
{
    /// <summary><c>int(round(ratio * np.sqrt(h ** 2 + w ** 2)))</c>, at least 1.</summary>
    public static int Dilation(double ratio, int height, int width)
    {
        var diag = Math.Sqrt((double)((long)height * height + (long)width * width));
        var d = (int)Math.Round(ratio * diag, MidpointRounding.ToEven);
        return Math.Max(1, d);
    }

    /// <summary>Run lengths (COCO RLE, column-major, starting with background) of the boundary of the mask given by <paramref name="counts"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint[] Boundary(ReadOnlySpan<uint> counts, int h, int w, int d)
    {
        var total = (long)h * w;
        // tight box of the foreground
        int x0 = int.MaxValue, x1 = -1, y0 = int.MaxValue, y1 = -1;
        long pos = 0;
        for (var j = 0; j < counts.Length; j++)
        {
            long c = counts[j];
            if ((j & 1) == 1 && c > 0)
            {
                long a = pos, b = pos + c - 1;
                int xa = (int)(a / h), xb = (int)(b / h);
                x0 = Math.Min(x0, xa); x1 = Math.Max(x1, xb);
                if (xa != xb) { y0 = 0; y1 = h - 1; }
                else { y0 = Math.Min(y0, (int)(a % h)); y1 = Math.Max(y1, (int)(b % h)); }
            }
            pos += c;
        }
        if (x1 < 0) return [(uint)total];
        int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
        // the mask inside its box, column-major
        var m = new byte[bw * bh];
        pos = 0;
        for (var j = 0; j < counts.Length; j++)
        {
            long c = counts[j];
            if ((j & 1) == 1)
                for (var p = pos; p < pos + c; p++)
                {
                    int x = (int)(p / h), y = (int)(p % h);
                    if (y >= y0 && y <= y1) m[(x - x0) * bh + (y - y0)] = 1;
                }
            pos += c;
        }
        // square erosion, separable: a pixel survives when every pixel within d (Chebyshev) is foreground;
        // everything outside the box is background, and so is everything outside the image (the zero padding)
        var need = d + 1;
        var v = new byte[bw * bh];
        for (var x = 0; x < bw; x++)
        {
            var col = x * bh;
            var run = 0;
            for (var y = 0; y < bh; y++) { run = m[col + y] != 0 ? run + 1 : 0; v[col + y] = (byte)(run >= need ? 1 : 0); }
            run = 0;
            for (var y = bh - 1; y >= 0; y--) { run = m[col + y] != 0 ? run + 1 : 0; if (run < need) v[col + y] = 0; }
        }
        var e = new byte[bw * bh];
        var runs = new int[bh];
        for (var x = 0; x < bw; x++)
            for (var y = 0; y < bh; y++) { runs[y] = v[x * bh + y] != 0 ? runs[y] + 1 : 0; e[x * bh + y] = (byte)(runs[y] >= need ? 1 : 0); }
        Array.Clear(runs);
        for (var x = bw - 1; x >= 0; x--)
            for (var y = 0; y < bh; y++) { runs[y] = v[x * bh + y] != 0 ? runs[y] + 1 : 0; if (runs[y] < need) e[x * bh + y] = 0; }

        // boundary = mask - erosion, as full-image run lengths
        var outRuns = new List<uint>(64);
        var cur = 0;
        long len = (long)x0 * h + y0;
        for (var x = 0; x < bw; x++)
        {
            for (var y = 0; y < bh; y++)
            {
                var b = m[x * bh + y] != 0 && e[x * bh + y] == 0 ? 1 : 0;
                if (b != cur) { outRuns.Add((uint)len); len = 0; cur = b; }
                len++;
            }
            if (x + 1 < bw)
            {
                // rows below the box in this column and above it in the next are background
                if (cur != 0) { outRuns.Add((uint)len); len = 0; cur = 0; }
                len += h - bh;
            }
        }
        if (cur != 0) { outRuns.Add((uint)len); len = 0; }
        len += total - ((long)x1 * h + y1 + 1);
        if (len > 0) outRuns.Add((uint)len);
        return outRuns.ToArray();
    }
}

using System.Runtime.CompilerServices;
namespace Dyno.Metrics.Masks;

/// <summary>
/// COCO mask API (pycocotools <c>maskUtils</c> / <c>maskApi.c</c>) in C#, with the same results
/// bit for bit: encode/decode of column-major masks, polygon and box rasterisation (5× upsampled
/// boundary walk), merge, area, tight box, IoU (with the crowd rule) and the compressed string form.
/// </summary>
public static class MaskApi
{
    /// <summary>Encodes a column-major (x * height + y) binary mask.</summary>
    public static Rle Encode(ReadOnlySpan<byte> columnMajor, int height, int width)
    {
        var n = height * width;
        if (columnMajor.Length != n) throw new ArgumentException($"mask has {columnMajor.Length} pixels, expected {height}x{width}");
        var counts = new List<uint>();
        byte p = 0;
        uint c = 0;
        for (var j = 0; j < n; j++)
        {
            var v = columnMajor[j] != 0 ? (byte)1 : (byte)0;
            if (v != p) { counts.Add(c); c = 0; p = v; }
            c++;
        }
        counts.Add(c);
        return new Rle(height, width, counts.ToArray());
    }

    /// <summary>Decodes to a column-major binary mask (x * height + y).</summary>
    public static byte[] Decode(Rle r)
    {
        var mask = new byte[(long)r.Height * r.Width];
        long p = 0;
        byte v = 0;
        foreach (var c in r.Counts)
        {
            if (p + c > mask.Length) throw new InvalidDataException($"RLE counts sum past the {r.Height}x{r.Width} mask");
            if (v == 1) mask.AsSpan((int)p, (int)c).Fill(1);
            p += c;
            v ^= 1;
        }
        return mask;
    }

    /// <summary>Rasterises one polygon (x0, y0, x1, y1, ...) like COCO's <c>rleFrPoly</c>.</summary>
    /// <remarks>
    /// The same arithmetic as <c>rleFrPoly</c> on the points that can matter (see <see cref="PolygonRaster"/>),
    /// with per-thread work buffers, so a polygon allocates only its result.
    /// </remarks>
    public static Rle FromPolygon(ReadOnlySpan<double> xy, int height, int width)
    {
        var buf = t_counts ??= new uint[256];
        var n = PolygonRaster.Counts(xy, height, width, ref buf);
        t_counts = buf;
        return new Rle(height, width, buf.AsSpan(0, n).ToArray());
    }

    [ThreadStatic] private static uint[]? t_counts;

    /// <summary>Rasterises a box (x, y, w, h) like COCO's <c>rleFrBbox</c> (a 4-corner polygon).</summary>
    public static Rle FromBox(double x, double y, double w, double h, int height, int width)
    {
        double xs = x, ys = y, xe = x + w, ye = y + h;
        return FromPolygon([xs, ys, xs, ye, xe, ye, xe, ys], height, width);
    }

    /// <summary>Union (or intersection) of masks of one size, like COCO's <c>rleMerge</c>.</summary>
    public static Rle Merge(IReadOnlyList<Rle> masks, bool intersect = false)
    {
        if (masks.Count == 0) return new Rle(0, 0, []);
        var first = masks[0];
        if (masks.Count == 1) return first;
        int h = first.Height, w = first.Width;
        var acc = first.Counts;
        for (var i = 1; i < masks.Count; i++)
        {
            var bm = masks[i];
            if (bm.Height != h || bm.Width != w) throw new ArgumentException($"cannot merge masks of different sizes ({h}x{w} and {bm.Height}x{bm.Width})");
            acc = MergePair(acc, bm.Counts, intersect);
        }
        return new Rle(h, w, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint[] MergePair(uint[] a, uint[] b, bool intersect)
    {
        var outc = new List<uint>(a.Length + b.Length);
        var walk = new RunPair(a, b);
        uint cc = 0, ct = 1;
        var v = false;
        while (ct > 0)
        {
            ct = walk.Step(out var c);
            cc += c;
            var vp = v;
            v = intersect ? walk.Va && walk.Vb : walk.Va || walk.Vb;
            if (v != vp || ct == 0) { outc.Add(cc); cc = 0; }
        }
        return outc.ToArray();
    }

    /// <summary>Walks two run-length sequences in lockstep, one chunk of constant values in both at a time (maskApi.c's loop).</summary>
    private ref struct RunPair(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        private readonly ReadOnlySpan<uint> _a = a, _b = b;
        private uint _ca = a.Length > 0 ? a[0] : 0, _cb = b.Length > 0 ? b[0] : 0;
        private int _ia = 1, _ib = 1;

        /// <summary>Values of the current chunk in each mask.</summary>
        public bool Va, Vb;

        /// <summary>Consumes the current chunk (its length in <paramref name="c"/>); returns what is left in the two current runs.</summary>
        public uint Step(out uint c)
        {
            c = Math.Min(_ca, _cb);
            _ca -= c;
            if (_ca == 0 && _ia < _a.Length) { _ca = _a[_ia++]; Va = !Va; }
            _cb -= c;
            if (_cb == 0 && _ib < _b.Length) { _cb = _b[_ib++]; Vb = !Vb; }
            return _ca + _cb;
        }
    }

    /// <summary>The tight box (x, y, w, h) of a mask, like COCO's <c>rleToBbox</c>.</summary>
    public static (double X, double Y, double W, double H) ToBox(Rle r) => ToBox(r.Counts, r.Height, r.Width);

    /// <summary>The tight box of run lengths <paramref name="counts"/> on a <paramref name="height"/> × <paramref name="width"/> mask (<c>rleToBbox</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (double X, double Y, double W, double H) ToBox(ReadOnlySpan<uint> counts, int height, int width)
    {
        var h = (uint)height;
        var w = (uint)width;
        var m = counts.Length / 2 * 2;
        if (m == 0 || h == 0) return (0, 0, 0, 0);
        uint xs = w, ys = h, xe = 0, ye = 0, cc = 0, xp = 0;
        // t / h as a multiply-high (exact for every 32-bit t: Lemire et al., "Faster remainder by direct computation")
        var magic = ulong.MaxValue / h + 1;
        for (var j = 0; j < m; j++)
        {
            cc += counts[j];
            var t = cc - (uint)(j % 2);
            var x = h == 1 ? t : (uint)Math.BigMul(magic, t, out _);
            var y = t - x * h;
            if (j % 2 == 0) xp = x;
            else if (xp < x) { ys = 0; ye = h - 1; }
            xs = Math.Min(xs, x); xe = Math.Max(xe, x); ys = Math.Min(ys, y); ye = Math.Max(ye, y);
        }
        return (xs, ys, xe - xs + 1, ye - ys + 1);
    }

    /// <summary>Foreground pixel count of run lengths (<c>rleArea</c>).</summary>
    internal static uint Area(ReadOnlySpan<uint> counts)
    {
        uint a = 0;
        for (var j = 1; j < counts.Length; j += 2) a += counts[j];
        return a;
    }

    /// <summary>
    /// IoU of two masks, like COCO's <c>rleIou</c> for one pair: for a crowd ground truth the union is
    /// the detection's area; −1 when the sizes differ (COCO's convention); 0 when the tight boxes do not overlap.
    /// </summary>
    public static double Iou(Rle dt, Rle gt, bool gtIsCrowd)
    {
        var d = new MaskSet();
        var g = new MaskSet();
        d.Add(dt.Counts, dt.Height, dt.Width);
        g.Add(gt.Counts, gt.Height, gt.Width);
        return MaskSet.Iou(d, 0, g, 0, gtIsCrowd);
    }

    /// <summary>The compressed string of <see cref="ToCompressedString"/> as ASCII bytes.</summary>
    internal static byte[] ToCompressedBytes(ReadOnlySpan<uint> counts)
    {
        var buf = new byte[counts.Length * 7];
        var n = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            long x = counts[i];
            if (i > 2) x -= counts[i - 2];
            var more = true;
            while (more)
            {
                var c = (int)(x & 0x1f);
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) c |= 0x20;
                buf[n++] = (byte)(c + 48);
            }
        }
        return buf.AsSpan(0, n).ToArray();
    }

    /// <summary>COCO's compressed RLE string (LEB128-like, 5 bits per char, deltas from the count two back after index 2).</summary>
    public static string ToCompressedString(ReadOnlySpan<uint> counts) => System.Text.Encoding.ASCII.GetString(ToCompressedBytes(counts));

    /// <summary>
    /// Parses COCO's compressed RLE string (the <c>counts</c> of a compressed RLE), bounded by the mask
    /// size: a byte outside COCO's alphabet ('0'..'o'), a number longer than any 32-bit run needs, a
    /// negative or oversized run, or runs that do not add up to exactly height × width pixels is an
    /// <see cref="InvalidDataException"/> (pycocotools reads such strings without a check and can then
    /// loop forever in <c>rleIou</c>/<c>rleMerge</c> or write past the mask in <c>rleDecode</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Rle FromCompressedString(ReadOnlySpan<byte> s, int height, int width)
    {
        // every number takes at least one byte, so the string's length bounds the run count
        var cnts = new uint[s.Length];
        var n = DecodeCompressed(s, height, width, cnts);
        return new Rle(height, width, n == cnts.Length ? cnts : cnts.AsSpan(0, n).ToArray());
    }

    /// <summary>
    /// Decodes a compressed RLE string into <paramref name="cnts"/> (at least <c>s.Length</c> long) with
    /// the checks of <see cref="FromCompressedString(ReadOnlySpan{byte}, int, int)"/>; returns the run count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int DecodeCompressed(ReadOnlySpan<byte> s, int height, int width, Span<uint> cnts)
    {
        var total = (long)height * width;
        var n = 0;
        long sum = 0;
        var p = 0;
        while (p < s.Length)
        {
            long x = 0;
            var k = 0;
            var more = true;
            while (more)
            {
                if (p >= s.Length) throw new InvalidDataException("compressed RLE string ends inside a number");
                var b = s[p];
                if (b < 48 || b > 111)
                    throw new InvalidDataException($"compressed RLE string has byte 0x{b:x2} at offset {p}, outside COCO's alphabet '0'..'o'");
                if (k == 7) throw new InvalidDataException($"compressed RLE string has a number longer than 7 characters at offset {p}");
                long c = b - 48;
                x |= (c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (n > 2) x += cnts[n - 2];
            if (x < 0 || x > uint.MaxValue)
                throw new InvalidDataException($"compressed RLE string decodes to run length {x} (run {n})");
            sum += x;
            if (sum > total)
                throw new InvalidDataException($"compressed RLE string decodes past the {height}x{width} mask ({total} pixels) at run {n}");
            cnts[n++] = (uint)x;
        }
        if (sum != total)
            throw new InvalidDataException($"compressed RLE string decodes to {sum} pixels, not height*width = {total}");
        return n;
    }

    /// <summary>Parses COCO's compressed RLE string.</summary>
    public static Rle FromCompressedString(string s, int height, int width) =>
        FromCompressedString(System.Text.Encoding.ASCII.GetBytes(s), height, width);
}

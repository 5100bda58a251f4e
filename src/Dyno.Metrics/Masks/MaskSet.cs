using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Masks;

/// <summary>
/// Masks prepared for many IoUs: each mask's tight box and area (computed once, not once per pair
/// as a plain <c>rleIou</c> call would) and its foreground runs as absolute [start, end) pixel
/// intervals in reusable buffers. The IoU is pycocotools' <c>rleIou</c> to the bit: the box test
/// first (0 when the tight boxes do not overlap), −1 for masks of different sizes, then the
/// intersection counted over the runs inside the overlapping columns only; the union is
/// area(d) + area(g) − intersection (what the run walk adds up, as both masks cover h × w pixels),
/// or area(d) for a crowd ground truth. Not thread-safe: one set per worker.
/// </summary>
internal sealed class MaskSet
{
    private uint[] _start = new uint[256], _end = new uint[256];
    private int _runs;
    private int[] _first = new int[16], _count = new int[16];
    private int[] _h = new int[16], _w = new int[16];
    private uint[] _area = new uint[16];
    private uint[] _bx = new uint[16], _by = new uint[16], _bw = new uint[16], _bh = new uint[16];

    /// <summary>Number of masks added since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Forgets every mask, keeping the buffers.</summary>
    public void Clear()
    {
        Count = 0;
        _runs = 0;
        ColumnBoxesExact = true;
    }

    /// <summary>
    /// False once a mask was added for which a column-range box (<c>box: false</c>) may give another IoU than
    /// rleToBbox's box (<see cref="ColumnBoxExact"/>); the caller then adds the block again with exact boxes.
    /// </summary>
    public bool ColumnBoxesExact { get; private set; } = true;

    /// <summary>
    /// Whether the column range may stand in for rleToBbox's box of this mask in <see cref="Iou"/> with a mask of the
    /// same size: the mask is not empty and does not start with two zero-length runs. An empty mask's rleToBbox box
    /// is not empty when the mask has zero-length runs, and where it overlaps the other box pycocotools computes
    /// 0 / 0 = NaN, not the 0 of disjoint boxes; a leading "0 0" makes rleToBbox's unsigned <c>t = cc - 1</c> wrap
    /// (on a one-row mask its box width then wraps to 0). Any other mask's rleToBbox box holds all its pixels.
    /// </summary>
    internal static bool ColumnBoxExact(ReadOnlySpan<uint> counts)
    {
        if (counts.Length >= 2 && counts[0] == 0 && counts[1] == 0) return false;
        for (var j = 1; j < counts.Length; j += 2)
            if (counts[j] != 0) return true;
        return false;
    }

    /// <summary>
    /// Adds a mask of <paramref name="height"/> × <paramref name="width"/> from its run lengths; returns its index.
    /// <paramref name="box"/> false: see <see cref="AddCompressed"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Add(ReadOnlySpan<uint> counts, int height, int width, bool box = true)
    {
        var i = Count;
        Reserve(i, counts.Length / 2);
        Count++;
        _first[i] = _runs;
        _h[i] = height;
        _w[i] = width;
        // runs -> foreground intervals and the area; rleToBbox for the box
        uint pos = 0, area = 0;
        var k = _runs;
        for (var j = 0; j + 1 < counts.Length; j += 2)
        {
            pos += counts[j];
            var c = counts[j + 1];
            if (c != 0)
            {
                _start[k] = pos;
                _end[k] = pos + c;
                k++;
                area += c;
            }
            pos += c;
        }
        _count[i] = k - _runs;
        _runs = k;
        _area[i] = area;
        if (!box)
        {
            if (area == 0 || (counts.Length >= 2 && counts[0] == 0 && counts[1] == 0)) ColumnBoxesExact = false;
            ColumnBox(i, height);
            return i;
        }
        var (bx, by, bw, bh) = MaskApi.ToBox(counts, height, width);
        _bx[i] = (uint)bx; _by[i] = (uint)by; _bw[i] = (uint)bw; _bh[i] = (uint)bh;
        return i;
    }

    /// <summary>
    /// In place of rleToBbox's box: the columns from the first to the last foreground pixel, all rows.
    /// It contains every foreground pixel, which is all <see cref="Iou"/> needs when both masks have the
    /// same size: if the masks share a pixel both boxes overlap it, and if they share none the
    /// intersection is 0 and so is the IoU whatever the boxes say. Only for masks of different sizes
    /// (IoU −1 when the exact boxes overlap, else 0) does the exact box matter.
    /// </summary>
    private void ColumnBox(int i, int height)
    {
        var n = _count[i];
        if (n == 0 || height == 0) { _bx[i] = _by[i] = _bw[i] = _bh[i] = 0; return; }
        var h = (uint)height;
        var c0 = _start[_first[i]] / h;
        var c1 = (_end[_first[i] + n - 1] - 1) / h;
        _bx[i] = c0; _bw[i] = c1 - c0 + 1; _by[i] = 0; _bh[i] = h;
    }

    /// <summary>
    /// Adds a mask given as COCO's compressed RLE string, decoded, checked (as
    /// <see cref="MaskApi.FromCompressedString(ReadOnlySpan{byte}, int, int)"/>), boxed and split into
    /// intervals in one pass, without writing out the run lengths. <paramref name="box"/> false: the
    /// mask's box is its column range only (no per-run division), enough for IoUs between masks of one
    /// size (see <see cref="ColumnBox"/>), not for <see cref="Box"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int AddCompressed(ReadOnlySpan<byte> s, int height, int width, bool box = true)
    {
        if (!box) return AddCompressedNoBox(s, height, width);
        var i = Count;
        // at most one foreground run per two bytes
        Reserve(i, s.Length / 2 + 1);
        Count++;
        _first[i] = _runs;
        _h[i] = height;
        _w[i] = width;
        var total = (long)height * width;
        var h = (uint)height;
        var magic = h > 1 ? ulong.MaxValue / h + 1 : 0;
        // rleToBbox's state, fed one run at a time
        uint xs = (uint)width, ys = h, xe = 0, ye = 0, xp = 0;
        uint sxs = xs, sxe = xe, sys = ys, sye = ye; // the box before the latest even-index run
        long sum = 0;
        uint area = 0;
        long back2 = 0, back1 = 0; // counts n-2 and n-1
        var n = 0;
        var k = _runs;
        var p = 0;
        while (p < s.Length)
        {
            var x = ReadNumber(s, ref p);
            if (n > 2) x += back2;
            if (x < 0 || x > uint.MaxValue)
                throw new InvalidDataException($"compressed RLE string decodes to run length {x} (run {n})");
            var start = sum;
            sum += x;
            if (sum > total)
                throw new InvalidDataException($"compressed RLE string decodes past the {height}x{width} mask ({total} pixels) at run {n}");
            back2 = back1;
            back1 = x;
            // rleToBbox counts only the runs of an even count of runs (a trailing background run is left out)
            var odd = (n & 1) == 1;
            if (odd && x != 0)
            {
                _start[k] = (uint)start;
                _end[k] = (uint)sum;
                k++;
                area += (uint)x;
            }
            var t = (uint)sum - (odd ? 1u : 0u);
            var col = h > 1 ? (uint)Math.BigMul(magic, t, out _) : t;
            var row = t - col * h;
            if (!odd) xp = col;
            else if (xp < col) { ys = 0; ye = h - 1; }
            if (col < xs) xs = col;
            if (col > xe) xe = col;
            if (row < ys) ys = row;
            if (row > ye) ye = row;
            n++;
            if (odd) { sxs = xs; sxe = xe; sys = ys; sye = ye; }
        }
        if (sum != total)
            throw new InvalidDataException($"compressed RLE string decodes to {sum} pixels, not height*width = {total}");
        // an odd run count: the last (background) run is not part of rleToBbox's loop, so undo it
        if ((n & 1) == 1) { xs = sxs; xe = sxe; ys = sys; ye = sye; }
        _count[i] = k - _runs;
        _runs = k;
        _area[i] = area;
        if (n / 2 * 2 == 0 || h == 0) { _bx[i] = _by[i] = _bw[i] = _bh[i] = 0; }
        else { _bx[i] = xs; _by[i] = ys; _bw[i] = xe - xs + 1; _bh[i] = ye - ys + 1; }
        return i;
    }

    /// <summary><see cref="AddCompressed"/> without rleToBbox's per-run state (the same checks and errors).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int AddCompressedNoBox(ReadOnlySpan<byte> s, int height, int width)
    {
        var i = Count;
        Reserve(i, s.Length / 2 + 1);
        Count++;
        _first[i] = _runs;
        _h[i] = height;
        _w[i] = width;
        var total = (long)height * width;
        long sum = 0;
        uint area = 0;
        long back2 = 0, back1 = 0;
        int n = 0, zeros = 0;
        var k = _runs;
        var starts = _start;
        var ends = _end;
        var p = 0;
        while (p < s.Length)
        {
            var x = ReadNumber(s, ref p);
            if (n > 2) x += back2;
            if ((ulong)x > uint.MaxValue)
                throw new InvalidDataException($"compressed RLE string decodes to run length {x} (run {n})");
            var start = sum;
            sum += x;
            if (sum > total)
                throw new InvalidDataException($"compressed RLE string decodes past the {height}x{width} mask ({total} pixels) at run {n}");
            back2 = back1;
            back1 = x;
            if (n < 2 && x == 0) zeros++;
            if ((n & 1) == 1 && x != 0)
            {
                starts[k] = (uint)start;
                ends[k] = (uint)sum;
                k++;
                area += (uint)x;
            }
            n++;
        }
        if (sum != total)
            throw new InvalidDataException($"compressed RLE string decodes to {sum} pixels, not height*width = {total}");
        _count[i] = k - _runs;
        _runs = k;
        _area[i] = area;
        if (area == 0 || zeros == 2) ColumnBoxesExact = false;
        ColumnBox(i, height);
        return i;
    }

    private void Reserve(int i, int runs)
    {
        if (i == _first.Length)
        {
            var n = i * 2;
            Array.Resize(ref _first, n); Array.Resize(ref _count, n); Array.Resize(ref _h, n); Array.Resize(ref _w, n);
            Array.Resize(ref _area, n); Array.Resize(ref _bx, n); Array.Resize(ref _by, n); Array.Resize(ref _bw, n); Array.Resize(ref _bh, n);
        }
        if (_runs + runs > _start.Length)
        {
            var n = Math.Max(_start.Length * 2, _runs + runs);
            Array.Resize(ref _start, n);
            Array.Resize(ref _end, n);
        }
    }

    /// <summary>Adds a <see cref="Segmentation"/> the way <see cref="Segmentation.ToRle"/> reads it, on an image of the given size.</summary>
    /// <remarks><paramref name="box"/> false: see <see cref="AddCompressed"/>. A single polygon is rasterised into a reused buffer.</remarks>
    public int Add(Segmentation segm, int imageHeight, int imageWidth, bool box = true)
    {
        switch (segm)
        {
            case RleSegmentation { Counts: { } c } r: return Add(c, r.Height, r.Width, box);
            case RleSegmentation { Compressed: { } b } r: return AddCompressed(b, r.Height, r.Width, box);
            case CompressedRleSlice sl: return AddCompressed(sl.Bytes(ref _unescaped), sl.Height, sl.Width, box);
            case PolygonSegmentation { Polygons: [{ Length: not 4 } poly] }:
                var n = PolygonRaster.Counts(poly, imageHeight, imageWidth, ref _counts);
                return Add(_counts.AsSpan(0, n), imageHeight, imageWidth, box);
            case PolygonSlice ps:
                if (ps.Read(ref _coords, ref _ends) == 1 && _ends[0] != 4)
                {
                    var m = PolygonRaster.Counts(_coords.AsSpan(0, _ends[0]), imageHeight, imageWidth, ref _counts);
                    return Add(_counts.AsSpan(0, m), imageHeight, imageWidth, box);
                }
                var many = ps.ToPolygons().ToRle(imageHeight, imageWidth);
                return Add(many.Counts, many.Height, many.Width, box);
            default:
                var rle = segm.ToRle(imageHeight, imageWidth);
                return Add(rle.Counts, rle.Height, rle.Width, box);
        }
    }

    private byte[]? _unescaped;
    private double[] _coords = new double[64];
    private int[] _ends = new int[4];
    private uint[] _counts = new uint[256];

    /// <summary>The size a segmentation's mask has on an image of <paramref name="imageHeight"/> × <paramref name="imageWidth"/> (an RLE keeps its own).</summary>
    public static (int Height, int Width) SizeOf(Segmentation segm, int imageHeight, int imageWidth) => segm switch
    {
        RleSegmentation r => (r.Height, r.Width),
        CompressedRleSlice sl => (sl.Height, sl.Width),
        PolygonSegmentation { Polygons.Count: 0 } => (0, 0), // Merge([]) is an empty 0 x 0 mask
        _ => (imageHeight, imageWidth),
    };

    /// <summary>Foreground pixel count of mask <paramref name="i"/>.</summary>
    public uint Area(int i) => _area[i];

    /// <summary>Tight box (x, y, w, h) of mask <paramref name="i"/>, as <c>rleToBbox</c>.</summary>
    public (double X, double Y, double W, double H) Box(int i) => (_bx[i], _by[i], _bw[i], _bh[i]);

    /// <summary>pycocotools' <c>rleIou</c> of detection mask <paramref name="d"/> against ground-truth mask <paramref name="g"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Iou(MaskSet dts, int d, MaskSet gts, int g, bool gtIsCrowd)
    {
        // bbIou > 0, on the tight boxes (the crowd rule does not change whether it is positive)
        uint dx = dts._bx[d], dw = dts._bw[d], gx = gts._bx[g], gw = gts._bw[g];
        var x0 = Math.Max(dx, gx);
        var x1 = Math.Min(dx + dw, gx + gw);
        if (x1 <= x0) return 0;
        uint dy = dts._by[d], dh = dts._bh[d], gy = gts._by[g], gh = gts._bh[g];
        if (Math.Min(dy + dh, gy + gh) <= Math.Max(dy, gy)) return 0;
        if (dts._h[d] != gts._h[g] || dts._w[d] != gts._w[g]) return -1;
        var h = (uint)dts._h[d];
        var inter = Intersection(dts._start.AsSpan(dts._first[d], dts._count[d]), dts._end.AsSpan(dts._first[d], dts._count[d]),
                                 gts._start.AsSpan(gts._first[g], gts._count[g]), gts._end.AsSpan(gts._first[g], gts._count[g]),
                                 x0 * h, x1 * h);
        if (inter == 0) return 0; // pycocotools: i == 0 -> u = 1 -> 0 / 1
        var uni = gtIsCrowd ? dts._area[d] : dts._area[d] + gts._area[g] - inter;
        return (double)inter / uni;
    }

    /// <summary>Pixels in both interval lists, looking only at pixels [<paramref name="from"/>, <paramref name="to"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint Intersection(ReadOnlySpan<uint> aS, ReadOnlySpan<uint> aE, ReadOnlySpan<uint> bS, ReadOnlySpan<uint> bE, uint from, uint to)
    {
        int i = FirstEndingAfter(aE, from), j = FirstEndingAfter(bE, from);
        uint inter = 0;
        while (i < aS.Length && j < bS.Length)
        {
            uint s1 = aS[i], e1 = aE[i], s2 = bS[j], e2 = bE[j];
            if (s1 >= to || s2 >= to) break;
            var lo = Math.Max(s1, s2);
            var hi = Math.Min(e1, e2);
            if (hi > lo) inter += hi - lo;
            if (e1 <= e2) i++;
            if (e2 <= e1) j++;
        }
        return inter;
    }

    /// <summary>The first interval whose end is past <paramref name="pixel"/> (binary search).</summary>
    private static int FirstEndingAfter(ReadOnlySpan<uint> ends, uint pixel)
    {
        int lo = 0, hi = ends.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (ends[mid] <= pixel) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>One number of a COCO compressed RLE string (pycocotools' rleFrString: 5 bits per character, sign-extended), read at <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long ReadNumber(ReadOnlySpan<byte> s, ref int p)
    {
        long x = 0;
        var shift = 0;
        while (true)
        {
            if (p >= s.Length) throw new InvalidDataException("compressed RLE string ends inside a number");
            var c = s[p] - 48;
            if ((uint)c > 63)
                throw new InvalidDataException($"compressed RLE string has byte 0x{s[p]:x2} at offset {p}, outside COCO's alphabet '0'..'o'");
            if (shift == 35) throw new InvalidDataException($"compressed RLE string has a number longer than 7 characters at offset {p}");
            x |= (long)(c & 0x1f) << shift;
            p++;
            shift += 5;
            if ((c & 0x20) == 0)
            {
                if ((c & 0x10) != 0) x |= -1L << shift;
                return x;
            }
        }
    }
}

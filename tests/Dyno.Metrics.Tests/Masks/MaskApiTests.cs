using System.Text;
using Dyno.Metrics.Masks;
using FsCheck.Xunit;

namespace Dyno.Metrics.Tests.Masks;

public class MaskApiTests
{
    private static byte[] Mask(byte[] seed, int h, int w)
    {
        var m = new byte[h * w];
        for (var i = 0; i < m.Length; i++) m[i] = seed.Length == 0 ? (byte)0 : (byte)(seed[i % seed.Length] > 127 ? 1 : 0);
        return m;
    }

    [Property(MaxTest = 200)]
    public bool Encode_decode_and_string_round_trip(byte[] seed, byte hb, byte wb)
    {
        int h = hb % 17 + 1, w = wb % 13 + 1;
        var m = Mask(seed, h, w);
        var r = MaskApi.Encode(m, h, w);
        var back = MaskApi.FromCompressedString(r.ToCompressedString(), h, w);
        return MaskApi.Decode(r).SequenceEqual(m) && back.Counts.SequenceEqual(r.Counts) && r.Area == m.Count(b => b == 1);
    }

    [Property(MaxTest = 200)]
    public bool Merge_iou_and_box_agree_with_pixels(byte[] s1, byte[] s2, byte hb, byte wb)
    {
        int h = hb % 11 + 1, w = wb % 11 + 1;
        var a = Mask(s1, h, w);
        var b = Mask(s2.Reverse().ToArray(), h, w);
        var ra = MaskApi.Encode(a, h, w);
        var rb = MaskApi.Encode(b, h, w);
        var union = MaskApi.Decode(MaskApi.Merge([ra, rb]));
        var inter = MaskApi.Decode(MaskApi.Merge([ra, rb], intersect: true));
        for (var i = 0; i < a.Length; i++)
            if (union[i] != (a[i] | b[i]) || inter[i] != (a[i] & b[i])) return false;
        int ni = inter.Count(x => x == 1), nu = union.Count(x => x == 1);
        var iou = MaskApi.Iou(ra, rb, gtIsCrowd: false);
        var want = ni == 0 ? 0.0 : (double)ni / nu;
        var crowd = MaskApi.Iou(ra, rb, gtIsCrowd: true);
        var wantCrowd = ni == 0 ? 0.0 : (double)ni / ra.Area;
        if (iou != want || crowd != wantCrowd) return false;
        // tight box from the runs equals the box of the pixels
        var (x, y, bw, bh) = MaskApi.ToBox(ra);
        var xs = Enumerable.Range(0, a.Length).Where(i => a[i] == 1).Select(i => i / h).ToArray();
        var ys = Enumerable.Range(0, a.Length).Where(i => a[i] == 1).Select(i => i % h).ToArray();
        return xs.Length == 0 ? (x, y, bw, bh) == (0, 0, 0, 0) : (x, y, bw, bh) == (xs.Min(), ys.Min(), xs.Max() - xs.Min() + 1, ys.Max() - ys.Min() + 1);
    }

    [Fact]
    public void Known_compressed_string_and_polygon()
    {
        // pycocotools: encode of a 4x4 mask with a 2x2 block at rows 1-2, cols 1-2 → counts [5, 2, 2, 2, 5]
        var m = new byte[16];
        foreach (var (x, y) in new[] { (1, 1), (1, 2), (2, 1), (2, 2) }) m[x * 4 + y] = 1;
        var r = MaskApi.Encode(m, 4, 4);
        Assert.Equal([5u, 2, 2, 2, 5], r.Counts);
        Assert.Equal(r.Counts, MaskApi.FromCompressedString(r.ToCompressedString(), 4, 4).Counts);
        // an axis-aligned square polygon covers its pixels: [0,10]x[0,10] on a 20x20 image → 10x10 = 100
        var sq = MaskApi.FromPolygon([0, 0, 10, 0, 10, 10, 0, 10], 20, 20);
        Assert.Equal(100u, sq.Area);
        Assert.Equal((0.0, 0.0, 10.0, 10.0), MaskApi.ToBox(sq));
        Assert.Equal(sq.Counts, MaskApi.FromBox(0, 0, 10, 10, 20, 20).Counts);
    }

    [Theory]
    [InlineData("2 2", "byte 0x20 at offset 1")]        // space
    [InlineData("2p2", "byte 0x70 at offset 1")]        // 'p' is one past 'o'
    [InlineData("ooooooo0", "longer than 7 characters")] // a run of continuation bytes (the old reader shifted past 64 bits)
    [InlineData("9", "decodes past the 2x3 mask (6 pixels) at run 0")]
    [InlineData("32", "decodes to 5 pixels, not height*width = 6")]
    [InlineData("000O", "run length -1 (run 3)")]      // a delta below zero
    [InlineData("2[", "ends inside a number")]
    public void Compressed_rle_outside_the_mask_or_alphabet_is_a_clear_error(string s, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => MaskApi.FromCompressedString(s, 2, 3));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Compressed_rle_with_short_runs_does_not_reach_iou()
    {
        // Before the bound a string summing short of h*w made the IoU walk spin forever on the longer mask.
        var full = MaskApi.Encode(new byte[] { 0, 1, 1, 1, 1, 1 }, 2, 3);
        Assert.Equal(1.0, MaskApi.Iou(full, MaskApi.FromCompressedString(full.ToCompressedString(), 2, 3), false));
        Assert.Throws<InvalidDataException>(() => MaskApi.FromCompressedString("01", 2, 3));
    }

    [Property(MaxTest = 300)]
    public bool Fused_string_decode_gives_rleToBbox_and_area_of_the_runs(byte[] seed, byte hb, byte wb)
    {
        // runs with zeros inside and an odd or even run count: rleToBbox's quirks included
        int h = hb % 9 + 1, w = wb % 9 + 1, total = h * w;
        var counts = new List<uint>();
        var left = total;
        foreach (var b in seed)
        {
            var c = Math.Min(left, b % 5);
            counts.Add((uint)c);
            left -= c;
        }
        counts.Add((uint)left);
        var arr = counts.ToArray();
        var set = new MaskSet();
        set.Add(new uint[] { (uint)total }, h, w); // a mask before it in the buffers
        var i = set.AddCompressed(System.Text.Encoding.ASCII.GetBytes(MaskApi.ToCompressedString(arr)), h, w);
        var j = set.Add(arr, h, w);
        return set.Box(i) == MaskApi.ToBox(new Rle(h, w, arr)) && set.Box(j) == set.Box(i)
            && set.Area(i) == new Rle(h, w, arr).Area && set.Area(j) == set.Area(i);
    }

    /// <summary>pycocotools' rleFrPoly ported literally (the double arithmetic, every array): the oracle for the streamed, integer FromPolygon.</summary>
    private static uint[] ReferenceFromPolygon(ReadOnlySpan<double> xy, int height, int width)
    {
        var k = xy.Length / 2;
        const double scale = 5;
        var x = new int[k + 1];
        var y = new int[k + 1];
        for (var j = 0; j < k; j++) x[j] = (int)(scale * xy[j * 2] + .5);
        x[k] = k > 0 ? x[0] : 0;
        for (var j = 0; j < k; j++) y[j] = (int)(scale * xy[j * 2 + 1] + .5);
        y[k] = k > 0 ? y[0] : 0;
        long m = 0;
        for (var j = 0; j < k; j++) m += Math.Max(Math.Abs(x[j] - x[j + 1]), Math.Abs(y[j] - y[j + 1])) + 1;
        var u = new int[m];
        var v = new int[m];
        m = 0;
        for (var j = 0; j < k; j++)
        {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            var dx = Math.Abs(xe - xs);
            var dy = Math.Abs(ys - ye);
            var flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip) { (xs, xe) = (xe, xs); (ys, ye) = (ye, ys); }
            var s = dx >= dy ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
            if (dx >= dy)
            {
                for (var d = 0; d <= dx; d++)
                {
                    var t = flip ? dx - d : d;
                    u[m] = t + xs;
                    v[m] = (int)(ys + s * t + .5);
                    m++;
                }
            }
            else
            {
                for (var d = 0; d <= dy; d++)
                {
                    var t = flip ? dy - d : d;
                    v[m] = t + ys;
                    u[m] = (int)(xs + s * t + .5);
                    m++;
                }
            }
        }
        // points on the y-boundary, downsampled
        var kk = m;
        var bx = new int[Math.Max(kk, 1)];
        var by = new int[Math.Max(kk, 1)];
        m = 0;
        for (var j = 1; j < kk; j++)
        {
            if (u[j] == u[j - 1]) continue;
            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = (xd + .5) / scale - .5;
            if (Math.Floor(xd) != xd || xd < 0 || xd > width - 1) continue;
            double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
            yd = (yd + .5) / scale - .5;
            if (yd < 0) yd = 0; else if (yd > height) yd = height;
            yd = Math.Ceiling(yd);
            bx[m] = (int)xd;
            by[m] = (int)yd;
            m++;
        }
        var n = (int)m;
        var a = new uint[n + 1];
        for (var j = 0; j < n; j++) a[j] = (uint)(bx[j] * height + by[j]);
        a[n] = (uint)(height * width);
        Array.Sort(a);
        uint p = 0;
        for (var j = 0; j <= n; j++) { var t = a[j]; a[j] -= p; p = t; }
        var b = new List<uint>(n + 1);
        var i = 0;
        b.Add(a[i++]);
        while (i <= n)
        {
            if (a[i] > 0) b.Add(a[i++]);
            else
            {
                i++;
                if (i <= n) b[^1] += a[i++];
            }
        }
        return b.ToArray();
    }

    [Property(MaxTest = 500)]
    public bool Streamed_integer_polygon_rasterisation_equals_the_literal_rleFrPoly(int[] coords, byte hb, byte wb, byte frac)
    {
        int h = hb % 60 + 1, w = wb % 60 + 1;
        if (coords.Length < 6) return true;
        // coordinates inside and outside the image, with fractions on and off the 0.2 grid
        var xy = coords.Take(coords.Length / 2 * 2).Select((c, i) => (c % 80) - 10 + (i % 3) * (frac / 256.0) + (i % 2) * 0.2).ToArray();
        return MaskApi.FromPolygon(xy, h, w).Counts.SequenceEqual(ReferenceFromPolygon(xy, h, w));
    }

    [Property(MaxTest = 300)]
    public bool Large_polygons_rasterise_as_the_literal_rleFrPoly(int[] coords, ushort hb, ushort wb, byte frac)
    {
        // image-sized masks and long edges (the crossing sort's counting path, the every-fifth-step walk)
        int h = hb % 700 + 1, w = wb % 700 + 1;
        if (coords.Length < 6) return true;
        var xy = coords.Take(coords.Length / 2 * 2).Select((c, i) => (Math.Abs(c) % (i % 2 == 0 ? w + 40 : h + 40)) - 20 + (i % 3) * (frac / 256.0) + (i % 2) * 0.2).ToArray();
        return MaskApi.FromPolygon(xy, h, w).Counts.SequenceEqual(ReferenceFromPolygon(xy, h, w));
    }

    [Fact]
    public void An_ellipse_polygon_rasterises_as_the_literal_rleFrPoly()
    {
        foreach (var (cx, cy, rx, ry, vertices) in new[] { (320.3, 240.7, 200.1, 150.4, 12), (100.0, 60.0, 90.5, 55.2, 64), (-5.0, 10.0, 40.0, 70.0, 7), (600.0, 470.0, 80.0, 30.0, 200) })
        {
            var xy = new double[vertices * 2];
            for (var i = 0; i < vertices; i++)
            {
                xy[2 * i] = Math.Round(cx + rx * Math.Cos(2 * Math.PI * i / vertices), 2);
                xy[2 * i + 1] = Math.Round(cy + ry * Math.Sin(2 * Math.PI * i / vertices), 2);
            }
            Assert.Equal(ReferenceFromPolygon(xy, 480, 640), MaskApi.FromPolygon(xy, 480, 640).Counts);
        }
    }

    private static uint[] RandomRuns(byte[] seed, int total, int offset)
    {
        // zero-length runs inside, an odd or even run count (rleToBbox's quirks)
        var counts = new List<uint>();
        var left = total;
        for (var k = 0; k < seed.Length; k++)
        {
            var c = Math.Min(left, (seed[k] + offset * k) % 7);
            counts.Add((uint)c);
            left -= c;
        }
        counts.Add((uint)left);
        return counts.ToArray();
    }

    [Property(MaxTest = 3000)]
    public bool Column_range_boxes_give_the_rleIou_of_exact_boxes_for_masks_of_one_size(byte[] seedA, byte[] seedB, byte hb, byte wb, bool crowd)
    {
        int h = hb % 9 + 1, w = wb % 9 + 1;
        var a = RandomRuns(seedA, h * w, 1);
        var b = RandomRuns(seedB, h * w, 3);
        var exact = MaskApi.Iou(new Rle(h, w, a), new Rle(h, w, b), crowd);
        var ok = true;
        // The column-range shortcut (box: false) is only equal where neither mask is empty nor starts with two zero-length
        // runs. An empty mask's rleToBbox box is not empty when it has zero-length runs, and where it overlaps the other box
        // pycocotools computes 0 / 0 = NaN instead of the 0 of disjoint boxes; a leading "0 0" makes rleToBbox's unsigned
        // t = cc - 1 wrap, and on a one-row mask its box width wraps to 0. The evaluator uses exact boxes for such blocks.
        var plain = MaskSet.ColumnBoxExact(a) && MaskSet.ColumnBoxExact(b);
        foreach (var box in new[] { true, false })
        {
            var d = new MaskSet();
            var g = new MaskSet();
            d.AddCompressed(Encoding.ASCII.GetBytes(MaskApi.ToCompressedString(a)), h, w, box);
            d.Add(a, h, w, box);
            g.Add(b, h, w, box);
            // the sets flag what the evaluator must add again with exact boxes, from both decoders
            if (!box) ok &= d.ColumnBoxesExact == MaskSet.ColumnBoxExact(a) && g.ColumnBoxesExact == MaskSet.ColumnBoxExact(b);
            if (box || plain) ok &= MaskSet.Iou(d, 0, g, 0, crowd).Equals(exact) && MaskSet.Iou(d, 1, g, 0, crowd).Equals(exact);
        }
        return ok;
    }
}

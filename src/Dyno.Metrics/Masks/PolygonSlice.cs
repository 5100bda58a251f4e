using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Masks;

/// <summary>
/// A polygon segmentation (<c>[[x0, y0, ...], ...]</c>) still in the buffer of the file it was read
/// from: <paramref name="Buffer"/>[<paramref name="Offset"/>..+<paramref name="Length"/>] is the JSON
/// value, already checked by the strict parser (non-empty lists of finite numbers without exponents),
/// so its numbers are converted only when the mask is needed, with the same exact conversion.
/// </summary>
internal sealed record PolygonSlice(byte[] Buffer, int Offset, int Length) : Segmentation
{
    /// <summary>
    /// The coordinates of every polygon, one after another, into <paramref name="coords"/>, and the end of
    /// each polygon in it into <paramref name="ends"/>; returns the polygon count.
    /// </summary>
    public int Read(ref double[] coords, ref int[] ends)
    {
        var s = Buffer.AsSpan(Offset, Length);
        int n = 0, polys = 0;
        var p = 1; // past the outer '['
        while (true)
        {
            while (s[p] != '[') p++;
            p++;
            while (true)
            {
                while (s[p] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or (byte)',') p++;
                if (s[p] == ']') break;
                var q = p;
                while (s[q] is (byte)'-' or (byte)'+' or (byte)'.' or (>= (byte)'0' and <= (byte)'9')) q++;
                if (n == coords.Length) Array.Resize(ref coords, n * 2);
                coords[n++] = FastNumber.Parse(s[p..q]);
                p = q;
            }
            p++;
            if (polys == ends.Length) Array.Resize(ref ends, polys * 2);
            ends[polys++] = n;
            while (s[p] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') p++;
            if (s[p] == ']') return polys;
            p++; // ','
        }
    }

    /// <summary>The same polygons as a <see cref="PolygonSegmentation"/>.</summary>
    public PolygonSegmentation ToPolygons()
    {
        var coords = new double[64];
        var ends = new int[4];
        var n = Read(ref coords, ref ends);
        var list = new double[n][];
        for (var i = 0; i < n; i++)
        {
            var from = i == 0 ? 0 : ends[i - 1];
            list[i] = coords.AsSpan(from, ends[i] - from).ToArray();
        }
        return new PolygonSegmentation(list);
    }

    /// <inheritdoc />
    public override Rle ToRle(int height, int width) => ToPolygons().ToRle(height, width);
}

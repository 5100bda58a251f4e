namespace Dyno.Metrics.Masks;

/// <summary>
/// A binary mask in COCO's run-length encoding: column-major (Fortran order) runs that alternate
/// background/foreground, starting with background (a mask that starts with foreground has a leading 0).
/// </summary>
public sealed class Rle
{
    /// <summary>Creates a mask of <paramref name="height"/> × <paramref name="width"/> from its run lengths.</summary>
    public Rle(int height, int width, uint[] counts)
    {
        if (height < 0 || width < 0) throw new ArgumentException($"mask size {height}x{width} is negative");
        Height = height;
        Width = width;
        Counts = counts;
    }

    /// <summary>Image height in pixels (COCO's size[0]).</summary>
    public int Height { get; }

    /// <summary>Image width in pixels (COCO's size[1]).</summary>
    public int Width { get; }

    /// <summary>Run lengths, background first.</summary>
    public uint[] Counts { get; }

    /// <summary>Foreground pixel count (COCO's <c>maskUtils.area</c>).</summary>
    public uint Area
    {
        get
        {
            uint a = 0;
            for (var j = 1; j < Counts.Length; j += 2) a += Counts[j];
            return a;
        }
    }

    /// <summary>The compressed string form of the counts (COCO's <c>rleToString</c>).</summary>
    public string ToCompressedString() => MaskApi.ToCompressedString(Counts);
}

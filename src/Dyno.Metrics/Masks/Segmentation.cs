namespace Dyno.Metrics.Masks;

/// <summary>
/// A COCO <c>segmentation</c> value as found in a file: polygons, an uncompressed RLE
/// (<c>counts</c> is a list) or a compressed RLE (<c>counts</c> is a string).
/// </summary>
public abstract record Segmentation
{
    /// <summary>
    /// The mask on an image of <paramref name="height"/> × <paramref name="width"/>, the way
    /// pycocotools' <c>annToRLE</c> builds it (<c>frPyObjects</c> then <c>merge</c>). RLEs keep their own size.
    /// </summary>
    public abstract Rle ToRle(int height, int width);
}

/// <summary>One or more polygons, each (x0, y0, x1, y1, ...); their union is the mask.</summary>
public sealed record PolygonSegmentation(IReadOnlyList<double[]> Polygons) : Segmentation
{
    /// <inheritdoc />
    public override Rle ToRle(int height, int width)
    {
        if (Polygons.Count == 0) return MaskApi.Merge([]);
        // pycocotools' frPyObjects: a list whose first element has exactly 4 numbers is a list of boxes.
        if (Polygons[0].Length == 4)
        {
            var boxes = new List<Rle>(Polygons.Count);
            foreach (var b in Polygons)
            {
                if (b.Length != 4) throw new InvalidDataException("segmentation mixes 4-number entries (read as boxes, as pycocotools does) with polygons");
                boxes.Add(MaskApi.FromBox(b[0], b[1], b[2], b[3], height, width));
            }
            return MaskApi.Merge(boxes);
        }
        var rles = new List<Rle>(Polygons.Count);
        foreach (var p in Polygons) rles.Add(MaskApi.FromPolygon(p, height, width));
        return MaskApi.Merge(rles);
    }
}

/// <summary>A run-length encoded mask with its own size: uncompressed counts or the compressed string.</summary>
public sealed record RleSegmentation(int Height, int Width, uint[]? Counts, byte[]? Compressed) : Segmentation
{
    /// <inheritdoc />
    public override Rle ToRle(int height, int width) =>
        Counts is not null ? new Rle(Height, Width, Counts) : MaskApi.FromCompressedString(Compressed!, Height, Width);
}

using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Assignment;

/// <summary>One feature level of an anchor-based head: its stride and the anchor shapes at each location.</summary>
/// <param name="Stride">Distance in input pixels between neighbouring locations.</param>
/// <param name="Sizes">Anchor sizes (√area, in input pixels), e.g. 32 on P3 in RetinaNet/Faster R-CNN FPN.</param>
/// <param name="AspectRatios">Height / width ratios (torchvision's convention), e.g. 0.5, 1, 2.</param>
public sealed record AnchorLevel(int Stride, IReadOnlyList<double> Sizes, IReadOnlyList<double> AspectRatios)
{
    /// <summary>Anchors per location: |sizes| × |ratios|.</summary>
    public int AnchorsPerLocation => Sizes.Count * AspectRatios.Count;
}

/// <summary>All anchors of one image, level after level, and where each level starts.</summary>
public sealed record AnchorSet(Box[] Anchors, int[] LevelStart, int[] GridWidth, int[] GridHeight)
{
    internal int[] Strides { get; init; } = [];
    internal double[] Offsets { get; init; } = [];
    internal Box[][] Bases { get; init; } = [];

    /// <summary>
    /// Adds to <paramref name="output"/> the index of every anchor that may overlap <paramref name="box"/>
    /// (a superset, up to one grid cell wider on each side; every other anchor has IoU 0 with it), found
    /// from the grid layout instead of a scan of all anchors.
    /// </summary>
    internal void CollectCandidates(in Box box, List<int> output)
    {
        for (var l = 0; l < LevelStart.Length; l++)
        {
            var s = (double)Strides[l];
            var bases = Bases[l];
            int gw = GridWidth[l], gh = GridHeight[l];
            for (var k = 0; k < bases.Length; k++)
            {
                var b = bases[k];
                var x0 = Cell((box.X1 - Offsets[l] - b.X2) / s, gw, Math.Floor);
                var x1 = Cell((box.X2 - Offsets[l] - b.X1) / s, gw, Math.Ceiling);
                var y0 = Cell((box.Y1 - Offsets[l] - b.Y2) / s, gh, Math.Floor);
                var y1 = Cell((box.Y2 - Offsets[l] - b.Y1) / s, gh, Math.Ceiling);
                for (var y = y0; y <= y1; y++)
                for (var x = x0; x <= x1; x++)
                    output.Add(LevelStart[l] + (y * gw + x) * bases.Length + k);
            }
        }
    }

    private static int Cell(double v, int n, Func<double, double> round) =>
        double.IsNaN(v) ? 0 : (int)Math.Clamp(round(v), 0, n - 1);
}

/// <summary>
/// Anchor generation as torchvision's <c>AnchorGenerator</c>: for each ratio r and size s the base anchor is
/// w = s/√r, h = s·√r centred on the origin and rounded to integers (torchvision's <c>.round()</c>), ratio
/// major and size minor; anchors are placed at (x·stride + offset·stride, y·stride + offset·stride) over a
/// ⌈W/stride⌉ × ⌈H/stride⌉ grid, row-major, all anchors of a location together. torchvision and mmdet use
/// offset 0 (anchor centres on the top-left corner of each cell).
/// </summary>
public sealed record AnchorGenerator(IReadOnlyList<AnchorLevel> Levels, double CenterOffset = 0, bool RoundBaseAnchors = true)
{
    /// <summary>Levels with one size each and shared ratios, e.g. strides 8, 16, 32 with sizes 32, 64, 128.</summary>
    public static AnchorGenerator Create(IReadOnlyList<int> strides, IReadOnlyList<double> sizes, IReadOnlyList<double> ratios,
        IReadOnlyList<double>? scales = null)
    {
        if (strides.Count == 0) throw new DynoInputException("anchors: at least one stride is needed");
        if (sizes.Count != strides.Count)
            throw new DynoInputException($"anchors: {sizes.Count} sizes for {strides.Count} strides; give one size per stride");
        if (ratios.Count == 0 || ratios.Any(r => !(r > 0))) throw new DynoInputException("anchors: aspect ratios must be positive");
        if (strides.Any(s => s <= 0) || sizes.Any(s => !(s > 0))) throw new DynoInputException("anchors: strides and sizes must be positive");
        scales ??= [1.0];
        if (scales.Count == 0 || scales.Any(s => !(s > 0))) throw new DynoInputException("anchors: scales must be positive");
        var levels = new AnchorLevel[strides.Count];
        for (var i = 0; i < strides.Count; i++)
            levels[i] = new AnchorLevel(strides[i], scales.Select(s => s * sizes[i]).ToArray(), ratios.ToArray());
        return new AnchorGenerator(levels);
    }

    /// <summary>The anchors of one location of a level, centred on the origin.</summary>
    public Box[] BaseAnchors(AnchorLevel level)
    {
        var result = new Box[level.AnchorsPerLocation];
        var k = 0;
        foreach (var r in level.AspectRatios)
        {
            var hr = Math.Sqrt(r);
            foreach (var s in level.Sizes)
            {
                var w = s / hr / 2;
                var h = s * hr / 2;
                result[k++] = RoundBaseAnchors
                    ? new Box(Math.Round(-w, MidpointRounding.ToEven), Math.Round(-h, MidpointRounding.ToEven),
                        Math.Round(w, MidpointRounding.ToEven), Math.Round(h, MidpointRounding.ToEven))
                    : new Box(-w, -h, w, h);
            }
        }
        return result;
    }

    /// <summary>All anchors for an image of the given size.</summary>
    public AnchorSet Generate(int imageWidth, int imageHeight)
    {
        if (imageWidth <= 0 || imageHeight <= 0)
            throw new DynoInputException($"anchors: image size {imageWidth}×{imageHeight} is not positive");
        var starts = new int[Levels.Count];
        var gw = new int[Levels.Count];
        var gh = new int[Levels.Count];
        var total = 0;
        for (var l = 0; l < Levels.Count; l++)
        {
            starts[l] = total;
            gw[l] = (imageWidth + Levels[l].Stride - 1) / Levels[l].Stride;
            gh[l] = (imageHeight + Levels[l].Stride - 1) / Levels[l].Stride;
            total += gw[l] * gh[l] * Levels[l].AnchorsPerLocation;
        }
        var anchors = new Box[total];
        var allBases = new Box[Levels.Count][];
        var offsets = new double[Levels.Count];
        var k = 0;
        for (var l = 0; l < Levels.Count; l++)
        {
            var level = Levels[l];
            var baseAnchors = allBases[l] = BaseAnchors(level);
            var off = offsets[l] = CenterOffset * level.Stride;
            for (var y = 0; y < gh[l]; y++)
            for (var x = 0; x < gw[l]; x++)
            {
                double sx = x * level.Stride + off, sy = y * level.Stride + off;
                foreach (var b in baseAnchors) anchors[k++] = new Box(b.X1 + sx, b.Y1 + sy, b.X2 + sx, b.Y2 + sy);
            }
        }
        return new AnchorSet(anchors, starts, gw, gh)
        {
            Strides = Levels.Select(l => l.Stride).ToArray(),
            Offsets = offsets,
            Bases = allBases,
        };
    }
}

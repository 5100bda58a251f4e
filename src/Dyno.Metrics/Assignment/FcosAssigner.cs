using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Assignment;

/// <summary>
/// FCOS targets for every feature point: the matched ground truth (−1 = background), its class, the
/// (left, top, right, bottom) distances from the point to the box sides and the centre-ness target.
/// Points are level after level, row-major within a level.
/// </summary>
public sealed record PointAssignment(double[] X, double[] Y, int[] Level, int[] MatchedGt, int[] Labels, double[] Ltrb,
    double[] Centerness, int[] PositivesPerGt)
{
    /// <summary>Points matched to a ground truth.</summary>
    public int Positives => MatchedGt.Count(m => m >= 0);
}

/// <summary>
/// FCOS anchor-free assignment (Tian et al.; mmdet's <c>FCOSHead.get_targets</c>): points at
/// ((x + 0.5)·stride, (y + 0.5)·stride); a point is a candidate for a box when it lies inside the box, or,
/// with centre sampling (radius &gt; 0, default 1.5), inside the box ∩ a square of ±radius·stride around
/// the box centre; and when the largest of its four side distances is within the level's regression
/// range [lo, hi]. Among candidates the box with the smallest area wins (first on ties).
/// Centre-ness = √(min(l,r)/max(l,r) · min(t,b)/max(t,b)).
/// </summary>
public sealed record FcosAssigner(IReadOnlyList<int> Strides, IReadOnlyList<(double Lo, double Hi)> RegressRanges, double CenterSampleRadius = 1.5)
{
    /// <summary>FCOS's defaults: strides 8–128 with ranges (−1, 64), (64, 128), (128, 256), (256, 512), (512, ∞).</summary>
    public static FcosAssigner Default { get; } = new([8, 16, 32, 64, 128],
        [(-1, 64), (64, 128), (128, 256), (256, 512), (512, double.PositiveInfinity)]);

    /// <summary>Assigns the points of an image of the given size.</summary>
    public PointAssignment Assign(int imageWidth, int imageHeight, ReadOnlySpan<Box> groundTruth, ReadOnlySpan<int> labels = default)
    {
        if (Strides.Count != RegressRanges.Count)
            throw new ArgumentException($"FCOS: {RegressRanges.Count} regression ranges for {Strides.Count} strides");
        if (imageWidth <= 0 || imageHeight <= 0) throw new ArgumentException($"FCOS: image size {imageWidth}×{imageHeight} is not positive");
        if (!labels.IsEmpty && labels.Length != groundTruth.Length)
            throw new ArgumentException($"FCOS: {labels.Length} labels for {groundTruth.Length} ground-truth boxes");
        var xs = new List<double>();
        var ys = new List<double>();
        var lv = new List<int>();
        for (var l = 0; l < Strides.Count; l++)
        {
            var s = Strides[l];
            int gw = (imageWidth + s - 1) / s, gh = (imageHeight + s - 1) / s;
            for (var y = 0; y < gh; y++)
            for (var x = 0; x < gw; x++)
            {
                xs.Add((x + 0.5) * s);
                ys.Add((y + 0.5) * s);
                lv.Add(l);
            }
        }
        var n = xs.Count;
        var matched = new int[n];
        var outLabels = new int[n];
        var ltrb = new double[4 * n];
        var centerness = new double[n];
        var perGt = new int[groundTruth.Length];
        for (var p = 0; p < n; p++)
        {
            double px = xs[p], py = ys[p];
            var stride = Strides[lv[p]];
            var (lo, hi) = RegressRanges[lv[p]];
            var best = -1;
            var bestArea = double.PositiveInfinity;
            for (var i = 0; i < groundTruth.Length; i++)
            {
                var b = groundTruth[i];
                double l = px - b.X1, t = py - b.Y1, r = b.X2 - px, bt = b.Y2 - py;
                bool inside;
                if (CenterSampleRadius > 0)
                {
                    var rad = stride * CenterSampleRadius;
                    double cx1 = Math.Max(b.CenterX - rad, b.X1), cy1 = Math.Max(b.CenterY - rad, b.Y1);
                    double cx2 = Math.Min(b.CenterX + rad, b.X2), cy2 = Math.Min(b.CenterY + rad, b.Y2);
                    inside = Math.Min(Math.Min(px - cx1, py - cy1), Math.Min(cx2 - px, cy2 - py)) > 0;
                }
                else inside = Math.Min(Math.Min(l, t), Math.Min(r, bt)) > 0;
                if (!inside) continue;
                var maxDist = Math.Max(Math.Max(l, t), Math.Max(r, bt));
                if (maxDist < lo || maxDist > hi) continue;
                var area = (b.X2 - b.X1) * (b.Y2 - b.Y1);
                if (area < bestArea) { bestArea = area; best = i; }
            }
            matched[p] = best;
            outLabels[p] = best >= 0 && !labels.IsEmpty ? labels[best] : -1;
            if (best < 0) continue;
            perGt[best]++;
            var g = groundTruth[best];
            double dl = px - g.X1, dt = py - g.Y1, dr = g.X2 - px, db = g.Y2 - py;
            ltrb[4 * p] = dl; ltrb[4 * p + 1] = dt; ltrb[4 * p + 2] = dr; ltrb[4 * p + 3] = db;
            centerness[p] = dl > 0 && dt > 0 && dr > 0 && db > 0
                ? Math.Sqrt(Math.Min(dl, dr) / Math.Max(dl, dr) * (Math.Min(dt, db) / Math.Max(dt, db)))
                : 0;
        }
        return new PointAssignment(xs.ToArray(), ys.ToArray(), lv.ToArray(), matched, outLabels, ltrb, centerness, perGt);
    }
}

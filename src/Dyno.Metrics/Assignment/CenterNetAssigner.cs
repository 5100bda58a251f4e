using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Assignment;

/// <summary>
/// CenterNet targets: per ground truth its peak cell on the output grid (index y·W + x), the sub-cell
/// offset of the true centre, the size in output cells and the Gaussian radius; and the per-class
/// heatmap (classes × H × W, row-major). A box with nothing left inside the output map after clipping gets
/// CenterIndex −1 and no target, as in CenterNet. <see cref="Collisions"/> counts ground truths whose peak cell
/// and class were already taken by an earlier one (their centres cannot both be recovered).
/// </summary>
public sealed record CenterAssignment(int OutputWidth, int OutputHeight, int[] CenterIndex, double[] Offset, double[] Size,
    int[] Radius, float[] Heatmap, int Collisions);

/// <summary>
/// CenterNet ("Objects as Points") assignment: a box maps to the output cell ⌊centre / R⌋ (R the output
/// stride, 4), with offset = centre/R − ⌊centre/R⌋ and size (w, h)/R. The heatmap splats a Gaussian of
/// σ = (2r + 1)/6 at each peak with r = max(0, ⌊gaussian_radius(⌈h⌉, ⌈w⌉, 0.7)⌋), CornerNet's radius
/// formula exactly as CenterNet's code has it (including its (b + √Δ)/2 roots), taking the maximum where
/// Gaussians overlap and zeroing values below machine eps × peak.
/// </summary>
public sealed record CenterNetAssigner(int OutputStride = 4, double MinOverlap = 0.7)
{
    /// <summary>Targets for an image of the given input size; labels are class indices in [0, classes).</summary>
    public CenterAssignment Assign(int imageWidth, int imageHeight, ReadOnlySpan<Box> groundTruth, ReadOnlySpan<int> labels, int classes)
    {
        if (OutputStride <= 0) throw new ArgumentException($"CenterNet: output stride must be positive, got {OutputStride}");
        if (labels.Length != groundTruth.Length)
            throw new ArgumentException($"CenterNet: {labels.Length} labels for {groundTruth.Length} ground-truth boxes");
        int w = imageWidth / OutputStride, h = imageHeight / OutputStride;
        if (w <= 0 || h <= 0) throw new ArgumentException($"CenterNet: image size {imageWidth}×{imageHeight} is smaller than the output stride");
        var heat = new float[classes * w * h];
        var g = groundTruth.Length;
        var index = new int[g];
        var offset = new double[2 * g];
        var size = new double[2 * g];
        var radius = new int[g];
        var taken = new HashSet<(int, int)>();
        var collisions = 0;
        for (var i = 0; i < g; i++)
        {
            var c = labels[i];
            if ((uint)c >= (uint)classes) throw new ArgumentException($"CenterNet: label {c} of box {i} is outside [0, {classes})");
            var b = groundTruth[i];
            double x1 = Math.Clamp(b.X1 / OutputStride, 0, w - 1), x2 = Math.Clamp(b.X2 / OutputStride, 0, w - 1);
            double y1 = Math.Clamp(b.Y1 / OutputStride, 0, h - 1), y2 = Math.Clamp(b.Y2 / OutputStride, 0, h - 1);
            double bw = x2 - x1, bh = y2 - y1;
            if (!(bw > 0 && bh > 0))
            {
                // Nothing of the box is left inside the output map: CenterNet gives it no target.
                index[i] = -1;
                continue;
            }
            double cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
            int ix = (int)Math.Floor(cx), iy = (int)Math.Floor(cy);
            index[i] = iy * w + ix;
            offset[2 * i] = cx - ix;
            offset[2 * i + 1] = cy - iy;
            size[2 * i] = bw;
            size[2 * i + 1] = bh;
            var r = Math.Max(0, (int)GaussianRadius(Math.Ceiling(bh), Math.Ceiling(bw), MinOverlap));
            radius[i] = r;
            if (!taken.Add((index[i], c))) collisions++;
            DrawGaussian(heat.AsSpan(c * w * h, w * h), w, h, ix, iy, r);
        }
        return new CenterAssignment(w, h, index, offset, size, radius, heat, collisions);
    }

    /// <summary>CornerNet's Gaussian radius as written in CenterNet's code.</summary>
    public static double GaussianRadius(double height, double width, double minOverlap)
    {
        var b1 = height + width;
        var c1 = width * height * (1 - minOverlap) / (1 + minOverlap);
        var r1 = (b1 + Math.Sqrt(b1 * b1 - 4 * c1)) / 2;
        var b2 = 2 * (height + width);
        var c2 = (1 - minOverlap) * width * height;
        var r2 = (b2 + Math.Sqrt(b2 * b2 - 16 * c2)) / 2;
        var a3 = 4 * minOverlap;
        var b3 = -2 * minOverlap * (height + width);
        var c3 = (minOverlap - 1) * width * height;
        var r3 = (b3 + Math.Sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
        return Math.Min(r1, Math.Min(r2, r3));
    }

    // numpy's finfo(float64).eps; CenterNet zeroes Gaussian values below eps × peak (peak = 1).
    private const double MachineEps = 2.220446049250313e-16;

    private static void DrawGaussian(Span<float> map, int w, int h, int cx, int cy, int r)
    {
        var sigma = (2 * r + 1) / 6.0;
        for (var dy = -Math.Min(cy, r); dy <= Math.Min(h - 1 - cy, r); dy++)
        for (var dx = -Math.Min(cx, r); dx <= Math.Min(w - 1 - cx, r); dx++)
        {
            var v = Math.Exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
            if (v < MachineEps) v = 0;
            ref var cell = ref map[(cy + dy) * w + cx + dx];
            cell = Math.Max(cell, (float)v);
        }
    }
}

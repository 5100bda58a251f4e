using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Assignment;

/// <summary>A box shape (width, height) in pixels.</summary>
public readonly record struct BoxShape(double Width, double Height)
{
    /// <summary>IoU of two shapes placed on the same centre.</summary>
    public double Iou(BoxShape other) => BoxIou.Iou(new Box(0, 0, Width, Height), new Box(0, 0, other.Width, other.Height));
}

/// <summary>Fitted anchor shapes (sorted by area) and how well they cover the boxes they were fitted to.</summary>
/// <param name="Anchors">Anchor shapes, smallest area first.</param>
/// <param name="MeanBestIou">Average over boxes of the best IoU with any anchor (YOLOv2's "avg IoU").</param>
/// <param name="KmeansMeanBestIou">The same after k-means, before genetic refinement.</param>
/// <param name="Iterations">k-means iterations run.</param>
/// <param name="Generations">Genetic generations run (0 = no refinement).</param>
public sealed record AnchorFit(BoxShape[] Anchors, double MeanBestIou, double KmeansMeanBestIou, int Iterations, int Generations)
{
    /// <summary>Share of boxes whose best anchor IoU is at least <paramref name="threshold"/>.</summary>
    public double Recall(IReadOnlyList<BoxShape> shapes, double threshold) =>
        shapes.Count == 0 ? double.NaN : shapes.Count(s => AnchorFitter.BestIou(s, Anchors) >= threshold) / (double)shapes.Count;
}

/// <summary>
/// Anchor shapes by k-means on the distance 1 − IoU between centred boxes (YOLOv2), k-means++ seeding,
/// cluster centres updated to the per-dimension median of their members; optionally refined by YOLOv5's
/// autoanchor genetic search (each generation multiplies the anchors by clip(1 + U·N(0, σ)·[U &lt; p], 0.3, 3)
/// with p = 0.9, σ = 0.1, keeps the mutation when the mean best IoU improves). Deterministic for a seed.
/// Differences from YOLOv5's autoanchor: the k-means distance and GA fitness are IoU-based (YOLOv5 uses
/// Euclidean k-means on whitened sizes and a width/height-ratio fitness).
/// </summary>
public static class AnchorFitter
{
    /// <summary>Fits <paramref name="k"/> anchors to the box shapes.</summary>
    public static AnchorFit Fit(IReadOnlyList<BoxShape> shapes, int k, int generations = 0, int seed = 0, int maxIterations = 300)
    {
        if (k <= 0) throw new DynoInputException($"anchor fit: k must be positive, got {k}");
        if (shapes.Count < k) throw new DynoInputException($"anchor fit: {shapes.Count} boxes cannot make {k} anchors");
        if (generations < 0) throw new DynoInputException($"anchor fit: generations must be ≥ 0, got {generations}");
        var data = shapes.ToArray();
        var rng = new Random(seed);
        var centers = SeedPlusPlus(data, k, rng);
        var assign = new int[data.Length];
        var iterations = 0;
        for (; iterations < maxIterations; iterations++)
        {
            var changed = 0;
            Parallel.For(0, data.Length, () => 0, (i, _, local) =>
            {
                var best = Nearest(data[i], centers);
                if (best != assign[i] || iterations == 0) { assign[i] = best; local++; }
                return local;
            }, local => Interlocked.Add(ref changed, local));
            if (changed == 0 && iterations > 0) break;
            for (var c = 0; c < k; c++)
            {
                var ws = new List<double>();
                var hs = new List<double>();
                for (var i = 0; i < data.Length; i++)
                    if (assign[i] == c) { ws.Add(data[i].Width); hs.Add(data[i].Height); }
                if (ws.Count > 0) centers[c] = new BoxShape(Median(ws), Median(hs));
            }
        }
        var kmeansFitness = Fitness(data, centers);
        var fitness = kmeansFitness;
        for (var g = 0; g < generations; g++)
        {
            var candidate = new BoxShape[k];
            var mutated = false;
            while (!mutated)
            {
                var scale = rng.NextDouble();
                for (var c = 0; c < k; c++)
                {
                    var vw = Mutation(rng, scale);
                    var vh = Mutation(rng, scale);
                    mutated |= vw != 1 || vh != 1;
                    candidate[c] = new BoxShape(Math.Max(2, centers[c].Width * vw), Math.Max(2, centers[c].Height * vh));
                }
            }
            var f = Fitness(data, candidate);
            if (f > fitness) { fitness = f; centers = candidate; }
        }
        Array.Sort(centers, (a, b) => (a.Width * a.Height).CompareTo(b.Width * b.Height));
        return new AnchorFit(centers, fitness, kmeansFitness, iterations, generations);
    }

    /// <summary>The best IoU of a shape with any anchor.</summary>
    public static double BestIou(BoxShape s, IReadOnlyList<BoxShape> anchors)
    {
        var best = 0.0;
        foreach (var a in anchors) best = Math.Max(best, s.Iou(a));
        return best;
    }

    /// <summary>Mean best IoU over the shapes (summed in order, so the result does not depend on threading).</summary>
    public static double Fitness(BoxShape[] data, BoxShape[] anchors)
    {
        var best = new double[data.Length];
        Parallel.For(0, data.Length, i => best[i] = BestIou(data[i], anchors));
        var sum = 0.0;
        foreach (var b in best) sum += b;
        return sum / data.Length;
    }

    private static double Mutation(Random rng, double scale) =>
        rng.NextDouble() < 0.9 ? Math.Clamp(1 + scale * Gaussian(rng) * 0.1, 0.3, 3.0) : 1;

    private static double Gaussian(Random rng)
    {
        var u1 = 1 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static int Nearest(BoxShape s, BoxShape[] centers)
    {
        var best = 0;
        var bestIou = -1.0;
        for (var c = 0; c < centers.Length; c++)
        {
            var iou = s.Iou(centers[c]);
            if (iou > bestIou) { bestIou = iou; best = c; }
        }
        return best;
    }

    private static BoxShape[] SeedPlusPlus(BoxShape[] data, int k, Random rng)
    {
        var centers = new BoxShape[k];
        centers[0] = data[rng.Next(data.Length)];
        var d = new double[data.Length];
        for (var c = 1; c < k; c++)
        {
            var total = 0.0;
            for (var i = 0; i < data.Length; i++)
            {
                var best = 1.0;
                for (var j = 0; j < c; j++) best = Math.Min(best, 1 - data[i].Iou(centers[j]));
                d[i] = best * best;
                total += d[i];
            }
            if (total == 0) { centers[c] = data[rng.Next(data.Length)]; continue; }
            var pick = rng.NextDouble() * total;
            var idx = 0;
            for (; idx < data.Length - 1; idx++)
            {
                pick -= d[idx];
                if (pick <= 0) break;
            }
            centers[c] = data[idx];
        }
        return centers;
    }

    private static double Median(List<double> v)
    {
        v.Sort();
        var n = v.Count;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}

namespace Dyno.Metrics.Losses;

/// <summary>
/// Distribution focal loss (Li et al., GFL; YOLOv8's box-side distribution): each box side is predicted as
/// a softmax over <c>bins</c> integer positions; a continuous target t ∈ [0, bins − 1] between bins
/// l = ⌊t⌋ and l + 1 gives (l + 1 − t)·CE(z, l) + (t − l)·CE(z, l + 1). At t = bins − 1 the right term
/// has weight 0 (mmdet and ultralytics clamp targets below that point instead). Mean is over
/// distributions; ultralytics additionally averages over the 4 sides of a box, which is this mean taken
/// over each group of 4 consecutive rows.
/// </summary>
public static class DistributionFocalLoss
{
    /// <summary>DFL of row-major <c>N × bins</c> logits against one continuous target per row.</summary>
    public static LossResult Compute(ReadOnlySpan<double> logits, int bins, ReadOnlySpan<double> targets,
        Reduction reduction = Reduction.Mean)
    {
        var n = targets.Length;
        LossMath.CheckShape(logits.Length, n, bins, "distribution focal loss");
        var elements = new double[n];
        var grad = new double[logits.Length];
        var logp = new double[bins];
        var prob = new double[bins];
        for (var i = 0; i < n; i++)
        {
            var t = targets[i];
            if (!(t >= 0 && t <= bins - 1))
                throw new ArgumentException($"distribution focal loss: target {t} of row {i} is outside [0, {bins - 1}]");
            LossMath.Softmax(logits.Slice(i * bins, bins), prob, logp);
            var l = Math.Min((int)Math.Floor(t), bins - 1);
            var wl = l + 1 - t;
            var wr = t - l;
            elements[i] = -wl * logp[l] - (wr > 0 ? wr * logp[l + 1] : 0);
            var g = grad.AsSpan(i * bins, bins);
            prob.AsSpan().CopyTo(g);
            g[l] -= wl;
            if (wr > 0) g[l + 1] -= wr;
        }
        return LossMath.Reduce(elements, grad, reduction, n);
    }
}

namespace Dyno.Metrics.Losses;

/// <summary>
/// Softmax cross-entropy over class logits, as PyTorch's <c>F.cross_entropy(input, target, weight,
/// ignore_index, label_smoothing)</c>. Per sample: (1 − ε)·w[y]·(−log p_y) + ε/C·Σ_c w_c·(−log p_c).
/// <see cref="Reduction.Mean"/> divides by Σ w[y_i] over the non-ignored samples (by their count when
/// there are no weights), exactly as PyTorch does, so a mean over zero samples is NaN, as in PyTorch.
/// </summary>
public static class CrossEntropyLoss
{
    /// <summary>PyTorch's default <c>ignore_index</c>.</summary>
    public const int DefaultIgnoreIndex = -100;

    /// <summary>Cross-entropy of row-major <c>N × classes</c> logits against integer class targets.</summary>
    /// <param name="logits">Row-major logits, one row per sample.</param>
    /// <param name="classes">Number of classes C (row length).</param>
    /// <param name="targets">Class index per sample, or <paramref name="ignoreIndex"/>.</param>
    /// <param name="classWeights">Optional weight per class (PyTorch's <c>weight</c>).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="reduction">Mean (weighted, see the type) or sum.</param>
    /// <param name="ignoreIndex">Target value that contributes nothing.</param>
    public static LossResult Compute(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<int> targets,
        ReadOnlySpan<double> classWeights = default, double labelSmoothing = 0, Reduction reduction = Reduction.Mean,
        int ignoreIndex = DefaultIgnoreIndex)
    {
        var n = targets.Length;
        LossMath.CheckShape(logits.Length, n, classes, "cross-entropy");
        if (labelSmoothing is < 0 or > 1 || double.IsNaN(labelSmoothing))
            throw new ArgumentException($"cross-entropy: label smoothing must be in [0, 1], got {labelSmoothing}");
        var weighted = !classWeights.IsEmpty;
        if (weighted && classWeights.Length != classes)
            throw new ArgumentException($"cross-entropy: {classWeights.Length} class weights for {classes} classes");

        var wSum = 0.0;
        if (weighted) foreach (var cw in classWeights) wSum += cw;
        else wSum = classes;

        var denominator = 0.0;
        for (var i = 0; i < n; i++)
        {
            var y = targets[i];
            if (y == ignoreIndex) continue;
            if ((uint)y >= (uint)classes)
                throw new ArgumentException($"cross-entropy: target {y} of sample {i} is outside [0, {classes})");
            denominator += weighted ? classWeights[y] : 1;
        }

        var elements = new double[n];
        var grad = new double[logits.Length];
        var (z, t, w) = (logits.ToArray(), targets.ToArray(), weighted ? classWeights.ToArray() : null);
        var eps = labelSmoothing;
        LossMath.Chunked(n, classes, (from, to) =>
        {
            var logp = new double[classes];
            var prob = new double[classes];
            for (var i = from; i < to; i++)
            {
                var y = t[i];
                if (y == ignoreIndex) continue;
                LossMath.Softmax(z.AsSpan(i * classes, classes), prob, logp);
                var wy = w is null ? 1 : w[y];
                var smooth = 0.0;
                for (var c = 0; c < classes; c++) smooth -= (w is null ? 1 : w[c]) * logp[c];
                elements[i] = (1 - eps) * wy * -logp[y] + eps / classes * smooth;

                // d/dz_k: (1−ε)·w_y·(p_k − [k=y]) + ε/C·(W·p_k − w_k), W = Σ_c w_c.
                var g = grad.AsSpan(i * classes, classes);
                for (var c = 0; c < classes; c++)
                    g[c] = (1 - eps) * wy * prob[c] + eps / classes * (wSum * prob[c] - (w is null ? 1 : w[c]));
                g[y] -= (1 - eps) * wy;
            }
        });
        return LossMath.Reduce(elements, grad, reduction, denominator);
    }
}

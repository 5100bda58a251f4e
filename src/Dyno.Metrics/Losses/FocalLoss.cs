namespace Dyno.Metrics.Losses;

/// <summary>
/// Focal loss (Lin et al., RetinaNet): cross-entropy scaled by (1 − p_t)^γ so that easy, well-classified
/// examples (most of the background anchors) contribute little.
/// </summary>
public static class FocalLoss
{
    /// <summary>
    /// The sigmoid form, exactly torchvision.ops.sigmoid_focal_loss: p = σ(x), p_t = p·t + (1 − p)(1 − t),
    /// loss = BCE(x, t)·(1 − p_t)^γ·α_t with α_t = α·t + (1 − α)(1 − t); a negative α disables the
    /// weighting. Targets may be soft. Mean is over all elements.
    /// </summary>
    public static LossResult Sigmoid(ReadOnlySpan<double> logits, ReadOnlySpan<double> targets, double alpha = 0.25,
        double gamma = 2, Reduction reduction = Reduction.Mean)
    {
        CheckGamma(gamma);
        return LossMath.Elementwise(logits, targets, new SigmoidFocal(alpha, gamma), reduction, "sigmoid focal loss");
    }

    private readonly struct SigmoidFocal(double alpha, double gamma) : IElementLoss
    {
        public (double, double) Evaluate(double x, double t, int i)
        {
            var (p, pNeg, spNeg) = LossMath.SigmoidTerms(x);
            var ce = (1 - t) * x + spNeg;
            var q = t * pNeg + (1 - t) * p; // 1 − p_t, without cancellation
            var mod = LossMath.Pow(q, gamma);
            var dq = (1 - 2 * t) * p * pNeg;
            var dmod = gamma == 0 || q == 0 ? 0 : gamma * LossMath.Pow(q, gamma - 1) * dq;
            var a = alpha >= 0 ? alpha * t + (1 - alpha) * (1 - t) : 1;
            return (a * ce * mod, a * ((p - t) * mod + ce * dmod));
        }
    }

    /// <summary>
    /// The softmax (multi-class) form: −α_y·(1 − p_y)^γ·log p_y with p = softmax(z). α is an optional
    /// weight per class (none = 1). Samples whose target equals <paramref name="ignoreIndex"/> contribute
    /// nothing; Mean divides by the number of the other samples (not by Σα).
    /// </summary>
    public static LossResult Softmax(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<int> targets,
        ReadOnlySpan<double> alpha = default, double gamma = 2, Reduction reduction = Reduction.Mean,
        int ignoreIndex = CrossEntropyLoss.DefaultIgnoreIndex)
    {
        var n = targets.Length;
        LossMath.CheckShape(logits.Length, n, classes, "softmax focal loss");
        CheckGamma(gamma);
        if (!alpha.IsEmpty && alpha.Length != classes)
            throw new ArgumentException($"softmax focal loss: {alpha.Length} alpha values for {classes} classes");
        var elements = new double[n];
        var grad = new double[logits.Length];
        var logp = new double[classes];
        var prob = new double[classes];
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            var y = targets[i];
            if (y == ignoreIndex) continue;
            if ((uint)y >= (uint)classes)
                throw new ArgumentException($"softmax focal loss: target {y} of sample {i} is outside [0, {classes})");
            count++;
            LossMath.Softmax(logits.Slice(i * classes, classes), prob, logp);
            var a = alpha.IsEmpty ? 1 : alpha[y];
            var lp = logp[y];
            var py = Math.Exp(lp);
            var q = -double.ExpM1(lp); // 1 − p_y
            var mod = LossMath.Pow(q, gamma);
            elements[i] = -a * mod * lp;
            // dL/dz_k = α·[γ(1−p)^(γ−1)·p·log p − (1−p)^γ]·([k=y] − p_k)
            var dmod = gamma == 0 || q == 0 ? 0 : gamma * LossMath.Pow(q, gamma - 1);
            var s = a * (dmod * py * lp - mod);
            var g = grad.AsSpan(i * classes, classes);
            for (var c = 0; c < classes; c++) g[c] = -s * prob[c];
            g[y] += s;
        }
        return LossMath.Reduce(elements, grad, reduction, count);
    }

    internal static void CheckGamma(double gamma)
    {
        if (!(gamma >= 0)) throw new ArgumentException($"focal loss: gamma must be ≥ 0, got {gamma}");
    }
}

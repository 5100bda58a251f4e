namespace Dyno.Metrics.Losses;

/// <summary>
/// Varifocal loss (Zhang et al., VarifocalNet; the form in mmdet and in ultralytics' VarifocalLoss):
/// BCE(x, q)·w with q the IoU-aware target score, w = q for positives (q &gt; 0; 1 when not IoU-weighted)
/// and w = α·σ(x)^γ for negatives (q = 0). As in both references the weight is not detached: the
/// gradient flows through σ(x)^γ. Mean is over all elements (mmdet's default).
/// </summary>
public static class VarifocalLoss
{
    /// <summary>Varifocal loss of per-class logits against target scores in [0, 1].</summary>
    public static LossResult Compute(ReadOnlySpan<double> logits, ReadOnlySpan<double> targetScores, double alpha = 0.75,
        double gamma = 2, bool iouWeighted = true, Reduction reduction = Reduction.Mean)
    {
        FocalLoss.CheckGamma(gamma);
        return LossMath.Elementwise(logits, targetScores, new Varifocal(alpha, gamma, iouWeighted), reduction, "varifocal loss");
    }

    private readonly struct Varifocal(double alpha, double gamma, bool iouWeighted) : IElementLoss
    {
        public (double, double) Evaluate(double x, double q, int i)
        {
            if (!(q is >= 0 and <= 1))
                throw new ArgumentException($"varifocal loss: target score {q} of element {i} is outside [0, 1]");
            var (p, pNeg, spNeg) = LossMath.SigmoidTerms(x);
            var bce = (1 - q) * x + spNeg;
            if (q > 0)
            {
                var w = iouWeighted ? q : 1;
                return (w * bce, w * (p - q));
            }
            var pg = LossMath.Pow(p, gamma);
            // d/dx [α p^γ · softplus(x)] = α p^γ (γ(1−p)·softplus(x) + p)
            return (alpha * pg * bce, alpha * pg * (gamma * pNeg * bce + p));
        }
    }
}

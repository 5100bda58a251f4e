namespace Dyno.Metrics.Losses;

/// <summary>
/// Elementwise regression losses as PyTorch's <c>F.l1_loss</c> and <c>F.smooth_l1_loss(beta)</c>; Mean is
/// over all elements. The subgradient of |d| at d = 0 is 0, as PyTorch's.
/// </summary>
public static class RegressionLoss
{
    /// <summary>|p − t| per element.</summary>
    public static LossResult L1(ReadOnlySpan<double> predictions, ReadOnlySpan<double> targets, Reduction reduction = Reduction.Mean) =>
        SmoothL1(predictions, targets, 0, reduction);

    /// <summary>0.5·d²/β when |d| &lt; β, |d| − 0.5·β otherwise (d = p − t); β = 0 is L1.</summary>
    public static LossResult SmoothL1(ReadOnlySpan<double> predictions, ReadOnlySpan<double> targets, double beta = 1,
        Reduction reduction = Reduction.Mean)
    {
        if (!(beta >= 0)) throw new ArgumentException($"smooth L1 loss: beta must be ≥ 0, got {beta}");
        return LossMath.Elementwise(predictions, targets, new SmoothL1Element(beta), reduction, "smooth L1 loss");
    }

    private readonly struct SmoothL1Element(double beta) : IElementLoss
    {
        public (double, double) Evaluate(double p, double t, int i)
        {
            var d = p - t;
            var a = Math.Abs(d);
            return a < beta ? (0.5 * d * d / beta, d / beta) : (a - 0.5 * beta, Math.Sign(d));
        }
    }
}

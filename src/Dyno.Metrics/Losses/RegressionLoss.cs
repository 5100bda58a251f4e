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
        LossMath.CheckSameLength(predictions.Length, targets.Length, "smooth L1 loss");
        if (!(beta >= 0)) throw new ArgumentException($"smooth L1 loss: beta must be ≥ 0, got {beta}");
        var n = predictions.Length;
        var elements = new double[n];
        var grad = new double[n];
        for (var i = 0; i < n; i++)
        {
            var d = predictions[i] - targets[i];
            var a = Math.Abs(d);
            if (a < beta)
            {
                elements[i] = 0.5 * d * d / beta;
                grad[i] = d / beta;
            }
            else
            {
                elements[i] = a - 0.5 * beta;
                grad[i] = Math.Sign(d);
            }
        }
        return LossMath.Reduce(elements, grad, reduction, n);
    }
}

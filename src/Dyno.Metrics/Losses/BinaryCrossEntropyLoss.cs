namespace Dyno.Metrics.Losses;

/// <summary>
/// Binary cross-entropy on logits, as PyTorch's <c>F.binary_cross_entropy_with_logits(input, target,
/// weight, pos_weight)</c>: −w·[pw·t·log σ(x) + (1 − t)·log(1 − σ(x))], evaluated with softplus so that
/// large |x| neither overflows nor loses precision. Targets may be soft (any value in [0, 1]).
/// <see cref="Reduction.Mean"/> divides by the number of elements (weights are not normalised).
/// </summary>
public static class BinaryCrossEntropyLoss
{
    /// <summary>BCE of each logit against its target.</summary>
    /// <param name="logits">One logit per element.</param>
    /// <param name="targets">Target per element, in [0, 1].</param>
    /// <param name="weights">Optional weight per element (PyTorch's <c>weight</c>, same shape as the logits).</param>
    /// <param name="positiveWeight">PyTorch's <c>pos_weight</c> for a single class (1 = none).</param>
    /// <param name="reduction">Mean over all elements, or sum.</param>
    public static LossResult WithLogits(ReadOnlySpan<double> logits, ReadOnlySpan<double> targets,
        ReadOnlySpan<double> weights = default, double positiveWeight = 1, Reduction reduction = Reduction.Mean)
    {
        if (!weights.IsEmpty) LossMath.CheckSameLength(logits.Length, weights.Length, "binary cross-entropy weights");
        return LossMath.Elementwise(logits, targets, new Bce(weights.IsEmpty ? null : weights.ToArray(), positiveWeight), reduction,
            "binary cross-entropy");
    }

    private readonly struct Bce(double[]? weights, double positiveWeight) : IElementLoss
    {
        public (double, double) Evaluate(double x, double t, int i)
        {
            var w = weights is null ? 1 : weights[i];
            var lw = 1 + (positiveWeight - 1) * t;
            var (_, pNeg, spNeg) = LossMath.SigmoidTerms(x);
            return (w * ((1 - t) * x + lw * spNeg), w * ((1 - t) - lw * pNeg));
        }
    }
}

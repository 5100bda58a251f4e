namespace Dyno.Metrics.Losses;

/// <summary>How per-element losses are reduced to one number.</summary>
public enum Reduction
{
    /// <summary>The average; each loss documents its denominator (PyTorch's, unless stated).</summary>
    Mean,

    /// <summary>The plain sum.</summary>
    Sum,
}

/// <summary>
/// A loss value, its gradient with respect to the predictions (same shape and order as the prediction
/// array, of the reduced <see cref="Value"/>), and the unreduced per-element losses (PyTorch's
/// <c>reduction='none'</c> output).
/// </summary>
public sealed record LossResult(double Value, double[] Gradient, double[] Elements);

namespace Dyno.Metrics.Losses;

/// <summary>Numerically stable building blocks shared by the losses.</summary>
internal static class LossMath
{
    /// <summary>log(1 + e^x) without overflow or cancellation.</summary>
    public static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    /// <summary>1 / (1 + e^−x) without overflow.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0) return 1 / (1 + Math.Exp(-x));
        var e = Math.Exp(x);
        return e / (1 + e);
    }

    /// <summary>Writes log_softmax(row) into <paramref name="logp"/> (max-shifted log-sum-exp).</summary>
    public static void LogSoftmax(ReadOnlySpan<double> row, Span<double> logp)
    {
        var max = double.NegativeInfinity;
        foreach (var v in row) if (v > max) max = v;
        var sum = 0.0;
        foreach (var v in row) sum += Math.Exp(v - max);
        var lse = max + Math.Log(sum);
        for (var k = 0; k < row.Length; k++) logp[k] = row[k] - lse;
    }

    /// <summary>Reduces the per-element losses and scales the gradient of their sum to match.</summary>
    public static LossResult Reduce(double[] elements, double[] gradOfSum, Reduction reduction, double meanDenominator)
    {
        var sum = 0.0;
        foreach (var e in elements) sum += e;
        if (reduction == Reduction.Sum) return new LossResult(sum, gradOfSum, elements);
        var inv = 1 / meanDenominator;
        for (var k = 0; k < gradOfSum.Length; k++) gradOfSum[k] *= inv;
        return new LossResult(sum * inv, gradOfSum, elements);
    }

    /// <summary>
    /// Runs an elementwise loss over prediction/target pairs (the struct is specialised by the JIT, so
    /// there is no per-element call) and reduces it; Mean divides by the number of elements.
    /// </summary>
    public static LossResult Elementwise<TLoss>(ReadOnlySpan<double> predictions, ReadOnlySpan<double> targets, TLoss loss,
        Reduction reduction, string what) where TLoss : struct, IElementLoss
    {
        CheckSameLength(predictions.Length, targets.Length, what);
        var n = predictions.Length;
        var elements = new double[n];
        var grad = new double[n];
        for (var i = 0; i < n; i++) (elements[i], grad[i]) = loss.Evaluate(predictions[i], targets[i], i);
        return Reduce(elements, grad, reduction, n);
    }

    public static void CheckShape(int length, int rows, int cols, string what)
    {
        if (cols <= 0) throw new ArgumentException($"{what}: the number of classes must be positive, got {cols}");
        if (length != rows * cols)
            throw new ArgumentException($"{what}: {length} logits is not {rows} rows × {cols} classes");
    }

    public static void CheckSameLength(int a, int b, string what)
    {
        if (a != b) throw new ArgumentException($"{what}: predictions have {a} values but targets have {b}");
    }
}

/// <summary>One element's loss and its derivative with respect to the prediction.</summary>
internal interface IElementLoss
{
    (double Loss, double Gradient) Evaluate(double prediction, double target, int index);
}

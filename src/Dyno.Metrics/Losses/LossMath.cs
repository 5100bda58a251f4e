namespace Dyno.Metrics.Losses;

/// <summary>Numerically stable building blocks shared by the losses.</summary>
internal static class LossMath
{
    /// <summary>Inputs at least this large are split into parallel chunks.</summary>
    public const int ParallelThreshold = 1 << 16;

    /// <summary>σ(x), σ(−x) and softplus(−x) = −log σ(x), from one exp and one log1p, each without cancellation.</summary>
    public static (double P, double Q, double SoftplusNeg) SigmoidTerms(double x)
    {
        var e = Math.Exp(-Math.Abs(x));
        var inv = 1 / (1 + e);
        var (p, q) = x >= 0 ? (inv, e * inv) : (e * inv, inv);
        return (p, q, Math.Max(-x, 0) + Log1P(e));
    }

    /// <summary>log(1 + x) accurate for tiny x (Goldberg's correction; .NET's LogP1 is log(x + 1)).</summary>
    public static double Log1P(double x)
    {
        var u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    /// <summary>q^γ with the common integer γ done by multiplication.</summary>
    public static double Pow(double q, double gamma) => gamma switch
    {
        0 => 1,
        1 => q,
        2 => q * q,
        _ => Math.Pow(q, gamma),
    };

    /// <summary>
    /// Writes softmax(row) into <paramref name="p"/> and log_softmax(row) into <paramref name="logp"/>
    /// (max-shifted log-sum-exp), with one exp per entry.
    /// </summary>
    public static void Softmax(ReadOnlySpan<double> row, Span<double> p, Span<double> logp)
    {
        var max = double.NegativeInfinity;
        foreach (var v in row) if (v > max) max = v;
        var sum = 0.0;
        for (var k = 0; k < row.Length; k++) sum += p[k] = Math.Exp(row[k] - max);
        var lse = max + Math.Log(sum);
        var inv = 1 / sum;
        for (var k = 0; k < row.Length; k++)
        {
            logp[k] = row[k] - lse;
            p[k] *= inv;
        }
    }

    /// <summary>Runs <paramref name="body"/> over [0, n) in chunks, in parallel when n is large.</summary>
    public static void Chunked(int n, int workPerItem, Action<int, int> body)
    {
        if ((long)n * workPerItem < ParallelThreshold)
        {
            body(0, n);
            return;
        }
        var chunk = Math.Max(1, ParallelThreshold / 8 / Math.Max(1, workPerItem));
        Parallel.For(0, (n + chunk - 1) / chunk, c => body(c * chunk, Math.Min(n, (c + 1) * chunk)));
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
        if (n < ParallelThreshold)
            for (var i = 0; i < n; i++) (elements[i], grad[i]) = loss.Evaluate(predictions[i], targets[i], i);
        else
        {
            var (pred, tgt) = (predictions.ToArray(), targets.ToArray());
            Chunked(n, 1, (from, to) =>
            {
                for (var i = from; i < to; i++) (elements[i], grad[i]) = loss.Evaluate(pred[i], tgt[i], i);
            });
        }
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

namespace Dyno.Metrics.Classification;

/// <summary>
/// Threshold-free binary ranking metrics, exact and tie-aware: ROC-AUC as scikit-learn's
/// <c>roc_auc_score</c> (trapezoids over distinct thresholds, so a tied positive/negative pair counts
/// one half) and average precision as <c>average_precision_score</c> (the step sum Σ (Rₖ − Rₖ₋₁) Pₖ,
/// no interpolation). Only the positives are sorted: each negative is located among them by binary
/// search, O(N log P) instead of sorting all N + P scores.
/// </summary>
public sealed class BinaryRanking
{
    private readonly double[] _values;   // distinct positive scores, ascending
    private readonly long[] _positives;  // positives per distinct score
    private readonly long[] _below;      // negatives in (values[j-1], values[j])
    private readonly long[] _equal;      // negatives equal to values[j]
    private readonly long _nPos;
    private long _above, _nNeg;

    /// <summary>Starts from the positive samples' scores (the span is sorted in place).</summary>
    public BinaryRanking(Span<double> positives)
    {
        _nPos = positives.Length;
        positives.Sort();
        var distinct = 0;
        for (var i = 0; i < positives.Length; i++)
            if (i == 0 || positives[i] != positives[i - 1]) distinct++;
        _values = new double[distinct];
        _positives = new long[distinct];
        _below = new long[distinct];
        _equal = new long[distinct];
        var j = -1;
        for (var i = 0; i < positives.Length; i++)
        {
            if (i == 0 || positives[i] != positives[i - 1]) _values[++j] = positives[i];
            _positives[j]++;
        }
    }

    /// <summary>Counts one negative sample's score.</summary>
    public void AddNegative(double score)
    {
        _nNeg++;
        var u = _values;
        if (u.Length == 0) return;
        // Branch-free lower bound: the first j with u[j] >= score.
        int lo = 0, len = u.Length;
        while (len > 1)
        {
            var half = len >> 1;
            lo = u[lo + half] < score ? lo + half : lo;
            len -= half;
        }
        var j = u[lo] < score ? lo + 1 : lo;
        if (j == u.Length) _above++;
        else if (u[j] == score) _equal[j]++;
        else _below[j]++;
    }

    /// <summary>
    /// ROC-AUC (NaN without positives or without negatives) and AP (NaN without positives).
    /// </summary>
    public (double RocAuc, double AveragePrecision) Result()
    {
        if (_nPos == 0) return (double.NaN, double.NaN);
        Int128 twiceArea = 0; // Σ positives × (2·negatives below + negatives tied)
        double ap = 0;
        long negLess = 0, posAtOrAbove = _nPos;
        for (var j = 0; j < _values.Length; j++)
        {
            negLess += _below[j];
            twiceArea += (Int128)_positives[j] * (2 * negLess + _equal[j]);
            var falsePositives = _nNeg - negLess; // negatives scoring >= values[j]
            ap += (double)_positives[j] / _nPos * ((double)posAtOrAbove / (posAtOrAbove + falsePositives));
            posAtOrAbove -= _positives[j];
            negLess += _equal[j];
        }
        var auc = _nNeg == 0 ? double.NaN : (double)twiceArea / (2.0 * _nPos * _nNeg);
        return (auc, ap);
    }

    /// <summary>ROC-AUC and AP from the scores of the positive samples (sorted in place) and the negative ones.</summary>
    public static (double RocAuc, double AveragePrecision) Compute(Span<double> positives, ReadOnlySpan<double> negatives)
    {
        var r = new BinaryRanking(positives);
        foreach (var x in negatives) r.AddNegative(x);
        return r.Result();
    }
}

namespace Dyno.Metrics.Classification;

/// <summary>
/// Threshold-free binary ranking metrics, exact and tie-aware: ROC-AUC as scikit-learn's
/// <c>roc_auc_score</c> (trapezoids over distinct thresholds, so a tied positive/negative pair counts
/// one half) and average precision as <c>average_precision_score</c> (the step sum Σ (Rₖ − Rₖ₋₁) Pₖ,
/// no interpolation). ROC-AUC only sorts the positives: each negative is located among them by binary
/// search. AP is summed in scikit-learn's order, <c>-np.sum(np.diff(recall) * precision[:-1])</c> over
/// every distinct threshold (numpy's pairwise summation, the zero terms of negative-only thresholds
/// included since they move the other terms between numpy's partial sums), so its bits are
/// scikit-learn's: a perfectly ranked set with ties gives exactly 1, not 0.9999999999999999.
/// </summary>
public sealed class BinaryRanking
{
    private readonly double[] _values;   // distinct positive scores, ascending
    private readonly long[] _positives;  // positives per distinct score
    private readonly long[] _below;      // negatives in (values[j-1], values[j])
    private readonly long[] _equal;      // negatives equal to values[j]
    private readonly long _nPos;
    private long _above, _nNeg;
    private double[] _negatives = new double[16]; // every negative score, for AP's threshold positions

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
        if (_nNeg == _negatives.Length) Array.Resize(ref _negatives, checked(_negatives.Length * 2));
        _negatives[_nNeg++] = score;
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
        long negLess = 0;
        for (var j = 0; j < _values.Length; j++)
        {
            negLess += _below[j];
            twiceArea += (Int128)_positives[j] * (2 * negLess + _equal[j]);
            negLess += _equal[j];
        }
        var auc = _nNeg == 0 ? double.NaN : (double)twiceArea / (2.0 * _nPos * _nNeg);
        return (auc, AveragePrecision());
    }

    /// <summary>
    /// scikit-learn's AP: precision_recall_curve's arrays (distinct thresholds ascending, then the
    /// (recall 0, precision 1) end point) and <c>-np.sum(np.diff(recall) * precision[:-1])</c>.
    /// </summary>
    private double AveragePrecision()
    {
        var neg = _negatives.AsSpan(0, checked((int)_nNeg));
        neg.Sort();
        // Distinct thresholds from the highest down: cumulative true and false positives at each.
        var tps = new List<long>(_values.Length + 16);
        var fps = new List<long>(_values.Length + 16);
        int i = _values.Length - 1, k = neg.Length - 1;
        long tp = 0, fp = 0;
        while (i >= 0 || k >= 0)
        {
            var t = i < 0 ? neg[k] : k < 0 ? _values[i] : Math.Max(_values[i], neg[k]);
            var before = i + k;
            if (i >= 0 && _values[i] == t) tp += _positives[i--];
            while (k >= 0 && neg[k] == t) { fp++; k--; }
            if (i + k == before) throw new ArgumentException("average precision needs scores that are not NaN");
            tps.Add(tp);
            fps.Add(fp);
        }
        var n = tps.Count;
        var terms = new double[n];
        // numpy index m (ascending thresholds) is descending index n - 1 - m; recall[n] = 0.
        for (var m = 0; m < n; m++)
        {
            var d = n - 1 - m;
            var recall = (double)tps[d] / _nPos;
            var next = m + 1 < n ? (double)tps[d - 1] / _nPos : 0.0;
            var precision = (double)tps[d] / (tps[d] + fps[d]);
            terms[m] = (next - recall) * precision;
        }
        return Math.Max(0.0, -Detection.NumpyCompat.Sum(terms));
    }

    /// <summary>ROC-AUC and AP from the scores of the positive samples (sorted in place) and the negative ones.</summary>
    public static (double RocAuc, double AveragePrecision) Compute(Span<double> positives, ReadOnlySpan<double> negatives)
    {
        var r = new BinaryRanking(positives);
        foreach (var x in negatives) r.AddNegative(x);
        return r.Result();
    }
}

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
    // AP's threshold positions: distinct negative-only scores per gap (below values[j]; index Length = above all),
    // counted through an open-addressing set of the scores' bit patterns (+0 and -0 are one threshold).
    private readonly long[] _gapDistinct;
    private ulong[] _seen = new ulong[64];
    private int _seenCount;
    private bool _seenZero;

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
        _gapDistinct = new long[distinct + 1];
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
        else if (u[j] == score) { _equal[j]++; return; }
        else _below[j]++;
        if (FirstSighting(score)) _gapDistinct[j]++;
    }

    /// <summary>Adds the score to the set of negative-only scores; true if it was not there.</summary>
    private bool FirstSighting(double score)
    {
        if (score == 0)
        {
            if (_seenZero) return false;
            _seenZero = true;
            return true;
        }
        var key = (ulong)BitConverter.DoubleToInt64Bits(score); // never 0: +0 and -0 are handled above
        var mask = _seen.Length - 1;
        var h = (int)((key * 0x9E3779B97F4A7C15UL) >> 40) & mask;
        while (true)
        {
            var e = _seen[h];
            if (e == key) return false;
            if (e == 0) break;
            h = (h + 1) & mask;
        }
        _seen[h] = key;
        if (++_seenCount * 2 > _seen.Length) Grow();
        return true;
    }

    private void Grow()
    {
        var old = _seen;
        _seen = new ulong[checked(old.Length * 2)];
        var mask = _seen.Length - 1;
        foreach (var key in old)
        {
            if (key == 0) continue;
            var h = (int)((key * 0x9E3779B97F4A7C15UL) >> 40) & mask;
            while (_seen[h] != 0) h = (h + 1) & mask;
            _seen[h] = key;
        }
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
        // Ascending thresholds: gap j's distinct negative-only scores, then values[j]; the gap above
        // last. Only the entries at values[j] are non-zero (recall moves only there).
        var J = _values.Length;
        var positions = new int[J];
        var terms = new double[J];
        long at = 0, negLess = 0, posAtOrAbove = _nPos;
        for (var j = 0; j < J; j++)
        {
            at += _gapDistinct[j];
            positions[j] = checked((int)(at + j));
            negLess += _below[j];
            var falsePositives = _nNeg - negLess; // negatives scoring >= values[j]
            var recall = (double)posAtOrAbove / _nPos;
            var next = (double)(posAtOrAbove - _positives[j]) / _nPos;
            var precision = (double)posAtOrAbove / (posAtOrAbove + falsePositives);
            terms[j] = (next - recall) * precision;
            posAtOrAbove -= _positives[j];
            negLess += _equal[j];
        }
        var n = checked((int)(at + _gapDistinct[J] + J));
        return Math.Max(0.0, -SparseSum(positions, terms, n));
    }

    /// <summary>
    /// <c>np.sum</c> of an n-element array that is zero except at <paramref name="positions"/>
    /// (ascending): numpy's 8192-element chunks and pairwise blocks, with the zeros skipped (adding a
    /// zero to a partial sum leaves it unchanged, so only where each term falls matters).
    /// </summary>
    internal static double SparseSum(ReadOnlySpan<int> positions, ReadOnlySpan<double> terms, int n)
    {
        var res = 0.0;
        var lo = 0;
        for (var c0 = 0; c0 < n; c0 += Detection.NumpyCompat.BufferSize)
        {
            var len = Math.Min(Detection.NumpyCompat.BufferSize, n - c0);
            var hi = lo;
            while (hi < positions.Length && positions[hi] < c0 + len) hi++;
            res += SparsePairwise(positions[lo..hi], terms[lo..hi], c0, len);
            lo = hi;
        }
        return res;
    }

    private static double SparsePairwise(ReadOnlySpan<int> pos, ReadOnlySpan<double> v, int start, int len)
    {
        if (pos.Length == 0) return 0.0;
        if (len < 8)
        {
            var res = 0.0;
            foreach (var x in v) res += x;
            return res;
        }
        if (len <= 128)
        {
            Span<double> r = stackalloc double[8];
            r.Clear();
            var body = len - len % 8;
            var i = 0;
            for (; i < pos.Length && pos[i] - start < body; i++) r[(pos[i] - start) % 8] += v[i];
            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < pos.Length; i++) res += v[i];
            return res;
        }
        var n2 = len / 2;
        n2 -= n2 % 8;
        var split = 0;
        while (split < pos.Length && pos[split] < start + n2) split++;
        return SparsePairwise(pos[..split], v[..split], start, n2) + SparsePairwise(pos[split..], v[split..], start + n2, len - n2);
    }

    /// <summary>ROC-AUC and AP from the scores of the positive samples (sorted in place) and the negative ones.</summary>
    public static (double RocAuc, double AveragePrecision) Compute(Span<double> positives, ReadOnlySpan<double> negatives)
    {
        var r = new BinaryRanking(positives);
        foreach (var x in negatives) r.AddNegative(x);
        return r.Result();
    }
}

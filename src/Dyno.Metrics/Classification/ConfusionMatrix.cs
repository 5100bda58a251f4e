namespace Dyno.Metrics.Classification;

/// <summary>How to normalize a confusion matrix (scikit-learn's <c>normalize=</c>).</summary>
public enum ConfusionNormalization
{
    /// <summary>Raw counts.</summary>
    None,
    /// <summary>Each row (true class) sums to 1: the diagonal is the per-class recall.</summary>
    True,
    /// <summary>Each column (predicted class) sums to 1: the diagonal is the per-class precision.</summary>
    Pred,
    /// <summary>All cells sum to 1.</summary>
    All,
}

/// <summary>
/// A square confusion matrix of counts: rows are true classes, columns predicted classes
/// (scikit-learn's orientation). Streaming (<see cref="Add(int,int,long)"/>) and mergeable
/// (<see cref="Merge"/>), so shards or threads can accumulate separately. Not thread-safe.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>An empty matrix over classes 0..<paramref name="numClasses"/>-1.</summary>
    public ConfusionMatrix(int numClasses)
    {
        if (numClasses < 1) throw new DynoInputException($"the number of classes must be at least 1, got {numClasses}");
        NumClasses = numClasses;
        _counts = new long[checked(numClasses * numClasses)];
    }

    /// <summary>Number of classes (rows and columns).</summary>
    public int NumClasses { get; }

    /// <summary>The counts in row-major order: index <c>truth * NumClasses + predicted</c>.</summary>
    public ReadOnlySpan<long> Counts => _counts;

    /// <summary>The count of samples of class <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth * NumClasses + predicted];

    /// <summary>Adds <paramref name="count"/> samples of class <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    public void Add(int truth, int predicted, long count = 1)
    {
        if ((uint)truth >= (uint)NumClasses) throw new DynoInputException($"true label {truth} is outside 0..{NumClasses - 1}");
        if ((uint)predicted >= (uint)NumClasses) throw new DynoInputException($"predicted label {predicted} is outside 0..{NumClasses - 1}");
        _counts[truth * NumClasses + predicted] += count;
    }

    /// <summary>Adds one sample per position of the two equally long label arrays.</summary>
    public void Add(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        if (truth.Length != predicted.Length)
            throw new ArgumentException($"{truth.Length} true labels but {predicted.Length} predicted labels");
        for (var i = 0; i < truth.Length; i++)
        {
            int t = truth[i], p = predicted[i];
            if ((uint)t >= (uint)NumClasses) throw new DynoInputException($"sample {i}: true label {t} is outside 0..{NumClasses - 1}");
            if ((uint)p >= (uint)NumClasses) throw new DynoInputException($"sample {i}: predicted label {p} is outside 0..{NumClasses - 1}");
            _counts[t * NumClasses + p]++;
        }
    }

    /// <summary>Adds every count of <paramref name="other"/> (same number of classes) to this matrix.</summary>
    public void Merge(ConfusionMatrix other)
    {
        if (other.NumClasses != NumClasses)
            throw new ArgumentException($"cannot merge a {other.NumClasses}-class confusion matrix into a {NumClasses}-class one");
        for (var i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
    }

    /// <summary>A copy of this matrix.</summary>
    public ConfusionMatrix Clone()
    {
        var c = new ConfusionMatrix(NumClasses);
        _counts.CopyTo(c._counts, 0);
        return c;
    }

    /// <summary>All samples counted.</summary>
    public long Total
    {
        get
        {
            long s = 0;
            foreach (var v in _counts) s += v;
            return s;
        }
    }

    /// <summary>Samples on the diagonal (correctly classified).</summary>
    public long Correct
    {
        get
        {
            long s = 0;
            for (var c = 0; c < NumClasses; c++) s += _counts[c * NumClasses + c];
            return s;
        }
    }

    /// <summary>Row sums: samples whose true class is c (the support).</summary>
    public long[] TrueCounts()
    {
        var r = new long[NumClasses];
        for (var t = 0; t < NumClasses; t++)
            for (var p = 0; p < NumClasses; p++) r[t] += _counts[t * NumClasses + p];
        return r;
    }

    /// <summary>Column sums: samples predicted as class c.</summary>
    public long[] PredictedCounts()
    {
        var r = new long[NumClasses];
        for (var t = 0; t < NumClasses; t++)
            for (var p = 0; p < NumClasses; p++) r[p] += _counts[t * NumClasses + p];
        return r;
    }

    /// <summary>The diagonal: true positives per class.</summary>
    public long[] Diagonal()
    {
        var r = new long[NumClasses];
        for (var c = 0; c < NumClasses; c++) r[c] = _counts[c * NumClasses + c];
        return r;
    }

    /// <summary>
    /// The matrix as rows of doubles, normalized like scikit-learn's <c>confusion_matrix(normalize=...)</c>:
    /// a row or column with no samples is all zeros (scikit-learn's <c>nan_to_num</c>).
    /// </summary>
    public double[][] ToRows(ConfusionNormalization normalization = ConfusionNormalization.None)
    {
        var n = NumClasses;
        var rows = new double[n][];
        var trueCounts = TrueCounts();
        var predCounts = PredictedCounts();
        var total = (double)Total;
        for (var t = 0; t < n; t++)
        {
            rows[t] = new double[n];
            for (var p = 0; p < n; p++)
            {
                double v = _counts[t * n + p];
                double d = normalization switch
                {
                    ConfusionNormalization.True => trueCounts[t],
                    ConfusionNormalization.Pred => predCounts[p],
                    ConfusionNormalization.All => total,
                    _ => 1,
                };
                rows[t][p] = d == 0 ? 0 : v / d;
            }
        }
        return rows;
    }
}

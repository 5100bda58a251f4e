namespace Dyno.Metrics.Classification;

/// <summary>Multi-label figures: per label, averaged four ways, Hamming loss and subset accuracy (scikit-learn's definitions).</summary>
/// <param name="NumLabels">Number of labels.</param>
/// <param name="Samples">Samples evaluated.</param>
/// <param name="SubsetAccuracy">Fraction of samples whose predicted label set equals the true set exactly.</param>
/// <param name="HammingLoss">Fraction of (sample, label) pairs predicted wrongly.</param>
/// <param name="PerLabel">Per-label precision, recall, F1, F-beta and counts.</param>
/// <param name="Micro">Pooled over all (sample, label) pairs.</param>
/// <param name="Macro">Unweighted mean over labels.</param>
/// <param name="Weighted">Mean over labels weighted by support.</param>
/// <param name="SampleAverage">Mean over samples of each sample's precision, recall and F (scikit-learn's <c>average="samples"</c>).</param>
public sealed record MultiLabelReport(
    int NumLabels, long Samples, double SubsetAccuracy, double HammingLoss, IReadOnlyList<ClassScores> PerLabel,
    AveragedScores Micro, AveragedScores Macro, AveragedScores Weighted, AveragedScores SampleAverage);

/// <summary>
/// Streaming, mergeable multi-label metrics over true and predicted label sets. Not thread-safe.
/// The per-sample averages are kept as counts of (|T∩P|, |P|, |T|) triples and summed in one fixed
/// order by <see cref="Compute"/>, so any split of the samples merges to the very same bits.
/// </summary>
public sealed class MultiLabelAccumulator : IMetric<MultiLabelAccumulator, Target<bool>, Prediction<bool>, MultiLabelReport>
{
    private readonly long[] _tp, _support, _predicted;
    private readonly double _beta;
    private long _count, _exact, _wrongPairs;
    private readonly Dictionary<(long Inter, long Predicted, long True), long> _sampleCounts = [];
    private bool[] _t = [], _p = [];

    /// <summary>An empty accumulator over labels 0..<paramref name="numLabels"/>-1 with F-beta's <paramref name="beta"/>.</summary>
    public MultiLabelAccumulator(int numLabels, double beta = 1)
    {
        if (numLabels < 1) throw new DynoInputException($"multi-label evaluation needs at least 1 label, got {numLabels}");
        if (!(beta > 0) || !double.IsFinite(beta)) throw new DynoInputException($"F-beta needs a positive beta, got {beta}");
        NumLabels = numLabels;
        _beta = beta;
        _tp = new long[numLabels];
        _support = new long[numLabels];
        _predicted = new long[numLabels];
    }

    /// <summary>Number of labels.</summary>
    public int NumLabels { get; }

    /// <summary>Samples added so far.</summary>
    public long Count => _count;

    /// <summary>Adds a sample given as indicator vectors (one bool per label).</summary>
    public void Update(Target<bool> target, Prediction<bool> prediction) => Add(target.Values, prediction.Values);

    /// <summary>Adds a sample given as the sets of true and predicted label indices (duplicates are an error).</summary>
    public void Update(Target<int> target, Prediction<int> prediction) => Add(target.Values, prediction.Values);

    private void Add(ReadOnlySpan<bool> truth, ReadOnlySpan<bool> predicted)
    {
        if (truth.Length != NumLabels || predicted.Length != NumLabels)
            throw new DynoInputException($"sample {_count}: indicator vectors of {truth.Length} and {predicted.Length} entries, expected {NumLabels}");
        long inter = 0, nt = 0, np = 0;
        for (var l = 0; l < NumLabels; l++)
        {
            bool t = truth[l], p = predicted[l];
            if (t) { _support[l]++; nt++; }
            if (p) { _predicted[l]++; np++; }
            if (t && p) { _tp[l]++; inter++; }
            if (t != p) _wrongPairs++;
        }
        if (nt == inter && np == inter) _exact++;
        var key = (inter, np, nt);
        _sampleCounts[key] = _sampleCounts.GetValueOrDefault(key) + 1;
        _count++;
    }

    private void Add(ReadOnlySpan<int> trueLabels, ReadOnlySpan<int> predictedLabels)
    {
        if (_t.Length != NumLabels) { _t = new bool[NumLabels]; _p = new bool[NumLabels]; }
        Array.Clear(_t);
        Array.Clear(_p);
        Fill(_t, trueLabels, "true");
        Fill(_p, predictedLabels, "predicted");
        Add(_t, _p);
    }

    private void Fill(bool[] v, ReadOnlySpan<int> labels, string what)
    {
        foreach (var l in labels)
        {
            if ((uint)l >= (uint)NumLabels) throw new DynoInputException($"sample {_count}: {what} label {l} is outside 0..{NumLabels - 1}");
            if (v[l]) throw new DynoInputException($"sample {_count}: {what} label {l} is listed twice");
            v[l] = true;
        }
    }

    /// <summary>Adds everything <paramref name="other"/> accumulated.</summary>
    public void Merge(MultiLabelAccumulator other)
    {
        if (other.NumLabels != NumLabels || other._beta != _beta) throw new ArgumentException("cannot merge multi-label accumulators with different labels or beta");
        for (var l = 0; l < NumLabels; l++)
        {
            _tp[l] += other._tp[l];
            _support[l] += other._support[l];
            _predicted[l] += other._predicted[l];
        }
        _count += other._count; _exact += other._exact; _wrongPairs += other._wrongPairs;
        foreach (var (key, n) in other._sampleCounts) _sampleCounts[key] = _sampleCounts.GetValueOrDefault(key) + n;
    }

    /// <summary>Forgets every sample, keeping the labels and beta.</summary>
    public void Reset()
    {
        Array.Clear(_tp);
        Array.Clear(_support);
        Array.Clear(_predicted);
        _count = _exact = _wrongPairs = 0;
        _sampleCounts.Clear();
    }

    /// <summary>Computes every figure.</summary>
    public MultiLabelReport Compute()
    {
        if (_count == 0) throw new DynoInputException("no samples to evaluate");
        var per = new ClassScores[NumLabels];
        for (var l = 0; l < NumLabels; l++)
        {
            var (p, r, f1, fb) = PrecisionRecall.FromCounts(_tp[l], _predicted[l], _support[l], _beta);
            per[l] = new ClassScores(l, _support[l], _predicted[l], _tp[l], p, r, f1, fb);
        }
        var (mp, mr, mf1, mfb) = PrecisionRecall.FromCounts(_tp.Sum(), _predicted.Sum(), _support.Sum(), _beta);
        double wSum = _support.Sum();
        AveragedScores Avg(string name, Func<ClassScores, double> weight, double total) => new(name,
            per.Sum(s => s.Precision * weight(s)) / total, per.Sum(s => s.Recall * weight(s)) / total,
            per.Sum(s => s.F1 * weight(s)) / total, per.Sum(s => s.FBeta * weight(s)) / total);
        var macro = Avg("macro", _ => 1, NumLabels);
        var weighted = wSum == 0 ? new AveragedScores("weighted", 0, 0, 0, 0) : Avg("weighted", s => s.Support, wSum);
        double sumP = 0, sumR = 0, sumF1 = 0, sumFBeta = 0;
        foreach (var (key, n) in _sampleCounts.OrderBy(kv => kv.Key))
        {
            var (sp, sr, sf1, sfb) = PrecisionRecall.FromCounts(key.Inter, key.Predicted, key.True, _beta);
            sumP += n * sp; sumR += n * sr; sumF1 += n * sf1; sumFBeta += n * sfb;
        }
        return new MultiLabelReport(NumLabels, _count, (double)_exact / _count, (double)_wrongPairs / ((double)_count * NumLabels), per,
            new AveragedScores("micro", mp, mr, mf1, mfb), macro, weighted,
            new AveragedScores("samples", sumP / _count, sumR / _count, sumF1 / _count, sumFBeta / _count));
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dyno.Metrics.Classification;

/// <summary>
/// Streaming, mergeable single-label classification metrics. Feed samples one by one (a true class
/// with either a predicted class or a row of per-class scores), or whole row-major batches of scores
/// (evaluated in parallel); merge accumulators of shards with <see cref="Merge"/>; then
/// <see cref="Compute"/>. Definitions follow scikit-learn 1.2 (see docs/metrics-classification-segmentation.md).
/// Not thread-safe: use one accumulator per thread and merge.
/// </summary>
public sealed class ClassificationAccumulator : IMetric<ClassificationAccumulator, int, ReadOnlySpan<float>, ClassificationReport>
{
    private const int StoreChunkRows = 4096;

    private readonly ClassificationOptions _options;
    private readonly int[] _topK;
    private readonly int _maxK;
    private ConfusionMatrix _cm;
    private long[] _topKHits;
    private double _logLossSum, _logLossComp;
    private long _count;
    private long _rowBase; // index of this accumulator's first sample in the whole input (error messages)
    private bool? _hasScores;
    private long _firstNonProbability = -1;
    private double _nonProbabilityValue;
    private double[] _conf = [];
    private bool[] _correct = [];
    private int[] _labels = [];
    // Probabilities kept for ROC-AUC/AP, row-major in chunks. Merge shares the other side's chunks
    // instead of copying them (and seals them there, so neither side writes into a shared chunk).
    private readonly List<StoreChunk> _store = [];
    private double[]? _wide, _probs;

    /// <summary>An empty accumulator over classes 0..<paramref name="numClasses"/>-1.</summary>
    public ClassificationAccumulator(int numClasses, ClassificationOptions? options = null)
    {
        _options = options ?? new ClassificationOptions();
        if (numClasses < 2) throw new DynoInputException($"classification needs at least 2 classes, got {numClasses}");
        foreach (var k in _options.TopK)
            if (k < 2) throw new DynoInputException($"top-k needs k ≥ 2 (top-1 is always reported), got {k}");
        if (!(_options.Beta > 0) || !double.IsFinite(_options.Beta)) throw new DynoInputException($"F-beta needs a positive beta, got {_options.Beta}");
        NumClasses = numClasses;
        _topK = _options.TopK.Distinct().Order().ToArray();
        _maxK = _topK.Length == 0 ? 1 : _topK[^1];
        _cm = new ConfusionMatrix(numClasses);
        _topKHits = new long[_topK.Length];
        if (_options.EceBins < 1) throw new DynoInputException($"the number of calibration bins must be at least 1, got {_options.EceBins}");
    }

    /// <summary>Number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>Samples added so far.</summary>
    public long Count => _count;

    /// <summary>The options this accumulator was created with.</summary>
    public ClassificationOptions Options => _options;

    /// <summary>Adds a sample given by its predicted class only (no scores).</summary>
    /// <param name="target">The true class.</param>
    /// <param name="predicted">The predicted class.</param>
    public void Update(int target, int predicted)
    {
        SetMode(false);
        CheckLabel(target, "true label");
        CheckLabel(predicted, "predicted label");
        _cm.Add(target, predicted);
        _count++;
    }

    /// <summary>Adds a sample with one score (probability, or logit with <see cref="ClassificationOptions.Logits"/>) per class.</summary>
    /// <param name="target">The true class.</param>
    /// <param name="scores">One score per class.</param>
    public void Update(int target, ReadOnlySpan<double> scores)
    {
        SetMode(true);
        AddScores(target, scores);
    }

    /// <summary>Adds a sample with float scores (widened to double).</summary>
    /// <param name="target">The true class.</param>
    /// <param name="scores">One score per class.</param>
    public void Update(int target, ReadOnlySpan<float> scores)
    {
        SetMode(true);
        CheckWidth(scores.Length);
        _wide ??= new double[NumClasses];
        ScoreRowMath.Widen(scores, _wide);
        AddScores(target, _wide);
    }

    /// <summary>Adds n samples: <paramref name="targets"/>[i] with scores row i of the row-major n × classes array. Runs in parallel.</summary>
    public void Update(ReadOnlyMemory<int> targets, ReadOnlyMemory<float> scores) => AddBatchCore(targets, scores);

    /// <summary>Adds n samples: <paramref name="targets"/>[i] with scores row i of the row-major n × classes array. Runs in parallel.</summary>
    public void Update(ReadOnlyMemory<int> targets, ReadOnlyMemory<double> scores) => AddBatchCore(targets, scores);

    private void AddBatchCore<T>(ReadOnlyMemory<int> labels, ReadOnlyMemory<T> scores) where T : unmanaged
    {
        var n = labels.Length;
        if ((long)n * NumClasses != scores.Length)
            throw new ArgumentException($"{n} labels need {(long)n * NumClasses} scores ({NumClasses} per row), got {scores.Length}");
        SetMode(true);
        if (n == 0) return;
        // One partial accumulator per core: each holds a classes² confusion matrix, so no more.
        var parts = Math.Min(n, Environment.ProcessorCount);
        var partial = new ClassificationAccumulator[parts];
        var first = _rowBase + _count;
        try
        {
            Parallel.For(0, parts, part => AddRange(part));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // Rethrow a bad sample's ArgumentException as itself, not wrapped.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
        foreach (var acc in partial) Merge(acc);

        void AddRange(int part)
        {
            var acc = new ClassificationAccumulator(NumClasses, _options) { _rowBase = first + (long)n * part / parts, _hasScores = true };
            long lo = (long)n * part / parts, hi = (long)n * (part + 1) / parts;
            var lab = labels.Span;
            var sc = scores.Span;
            for (var i = (int)lo; i < hi; i++)
            {
                var row = sc.Slice(i * NumClasses, NumClasses);
                if (typeof(T) == typeof(float)) acc.Update(lab[i], MemoryMarshal.Cast<T, float>(row));
                else acc.Update(lab[i], MemoryMarshal.Cast<T, double>(row));
            }
            partial[part] = acc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddScores(int label, ReadOnlySpan<double> s)
    {
        CheckLabel(label, "true label");
        CheckWidth(s.Length);
        var (max, min, sum, clippedSum) = ScoreRowMath.Stats(s);
        if (!double.IsFinite(sum) || !double.IsFinite(max) || !double.IsFinite(min))
        {
            for (var c = 0; c < s.Length; c++)
                if (!double.IsFinite(s[c])) throw new DynoInputException($"sample {_rowBase + _count}: the score of class {c} is {s[c]}, not a finite number");
            throw new DynoInputException($"sample {_rowBase + _count}: the scores overflow when summed");
        }
        var pred = ScoreRowMath.IndexOfFirst(s, max);
        if (_maxK > 1)
        {
            var ahead = ScoreRowMath.RankOf(s, label);
            for (var j = 0; j < _topK.Length; j++)
                if (ahead < _topK[j]) _topKHits[j]++;
        }

        ReadOnlySpan<double> probs;
        double confidence, pTrue;
        if (_options.Logits)
        {
            // Softmax pᵢ = eᵢ / z with eᵢ = exp(sᵢ − max). scikit-learn's log loss clips every pᵢ to
            // [eps, 1 − eps] and renormalises: Σ clip(pᵢ) = Σ max(eᵢ, eps·z) / z, and only the top
            // class can exceed 1 − eps. Without clipping the denominator is 1.
            var e = _probs ??= new double[NumClasses];
            var (z, eMin) = ScoreRowMath.ExpShifted(s, max, e);
            confidence = 1 / z;
            var denominator = eMin < ScoreRowMath.Eps * z ? ScoreRowMath.FlooredSum(e, ScoreRowMath.Eps * z) / z : 1.0;
            if (confidence > 1 - ScoreRowMath.Eps) denominator -= confidence - (1 - ScoreRowMath.Eps);
            pTrue = ScoreRowMath.Clip(e[label] / z) / denominator;
            if (_options.Ranking) ScoreRowMath.DivideInPlace(e, z);
            probs = e;
        }
        else
        {
            probs = s;
            confidence = max;
            pTrue = ScoreRowMath.Clip(s[label]) / clippedSum;
            if ((min < 0 || max > 1) && _firstNonProbability < 0)
            {
                _firstNonProbability = _rowBase + _count;
                _nonProbabilityValue = min < 0 ? min : max;
            }
        }
        var correct = pred == label;
        AddLogLoss(-Math.Log(pTrue));
        var k = checked((int)_count);
        Append(ref _conf, k, confidence);
        Append(ref _correct, k, correct);
        if (_options.Ranking)
        {
            Append(ref _labels, k, label);
            StoreRow(probs);
        }
        _cm.Add(label, pred);
        _count++;
    }

    private static void Append<T>(ref T[] array, int index, T value)
    {
        if (index >= array.Length) Array.Resize(ref array, Math.Max(1024, array.Length * 2));
        array[index] = value;
    }

    private sealed class StoreChunk(double[] data)
    {
        public readonly double[] Data = data;
        public int Rows;
        public bool Sealed;
    }

    private void StoreRow(ReadOnlySpan<double> probs)
    {
        if (_store.Count == 0 || _store[^1].Sealed || _store[^1].Rows == StoreChunkRows)
            _store.Add(new StoreChunk(new double[StoreChunkRows * NumClasses]));
        var chunk = _store[^1];
        probs.CopyTo(chunk.Data.AsSpan(chunk.Rows * NumClasses, NumClasses));
        chunk.Rows++;
    }

    private void AddLogLoss(double x)
    {
        // Neumaier compensated summation: the mean stays exact to ~1 ulp over millions of samples.
        var t = _logLossSum + x;
        _logLossComp += Math.Abs(_logLossSum) >= Math.Abs(x) ? (_logLossSum - t) + x : (x - t) + _logLossSum;
        _logLossSum = t;
    }

    /// <summary>Adds everything <paramref name="other"/> accumulated (same classes and options).</summary>
    public void Merge(ClassificationAccumulator other)
    {
        if (other.NumClasses != NumClasses) throw new ArgumentException($"cannot merge {other.NumClasses} classes into {NumClasses}");
        if (!SameOptions(other._options)) throw new ArgumentException("cannot merge accumulators created with different options");
        if (other._hasScores is { } h) SetMode(h);
        _cm.Merge(other._cm);
        for (var j = 0; j < _topKHits.Length; j++) _topKHits[j] += other._topKHits[j];
        AddLogLoss(other._logLossSum);
        AddLogLoss(other._logLossComp);
        if (other._firstNonProbability >= 0 && _firstNonProbability < 0)
        {
            _firstNonProbability = other._firstNonProbability;
            _nonProbabilityValue = other._nonProbabilityValue;
        }
        var mine = checked((int)_count);
        var theirs = other._hasScores == true ? checked((int)other._count) : 0;
        for (var i = 0; i < theirs; i++)
        {
            Append(ref _conf, mine + i, other._conf[i]);
            Append(ref _correct, mine + i, other._correct[i]);
            if (_options.Ranking) Append(ref _labels, mine + i, other._labels[i]);
        }
        if (_options.Ranking)
        {
            if (_store.Count > 0) _store[^1].Sealed = true;
            foreach (var chunk in other._store)
            {
                chunk.Sealed = true;
                _store.Add(new StoreChunk(chunk.Data) { Rows = chunk.Rows, Sealed = true });
            }
        }
        _count += other._count;
    }

    /// <summary>Forgets every sample, keeping the classes and options.</summary>
    public void Reset()
    {
        _cm = new ConfusionMatrix(NumClasses);
        _topKHits = new long[_topK.Length];
        _logLossSum = _logLossComp = 0;
        _count = _rowBase = 0;
        _hasScores = null;
        _firstNonProbability = -1;
        _nonProbabilityValue = 0;
        _conf = [];
        _correct = [];
        _labels = [];
        _store.Clear();
    }

    /// <summary>Computes every figure from what was accumulated.</summary>
    public ClassificationReport Compute()
    {
        if (_count == 0) throw new DynoInputException("no samples to evaluate");
        var hasScores = _hasScores == true;
        var (perClass, micro, macro, weighted) = PrecisionRecall.FromConfusion(_cm, _options.Beta);
        var notes = new List<string>();
        var probabilities = hasScores && (_options.Logits || _firstNonProbability < 0);
        if (hasScores && !probabilities)
            notes.Add($"the scores are not probabilities (sample {_firstNonProbability} has {_nonProbabilityValue}); " +
                      "log loss and calibration are not computed (set ClassificationOptions.Logits if they are logits)");
        RankingScores? ranking = null;
        if (hasScores && _options.Ranking)
        {
            var per = RankingPerClass();
            for (var c = 0; c < NumClasses; c++) perClass[c] = perClass[c] with { RocAuc = per[c].Auc, AveragePrecision = per[c].Ap };
            ranking = AverageRanking(perClass);
            if (ranking.ClassesExcluded > 0)
                notes.Add($"{ranking.ClassesExcluded} class(es) have no positive (or no negative) sample: ROC-AUC and AP are undefined for them and left out of their averages");
        }
        CalibrationReport? calibration = null;
        if (probabilities)
        {
            var n = (int)_count;
            var conf = _conf.AsSpan(0, n).ToArray();
            var ok = _correct.AsSpan(0, n).ToArray();
            // Binned from the kept samples in sample order, so that any split merges to the same sums.
            var bins = new CalibrationBins(_options.EceBins);
            for (var i = 0; i < n; i++) bins.Add(conf[i], ok[i]);
            calibration = bins.ToReport(CalibrationBins.EqualMassEce(conf, ok, n, bins.Bins));
        }
        return new ClassificationReport
        {
            NumClasses = NumClasses,
            Samples = _count,
            HasScores = hasScores,
            Accuracy = (double)_cm.Correct / _count,
            TopK = hasScores ? _topK.Select((k, j) => new TopKAccuracy(k, (double)_topKHits[j] / _count)).ToArray() : [],
            Beta = _options.Beta,
            PerClass = perClass,
            Micro = micro,
            Macro = macro,
            Weighted = weighted,
            BalancedAccuracy = PrecisionRecall.BalancedAccuracy(_cm),
            LogLoss = probabilities ? (_logLossSum + _logLossComp) / _count : double.NaN,
            Ranking = ranking,
            Calibration = calibration,
            Notes = notes,
            Confusion = _cm.Clone(),
        };
    }

    private (double Auc, double Ap)[] RankingPerClass()
    {
        var n = (int)_count;
        // Where each kept row lives, and the rows of each class (counting sort by label).
        var rowData = new double[n][];
        var rowOffset = new int[n];
        var row = 0;
        foreach (var chunk in _store)
            for (var r = 0; r < chunk.Rows; r++, row++)
            {
                rowData[row] = chunk.Data;
                rowOffset[row] = r * NumClasses;
            }
        var start = new int[NumClasses + 1];
        for (var i = 0; i < n; i++) start[_labels[i] + 1]++;
        for (var c = 0; c < NumClasses; c++) start[c + 1] += start[c];
        var byClass = new int[n];
        var fill = start[..NumClasses];
        for (var i = 0; i < n; i++) byClass[fill[_labels[i]]++] = i;

        var result = new (double, double)[NumClasses];
        // 8 neighbouring classes (one cache line per row) per pass over the kept scores.
        const int block = 8;
        Parallel.For(0, (NumClasses + block - 1) / block, b =>
        {
            var c0 = b * block;
            var width = Math.Min(block, NumClasses - c0);
            var rankings = new BinaryRanking[width];
            for (var k = 0; k < width; k++)
            {
                var c = c0 + k;
                var pos = new double[start[c + 1] - start[c]];
                for (var i = 0; i < pos.Length; i++)
                {
                    var r = byClass[start[c] + i];
                    pos[i] = rowData[r][rowOffset[r] + c];
                }
                rankings[k] = new BinaryRanking(pos);
            }
            for (var r = 0; r < n; r++)
            {
                var data = rowData[r];
                var offset = rowOffset[r] + c0;
                var label = _labels[r] - c0;
                for (var k = 0; k < width; k++)
                    if (k != label) rankings[k].AddNegative(data[offset + k]);
            }
            for (var k = 0; k < width; k++) result[c0 + k] = rankings[k].Result();
        });
        return result;
    }

    private static RankingScores AverageRanking(ClassScores[] perClass)
    {
        double aucSum = 0, aucW = 0, aucWSum = 0, apSum = 0, apW = 0, apWSum = 0;
        int aucN = 0, apN = 0, excluded = 0;
        foreach (var s in perClass)
        {
            if (double.IsNaN(s.RocAuc)) excluded++;
            else
            {
                aucSum += s.RocAuc; aucN++;
                aucWSum += s.RocAuc * s.Support; aucW += s.Support;
            }
            if (!double.IsNaN(s.AveragePrecision))
            {
                apSum += s.AveragePrecision; apN++;
                apWSum += s.AveragePrecision * s.Support; apW += s.Support;
            }
        }
        return new RankingScores(
            aucN == 0 ? double.NaN : aucSum / aucN, aucW == 0 ? double.NaN : aucWSum / aucW,
            apN == 0 ? double.NaN : apSum / apN, apW == 0 ? double.NaN : apWSum / apW, excluded);
    }

    private bool SameOptions(ClassificationOptions o) =>
        o.EceBins == _options.EceBins && o.Logits == _options.Logits && o.Beta == _options.Beta && o.Ranking == _options.Ranking
        && o.TopK.Distinct().Order().SequenceEqual(_topK);

    private void SetMode(bool scores)
    {
        if (_hasScores is { } h && h != scores)
            throw new DynoInputException(scores
                ? $"sample {_rowBase + _count} has scores but earlier samples had only a predicted label"
                : $"sample {_rowBase + _count} has only a predicted label but earlier samples had scores");
        _hasScores = scores;
    }

    private void CheckLabel(int label, string what)
    {
        if ((uint)label >= (uint)NumClasses)
            throw new DynoInputException($"sample {_rowBase + _count}: {what} {label} is outside 0..{NumClasses - 1}");
    }

    private void CheckWidth(int width)
    {
        if (width != NumClasses)
            throw new DynoInputException($"sample {_rowBase + _count}: {width} scores, expected one per class ({NumClasses})");
    }
}

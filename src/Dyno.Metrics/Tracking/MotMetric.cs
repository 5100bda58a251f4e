namespace Dyno.Metrics.Tracking;

/// <summary>The ground truth of one tracking sequence: its name, its boxes and (optionally) its length in frames (seqinfo.ini's <c>seqLength</c>).</summary>
/// <param name="Name">Sequence name; unique within a metric.</param>
/// <param name="GroundTruth">The ground-truth boxes, in MOTChallenge form.</param>
/// <param name="NumFrames">Frames 1..N of the sequence; null = from the last frame of either table.</param>
public sealed record MotSequenceTarget(string Name, TrackTable GroundTruth, int? NumFrames = null);

/// <summary>
/// Multi-object tracking metrics in the streaming pattern: <see cref="Update"/> one sequence at a time
/// (ground truth first, then the tracker's output), <see cref="Merge"/>, <see cref="Compute"/>,
/// <see cref="Reset"/>. HOTA associates over a whole sequence, so a sequence is the unit of update; each
/// is evaluated when it arrives (CLEAR, Identity and HOTA as TrackEval computes them) and
/// <see cref="Compute"/> combines them as TrackEval does, in update order. Equal to
/// <see cref="MotEvaluator.Evaluate"/> on the same sequences in the same order.
/// </summary>
public sealed class MotMetric : IMetric<MotMetric, MotSequenceTarget, TrackTable, MotEvaluation>
{
    private readonly MotEvaluationOptions _options;
    private readonly List<MotSequenceResult> _sequences = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>An empty metric with these settings (IoU threshold, preprocessing, optional py-motmetrics and video metrics).</summary>
    public MotMetric(MotEvaluationOptions? options = null) => _options = options ?? new MotEvaluationOptions();

    /// <summary>Sequences updated so far.</summary>
    public int Sequences => _sequences.Count;

    /// <summary>Evaluates one sequence: its ground truth and the tracker's boxes for it.</summary>
    public void Update(MotSequenceTarget target, TrackTable prediction)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(prediction);
        if (!_names.Add(target.Name)) throw new ArgumentException($"sequence {target.Name} was already updated", nameof(target));
        _sequences.Add(MotEvaluator.EvaluateSequence(new MotSequenceInput(target.Name, target.GroundTruth, prediction, target.NumFrames), _options));
    }

    /// <summary>Appends the sequences of <paramref name="other"/> (same settings, other sequences).</summary>
    public void Merge(MotMetric other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._options != _options) throw new ArgumentException("metrics with different settings cannot be merged", nameof(other));
        foreach (var s in other._sequences)
            if (_names.Contains(s.Name)) throw new ArgumentException($"sequence {s.Name} is in both metrics", nameof(other));
        _sequences.AddRange(other._sequences);
        _names.UnionWith(other._names);
    }

    /// <summary>Per-sequence results and their combination ("COMBINED").</summary>
    public MotEvaluation Compute()
    {
        if (_sequences.Count == 0) throw new InvalidOperationException("no sequences to evaluate");
        var parts = _sequences.ToArray();
        return new MotEvaluation(parts, MotEvaluator.Combine(parts));
    }

    /// <summary>Forgets every sequence.</summary>
    public void Reset()
    {
        _sequences.Clear();
        _names.Clear();
    }
}

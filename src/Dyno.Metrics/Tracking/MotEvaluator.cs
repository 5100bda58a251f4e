namespace Dyno.Metrics.Tracking;

/// <summary>One sequence to evaluate: its ground truth, the tracker output and (optionally) its length in frames.</summary>
public sealed record MotSequenceInput(string Name, TrackTable Gt, TrackTable Pred, int? NumFrames = null);

/// <summary>Evaluation settings.</summary>
/// <param name="IouThreshold">Match threshold of CLEAR and Identity (IoU ≥ 0.5 in both reference tools).</param>
/// <param name="Preprocess">Ground-truth filtering (zero-marked, distractors, visibility).</param>
/// <param name="MotMetrics">Also run the py-motmetrics accumulator (its CLEAR/Identity conventions).</param>
/// <param name="Parallel">Evaluate sequences in parallel.</param>
/// <param name="Video">Also compute the video metrics (<see cref="VideoMetrics"/>).</param>
public sealed record MotEvaluationOptions(double IouThreshold = 0.5, MotPreprocessOptions? Preprocess = null, bool MotMetrics = false, bool Parallel = true, bool Video = false);

/// <summary>The metrics of one sequence (or of all sequences combined).</summary>
public sealed record MotSequenceResult(string Name, int Frames, int GtIds, int TrackerIds, int GtDets, int TrackerDets,
    ClearResult Clear, IdentityResult Identity, HotaResult Hota, MotMetricsSummary? MotMetrics, VideoResult? Video = null);

/// <summary>Per-sequence results and their combination.</summary>
public sealed record MotEvaluation(IReadOnlyList<MotSequenceResult> Sequences, MotSequenceResult Combined);

/// <summary>
/// Runs CLEAR, Identity and HOTA (TrackEval conventions) and optionally py-motmetrics' accumulator on
/// a set of sequences, in parallel, and combines them the way the reference tools do.
/// </summary>
public static class MotEvaluator
{
    /// <summary>Evaluates every sequence and the combination (named "COMBINED").</summary>
    public static MotEvaluation Evaluate(IReadOnlyList<MotSequenceInput> sequences, MotEvaluationOptions? options = null)
    {
        options ??= new MotEvaluationOptions();
        // Two flat parallel stages balance two cores better than nested loops: first every sequence's
        // IoU, preprocessing and relabelling, then every (sequence, metric) job, biggest first.
        var prepared = new Prepared[sequences.Count];
        ParallelWork.For(sequences.Count, i => prepared[i] = Prepare(sequences[i], options), options.Parallel);
        var jobs = prepared.SelectMany(p => p.Jobs(options)).OrderByDescending(j => j.Cost).ToArray();
        ParallelWork.For(jobs.Length, i => jobs[i].Run(), options.Parallel);
        var results = prepared.Select(p => p.Result()).ToArray();
        return new MotEvaluation(results, Combine(results));
    }

    /// <summary>Evaluates one sequence.</summary>
    public static MotSequenceResult EvaluateSequence(MotSequenceInput input, MotEvaluationOptions options)
    {
        var p = Prepare(input, options);
        var jobs = p.Jobs(options).ToArray();
        ParallelWork.For(jobs.Length, i => jobs[i].Run(), options.Parallel);
        return p.Result();
    }

    private static Prepared Prepare(MotSequenceInput input, MotEvaluationOptions options)
    {
        TrackTable gt = input.Gt, pred = input.Pred;
        // With a known length (seqinfo.ini) frames are 1..seqLength as in TrackEval; otherwise a file may start at 0.
        var first = input.NumFrames is not null ? 1 : Math.Min(1, Math.Min(gt.Count > 0 ? gt.Frame[0] : 1, pred.Count > 0 ? pred.Frame[0] : 1));
        var frames = input.NumFrames ?? Math.Max(gt.MaxFrame, pred.MaxFrame) - first + 1;
        FrameOverlaps.CheckRange(gt, "ground truth", input.Name, first, frames);
        FrameOverlaps.CheckRange(pred, "tracker", input.Name, first, frames);
        var overlaps = FrameOverlaps.Compute(gt, pred, first, frames);
        var (keepGt, keepPred) = MotPreprocessing.Masks(gt, pred, overlaps, options.Preprocess ?? new MotPreprocessOptions(), input.Name);
        return new Prepared(input, TrackingSequence.FromOverlaps(input.Name, gt, pred, overlaps, keepGt, keepPred), keepGt, keepPred, frames);
    }

    private sealed record Job(Action Run, long Cost);

    private sealed class Prepared(MotSequenceInput input, TrackingSequence seq, bool[]? keepGt, bool[]? keepPred, int frames)
    {
        private ClearResult? _clear;
        private IdentityResult? _identity;
        private HotaResult? _hota;
        private MotMetricsSummary? _motMetrics;
        private VideoResult? _video;

        public IEnumerable<Job> Jobs(MotEvaluationOptions o)
        {
            long size = seq.SimVal.Length + seq.NumGtDets + seq.NumTrackerDets;
            yield return new Job(() => _hota = HotaMetrics.Evaluate(seq), 4 * size);
            yield return new Job(() => _clear = ClearMetrics.Evaluate(seq, o.IouThreshold), size);
            yield return new Job(() => _identity = IdentityMetrics.Evaluate(seq, o.IouThreshold), size / 2);
            if (o.MotMetrics)
                yield return new Job(() =>
                {
                    var gt = keepGt is null ? input.Gt : input.Gt.Where(keepGt);
                    var pred = keepPred is null ? input.Pred : input.Pred.Where(keepPred);
                    _motMetrics = MotAccumulator.CompareToGroundTruth(gt, pred, 1 - o.IouThreshold).Summary();
                }, 6 * size);
            if (o.Video) yield return new Job(() => _video = VideoMetrics.Evaluate(seq, input.Gt, input.Pred, o.IouThreshold), 2 * size);
        }

        public MotSequenceResult Result() => new(input.Name, frames, seq.NumGtIds, seq.NumTrackerIds, seq.NumGtDets, seq.NumTrackerDets,
            _clear!, _identity!, _hota!, _motMetrics, _video);
    }

    /// <summary>Combines per-sequence results (counts summed; HOTA's association scores weighted by TP).</summary>
    public static MotSequenceResult Combine(IReadOnlyList<MotSequenceResult> parts) => new(
        "COMBINED", parts.Sum(p => p.Frames), parts.Sum(p => p.GtIds), parts.Sum(p => p.TrackerIds),
        parts.Sum(p => p.GtDets), parts.Sum(p => p.TrackerDets),
        ClearResult.Combine(parts.Select(p => p.Clear)), IdentityResult.Combine(parts.Select(p => p.Identity)),
        HotaResult.Combine(parts.Select(p => p.Hota).ToList()),
        parts.All(p => p.MotMetrics is not null) && parts.Count > 0 ? MotMetricsSummary.Combine(parts.Select(p => p.MotMetrics!)) : null,
        parts.All(p => p.Video is not null) && parts.Count > 0 ? VideoResult.Combine(parts.Select(p => p.Video!).ToList()) : null);
}

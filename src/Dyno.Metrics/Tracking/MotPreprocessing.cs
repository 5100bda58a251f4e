using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Tracking;

/// <summary>Which ground-truth filtering to apply before evaluation.</summary>
public enum MotPreprocess
{
    /// <summary><see cref="Mot17"/> when the ground truth has class ids (column 8 ≥ 1), else <see cref="Mot15"/>.</summary>
    Auto,
    /// <summary>Use every row as is.</summary>
    None,
    /// <summary>TrackEval's MOT15: drop zero-marked ground truth (column 7 = 0); no classes.</summary>
    Mot15,
    /// <summary>TrackEval's MOT16/17: remove predictions matched to distractor ground truth, keep pedestrian (class 1), non-zero-marked ground truth.</summary>
    Mot17,
    /// <summary>As <see cref="Mot17"/>, with non_mot_vehicle (class 6) also a distractor.</summary>
    Mot20,
}

/// <summary>Preprocessing options (TrackEval's MotChallenge2DBox rules plus a visibility filter).</summary>
public sealed record MotPreprocessOptions(MotPreprocess Mode = MotPreprocess.Auto, double MinVisibility = 0)
{
    /// <summary>MOTChallenge class ids: person_on_vehicle 2, static_person 7, distractor 8, reflection 12.</summary>
    public static IReadOnlySet<int> Mot17Distractors { get; } = new HashSet<int> { 2, 7, 8, 12 };
}

/// <summary>
/// TrackEval's MotChallenge2DBox preprocessing. Per frame, predictions are matched to all ground-truth
/// boxes (Hungarian on IoU, pairs with IoU &lt; 0.5 excluded); predictions matched to a distractor
/// are removed. Then ground truth that is zero-marked or not a pedestrian is removed. Dyno's
/// <see cref="MotPreprocessOptions.MinVisibility"/> treats ground truth below that visibility as a
/// distractor too (its matched predictions are not false positives).
/// </summary>
public static class MotPreprocessing
{
    private const double Eps = 2.220446049250313e-16;

    /// <summary>The mode <see cref="MotPreprocess.Auto"/> resolves to for this ground truth.</summary>
    public static MotPreprocess Resolve(MotPreprocess mode, TrackTable gt)
    {
        if (mode != MotPreprocess.Auto) return mode;
        foreach (var c in gt.Class) if (c >= 1) return MotPreprocess.Mot17;
        return MotPreprocess.Mot15;
    }

    /// <summary>Returns the filtered (ground truth, predictions).</summary>
    public static (TrackTable Gt, TrackTable Pred) Apply(TrackTable gt, TrackTable pred, MotPreprocessOptions options, string sequence)
    {
        var first = Math.Min(gt.Count > 0 ? gt.Frame[0] : int.MaxValue, pred.Count > 0 ? pred.Frame[0] : int.MaxValue);
        if (gt.Count + pred.Count == 0) return (gt, pred);
        var frames = Math.Max(gt.MaxFrame, pred.MaxFrame) - first + 1;
        var (keepGt, keepPred) = Masks(gt, pred, FrameOverlaps.Compute(gt, pred, first, frames), options, sequence);
        return (keepGt is null ? gt : gt.Where(keepGt), keepPred is null ? pred : pred.Where(keepPred));
    }

    // Rows to keep (null = all) given the sequence's overlaps.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (bool[]? KeepGt, bool[]? KeepPred) Masks(TrackTable gt, TrackTable pred, FrameOverlaps ov, MotPreprocessOptions options, string sequence)
    {
        var mode = Resolve(options.Mode, gt);
        if (mode == MotPreprocess.None && options.MinVisibility <= 0) return (null, null);
        var classes = mode is MotPreprocess.Mot17 or MotPreprocess.Mot20;
        var distractors = new HashSet<int>(MotPreprocessOptions.Mot17Distractors);
        if (mode == MotPreprocess.Mot20) distractors.Add(6);
        if (classes)
            for (var i = 0; i < gt.Count; i++)
                if (gt.Class[i] < 1 || gt.Class[i] > 13)
                    throw DynoInputException.Naming(new InvalidDataException($"{sequence}: ground truth line {gt.Line[i]}: class {gt.Class[i]} is not a MOTChallenge class (1..13); use MotPreprocess.Mot15 or MotPreprocess.None for files without classes"), "MotPreprocess.Mot15", "MotPreprocess.None");

        bool IsDistractor(int i) => (classes && distractors.Contains(gt.Class[i])) || gt.Visibility[i] < options.MinVisibility;
        var keepGt = new bool[gt.Count];
        var keepPred = new bool[pred.Count];
        Array.Fill(keepPred, true);
        var matcher = new FrameMatcher();
        for (var t = 0; t < ov.Frames; t++)
        {
            int g0 = ov.GtStart[t], G = ov.GtStart[t + 1] - g0, k0 = ov.PredStart[t], K = ov.PredStart[t + 1] - k0;
            // Only a distractor with a candidate (IoU ≥ 0.5) can lose a prediction; otherwise the
            // matching cannot remove anything and is skipped.
            var distractorCandidate = false;
            for (var r = g0; r < g0 + G && !distractorCandidate; r++)
                if (IsDistractor(r))
                    for (var e = ov.RowStart[r]; e < ov.RowStart[r + 1]; e++)
                        distractorCandidate |= !(ov.Val[e] < 0.5 - Eps) && ov.Val[e] > Eps;
            if (distractorCandidate)
            {
                matcher.Clear();
                for (var r = 0; r < G; r++)
                    for (var e = ov.RowStart[g0 + r]; e < ov.RowStart[g0 + r + 1]; e++)
                        if (!(ov.Val[e] < 0.5 - Eps)) { matcher.AddEdge(r, ov.Col[e] - k0, -ov.Val[e]); }
                var (gg0, kk0) = (g0, k0);
                matcher.Match(G, K, dense =>
                {
                    Array.Clear(dense);
                    for (var r = 0; r < G; r++)
                        for (var e = ov.RowStart[gg0 + r]; e < ov.RowStart[gg0 + r + 1]; e++)
                            if (!(ov.Val[e] < 0.5 - Eps)) dense[r * K + ov.Col[e] - kk0] = -ov.Val[e];
                });
                for (var q = 0; q < matcher.Rows.Count; q++)
                    if (IsDistractor(g0 + matcher.Rows[q])) keepPred[k0 + matcher.Cols[q]] = false;
            }
            for (var i = g0; i < g0 + G; i++)
            {
                // TrackEval casts the flag to int: 0.3 is zero-marked too.
                var keep = mode == MotPreprocess.None || (long)gt.Confidence[i] != 0;
                if (classes) keep &= gt.Class[i] == 1;
                keep &= gt.Visibility[i] >= options.MinVisibility;
                keepGt[i] = keep;
            }
        }
        return (keepGt, keepPred);
    }
}

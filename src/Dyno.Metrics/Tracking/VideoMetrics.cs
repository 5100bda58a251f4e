using System.Runtime.CompilerServices;
namespace Dyno.Metrics.Tracking;

/// <summary>
/// Video-specific tracking quality, computed on the CLEAR matching (TrackEval rules, IoU ≥ threshold).
/// </summary>
/// <param name="GtTracks">Ground-truth tracks (ids) evaluated.</param>
/// <param name="TrackBreaks">Interruptions: a ground-truth object present in consecutive frames of its
/// own presence that was matched in the earlier one and is unmatched, or matched to another tracker id, in the later one.</param>
/// <param name="MatchedPairs">Matched (ground truth, prediction) boxes the drift statistics average over.</param>
/// <param name="MeanDisplacement">Mean distance between the centres of matched boxes, in pixels.</param>
/// <param name="MaxDisplacement">Largest centre distance of a matched pair, in pixels.</param>
/// <param name="MeanNormalizedDisplacement">Mean centre distance divided by the ground-truth box diagonal.</param>
/// <param name="DriftPer100Frames">Over all associations (a gt id matched to one tracker id in consecutive frames, ≥ 2 frames),
/// the summed change in centre distance from each association's first to its last frame divided by their summed
/// durations, per 100 frames (a length-weighted slope): positive = predictions drift away from the objects over time.</param>
/// <param name="ConsecutivePairs">Predicted tracks present in two consecutive frames (the consistency sample).</param>
/// <param name="MeanConsecutiveIou">Mean IoU of a predicted track's box with its own box in the next frame.</param>
/// <param name="FlickerTransitions">Ground-truth objects present in two consecutive frames whose matched/unmatched state changes.</param>
/// <param name="FlickerSample">Ground-truth objects present in two consecutive frames.</param>
/// <param name="Associations">Associations the drift is measured on.</param>
/// <param name="DriftSum">Summed change in centre distance over the associations, pixels (for combining sequences).</param>
/// <param name="DriftFrames">Summed durations of the associations, frames (for combining sequences).</param>
public sealed record VideoResult(int GtTracks, int TrackBreaks, int MatchedPairs, double MeanDisplacement, double MaxDisplacement,
    double MeanNormalizedDisplacement, double DriftPer100Frames, int ConsecutivePairs, double MeanConsecutiveIou,
    int FlickerTransitions, int FlickerSample, int Associations, double DriftSum, int DriftFrames)
{
    /// <summary>Track breaks per ground-truth track.</summary>
    public double TrackBreakRate => GtTracks == 0 ? 0 : (double)TrackBreaks / GtTracks;

    /// <summary>Fraction of consecutive-frame ground-truth presences whose detection state flips (0 = perfectly consistent).</summary>
    public double FlickerRate => FlickerSample == 0 ? 0 : (double)FlickerTransitions / FlickerSample;

    /// <summary>Combines sequences: counts summed, means weighted by their sample sizes, maxima maximised.</summary>
    public static VideoResult Combine(IReadOnlyList<VideoResult> parts)
    {
        int pairs = parts.Sum(p => p.MatchedPairs), cons = parts.Sum(p => p.ConsecutivePairs), assoc = parts.Sum(p => p.Associations);
        double W(Func<VideoResult, double> f, Func<VideoResult, int> w, int total) => total == 0 ? 0 : parts.Sum(p => f(p) * w(p)) / total;
        var drift = parts.Sum(p => p.DriftSum);
        var driftFrames = parts.Sum(p => p.DriftFrames);
        return new VideoResult(parts.Sum(p => p.GtTracks), parts.Sum(p => p.TrackBreaks), pairs,
            W(p => p.MeanDisplacement, p => p.MatchedPairs, pairs), parts.Count == 0 ? 0 : parts.Max(p => p.MaxDisplacement),
            W(p => p.MeanNormalizedDisplacement, p => p.MatchedPairs, pairs), driftFrames == 0 ? 0 : drift / driftFrames * 100,
            cons, W(p => p.MeanConsecutiveIou, p => p.ConsecutivePairs, cons),
            parts.Sum(p => p.FlickerTransitions), parts.Sum(p => p.FlickerSample), assoc, drift, driftFrames);
    }
}

/// <summary>Computes <see cref="VideoResult"/> for one sequence built from boxes.</summary>
public static class VideoMetrics
{
    /// <summary>Evaluates one sequence (built with <see cref="TrackingSequence.FromBoxes"/>) against its tables.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static VideoResult Evaluate(TrackingSequence seq, TrackTable gt, TrackTable pred, double threshold = 0.5)
    {
        if (seq.GtRow is null || seq.TrackerRow is null) throw new ArgumentException("video metrics need a sequence built from boxes");
        var matchOf = new int[seq.NumGtDets];   // gt detection -> matched tracker detection, −1 none
        Array.Fill(matchOf, -1);
        ClearMetrics.Evaluate(seq, threshold, (_, d, k) => matchOf[d] = k);

        // Per gt id: state at its previous presence (−2 = none yet, −1 = unmatched, else tracker id).
        var lastState = new int[seq.NumGtIds];
        var lastFrame = new int[seq.NumGtIds];
        Array.Fill(lastState, -2);
        // Current association of each gt id: tracker id, first frame and displacement.
        var assocTracker = new int[seq.NumGtIds];
        var assocStart = new int[seq.NumGtIds];
        var assocLast = new int[seq.NumGtIds];
        var assocFirstDisp = new double[seq.NumGtIds];
        var assocLastDisp = new double[seq.NumGtIds];
        Array.Fill(assocTracker, -1);
        int breaks = 0, pairs = 0, flips = 0, flickerSample = 0, associations = 0, driftFrames = 0;
        double dispSum = 0, dispMax = 0, normSum = 0, driftSum = 0;

        void CloseAssociation(int g)
        {
            if (assocTracker[g] >= 0 && assocLast[g] > assocStart[g])
            {
                associations++;
                driftSum += assocLastDisp[g] - assocFirstDisp[g];
                driftFrames += assocLast[g] - assocStart[g];
            }
            assocTracker[g] = -1;
        }

        for (var t = 0; t < seq.NumTimesteps; t++)
        {
            for (var d = seq.GtStart[t]; d < seq.GtStart[t + 1]; d++)
            {
                var g = seq.GtIds[d];
                var k = matchOf[d];
                var state = k < 0 ? -1 : seq.TrackerIds[k];
                var prev = lastState[g];
                if (prev != -2)
                {
                    if (lastFrame[g] == t - 1)
                    {
                        flickerSample++;
                        if ((prev >= 0) != (state >= 0)) flips++;
                    }
                    if (prev >= 0 && state != prev) breaks++;
                }
                lastState[g] = state;
                lastFrame[g] = t;
                if (k < 0) { CloseAssociation(g); continue; }

                int a = seq.GtRow[d], b = seq.TrackerRow[k];
                double dx = gt.X[a] + gt.W[a] / 2 - (pred.X[b] + pred.W[b] / 2), dy = gt.Y[a] + gt.H[a] / 2 - (pred.Y[b] + pred.H[b] / 2);
                var disp = Math.Sqrt(dx * dx + dy * dy);
                pairs++;
                dispSum += disp;
                dispMax = Math.Max(dispMax, disp);
                var diag = Math.Sqrt(gt.W[a] * gt.W[a] + gt.H[a] * gt.H[a]);
                if (diag > 0) normSum += disp / diag;
                if (assocTracker[g] != state || assocLast[g] != t - 1)
                {
                    CloseAssociation(g);
                    assocTracker[g] = state;
                    assocStart[g] = t;
                    assocFirstDisp[g] = disp;
                }
                assocLast[g] = t;
                assocLastDisp[g] = disp;
            }
        }
        for (var g = 0; g < seq.NumGtIds; g++) CloseAssociation(g);

        // Frame-to-frame consistency of each predicted track's own box.
        var prevRow = new int[seq.NumTrackerIds];
        var prevT = new int[seq.NumTrackerIds];
        Array.Fill(prevT, -2);
        var consecutive = 0;
        double iouSum = 0;
        for (var t = 0; t < seq.NumTimesteps; t++)
            for (var k = seq.TrackerStart[t]; k < seq.TrackerStart[t + 1]; k++)
            {
                var id = seq.TrackerIds[k];
                var b = seq.TrackerRow[k];
                if (prevT[id] == t - 1)
                {
                    var a = prevRow[id];
                    consecutive++;
                    iouSum += TrackingIou.TrackEval(pred.X[a], pred.Y[a], pred.X[a] + pred.W[a], pred.Y[a] + pred.H[a],
                        pred.X[b], pred.Y[b], pred.X[b] + pred.W[b], pred.Y[b] + pred.H[b]);
                }
                prevT[id] = t;
                prevRow[id] = b;
            }

        return new VideoResult(seq.NumGtIds, breaks, pairs, pairs == 0 ? 0 : dispSum / pairs, dispMax, pairs == 0 ? 0 : normSum / pairs,
            driftFrames == 0 ? 0 : driftSum / driftFrames * 100, consecutive, consecutive == 0 ? 0 : iouSum / consecutive,
            flips, flickerSample, associations, driftSum, driftFrames);
    }
}

/// <summary>Run time of a tracker on one sequence, as supplied by the user.</summary>
public sealed record SequenceTiming(string Sequence, double Seconds, int? Frames = null);

/// <summary>Temporal throughput: seconds per video and frames per second.</summary>
public sealed record ThroughputResult(string Sequence, int Frames, double Seconds)
{
    /// <summary>Frames processed per second.</summary>
    public double Fps => Seconds > 0 ? Frames / Seconds : double.NaN;
    /// <summary>Seconds per frame.</summary>
    public double SecondsPerFrame => Frames > 0 ? Seconds / Frames : double.NaN;

    /// <summary>Reads a timings CSV: <c>sequence,seconds[,frames]</c> per line (a header line and # comments are skipped).</summary>
    /// <exception cref="InvalidDataException">A line is malformed.</exception>
    public static IReadOnlyList<SequenceTiming> ReadTimings(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var list = new List<SequenceTiming>();
        var n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var p = line.Split(',', StringSplitOptions.TrimEntries);
            var ok = double.TryParse(p.Length > 1 ? p[1] : "", System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var sec);
            if (!ok && n == 1 && list.Count == 0) continue; // header
            if (!ok || !(sec > 0) || p.Length > 3)
                throw new InvalidDataException($"{path}: line {n}: expected 'sequence,seconds[,frames]' with seconds > 0, got '{line}'");
            int? frames = null;
            if (p.Length == 3)
                frames = int.TryParse(p[2], out var f) && f > 0 ? f : throw new InvalidDataException($"{path}: line {n}: frames '{p[2]}' is not a positive integer");
            list.Add(new SequenceTiming(p[0], sec, frames));
        }
        return list;
    }
}

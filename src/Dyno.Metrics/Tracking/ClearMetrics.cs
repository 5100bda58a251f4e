using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Tracking;

/// <summary>
/// CLEAR MOT counts (TrackEval's <c>CLEAR</c> metric) and the rates derived from them. MOTP is the
/// mean IoU of matches; <see cref="MotpDistance"/> is py-motmetrics' mean IoU distance (1 − IoU).
/// Counts add up over sequences, so the combined result is <see cref="Combine"/> of the parts.
/// </summary>
public sealed record ClearResult(int TP, int FN, int FP, int IDSW, int MT, int PT, int ML, int Frag, double MotpSum, int Frames)
{
    /// <summary>Multiple object tracking accuracy: (TP − FP − IDSW) / max(1, TP + FN).</summary>
    public double Mota => (TP - FP - IDSW) / Math.Max(1.0, TP + FN);
    /// <summary>Multiple object detection accuracy: (TP − FP) / max(1, TP + FN).</summary>
    public double Moda => (TP - FP) / Math.Max(1.0, TP + FN);
    /// <summary>Mean IoU of the matched pairs.</summary>
    public double Motp => MotpSum / Math.Max(1.0, TP);
    /// <summary>Mean IoU distance (1 − IoU) of the matched pairs, NaN without matches.</summary>
    public double MotpDistance => TP == 0 ? double.NaN : (TP - MotpSum) / TP;
    /// <summary>TP / max(1, TP + FN).</summary>
    public double Recall => TP / Math.Max(1.0, TP + FN);
    /// <summary>TP / max(1, TP + FP).</summary>
    public double Precision => TP / Math.Max(1.0, TP + FP);
    /// <summary>TP / max(1, TP + (FN + FP)/2).</summary>
    public double F1 => TP / Math.Max(1.0, TP + 0.5 * FN + 0.5 * FP);
    /// <summary>Soft MOTA: (Σ IoU − FP − IDSW) / max(1, TP + FN).</summary>
    public double SMota => (MotpSum - FP - IDSW) / Math.Max(1.0, TP + FN);
    /// <summary>MOTA with log10 of the id switches.</summary>
    public double Motal => (TP - FP - (IDSW > 0 ? Math.Log10(IDSW) : 0)) / Math.Max(1.0, TP + FN);
    /// <summary>Mostly-tracked ratio.</summary>
    public double Mtr => MT / Math.Max(1.0, MT + PT + ML);
    /// <summary>Partially-tracked ratio.</summary>
    public double Ptr => PT / Math.Max(1.0, MT + PT + ML);
    /// <summary>Mostly-lost ratio.</summary>
    public double Mlr => ML / Math.Max(1.0, MT + PT + ML);
    /// <summary>False positives per frame.</summary>
    public double FpPerFrame => FP / Math.Max(1.0, Frames);

    /// <summary>Sums the counts of several sequences (TrackEval's combine_sequences).</summary>
    public static ClearResult Combine(IEnumerable<ClearResult> parts) =>
        parts.Aggregate(new ClearResult(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), (a, b) => new ClearResult(
            a.TP + b.TP, a.FN + b.FN, a.FP + b.FP, a.IDSW + b.IDSW, a.MT + b.MT, a.PT + b.PT, a.ML + b.ML,
            a.Frag + b.Frag, a.MotpSum + b.MotpSum, a.Frames + b.Frames));
}

/// <summary>
/// TrackEval's CLEAR MOT: per timestep a Hungarian matching on similarity (pairs below the threshold
/// excluded), with a +1000 bonus that keeps a ground-truth object on the tracker it was matched to
/// in the previous evaluated timestep.
/// </summary>
public static class ClearMetrics
{
    private const double Eps = 2.220446049250313e-16;

    /// <summary>Evaluates one sequence at IoU <paramref name="threshold"/> (0.5 in MOTChallenge).</summary>
    /// <param name="seq">The sequence.</param>
    /// <param name="threshold">Minimum IoU of a match.</param>
    /// <param name="denseAssignment">Solve every frame on its whole matrix, as the reference does (slower; identical results).</param>
    public static ClearResult Evaluate(TrackingSequence seq, double threshold = 0.5, bool denseAssignment = false) =>
        Evaluate(seq, threshold, null, denseAssignment);

    /// <summary>As <see cref="Evaluate(TrackingSequence, double, bool)"/>, reporting each match (timestep, gt detection index, tracker detection index).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static ClearResult Evaluate(TrackingSequence seq, double threshold, Action<int, int, int>? onMatch, bool denseAssignment = false)
    {
        if (seq.NumTrackerDets == 0) return new ClearResult(0, seq.NumGtDets, 0, 0, 0, 0, seq.NumGtIds, 0, 0, seq.NumTimesteps);
        if (seq.NumGtDets == 0) return new ClearResult(0, 0, seq.NumTrackerDets, 0, 0, 0, 0, 0, 0, seq.NumTimesteps);

        var nG = seq.NumGtIds;
        var gtIdCount = new int[nG];
        var gtMatchedCount = new int[nG];
        var gtFragCount = new int[nG];
        var prevTracker = new int[nG];          // last tracker ever matched, −1 = none (IDSW)
        var prevStepTracker = new int[nG];      // tracker matched at the previous evaluated timestep
        var matchedNow = new int[nG];
        Array.Fill(prevTracker, -1);
        Array.Fill(prevStepTracker, -1);
        int tp = 0, fn = 0, fp = 0, idsw = 0;
        double motpSum = 0;
        var matcher = new FrameMatcher(denseAssignment);

        for (var t = 0; t < seq.NumTimesteps; t++)
        {
            var gIds = seq.GtIdsAt(t);
            var kIds = seq.TrackerIdsAt(t);
            if (gIds.Length == 0) { fp += kIds.Length; continue; }
            if (kIds.Length == 0)
            {
                fn += gIds.Length;
                foreach (var g in gIds) gtIdCount[g]++;
                continue;
            }
            int G = gIds.Length, K = kIds.Length;
            var g0 = seq.GtStart[t];
            matcher.Clear();
            for (var r = 0; r < G; r++)
            {
                var prev = prevStepTracker[gIds[r]];
                for (var e = seq.SimStart[g0 + r]; e < seq.SimStart[g0 + r + 1]; e++)
                {
                    var s = seq.SimVal[e];
                    if (s < threshold - Eps) continue;
                    var c = seq.SimCol[e];
                    matcher.AddEdge(r, c, -((kIds[c] == prev ? 1000 : 0) + s));
                }
            }
            var tt = t;
            matcher.Match(G, K, dense =>
            {
                var kk = seq.TrackerIdsAt(tt);
                var gg = seq.GtIdsAt(tt);
                seq.Similarity(tt, dense);
                for (var r = 0; r < gg.Length; r++)
                {
                    var prev = prevStepTracker[gg[r]];
                    for (var c = 0; c < kk.Length; c++)
                    {
                        var s = dense[r * kk.Length + c];
                        dense[r * kk.Length + c] = s < threshold - Eps ? 0 : -((kk[c] == prev ? 1000 : 0) + s);
                    }
                }
            });

            var matches = 0;
            foreach (var g in gIds) { gtIdCount[g]++; }
            for (var g = 0; g < nG; g++) matchedNow[g] = -1;
            for (var i = 0; i < matcher.Rows.Count; i++)
            {
                var r = matcher.Rows[i]; var c = matcher.Cols[i];
                var gid = gIds[r]; var kid = kIds[c];
                if (prevTracker[gid] >= 0 && prevTracker[gid] != kid) idsw++;
                gtMatchedCount[gid]++;
                prevTracker[gid] = kid;
                matchedNow[gid] = kid;
                onMatch?.Invoke(t, g0 + r, seq.TrackerStart[t] + c);
                motpSum += Sim(seq, g0 + r, c);
                matches++;
            }
            for (var g = 0; g < nG; g++)
            {
                if (prevStepTracker[g] < 0 && matchedNow[g] >= 0) gtFragCount[g]++;
                prevStepTracker[g] = matchedNow[g];
            }
            tp += matches;
            fn += G - matches;
            fp += K - matches;
        }

        int mt = 0, pt = 0;
        var frag = 0;
        for (var g = 0; g < nG; g++)
        {
            if (gtIdCount[g] > 0)
            {
                var ratio = (double)gtMatchedCount[g] / gtIdCount[g];
                if (ratio > 0.8) mt++;
                else if (ratio >= 0.2) pt++;
            }
            if (gtFragCount[g] > 0) frag += gtFragCount[g] - 1;
        }
        return new ClearResult(tp, fn, fp, idsw, mt, pt, nG - mt - pt, frag, motpSum, seq.NumTimesteps);
    }

    // Similarity of ground-truth detection d (global index) with tracker column c of its timestep.
    internal static double Sim(TrackingSequence seq, int d, int c)
    {
        var e = Entry(seq, d, c);
        return e < 0 ? 0 : seq.SimVal[e];
    }

    // Index of the sparse similarity entry (d, c), or −1 when they do not overlap.
    internal static int Entry(TrackingSequence seq, int d, int c)
    {
        for (var e = seq.SimStart[d]; e < seq.SimStart[d + 1]; e++)
            if (seq.SimCol[e] == c) return e;
        return -1;
    }
}

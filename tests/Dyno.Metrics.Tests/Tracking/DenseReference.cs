using Dyno.Metrics.Assignment;
using Dyno.Metrics.Tracking;

namespace Dyno.Metrics.Tests.Tracking;

/// <summary>
/// Straightforward dense ports of TrackEval's CLEAR and HOTA (SciPy-order assignment on every frame's
/// whole matrix): the reference that the sparse per-component matching must reproduce exactly.
/// </summary>
internal static class DenseReference
{
    private const double Eps = 2.220446049250313e-16;

    public static ClearResult Clear(TrackingSequence seq, double threshold = 0.5)
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
        var sim = Array.Empty<double>();
        var score = Array.Empty<double>();

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
            if (sim.Length < G * K) { sim = new double[G * K]; score = new double[G * K]; }
            seq.Similarity(t, sim);
            for (var r = 0; r < G; r++)
            {
                var prev = prevStepTracker[gIds[r]];
                for (var c = 0; c < K; c++)
                {
                    var s = sim[r * K + c];
                    score[r * K + c] = s < threshold - Eps ? 0 : -((kIds[c] == prev ? 1000 : 0) + s);
                }
            }
            var m = LinearAssignment.Solve(score.AsSpan(0, G * K), G, K);

            var matches = 0;
            foreach (var g in gIds) { gtIdCount[g]++; }
            for (var g = 0; g < nG; g++) matchedNow[g] = -1;
            for (var i = 0; i < m.Count; i++)
            {
                var r = m.Rows[i]; var c = m.Columns[i];
                if (!(-score[r * K + c] > Eps)) continue;
                var gid = gIds[r]; var kid = kIds[c];
                if (prevTracker[gid] >= 0 && prevTracker[gid] != kid) idsw++;
                gtMatchedCount[gid]++;
                prevTracker[gid] = kid;
                matchedNow[gid] = kid;
                motpSum += sim[r * K + c];
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


    public static HotaResult Hota(TrackingSequence seq)
    {
        var nA = HotaResult.Alphas.Count;
        double[] tp = new double[nA], fn = new double[nA], fp = new double[nA], assA = new double[nA], assRe = new double[nA], assPr = new double[nA], loc = new double[nA];
        if (seq.NumTrackerDets == 0 || seq.NumGtDets == 0)
        {
            Array.Fill(fn, seq.NumGtDets);
            Array.Fill(fp, seq.NumTrackerDets);
            Array.Fill(loc, 1.0);
            return new HotaResult(tp, fn, fp, assA, assRe, assPr, loc);
        }
        int nG = seq.NumGtIds, nK = seq.NumTrackerIds;
        var gtIdCount = new double[nG];
        var trIdCount = new double[nK];
        // Σ over timesteps of the per-timestep "similarity IoU" of each (gt id, tracker id) pair.
        var potential = new Dictionary<long, double>();
        var sim = Array.Empty<double>();
        var rowSum = Array.Empty<double>();
        var colSum = Array.Empty<double>();
        for (var t = 0; t < seq.NumTimesteps; t++)
        {
            var gIds = seq.GtIdsAt(t);
            var kIds = seq.TrackerIdsAt(t);
            foreach (var g in gIds) gtIdCount[g]++;
            foreach (var k in kIds) trIdCount[k]++;
            if (gIds.Length == 0 || kIds.Length == 0) continue;
            int G = gIds.Length, K = kIds.Length;
            if (rowSum.Length < G) rowSum = new double[G];
            if (colSum.Length < K) colSum = new double[K];
            Array.Clear(rowSum, 0, G);
            Array.Clear(colSum, 0, K);
            var dense = new double[G * K];
            seq.Similarity(t, dense);
            for (var r = 0; r < G; r++)
                for (var c = 0; c < K; c++) { rowSum[r] += dense[r * K + c]; colSum[c] += dense[r * K + c]; }
            for (var r = 0; r < G; r++)
                for (var c = 0; c < K; c++)
                {
                    var s = dense[r * K + c];
                    if (s == 0) continue;
                    var denom = colSum[c] + rowSum[r] - s;
                    if (!(denom > Eps)) continue;
                    var key = ((long)gIds[r] << 32) | (uint)kIds[c];
                    potential[key] = potential.GetValueOrDefault(key) + s / denom;
                }
        }
        var alignment = new Dictionary<long, double>(potential.Count);
        foreach (var (key, pm) in potential)
            alignment[key] = pm / (gtIdCount[(int)(key >> 32)] + trIdCount[(int)(uint)key] - pm);

        // For every matched pair, how many α thresholds its similarity passes (matches are nested in α).
        var passCounts = new Dictionary<long, int[]>();
        var score = Array.Empty<double>();
        for (var t = 0; t < seq.NumTimesteps; t++)
        {
            var gIds = seq.GtIdsAt(t);
            var kIds = seq.TrackerIdsAt(t);
            if (gIds.Length == 0) { for (var a = 0; a < nA; a++) fp[a] += kIds.Length; continue; }
            if (kIds.Length == 0) { for (var a = 0; a < nA; a++) fn[a] += gIds.Length; continue; }
            int G = gIds.Length, K = kIds.Length;
            if (sim.Length < G * K) { sim = new double[G * K]; score = new double[G * K]; }
            seq.Similarity(t, sim);
            for (var r = 0; r < G; r++)
            for (var c = 0; c < K; c++)
            {
                var s = sim[r * K + c];
                score[r * K + c] = s == 0 ? 0 : -(alignment.GetValueOrDefault(((long)gIds[r] << 32) | (uint)kIds[c]) * s);
            }
            var m = LinearAssignment.Solve(score.AsSpan(0, G * K), G, K);
            for (var a = 0; a < nA; a++) { fn[a] += G; fp[a] += K; }
            for (var i = 0; i < m.Count; i++)
            {
                var s = sim[m.Rows[i] * K + m.Columns[i]];
                var passed = 0;
                while (passed < nA && s >= HotaResult.Alphas[passed] - Eps) passed++;
                if (passed == 0) continue;
                for (var a = 0; a < passed; a++) { tp[a]++; fn[a]--; fp[a]--; loc[a] += s; }
                var key = ((long)gIds[m.Rows[i]] << 32) | (uint)kIds[m.Columns[i]];
                if (!passCounts.TryGetValue(key, out var pc)) passCounts[key] = pc = new int[nA];
                pc[passed - 1]++;
            }
        }

        for (var a = 0; a < nA; a++)
        {
            double sa = 0, sr = 0, sp = 0;
            foreach (var (key, pc) in passCounts)
            {
                double mc = 0;
                for (var l = a; l < nA; l++) mc += pc[l];
                if (mc == 0) continue;
                var gc = gtIdCount[(int)(key >> 32)];
                var kc = trIdCount[(int)(uint)key];
                sa += mc * (mc / Math.Max(1, gc + kc - mc));
                sr += mc * (mc / Math.Max(1, gc));
                sp += mc * (mc / Math.Max(1, kc));
            }
            assA[a] = sa / Math.Max(1, tp[a]);
            assRe[a] = sr / Math.Max(1, tp[a]);
            assPr[a] = sp / Math.Max(1, tp[a]);
            loc[a] = Math.Max(1e-10, loc[a]) / Math.Max(1e-10, tp[a]);
        }
        return new HotaResult(tp, fn, fp, assA, assRe, assPr, loc);
    }

}

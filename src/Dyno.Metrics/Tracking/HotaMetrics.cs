using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Tracking;

/// <summary>
/// HOTA (Luiten et al. 2021) at TrackEval's 19 localisation thresholds α = 0.05, 0.10, …, 0.95: per-α
/// detection counts and association/localisation scores, and the derived DetA, DetRe, DetPr, HOTA.
/// The scalar properties are means over α, as TrackEval reports them.
/// </summary>
public sealed record HotaResult(double[] TP, double[] FN, double[] FP, double[] AssA, double[] AssRe, double[] AssPr, double[] LocA)
{
    /// <summary>The α thresholds, computed like numpy's <c>np.arange(0.05, 0.99, 0.05)</c>.</summary>
    public static IReadOnlyList<double> Alphas { get; } = Enumerable.Range(0, 19).Select(i => 0.05 + i * 0.05).ToArray();

    /// <summary>DetRe per α: TP / max(1, TP + FN).</summary>
    public double[] DetRe => Map((tp, fn, _) => tp / Math.Max(1, tp + fn));
    /// <summary>DetPr per α: TP / max(1, TP + FP).</summary>
    public double[] DetPr => Map((tp, _, fp) => tp / Math.Max(1, tp + fp));
    /// <summary>DetA per α: TP / max(1, TP + FN + FP).</summary>
    public double[] DetA => Map((tp, fn, fp) => tp / Math.Max(1, tp + fn + fp));
    /// <summary>HOTA per α: √(DetA · AssA).</summary>
    public double[] Hota { get { var d = DetA; return d.Select((x, i) => Math.Sqrt(x * AssA[i])).ToArray(); } }
    /// <summary>OWTA per α: √(DetRe · AssA).</summary>
    public double[] Owta { get { var d = DetRe; return d.Select((x, i) => Math.Sqrt(x * AssA[i])).ToArray(); } }

    /// <summary>Mean over α of HOTA.</summary>
    public double HotaMean => Hota.Average();
    /// <summary>Mean over α of DetA.</summary>
    public double DetAMean => DetA.Average();
    /// <summary>Mean over α of AssA.</summary>
    public double AssAMean => AssA.Average();
    /// <summary>Mean over α of LocA.</summary>
    public double LocAMean => LocA.Average();
    /// <summary>Mean over α of DetRe.</summary>
    public double DetReMean => DetRe.Average();
    /// <summary>Mean over α of DetPr.</summary>
    public double DetPrMean => DetPr.Average();
    /// <summary>Mean over α of AssRe.</summary>
    public double AssReMean => AssRe.Average();
    /// <summary>Mean over α of AssPr.</summary>
    public double AssPrMean => AssPr.Average();
    /// <summary>HOTA at α = 0.05 (TrackEval's HOTA(0)).</summary>
    public double Hota0 => Hota[0];
    /// <summary>LocA at α = 0.05 (TrackEval's LocA(0)).</summary>
    public double LocA0 => LocA[0];

    private double[] Map(Func<double, double, double, double> f)
    {
        var r = new double[TP.Length];
        for (var a = 0; a < r.Length; a++) r[a] = f(TP[a], FN[a], FP[a]);
        return r;
    }

    /// <summary>Combines sequences like TrackEval: counts summed, AssA/AssRe/AssPr and LocA averaged weighted by TP.</summary>
    public static HotaResult Combine(IReadOnlyList<HotaResult> parts)
    {
        var n = Alphas.Count;
        double[] tp = new double[n], fn = new double[n], fp = new double[n], assA = new double[n], assRe = new double[n], assPr = new double[n], loc = new double[n];
        for (var a = 0; a < n; a++)
        {
            foreach (var p in parts) { tp[a] += p.TP[a]; fn[a] += p.FN[a]; fp[a] += p.FP[a]; }
            double sa = 0, sr = 0, sp = 0, sl = 0;
            foreach (var p in parts)
            {
                sa += p.AssA[a] * p.TP[a];
                sr += p.AssRe[a] * p.TP[a];
                sp += p.AssPr[a] * p.TP[a];
                sl += p.LocA[a] * p.TP[a];
            }
            assA[a] = sa / Math.Max(1.0, tp[a]);
            assRe[a] = sr / Math.Max(1.0, tp[a]);
            assPr[a] = sp / Math.Max(1.0, tp[a]);
            loc[a] = Math.Max(1e-10, sl) / Math.Max(1e-10, tp[a]);
        }
        return new HotaResult(tp, fn, fp, assA, assRe, assPr, loc);
    }
}

/// <summary>TrackEval's HOTA metric on one sequence.</summary>
public static class HotaMetrics
{
    private const double Eps = 2.220446049250313e-16;

    /// <summary>Evaluates one sequence.</summary>
    // Runs once per call on large inputs: compile optimised at once rather than tier-0 first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static HotaResult Evaluate(TrackingSequence seq)
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
            var g0 = seq.GtStart[t];
            for (var r = 0; r < G; r++)
                for (var e = seq.SimStart[g0 + r]; e < seq.SimStart[g0 + r + 1]; e++)
                {
                    rowSum[r] += seq.SimVal[e];
                    colSum[seq.SimCol[e]] += seq.SimVal[e];
                }
            for (var r = 0; r < G; r++)
                for (var e = seq.SimStart[g0 + r]; e < seq.SimStart[g0 + r + 1]; e++)
                {
                    var s = seq.SimVal[e];
                    var c = seq.SimCol[e];
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
        var matcher = new FrameMatcher();
        List<int> eRow = [], eCol = [], mRows = [], mCols = [];
        List<double> eCost = [];
        for (var t = 0; t < seq.NumTimesteps; t++)
        {
            var gIds = seq.GtIdsAt(t);
            var kIds = seq.TrackerIdsAt(t);
            if (gIds.Length == 0) { for (var a = 0; a < nA; a++) fp[a] += kIds.Length; continue; }
            if (kIds.Length == 0) { for (var a = 0; a < nA; a++) fn[a] += gIds.Length; continue; }
            int G = gIds.Length, K = kIds.Length;
            var g0 = seq.GtStart[t];
            eRow.Clear(); eCol.Clear(); eCost.Clear();
            for (var r = 0; r < G; r++)
                for (var e = seq.SimStart[g0 + r]; e < seq.SimStart[g0 + r + 1]; e++)
                {
                    var score = alignment.GetValueOrDefault(((long)gIds[r] << 32) | (uint)kIds[seq.SimCol[e]]) * seq.SimVal[e];
                    if (score > 0) { eRow.Add(r); eCol.Add(seq.SimCol[e]); eCost.Add(-score); }
                }
            var tt = t;
            matcher.Match(G, K, eRow, eCol, eCost, dense =>
            {
                var kk = seq.TrackerIdsAt(tt);
                var gg = seq.GtIdsAt(tt);
                seq.Similarity(tt, dense);
                for (var r = 0; r < gg.Length; r++)
                    for (var c = 0; c < kk.Length; c++)
                    {
                        var s = dense[r * kk.Length + c];
                        dense[r * kk.Length + c] = s == 0 ? 0 : -(alignment.GetValueOrDefault(((long)gg[r] << 32) | (uint)kk[c]) * s);
                    }
            }, mRows, mCols);
            for (var a = 0; a < nA; a++) { fn[a] += G; fp[a] += K; }
            for (var i = 0; i < mRows.Count; i++)
            {
                var s = ClearMetrics.Sim(seq, g0 + mRows[i], mCols[i]);
                var passed = 0;
                while (passed < nA && s >= HotaResult.Alphas[passed] - Eps) passed++;
                if (passed == 0) continue;
                for (var a = 0; a < passed; a++) { tp[a]++; fn[a]--; fp[a]--; loc[a] += s; }
                var key = ((long)gIds[mRows[i]] << 32) | (uint)kIds[mCols[i]];
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

using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Tracking;

/// <summary>
/// HOTA (Luiten et al. 2021) at TrackEval's 19 localisation thresholds α = 0.05, 0.10, …, 0.95: per-α
/// detection counts and association/localisation scores, and the derived DetA, DetRe, DetPr, HOTA.
/// The scalar properties are means over α, as TrackEval reports them.
/// </summary>
public sealed record HotaResult(IReadOnlyList<double> TP, IReadOnlyList<double> FN, IReadOnlyList<double> FP, IReadOnlyList<double> AssA,
    IReadOnlyList<double> AssRe, IReadOnlyList<double> AssPr, IReadOnlyList<double> LocA)
{
    /// <summary>The α thresholds, computed like numpy's <c>np.arange(0.05, 0.99, 0.05)</c>.</summary>
    public static IReadOnlyList<double> Alphas { get; } = Enumerable.Range(0, 19).Select(i => 0.05 + i * 0.05).ToArray();

    /// <summary>DetRe per α: TP / max(1, TP + FN).</summary>
    public IReadOnlyList<double> DetRe => Map((tp, fn, _) => tp / Math.Max(1, tp + fn));
    /// <summary>DetPr per α: TP / max(1, TP + FP).</summary>
    public IReadOnlyList<double> DetPr => Map((tp, _, fp) => tp / Math.Max(1, tp + fp));
    /// <summary>DetA per α: TP / max(1, TP + FN + FP).</summary>
    public IReadOnlyList<double> DetA => Map((tp, fn, fp) => tp / Math.Max(1, tp + fn + fp));
    /// <summary>HOTA per α: √(DetA · AssA).</summary>
    public IReadOnlyList<double> Hota { get { var d = DetA; return d.Select((x, i) => Math.Sqrt(x * AssA[i])).ToArray(); } }
    /// <summary>OWTA per α: √(DetRe · AssA).</summary>
    public IReadOnlyList<double> Owta { get { var d = DetRe; return d.Select((x, i) => Math.Sqrt(x * AssA[i])).ToArray(); } }

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
        var r = new double[TP.Count];
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
    /// <param name="seq">The sequence.</param>
    /// <param name="denseAssignment">Solve every frame on its whole matrix, as TrackEval does (slower; identical results).</param>
    // Runs once per call on large inputs: compile optimised at once rather than tier-0 first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static HotaResult Evaluate(TrackingSequence seq, bool denseAssignment = false)
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
        // Every similarity entry gets the index of its (gt id, tracker id) pair; per pair: Σ over
        // timesteps of the per-timestep "similarity IoU" (TrackEval's potential_matches_count).
        var pairs = new PairIndex(nG, nK);
        var pairOfEntry = new int[seq.SimVal.Length];
        var potential = new List<double>();
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
                    var pid = pairs.GetOrAdd(gIds[r], kIds[c]);
                    if (pid == potential.Count) potential.Add(0);
                    pairOfEntry[e] = pid;
                    var denom = colSum[c] + rowSum[r] - s;
                    if (denom > Eps) potential[pid] += s / denom;
                }
        }
        var alignment = new double[potential.Count];
        for (var pid = 0; pid < alignment.Length; pid++)
            alignment[pid] = potential[pid] / (gtIdCount[pairs.Gt[pid]] + trIdCount[pairs.Tracker[pid]] - potential[pid]);

        // For every pair and level l, how many matches passed exactly l+1 α thresholds (matches are nested in α).
        var passCounts = new int[alignment.Length * nA];
        var matcher = new FrameMatcher(denseAssignment);
        for (var t = 0; t < seq.NumTimesteps; t++)
        {
            var gIds = seq.GtIdsAt(t);
            var kIds = seq.TrackerIdsAt(t);
            if (gIds.Length == 0) { for (var a = 0; a < nA; a++) fp[a] += kIds.Length; continue; }
            if (kIds.Length == 0) { for (var a = 0; a < nA; a++) fn[a] += gIds.Length; continue; }
            int G = gIds.Length, K = kIds.Length;
            var g0 = seq.GtStart[t];
            matcher.Clear();
            for (var r = 0; r < G; r++)
                for (var e = seq.SimStart[g0 + r]; e < seq.SimStart[g0 + r + 1]; e++)
                {
                    var score = alignment[pairOfEntry[e]] * seq.SimVal[e];
                    if (score > 0) { matcher.AddEdge(r, seq.SimCol[e], -score); }
                }
            var tt = t;
            matcher.Match(G, K, dense =>
            {
                // The whole frame's score matrix, as TrackEval builds it, for SciPy-order tie resolution.
                Array.Clear(dense, 0, G * K);
                var gs = seq.GtStart[tt];
                for (var r = 0; r < G; r++)
                    for (var e = seq.SimStart[gs + r]; e < seq.SimStart[gs + r + 1]; e++)
                        dense[r * K + seq.SimCol[e]] = -(alignment[pairOfEntry[e]] * seq.SimVal[e]);
            });
            for (var a = 0; a < nA; a++) { fn[a] += G; fp[a] += K; }
            for (var i = 0; i < matcher.Rows.Count; i++)
            {
                var e = ClearMetrics.Entry(seq, g0 + matcher.Rows[i], matcher.Cols[i]);
                if (e < 0) continue;
                var s = seq.SimVal[e];
                var passed = 0;
                while (passed < nA && s >= HotaResult.Alphas[passed] - Eps) passed++;
                if (passed == 0) continue;
                for (var a = 0; a < passed; a++) { tp[a]++; fn[a]--; fp[a]--; loc[a] += s; }
                passCounts[pairOfEntry[e] * nA + passed - 1]++;
            }
        }

        // Association scores: per pair, matches at α = matches that passed at least a+1 thresholds.
        double[] sa = new double[nA], sr = new double[nA], sp = new double[nA];
        for (var pid = 0; pid < alignment.Length; pid++)
        {
            double mc = 0;
            var gc = gtIdCount[pairs.Gt[pid]];
            var kc = trIdCount[pairs.Tracker[pid]];
            for (var a = nA - 1; a >= 0; a--)
            {
                mc += passCounts[pid * nA + a];
                if (mc == 0) continue;
                sa[a] += mc * (mc / Math.Max(1, gc + kc - mc));
                sr[a] += mc * (mc / Math.Max(1, gc));
                sp[a] += mc * (mc / Math.Max(1, kc));
            }
        }
        for (var a = 0; a < nA; a++)
        {
            assA[a] = sa[a] / Math.Max(1, tp[a]);
            assRe[a] = sr[a] / Math.Max(1, tp[a]);
            assPr[a] = sp[a] / Math.Max(1, tp[a]);
            loc[a] = Math.Max(1e-10, loc[a]) / Math.Max(1e-10, tp[a]);
        }
        return new HotaResult(tp, fn, fp, assA, assRe, assPr, loc);
    }
}

/// <summary>Dense indices for the (gt id, tracker id) pairs that occur: a lookup table when it fits, else a hash map.</summary>
internal sealed class PairIndex(int nG, int nK)
{
    private readonly int[]? _table = (long)nG * nK <= 1 << 22 ? CreateTable(nG * nK) : null;
    private readonly Dictionary<long, int>? _map = (long)nG * nK <= 1 << 22 ? null : new();

    /// <summary>Gt id of each pair index.</summary>
    public List<int> Gt { get; } = [];
    /// <summary>Tracker id of each pair index.</summary>
    public List<int> Tracker { get; } = [];

    /// <summary>The pair's index; a new pair gets the next index (= the previous count).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int GetOrAdd(int g, int k)
    {
        if (_table is not null)
        {
            ref var slot = ref _table[g * nK + k];
            if (slot < 0) { slot = Gt.Count; Gt.Add(g); Tracker.Add(k); }
            return slot;
        }
        ref var v = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_map!, ((long)g << 32) | (uint)k, out var exists);
        if (!exists) { v = Gt.Count; Gt.Add(g); Tracker.Add(k); }
        return v;
    }

    private static int[] CreateTable(int n)
    {
        var t = new int[n];
        Array.Fill(t, -1);
        return t;
    }
}

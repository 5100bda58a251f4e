using System.Runtime.CompilerServices;
using Dyno.Metrics.Assignment;

namespace Dyno.Metrics.Tracking;

/// <summary>Identity metrics (Ristani et al. 2016): IDTP/IDFN/IDFP and IDF1, IDP, IDR.</summary>
public sealed record IdentityResult(int IDTP, int IDFN, int IDFP)
{
    /// <summary>IDTP / max(1, IDTP + (IDFP + IDFN)/2).</summary>
    public double Idf1 => IDTP / Math.Max(1.0, IDTP + 0.5 * IDFP + 0.5 * IDFN);
    /// <summary>IDTP / max(1, IDTP + IDFN).</summary>
    public double Idr => IDTP / Math.Max(1.0, IDTP + IDFN);
    /// <summary>IDTP / max(1, IDTP + IDFP).</summary>
    public double Idp => IDTP / Math.Max(1.0, IDTP + IDFP);

    /// <summary>Sums the counts of several sequences.</summary>
    public static IdentityResult Combine(IEnumerable<IdentityResult> parts) =>
        parts.Aggregate(new IdentityResult(0, 0, 0), (a, b) => new IdentityResult(a.IDTP + b.IDTP, a.IDFN + b.IDFN, a.IDFP + b.IDFP));
}

/// <summary>
/// TrackEval's Identity metric: one global one-to-one matching of ground-truth ids to tracker ids
/// that maximises the number of frames in which the matched pair overlaps with IoU ≥ threshold.
/// </summary>
public static class IdentityMetrics
{
    /// <summary>Evaluates one sequence.</summary>
    // Runs once per call on large inputs: compile optimised at once rather than tier-0 first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static IdentityResult Evaluate(TrackingSequence seq, double threshold = 0.5)
    {
        if (seq.NumTrackerDets == 0) return new IdentityResult(0, seq.NumGtDets, 0);
        if (seq.NumGtDets == 0) return new IdentityResult(0, 0, seq.NumTrackerDets);
        var pairs = new Dictionary<long, int>();
        for (var t = 0; t < seq.NumTimesteps; t++)
        {
            var g0 = seq.GtStart[t];
            var k0 = seq.TrackerStart[t];
            for (var d = g0; d < seq.GtStart[t + 1]; d++)
                for (var e = seq.SimStart[d]; e < seq.SimStart[d + 1]; e++)
                    if (seq.SimVal[e] >= threshold)
                    {
                        var key = ((long)seq.GtIds[d] << 32) | (uint)seq.TrackerIds[k0 + seq.SimCol[e]];
                        pairs[key] = pairs.GetValueOrDefault(key) + 1;
                    }
        }
        var idtp = (int)GlobalMatching.MaxWeight(pairs);
        return new IdentityResult(idtp, seq.NumGtDets - idtp, seq.NumTrackerDets - idtp);
    }
}

/// <summary>Global id matching shared by the Identity metrics of both reference tools.</summary>
internal static class GlobalMatching
{
    /// <summary>
    /// Largest total weight of a one-to-one matching between rows and columns, given the positive
    /// weights of the pairs (key = row &lt;&lt; 32 | column). The optimum value is unique, so the graph is
    /// split into connected components and each is solved with <see cref="LinearAssignment"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static double MaxWeight(IReadOnlyDictionary<long, int> weights)
    {
        if (weights.Count == 0) return 0;
        var rowIndex = new Dictionary<int, int>();
        var colIndex = new Dictionary<int, int>();
        foreach (var key in weights.Keys)
        {
            rowIndex.TryAdd((int)(key >> 32), rowIndex.Count);
            colIndex.TryAdd((int)(uint)key, colIndex.Count);
        }
        var nr = rowIndex.Count;
        var parent = new int[nr + colIndex.Count];
        for (var i = 0; i < parent.Length; i++) parent[i] = i;
        int Find(int x) { while (parent[x] != x) x = parent[x] = parent[parent[x]]; return x; }
        foreach (var key in weights.Keys)
        {
            var a = Find(rowIndex[(int)(key >> 32)]);
            var b = Find(nr + colIndex[(int)(uint)key]);
            if (a != b) parent[a] = b;
        }
        var groups = new Dictionary<int, (List<int> Rows, List<int> Cols)>();
        foreach (var (row, ri) in rowIndex) Group(Find(ri)).Rows.Add(row);
        foreach (var (col, ci) in colIndex) Group(Find(nr + ci)).Cols.Add(col);
        (List<int> Rows, List<int> Cols) Group(int root)
        {
            if (!groups.TryGetValue(root, out var g)) groups[root] = g = ([], []);
            return g;
        }

        double total = 0;
        foreach (var (rows, cols) in groups.Values)
        {
            if (rows.Count == 1 || cols.Count == 1)
            {
                var best = 0;
                foreach (var r in rows) foreach (var c in cols) best = Math.Max(best, weights.GetValueOrDefault(((long)r << 32) | (uint)c));
                total += best;
                continue;
            }
            var cost = new double[rows.Count * cols.Count];
            for (var i = 0; i < rows.Count; i++)
                for (var j = 0; j < cols.Count; j++)
                    cost[i * cols.Count + j] = -weights.GetValueOrDefault(((long)rows[i] << 32) | (uint)cols[j]);
            total -= LinearAssignment.Solve(cost, rows.Count, cols.Count).TotalCost;
        }
        return total;
    }
}

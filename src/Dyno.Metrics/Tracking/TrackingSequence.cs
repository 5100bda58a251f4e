using System.Runtime.CompilerServices;
namespace Dyno.Metrics.Tracking;

/// <summary>
/// One sequence ready for evaluation, in TrackEval's shape: for every timestep the ground-truth and
/// tracker ids present (relabelled 0..n−1 in sorted order of the original ids) and their pairwise
/// similarity (box IoU), stored sparsely: for each ground-truth detection the tracker detections of
/// the same timestep it overlaps, with the similarity.
/// </summary>
public sealed class TrackingSequence
{
    private TrackingSequence(string name, int timesteps, int[] gtStart, int[] gtIds, int[] trStart, int[] trIds,
        int[] simStart, int[] simCol, double[] simVal, int numGtIds, int numTrackerIds)
    {
        Name = name;
        NumTimesteps = timesteps;
        GtStart = gtStart;
        GtIds = gtIds;
        TrackerStart = trStart;
        TrackerIds = trIds;
        SimStart = simStart;
        SimCol = simCol;
        SimVal = simVal;
        NumGtIds = numGtIds;
        NumTrackerIds = numTrackerIds;
    }

    /// <summary>Sequence name.</summary>
    public string Name { get; }
    /// <summary>Number of timesteps (frames), including empty ones.</summary>
    public int NumTimesteps { get; }
    /// <summary>Number of distinct ground-truth ids.</summary>
    public int NumGtIds { get; }
    /// <summary>Number of distinct tracker ids.</summary>
    public int NumTrackerIds { get; }
    /// <summary>Total ground-truth detections.</summary>
    public int NumGtDets => GtIds.Length;
    /// <summary>Total tracker detections.</summary>
    public int NumTrackerDets => TrackerIds.Length;

    /// <summary>Ground-truth detections of timestep t are GtIds[GtStart[t]..GtStart[t+1]).</summary>
    internal int[] GtStart { get; }
    internal int[] GtIds { get; }
    internal int[] TrackerStart { get; }
    internal int[] TrackerIds { get; }
    // Sparse similarity: for ground-truth detection d (global index), entries SimStart[d]..SimStart[d+1]
    // hold (tracker column within the timestep, similarity > 0).
    internal int[] SimStart { get; }
    // Table row of each ground-truth / tracker detection (null when built from similarities).
    internal int[]? GtRow { get; private init; }
    internal int[]? TrackerRow { get; private init; }
    internal int[] SimCol { get; }
    internal double[] SimVal { get; }

    /// <summary>Ground-truth ids present at timestep <paramref name="t"/>.</summary>
    public ReadOnlySpan<int> GtIdsAt(int t) => GtIds.AsSpan(GtStart[t], GtStart[t + 1] - GtStart[t]);

    /// <summary>Tracker ids present at timestep <paramref name="t"/>.</summary>
    public ReadOnlySpan<int> TrackerIdsAt(int t) => TrackerIds.AsSpan(TrackerStart[t], TrackerStart[t + 1] - TrackerStart[t]);

    /// <summary>Writes the dense row-major similarity matrix of timestep <paramref name="t"/> (gt × tracker).</summary>
    // Runs once per call on large inputs: compile optimised at once rather than tier-0 first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Similarity(int t, Span<double> into)
    {
        var k = TrackerStart[t + 1] - TrackerStart[t];
        var g0 = GtStart[t];
        var g = GtStart[t + 1] - g0;
        into[..(g * k)].Clear();
        for (var r = 0; r < g; r++)
            for (var e = SimStart[g0 + r]; e < SimStart[g0 + r + 1]; e++)
                into[r * k + SimCol[e]] = SimVal[e];
    }

    /// <summary>
    /// Builds a sequence from box tables with TrackEval's box IoU as similarity. Frames
    /// <paramref name="firstFrame"/>..<paramref name="firstFrame"/>+<paramref name="numTimesteps"/>−1 are evaluated;
    /// rows outside that range are an error.
    /// </summary>
    public static TrackingSequence FromBoxes(string name, TrackTable gt, TrackTable pred, int numTimesteps, int firstFrame = 1)
    {
        FrameOverlaps.CheckRange(gt, "ground truth", name, firstFrame, numTimesteps);
        FrameOverlaps.CheckRange(pred, "tracker", name, firstFrame, numTimesteps);
        return FromOverlaps(name, gt, pred, FrameOverlaps.Compute(gt, pred, firstFrame, numTimesteps), null, null);
    }

    // Keeps only the flagged rows (null = all), relabels ids in sorted order, remaps similarity columns.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static TrackingSequence FromOverlaps(string name, TrackTable gt, TrackTable pred, FrameOverlaps ov, bool[]? keepGt, bool[]? keepPred)
    {
        var T = ov.Frames;
        // Like TrackEval, ids must be unique per frame in the raw data (before preprocessing).
        CheckUnique(gt, ov.GtStart, "ground truth", name);
        CheckUnique(pred, ov.PredStart, "tracker", name);
        var (gtIdAll, nG) = Relabel(gt.Id, keepGt);
        var (trIdAll, nT) = Relabel(pred.Id, keepPred);
        var gs = new int[T + 1];
        var ts = new int[T + 1];
        var gIds = new List<int>(gt.Count);
        var kIds = new List<int>(pred.Count);
        var local = new int[pred.Count]; // prediction row -> column within its timestep (−1 = removed)
        var gtRows = new List<int>(gt.Count);
        var trRows = new List<int>(pred.Count);
        var simStart = new List<int>(gt.Count + 1);
        var cols = new List<int>(ov.Col.Length);
        var vals = new List<double>(ov.Col.Length);
        for (var t = 0; t < T; t++)
        {
            gs[t] = gIds.Count;
            ts[t] = kIds.Count;
            for (var j = ov.PredStart[t]; j < ov.PredStart[t + 1]; j++)
            {
                if (keepPred is null || keepPred[j]) { local[j] = kIds.Count - ts[t]; kIds.Add(trIdAll[j]); trRows.Add(j); }
                else local[j] = -1;
            }
            for (var d = ov.GtStart[t]; d < ov.GtStart[t + 1]; d++)
            {
                if (keepGt is not null && !keepGt[d]) continue;
                gIds.Add(gtIdAll[d]);
                gtRows.Add(d);
                simStart.Add(cols.Count);
                for (var e = ov.RowStart[d]; e < ov.RowStart[d + 1]; e++)
                {
                    var c = local[ov.Col[e]];
                    if (c >= 0) { cols.Add(c); vals.Add(ov.Val[e]); }
                }
            }
        }
        gs[T] = gIds.Count;
        ts[T] = kIds.Count;
        simStart.Add(cols.Count);
        var gtIds = gIds.ToArray();
        var trIds = kIds.ToArray();
        return new TrackingSequence(name, T, gs, gtIds, ts, trIds, simStart.ToArray(), cols.ToArray(), vals.ToArray(), nG, nT)
        {
            GtRow = gtRows.ToArray(),
            TrackerRow = trRows.ToArray(),
        };
    }

    /// <summary>
    /// Builds a sequence directly from TrackEval-style data: per timestep the (already contiguous)
    /// ground-truth ids, tracker ids and a dense gt × tracker similarity matrix.
    /// </summary>
    public static TrackingSequence FromSimilarity(string name, IReadOnlyList<int[]> gtIds, IReadOnlyList<int[]> trackerIds,
        IReadOnlyList<double[,]> similarity)
    {
        var T = gtIds.Count;
        if (trackerIds.Count != T || similarity.Count != T) throw new ArgumentException("gtIds, trackerIds and similarity need one entry per timestep");
        var gs = new int[T + 1];
        var ts = new int[T + 1];
        var g = new List<int>();
        var k = new List<int>();
        var simStart = new List<int>();
        var cols = new List<int>();
        var vals = new List<double>();
        for (var t = 0; t < T; t++)
        {
            gs[t] = g.Count; ts[t] = k.Count;
            var s = similarity[t];
            if (s.GetLength(0) != gtIds[t].Length || s.GetLength(1) != trackerIds[t].Length)
                throw new ArgumentException($"timestep {t}: similarity is {s.GetLength(0)}×{s.GetLength(1)}, expected {gtIds[t].Length}×{trackerIds[t].Length}");
            g.AddRange(gtIds[t]);
            k.AddRange(trackerIds[t]);
            for (var r = 0; r < gtIds[t].Length; r++)
            {
                simStart.Add(cols.Count);
                for (var c = 0; c < trackerIds[t].Length; c++)
                    if (s[r, c] != 0) { cols.Add(c); vals.Add(s[r, c]); }
            }
        }
        gs[T] = g.Count; ts[T] = k.Count;
        simStart.Add(cols.Count);
        var nG = g.Count == 0 ? 0 : g.Max() + 1;
        var nT = k.Count == 0 ? 0 : k.Max() + 1;
        return new TrackingSequence(name, T, gs, g.ToArray(), ts, k.ToArray(), simStart.ToArray(), cols.ToArray(), vals.ToArray(), nG, nT);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CheckUnique(TrackTable tab, int[] starts, string what, string seq)
    {
        var buf = new long[16];
        for (var t = 0; t + 1 < starts.Length; t++)
        {
            int s0 = starts[t], n = starts[t + 1] - s0;
            if (n < 2) continue;
            if (buf.Length < n) buf = new long[Math.Max(n, buf.Length * 2)];
            for (var i = 0; i < n; i++) buf[i] = ((long)tab.Id[s0 + i] << 32) | (uint)(s0 + i);
            var span = buf.AsSpan(0, n);
            span.Sort();
            for (var i = 1; i < n; i++)
                if (span[i] >> 32 == span[i - 1] >> 32)
                {
                    int first = (int)(uint)span[i - 1], row = (int)(uint)span[i];
                    throw new InvalidDataException($"{seq}: {what} line {tab.Line[row]}: id {tab.Id[row]} appears twice in frame {tab.Frame[row]} (also line {tab.Line[first]})");
                }
        }
    }

    // Sorted-order relabelling of the kept rows' ids to 0..n−1, as TrackEval does (removed rows get −1).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int[] Ids, int Count) Relabel(int[] ids, bool[]? keep)
    {
        var unique = new HashSet<int>();
        for (var i = 0; i < ids.Length; i++) if (keep is null || keep[i]) unique.Add(ids[i]);
        var sorted = unique.ToArray();
        Array.Sort(sorted);
        var map = new Dictionary<int, int>(sorted.Length);
        for (var i = 0; i < sorted.Length; i++) map[sorted[i]] = i;
        var r = new int[ids.Length];
        for (var i = 0; i < ids.Length; i++) r[i] = keep is null || keep[i] ? map[ids[i]] : -1;
        return (r, sorted.Length);
    }
}

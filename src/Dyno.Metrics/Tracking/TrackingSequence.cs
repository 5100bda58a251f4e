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
    internal int[] SimCol { get; }
    internal double[] SimVal { get; }

    /// <summary>Ground-truth ids present at timestep <paramref name="t"/>.</summary>
    public ReadOnlySpan<int> GtIdsAt(int t) => GtIds.AsSpan(GtStart[t], GtStart[t + 1] - GtStart[t]);

    /// <summary>Tracker ids present at timestep <paramref name="t"/>.</summary>
    public ReadOnlySpan<int> TrackerIdsAt(int t) => TrackerIds.AsSpan(TrackerStart[t], TrackerStart[t + 1] - TrackerStart[t]);

    /// <summary>Writes the dense row-major similarity matrix of timestep <paramref name="t"/> (gt × tracker).</summary>
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
        CheckRange(gt, "ground truth", name, firstFrame, numTimesteps);
        CheckRange(pred, "tracker", name, firstFrame, numTimesteps);
        var gs = gt.FrameStarts(firstFrame, numTimesteps);
        var ts = pred.FrameStarts(firstFrame, numTimesteps);
        var (gtIds, nG) = Relabel(gt.Id);
        var (trIds, nT) = Relabel(pred.Id);
        CheckUnique(gt, gtIds, gs, "ground truth", name);
        CheckUnique(pred, trIds, ts, "tracker", name);

        var simStart = new int[gt.Count + 1];
        var cols = new List<int>(gt.Count * 2);
        var vals = new List<double>(gt.Count * 2);
        for (var t = 0; t < numTimesteps; t++)
        {
            int k0 = ts[t], k1 = ts[t + 1];
            for (var d = gs[t]; d < gs[t + 1]; d++)
            {
                simStart[d] = cols.Count;
                var ax1 = gt.X[d]; var ay1 = gt.Y[d];
                var ax2 = ax1 + gt.W[d]; var ay2 = ay1 + gt.H[d];
                for (var j = k0; j < k1; j++)
                {
                    var iou = TrackingIou.TrackEval(ax1, ay1, ax2, ay2, pred.X[j], pred.Y[j], pred.X[j] + pred.W[j], pred.Y[j] + pred.H[j]);
                    if (iou > 0) { cols.Add(j - k0); vals.Add(iou); }
                }
            }
        }
        simStart[gt.Count] = cols.Count;
        return new TrackingSequence(name, numTimesteps, gs, gtIds, ts, trIds, simStart, cols.ToArray(), vals.ToArray(), nG, nT);
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

    private static void CheckRange(TrackTable tab, string what, string seq, int first, int frames)
    {
        for (var i = 0; i < tab.Count; i++)
        {
            var t = tab.Frame[i] - first;
            if (t < 0 || t >= frames)
                throw new InvalidDataException($"{seq}: {what} line {tab.Line[i]}: frame {tab.Frame[i]} is outside the sequence's frames {first}..{first + frames - 1}");
        }
    }

    private static void CheckUnique(TrackTable tab, int[] ids, int[] starts, string what, string seq)
    {
        var seen = new Dictionary<int, int>();
        for (var t = 0; t + 1 < starts.Length; t++)
        {
            if (starts[t + 1] - starts[t] < 2) continue;
            seen.Clear();
            for (var i = starts[t]; i < starts[t + 1]; i++)
                if (!seen.TryAdd(ids[i], i))
                    throw new InvalidDataException($"{seq}: {what} line {tab.Line[i]}: id {tab.Id[i]} appears twice in frame {tab.Frame[i]} (also line {tab.Line[seen[ids[i]]]})");
        }
    }

    // Sorted-order relabelling of ids to 0..n−1, as TrackEval does.
    private static (int[] Ids, int Count) Relabel(int[] ids)
    {
        if (ids.Length == 0) return ([], 0);
        var unique = ids.Distinct().ToArray();
        Array.Sort(unique);
        var map = new Dictionary<int, int>(unique.Length);
        for (var i = 0; i < unique.Length; i++) map[unique[i]] = i;
        var r = new int[ids.Length];
        for (var i = 0; i < ids.Length; i++) r[i] = map[ids[i]];
        return (r, unique.Length);
    }
}

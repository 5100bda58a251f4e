using System.Runtime.CompilerServices;
using Dyno.Metrics.Assignment;

namespace Dyno.Metrics.Tracking;

/// <summary>
/// py-motmetrics' summary of an accumulator (its default metric names, snake_case). MOTP here is
/// py-motmetrics' mean <em>distance</em> of matches (1 − IoU for box IoU distances).
/// </summary>
public sealed record MotMetricsSummary(
    int NumFrames, int NumMatches, int NumSwitches, int NumTransfer, int NumAscend, int NumMigrate,
    int NumFalsePositives, int NumMisses, int NumObjects, int NumPredictions, int NumUniqueObjects,
    int MostlyTracked, int PartiallyTracked, int MostlyLost, int NumFragmentations, double DistanceSum,
    int Idtp, int Idfn, int Idfp)
{
    /// <summary>Matches plus switches.</summary>
    public int NumDetections => NumMatches + NumSwitches;
    /// <summary>1 − (misses + switches + false positives) / objects.</summary>
    public double Mota => 1.0 - Div(NumMisses + NumSwitches + NumFalsePositives, NumObjects);
    /// <summary>Mean distance of matches and switches.</summary>
    public double Motp => Div(DistanceSum, NumDetections);
    /// <summary>Detections / (detections + false positives).</summary>
    public double Precision => Div(NumDetections, NumFalsePositives + NumDetections);
    /// <summary>Detections / objects.</summary>
    public double Recall => Div(NumDetections, NumObjects);
    /// <summary>IDTP / (IDTP + IDFP).</summary>
    public double Idp => Div(Idtp, Idtp + Idfp);
    /// <summary>IDTP / (IDTP + IDFN).</summary>
    public double Idr => Div(Idtp, Idtp + Idfn);
    /// <summary>2 IDTP / (objects + predictions).</summary>
    public double Idf1 => Div(2.0 * Idtp, NumObjects + NumPredictions);

    /// <summary>py-motmetrics' OVERALL: the sequences' events merged with ids made unique per sequence, i.e. every count summed.</summary>
    public static MotMetricsSummary Combine(IEnumerable<MotMetricsSummary> parts) =>
        parts.Aggregate(new MotMetricsSummary(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), (a, b) => new MotMetricsSummary(
            a.NumFrames + b.NumFrames, a.NumMatches + b.NumMatches, a.NumSwitches + b.NumSwitches, a.NumTransfer + b.NumTransfer,
            a.NumAscend + b.NumAscend, a.NumMigrate + b.NumMigrate, a.NumFalsePositives + b.NumFalsePositives, a.NumMisses + b.NumMisses,
            a.NumObjects + b.NumObjects, a.NumPredictions + b.NumPredictions, a.NumUniqueObjects + b.NumUniqueObjects,
            a.MostlyTracked + b.MostlyTracked, a.PartiallyTracked + b.PartiallyTracked, a.MostlyLost + b.MostlyLost,
            a.NumFragmentations + b.NumFragmentations, a.DistanceSum + b.DistanceSum, a.Idtp + b.Idtp, a.Idfn + b.Idfn, a.Idfp + b.Idfp));

    // numpy division semantics: x/0 is ±inf, 0/0 is NaN.
    private static double Div(double a, double b) => a / b;
}

/// <summary>
/// A re-implementation of py-motmetrics' <c>MOTAccumulator</c> (version 1.2 event rules): per frame,
/// pairs matched in earlier frames are kept while their distance is finite; the rest are assigned by a
/// min-cost matching on distances (NaN = not allowed), and a match that contradicts an earlier
/// pairing is a switch. <see cref="Summary"/> computes py-motmetrics' default metrics.
/// </summary>
public sealed class MotAccumulator
{
    private readonly bool _denseAssignment;
    private readonly FrameMatcher _matcher = new();

    /// <summary>
    /// Creates an empty accumulator. By default each frame's assignment is solved per connected
    /// component of the allowed pairs (with SciPy's dense order on ties, see docs/tracking.md);
    /// <paramref name="denseAssignment"/> solves every frame on the whole matrix as py-motmetrics does.
    /// Both give identical events.
    /// </summary>
    public MotAccumulator(bool denseAssignment = false) => _denseAssignment = denseAssignment;

    private readonly Dictionary<int, int> _pairing = [];      // m: object -> last hypothesis
    private readonly Dictionary<int, int> _resPairing = [];   // res_m: hypothesis -> last object
    private readonly HashSet<int> _everMatchedObject = [];    // last_match keys
    private readonly HashSet<int> _hypHistory = [];
    private readonly Dictionary<int, ObjectState> _objects = [];
    private readonly Dictionary<int, int> _hypFrames = [];
    private readonly Dictionary<long, int> _finitePairs = [];
    private readonly HashSet<long> _frames = [];
    private int _matches, _switches, _transfer, _ascend, _migrate, _fp, _misses, _objectsSeen, _predictions;
    private double _distanceSum;
    private long? _lastFrame;

    private sealed class ObjectState
    {
        public int Frames, Tracked, Fragments;
        public bool TrackedBefore, InGap;
    }

    /// <summary>
    /// Adds one frame: object ids, hypothesis ids and the row-major objects × hypotheses distance
    /// matrix (NaN = the pair may not match). Frame ids must increase; null continues from the last one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Update(IReadOnlyList<int> objectIds, IReadOnlyList<int> hypothesisIds, ReadOnlySpan<double> distances, long? frameId = null)
    {
        int no = objectIds.Count, nh = hypothesisIds.Count;
        var frame = frameId ?? (_lastFrame + 1 ?? 0);
        if (no * nh != 0 && distances.Length != no * nh)
            throw new ArgumentException($"frame {frame}: distance matrix has {distances.Length} entries, expected {no}×{nh}");
        _lastFrame = frame;
        _frames.Add(frame);
        var d = distances.Length == no * nh ? distances.ToArray() : new double[no * nh];
        if (distances.Length != no * nh) Array.Fill(d, double.NaN);

        // RAW events feed the identity counts: frames per id, finite-distance frames per pair.
        foreach (var o in objectIds) Object(o).Frames++;
        foreach (var h in hypothesisIds) _hypFrames[h] = _hypFrames.GetValueOrDefault(h) + 1;
        for (var i = 0; i < no; i++)
            for (var j = 0; j < nh; j++)
                if (double.IsFinite(d[i * nh + j]))
                {
                    var key = ((long)objectIds[i] << 32) | (uint)hypothesisIds[j];
                    _finitePairs[key] = _finitePairs.GetValueOrDefault(key) + 1;
                }
        _objectsSeen += no;
        _predictions += nh;

        var oMasked = new bool[no];
        var hMasked = new bool[nh];
        if (no * nh > 0)
        {
            // 1. Carry forward pairings from earlier frames.
            for (var i = 0; i < no; i++)
            {
                if (!_pairing.TryGetValue(objectIds[i], out var hprev)) continue;
                var j = -1;
                for (var q = 0; q < nh; q++) if (!hMasked[q] && hypothesisIds[q] == hprev) { j = q; break; }
                if (j < 0 || !double.IsFinite(d[i * nh + j])) continue;
                oMasked[i] = hMasked[j] = true;
                Match(objectIds[i], hypothesisIds[j], d[i * nh + j], isSwitch: false);
                _everMatchedObject.Add(objectIds[i]);
                _hypHistory.Add(hypothesisIds[j]);
            }
            // 2. Min-cost matching of the rest.
            for (var i = 0; i < no; i++)
                for (var j = 0; j < nh; j++)
                    if (oMasked[i] || hMasked[j]) d[i * nh + j] = double.NaN;
            var matched = _denseAssignment ? SolveWithMissingEdges(d, no, nh) : SolveSparse(d, no, nh);
            foreach (var (i, j) in matched)
            {
                int o = objectIds[i], h = hypothesisIds[j];
                var isSwitch = _pairing.TryGetValue(o, out var prevH) && prevH != h;
                if (isSwitch && !_hypHistory.Contains(h)) _ascend++;
                if (_resPairing.TryGetValue(h, out var prevO) && prevO != o)
                {
                    if (!_everMatchedObject.Contains(o)) _migrate++;
                    _transfer++;
                }
                _hypHistory.Add(h);
                _everMatchedObject.Add(o);
                Match(o, h, d[i * nh + j], isSwitch);
                oMasked[i] = hMasked[j] = true;
                _pairing[o] = h;
                _resPairing[h] = o;
            }
        }
        // 3./4. Misses and false positives.
        for (var i = 0; i < no; i++)
            if (!oMasked[i])
            {
                _misses++;
                var s = Object(objectIds[i]);
                if (s.TrackedBefore) s.InGap = true;
            }
        for (var j = 0; j < nh; j++) if (!hMasked[j]) _fp++;
    }

    private void Match(int o, int h, double dist, bool isSwitch)
    {
        if (isSwitch) _switches++; else _matches++;
        _distanceSum += dist;
        var s = Object(o);
        s.Tracked++;
        if (s.InGap) s.Fragments++;
        s.InGap = false;
        s.TrackedBefore = true;
    }

    private ObjectState Object(int o)
    {
        if (!_objects.TryGetValue(o, out var s)) _objects[o] = s = new ObjectState();
        return s;
    }

    // The same assignment through FrameMatcher: with L the missing-edge cost, SciPy's optimum on the
    // (distance, L) matrix is the maximum-weight matching with weights L − distance (most allowed pairs
    // first, then least total distance), so components can be solved separately; ties fall back to the
    // exact dense matrix below.
    private List<(int, int)> SolveSparse(double[] d, int no, int nh)
    {
        var result = new List<(int, int)>();
        var (anyValid, allValid, large) = MissingEdgeCost(d, no, nh);
        if (!anyValid) return result;
        _matcher.Clear();
        for (var i = 0; i < no; i++)
            for (var j = 0; j < nh; j++)
                if (double.IsFinite(d[i * nh + j])) _matcher.AddEdge(i, j, d[i * nh + j] - large);
        _matcher.Match(no, nh, dense =>
        {
            for (var k = 0; k < d.Length; k++) dense[k] = allValid || double.IsFinite(d[k]) ? d[k] : large;
        }, (i, j) => double.IsFinite(d[i * nh + j]));
        for (var q = 0; q < _matcher.Rows.Count; q++) result.Add((_matcher.Rows[q], _matcher.Cols[q]));
        return result;
    }

    // add_expensive_edges: the cost of a missing edge is 2·r·c + 1, r = min(shape), c = max |valid| + 1.
    private static (bool AnyValid, bool AllValid, double Large) MissingEdgeCost(double[] d, int no, int nh)
    {
        var anyValid = false;
        var allValid = true;
        var maxAbs = 0.0;
        foreach (var x in d)
        {
            if (double.IsFinite(x)) { anyValid = true; maxAbs = Math.Max(maxAbs, Math.Abs(x)); }
            else allValid = false;
        }
        return (anyValid, allValid, 2.0 * Math.Min(no, nh) * (maxAbs + 1) + 1);
    }

    // py-motmetrics' lap.linear_sum_assignment with the SciPy solver: missing edges (NaN) get a cost
    // larger than any complete assignment of real edges, then matches on missing edges are dropped.
    private static List<(int, int)> SolveWithMissingEdges(double[] d, int no, int nh)
    {
        var result = new List<(int, int)>();
        var (anyValid, allValid, large) = MissingEdgeCost(d, no, nh);
        if (!anyValid) return result; // every pair of the zero-cost matching would be dropped
        var cost = new double[d.Length];
        for (var k = 0; k < d.Length; k++) cost[k] = allValid || double.IsFinite(d[k]) ? d[k] : large;
        var m = LinearAssignment.Solve(cost, no, nh);
        for (var k = 0; k < m.Count; k++)
            if (double.IsFinite(d[m.Rows[k] * nh + m.Columns[k]])) result.Add((m.Rows[k], m.Columns[k]));
        return result;
    }

    /// <summary>py-motmetrics' default metrics over everything accumulated so far.</summary>
    public MotMetricsSummary Summary()
    {
        int mt = 0, pt = 0, ml = 0, frag = 0;
        foreach (var s in _objects.Values)
        {
            var ratio = (double)s.Tracked / s.Frames;
            if (ratio >= 0.8) mt++;
            else if (ratio >= 0.2) pt++;
            else ml++;
            frag += s.Fragments;
        }
        var idtp = (int)GlobalMatching.MaxWeight(_finitePairs);
        var totalHyp = _hypFrames.Values.Sum();
        return new MotMetricsSummary(_frames.Count, _matches, _switches, _transfer, _ascend, _migrate, _fp, _misses,
            _objectsSeen, _predictions, _objects.Count, mt, pt, ml, frag, _distanceSum,
            idtp, _objectsSeen - idtp, totalHyp - idtp);
    }

    /// <summary>
    /// py-motmetrics' <c>compare_to_groundtruth(gt, pred, 'iou', distth)</c> on one sequence, after
    /// its MOTChallenge loader's shift of x and y by −1: every frame present in either table is an
    /// update, and pairs with IoU distance above <paramref name="maxDistance"/> may not match.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static MotAccumulator CompareToGroundTruth(TrackTable gt, TrackTable pred, double maxDistance = 0.5, bool denseAssignment = false)
    {
        var acc = new MotAccumulator(denseAssignment);
        int i = 0, j = 0;
        var dist = new List<double>();
        while (i < gt.Count || j < pred.Count)
        {
            var f = Math.Min(i < gt.Count ? gt.Frame[i] : int.MaxValue, j < pred.Count ? pred.Frame[j] : int.MaxValue);
            var i1 = i; while (i1 < gt.Count && gt.Frame[i1] == f) i1++;
            var j1 = j; while (j1 < pred.Count && pred.Frame[j1] == f) j1++;
            dist.Clear();
            for (var a = i; a < i1; a++)
                for (var b = j; b < j1; b++)
                {
                    var iou = TrackingIou.MotMetrics(gt.X[a] - 1, gt.Y[a] - 1, gt.W[a], gt.H[a], pred.X[b] - 1, pred.Y[b] - 1, pred.W[b], pred.H[b]);
                    var dd = 1 - iou;
                    dist.Add(dd > maxDistance ? double.NaN : dd);
                }
            acc.Update(gt.Id[i..i1], pred.Id[j..j1], System.Runtime.InteropServices.CollectionsMarshal.AsSpan(dist), f);
            i = i1; j = j1;
        }
        return acc;
    }
}

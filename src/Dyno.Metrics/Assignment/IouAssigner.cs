using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Assignment;

/// <summary>
/// The outcome of IoU-threshold assignment for each anchor: the matched ground-truth index, or
/// <see cref="Negative"/> (background) or <see cref="Ignored"/> (between thresholds, no loss).
/// </summary>
/// <param name="MatchedGt">Per anchor: ground-truth index, <see cref="Negative"/> or <see cref="Ignored"/>.</param>
/// <param name="Labels">Per anchor: the matched ground truth's class, −1 otherwise.</param>
/// <param name="MaxIou">Per anchor: its best IoU with any ground truth.</param>
/// <param name="PositivesPerGt">Per ground truth: how many anchors were assigned to it.</param>
/// <param name="GtMaxIou">Per ground truth: its best IoU with any anchor.</param>
public sealed record AnchorAssignment(int[] MatchedGt, int[] Labels, double[] MaxIou, int[] PositivesPerGt, double[] GtMaxIou)
{
    /// <summary>MatchedGt value of a background anchor.</summary>
    public const int Negative = -1;

    /// <summary>MatchedGt value of an anchor that gets no classification loss.</summary>
    public const int Ignored = -2;

    /// <summary>Anchors matched to a ground-truth box.</summary>
    public int Positives => MatchedGt.Count(m => m >= 0);

    /// <summary>Background anchors.</summary>
    public int Negatives => MatchedGt.Count(m => m == Negative);

    /// <summary>Anchors between the thresholds.</summary>
    public int IgnoredCount => MatchedGt.Count(m => m == Ignored);
}

/// <summary>
/// Max-IoU anchor assignment (Faster R-CNN's RPN, RetinaNet; mmdet's <c>MaxIoUAssigner</c>, torchvision's
/// <c>Matcher</c>): an anchor whose best IoU with any ground truth is ≥ <see cref="PositiveIou"/> is positive
/// for that ground truth, &lt; <see cref="NegativeIou"/> is negative, otherwise ignored. With
/// <see cref="BestAnchorPositive"/>, every anchor that reaches a ground truth's highest IoU (all ties) becomes
/// positive for it, provided that IoU is &gt; 0 and ≥ <see cref="MinPositiveIou"/> (mmdet's rule, later
/// ground truths winning; torchvision instead keeps each such anchor's own argmax and also accepts IoU 0).
/// </summary>
public sealed record IouAssigner(double PositiveIou = 0.7, double NegativeIou = 0.3, bool BestAnchorPositive = true,
    double MinPositiveIou = 0)
{
    /// <summary>Assigns anchors to ground-truth boxes (with optional class labels, −1 for unlabelled).</summary>
    public AnchorAssignment Assign(ReadOnlySpan<Box> anchors, ReadOnlySpan<Box> groundTruth, ReadOnlySpan<int> labels = default) =>
        Assign(anchors.ToArray(), groundTruth, labels, parallel: (long)anchors.Length * groundTruth.Length >= 1 << 17);

    /// <summary>
    /// The same assignment for generated anchors, computing IoU only for the anchors the grid layout says
    /// may overlap each ground truth (all others have IoU 0): the result equals the dense overload's.
    /// </summary>
    public AnchorAssignment Assign(AnchorSet anchors, ReadOnlySpan<Box> groundTruth, ReadOnlySpan<int> labels = default)
    {
        var work = new SparseWork();
        AssignInto(anchors, groundTruth, labels, work);
        return Finish(work.Matched.AsSpan(0, anchors.Anchors.Length), work.MaxIou.AsSpan(0, anchors.Anchors.Length), work.GtMax.AsSpan(0, groundTruth.Length),
            labels, groundTruth.Length);
    }

    /// <summary>Reusable buffers of the sparse assignment (one per thread in dataset loops).</summary>
    internal sealed class SparseWork
    {
        public int[] Matched = [];
        public double[] MaxIou = [];
        public int[] Arg = [];
        public double[] GtMax = [];
        public int[] Start = [];
        public readonly List<(int Anchor, double Iou)> Pairs = [];
        public readonly List<int> Candidates = [];

        public void Reset(int anchors, int gts)
        {
            if (Matched.Length < anchors) (Matched, MaxIou, Arg) = (new int[anchors], new double[anchors], new int[anchors]);
            if (Start.Length < gts + 1) (GtMax, Start) = (new double[gts], new int[gts + 1]);
            Array.Clear(MaxIou, 0, anchors);
            Array.Clear(Arg, 0, anchors);
            Array.Clear(GtMax, 0, gts);
            Pairs.Clear();
        }
    }

    /// <summary>The sparse assignment into <paramref name="work"/>: Matched, MaxIou (per anchor) and GtMax (per ground truth).</summary>
    internal void AssignInto(AnchorSet anchors, ReadOnlySpan<Box> groundTruth, ReadOnlySpan<int> labels, SparseWork work)
    {
        Validate(groundTruth.Length, labels.Length);
        var a = anchors.Anchors.Length;
        var g = groundTruth.Length;
        work.Reset(a, g);
        var (maxIou, arg, gtMax, start, pairs, candidates) = (work.MaxIou, work.Arg, work.GtMax, work.Start, work.Pairs, work.Candidates);
        // Non-zero IoUs, ground truth after ground truth: (anchor, IoU) from start[i] to start[i + 1].
        for (var i = 0; i < g; i++)
        {
            start[i] = pairs.Count;
            candidates.Clear();
            anchors.CollectCandidates(groundTruth[i], candidates);
            foreach (var j in candidates)
            {
                var v = BoxIou.Iou(anchors.Anchors[j], groundTruth[i]);
                if (!(v > 0)) continue;
                pairs.Add((j, v));
                if (v > maxIou[j]) { maxIou[j] = v; arg[j] = i; }
                if (v > gtMax[i]) gtMax[i] = v;
            }
        }
        start[g] = pairs.Count;

        var matched = work.Matched;
        for (var j = 0; j < a; j++) matched[j] = Threshold(maxIou[j], arg[j]);
        if (BestAnchorPositive)
            for (var i = 0; i < g; i++)
            {
                var m = gtMax[i];
                if (!(m > 0 && m >= MinPositiveIou)) continue;
                for (var p = start[i]; p < start[i + 1]; p++)
                    if (pairs[p].Iou == m) matched[pairs[p].Anchor] = i;
            }
    }

    /// <summary>The assignment; <paramref name="parallel"/> runs the IoU pass as a parallel loop over anchors.</summary>
    internal AnchorAssignment Assign(Box[] anchors, ReadOnlySpan<Box> groundTruth, ReadOnlySpan<int> labels, bool parallel)
    {
        Validate(groundTruth.Length, labels.Length);
        var a = anchors.Length;
        var g = groundTruth.Length;
        var matched = new int[a];
        var maxIou = new double[a];
        if (g == 0)
        {
            Array.Fill(matched, AnchorAssignment.Negative);
            return Finish(matched, maxIou, [], labels, 0);
        }

        // Pass 1: anchor-major IoU matrix, each anchor's best ground truth and each ground truth's best IoU.
        var iou = new double[a * g];
        var gts = groundTruth.ToArray();
        var gtMax = new double[g];
        if (parallel)
        {
            var gate = new object();
            Parallel.For(0, a, () => new double[g], (j, _, local) => { Row(j, local); return local; }, local =>
            {
                lock (gate) for (var i = 0; i < g; i++) gtMax[i] = Math.Max(gtMax[i], local[i]);
            });
        }
        else for (var j = 0; j < a; j++) Row(j, gtMax);

        // Pass 2, mmdet's rule: every anchor at a ground truth's best IoU is positive for it (the later
        // ground truth wins when an anchor is the best of several). Anchors overlapping nothing are skipped.
        if (BestAnchorPositive)
        {
            for (var j = 0; j < a; j++)
            {
                if (maxIou[j] <= 0) continue;
                var row = iou.AsSpan(j * g, g);
                for (var i = g - 1; i >= 0; i--)
                {
                    var m = gtMax[i];
                    if (row[i] == m && m > 0 && m >= MinPositiveIou) { matched[j] = i; break; }
                }
            }
        }

        return Finish(matched, maxIou, gtMax, labels, g);

        void Row(int j, double[] colMax)
        {
            var best = -1.0;
            var arg = 0;
            var row = iou.AsSpan(j * g, g);
            var anchor = anchors[j];
            for (var i = 0; i < g; i++)
            {
                var v = BoxIou.Iou(anchor, gts[i]);
                row[i] = v;
                if (v > best) { best = v; arg = i; }
                if (v > colMax[i]) colMax[i] = v;
            }
            maxIou[j] = best;
            matched[j] = Threshold(best, arg);
        }
    }

    private int Threshold(double best, int gt) =>
        best >= PositiveIou ? gt : best < NegativeIou ? AnchorAssignment.Negative : AnchorAssignment.Ignored;

    private void Validate(int boxes, int labels)
    {
        if (!(PositiveIou > 0 && NegativeIou >= 0 && NegativeIou <= PositiveIou))
            throw new DynoInputException($"assigner: thresholds need 0 ≤ negative ({NegativeIou}) ≤ positive ({PositiveIou}), positive > 0");
        if (labels != 0 && labels != boxes)
            throw new ArgumentException($"assigner: {labels} labels for {boxes} ground-truth boxes");
    }

    private static AnchorAssignment Finish(ReadOnlySpan<int> matched, ReadOnlySpan<double> maxIou, ReadOnlySpan<double> gtMax, ReadOnlySpan<int> labels, int g)
    {
        var perGt = new int[g];
        var outLabels = new int[matched.Length];
        for (var j = 0; j < matched.Length; j++)
        {
            var m = matched[j];
            if (m < 0) { outLabels[j] = -1; continue; }
            perGt[m]++;
            outLabels[j] = labels.IsEmpty ? -1 : labels[m];
        }
        return new AnchorAssignment(matched.ToArray(), outLabels, maxIou.ToArray(), perGt, gtMax.ToArray());
    }
}

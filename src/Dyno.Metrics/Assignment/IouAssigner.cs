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
    public AnchorAssignment Assign(ReadOnlySpan<Box> anchors, ReadOnlySpan<Box> groundTruth, ReadOnlySpan<int> labels = default)
    {
        if (!(NegativeIou <= PositiveIou))
            throw new ArgumentException($"assigner: negative IoU threshold {NegativeIou} is above the positive one {PositiveIou}");
        if (!labels.IsEmpty && labels.Length != groundTruth.Length)
            throw new ArgumentException($"assigner: {labels.Length} labels for {groundTruth.Length} ground-truth boxes");
        var a = anchors.Length;
        var g = groundTruth.Length;
        var matched = new int[a];
        var maxIou = new double[a];
        var perGt = new int[g];
        var outLabels = new int[a];
        Array.Fill(outLabels, -1);
        if (g == 0)
        {
            Array.Fill(matched, AnchorAssignment.Negative);
            return new AnchorAssignment(matched, outLabels, maxIou, perGt, []);
        }

        // Anchor-major IoU matrix; a parallel loop over anchors when the matrix is large.
        var iou = new double[a * g];
        var anchorArr = anchors.ToArray();
        var gtArr = groundTruth.ToArray();
        void Row(int j)
        {
            var best = -1.0;
            var arg = 0;
            var row = iou.AsSpan(j * g, g);
            for (var i = 0; i < g; i++)
            {
                var v = BoxIou.Iou(anchorArr[j], gtArr[i]);
                row[i] = v;
                if (v > best) { best = v; arg = i; }
            }
            maxIou[j] = best;
            matched[j] = best >= PositiveIou ? arg : best < NegativeIou ? AnchorAssignment.Negative : AnchorAssignment.Ignored;
        }
        if ((long)a * g >= 1 << 17) Parallel.For(0, a, Row);
        else for (var j = 0; j < a; j++) Row(j);

        var gtMax = new double[g];
        for (var j = 0; j < a; j++)
        {
            var row = iou.AsSpan(j * g, g);
            for (var i = 0; i < g; i++) if (row[i] > gtMax[i]) gtMax[i] = row[i];
        }
        if (BestAnchorPositive)
        {
            for (var i = 0; i < g; i++)
            {
                if (!(gtMax[i] > 0 && gtMax[i] >= MinPositiveIou)) continue;
                for (var j = 0; j < a; j++)
                    if (iou[j * g + i] == gtMax[i]) matched[j] = i;
            }
        }

        for (var j = 0; j < a; j++)
        {
            var m = matched[j];
            if (m < 0) continue;
            perGt[m]++;
            outLabels[j] = labels.IsEmpty ? -1 : labels[m];
        }
        return new AnchorAssignment(matched, outLabels, maxIou, perGt, gtMax);
    }
}

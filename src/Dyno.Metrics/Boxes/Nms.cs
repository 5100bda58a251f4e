namespace Dyno.Metrics.Boxes;

/// <summary>How Soft-NMS decays the scores of boxes that overlap a kept box.</summary>
public enum SoftNmsMethod
{
    /// <summary>score × (1 − IoU) when IoU &gt; the threshold (Bodla et al. 2017, linear).</summary>
    Linear,

    /// <summary>score × exp(−IoU² / σ) for every box (Bodla et al. 2017, Gaussian).</summary>
    Gaussian,
}

/// <summary>A box kept by Soft-NMS: its index in the input and its decayed score.</summary>
public readonly record struct SoftNmsKept(int Index, double Score);

/// <summary>
/// Non-maximum suppression. Greedy NMS follows torchvision.ops.nms: a box is dropped when its IoU with
/// a kept, higher-ranked box is strictly greater than the threshold. Boxes are ranked by descending
/// score and, on equal scores, by ascending input index, so results are deterministic and identical
/// to a stable sort. Results list input indices in that rank order.
/// </summary>
public static class Nms
{
    /// <summary>Greedy NMS over all boxes (class-agnostic).</summary>
    public static int[] Greedy(ReadOnlySpan<Box> boxes, ReadOnlySpan<double> scores, double iouThreshold) =>
        Suppress(boxes, scores, [], iouThreshold);

    /// <summary>
    /// Class-aware NMS (torchvision's <c>batched_nms</c>): boxes only suppress boxes of their own class;
    /// the result is ranked by score over all classes (ties by index).
    /// </summary>
    public static int[] Batched(ReadOnlySpan<Box> boxes, ReadOnlySpan<double> scores, ReadOnlySpan<int> classes, double iouThreshold)
    {
        if (classes.Length != boxes.Length) throw new ArgumentException($"{classes.Length} class labels for {boxes.Length} boxes");
        return Suppress(boxes, scores, classes, iouThreshold);
    }

    /// <summary>Greedy suppression in rank order; with <paramref name="classes"/> empty every box competes with every other.</summary>
    private static int[] Suppress(ReadOnlySpan<Box> boxes, ReadOnlySpan<double> scores, ReadOnlySpan<int> classes, double iouThreshold)
    {
        Check(boxes, scores);
        var order = RankOrder(scores);
        var suppressed = new bool[boxes.Length];
        var kept = new List<int>();
        for (var oi = 0; oi < order.Length; oi++)
        {
            var i = order[oi];
            if (suppressed[i]) continue;
            kept.Add(i);
            for (var oj = oi + 1; oj < order.Length; oj++)
            {
                var j = order[oj];
                if (!suppressed[j] && (classes.IsEmpty || classes[j] == classes[i]) && BoxIou.Iou(boxes[i], boxes[j]) > iouThreshold) suppressed[j] = true;
            }
        }
        return kept.ToArray();
    }

    /// <summary>
    /// Soft-NMS: repeatedly keep the highest-scoring remaining box (ties: lowest index) and decay the
    /// scores of the others by their IoU with it; boxes whose score falls below
    /// <paramref name="scoreThreshold"/> are dropped. Returns the kept boxes in selection order.
    /// </summary>
    public static SoftNmsKept[] Soft(ReadOnlySpan<Box> boxes, ReadOnlySpan<double> scores, SoftNmsMethod method,
        double iouThreshold = 0.3, double sigma = 0.5, double scoreThreshold = 0.001)
    {
        Check(boxes, scores);
        if (!(sigma > 0)) throw new ArgumentException($"sigma must be positive, got {sigma}");
        var s = scores.ToArray();
        var alive = new List<int>(boxes.Length);
        for (var i = 0; i < boxes.Length; i++) if (s[i] >= scoreThreshold) alive.Add(i);
        var kept = new List<SoftNmsKept>();
        while (alive.Count > 0)
        {
            var best = 0;
            for (var k = 1; k < alive.Count; k++)
                if (s[alive[k]] > s[alive[best]] || (s[alive[k]] == s[alive[best]] && alive[k] < alive[best])) best = k;
            var i = alive[best];
            kept.Add(new SoftNmsKept(i, s[i]));
            alive.RemoveAt(best);
            var w = 0;
            for (var k = 0; k < alive.Count; k++)
            {
                var j = alive[k];
                var iou = BoxIou.Iou(boxes[i], boxes[j]);
                s[j] *= method == SoftNmsMethod.Linear
                    ? (iou > iouThreshold ? 1 - iou : 1)
                    : Math.Exp(-(iou * iou) / sigma);
                if (s[j] >= scoreThreshold) alive[w++] = j;
            }
            alive.RemoveRange(w, alive.Count - w);
        }
        return kept.ToArray();
    }

    /// <summary>Indices by descending score, ties by ascending index.</summary>
    private static int[] RankOrder(ReadOnlySpan<double> scores)
    {
        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var s = scores.ToArray();
        Array.Sort(order, (x, y) => s[y] != s[x] ? s[y].CompareTo(s[x]) : x.CompareTo(y));
        return order;
    }

    private static void Check(ReadOnlySpan<Box> boxes, ReadOnlySpan<double> scores)
    {
        if (scores.Length != boxes.Length) throw new ArgumentException($"{scores.Length} scores for {boxes.Length} boxes");
        for (var i = 0; i < scores.Length; i++)
            if (double.IsNaN(scores[i])) throw new ArgumentException($"score {i} is NaN");
    }
}

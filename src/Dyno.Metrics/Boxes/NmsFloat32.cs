namespace Dyno.Metrics.Boxes;

/// <summary>
/// Class-aware greedy NMS in single precision, computed exactly as <c>torchvision.ops.nms</c> does on
/// the CPU (float32 boxes and scores): candidates are visited by descending score, ties by ascending
/// index (a stable sort); a box is suppressed by a kept box of its class when
/// <c>inter / ((area_i + area_j) - inter) &gt; threshold</c>, every step rounded to float32, with
/// <c>area = (x2 - x1) * (y2 - y1)</c> and <c>inter = max(0, min(x2) - max(x1)) * max(0, min(y2) - max(y1))</c>.
/// This is what detector validation uses after decoding raw outputs, so its kept set matches the
/// PyTorch reference bit for bit; <see cref="Nms"/> is the double-precision, general-purpose version.
/// </summary>
public static class NmsFloat32
{
    /// <summary>
    /// Runs NMS per class over boxes given as corner arrays (x1, y1, x2, y2) and returns the kept
    /// indices of all classes ranked by descending score (ties: ascending index), at most
    /// <paramref name="maxKept"/> of them.
    /// </summary>
    /// <param name="x1">Left edges.</param>
    /// <param name="y1">Top edges.</param>
    /// <param name="x2">Right edges.</param>
    /// <param name="y2">Bottom edges.</param>
    /// <param name="scores">One score per box; NaN is not allowed.</param>
    /// <param name="classes">One class per box; boxes only suppress boxes of their own class.</param>
    /// <param name="iouThreshold">Suppress when the IoU is strictly greater than this (compared in float32).</param>
    /// <param name="maxKept">Cut of the merged, ranked result (Ultralytics' <c>max_det</c>).</param>
    public static int[] Batched(ReadOnlySpan<float> x1, ReadOnlySpan<float> y1, ReadOnlySpan<float> x2, ReadOnlySpan<float> y2,
        ReadOnlySpan<float> scores, ReadOnlySpan<int> classes, float iouThreshold, int maxKept = int.MaxValue)
    {
        var n = scores.Length;
        if (x1.Length != n || y1.Length != n || x2.Length != n || y2.Length != n || classes.Length != n)
            throw new ArgumentException($"NMS needs one box, score and class per candidate; got {x1.Length}/{y1.Length}/{x2.Length}/{y2.Length} box edges, {n} scores, {classes.Length} classes");
        if (maxKept < 0) throw new ArgumentOutOfRangeException(nameof(maxKept), maxKept, "must be ≥ 0");
        if (n == 0) return [];
        for (var i = 0; i < n; i++)
            if (float.IsNaN(scores[i])) throw new ArgumentException($"score {i} is NaN", nameof(scores));

        // Rank all candidates once (descending score, ascending index); per class the rank order is the same.
        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = i;
        var keys = new float[n];
        for (var i = 0; i < n; i++) keys[i] = -scores[i];
        SortStable(keys, order);

        var area = new float[n];
        for (var i = 0; i < n; i++) area[i] = (x2[i] - x1[i]) * (y2[i] - y1[i]);

        // Group the ranked candidates by class, keeping rank order inside each class.
        var classOf = new Dictionary<int, List<int>>();
        foreach (var i in order)
        {
            if (!classOf.TryGetValue(classes[i], out var list)) classOf[classes[i]] = list = [];
            list.Add(i);
        }
        var suppressed = new bool[n];
        var keptAll = new bool[n];
        foreach (var list in classOf.Values)
        {
            for (var a = 0; a < list.Count; a++)
            {
                var i = list[a];
                if (suppressed[i]) continue;
                keptAll[i] = true;
                float ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iarea = area[i];
                for (var b = a + 1; b < list.Count; b++)
                {
                    var j = list[b];
                    if (suppressed[j]) continue;
                    var w = Math.Max(0f, Math.Min(ix2, x2[j]) - Math.Max(ix1, x1[j]));
                    var h = Math.Max(0f, Math.Min(iy2, y2[j]) - Math.Max(iy1, y1[j]));
                    var inter = w * h;
                    var iou = inter / ((iarea + area[j]) - inter);
                    if (iou > iouThreshold) suppressed[j] = true;
                }
            }
        }
        var kept = new List<int>(Math.Min(n, maxKept == int.MaxValue ? n : maxKept));
        foreach (var i in order)
        {
            if (kept.Count == maxKept) break;
            if (keptAll[i]) kept.Add(i);
        }
        return kept.ToArray();
    }

    /// <summary>Stable sort of <paramref name="items"/> by <paramref name="keys"/> ascending (ties keep their order).</summary>
    internal static void SortStable(float[] keys, int[] items)
    {
        // Array.Sort is introsort (unstable): break ties by the item index, which is the original order here.
        Array.Sort(items, (a, b) =>
        {
            var c = keys[a].CompareTo(keys[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
    }
}

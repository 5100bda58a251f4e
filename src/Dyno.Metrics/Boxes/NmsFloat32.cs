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

        // Rank all candidates once (descending score, ascending index) by sorting packed keys: the order-preserving
        // bits of -score in the high half, the index in the low half (a stable sort without a comparer).
        var packed = new ulong[n];
        for (var i = 0; i < n; i++)
        {
            var bits = BitConverter.SingleToUInt32Bits(-scores[i] + 0f); // + 0f: -0 and +0 rank equal, as float comparison says
            var key = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
            packed[i] = ((ulong)key << 32) | (uint)i;
        }
        Array.Sort(packed);
        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = (int)(uint)packed[i];

        // Group the ranked candidates by class (rank order kept inside each class), as contiguous corner arrays.
        var byClass = new Dictionary<int, List<int>>();
        foreach (var i in order)
        {
            if (!byClass.TryGetValue(classes[i], out var list)) byClass[classes[i]] = list = [];
            list.Add(i);
        }
        var keptAll = new bool[n];
        var m = 0;
        foreach (var list in byClass.Values) m = Math.Max(m, list.Count);
        float[] cx1 = new float[m], cy1 = new float[m], cx2 = new float[m], cy2 = new float[m], carea = new float[m];
        var suppressed = new int[m];
        foreach (var list in byClass.Values)
        {
            var count = list.Count;
            for (var a = 0; a < count; a++)
            {
                var i = list[a];
                cx1[a] = x1[i]; cy1[a] = y1[i]; cx2[a] = x2[i]; cy2[a] = y2[i];
                carea[a] = (x2[i] - x1[i]) * (y2[i] - y1[i]);
                suppressed[a] = 0;
            }
            for (var a = 0; a < count; a++)
            {
                if (suppressed[a] != 0) continue;
                keptAll[list[a]] = true;
                SuppressAfter(a, count, cx1, cy1, cx2, cy2, carea, suppressed, iouThreshold);
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

    /// <summary>
    /// Marks every box after <paramref name="a"/> whose IoU with box a exceeds the threshold. Vectorised; every lane
    /// does the scalar float32 operations in the same order, so the marks equal the scalar loop's.
    /// </summary>
    private static void SuppressAfter(int a, int count, float[] x1, float[] y1, float[] x2, float[] y2, float[] area, int[] suppressed, float threshold)
    {
        float ix1 = x1[a], iy1 = y1[a], ix2 = x2[a], iy2 = y2[a], ia = area[a];
        var j = a + 1;
        if (System.Numerics.Vector.IsHardwareAccelerated && count - j >= System.Numerics.Vector<float>.Count)
        {
            var w = System.Numerics.Vector<float>.Count;
            var vx1 = new System.Numerics.Vector<float>(ix1);
            var vy1 = new System.Numerics.Vector<float>(iy1);
            var vx2 = new System.Numerics.Vector<float>(ix2);
            var vy2 = new System.Numerics.Vector<float>(iy2);
            var va = new System.Numerics.Vector<float>(ia);
            var vt = new System.Numerics.Vector<float>(threshold);
            var zero = System.Numerics.Vector<float>.Zero;
            for (; j + w <= count; j += w)
            {
                var ww = System.Numerics.Vector.Max(zero, System.Numerics.Vector.Min(vx2, new System.Numerics.Vector<float>(x2, j)) - System.Numerics.Vector.Max(vx1, new System.Numerics.Vector<float>(x1, j)));
                var hh = System.Numerics.Vector.Max(zero, System.Numerics.Vector.Min(vy2, new System.Numerics.Vector<float>(y2, j)) - System.Numerics.Vector.Max(vy1, new System.Numerics.Vector<float>(y1, j)));
                var inter = ww * hh;
                var iou = inter / ((va + new System.Numerics.Vector<float>(area, j)) - inter);
                var hit = System.Numerics.Vector.GreaterThan(iou, vt);
                (new System.Numerics.Vector<int>(suppressed, j) | hit).CopyTo(suppressed, j);
            }
        }
        for (; j < count; j++)
        {
            var ww = Math.Max(0f, Math.Min(ix2, x2[j]) - Math.Max(ix1, x1[j]));
            var hh = Math.Max(0f, Math.Min(iy2, y2[j]) - Math.Max(iy1, y1[j]));
            var inter = ww * hh;
            if (inter / ((ia + area[j]) - inter) > threshold) suppressed[j] = -1;
        }
    }
}

using System.Numerics;

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

        // Visit candidates in rank order; each is tested against the kept boxes of its class, which are exactly
        // the boxes greedy NMS would have suppressed it with (they all rank higher). The result is the kept boxes in
        // rank order, so once maxKept are kept nothing later can enter the cut: stop there.
        var kept = new List<int>(Math.Min(n, maxKept));
        var byClass = new Dictionary<int, KeptBoxes>();
        foreach (var j in order)
        {
            if (kept.Count == maxKept) break;
            if (!byClass.TryGetValue(classes[j], out var k)) byClass[classes[j]] = k = new KeptBoxes();
            float jx1 = x1[j], jy1 = y1[j], jx2 = x2[j], jy2 = y2[j];
            var ja = (jx2 - jx1) * (jy2 - jy1);
            if (k.Suppresses(jx1, jy1, jx2, jy2, ja, iouThreshold)) continue;
            k.Add(jx1, jy1, jx2, jy2, ja);
            kept.Add(j);
        }
        return kept.ToArray();
    }

    /// <summary>The kept boxes of one class, as corner arrays.</summary>
    private sealed class KeptBoxes
    {
        private float[] _x1 = new float[16], _y1 = new float[16], _x2 = new float[16], _y2 = new float[16], _area = new float[16];
        private int _n;

        public void Add(float x1, float y1, float x2, float y2, float area)
        {
            if (_n == _x1.Length)
            {
                var m = 2 * _n;
                Array.Resize(ref _x1, m); Array.Resize(ref _y1, m); Array.Resize(ref _x2, m); Array.Resize(ref _y2, m); Array.Resize(ref _area, m);
            }
            _x1[_n] = x1; _y1[_n] = y1; _x2[_n] = x2; _y2[_n] = y2; _area[_n] = area;
            _n++;
        }

        /// <summary>
        /// Whether a kept box i overlaps box j by more than the threshold: <c>inter / ((area_i + area_j) - inter)</c> in float32, as
        /// torchvision. A vector of kept boxes (eight with AVX2, four with NEON) is tested at once with the same IEEE operations in the same order (min/max
        /// propagate NaN as Math.Min/Max do, no fused multiply-add), so the answer is the scalar loop's; the remainder is scalar.
        /// </summary>
        public bool Suppresses(float jx1, float jy1, float jx2, float jy2, float ja, float threshold)
        {
            var i = 0;
            // (a negative threshold stays scalar: there a NaN coordinate, whose IoU the scalar loop leaves NaN, could differ)
            if (Vector.IsHardwareAccelerated && threshold >= 0f && _n >= Vector<float>.Count)
            {
                Vector<float> vx1 = new(jx1), vy1 = new(jy1), vx2 = new(jx2), vy2 = new(jy2), va = new(ja), vt = new(threshold);
                for (; i <= _n - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var w = Vector.Max(Vector<float>.Zero, Vector.Min(Vector.LoadUnsafe(ref _x2[i]), vx2) - Vector.Max(Vector.LoadUnsafe(ref _x1[i]), vx1));
                    var h = Vector.Max(Vector<float>.Zero, Vector.Min(Vector.LoadUnsafe(ref _y2[i]), vy2) - Vector.Max(Vector.LoadUnsafe(ref _y1[i]), vy1));
                    var inter = w * h;
                    var iou = inter / ((Vector.LoadUnsafe(ref _area[i]) + va) - inter);
                    if (Vector.GreaterThanAny(iou, vt)) return true;
                }
            }
            for (; i < _n; i++)
            {
                var w = Math.Max(0f, Math.Min(_x2[i], jx2) - Math.Max(_x1[i], jx1));
                if (w <= 0f && threshold >= 0f) continue; // inter = 0, IoU 0 (or NaN for two empty boxes): not above a threshold >= 0
                var h = Math.Max(0f, Math.Min(_y2[i], jy2) - Math.Max(_y1[i], jy1));
                var inter = w * h;
                if (inter / ((_area[i] + ja) - inter) > threshold) return true;
            }
            return false;
        }
    }
}

using Dyno.Metrics.Boxes;
using FsCheck.Xunit;

namespace Dyno.Metrics.Tests.Boxes;

public class PairwiseIouAndNmsTests
{
    /// <summary>Boxes from arbitrary small integers (corners ordered, sizes may be zero).</summary>
    private static Box[] Boxes(int[] v)
    {
        var n = v.Length / 4;
        var boxes = new Box[n];
        for (var i = 0; i < n; i++)
        {
            double x = v[4 * i] % 200, y = v[4 * i + 1] % 200, w = Math.Abs(v[4 * i + 2] % 100), h = Math.Abs(v[4 * i + 3] % 100);
            boxes[i] = Box.FromXywh(x, y, w, h);
        }
        return boxes;
    }

    [Property(MaxTest = 200)]
    public bool Pairwise_equals_scalar_bit_for_bit(int[] va, int[] vb)
    {
        var a = Boxes(va);
        var b = Boxes(vb);
        foreach (var kind in new[] { IouKind.Iou, IouKind.GIoU, IouKind.DIoU, IouKind.CIoU })
        {
            var m = PairwiseIou.Compute(a, b, kind);
            for (var i = 0; i < a.Length; i++)
                for (var j = 0; j < b.Length; j++)
                {
                    var want = kind switch
                    {
                        IouKind.Iou => BoxIou.Iou(a[i], b[j]),
                        IouKind.GIoU => BoxIou.GIoU(a[i], b[j]),
                        IouKind.DIoU => BoxIou.DIoU(a[i], b[j]),
                        _ => BoxIou.CIoU(a[i], b[j]),
                    };
                    if (BitConverter.DoubleToInt64Bits(m[i, j]) != BitConverter.DoubleToInt64Bits(want) && !(double.IsNaN(want) && double.IsNaN(m[i, j]))) return false;
                }
        }
        return true;
    }

    [Property(MaxTest = 200)]
    public bool Iou_is_symmetric_and_bounded(int[] v)
    {
        var b = Boxes(v);
        var m = PairwiseIou.Compute(b, b);
        var g = PairwiseIou.Compute(b, b, IouKind.GIoU);
        for (var i = 0; i < b.Length; i++)
            for (var j = 0; j < b.Length; j++)
            {
                if (m[i, j] != m[j, i] || m[i, j] < 0 || m[i, j] > 1) return false;
                if (g[i, j] < -1 - 1e-12 || g[i, j] > m[i, j] + 1e-12) return false;
            }
        return true;
    }

    [Property(MaxTest = 200)]
    public bool Iou_is_scale_invariant(int[] v, byte k)
    {
        var b = Boxes(v);
        var s = Math.Pow(2, k % 20 - 10); // a power of two: scaling is exact, so IoU must be identical
        var scaled = b.Select(x => new Box(x.X1 * s, x.Y1 * s, x.X2 * s, x.Y2 * s)).ToArray();
        var m = PairwiseIou.Compute(b, b);
        var ms = PairwiseIou.Compute(scaled, scaled);
        for (var i = 0; i < b.Length; i++)
            for (var j = 0; j < b.Length; j++)
                if (m[i, j] != ms[i, j]) return false;
        return true;
    }

    [Property(MaxTest = 200)]
    public bool Greedy_nms_keeps_no_overlapping_pair_and_explains_every_drop(int[] v, byte[] rawScores)
    {
        var b = Boxes(v);
        var scores = b.Select((_, i) => rawScores.Length == 0 ? 0.5 : rawScores[i % rawScores.Length] / 255.0).ToArray();
        const double thr = 0.5;
        var kept = Nms.Greedy(b, scores, thr);
        for (var x = 0; x < kept.Length; x++)
            for (var y = x + 1; y < kept.Length; y++)
                if (BoxIou.Iou(b[kept[x]], b[kept[y]]) > thr) return false;
        var keptSet = kept.ToHashSet();
        for (var i = 0; i < b.Length; i++)
        {
            if (keptSet.Contains(i)) continue;
            var explained = kept.Any(k => (scores[k] > scores[i] || (scores[k] == scores[i] && k < i)) && BoxIou.Iou(b[k], b[i]) > thr);
            if (!explained) return false;
        }
        // ranked by score, ties by index
        for (var x = 1; x < kept.Length; x++)
            if (scores[kept[x - 1]] < scores[kept[x]] || (scores[kept[x - 1]] == scores[kept[x]] && kept[x - 1] > kept[x])) return false;
        return true;
    }

    [Property(MaxTest = 100)]
    public bool Batched_nms_is_greedy_per_class(int[] v, byte[] rawScores)
    {
        var b = Boxes(v);
        var scores = b.Select((_, i) => rawScores.Length == 0 ? 0.5 : rawScores[i % rawScores.Length] / 255.0).ToArray();
        var classes = b.Select((_, i) => i % 3).ToArray();
        var kept = Nms.Batched(b, scores, classes, 0.5).ToHashSet();
        for (var c = 0; c < 3; c++)
        {
            var idx = Enumerable.Range(0, b.Length).Where(i => classes[i] == c).ToArray();
            var perClass = Nms.Greedy(idx.Select(i => b[i]).ToArray(), idx.Select(i => scores[i]).ToArray(), 0.5).Select(k => idx[k]);
            if (!perClass.All(kept.Contains)) return false;
            if (kept.Count(k => classes[k] == c) != perClass.Count()) return false;
        }
        return true;
    }

    [Fact]
    public void Ties_break_by_index()
    {
        var b = new[] { new Box(0, 0, 10, 10), new Box(0, 0, 10, 10), new Box(50, 50, 60, 60) };
        Assert.Equal([0, 2], Nms.Greedy(b, [0.9, 0.9, 0.9], 0.5));
        Assert.Equal([0, 2], Nms.Batched(b, [0.9, 0.9, 0.9], [1, 1, 1], 0.5));
        Assert.Equal([0, 1, 2], Nms.Batched(b, [0.9, 0.9, 0.9], [1, 2, 1], 0.5));
    }

    [Fact]
    public void Soft_nms_decays_instead_of_dropping()
    {
        var b = new[] { new Box(0, 0, 10, 10), new Box(0, 0, 10, 5), new Box(50, 50, 60, 60) };
        // IoU(0, 1) = 0.5
        var linear = Nms.Soft(b, [0.9, 0.8, 0.7], SoftNmsMethod.Linear, iouThreshold: 0.3);
        Assert.Equal([new SoftNmsKept(0, 0.9), new SoftNmsKept(2, 0.7), new SoftNmsKept(1, 0.8 * 0.5)], linear);
        var gauss = Nms.Soft(b, [0.9, 0.8, 0.7], SoftNmsMethod.Gaussian, sigma: 0.5);
        Assert.Equal([new SoftNmsKept(0, 0.9), new SoftNmsKept(2, 0.7), new SoftNmsKept(1, 0.8 * Math.Exp(-0.25 / 0.5))], gauss);
    }

    [Fact]
    public void Formats_convert()
    {
        var boxes = PairwiseIou.ToBoxes([10, 20, 30, 40, 25, 40, 30, 40], BoxFormat.Xywh);
        Assert.Equal(new Box(10, 20, 40, 60), boxes[0]);
        Assert.Equal(new Box(10, 20, 40, 60), PairwiseIou.ToBoxes([25, 40, 30, 40], BoxFormat.Cxcywh)[0]);
        Assert.ThrowsAny<ArgumentException>(() => PairwiseIou.ToBoxes([1, 2, 3], BoxFormat.Xyxy));
        Assert.ThrowsAny<ArgumentException>(() => Nms.Greedy(boxes, [double.NaN, 1], 0.5));
    }
}

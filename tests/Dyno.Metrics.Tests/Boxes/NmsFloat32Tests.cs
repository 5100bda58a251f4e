using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Tests.Boxes;

public sealed class NmsFloat32Tests
{
    /// <summary>torchvision.ops.batched_nms, written out as the reference pipeline's nms_f32 does (scalar float32).</summary>
    private static int[] Reference(float[] x1, float[] y1, float[] x2, float[] y2, float[] s, int[] c, float thr, int max)
    {
        var order = Enumerable.Range(0, s.Length).OrderByDescending(i => s[i]).ThenBy(i => i).ToArray(); // LINQ OrderBy is stable
        var kept = new List<int>();
        var dead = new bool[s.Length];
        foreach (var i in order)
        {
            if (dead[i]) continue;
            kept.Add(i);
            foreach (var j in order)
            {
                if (j == i || dead[j] || c[j] != c[i] || Array.IndexOf(order, j) < Array.IndexOf(order, i)) continue;
                var ai = (x2[i] - x1[i]) * (y2[i] - y1[i]);
                var aj = (x2[j] - x1[j]) * (y2[j] - y1[j]);
                var w = MathF.Max(0f, MathF.Min(x2[i], x2[j]) - MathF.Max(x1[i], x1[j]));
                var h = MathF.Max(0f, MathF.Min(y2[i], y2[j]) - MathF.Max(y1[i], y1[j]));
                var inter = w * h;
                if (inter / ((ai + aj) - inter) > thr) dead[j] = true;
            }
        }
        return kept.Take(max).ToArray();
    }

    [Theory]
    [InlineData(1, 37, 3)]
    [InlineData(2, 200, 5)]
    [InlineData(3, 600, 2)]
    [InlineData(4, 1000, 1)]
    public void Rank_order_nms_equals_the_scalar_torchvision_loop(int seed, int n, int classes)
    {
        var rng = new Random(seed);
        float[] x1 = new float[n], y1 = new float[n], x2 = new float[n], y2 = new float[n], s = new float[n];
        var c = new int[n];
        for (var i = 0; i < n; i++)
        {
            x1[i] = (float)(rng.NextDouble() * 100); y1[i] = (float)(rng.NextDouble() * 100);
            x2[i] = x1[i] + (float)(rng.NextDouble() * 40); y2[i] = y1[i] + (float)(rng.NextDouble() * 40);
            s[i] = (float)Math.Round(rng.NextDouble(), 2); // many ties
            c[i] = rng.Next(classes);
        }
        Assert.Equal(Reference(x1, y1, x2, y2, s, c, 0.5f, 300), NmsFloat32.Batched(x1, y1, x2, y2, s, c, 0.5f, 300));
        Assert.Equal(Reference(x1, y1, x2, y2, s, c, 0.7f, int.MaxValue), NmsFloat32.Batched(x1, y1, x2, y2, s, c, 0.7f));
    }

    [Fact]
    public void Iou_exactly_at_the_threshold_does_not_suppress()
    {
        // two 10x10 boxes overlapping by half: IoU = 50 / 150 = 1/3 in float32
        float[] x1 = [0, 5], y1 = [0, 0], x2 = [10, 15], y2 = [10, 10], s = [0.9f, 0.8f];
        int[] c = [0, 0];
        var iou = 50f / (200f - 50f);
        Assert.Equal([0, 1], NmsFloat32.Batched(x1, y1, x2, y2, s, c, iou));
        Assert.Equal([0], NmsFloat32.Batched(x1, y1, x2, y2, s, c, MathF.BitDecrement(iou)));
    }

    [Theory]
    [InlineData(5, 0.7f)]
    [InlineData(6, 0f)]
    [InlineData(7, -0.25f)]
    public void Vectorised_overlap_test_equals_the_scalar_loop_on_degenerate_boxes(int seed, float iou)
    {
        // one class, so many boxes are kept and the vector test runs (for thresholds >= 0); a third of the boxes have zero
        // or negative width or height (zero IoU, or NaN for two empty boxes, which never suppresses)
        var rng = new Random(seed);
        const int n = 400;
        float[] x1 = new float[n], y1 = new float[n], x2 = new float[n], y2 = new float[n], s = new float[n];
        var c = new int[n];
        for (var i = 0; i < n; i++)
        {
            x1[i] = (float)(rng.NextDouble() * 200); y1[i] = (float)(rng.NextDouble() * 200);
            var kind = rng.Next(3);
            x2[i] = x1[i] + (kind == 0 ? 0f : kind == 1 ? -(float)(rng.NextDouble() * 5) : (float)(rng.NextDouble() * 30));
            y2[i] = y1[i] + (kind == 0 ? (float)(rng.NextDouble() * 30) : (float)(rng.NextDouble() * 30));
            s[i] = (float)Math.Round(rng.NextDouble(), 3);
        }
        var kept = NmsFloat32.Batched(x1, y1, x2, y2, s, c, iou);
        Assert.True(kept.Length > 16, $"only {kept.Length} kept: the vector path is not exercised");
        Assert.Equal(Reference(x1, y1, x2, y2, s, c, iou, int.MaxValue), kept);
    }
}

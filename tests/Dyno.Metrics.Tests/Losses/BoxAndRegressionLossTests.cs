using Dyno.Metrics.Boxes;
using Dyno.Metrics.Losses;

namespace Dyno.Metrics.Tests.Losses;

public class BoxAndRegressionLossTests
{
    [Fact]
    public void SmoothL1AndL1()
    {
        var r = RegressionLoss.SmoothL1([0.5, 3, -2], [0, 0, 0], beta: 1, Reduction.Sum);
        Assert.Equal([0.125, 2.5, 1.5], r.Elements);
        Assert.Equal([0.5, 1, -1], r.Gradient);
        var l1 = RegressionLoss.L1([0.5, 3, -2, 1], [0, 0, 0, 1]);
        Assert.Equal(5.5 / 4, l1.Value, 14);
        Assert.Equal(0, l1.Gradient[3]);
    }

    [Fact]
    public void BoxLossesAgreeWithTheIouMetricsUpToEps()
    {
        var p = new Box(0, 0, 10, 10);
        var t = new Box(5, 2, 17, 9);
        Assert.Equal(1 - BoxIou.Iou(p, t), BoxLoss.Value(BoxLossKind.Iou, p, t), 7);
        Assert.Equal(1 - BoxIou.GIoU(p, t), BoxLoss.Value(BoxLossKind.GIou, p, t), 7);
        Assert.Equal(1 - BoxIou.DIoU(p, t), BoxLoss.Value(BoxLossKind.DIou, p, t), 7);
        Assert.Equal(1 - BoxIou.CIoU(p, t), BoxLoss.Value(BoxLossKind.CIou, p, t), 7);
        Assert.Equal(0, BoxLoss.Value(BoxLossKind.CIou, p, p), 7);
    }

    [Fact]
    public void HandWorkedGiouLoss()
    {
        // Disjoint unit squares two apart: IoU 0, hull 3×1, union 2 → GIoU = −1/3, loss 4/3.
        var loss = BoxLoss.Value(BoxLossKind.GIou, new Box(0, 0, 1, 1), new Box(2, 0, 3, 1), eps: 0);
        Assert.Equal(4.0 / 3, loss, 14);
        // DIoU: centres 2 apart, hull diagonal² = 9 + 1 → 1 + 4/10.
        Assert.Equal(1.4, BoxLoss.Value(BoxLossKind.DIou, new Box(0, 0, 1, 1), new Box(2, 0, 3, 1), eps: 0), 14);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var rng = new Random(11);
        const int n = 12;
        var pred = new double[4 * n];
        var target = new double[4 * n];
        for (var i = 0; i < n; i++)
        {
            var (tx, ty) = (rng.NextDouble() * 20, rng.NextDouble() * 20);
            var (tw, th) = (1 + rng.NextDouble() * 10, 1 + rng.NextDouble() * 10);
            target[4 * i] = tx; target[4 * i + 1] = ty; target[4 * i + 2] = tx + tw; target[4 * i + 3] = ty + th;
            // Overlapping, disjoint and nested predictions.
            var jitter = i % 3 == 0 ? 15 : 3;
            var px = tx + (rng.NextDouble() - 0.5) * jitter;
            var py = ty + (rng.NextDouble() - 0.5) * jitter;
            pred[4 * i] = px; pred[4 * i + 1] = py;
            pred[4 * i + 2] = px + 0.5 + rng.NextDouble() * 10; pred[4 * i + 3] = py + 0.5 + rng.NextDouble() * 10;
        }
        foreach (var kind in Enum.GetValues<BoxLossKind>())
        foreach (var red in new[] { Reduction.Mean, Reduction.Sum })
        {
            var full = BoxLoss.Compute(kind, pred, target, red, detachAlpha: false);
            GradientCheck.Assert(x => BoxLoss.Compute(kind, x, target, red, detachAlpha: false).Value, pred, full.Gradient, 1e-6, 1e-5);
        }

        // CIoU with α detached (torchvision): the gradient is that of the loss with α frozen at its value.
        for (var i = 0; i < n; i++)
        {
            var p = pred.AsSpan(4 * i, 4).ToArray();
            var t = target.AsSpan(4 * i, 4).ToArray();
            var grad = BoxLoss.Compute(BoxLossKind.CIou, p, t, Reduction.Sum).Gradient;
            var pb = new Box(p[0], p[1], p[2], p[3]);
            var tb = new Box(t[0], t[1], t[2], t[3]);
            var iou = 1 - BoxLoss.Value(BoxLossKind.Iou, pb, tb);
            var v = BoxIou.AspectTerm(pb, tb);
            var alpha = v / (1 - iou + v + BoxIou.Eps);
            GradientCheck.Assert(x => BoxLoss.Forward(BoxLossKind.CIou, x, t, BoxIou.Eps, false, alpha).V, p, grad, 1e-6, 1e-5);
        }
    }

    [Fact]
    public void RegressionGradientsMatchFiniteDifferences()
    {
        var rng = new Random(3);
        var p = GradientCheck.Random(rng, 10);
        var t = GradientCheck.Random(rng, 10);
        GradientCheck.Assert(x => RegressionLoss.SmoothL1(x, t, 0.5).Value, p, RegressionLoss.SmoothL1(p, t, 0.5).Gradient);
        GradientCheck.Assert(x => RegressionLoss.L1(x, t, Reduction.Sum).Value, p, RegressionLoss.L1(p, t, Reduction.Sum).Gradient);
    }
}

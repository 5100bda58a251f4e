using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Losses;

/// <summary>The IoU-family box regression losses.</summary>
public enum BoxLossKind
{
    /// <summary>1 − IoU.</summary>
    Iou,

    /// <summary>1 − GIoU (torchvision.ops.generalized_box_iou_loss).</summary>
    GIou,

    /// <summary>1 − IoU + ρ²/c² (torchvision.ops.distance_box_iou_loss).</summary>
    DIou,

    /// <summary>DIoU loss + α·v (torchvision.ops.complete_box_iou_loss).</summary>
    CIou,
}

/// <summary>
/// IoU-family losses between predicted and target boxes in corner form (x1, y1, x2, y2), following
/// torchvision.ops' loss functions exactly, including their eps (1e-7) in the IoU, hull and diagonal
/// denominators and the unclamped areas of inverted boxes; so 1 − loss differs from
/// <see cref="BoxIou"/>'s metric values by O(eps). The gradient is with respect to the predicted
/// coordinates; in CIoU, α is detached (computed without gradient) as in torchvision and ultralytics
/// unless <c>detachAlpha</c> is false. Mean is over boxes.
/// </summary>
public static class BoxLoss
{
    /// <summary>Loss of row-major N × 4 predicted boxes against N × 4 target boxes.</summary>
    public static LossResult Compute(BoxLossKind kind, ReadOnlySpan<double> predicted, ReadOnlySpan<double> targets,
        Reduction reduction = Reduction.Mean, double eps = BoxIou.Eps, bool detachAlpha = true)
    {
        LossMath.CheckSameLength(predicted.Length, targets.Length, "box loss");
        if (predicted.Length % 4 != 0)
            throw new ArgumentException($"box loss: {predicted.Length} coordinates is not a whole number of (x1, y1, x2, y2) boxes");
        var n = predicted.Length / 4;
        var elements = new double[n];
        var grad = new double[predicted.Length];
        for (var i = 0; i < n; i++)
        {
            var l = Forward(kind, predicted.Slice(4 * i, 4), targets.Slice(4 * i, 4), eps, detachAlpha, null);
            elements[i] = l.V;
            grad[4 * i] = l.D0;
            grad[4 * i + 1] = l.D1;
            grad[4 * i + 2] = l.D2;
            grad[4 * i + 3] = l.D3;
        }
        return LossMath.Reduce(elements, grad, reduction, n);
    }

    /// <summary>Loss of one predicted box against one target box, without gradient.</summary>
    public static double Value(BoxLossKind kind, in Box predicted, in Box target, double eps = BoxIou.Eps) =>
        Forward(kind, [predicted.X1, predicted.Y1, predicted.X2, predicted.Y2],
            [target.X1, target.Y1, target.X2, target.Y2], eps, true, null).V;

    /// <summary>
    /// The loss as a dual number over the predicted coordinates. <paramref name="fixedAlpha"/> replaces
    /// CIoU's α by a constant (tests use it to check the detached gradient by finite differences).
    /// </summary>
    internal static Dual4 Forward(BoxLossKind kind, ReadOnlySpan<double> p, ReadOnlySpan<double> t, double eps,
        bool detachAlpha, double? fixedAlpha)
    {
        Dual4 x1 = Dual4.Var(p[0], 0), y1 = Dual4.Var(p[1], 1), x2 = Dual4.Var(p[2], 2), y2 = Dual4.Var(p[3], 3);
        Dual4 gx1 = Dual4.Const(t[0]), gy1 = Dual4.Const(t[1]), gx2 = Dual4.Const(t[2]), gy2 = Dual4.Const(t[3]);

        var ix1 = Dual4.Max(x1, gx1);
        var iy1 = Dual4.Max(y1, gy1);
        var ix2 = Dual4.Min(x2, gx2);
        var iy2 = Dual4.Min(y2, gy2);
        var inter = iy2.V > iy1.V && ix2.V > ix1.V ? (ix2 - ix1) * (iy2 - iy1) : Dual4.Const(0);
        var union = (x2 - x1) * (y2 - y1) + Dual4.Const((t[2] - t[0]) * (t[3] - t[1])) - inter;
        var iou = inter / (union + eps);
        if (kind == BoxLossKind.Iou) return 1 - iou;

        var cx1 = Dual4.Min(x1, gx1);
        var cy1 = Dual4.Min(y1, gy1);
        var cx2 = Dual4.Max(x2, gx2);
        var cy2 = Dual4.Max(y2, gy2);
        if (kind == BoxLossKind.GIou)
        {
            var hull = (cx2 - cx1) * (cy2 - cy1);
            return 1 - (iou - (hull - union) / (hull + eps));
        }

        var cw = cx2 - cx1;
        var ch = cy2 - cy1;
        var diag = cw * cw + ch * ch + eps;
        var dx = 0.5 * (x1 + x2) - Dual4.Const((t[0] + t[2]) / 2);
        var dy = 0.5 * (y1 + y2) - Dual4.Const((t[1] + t[3]) / 2);
        var diou = 1 - iou + (dx * dx + dy * dy) / diag;
        if (kind == BoxLossKind.DIou) return diou;

        var d = Dual4.Const(Math.Atan((t[2] - t[0]) / (t[3] - t[1]))) - Dual4.Atan((x2 - x1) / (y2 - y1));
        var v = 4 / (Math.PI * Math.PI) * (d * d);
        var alpha = fixedAlpha is { } a ? Dual4.Const(a) : v / (1 - iou + v + eps);
        if (detachAlpha) alpha = alpha.Detach();
        return diou + alpha * v;
    }
}

namespace Dyno.Metrics.Boxes;

/// <summary>
/// The IoU family for one pair of boxes. GIoU, DIoU and CIoU follow torchvision.ops
/// (<c>generalized_box_iou</c>, <c>distance_box_iou</c>, <c>complete_box_iou</c>), including their
/// eps = 1e-7 in the DIoU/CIoU denominators.
/// </summary>
public static class BoxIou
{
    /// <summary>The eps torchvision adds to the enclosing diagonal and to CIoU's alpha denominator.</summary>
    public const double Eps = 1e-7;

    /// <summary>Intersection area of two boxes.</summary>
    public static double Intersection(in Box a, in Box b)
    {
        var w = Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1);
        var h = Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1);
        return w > 0 && h > 0 ? w * h : 0;
    }

    /// <summary>Intersection over union; 0 when the union is empty.</summary>
    public static double Iou(in Box a, in Box b)
    {
        var inter = Intersection(a, b);
        var union = a.Area + b.Area - inter;
        return union > 0 ? inter / union : 0;
    }

    /// <summary>Generalized IoU: IoU − (hull − union) / hull, in [−1, 1].</summary>
    public static double GIoU(in Box a, in Box b)
    {
        var inter = Intersection(a, b);
        var union = a.Area + b.Area - inter;
        var iou = union > 0 ? inter / union : 0;
        var hull = (Math.Max(a.X2, b.X2) - Math.Min(a.X1, b.X1)) * (Math.Max(a.Y2, b.Y2) - Math.Min(a.Y1, b.Y1));
        return hull > 0 ? iou - (hull - union) / hull : iou;
    }

    /// <summary>Distance IoU: IoU − ρ²(centres) / c², c the enclosing box diagonal.</summary>
    public static double DIoU(in Box a, in Box b) => DistanceTerms(a, b).DIoU;

    /// <summary>Complete IoU: DIoU − α·v with v the aspect-ratio consistency term.</summary>
    public static double CIoU(in Box a, in Box b)
    {
        var (iou, diou) = DistanceTerms(a, b);
        var v = AspectTerm(a, b);
        var alpha = v / (1 - iou + v + Eps);
        return diou - alpha * v;
    }

    /// <summary>CIoU's aspect-ratio term v = 4/π² · (atan(w_b/h_b) − atan(w_a/h_a))².</summary>
    public static double AspectTerm(in Box a, in Box b)
    {
        var d = Math.Atan(b.Width / b.Height) - Math.Atan(a.Width / a.Height);
        return 4 / (Math.PI * Math.PI) * d * d;
    }

    private static (double Iou, double DIoU) DistanceTerms(in Box a, in Box b)
    {
        var iou = Iou(a, b);
        var cw = Math.Max(a.X2, b.X2) - Math.Min(a.X1, b.X1);
        var ch = Math.Max(a.Y2, b.Y2) - Math.Min(a.Y1, b.Y1);
        var diag = cw * cw + ch * ch + Eps;
        var dx = a.CenterX - b.CenterX;
        var dy = a.CenterY - b.CenterY;
        return (iou, iou - (dx * dx + dy * dy) / diag);
    }
}

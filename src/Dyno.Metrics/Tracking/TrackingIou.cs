namespace Dyno.Metrics.Tracking;

/// <summary>
/// Box IoU exactly as each reference tool computes it (the operations and their order matter for
/// boxes whose IoU sits on the 0.5 threshold).
/// </summary>
public static class TrackingIou
{
    private const double Eps = 2.220446049250313e-16; // np.finfo(float).eps

    /// <summary>TrackEval's <c>_calculate_box_ious</c> on corner boxes (x1, y1, x2, y2 = x + w, y + h).</summary>
    public static double TrackEval(double ax1, double ay1, double ax2, double ay2, double bx1, double by1, double bx2, double by2)
    {
        var iw = Math.Max(Math.Min(ax2, bx2) - Math.Max(ax1, bx1), 0);
        var ih = Math.Max(Math.Min(ay2, by2) - Math.Max(ay1, by1), 0);
        var inter = iw * ih;
        var area1 = (ax2 - ax1) * (ay2 - ay1);
        var area2 = (bx2 - bx1) * (by2 - by1);
        var union = area1 + area2 - inter;
        if (area1 <= Eps || area2 <= Eps) inter = 0;
        if (union <= Eps) { inter = 0; union = 1; }
        return inter / union;
    }

    /// <summary>
    /// py-motmetrics' <c>boxiou</c> on (x, y, w, h) boxes: max corner = min corner + size, sizes
    /// recomputed as max − min, IoU 0 when the intersection is empty.
    /// </summary>
    public static double MotMetrics(double ax, double ay, double aw, double ah, double bx, double by, double bw, double bh)
    {
        double ax2 = ax + aw, ay2 = ay + ah, bx2 = bx + bw, by2 = by + bh;
        var iw = Math.Max(Math.Min(ax2, bx2) - Math.Max(ax, bx), 0);
        var ih = Math.Max(Math.Min(ay2, by2) - Math.Max(ay, by), 0);
        var inter = iw * ih;
        if (inter == 0) return 0;
        var va = Math.Max(ax2 - ax, 0) * Math.Max(ay2 - ay, 0);
        var vb = Math.Max(bx2 - bx, 0) * Math.Max(by2 - by, 0);
        return inter / (va + vb - inter);
    }
}

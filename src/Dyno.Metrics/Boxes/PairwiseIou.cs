using System.Numerics;
using System.Runtime.InteropServices;

namespace Dyno.Metrics.Boxes;

/// <summary>Which member of the IoU family a pairwise matrix holds.</summary>
public enum IouKind
{
    /// <summary>Intersection over union.</summary>
    Iou,

    /// <summary>Generalized IoU.</summary>
    GIoU,

    /// <summary>Distance IoU.</summary>
    DIoU,

    /// <summary>Complete IoU.</summary>
    CIoU,
}

/// <summary>How four numbers describe a box.</summary>
public enum BoxFormat
{
    /// <summary>Corners (x1, y1, x2, y2), torchvision's default.</summary>
    Xyxy,

    /// <summary>Top-left corner and size (x, y, w, h), COCO's.</summary>
    Xywh,

    /// <summary>Centre and size (cx, cy, w, h), YOLO's.</summary>
    Cxcywh,
}

/// <summary>
/// Pairwise IoU-family matrices between two box sets (torchvision's <c>box_iou</c>,
/// <c>generalized_box_iou</c>, ...). Each entry equals the scalar <see cref="BoxIou"/> function of the
/// pair bit for bit; plain IoU is computed with SIMD over the second set.
/// </summary>
public static class PairwiseIou
{
    /// <summary>Boxes from a flat array of 4 numbers per box in <paramref name="format"/>.</summary>
    public static Box[] ToBoxes(ReadOnlySpan<double> values, BoxFormat format)
    {
        if (values.Length % 4 != 0) throw new ArgumentException($"{values.Length} numbers do not make whole boxes (4 per box)");
        var boxes = new Box[values.Length / 4];
        for (var i = 0; i < boxes.Length; i++)
        {
            double a = values[4 * i], b = values[4 * i + 1], c = values[4 * i + 2], d = values[4 * i + 3];
            boxes[i] = format switch
            {
                BoxFormat.Xyxy => new Box(a, b, c, d),
                BoxFormat.Xywh => Box.FromXywh(a, b, c, d),
                _ => Box.FromCxcywh(a, b, c, d),
            };
        }
        return boxes;
    }

    /// <summary>The [a.Length, b.Length] matrix of <paramref name="kind"/> between every pair.</summary>
    public static double[,] Compute(ReadOnlySpan<Box> a, ReadOnlySpan<Box> b, IouKind kind = IouKind.Iou)
    {
        var m = new double[a.Length, b.Length];
        if (a.Length == 0 || b.Length == 0) return m;
        var flat = MemoryMarshal.CreateSpan(ref m[0, 0], a.Length * b.Length);
        if (kind == IouKind.Iou)
        {
            IouInto(a, b, flat);
            return m;
        }
        for (var i = 0; i < a.Length; i++)
        {
            var row = flat.Slice(i * b.Length, b.Length);
            for (var j = 0; j < b.Length; j++)
            {
                row[j] = kind switch
                {
                    IouKind.GIoU => BoxIou.GIoU(a[i], b[j]),
                    IouKind.DIoU => BoxIou.DIoU(a[i], b[j]),
                    _ => BoxIou.CIoU(a[i], b[j]),
                };
            }
        }
        return m;
    }

    private static void IouInto(ReadOnlySpan<Box> a, ReadOnlySpan<Box> b, Span<double> flat)
    {
        var n = b.Length;
        var bx1 = new double[n];
        var by1 = new double[n];
        var bx2 = new double[n];
        var by2 = new double[n];
        var barea = new double[n];
        for (var j = 0; j < n; j++)
        {
            bx1[j] = b[j].X1; by1[j] = b[j].Y1; bx2[j] = b[j].X2; by2[j] = b[j].Y2; barea[j] = b[j].Area;
        }
        var w = Vector<double>.Count;
        var zero = Vector<double>.Zero;
        for (var i = 0; i < a.Length; i++)
        {
            var ai = a[i];
            var row = flat.Slice(i * n, n);
            var ax1 = new Vector<double>(ai.X1);
            var ay1 = new Vector<double>(ai.Y1);
            var ax2 = new Vector<double>(ai.X2);
            var ay2 = new Vector<double>(ai.Y2);
            var aarea = new Vector<double>(ai.Area);
            var j = 0;
            for (; j <= n - w; j += w)
            {
                var iw = Vector.Min(ax2, new Vector<double>(bx2, j)) - Vector.Max(ax1, new Vector<double>(bx1, j));
                var ih = Vector.Min(ay2, new Vector<double>(by2, j)) - Vector.Max(ay1, new Vector<double>(by1, j));
                var positive = Vector.BitwiseAnd(Vector.GreaterThan(iw, zero), Vector.GreaterThan(ih, zero));
                var inter = Vector.ConditionalSelect(positive, iw * ih, zero);
                var union = aarea + new Vector<double>(barea, j) - inter;
                var iou = Vector.ConditionalSelect(Vector.GreaterThan(union, zero), inter / union, zero);
                iou.CopyTo(row.Slice(j, w));
            }
            for (; j < n; j++) row[j] = BoxIou.Iou(ai, b[j]);
        }
    }
}

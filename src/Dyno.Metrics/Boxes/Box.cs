namespace Dyno.Metrics.Boxes;

/// <summary>
/// An axis-aligned box in corner form (x1, y1, x2, y2), in continuous coordinates: width is
/// <c>x2 - x1</c> with no "+1" pixel convention (the COCO and torchvision convention).
/// </summary>
public readonly record struct Box(double X1, double Y1, double X2, double Y2)
{
    /// <summary>From COCO's (x, y, width, height).</summary>
    public static Box FromXywh(double x, double y, double w, double h) => new(x, y, x + w, y + h);

    /// <summary>From centre and size (YOLO's cx, cy, w, h).</summary>
    public static Box FromCxcywh(double cx, double cy, double w, double h) => new(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);

    public double Width => X2 - X1;
    public double Height => Y2 - Y1;
    public double CenterX => (X1 + X2) / 2;
    public double CenterY => (Y1 + Y2) / 2;

    /// <summary>Area; zero for a degenerate or inverted box.</summary>
    public double Area => Math.Max(0, X2 - X1) * Math.Max(0, Y2 - Y1);

    /// <summary>To (x, y, width, height).</summary>
    public (double X, double Y, double W, double H) ToXywh() => (X1, Y1, X2 - X1, Y2 - Y1);

    /// <summary>To (cx, cy, width, height).</summary>
    public (double Cx, double Cy, double W, double H) ToCxcywh() => (CenterX, CenterY, X2 - X1, Y2 - Y1);
}

namespace Dyno.Metrics.Losses;

/// <summary>
/// A forward-mode dual number carrying the value and its partial derivatives with respect to the four
/// coordinates of a predicted box, so each IoU-family loss is written once and differentiated exactly.
/// Max/min split the gradient evenly on ties, as PyTorch's <c>maximum</c>/<c>minimum</c> do.
/// </summary>
internal readonly struct Dual4(double v, double d0, double d1, double d2, double d3)
{
    public readonly double V = v, D0 = d0, D1 = d1, D2 = d2, D3 = d3;

    public static Dual4 Const(double v) => new(v, 0, 0, 0, 0);

    public static Dual4 Var(double v, int k) => new(v, k == 0 ? 1 : 0, k == 1 ? 1 : 0, k == 2 ? 1 : 0, k == 3 ? 1 : 0);

    public static Dual4 operator +(Dual4 a, Dual4 b) => new(a.V + b.V, a.D0 + b.D0, a.D1 + b.D1, a.D2 + b.D2, a.D3 + b.D3);
    public static Dual4 operator -(Dual4 a, Dual4 b) => new(a.V - b.V, a.D0 - b.D0, a.D1 - b.D1, a.D2 - b.D2, a.D3 - b.D3);
    public static Dual4 operator -(Dual4 a) => new(-a.V, -a.D0, -a.D1, -a.D2, -a.D3);
    public static Dual4 operator +(Dual4 a, double b) => new(a.V + b, a.D0, a.D1, a.D2, a.D3);
    public static Dual4 operator -(double a, Dual4 b) => new(a - b.V, -b.D0, -b.D1, -b.D2, -b.D3);
    public static Dual4 operator *(double s, Dual4 a) => new(s * a.V, s * a.D0, s * a.D1, s * a.D2, s * a.D3);

    public static Dual4 operator *(Dual4 a, Dual4 b) => new(a.V * b.V,
        a.D0 * b.V + a.V * b.D0, a.D1 * b.V + a.V * b.D1, a.D2 * b.V + a.V * b.D2, a.D3 * b.V + a.V * b.D3);

    public static Dual4 operator /(Dual4 a, Dual4 b)
    {
        var q = a.V / b.V;
        var inv = 1 / b.V;
        return new(q, (a.D0 - q * b.D0) * inv, (a.D1 - q * b.D1) * inv, (a.D2 - q * b.D2) * inv, (a.D3 - q * b.D3) * inv);
    }

    public static Dual4 Max(Dual4 a, Dual4 b) => a.V > b.V ? a : a.V < b.V ? b : Tie(a, b);

    public static Dual4 Min(Dual4 a, Dual4 b) => a.V < b.V ? a : a.V > b.V ? b : Tie(a, b);

    public static Dual4 Atan(Dual4 a)
    {
        var s = 1 / (1 + a.V * a.V);
        return new(Math.Atan(a.V), s * a.D0, s * a.D1, s * a.D2, s * a.D3);
    }

    public Dual4 Detach() => Const(V);

    private static Dual4 Tie(Dual4 a, Dual4 b) =>
        new(a.V, (a.D0 + b.D0) / 2, (a.D1 + b.D1) / 2, (a.D2 + b.D2) / 2, (a.D3 + b.D3) / 2);
}

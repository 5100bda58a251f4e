using System.Globalization;
using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Detection;

/// <summary>
/// Correctly rounded parsing of JSON number text. Most coordinates (≤ 15 significant digits, small
/// exponent) take Clinger's exact fast path — one IEEE multiply or divide of two exact doubles — and
/// everything else falls back to the runtime's correctly rounded parser, so the result always equals
/// <c>double.Parse</c> (and Python's <c>float()</c>).
/// </summary>
internal static class FastNumber
{
    private static readonly double[] Pow10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>Parses a JSON number token (already validated by the reader).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Parse(ReadOnlySpan<byte> s)
    {
        var i = 0;
        var neg = false;
        if (s.Length > 0 && s[0] == (byte)'-') { neg = true; i++; }
        ulong mant = 0;
        var digits = 0;
        var exp10 = 0;
        while (i < s.Length && (uint)(s[i] - '0') <= 9)
        {
            if (mant != 0 || s[i] != '0') { if (digits >= 19) return Slow(s); mant = mant * 10 + (uint)(s[i] - '0'); if (mant != 0) digits++; }
            i++;
        }
        if (i < s.Length && s[i] == (byte)'.')
        {
            i++;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                if (mant != 0 || s[i] != '0') { if (digits >= 19) return Slow(s); mant = mant * 10 + (uint)(s[i] - '0'); if (mant != 0) digits++; }
                exp10--;
                i++;
            }
        }
        if (i < s.Length && (s[i] == (byte)'e' || s[i] == (byte)'E'))
        {
            i++;
            var eneg = false;
            if (i < s.Length && (s[i] == (byte)'+' || s[i] == (byte)'-')) { eneg = s[i] == (byte)'-'; i++; }
            var e = 0;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                if (e > 10000) return Slow(s);
                e = e * 10 + (s[i] - '0');
                i++;
            }
            exp10 += eneg ? -e : e;
        }
        if (i != s.Length) return Slow(s);
        if (mant > (1UL << 53)) return Slow(s);
        double v = mant;
        if (exp10 == 0) { }
        else if (exp10 < 0 && exp10 >= -22) v /= Pow10[-exp10];
        else if (exp10 > 0 && exp10 <= 22) v *= Pow10[exp10];
        else if (mant == 0) v = 0;
        else return Slow(s);
        return neg ? -v : v;
    }

    private static double Slow(ReadOnlySpan<byte> s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
}

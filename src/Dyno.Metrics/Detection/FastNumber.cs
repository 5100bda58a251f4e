using System.Globalization;
using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Detection;

/// <summary>
/// Dyno's one decimal parser, for JSON number tokens and CSV fields alike. Correctly rounded: the
/// common short numbers (a mantissa of at most 2^53 and a power of ten of at most 22, both exact
/// doubles) take Clinger's fast path, one IEEE multiply or divide, and everything else falls back to
/// the runtime's correctly rounded parser, so the result always equals <c>double.Parse</c> (and
/// Python's <c>float()</c>).
/// </summary>
internal static class FastNumber
{
    private static readonly double[] Pow10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    private const ulong MaxMantissa = 1UL << 53;

    /// <summary>Parses a JSON number token (already validated by the reader); NaN if it is not a number after all.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Parse(ReadOnlySpan<byte> s) => TryParseExact(s, out var v) ? v : Slow(s);

    /// <summary>Parses a text field (<c>[+-]digits[.digits][(e|E)[+-]digits]</c>, or anything <c>double.TryParse</c> takes); false if it is not a number.</summary>
    public static bool TryParse(ReadOnlySpan<byte> s, out double value) =>
        TryParseExact(s, out value) || double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>
    /// The fast path alone: parses <c>[+-]digits[.digits][(e|E)[+-]digits]</c> when one IEEE operation
    /// gives the correctly rounded value; false means "use the full parser" (not necessarily "not a number").
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParseExact(ReadOnlySpan<byte> s, out double value)
    {
        value = 0;
        var i = 0;
        var negative = false;
        if (i < s.Length && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
        ulong mantissa = 0;
        var exponent = 0;
        var digits = 0;
        for (; i < s.Length && (uint)(s[i] - '0') <= 9; i++, digits++)
        {
            mantissa = mantissa * 10 + (uint)(s[i] - '0');
            if (mantissa > MaxMantissa) return false;
        }
        if (i < s.Length && s[i] == '.')
        {
            for (i++; i < s.Length && (uint)(s[i] - '0') <= 9; i++, digits++)
            {
                mantissa = mantissa * 10 + (uint)(s[i] - '0');
                if (mantissa > MaxMantissa) return false;
                exponent--;
            }
        }
        if (digits == 0) return false;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            var expNegative = false;
            if (i < s.Length && (s[i] == '-' || s[i] == '+')) expNegative = s[i++] == '-';
            var e = 0;
            var expDigits = 0;
            for (; i < s.Length && (uint)(s[i] - '0') <= 9; i++, expDigits++)
            {
                e = e * 10 + (s[i] - '0');
                if (e > 10000) return false;
            }
            if (expDigits == 0) return false;
            exponent += expNegative ? -e : e;
        }
        if (i != s.Length) return false;
        double m = mantissa;
        if (exponent == 0 || mantissa == 0) value = m;
        else if (exponent is > 0 and <= 22) value = m * Pow10[exponent];
        else if (exponent is < 0 and >= -22) value = m / Pow10[-exponent];
        else return false;
        if (negative) value = -value;
        return true;
    }

    private static double Slow(ReadOnlySpan<byte> s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
}

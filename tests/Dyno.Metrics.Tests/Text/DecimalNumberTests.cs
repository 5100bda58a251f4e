using System.Globalization;
using System.Text;
using Dyno.Metrics.Detection;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Dyno.Metrics.Tests.Text;

/// <summary>Dyno's one decimal parser (JSON and CSV): its fast path is bit-exact with .NET's correctly rounded parser whenever it answers, and the full parse always is.</summary>
public class DecimalNumberTests
{
    [Property(MaxTest = 3000)]
    public Property Fast_path_is_bit_exact(NormalFloat x, PositiveInt digits, bool exponentForm)
    {
        var format = exponentForm ? "E" + (digits.Get % 17) : "G" + (1 + digits.Get % 17);
        var text = x.Get.ToString(format, CultureInfo.InvariantCulture);
        var expected = double.Parse(text, CultureInfo.InvariantCulture);
        var ok = FastNumber.TryParseExact(Encoding.ASCII.GetBytes(text), out var v);
        var bytes = Encoding.ASCII.GetBytes(text);
        var full = FastNumber.TryParse(bytes, out var w) && BitConverter.DoubleToInt64Bits(w) == BitConverter.DoubleToInt64Bits(expected)
            && BitConverter.DoubleToInt64Bits(FastNumber.Parse(bytes)) == BitConverter.DoubleToInt64Bits(expected);
        return (full && (!ok || BitConverter.DoubleToInt64Bits(v) == BitConverter.DoubleToInt64Bits(expected))).Label(text);
    }

    [Theory]
    [InlineData("0.5", 0.5)]
    [InlineData("-1.25e-3", -0.00125)]
    [InlineData("3", 3.0)]
    [InlineData("+7.0E+2", 700.0)]
    [InlineData(".5", 0.5)]
    [InlineData("0.1", 0.1)]
    public void Parses_common_forms(string text, double expected)
    {
        Assert.True(FastNumber.TryParseExact(Encoding.ASCII.GetBytes(text), out var v));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(v));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("1e")]
    [InlineData("abc")]
    [InlineData("1.5x")]
    [InlineData("NaN")]
    [InlineData("12345678901234567890")]
    [InlineData("1e300")]
    [InlineData("0.30000000000000004")] // 17 digits: mantissa above 2^53
    public void Declines_what_it_cannot_do_exactly(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.False(FastNumber.TryParseExact(bytes, out _));
        // the full parse still answers where the text is a number, exactly as double.TryParse
        var isNumber = double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var expected);
        Assert.Equal(isNumber, FastNumber.TryParse(bytes, out var v));
        if (isNumber) Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(v));
    }
}

using System.Text.Json;
using Dyno.Metrics.Segmentation;

namespace Dyno.Cli.Tests.Eval;

/// <summary>The PNG reader against tests/fixtures/segmentation/pixels.json (numpy arrays the PNGs were written from).</summary>
public class PngLabelReaderTests
{
    private static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "fixtures", "segmentation");

    public static TheoryData<string> Files()
    {
        var d = new TheoryData<string>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "pixels.json")));
        foreach (var p in doc.RootElement.EnumerateObject()) d.Add(p.Name);
        return d;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Decodes_every_pixel(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "pixels.json")));
        var e = doc.RootElement.GetProperty(name);
        var reader = new PngLabelReader();
        reader.Read(Path.Combine(Dir, name));
        Assert.Equal(e.GetProperty("width").GetInt32(), reader.Width);
        Assert.Equal(e.GetProperty("height").GetInt32(), reader.Height);
        Assert.Equal(e.GetProperty("bit_depth").GetInt32(), reader.BitDepth);
        var expected = e.GetProperty("pixels").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var actual = reader.BitDepth == 16 ? reader.Pixels16.ToArray().Select(x => (int)x).ToArray() : reader.Pixels8.ToArray().Select(x => (int)x).ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Rejects_non_png_rgb_and_truncated_files()
    {
        var png = File.ReadAllBytes(Path.Combine(Dir, "gt", "a_gray8.png"));
        var reader = new PngLabelReader();
        Assert.Contains("not a PNG", Assert.Throws<InvalidDataException>(() => reader.Decode("GIF89a.."u8)).Message);
        var rgb = (byte[])png.Clone();
        rgb[8 + 8 + 9] = 2; // IHDR colour type
        Assert.Contains("RGB", Assert.Throws<InvalidDataException>(() => reader.Decode(rgb)).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => reader.Decode(png.AsSpan(0, png.Length / 2))).Message);
        var path = Path.Combine(Path.GetTempPath(), $"dyno-bad-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(path, rgb);
        try { Assert.Contains(path, Assert.Throws<InvalidDataException>(() => reader.Read(path)).Message); }
        finally { File.Delete(path); }
    }
}

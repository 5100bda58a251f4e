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
        FixCrc(rgb, 8);
        Assert.Contains("RGB", Assert.Throws<InvalidDataException>(() => reader.Decode(rgb)).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => reader.Decode(png.AsSpan(0, png.Length / 2))).Message);
        var path = Path.Combine(Path.GetTempPath(), $"dyno-bad-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(path, rgb);
        try { Assert.Contains(path, Assert.Throws<InvalidDataException>(() => reader.Read(path)).Message); }
        finally { File.Delete(path); }
    }

    /// <summary>Rewrites the CRC of the chunk at <paramref name="pos"/> so that only the change under test is wrong.</summary>
    private static void FixCrc(byte[] png, int pos)
    {
        var len = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(pos + 8 + len), System.IO.Hashing.Crc32.HashToUInt32(png.AsSpan(pos + 4, 4 + len)));
    }

    private static int ChunkAt(byte[] png, string type)
    {
        for (var pos = 8; pos + 8 <= png.Length;)
        {
            var len = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (System.Text.Encoding.ASCII.GetString(png, pos + 4, 4) == type) return pos;
            pos += 12 + len;
        }
        throw new InvalidOperationException("no " + type);
    }

    [Fact]
    public void A_corrupted_data_block_is_refused_by_its_crc_or_the_zlib_checksum()
    {
        var png = File.ReadAllBytes(Path.Combine(Dir, "gt", "a_gray8.png"));
        var idat = ChunkAt(png, "IDAT");
        var len = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(idat));
        var reader = new PngLabelReader();
        var flipped = (byte[])png.Clone();
        flipped[idat + 8 + len / 2] ^= 0x01;
        Assert.Contains("CRC of chunk IDAT", Assert.Throws<InvalidDataException>(() => reader.Decode(flipped)).Message);
        // the same flip with a valid chunk CRC: zlib's Adler-32 (or the deflate stream itself) catches it
        var adler = (byte[])png.Clone();
        adler[idat + 8 + len - 2] ^= 0x01; // inside the Adler-32 trailer
        FixCrc(adler, idat);
        Assert.Contains("corrupt image data", Assert.Throws<InvalidDataException>(() => reader.Decode(adler)).Message);
        reader.Decode(png); // the reader is still usable and the clean file decodes
    }

    [Fact]
    public void Images_past_the_pixel_limit_are_refused_before_any_allocation()
    {
        var png = File.ReadAllBytes(Path.Combine(Dir, "gt", "a_gray8.png"));
        var big = (byte[])png.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(big.AsSpan(16), 30000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(big.AsSpan(20), 30000);
        FixCrc(big, 8);
        var e = Assert.Throws<InvalidDataException>(() => new PngLabelReader().Decode(big));
        Assert.Contains("30000x30000 = 900,000,000 pixels is more than the limit of 178,956,970", e.Message);
        Assert.Contains("raise it with PngLabelReader.MaxPixels", e.Message); // the library's words
        Assert.Contains("raise it with --max-image-pixels)", Infrastructure.CliFlags.Phrase(e)); // what dyno prints
        var small = new PngLabelReader { MaxPixels = 10 };
        Assert.Contains("more than the limit of 10", Assert.Throws<InvalidDataException>(() => small.Decode(png)).Message);
    }
}

namespace Dyno.Metrics.Masks;

/// <summary>
/// A compressed RLE whose <c>counts</c> string is still in the buffer of the file it was read from
/// (<paramref name="Buffer"/>[<paramref name="Offset"/>..+<paramref name="Length"/>], the JSON string's
/// content): no copy per mask. <paramref name="Escaped"/> says the content holds JSON escapes, which
/// are then only <c>\\</c> (COCO's alphabet '0'..'o' includes the backslash; the parser keeps a
/// slice only when every escape is that one).
/// </summary>
internal sealed record CompressedRleSlice(int Height, int Width, byte[] Buffer, int Offset, int Length, bool Escaped) : Segmentation
{
    /// <summary>The string's bytes, unescaped into <paramref name="scratch"/> when needed.</summary>
    public ReadOnlySpan<byte> Bytes(ref byte[]? scratch)
    {
        var raw = Buffer.AsSpan(Offset, Length);
        if (!Escaped) return raw;
        if (scratch is null || scratch.Length < Length) scratch = new byte[Math.Max(Length, 256)];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b == (byte)'\\') i++; // "\\" -> '\'
            scratch[n++] = b;
        }
        return scratch.AsSpan(0, n);
    }

    /// <inheritdoc />
    public override Rle ToRle(int height, int width)
    {
        byte[]? scratch = null;
        return MaskApi.FromCompressedString(Bytes(ref scratch), Height, Width);
    }
}

using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Dyno.Metrics.Segmentation;

/// <summary>
/// Decodes single-channel PNG label maps losslessly: 8- or 16-bit grayscale, or 8-bit palette (the
/// palette index is the label, as in Pascal VOC). PNG is inflated with .NET's <see cref="ZLibStream"/>
/// and unfiltered here (PNG spec §9). General image decoders convert 16-bit samples to 8 bits and
/// palette images to RGB, which destroys class indices, hence this small reader. One instance keeps
/// its buffers between images: use one per thread; the pixel spans are valid until the next read.
/// </summary>
public sealed class PngLabelReader
{
    private static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>
    /// Pillow's decompression-bomb limit (<c>Image.MAX_IMAGE_PIXELS</c> x 2, where it raises
    /// DecompressionBombError): a tiny file must not make dyno allocate gigabytes.
    /// </summary>
    public const long DefaultMaxPixels = 178_956_970;

    /// <summary>Largest width x height accepted (a resource limit; raise it for genuinely huge maps).</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    private byte[] _file = [];
    private byte[] _idat = [];
    private byte[] _raw = [];
    private byte[] _pixels = [];
    private ushort[] _pixels16 = [];

    /// <summary>Width in pixels of the last image read.</summary>
    public int Width { get; private set; }

    /// <summary>Height in pixels of the last image read.</summary>
    public int Height { get; private set; }

    /// <summary>Bits per label of the last image read: 8 or 16.</summary>
    public int BitDepth { get; private set; }

    /// <summary>The labels of the last 8-bit image, row-major.</summary>
    public ReadOnlySpan<byte> Pixels8 => _pixels.AsSpan(0, Width * Height);

    /// <summary>The labels of the last 16-bit image, row-major.</summary>
    public ReadOnlySpan<ushort> Pixels16 => _pixels16.AsSpan(0, Width * Height);

    /// <summary>Reads and decodes <paramref name="path"/>; bad or unsupported files throw <see cref="InvalidDataException"/> naming the file.</summary>
    public void Read(string path)
    {
        int length;
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            if (f.Length > int.MaxValue) throw new InvalidDataException($"{path}: file too large for a label map");
            length = (int)f.Length;
            if (_file.Length < length) _file = new byte[Math.Max(length, _file.Length * 2)];
            f.ReadExactly(_file, 0, length);
        }
        try
        {
            Decode(_file.AsSpan(0, length));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Decodes a PNG held in memory.</summary>
    public void Decode(ReadOnlySpan<byte> png)
    {
        if (png.Length < 8 || !png[..8].SequenceEqual(Signature)) throw new InvalidDataException("not a PNG file (bad signature)");
        var pos = 8;
        var idatLength = 0;
        var sawHeader = false;
        int colorType = 0, bitDepth = 0;
        while (true)
        {
            if (pos + 8 > png.Length) throw new InvalidDataException("truncated PNG (no IEND chunk)");
            var len = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            var type = png.Slice(pos + 4, 4);
            if (pos + 12 > png.Length || len > (uint)(png.Length - pos - 12)) throw new InvalidDataException($"truncated PNG (chunk {System.Text.Encoding.ASCII.GetString(type)} runs past the end)");
            var data = png.Slice(pos + 8, (int)len);
            var stored = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)len)..]);
            if (System.IO.Hashing.Crc32.HashToUInt32(png.Slice(pos + 4, 4 + (int)len)) != stored)
                throw new InvalidDataException($"corrupt PNG: the CRC of chunk {System.Text.Encoding.ASCII.GetString(type)} at byte {pos} does not match its data");
            pos += 12 + (int)len;
            if (type.SequenceEqual("IHDR"u8))
            {
                if (len != 13) throw new InvalidDataException("bad IHDR chunk");
                if (sawHeader) throw new InvalidDataException("two IHDR chunks");
                Width = checked((int)BinaryPrimitives.ReadUInt32BigEndian(data));
                Height = checked((int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]));
                bitDepth = data[8];
                colorType = data[9];
                if (data[12] != 0) throw new InvalidDataException("interlaced (Adam7) PNGs are not supported for label maps; save it non-interlaced");
                if (colorType is 2 or 4 or 6)
                    throw new InvalidDataException($"colour type {colorType} ({(colorType == 2 ? "RGB" : colorType == 4 ? "grey+alpha" : "RGBA")}): label maps must be single-channel class indices (grayscale or palette)");
                if (!((colorType == 0 && bitDepth is 8 or 16) || (colorType == 3 && bitDepth == 8)))
                    throw new InvalidDataException($"{bitDepth}-bit {(colorType == 3 ? "palette" : "grayscale")} PNGs are not supported; label maps must be 8- or 16-bit grayscale or 8-bit palette");
                if (Width <= 0 || Height <= 0 || (long)Width * Height > int.MaxValue / 2) throw new InvalidDataException($"unsupported image size {Width}x{Height}");
                if ((long)Width * Height > MaxPixels)
                    throw DynoInputException.Naming(new InvalidDataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"{Width}x{Height} = {(long)Width * Height:N0} pixels is more than the limit of {MaxPixels:N0} (Pillow's decompression-bomb limit; raise it with PngLabelReader.MaxPixels)")), "PngLabelReader.MaxPixels");
                sawHeader = true;
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                if (!sawHeader) throw new InvalidDataException("IDAT before IHDR");
                if (_idat.Length < idatLength + data.Length) Array.Resize(ref _idat, Math.Max(idatLength + data.Length, _idat.Length * 2));
                data.CopyTo(_idat.AsSpan(idatLength));
                idatLength += data.Length;
            }
            else if (type.SequenceEqual("IEND"u8)) break;
        }
        if (!sawHeader) throw new InvalidDataException("no IHDR chunk");
        BitDepth = bitDepth;
        var bpp = bitDepth / 8;
        var stride = Width * bpp;
        var rawLength = checked(Height * (stride + 1));
        if (_raw.Length < rawLength) _raw = new byte[rawLength];
        using (var z = new ZLibStream(new MemoryStream(_idat, 0, idatLength, writable: false), CompressionMode.Decompress))
        {
            int got;
            try { got = z.ReadAtLeast(_raw.AsSpan(0, rawLength), rawLength, throwOnEndOfStream: false); }
            catch (InvalidDataException e) { throw new InvalidDataException("corrupt image data: " + e.Message); }
            if (got < rawLength) throw new InvalidDataException($"truncated image data ({got} of {rawLength} bytes)");
            // Read to the end of the zlib stream so that its Adler-32 checksum is verified, and refuse data past the image.
            Span<byte> probe = stackalloc byte[1];
            int extra;
            try { extra = z.Read(probe); }
            catch (InvalidDataException e) { throw new InvalidDataException("corrupt image data (zlib checksum): " + e.Message); }
            if (extra > 0) throw new InvalidDataException($"the image data holds more than the {Width}x{Height} pixels its header declares");
        }
        var outLength = Height * stride;
        if (_pixels.Length < outLength) _pixels = new byte[outLength];
        Unfilter(_raw, _pixels, Height, stride, bpp);
        if (bitDepth == 16)
        {
            var n = Width * Height;
            if (_pixels16.Length < n) _pixels16 = new ushort[n];
            var src = MemoryMarshal.Cast<byte, ushort>(_pixels.AsSpan(0, 2 * n));
            BinaryPrimitives.ReverseEndianness(src, _pixels16.AsSpan(0, n)); // PNG samples are big-endian
            if (!BitConverter.IsLittleEndian) src.CopyTo(_pixels16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Unfilter(byte[] raw, byte[] output, int height, int stride, int bpp)
    {
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var cur = raw.AsSpan(y * (stride + 1) + 1, stride);
            var dst = output.AsSpan(y * stride, stride);
            var prior = y == 0 ? default : output.AsSpan((y - 1) * stride, stride);
            switch (filter)
            {
                case 0:
                    cur.CopyTo(dst);
                    break;
                case 1: // Sub
                    for (var i = 0; i < bpp; i++) dst[i] = cur[i];
                    for (var i = bpp; i < stride; i++) dst[i] = (byte)(cur[i] + dst[i - bpp]);
                    break;
                case 2: // Up
                    if (y == 0) cur.CopyTo(dst);
                    else AddBytes(cur, prior, dst);
                    break;
                case 3: // Average
                    for (var i = 0; i < stride; i++)
                    {
                        var left = i >= bpp ? dst[i - bpp] : 0;
                        var up = y == 0 ? 0 : prior[i];
                        dst[i] = (byte)(cur[i] + ((left + up) >> 1));
                    }
                    break;
                case 4: // Paeth
                    for (var i = 0; i < stride; i++)
                    {
                        int a = i >= bpp ? dst[i - bpp] : 0, b = y == 0 ? 0 : prior[i], c = i >= bpp && y > 0 ? prior[i - bpp] : 0;
                        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                        dst[i] = (byte)(cur[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c));
                    }
                    break;
                default:
                    throw new InvalidDataException($"row {y} has an unknown PNG filter type {filter}");
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> dst)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var ra = ref MemoryMarshal.GetReference(a);
            ref var rb = ref MemoryMarshal.GetReference(b);
            ref var rd = ref MemoryMarshal.GetReference(dst);
            for (; i <= a.Length - 32; i += 32)
                (Vector256.LoadUnsafe(ref ra, (nuint)i) + Vector256.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref rd, (nuint)i);
        }
        for (; i < a.Length; i++) dst[i] = (byte)(a[i] + b[i]);
    }
}

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using OpenCvSharp;

namespace Dyno.Runtime.Val;

/// <summary>How an image is brought to the model's input size.</summary>
public enum ResizeMode
{
    /// <summary>Ultralytics' val letterbox: scale by min(H/h, W/w), INTER_LINEAR, centred constant padding.</summary>
    Letterbox,

    /// <summary>Resize to exactly the input size (aspect ratio not kept), INTER_LINEAR.</summary>
    Stretch,

    /// <summary>Resize the shorter side to size / crop fraction (INTER_LINEAR), then take the centre crop (torchvision's Resize + CenterCrop).</summary>
    CenterCrop,
}

/// <summary>Element layout of the model's image input.</summary>
public enum TensorLayout
{
    /// <summary>[batch, channels, height, width].</summary>
    Nchw,

    /// <summary>[batch, height, width, channels].</summary>
    Nhwc,
}

/// <summary>
/// Every knob of image preprocessing. Pixel values become <c>(float32(v) / 255f - mean) / std</c> in float32
/// (a division by 255, not a multiplication by its reciprocal, which differs in the last bit for half the values).
/// </summary>
public sealed record PreprocessOptions
{
    /// <summary>Input width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Input height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>How the image is fitted to the input size.</summary>
    public ResizeMode Mode { get; init; } = ResizeMode.Letterbox;

    /// <summary>Letterbox padding value (all channels), 0..255.</summary>
    public int PadValue { get; init; } = 114;

    /// <summary>Centre-crop fraction for <see cref="ResizeMode.CenterCrop"/> (0.875 = resize 256, crop 224).</summary>
    public double CropFraction { get; init; } = 0.875;

    /// <summary>Per-channel mean in [0,1] units, in the model's channel order (RGB unless <see cref="Bgr"/>).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f, 0f, 0f];

    /// <summary>Per-channel standard deviation in [0,1] units.</summary>
    public IReadOnlyList<float> Std { get; init; } = [1f, 1f, 1f];

    /// <summary>Feed channels as BGR (OpenCV's order) instead of RGB.</summary>
    public bool Bgr { get; init; }

    /// <summary>Tensor layout.</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;

    /// <summary>Elements of one image in the tensor.</summary>
    public int ImageElements => 3 * Width * Height;
}

/// <summary>Where the resized image sits in the input, to map predictions back to the original image.</summary>
/// <param name="OriginalWidth">Width of the decoded image.</param>
/// <param name="OriginalHeight">Height of the decoded image.</param>
/// <param name="ScaleX">Input pixels per original pixel, horizontally.</param>
/// <param name="ScaleY">Input pixels per original pixel, vertically.</param>
/// <param name="PadLeft">Columns of padding left of the image (negative: columns cropped).</param>
/// <param name="PadTop">Rows of padding above the image (negative: rows cropped).</param>
public readonly record struct ImageTransform(int OriginalWidth, int OriginalHeight, double ScaleX, double ScaleY, int PadLeft, int PadTop)
{
    /// <summary>Maps an input-space x back to the original image (float64, as Ultralytics' <c>scale_boxes</c>).</summary>
    public double X(float xIn) => ((double)xIn - PadLeft) / ScaleX;

    /// <summary>Maps an input-space y back to the original image.</summary>
    public double Y(float yIn) => ((double)yIn - PadTop) / ScaleY;
}

/// <summary>
/// Turns decoded BGR images into model input tensors, bit for bit as the Python reference pipelines
/// (OpenCV's fixed-point INTER_LINEAR, Ultralytics' letterbox rounding, float32 normalisation) do.
/// Thread-safe: one instance serves all workers.
/// </summary>
public sealed class ImagePreprocessor
{
    private readonly float[][] _lut; // per tensor channel: value of each uint8 level
    private readonly PreprocessOptions _o;
    private readonly Vector128<float>[] _mean, _std; // per tensor channel, for the vectorised rows

    /// <summary>pshufb mask taking byte <paramref name="channel"/> of each of four packed 3-byte pixels into the low byte of an int32 lane.</summary>
    private static Vector128<byte> ChannelShuffle(int channel)
    {
        const byte Z = 0x80; // pshufb writes 0 for an index with the top bit set
        var c = (byte)channel;
        return Vector128.Create(c, Z, Z, Z, (byte)(c + 3), Z, Z, Z, (byte)(c + 6), Z, Z, Z, (byte)(c + 9), Z, Z, Z);
    }

    /// <summary>A preprocessor for <paramref name="options"/>.</summary>
    public ImagePreprocessor(PreprocessOptions options)
    {
        if (options.Width < 1 || options.Height < 1) throw new DynoInputException($"input size must be positive, got {options.Width}x{options.Height}");
        if (options.Mean.Count != 3 || options.Std.Count != 3) throw new DynoInputException("mean and std need 3 values each");
        if (options.Std.Any(s => !(s > 0) || !float.IsFinite(s))) throw new DynoInputException("std values must be positive");
        if (options.PadValue is < 0 or > 255) throw new DynoInputException($"pad value must be in 0..255, got {options.PadValue}");
        if (!(options.CropFraction > 0 && options.CropFraction <= 1)) throw new DynoInputException($"crop fraction must be in (0, 1], got {options.CropFraction}");
        OpenCvNative.Ensure();
        _o = options;
        _mean = [.. options.Mean.Select(m => Vector128.Create(m))];
        _std = [.. options.Std.Select(v => Vector128.Create(v))];
        _lut = new float[3][];
        for (var c = 0; c < 3; c++)
        {
            var t = new float[256];
            float mean = options.Mean[c], std = options.Std[c];
            for (var v = 0; v < 256; v++) t[v] = ((float)v / 255f - mean) / std;
            _lut[c] = t;
        }
    }

    /// <summary>The options in use.</summary>
    public PreprocessOptions Options => _o;

    /// <summary>Python's <c>round</c>: half to even.</summary>
    private static int Round(double v) => (int)Math.Round(v, MidpointRounding.ToEven);

    /// <summary>
    /// Fits <paramref name="bgr"/> (8-bit, 3 channels) to the input size and writes one image of the
    /// tensor into <paramref name="destination"/> (<see cref="PreprocessOptions.ImageElements"/> floats).
    /// </summary>
    public ImageTransform Run(Mat bgr, Span<float> destination) => Run(bgr, destination, null);

    /// <summary>
    /// <see cref="Run(Mat, Span{float})"/> into a reused buffer: with <paramref name="memo"/> (where the previous image
    /// of this buffer slot sat), padding is written only where that image was, not over the whole canvas again; the
    /// tensor is the same.
    /// </summary>
    internal ImageTransform Run(Mat bgr, Span<float> destination, CanvasMemo? memo)
    {
        if (bgr.Type() != MatType.CV_8UC3) throw new ArgumentException($"expected an 8-bit 3-channel image, got {bgr.Type()}");
        if (destination.Length < _o.ImageElements) throw new ArgumentException("destination too small");
        int w = bgr.Width, h = bgr.Height, sw = _o.Width, sh = _o.Height;
        switch (_o.Mode)
        {
            case ResizeMode.Letterbox:
            {
                var r = Math.Min((double)sh / h, (double)sw / w);
                int nw = Round(w * r), nh = Round(h * r);
                double dw = (sw - nw) / 2.0, dh = (sh - nh) / 2.0;
                int top = Round(dh - 0.1), left = Round(dw - 0.1);
                using var resized = nw != w || nh != h ? Resize(bgr, nw, nh) : null;
                Fill(resized ?? bgr, left, top, destination, memo);
                return new ImageTransform(w, h, r, r, left, top);
            }
            case ResizeMode.Stretch:
            {
                using var resized = sw != w || sh != h ? Resize(bgr, sw, sh) : null;
                Fill(resized ?? bgr, 0, 0, destination, memo);
                return new ImageTransform(w, h, (double)sw / w, (double)sh / h, 0, 0);
            }
            default:
            {
                // torchvision Resize(int): shorter side to s, longer side int(s * long / short); CenterCrop: round((size - crop) / 2).
                var s = (int)Math.Floor(Math.Min(sw, sh) / _o.CropFraction);
                int nw, nh;
                if (w <= h) { nw = s; nh = (int)((long)s * h / w); }
                else { nh = s; nw = (int)((long)s * w / h); }
                using var resized = nw != w || nh != h ? Resize(bgr, nw, nh) : null;
                int left = -Round((nw - sw) / 2.0), top = -Round((nh - sh) / 2.0);
                Fill(resized ?? bgr, left, top, destination, memo);
                return new ImageTransform(w, h, (double)nw / w, (double)nh / h, left, top);
            }
        }
    }

    private static Mat Resize(Mat src, int w, int h)
    {
        if (w < 1 || h < 1) throw new InvalidDataException($"image {src.Width}x{src.Height} would be resized to {w}x{h}");
        var dst = new Mat();
        Cv2.Resize(src, dst, new Size(w, h), 0, 0, InterpolationFlags.Linear);
        return dst;
    }

    /// <summary>
    /// Writes the image at (left, top) of the input canvas, the rest padding; the image may extend past the canvas (crop).
    /// With a valid <paramref name="memo"/> (NCHW), the canvas outside the previous image already holds padding, so only
    /// the image and the part of the previous image's rectangle outside the new one are written.
    /// </summary>
    private unsafe void Fill(Mat img, int left, int top, Span<float> dst, CanvasMemo? memo)
    {
        int sw = _o.Width, sh = _o.Height, iw = img.Width, ih = img.Height;
        var plane = sw * sh;
        var pad = new float[3];
        for (var c = 0; c < 3; c++) pad[c] = _lut[c][_o.PadValue];
        // tensor channel c takes source (BGR) channel src[c]
        int s0 = _o.Bgr ? 0 : 2, s1 = 1, s2 = _o.Bgr ? 2 : 0;
        float[] l0 = _lut[0], l1 = _lut[1], l2 = _lut[2];
        var basePtr = (byte*)img.Data;
        var step = (long)img.Step();
        // columns and rows of the canvas covered by the image
        int x0 = Math.Clamp(left, 0, sw), x1 = Math.Clamp(left + iw, 0, sw);
        int y0 = Math.Clamp(top, 0, sh), y1 = Math.Clamp(top + ih, 0, sh);
        if (x0 >= x1 || y0 >= y1) { x0 = x1 = y0 = y1 = 0; }
        if (_o.Layout == TensorLayout.Nchw)
        {
            var prev = memo is { Valid: true } m && ReferenceEquals(m.Owner, this) ? m : null;
            void PadRow(Span<float> d0, Span<float> d1, Span<float> d2, int from, int to)
            {
                if (from >= to) return;
                d0[from..to].Fill(pad[0]); d1[from..to].Fill(pad[1]); d2[from..to].Fill(pad[2]);
            }
            for (var y = 0; y < sh; y++)
            {
                var d0 = dst.Slice(y * sw, sw);
                var d1 = dst.Slice(plane + y * sw, sw);
                var d2 = dst.Slice(2 * plane + y * sw, sw);
                var inPrev = prev is not null && y >= prev.Y0 && y < prev.Y1;
                if (y < y0 || y >= y1)
                {
                    if (prev is null) PadRow(d0, d1, d2, 0, sw);
                    else if (inPrev) PadRow(d0, d1, d2, prev.X0, prev.X1);
                    continue;
                }
                if (prev is null)
                {
                    PadRow(d0, d1, d2, 0, x0);
                    PadRow(d0, d1, d2, x1, sw);
                }
                else if (inPrev)
                {
                    PadRow(d0, d1, d2, prev.X0, Math.Min(prev.X1, x0));
                    PadRow(d0, d1, d2, Math.Max(prev.X0, x1), prev.X1);
                }
                var p = basePtr + (y - top) * step + (x0 - left) * 3;
                var x = x0;
                if (Ssse3.IsSupported)
                {
                    // four pixels at a time: their 12 bytes from one 16-byte load (so two more pixels must follow in the row),
                    // each channel's four bytes shuffled into int32 lanes, then ((float)v / 255f - mean) / std, the lookup
                    // table's own formula with the same IEEE operations, so the floats are the table's bit for bit
                    Vector128<float> m0 = _mean[0], m1 = _mean[1], m2 = _mean[2], sd0 = _std[0], sd1 = _std[1], sd2 = _std[2];
                    Vector128<byte> k0 = ChannelShuffle(s0), k1 = ChannelShuffle(s1), k2 = ChannelShuffle(s2);
                    var scale = Vector128.Create(255f);
                    ref var r0 = ref MemoryMarshal.GetReference(d0);
                    ref var r1 = ref MemoryMarshal.GetReference(d1);
                    ref var r2 = ref MemoryMarshal.GetReference(d2);
                    for (; x + 6 <= x1; x += 4, p += 12)
                    {
                        var bytes = Sse2.LoadVector128(p);
                        var v0 = Vector128.ConvertToSingle(Ssse3.Shuffle(bytes, k0).AsInt32());
                        var v1 = Vector128.ConvertToSingle(Ssse3.Shuffle(bytes, k1).AsInt32());
                        var v2 = Vector128.ConvertToSingle(Ssse3.Shuffle(bytes, k2).AsInt32());
                        ((v0 / scale - m0) / sd0).StoreUnsafe(ref r0, (nuint)x);
                        ((v1 / scale - m1) / sd1).StoreUnsafe(ref r1, (nuint)x);
                        ((v2 / scale - m2) / sd2).StoreUnsafe(ref r2, (nuint)x);
                    }
                }
                for (; x < x1; x++, p += 3)
                {
                    d0[x] = l0[p[s0]];
                    d1[x] = l1[p[s1]];
                    d2[x] = l2[p[s2]];
                }
            }
            if (memo is not null)
            {
                memo.Owner = this;
                (memo.X0, memo.X1, memo.Y0, memo.Y1) = (x0, x1, y0, y1);
                memo.Valid = true;
            }
        }
        else
        {
            memo?.Invalidate();
            for (var y = 0; y < sh; y++)
            {
                var row = dst.Slice(y * sw * 3, sw * 3);
                var sy = y - top;
                for (var x = 0; x < sw; x++)
                {
                    if (sy >= 0 && sy < ih && x >= x0 && x < x1)
                    {
                        var p = basePtr + sy * step + (x - left) * 3;
                        row[3 * x] = l0[p[s0]]; row[3 * x + 1] = l1[p[s1]]; row[3 * x + 2] = l2[p[s2]];
                    }
                    else
                    {
                        row[3 * x] = pad[0]; row[3 * x + 1] = pad[1]; row[3 * x + 2] = pad[2];
                    }
                }
            }
        }
    }
}

/// <summary>
/// Where the last image written into one image slot of a reused input buffer sat (canvas rows and columns), so the next
/// <see cref="ImagePreprocessor"/> run over that slot rewrites only the padding that image covered. Invalid until a
/// run fills the slot, and again after anything else writes it.
/// </summary>
internal sealed class CanvasMemo
{
    internal ImagePreprocessor? Owner;
    internal int X0, X1, Y0, Y1;
    internal bool Valid;

    /// <summary>Forgets the slot's contents (the next run writes the whole canvas).</summary>
    public void Invalidate() => Valid = false;
}

/// <summary>Image decoding with OpenCV (<c>cv2.imread(path, IMREAD_COLOR)</c>: JPEG, PNG incl. gray/RGBA/palette, BMP, ...).</summary>
public static class ImageDecoder
{
    /// <summary>Largest image accepted, in pixels (like Pillow's decompression-bomb guard); raise with the option that sets it.</summary>
    public const long DefaultMaxPixels = 178_956_970;

    /// <summary>Decodes an image file to 8-bit BGR, 3 channels. Throws <see cref="InvalidDataException"/> naming the file when it cannot be decoded.</summary>
    public static Mat DecodeBgr(string path, long maxPixels = DefaultMaxPixels)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new InvalidDataException($"{path}: cannot read the image: {e.Message}");
        }
        return DecodeBgr(bytes, path, maxPixels);
    }

    /// <summary>Decodes image bytes; <paramref name="source"/> names them in errors.</summary>
    public static Mat DecodeBgr(byte[] bytes, string source, long maxPixels = DefaultMaxPixels)
    {
        if (bytes.Length == 0) throw new InvalidDataException($"{source}: empty image file");
        OpenCvNative.Ensure();
        if (HeaderSize(bytes) is { } size && Math.Abs((long)size.Width * size.Height) > maxPixels)
            throw DynoInputException.Naming(new InvalidDataException($"{source}: image of {size.Width}x{size.Height} pixels is over the limit of {maxPixels:N0} pixels (maxPixels)"), "maxPixels");
        Mat m;
        try
        {
            m = Cv2.ImDecode(bytes, ImreadModes.Color);
            if (!m.Empty() && (long)m.Width * m.Height > maxPixels)
            {
                var (w, h) = (m.Width, m.Height);
                m.Dispose();
                throw DynoInputException.Naming(new InvalidDataException($"{source}: image of {w}x{h} pixels is over the limit of {maxPixels:N0} pixels (maxPixels)"), "maxPixels");
            }
        }
        catch (OpenCVException e)
        {
            throw new InvalidDataException($"{source}: not a decodable image: {e.Message}");
        }
        if (m.Empty())
        {
            m.Dispose();
            throw new InvalidDataException($"{source}: not a decodable image (OpenCV could not read it: corrupt or unsupported format)");
        }
        return m;
    }

    /// <summary>Width and height from the image header in memory (<see cref="Metrics.Detection.YoloFormat.ReadHeaderSize(Stream)"/>), to refuse a decompression bomb before decoding.</summary>
    internal static (int Width, int Height)? HeaderSize(byte[] bytes)
    {
        using var s = new MemoryStream(bytes, writable: false);
        return Metrics.Detection.YoloFormat.ReadHeaderSize(s);
    }
}

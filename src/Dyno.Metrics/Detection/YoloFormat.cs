using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Dyno.Metrics.Detection;

/// <summary>
/// YOLO txt labels and predictions (one <c>&lt;image&gt;.txt</c> per image; lines <c>class cx cy w h</c>
/// [<c>conf</c>], normalised to the image size) converted to COCO ground truth and results, so they are
/// evaluated by the same code. Images are the label files' stems, sorted (ordinal), with ids 1..N;
/// category id = class index + 1; areas are box areas in pixels (YOLO has no masks or crowd flags).
/// </summary>
public static class YoloFormat
{
    /// <summary>
    /// Reads a labels folder and a predictions folder; <paramref name="imageSize"/> gives each stem's
    /// (width, height). The images are <paramref name="imageStems"/> when given (an image without a
    /// labels file has no objects, as in YOLO datasets), else the labels files' stems.
    /// </summary>
    public static (CocoGroundTruth Gt, CocoDetections Dt) Load(string labelsDir, string predictionsDir, Func<string, (int Width, int Height)> imageSize,
        IReadOnlyList<string>? classNames = null, BadRecordPolicy policy = BadRecordPolicy.Error, IEnumerable<string>? imageStems = null)
    {
        if (!Directory.Exists(labelsDir)) throw new DirectoryNotFoundException($"{labelsDir}: labels folder not found");
        if (!Directory.Exists(predictionsDir)) throw new DirectoryNotFoundException($"{predictionsDir}: predictions folder not found");
        var stems = (imageStems ?? Directory.GetFiles(labelsDir, "*.txt").Select(f => Path.GetFileNameWithoutExtension(f)!))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < stems.Length; i++) ids[stems[i]] = i + 1;
        var sizes = stems.Select(imageSize).ToArray();
        var maxClass = -1;
        var gt = new StringBuilder("{\"images\":[");
        for (var i = 0; i < stems.Length; i++)
        {
            if (i > 0) gt.Append(',');
            gt.Append(CultureInfo.InvariantCulture, $"{{\"id\":{i + 1},\"file_name\":{Quote(stems[i])},\"width\":{sizes[i].Width},\"height\":{sizes[i].Height}}}");
        }
        gt.Append("],\"annotations\":[");
        var annId = 0;
        for (var i = 0; i < stems.Length; i++)
        {
            var file = Path.Combine(labelsDir, stems[i] + ".txt");
            if (!File.Exists(file)) continue; // a background image
            foreach (var (line, cls, x, y, w, h, _) in ReadLines(file, sizes[i], withConfidence: false))
            {
                CheckClass(file, line, cls, classNames);
                maxClass = Math.Max(maxClass, cls);
                if (annId > 0) gt.Append(',');
                gt.Append(CultureInfo.InvariantCulture, $"{{\"id\":{++annId},\"image_id\":{i + 1},\"category_id\":{cls + 1},\"bbox\":[{x:R},{y:R},{w:R},{h:R}],\"area\":{w * h:R},\"iscrowd\":0}}");
            }
        }
        var dt = new StringBuilder("[");
        var first = true;
        foreach (var file in Directory.GetFiles(predictionsDir, "*.txt").Order(StringComparer.Ordinal))
        {
            var stem = Path.GetFileNameWithoutExtension(file)!;
            if (!ids.TryGetValue(stem, out var imageId))
            {
                if (policy == BadRecordPolicy.Error) throw DynoInputException.Naming(new InvalidDataException($"{file}: no image '{stem}' among the evaluated images (use BadRecordPolicy.Skip to skip)"), "BadRecordPolicy.Skip");
                continue;
            }
            foreach (var (line, cls, x, y, w, h, conf) in ReadLines(file, sizes[imageId - 1], withConfidence: true))
            {
                CheckClass(file, line, cls, classNames);
                maxClass = Math.Max(maxClass, cls);
                if (!first) dt.Append(',');
                first = false;
                dt.Append(CultureInfo.InvariantCulture, $"{{\"image_id\":{imageId},\"category_id\":{cls + 1},\"bbox\":[{x:R},{y:R},{w:R},{h:R}],\"score\":{conf:R}}}");
            }
        }
        dt.Append(']');
        var nClasses = Math.Max(maxClass + 1, classNames?.Count ?? 0);
        gt.Append("],\"categories\":[");
        for (var c = 0; c < nClasses; c++)
        {
            if (c > 0) gt.Append(',');
            var name = classNames is not null && c < classNames.Count ? classNames[c] : c.ToString(CultureInfo.InvariantCulture);
            gt.Append(CultureInfo.InvariantCulture, $"{{\"id\":{c + 1},\"name\":{Quote(name)}}}");
        }
        gt.Append("]}");
        var g = CocoGroundTruth.Parse(Encoding.UTF8.GetBytes(gt.ToString()), labelsDir);
        return (g, CocoDetections.Parse(Encoding.UTF8.GetBytes(dt.ToString()), predictionsDir, g, CocoIouType.Bbox, policy));
    }

    private static void CheckClass(string file, int line, int cls, IReadOnlyList<string>? classNames)
    {
        if (classNames is not null && cls >= classNames.Count)
            throw new InvalidDataException($"{file}: line {line}: class {cls} is beyond the {classNames.Count} names given (classes are 0..{classNames.Count - 1})");
    }

    /// <summary>
    /// The boxes of one YOLO label file (<c>class cx cy w h</c>, normalised) in COCO pixels for an image of
    /// <paramref name="size"/>, in file order: x = cx·W − w·W/2, y = cy·H − h·H/2.
    /// </summary>
    public static IEnumerable<(int Line, int Class, double X, double Y, double W, double H)> ReadLabelFile(string file, (int Width, int Height) size)
    {
        foreach (var (line, cls, x, y, w, h, _) in ReadLines(file, size, withConfidence: false)) yield return (line, cls, x, y, w, h);
    }

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    private static IEnumerable<(int Line, int Cls, double X, double Y, double W, double H, double Conf)> ReadLines(string file, (int Width, int Height) size, bool withConfidence)
    {
        var n = 0;
        foreach (var raw in File.ReadLines(file))
        {
            n++;
            var parts = raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            var want = withConfidence ? 6 : 5;
            if (parts.Length != want)
                throw new InvalidDataException($"{file}: line {n}: {parts.Length} fields, expected {want} (class cx cy w h{(withConfidence ? " conf" : "")}; segments are not supported)");
            if (!int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var cls) || cls < 0)
                throw new InvalidDataException($"{file}: line {n}: class '{parts[0]}' is not a non-negative integer");
            var v = new double[want - 1];
            for (var k = 1; k < want; k++)
                if (!double.TryParse(parts[k], NumberStyles.Float, CultureInfo.InvariantCulture, out v[k - 1]) || !double.IsFinite(v[k - 1]))
                    throw new InvalidDataException($"{file}: line {n}: '{parts[k]}' is not a finite number");
            // Ultralytics refuses labels outside [0, 1] ("non-normalized or out of bounds coordinates"): pixel labels would
            // otherwise be scaled by the image size a second time.
            if (!withConfidence && v.Any(c => c is < 0 or > 1))
                throw new InvalidDataException($"{file}: line {n}: coordinates '{string.Join(" ", parts[1..])}' are not normalised to [0, 1] (YOLO labels are fractions of the image size, not pixels)");
            double w = v[2] * size.Width, h = v[3] * size.Height;
            if (w < 0 || h < 0) throw new InvalidDataException($"{file}: line {n}: negative box size");
            yield return (n, cls, v[0] * size.Width - w / 2, v[1] * size.Height - h / 2, w, h, withConfidence ? v[4] : 1);
        }
    }

    /// <summary>
    /// Width and height from a PNG, JPEG, GIF or BMP header (EXIF orientation is not applied); null when the
    /// format is not recognised or a JPEG has no frame header. JPEG segments are skipped by seeking, so a
    /// frame header after large EXIF data is still found.
    /// </summary>
    /// <exception cref="InvalidDataException">The header gives a zero or negative width or height.</exception>
    public static (int Width, int Height)? ReadImageSize(string path)
    {
        var size = ReadHeaderSize(path);
        if (size is { } s && (s.Width <= 0 || s.Height <= 0))
            throw new InvalidDataException($"{path}: the image header gives a size of {s.Width}x{s.Height}; boxes in it would be scaled to nothing");
        return size;
    }

    private static (int Width, int Height)? ReadHeaderSize(string path)
    {
        using var f = File.OpenRead(path);
        return ReadHeaderSize(f);
    }

    /// <summary>
    /// Width and height from the PNG, JPEG, GIF or BMP header at the start of a seekable stream, unchecked (a header may
    /// claim any size); null when the format is not recognised or a JPEG has no frame header.
    /// </summary>
    public static (int Width, int Height)? ReadHeaderSize(Stream f)
    {
        Span<byte> head = stackalloc byte[26];
        var n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        ReadOnlySpan<byte> png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (n >= 24 && head[..8].SequenceEqual(png))
            return (BinaryPrimitives.ReadInt32BigEndian(head[16..]), BinaryPrimitives.ReadInt32BigEndian(head[20..]));
        if (n >= 10 && head[0] == (byte)'G' && head[1] == (byte)'I' && head[2] == (byte)'F')
            return (BinaryPrimitives.ReadUInt16LittleEndian(head[6..]), BinaryPrimitives.ReadUInt16LittleEndian(head[8..]));
        if (n >= 26 && head[0] == (byte)'B' && head[1] == (byte)'M')
            return (BinaryPrimitives.ReadInt32LittleEndian(head[18..]), Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(head[22..])));
        if (n < 4 || head[0] != 0xFF || head[1] != 0xD8) return null;
        f.Position = 2;
        Span<byte> seg = stackalloc byte[5];
        while (f.ReadAtLeast(seg[..2], 2, throwOnEndOfStream: false) == 2)
        {
            if (seg[0] != 0xFF) return null;
            var marker = seg[1];
            if (marker == 0xFF) { f.Position -= 1; continue; }                            // fill byte
            if (marker is 0xD8 or 0x01 || marker is >= 0xD0 and <= 0xD7) continue;        // markers without a length
            if (f.ReadAtLeast(seg[..2], 2, throwOnEndOfStream: false) < 2) return null;
            var len = BinaryPrimitives.ReadUInt16BigEndian(seg);
            // start of frame (baseline, progressive, ...), not DHT (C4), JPG (C8), DAC (CC)
            if (marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC))
                return f.ReadAtLeast(seg, 5, throwOnEndOfStream: false) < 5
                    ? null
                    : (BinaryPrimitives.ReadUInt16BigEndian(seg[3..]), BinaryPrimitives.ReadUInt16BigEndian(seg[1..]));
            f.Position += len - 2;
        }
        return null;
    }
}

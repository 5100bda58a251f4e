using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Assignment;

/// <summary>One image's size and ground-truth boxes (pixels, corner form) with class ids.</summary>
internal sealed record GroundTruthImage(string Name, int Width, int Height, Box[] Boxes, int[] Labels);

/// <summary>What was read, and what was left out on purpose.</summary>
internal sealed record GroundTruthSet(IReadOnlyList<GroundTruthImage> Images, int SkippedCrowd, int SkippedDegenerate);

/// <summary>
/// A deliberately tiny reader of detection ground truth for anchor statistics: COCO JSON (image sizes and
/// non-crowd bboxes only) or a YOLO directory (labels/*.txt next to images/, sizes from the image headers).
/// </summary>
internal static class GroundTruthReader
{
    public static GroundTruthSet Read(string path)
    {
        if (Directory.Exists(path)) return ReadYolo(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such COCO JSON file or YOLO directory", path);
        return ReadCoco(path);
    }

    private sealed class CocoFile
    {
        [JsonPropertyName("images")] public List<CocoImage>? Images { get; set; }
        [JsonPropertyName("annotations")] public List<CocoAnnotation>? Annotations { get; set; }
    }

    private sealed class CocoImage
    {
        [JsonPropertyName("id")] public long Id { get; set; }
        [JsonPropertyName("width")] public int Width { get; set; }
        [JsonPropertyName("height")] public int Height { get; set; }
        [JsonPropertyName("file_name")] public string? FileName { get; set; }
    }

    private sealed class CocoAnnotation
    {
        [JsonPropertyName("id")] public long Id { get; set; }
        [JsonPropertyName("image_id")] public long ImageId { get; set; }
        [JsonPropertyName("category_id")] public int CategoryId { get; set; }
        [JsonPropertyName("bbox")] public double[]? Bbox { get; set; }
        [JsonPropertyName("iscrowd")] public int IsCrowd { get; set; }
    }

    private static GroundTruthSet ReadCoco(string path)
    {
        CocoFile coco;
        try
        {
            using var stream = File.OpenRead(path);
            coco = JsonSerializer.Deserialize<CocoFile>(stream) ?? throw new InvalidDataException($"{path}: empty COCO JSON");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid COCO JSON ({e.Message})");
        }
        if (coco.Images is null) throw new InvalidDataException($"{path}: no \"images\" array (not a COCO ground-truth file?)");
        var index = new Dictionary<long, int>();
        for (var i = 0; i < coco.Images.Count; i++)
        {
            var im = coco.Images[i];
            if (im.Width <= 0 || im.Height <= 0)
                throw new InvalidDataException($"{path}: image id {im.Id} has size {im.Width}×{im.Height}; width and height must be positive");
            if (!index.TryAdd(im.Id, i)) throw new InvalidDataException($"{path}: image id {im.Id} appears twice");
        }
        var boxes = coco.Images.Select(_ => new List<(Box, int)>()).ToArray();
        int crowd = 0, degenerate = 0;
        foreach (var a in coco.Annotations ?? [])
        {
            if (!index.TryGetValue(a.ImageId, out var i))
                throw new InvalidDataException($"{path}: annotation id {a.Id} refers to image id {a.ImageId}, which is not in \"images\"");
            if (a.Bbox is not { Length: 4 } b || b.Any(v => !double.IsFinite(v)))
                throw new InvalidDataException($"{path}: annotation id {a.Id} has no valid [x, y, width, height] bbox");
            if (a.IsCrowd != 0) { crowd++; continue; }
            if (b[2] <= 0 || b[3] <= 0) { degenerate++; continue; }
            boxes[i].Add((Box.FromXywh(b[0], b[1], b[2], b[3]), a.CategoryId));
        }
        var images = coco.Images.Select((im, i) => new GroundTruthImage(im.FileName ?? im.Id.ToString(CultureInfo.InvariantCulture),
            im.Width, im.Height, boxes[i].Select(x => x.Item1).ToArray(), boxes[i].Select(x => x.Item2).ToArray())).ToList();
        return new GroundTruthSet(images, crowd, degenerate);
    }

    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp"];

    private static GroundTruthSet ReadYolo(string dir)
    {
        var imageRoot = Directory.Exists(Path.Combine(dir, "images")) ? Path.Combine(dir, "images") : dir;
        var files = Directory.EnumerateFiles(imageRoot, "*", SearchOption.AllDirectories)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new InvalidDataException($"{dir}: no images (.jpg, .jpeg, .png, .bmp) found for a YOLO dataset");
        var images = new GroundTruthImage[files.Count];
        var degenerate = 0;
        try
        {
            Parallel.For(0, files.Count, i => images[i] = ReadYoloImage(dir, imageRoot, files[i], ref degenerate));
        }
        catch (AggregateException e)
        {
            // Report the first bad file as the one-line error it is, not as a wrapped exception.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
        }
        return new GroundTruthSet(images, 0, degenerate);
    }

    private static GroundTruthImage ReadYoloImage(string dir, string imageRoot, string img, ref int degenerate)
    {
        {
            var (w, h) = Detection.YoloFormat.ReadImageSize(img)
                ?? throw new InvalidDataException($"{img}: not a PNG, JPEG, GIF or BMP image (or a JPEG without a frame header); cannot read the image size");
            var label = LabelPath(dir, imageRoot, img);
            var bs = new List<Box>();
            var ls = new List<int>();
            if (File.Exists(label))
            {
                var lineNo = 0;
                foreach (var line in File.ReadLines(label))
                {
                    lineNo++;
                    var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length == 0) continue;
                    if (f.Length < 5 || (f.Length > 5 && f.Length % 2 == 0))
                        throw new InvalidDataException($"{label}:{lineNo}: expected 'class cx cy w h' (or 'class x1 y1 x2 y2 ...' polygon), got {f.Length} fields");
                    var v = new double[f.Length];
                    for (var k = 0; k < f.Length; k++)
                        if (!double.TryParse(f[k], NumberStyles.Float, CultureInfo.InvariantCulture, out v[k]) || !double.IsFinite(v[k]))
                            throw new InvalidDataException($"{label}:{lineNo}: field {k + 1} '{f[k]}' is not a number");
                    Box b;
                    if (f.Length == 5) b = Box.FromCxcywh(v[1] * w, v[2] * h, v[3] * w, v[4] * h);
                    else
                    {
                        double x1 = double.MaxValue, y1 = double.MaxValue, x2 = double.MinValue, y2 = double.MinValue;
                        for (var k = 1; k < f.Length; k += 2)
                        {
                            x1 = Math.Min(x1, v[k] * w); x2 = Math.Max(x2, v[k] * w);
                            y1 = Math.Min(y1, v[k + 1] * h); y2 = Math.Max(y2, v[k + 1] * h);
                        }
                        b = new Box(x1, y1, x2, y2);
                    }
                    if (b.Width <= 0 || b.Height <= 0) { Interlocked.Increment(ref degenerate); continue; }
                    bs.Add(b);
                    ls.Add((int)v[0]);
                }
            }
            return new GroundTruthImage(Path.GetRelativePath(imageRoot, img), w, h, bs.ToArray(), ls.ToArray());
        }
    }

    // YOLOv5/ultralytics convention: .../images/.../x.jpg → .../labels/.../x.txt (or x.txt beside the image).
    private static string LabelPath(string dir, string imageRoot, string image)
    {
        var rel = Path.ChangeExtension(Path.GetRelativePath(imageRoot, image), ".txt");
        return imageRoot == dir ? Path.Combine(dir, rel) : Path.Combine(dir, "labels", rel);
    }
}

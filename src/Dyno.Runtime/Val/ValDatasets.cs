using System.Globalization;
using System.Text.Json;
using Dyno.Metrics.Detection;
using YamlDotNet.RepresentationModel;

namespace Dyno.Runtime.Val;

/// <summary>The task a model is validated on.</summary>
public enum ValTask
{
    /// <summary>Object detection (COCO mAP).</summary>
    Detect,

    /// <summary>Image classification (top-1/top-5, per-class precision/recall/F1).</summary>
    Classify,

    /// <summary>Semantic segmentation (mIoU, Dice, pixel accuracy).</summary>
    Segment,
}

/// <summary>An image of a detection val set and where its ground truth comes from.</summary>
/// <param name="Path">Image file.</param>
/// <param name="ImageId">COCO image id.</param>
/// <param name="LabelPath">YOLO label file (may be absent: a background image); null for COCO ground truth.</param>
public sealed record DetectionSample(string Path, long ImageId, string? LabelPath);

/// <summary>A detection val set: images, class names, and either a COCO ground truth or YOLO label files.</summary>
public sealed class DetectionDataset
{
    /// <summary>Where the set was read from (YAML or COCO file).</summary>
    public required string Source { get; init; }

    /// <summary>Images in evaluation order.</summary>
    public required IReadOnlyList<DetectionSample> Samples { get; init; }

    /// <summary>Class names by model class index.</summary>
    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>COCO category id of each model class index (COCO files: sorted category ids; YOLO: index + 1).</summary>
    public required IReadOnlyList<long> CategoryIds { get; init; }

    /// <summary>The COCO ground truth, when the set is a COCO file; null for YOLO labels (read per image).</summary>
    public CocoGroundTruth? GroundTruth { get; init; }

    /// <summary>
    /// Reads a YOLO label file as COCO boxes for an image of the given size with the reader of <c>dyno eval det
    /// --input-format yolo</c> (<see cref="YoloFormat.ReadLabelFile"/>). A missing file is an image without objects, as in Ultralytics.
    /// </summary>
    public IReadOnlyList<CocoBoxTarget> ReadLabels(string? labelPath, int width, int height)
    {
        if (labelPath is null || !File.Exists(labelPath)) return [];
        var list = new List<CocoBoxTarget>();
        foreach (var (line, cls, x, y, w, h) in YoloFormat.ReadLabelFile(labelPath, (width, height)))
        {
            if (cls >= Names.Count)
                throw new InvalidDataException($"{labelPath}: line {line}: class {cls}, but {Source} names {Names.Count} classes");
            list.Add(new CocoBoxTarget(CategoryIds[cls], x, y, w, h));
        }
        return list;
    }
}

/// <summary>An image of a classification val set with its true class.</summary>
public sealed record ClassificationSample(string Path, int Label);

/// <summary>An ImageNet-style folder (<c>&lt;class&gt;/*.jpg</c>), classes sorted by name as torchvision's ImageFolder does.</summary>
public sealed record ClassificationDataset(string Source, IReadOnlyList<ClassificationSample> Samples, IReadOnlyList<string> Names);

/// <summary>An image of a segmentation val set with its label map.</summary>
public sealed record SegmentationSample(string Path, string MaskPath, string Name);

/// <summary>Images with PNG label maps matched by file stem.</summary>
public sealed record SegmentationDataset(string Source, IReadOnlyList<SegmentationSample> Samples, IReadOnlyList<string>? Names);

/// <summary>What an Ultralytics dataset YAML says: its root folder, split entries and class names.</summary>
/// <param name="Source">The YAML file.</param>
/// <param name="Root">The dataset root: <c>path</c> resolved against the YAML's folder (the folder itself without <c>path</c>).</param>
/// <param name="Names">Class names by class index.</param>
/// <param name="Splits">The <c>train</c>/<c>val</c>/<c>test</c> entries present, as written (null when not a path or a list of paths).</param>
public sealed record DataYaml(string Source, string Root, IReadOnlyList<string> Names, IReadOnlyDictionary<string, IReadOnlyList<string>?> Splits)
{
    /// <summary>The entries of <paramref name="split"/> (folders, image lists or images, relative to <see cref="Root"/>).</summary>
    public IReadOnlyList<string> Split(string split) => Splits.TryGetValue(split, out var e)
        ? e ?? throw new InvalidDataException($"{Source}: '{split}' must be a path or a list of paths")
        : throw new InvalidDataException($"{Source}: no '{split}' entry");

    /// <summary>A path of the YAML resolved against <see cref="Root"/>.</summary>
    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(Root, path));
}

/// <summary>Readers for the val-set layouts Ultralytics, torchvision and mmsegmentation users have.</summary>
public static class ValDatasets
{
    /// <summary>Image extensions searched in folders (torchvision's IMG_EXTENSIONS plus Ultralytics').</summary>
    public static IReadOnlySet<string> ImageExtensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp", ".dng", ".mpo", ".pfm",
    };

    private static bool IsImage(string path) => ImageExtensions.Contains(Path.GetExtension(path));

    /// <summary>Which task a data path describes: a YAML or COCO JSON → detection; a folder of class folders → classification; images + masks → segmentation. Null when unclear.</summary>
    public static ValTask? GuessTask(string data)
    {
        if (File.Exists(data))
        {
            var ext = Path.GetExtension(data).ToLowerInvariant();
            return ext is ".yaml" or ".yml" or ".json" ? ValTask.Detect : null;
        }
        if (!Directory.Exists(data)) return null;
        if (SegmentationFolders(data) is not null) return ValTask.Segment;
        var root = ClassRoot(data);
        return Directory.GetDirectories(root).Any(d => Directory.EnumerateFiles(d).Any(IsImage)) ? ValTask.Classify : null;
    }

    /// <summary>
    /// An Ultralytics dataset YAML: <c>path</c> (root; relative paths are resolved against the YAML's folder),
    /// <c>val</c> (a folder, an image list .txt, or a list of those), <c>names</c> (list or index map), optional
    /// <c>nc</c>. Labels: the image path with its last <c>/images/</c> replaced by <c>/labels/</c> and the extension
    /// by <c>.txt</c> (Ultralytics' <c>img2label_paths</c>). Image ids: the file stems when all are integers and
    /// distinct, else 1..N in sorted path order.
    /// </summary>
    public static DetectionDataset ReadYolo(string yamlPath, string split = "val")
    {
        var data = ReadDataYaml(yamlPath);
        var entries = data.Split(split);
        var images = new List<string>();
        foreach (var e in entries)
        {
            var full = data.Resolve(e);
            if (Directory.Exists(full))
                images.AddRange(Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Where(IsImage));
            else if (File.Exists(full) && full.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
            {
                var listDir = Path.GetDirectoryName(full)!;
                foreach (var line in File.ReadLines(full))
                {
                    var t = line.Trim();
                    if (t.Length == 0) continue;
                    images.Add(t.StartsWith("./", StringComparison.Ordinal) ? Path.GetFullPath(Path.Combine(listDir, t)) : data.Resolve(t));
                }
            }
            else if (File.Exists(full) && IsImage(full)) images.Add(full);
            else throw new InvalidDataException($"{yamlPath}: '{split}' entry '{e}' ({full}) is not a folder, an image list or an image");
        }
        images = images.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (images.Count == 0) throw new InvalidDataException($"{yamlPath}: no images found for '{split}'");
        var stems = images.Select(i => Path.GetFileNameWithoutExtension(i)).ToList();
        var numeric = stems.Select(s => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : (long?)null).ToList();
        var useStems = numeric.All(v => v is not null) && numeric.Distinct().Count() == numeric.Count;
        var samples = images.Select((img, i) => new DetectionSample(img, useStems ? numeric[i]!.Value : i + 1, LabelPath(img))).ToList();
        return new DetectionDataset
        {
            Source = yamlPath, Samples = samples, Names = data.Names, CategoryIds = Enumerable.Range(1, data.Names.Count).Select(i => (long)i).ToList(),
        };
    }

    /// <summary>
    /// Reads an Ultralytics dataset YAML (<c>data.yaml</c>) with a YAML parser: <c>path</c> (the root; relative to the
    /// YAML's folder when relative, the folder itself when absent), the <c>train</c>/<c>val</c>/<c>test</c> entries,
    /// <c>names</c> as a list or an index map (indices 0..n-1, non-empty names) and <c>nc</c>, which must agree with
    /// <c>names</c> when given.
    /// </summary>
    public static DataYaml ReadDataYaml(string yamlPath)
    {
        if (!File.Exists(yamlPath)) throw new FileNotFoundException($"{yamlPath}: no such dataset YAML", yamlPath);
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(yamlPath);
            yaml.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{yamlPath}: not valid YAML: {e.Message}");
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode map)
            throw new InvalidDataException($"{yamlPath}: expected an Ultralytics dataset mapping with 'path', 'val' and 'names'");
        string? Scalar(string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var n) && n is YamlScalarNode s ? s.Value : null;
        var yamlDir = Path.GetDirectoryName(Path.GetFullPath(yamlPath))!;
        var root = Scalar("path") is { Length: > 0 } p ? (Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(yamlDir, p))) : yamlDir;
        var names = ReadNames(map, yamlPath);
        if (Scalar("nc") is { } ncText)
        {
            if (!int.TryParse(ncText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var nc) || nc < 1)
                throw new InvalidDataException($"{yamlPath}: 'nc' must be a positive integer, got '{ncText}'");
            if (nc != names.Count) throw new InvalidDataException($"{yamlPath}: 'nc' is {nc} but 'names' lists {names.Count} classes");
        }
        var splits = new Dictionary<string, IReadOnlyList<string>?>(StringComparer.Ordinal);
        foreach (var key in new[] { "train", "val", "test" })
        {
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node)) continue;
            splits[key] = node switch
            {
                YamlScalarNode sc when !string.IsNullOrEmpty(sc.Value) && sc.Value != "~" && sc.Value != "null" => [sc.Value!],
                YamlSequenceNode seq when seq.Children.All(c => c is YamlScalarNode { Value.Length: > 0 }) && seq.Children.Count > 0
                    => seq.Children.Select(c => ((YamlScalarNode)c).Value!).ToList(),
                _ => null,
            };
        }
        return new DataYaml(yamlPath, root, names, splits);
    }

    /// <summary>Ultralytics' <c>img2label_paths</c>.</summary>
    public static string LabelPath(string imagePath)
    {
        var sep = Path.DirectorySeparatorChar;
        var sa = $"{sep}images{sep}";
        var sb = $"{sep}labels{sep}";
        var i = imagePath.LastIndexOf(sa, StringComparison.Ordinal);
        var swapped = i >= 0 ? imagePath[..i] + sb + imagePath[(i + sa.Length)..] : imagePath;
        var dot = swapped.LastIndexOf('.');
        return (dot > swapped.LastIndexOf(sep) ? swapped[..dot] : swapped) + ".txt";
    }

    private static List<string> ReadNames(YamlMappingNode map, string yamlPath)
    {
        if (!map.Children.TryGetValue(new YamlScalarNode("names"), out var node)) throw new InvalidDataException($"{yamlPath}: no 'names'");
        switch (node)
        {
            case YamlSequenceNode seq:
                return seq.Children.Select((c, i) => c is YamlScalarNode { Value.Length: > 0 } s ? s.Value! : throw new InvalidDataException($"{yamlPath}: names[{i}] is not a non-empty string")).ToList();
            case YamlMappingNode m:
            {
                var byIndex = new SortedDictionary<int, string>();
                foreach (var (k, v) in m.Children)
                {
                    if (k is not YamlScalarNode ks || !int.TryParse(ks.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var idx) || idx < 0)
                        throw new InvalidDataException($"{yamlPath}: names key '{k}' is not a class index");
                    if (v is not YamlScalarNode { Value.Length: > 0 } vs) throw new InvalidDataException($"{yamlPath}: names[{idx}] is not a non-empty string");
                    if (!byIndex.TryAdd(idx, vs.Value!)) throw new InvalidDataException($"{yamlPath}: names index {idx} given twice");
                }
                if (byIndex.Count == 0 || byIndex.Keys.Last() != byIndex.Count - 1) throw new InvalidDataException($"{yamlPath}: names indices must be 0..{byIndex.Count - 1}");
                return byIndex.Values.ToList();
            }
            default:
                throw new InvalidDataException($"{yamlPath}: 'names' must be a list or a map of index: name");
        }
    }

    /// <summary>A COCO ground-truth file with its images folder (<c>file_name</c> is relative to it). Class index = position of the category in sorted id order.</summary>
    public static DetectionDataset ReadCoco(string jsonPath, string imagesDir)
    {
        if (!Directory.Exists(imagesDir)) throw DynoInputException.Naming(new DirectoryNotFoundException($"{imagesDir}: images folder not found (imagesDir)"), "imagesDir");
        var gt = CocoGroundTruth.Load(jsonPath);
        var files = new Dictionary<long, string>();
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(jsonPath), new JsonDocumentOptions { AllowTrailingCommas = false }))
        {
            var i = 0;
            foreach (var img in doc.RootElement.GetProperty("images").EnumerateArray())
            {
                if (!img.TryGetProperty("file_name", out var fn) || fn.ValueKind != JsonValueKind.String)
                    throw new InvalidDataException($"{jsonPath}: images[{i}]: no 'file_name' (needed to find the image in {imagesDir})");
                files[img.GetProperty("id").GetInt64()] = fn.GetString()!;
                i++;
            }
        }
        var samples = gt.Images.Select(im => new DetectionSample(Path.Combine(imagesDir, files[im.Id]), im.Id, null)).ToList();
        return new DetectionDataset
        {
            Source = jsonPath, Samples = samples, Names = gt.Categories.Select(c => c.Name).ToList(),
            CategoryIds = gt.Categories.Select(c => c.Id).ToList(), GroundTruth = gt,
        };
    }

    private static string ClassRoot(string dir)
    {
        var val = Path.Combine(dir, "val");
        return Directory.Exists(val) && Directory.GetDirectories(val).Length > 0 ? val : dir;
    }

    /// <summary>
    /// An ImageNet-style folder (or its <c>val/</c> split): one sub-folder per class, classes in sorted (ordinal) name
    /// order unless <paramref name="names"/> gives the order; images sorted by path within a class.
    /// </summary>
    public static ClassificationDataset ReadImageFolder(string dir, IReadOnlyList<string>? names = null)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: folder not found");
        var root = ClassRoot(dir);
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        if (folders.Count == 0) throw new InvalidDataException($"{root}: no class folders (expected <class>/<image> files)");
        var classes = names?.ToList() ?? folders!;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < classes.Count; i++)
            if (!index.TryAdd(classes[i]!, i)) throw new InvalidDataException($"class name '{classes[i]}' is given twice");
        var samples = new List<ClassificationSample>();
        foreach (var f in folders)
        {
            if (!index.TryGetValue(f!, out var label)) throw new InvalidDataException($"{Path.Combine(root, f!)}: folder '{f}' is not among the {classes.Count} class names");
            samples.AddRange(Directory.EnumerateFiles(Path.Combine(root, f!), "*", SearchOption.AllDirectories).Where(IsImage)
                .Order(StringComparer.Ordinal).Select(p => new ClassificationSample(p, label)));
        }
        if (samples.Count == 0) throw new InvalidDataException($"{root}: no images in the class folders");
        return new ClassificationDataset(root, samples, classes!);
    }

    private static (string Images, string Masks)? SegmentationFolders(string dir)
    {
        var images = Path.Combine(dir, "images");
        if (!Directory.Exists(images)) return null;
        foreach (var m in new[] { "masks", "annotations", "labels", "ann_dir" })
        {
            var p = Path.Combine(dir, m);
            if (Directory.Exists(p) && Directory.EnumerateFiles(p, "*.png").Any()) return (images, p);
        }
        return null;
    }

    /// <summary>
    /// Images and PNG label maps matched by file stem: <c>DIR/images</c> with <c>DIR/masks</c> (or annotations/labels),
    /// or the two folders given. Names from <c>classes.json</c> (a list, or an object with <c>names</c>) or a text file, when present.
    /// </summary>
    public static SegmentationDataset ReadSegmentation(string dir, string? imagesDir = null, string? masksDir = null)
    {
        string images, masks;
        if (imagesDir is not null && masksDir is not null) (images, masks) = (imagesDir, masksDir);
        else if (SegmentationFolders(dir) is { } f) (images, masks) = f;
        else throw DynoInputException.Naming(new InvalidDataException($"{dir}: expected 'images/' and 'masks/' folders (or give imagesDir and masksDir)"), "imagesDir", "masksDir");
        if (!Directory.Exists(images)) throw new DirectoryNotFoundException($"{images}: images folder not found");
        if (!Directory.Exists(masks)) throw new DirectoryNotFoundException($"{masks}: masks folder not found");
        var maskByStem = Directory.EnumerateFiles(masks, "*.png").ToDictionary(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal);
        var samples = new List<SegmentationSample>();
        foreach (var img in Directory.EnumerateFiles(images).Where(IsImage).Order(StringComparer.Ordinal))
        {
            var stem = Path.GetFileNameWithoutExtension(img);
            if (!maskByStem.TryGetValue(stem, out var mask)) throw new InvalidDataException($"{img}: no label map '{stem}.png' in {masks}");
            samples.Add(new SegmentationSample(img, mask, stem));
        }
        if (samples.Count == 0) throw new InvalidDataException($"{images}: no images");
        IReadOnlyList<string>? names = null;
        var classesJson = Path.Combine(dir, "classes.json");
        if (File.Exists(classesJson))
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(classesJson));
            var arr = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement
                : doc.RootElement.TryGetProperty("names", out var n) ? n
                : doc.RootElement.TryGetProperty("classes", out var c) ? c : default;
            if (arr.ValueKind == JsonValueKind.Array)
                names = arr.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.TryGetProperty("name", out var nm) ? nm.GetString() ?? "" : e.ToString()).ToList();
        }
        return new SegmentationDataset(dir, samples, names);
    }
}

using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Dyno.Metrics.Detection;

/// <summary>
/// Pascal VOC input: ground truth as a folder of VOC XML annotation files (one per image) and detections in
/// the VOC devkit's results format, a folder of text files named <c>..._&lt;class&gt;.txt</c> or
/// <c>&lt;class&gt;.txt</c> with lines <c>image_id score xmin ymin xmax ymax</c>. Boxes become COCO boxes in
/// continuous coordinates (width = xmax − xmin, as torchvision's VOC loader); <c>difficult</c> objects become
/// COCO crowd regions, so detections on them are neither true nor false positives and they are not
/// counted as missed (COCO matches crowd regions by intersection over the detection's area).
/// </summary>
public static class VocXmlFormat
{
    public static (CocoGroundTruth Gt, CocoDetections Dt) Load(string annotationsDir, string resultsDir, BadRecordPolicy policy = BadRecordPolicy.Error)
    {
        if (!Directory.Exists(annotationsDir)) throw new DirectoryNotFoundException($"{annotationsDir}: annotations folder not found");
        if (!Directory.Exists(resultsDir)) throw new DirectoryNotFoundException($"{resultsDir}: results folder not found");
        var files = Directory.GetFiles(annotationsDir, "*.xml").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new InvalidDataException($"{annotationsDir}: no .xml annotation files");
        var classes = new List<string>();
        var classIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var imageIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var images = new StringBuilder();
        var anns = new StringBuilder();
        var annId = 0;
        for (var i = 0; i < files.Length; i++)
        {
            XElement root;
            try
            {
                root = XDocument.Load(files[i]).Root ?? throw new InvalidDataException($"{files[i]}: empty XML document");
            }
            catch (XmlException e)
            {
                throw new InvalidDataException($"{files[i]}: malformed XML at line {e.LineNumber}, position {e.LinePosition}: {e.Message}");
            }
            var stem = Path.GetFileNameWithoutExtension(files[i]);
            imageIds[stem] = i + 1;
            var w = Num(root, "size/width", files[i], "image");
            var h = Num(root, "size/height", files[i], "image");
            if (i > 0) images.Append(',');
            images.Append(CultureInfo.InvariantCulture, $"{{\"id\":{i + 1},\"file_name\":{Quote(root.Element("filename")?.Value ?? stem)},\"width\":{w:R},\"height\":{h:R}}}");
            var k = 0;
            foreach (var obj in root.Elements("object"))
            {
                k++;
                var what = $"object #{k}";
                var name = obj.Element("name")?.Value.Trim() ?? throw new InvalidDataException($"{files[i]}: {what} has no <name>");
                if (!classIds.TryGetValue(name, out var cls))
                {
                    classes.Add(name);
                    classIds[name] = cls = classes.Count;
                }
                double x1 = Num(obj, "bndbox/xmin", files[i], what), y1 = Num(obj, "bndbox/ymin", files[i], what);
                double x2 = Num(obj, "bndbox/xmax", files[i], what), y2 = Num(obj, "bndbox/ymax", files[i], what);
                if (x2 < x1 || y2 < y1) throw new InvalidDataException($"{files[i]}: {what} ('{name}') has xmax < xmin or ymax < ymin");
                var difficult = obj.Element("difficult")?.Value.Trim() == "1";
                if (annId > 0) anns.Append(',');
                anns.Append(CultureInfo.InvariantCulture,
                    $"{{\"id\":{++annId},\"image_id\":{i + 1},\"category_id\":{cls},\"bbox\":[{x1:R},{y1:R},{x2 - x1:R},{y2 - y1:R}],\"area\":{(x2 - x1) * (y2 - y1):R},\"iscrowd\":{(difficult ? 1 : 0)}}}");
            }
        }
        var gt = new StringBuilder("{\"images\":[").Append(images).Append("],\"annotations\":[").Append(anns).Append("],\"categories\":[");
        for (var c = 0; c < classes.Count; c++) gt.Append(c > 0 ? "," : "").Append(CultureInfo.InvariantCulture, $"{{\"id\":{c + 1},\"name\":{Quote(classes[c])}}}");
        gt.Append("]}");
        var g = CocoGroundTruth.Parse(Encoding.UTF8.GetBytes(gt.ToString()), annotationsDir);

        var dt = new StringBuilder("[");
        var first = true;
        foreach (var file in Directory.GetFiles(resultsDir, "*.txt").Order(StringComparer.Ordinal))
        {
            var stem = Path.GetFileNameWithoutExtension(file);
            var cls = classes.Where(c => stem == c || stem.EndsWith("_" + c, StringComparison.Ordinal)).OrderByDescending(c => c.Length).FirstOrDefault();
            if (cls is null)
            {
                if (policy == BadRecordPolicy.Error) throw DynoInputException.Naming(new InvalidDataException($"{file}: the file name names no class of the annotations ({string.Join(", ", classes)}); use BadRecordPolicy.Skip to skip it"), "BadRecordPolicy.Skip");
                continue;
            }
            var n = 0;
            foreach (var raw in File.ReadLines(file))
            {
                n++;
                var p = raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (p.Length == 0) continue;
                if (p.Length != 6) throw new InvalidDataException($"{file}: line {n}: {p.Length} fields, expected 6 (image_id score xmin ymin xmax ymax)");
                if (!imageIds.TryGetValue(p[0], out var imageId))
                {
                    if (policy == BadRecordPolicy.Error) throw DynoInputException.Naming(new InvalidDataException($"{file}: line {n}: image '{p[0]}' has no annotation file; use BadRecordPolicy.Skip to skip"), "BadRecordPolicy.Skip");
                    continue;
                }
                var v = new double[5];
                for (var j = 0; j < 5; j++)
                    if (!double.TryParse(p[j + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out v[j]) || !double.IsFinite(v[j]))
                        throw new InvalidDataException($"{file}: line {n}: '{p[j + 1]}' is not a finite number");
                if (v[3] < v[1] || v[4] < v[2]) throw new InvalidDataException($"{file}: line {n}: xmax < xmin or ymax < ymin");
                dt.Append(first ? "" : ",").Append(CultureInfo.InvariantCulture,
                    $"{{\"image_id\":{imageId},\"category_id\":{classIds[cls]},\"bbox\":[{v[1]:R},{v[2]:R},{v[3] - v[1]:R},{v[4] - v[2]:R}],\"score\":{v[0]:R}}}");
                first = false;
            }
        }
        dt.Append(']');
        return (g, CocoDetections.Parse(Encoding.UTF8.GetBytes(dt.ToString()), resultsDir, g, CocoIouType.Bbox, policy));
    }

    private static double Num(XElement e, string path, string file, string what)
    {
        var cur = e;
        foreach (var part in path.Split('/')) cur = cur?.Element(part);
        if (cur is null || !double.TryParse(cur.Value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
            throw new InvalidDataException($"{file}: {what}: <{path}> is missing or not a number");
        return v;
    }

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}

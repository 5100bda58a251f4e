using System.Text.Json;
using Dyno.Metrics.Masks;

namespace Dyno.Metrics.Detection;

/// <summary>What to do with a detection that cannot be evaluated (unknown image or category, NaN score, negative size).</summary>
public enum BadRecordPolicy
{
    /// <summary>Stop with an error naming the file, the record and the problem (the default).</summary>
    Error,

    /// <summary>Skip the record, count it by reason and report the counts (<c>--lenient</c>).</summary>
    Skip,
}

/// <summary>
/// A COCO results file (a list of <c>{image_id, category_id, bbox | segmentation, score}</c>) in
/// struct-of-arrays form, checked against the ground truth, as pycocotools' <c>loadRes</c> reads it:
/// with a box, area = width × height; without one, area and box come from the mask.
/// </summary>
public sealed class CocoDetections
{
    private CocoDetections(string source) => Source = source;

    /// <summary>The file it was read from.</summary>
    public string Source { get; }

    /// <summary>Number of detections kept.</summary>
    public int Count { get; private set; }

    /// <summary>Records skipped under <see cref="BadRecordPolicy.Skip"/>, by reason.</summary>
    public IReadOnlyDictionary<string, int> Skipped => _skipped;

    private readonly SortedDictionary<string, int> _skipped = new(StringComparer.Ordinal);

    internal int[] Img = [];
    internal int[] Cat = [];
    internal double[] Score = [];
    internal double[] X = [], Y = [], W = [], H = [], Area = [];
    internal Segmentation?[]? Segm;

    /// <summary>Reads a results file against <paramref name="gt"/>.</summary>
    public static CocoDetections Load(string path, CocoGroundTruth gt, CocoIouType iouType = CocoIouType.Bbox, BadRecordPolicy policy = BadRecordPolicy.Error) =>
        Parse(JsonInput.ReadFile(path), path, gt, iouType, policy);

    /// <summary>Parses results from UTF-8 JSON bytes; <paramref name="source"/> names it in errors.</summary>
    public static CocoDetections Parse(byte[] data, string source, CocoGroundTruth gt, CocoIouType iouType = CocoIouType.Bbox, BadRecordPolicy policy = BadRecordPolicy.Error)
    {
        var d = new CocoDetections(source);
        var wantSegm = iouType == CocoIouType.Segm;
        var cap = Math.Max(16, data.Length / 90);
        var img = new List<int>(cap);
        var cat = new List<int>(cap);
        var score = new List<double>(cap);
        var xs = new List<double>(cap); var ys = new List<double>(cap); var ws = new List<double>(cap); var hs = new List<double>(cap);
        var areas = new List<double>(cap);
        List<Segmentation?>? segms = null;
        bool? boxBranch = null; // pycocotools' loadRes picks the branch from the first record
        var reader = new Utf8JsonReader(data.AsSpan(JsonInput.BodyStart(data)), JsonInput.ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw JsonInput.Bad(source, "top level", $"is {JsonInput.Describe(reader.TokenType)}; a COCO results file is a list of detections");
            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                ref var r = ref reader;
                if (r.TokenType != JsonTokenType.StartObject) throw JsonInput.Bad(source, $"[{index}]", $"is {JsonInput.Describe(r.TokenType)}, expected an object");
                long imgId = 0, catId = 0;
                bool hasImg = false, hasCat = false, hasBox = false, boxOk = true, sawSegm = false, sawScore = false;
                double x = 0, y = 0, w = 0, h = 0, s = double.NaN;
                var boxN = 0;
                Segmentation? segm = null;
                string? segmError = null;
                // the mask is needed for segm evaluation, and to derive box and area when there is no box
                var keepSegm = wantSegm || boxBranch == false;
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    if (r.ValueTextEquals("image_id"u8)) { r.Read(); hasImg = JsonInput.TryId(ref r, out imgId); if (!hasImg) throw JsonInput.Bad(source, $"[{index}]", "'image_id' is not an integer"); }
                    else if (r.ValueTextEquals("category_id"u8)) { r.Read(); hasCat = JsonInput.TryId(ref r, out catId); if (!hasCat) throw JsonInput.Bad(source, $"[{index}]", "'category_id' is not an integer"); }
                    else if (r.ValueTextEquals("bbox"u8))
                    {
                        r.Read();
                        if (r.TokenType == JsonTokenType.StartArray && boxBranch != false)
                        {
                            boxOk = JsonInput.TryBox(ref r, out x, out y, out w, out h, out boxN);
                            hasBox = boxN > 0 || boxBranch == true;
                        }
                        else r.Skip();
                    }
                    else if (r.ValueTextEquals("score"u8)) { r.Read(); sawScore = true; s = JsonInput.Number(ref r); }
                    else if (r.ValueTextEquals("segmentation"u8))
                    {
                        r.Read();
                        sawSegm = true;
                        if (keepSegm || boxBranch is null) segm = JsonInput.ReadSegmentation(ref r, out segmError);
                        else r.Skip();
                    }
                    else { r.Read(); r.Skip(); }
                }
                var where = $"[{index}]";
                if (!hasImg) throw JsonInput.Bad(source, where, "no 'image_id'");
                if (!hasCat) throw JsonInput.Bad(source, where, "no 'category_id'");
                where = $"[{index}] (image_id {imgId}, category_id {catId})";
                boxBranch ??= hasBox;
                if (boxBranch == true && !hasBox) throw JsonInput.Bad(source, where, "no 'bbox' (the first record has one, so every record needs one)");
                if (boxBranch == false && !sawSegm) throw JsonInput.Bad(source, where, "neither 'bbox' nor 'segmentation'");
                if (boxBranch == true && (!boxOk || boxN != 4)) throw JsonInput.Bad(source, where, boxN == 4 ? "'bbox' has a non-finite number" : $"'bbox' is not [x, y, width, height] ({boxN} numbers)");
                if (!sawScore) throw JsonInput.Bad(source, where, "no 'score'");

                string? skip = null;
                if (!gt.ImageIndex.TryGetValue(imgId, out var imgIdx)) skip = "unknown image_id";
                else if (!gt.CategoryIndex.TryGetValue(catId, out var ci)) skip = "unknown category_id";
                else if (double.IsNaN(s)) skip = "score is not a finite number";
                else if (boxBranch == true && (w < 0 || h < 0)) skip = "negative box width or height";
                else if ((keepSegm || boxBranch == false) && segmError is not null) skip = "bad segmentation: " + segmError;
                if (skip is not null)
                {
                    if (policy == BadRecordPolicy.Error)
                    {
                        var detail = skip switch
                        {
                            "unknown image_id" => $"image_id {imgId} is not in the ground truth",
                            "unknown category_id" => $"category_id {catId} is not in the ground truth's categories",
                            "negative box width or height" => $"negative box size (width {w}, height {h})",
                            _ => skip,
                        };
                        throw JsonInput.Bad(source, where, detail + " (use --lenient to skip and count such records)");
                    }
                    d._skipped[skip] = d._skipped.GetValueOrDefault(skip) + 1;
                    index++;
                    continue;
                }
                var catIdx = gt.CategoryIndex[catId];
                var image = gt.Images[imgIdx];
                double area;
                if (boxBranch == true)
                {
                    area = w * h;
                    if (wantSegm && segm is null)
                    {
                        // loadRes gives a box-only result the box as its polygon
                        segm = new PolygonSegmentation([[x, y, x, y + h, x + w, y + h, x + w, y]]);
                    }
                }
                else
                {
                    var rle = segm!.ToRle(image.Height, image.Width);
                    area = rle.Area;
                    (x, y, w, h) = MaskApi.ToBox(rle);
                    if (wantSegm) segm = new RleSegmentation(rle.Height, rle.Width, rle.Counts, null);
                }
                img.Add(imgIdx); cat.Add(catIdx); score.Add(s);
                xs.Add(x); ys.Add(y); ws.Add(w); hs.Add(h); areas.Add(area);
                if (wantSegm) (segms ??= []).Add(segm);
                index++;
            }
            if (reader.Read()) throw JsonInput.Bad(source, "after the top-level list", "unexpected extra content");
        }
        catch (JsonException e)
        {
            throw JsonInput.Malformed(source, data, e);
        }
        d.Count = img.Count;
        d.Img = img.ToArray(); d.Cat = cat.ToArray(); d.Score = score.ToArray();
        d.X = xs.ToArray(); d.Y = ys.ToArray(); d.W = ws.ToArray(); d.H = hs.ToArray(); d.Area = areas.ToArray();
        if (wantSegm) d.Segm = segms?.ToArray() ?? [];
        return d;
    }
}

using System.Runtime.CompilerServices;
using System.Text.Json;
using Dyno.Metrics.Masks;

namespace Dyno.Metrics.Detection;

// Dyno.Metrics.Segmentation (the semantic-segmentation metrics) would otherwise hide the mask type.
using Segmentation = Dyno.Metrics.Masks.Segmentation;

/// <summary>An image of a COCO ground-truth file.</summary>
public readonly record struct CocoImage(long Id, int Width, int Height)
{
    /// <summary>
    /// The id as written when it is a string (Ultralytics writes file stems); <see cref="Id"/> is then the
    /// image's position in Python's sorted order of the ids. Null for integer ids.
    /// </summary>
    public string? StringId { get; init; }

    /// <summary>The id as it appears in the file: the integer, or the string in JSON quotes.</summary>
    public string Label => StringId is null ? Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : JsonSerializer.Serialize(StringId);
}

/// <summary>A category of a COCO ground-truth file.</summary>
public sealed record CocoCategory(long Id, string Name);

/// <summary>
/// A COCO ground-truth file (<c>instances_*.json</c>) in struct-of-arrays form. Images and categories
/// are sorted by id (pycocotools evaluates <c>sorted(getImgIds())</c> and <c>sorted(getCatIds())</c>);
/// annotations keep file order, which decides ties in matching exactly as in pycocotools.
/// </summary>
public sealed class CocoGroundTruth
{
    private CocoGroundTruth(string source) => Source = source;

    /// <summary>The file it was read from.</summary>
    public string Source { get; }

    /// <summary>Images, sorted by id.</summary>
    public IReadOnlyList<CocoImage> Images { get; private set; } = [];

    /// <summary>Categories, sorted by id.</summary>
    public IReadOnlyList<CocoCategory> Categories { get; private set; } = [];

    /// <summary>Number of annotations.</summary>
    public int Count { get; private set; }

    /// <summary>Number of crowd annotations.</summary>
    public int CrowdCount { get; private set; }

    internal long[] AnnId = [];
    internal int[] Img = [];
    internal int[] Cat = [];
    internal double[] X = [], Y = [], W = [], H = [], Area = [];
    internal bool[] Crowd = [];
    internal Segmentation?[]? Segm;
    internal Dictionary<long, int> ImageIndex = [];
    internal Dictionary<long, int> CategoryIndex = [];
    internal Dictionary<string, int>? ImageNameIndex;         // string image id → index (string-id files only; ImageIndex is then empty)

    /// <summary>True when the image ids are strings (then sorted as Python sorts strings).</summary>
    public bool HasStringImageIds => ImageNameIndex is not null;
    internal Dictionary<long, LvisImageLabels>? LvisImages;  // image id → LVIS labels, images that have them
    internal Dictionary<long, string>? CategoryFrequency;     // category id → LVIS 'frequency' as written
    internal Dictionary<long, double>? CrowdIndex;            // image id → CrowdPose 'crowdIndex'
    internal string? AreaMissingAt;                           // keypoints: the first annotation without 'area' (read as 0)

    /// <summary>A copy in which no annotation is crowd (LVIS has no crowd: lvis-api passes iscrowd = 0 for every pair).</summary>
    internal CocoGroundTruth WithoutCrowd()
    {
        var c = (CocoGroundTruth)MemberwiseClone();
        c.Crowd = new bool[Count];
        c.CrowdCount = 0;
        return c;
    }

    /// <summary>Reads a COCO ground-truth file; masks or keypoints are kept only when <paramref name="iouType"/> needs them.</summary>
    public static CocoGroundTruth Load(string path, CocoIouType iouType = CocoIouType.Bbox) =>
        Parse(JsonInput.ReadFile(path), path, iouType);

    /// <summary>Parses COCO ground truth from UTF-8 JSON bytes; <paramref name="source"/> names it in errors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static CocoGroundTruth Parse(byte[] data, string source, CocoIouType iouType = CocoIouType.Bbox)
    {
        var withSegmentation = iouType == CocoIouType.Segm;
        var gt = new CocoGroundTruth(source);
        var images = new List<CocoImage>();
        var cats = new List<CocoCategory>();
        var anns = new AnnBuilder(withSegmentation, iouType == CocoIouType.Keypoints);
        var sawImages = false;
        var sawAnns = false;
        var reader = new Utf8JsonReader(data.AsSpan(JsonInput.BodyStart(data)), JsonInput.ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw JsonInput.Bad(source, "top level", $"is {JsonInput.Describe(reader.TokenType)}; a COCO ground-truth file is an object with 'images', 'annotations' and 'categories'");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                // A repeated key: the last one wins, as in Python's json (and so pycocotools), never a merge.
                if (reader.ValueTextEquals("images"u8)) { reader.Read(); sawImages = true; images.Clear(); gt.LvisImages = null; gt.CrowdIndex = null; ReadImages(ref reader, source, images, ref gt.LvisImages, ref gt.CrowdIndex); }
                else if (reader.ValueTextEquals("categories"u8)) { reader.Read(); cats.Clear(); gt.CategoryFrequency = null; ReadCategories(ref reader, source, cats, ref gt.CategoryFrequency); }
                else if (reader.ValueTextEquals("annotations"u8))
                {
                    reader.Read();
                    sawAnns = true;
                    anns = new AnnBuilder(withSegmentation, iouType == CocoIouType.Keypoints);
                    anns.ReadAll(ref reader, source);
                }
                else { reader.Read(); JsonInput.SkipValue(ref reader); }
            }
            if (reader.Read()) throw JsonInput.Bad(source, "after the top-level object", "unexpected extra content");
        }
        catch (JsonException e)
        {
            throw JsonInput.Malformed(source, data, e);
        }
        catch (InvalidOperationException e)
        {
            // the reader's complaint about a value, e.g. a string that is not valid UTF-8 (Python's json refuses it too)
            throw JsonInput.Bad(source, $"byte {reader.BytesConsumed}", "malformed JSON: " + e.Message);
        }
        if (!sawImages) throw JsonInput.Bad(source, "top level", "no 'images' list");
        if (!sawAnns) throw DynoInputException.Naming(JsonInput.Bad(source, "top level", "no 'annotations' list (is this a results file? pass it as CocoDetections)"), "CocoDetections");

        var named = images.Count(i => i.StringId is not null);
        if (named > 0)
        {
            // pycocotools evaluates sorted(getImgIds()): strings sort by code point; Python 3 cannot order a mix
            if (named < images.Count)
            {
                var s = images.First(i => i.StringId is not null);
                var n = images.First(i => i.StringId is null);
                throw JsonInput.Bad(source, "images", $"image ids mix strings ({s.Label}) and integers ({n.Id}): pycocotools evaluates sorted(getImgIds()), which Python 3 cannot order (TypeError); use one type");
            }
            images.Sort((a, b) => PythonStringOrder(a.StringId!, b.StringId!));
            gt.ImageNameIndex = new Dictionary<string, int>(images.Count, StringComparer.Ordinal);
            for (var i = 0; i < images.Count; i++)
            {
                if (!gt.ImageNameIndex.TryAdd(images[i].StringId!, i)) throw JsonInput.Bad(source, $"images (id {images[i].Label})", "duplicate image id");
                images[i] = images[i] with { Id = i };
            }
        }
        else
        {
            images.Sort((a, b) => a.Id.CompareTo(b.Id));
            for (var i = 0; i < images.Count; i++)
            {
                if (!gt.ImageIndex.TryAdd(images[i].Id, i)) throw JsonInput.Bad(source, $"images (id {images[i].Id})", "duplicate image id");
            }
        }
        cats.Sort((a, b) => a.Id.CompareTo(b.Id));
        for (var i = 0; i < cats.Count; i++)
        {
            if (!gt.CategoryIndex.TryAdd(cats[i].Id, i)) throw JsonInput.Bad(source, $"categories (id {cats[i].Id})", "duplicate category id");
        }
        gt.Images = images;
        gt.Categories = cats;
        anns.Finish(gt, source);
        return gt;
    }

    /// <summary>Python's string order: by Unicode code point (UTF-16 ordinal order differs for characters above U+FFFF).</summary>
    internal static int PythonStringOrder(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            var ca = CodePoint(a, i, out var la);
            var cb = CodePoint(b, j, out var lb);
            if (ca != cb) return ca.CompareTo(cb);
            i += la;
            j += lb;
        }
        return (a.Length - i).CompareTo(b.Length - j);

        static int CodePoint(string s, int k, out int len)
        {
            if (char.IsHighSurrogate(s[k]) && k + 1 < s.Length && char.IsLowSurrogate(s[k + 1])) { len = 2; return char.ConvertToUtf32(s[k], s[k + 1]); }
            len = 1;
            return s[k];
        }
    }

    private static void ReadImages(ref Utf8JsonReader r, string source, List<CocoImage> images, ref Dictionary<long, LvisImageLabels>? lvis, ref Dictionary<long, double>? crowdIndex)
    {
        if (r.TokenType != JsonTokenType.StartArray) throw JsonInput.Bad(source, "images", $"is {JsonInput.Describe(r.TokenType)}, expected a list");
        var index = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.StartObject) throw JsonInput.Bad(source, $"images[{index}]", $"is {JsonInput.Describe(r.TokenType)}, expected an object");
            long id = 0;
            var hasId = false;
            int w = 0, h = 0;
            long[]? neg = null, notExhaustive = null;
            var crowd = double.NaN;
            string? strId = null;
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                if (r.ValueTextEquals("id"u8))
                {
                    r.Read();
                    if (r.TokenType == JsonTokenType.String) { strId = r.GetString()!; hasId = true; }
                    else { strId = null; hasId = JsonInput.TryId(ref r, out id); if (!hasId) throw JsonInput.Bad(source, $"images[{index}]", "'id' is neither an integer nor a string"); }
                }
                // LVIS v1's federated labels (read always, used by --protocol lvis)
                else if (r.ValueTextEquals("neg_category_ids"u8)) { r.Read(); neg = LvisEvaluator.ReadIdList(ref r) ?? throw JsonInput.Bad(source, $"images[{index}]", "'neg_category_ids' is not a list of integer category ids"); }
                else if (r.ValueTextEquals("crowdIndex"u8)) { r.Read(); crowd = JsonInput.Number(ref r); if (double.IsNaN(crowd)) throw JsonInput.Bad(source, $"images[{index}]", "'crowdIndex' is not a finite number"); }
                else if (r.ValueTextEquals("not_exhaustive_category_ids"u8)) { r.Read(); notExhaustive = LvisEvaluator.ReadIdList(ref r) ?? throw JsonInput.Bad(source, $"images[{index}]", "'not_exhaustive_category_ids' is not a list of integer category ids"); }
                else if (r.ValueTextEquals("width"u8)) { r.Read(); w = r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var v) ? v : 0; SkipContainer(ref r); }
                else if (r.ValueTextEquals("height"u8)) { r.Read(); h = r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var v) ? v : 0; SkipContainer(ref r); }
                else { r.Read(); JsonInput.SkipValue(ref r); }
            }
            if (!hasId) throw JsonInput.Bad(source, $"images[{index}]", "no 'id'");
            if (strId is not null)
            {
                // string ids: LVIS and CrowdPose labels are integer-id features
                images.Add(new CocoImage(0, w, h) { StringId = strId });
            }
            else
            {
                images.Add(new CocoImage(id, w, h));
                if (neg is not null || notExhaustive is not null) (lvis ??= [])[id] = new LvisImageLabels(neg, notExhaustive);
                if (!double.IsNaN(crowd)) (crowdIndex ??= [])[id] = crowd;
            }
            index++;
        }
    }

    /// <summary>A list or object where a scalar was expected is skipped whole: its items must never be read as keys.</summary>
    private static void SkipContainer(ref Utf8JsonReader r)
    {
        if (r.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject) JsonInput.SkipValue(ref r);
    }

    private static void ReadCategories(ref Utf8JsonReader r, string source, List<CocoCategory> cats, ref Dictionary<long, string>? frequency)
    {
        if (r.TokenType != JsonTokenType.StartArray) throw JsonInput.Bad(source, "categories", $"is {JsonInput.Describe(r.TokenType)}, expected a list");
        var index = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.StartObject) throw JsonInput.Bad(source, $"categories[{index}]", $"is {JsonInput.Describe(r.TokenType)}, expected an object");
            long id = 0;
            var hasId = false;
            var name = "";
            string? freq = null;
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                if (r.ValueTextEquals("id"u8)) { r.Read(); hasId = JsonInput.TryId(ref r, out id); if (!hasId) throw JsonInput.Bad(source, $"categories[{index}]", "'id' is not an integer"); }
                else if (r.ValueTextEquals("frequency"u8)) { r.Read(); freq = r.TokenType == JsonTokenType.String ? r.GetString() ?? "" : JsonInput.Describe(r.TokenType); SkipContainer(ref r); }
                else if (r.ValueTextEquals("name"u8)) { r.Read(); name = r.TokenType == JsonTokenType.String ? r.GetString() ?? "" : ""; if (r.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject) JsonInput.SkipValue(ref r); }
                else { r.Read(); JsonInput.SkipValue(ref r); }
            }
            if (!hasId) throw JsonInput.Bad(source, $"categories[{index}]", "no 'id'");
            cats.Add(new CocoCategory(id, name));
            if (freq is not null) (frequency ??= [])[id] = freq;
            index++;
        }
    }

    private sealed class AnnBuilder(bool withSegmentation, bool withKeypoints)
    {
        private readonly List<double[]> _kp = [];
        private readonly List<int> _numKp = [];
        private readonly List<long> _id = [], _img = [], _cat = [];
        private readonly List<double> _x = [], _y = [], _w = [], _h = [], _area = [];
        private readonly List<bool> _crowd = [], _hasBox = [];
        private readonly List<Segmentation?> _segm = [];
        private readonly List<string?> _imgName = [];
        private string? _areaMissingAt;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void ReadAll(ref Utf8JsonReader r, string source)
        {
            if (r.TokenType != JsonTokenType.StartArray) throw JsonInput.Bad(source, "annotations", $"is {JsonInput.Describe(r.TokenType)}, expected a list");
            var index = 0;
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                if (r.TokenType != JsonTokenType.StartObject) throw JsonInput.Bad(source, $"annotations[{index}]", $"is {JsonInput.Describe(r.TokenType)}, expected an object");
                long id = 0, img = 0, cat = 0;
                bool hasId = false, hasImg = false, hasCat = false, hasBox = false, crowd = false;
                double x = 0, y = 0, w = 0, h = 0, area = double.NaN;
                Segmentation? segm = null;
                string? segmError = null;
                var sawSegm = false;
                double[]? kp = null;
                var numKp = -1;
                string? imgName = null;
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    if (r.ValueTextEquals("id"u8)) { r.Read(); hasId = JsonInput.TryId(ref r, out id); if (!hasId) throw JsonInput.Bad(source, $"annotations[{index}]", "'id' is not an integer"); }
                    else if (r.ValueTextEquals("image_id"u8))
                    {
                        r.Read();
                        if (r.TokenType == JsonTokenType.String) { imgName = r.GetString()!; hasImg = true; }
                        else { imgName = null; hasImg = JsonInput.TryId(ref r, out img); if (!hasImg) throw JsonInput.Bad(source, $"annotations[{index}]", "'image_id' is neither an integer nor a string"); }
                    }
                    else if (r.ValueTextEquals("category_id"u8)) { r.Read(); hasCat = JsonInput.TryId(ref r, out cat); if (!hasCat) throw JsonInput.Bad(source, $"annotations[{index}]", "'category_id' is not an integer"); }
                    else if (r.ValueTextEquals("bbox"u8))
                    {
                        r.Read();
                        if (!JsonInput.TryBox(ref r, out x, out y, out w, out h, out var n))
                            throw JsonInput.Bad(source, Where(index, id, hasId), n == 4 ? "'bbox' has a non-finite number" : $"'bbox' is not [x, y, width, height] ({n} numbers)");
                        hasBox = true;
                    }
                    else if (r.ValueTextEquals("area"u8)) { r.Read(); area = JsonInput.Number(ref r); }
                    else if (r.ValueTextEquals("iscrowd"u8))
                    {
                        r.Read();
                        crowd = Crowd(ref r, source, index);
                    }
                    else if (withSegmentation && r.ValueTextEquals("segmentation"u8)) { r.Read(); sawSegm = true; segm = JsonInput.ReadSegmentation(ref r, out segmError); }
                    else if (withKeypoints && r.ValueTextEquals("keypoints"u8))
                    {
                        r.Read();
                        kp = JsonInput.ReadNumbers(ref r);
                        if (kp is null) throw JsonInput.Bad(source, where(), "'keypoints' is not a list of finite numbers");
                    }
                    else if (withKeypoints && r.ValueTextEquals("num_keypoints"u8))
                    {
                        r.Read();
                        numKp = r.TokenType == JsonTokenType.Number && r.TryGetInt32(out var nk) ? nk : -1;
                        SkipContainer(ref r);
                    }
                    else { r.Read(); JsonInput.SkipValue(ref r); }
                }
                string where() => Where(index, id, hasId);
                if (!hasId) throw JsonInput.Bad(source, $"annotations[{index}]", "no 'id'");
                if (!hasImg) throw JsonInput.Bad(source, where(), "no 'image_id'");
                if (!hasCat) throw JsonInput.Bad(source, where(), "no 'category_id'");
                if (!hasBox && !withSegmentation) throw JsonInput.Bad(source, where(), "no 'bbox' (pycocotools reads every ground-truth box for bbox and keypoints evaluation)");
                if (double.IsNaN(area) && withKeypoints)
                {
                    // CrowdPose files have no 'area': CrowdPose's OKS uses the box instead and faster-coco-eval reads
                    // a missing area as 0; any other keypoint protocol refuses the file when it evaluates
                    _areaMissingAt ??= where();
                    area = 0;
                }
                if (double.IsNaN(area)) throw JsonInput.Bad(source, where(), "no finite 'area' (COCO's area ranges use the ground truth's 'area' field)");
                if (area < 0) throw JsonInput.Bad(source, where(), $"negative 'area' {area}");
                if (hasBox && (w < 0 || h < 0)) throw JsonInput.Bad(source, where(), $"negative box size (width {w}, height {h})");
                if (withSegmentation)
                {
                    if (segmError is not null) throw JsonInput.Bad(source, where(), segmError);
                    if (!sawSegm) throw DynoInputException.Naming(JsonInput.Bad(source, where(), "no 'segmentation' (needed for CocoIouType.Segm)"), "CocoIouType.Segm");
                }
                _id.Add(id); _img.Add(img); _cat.Add(cat); _imgName.Add(imgName);
                _x.Add(x); _y.Add(y); _w.Add(w); _h.Add(h); _area.Add(area);
                _crowd.Add(crowd); _hasBox.Add(hasBox);
                if (withSegmentation) _segm.Add(segm);
                if (withKeypoints)
                {
                    // any skeleton: x, y, visibility per keypoint, the same count on every annotation (checked against the sigmas when evaluating)
                    if (kp is null || kp.Length == 0 || kp.Length % 3 != 0)
                        throw JsonInput.Bad(source, where(), $"'keypoints' must hold x, y, visibility per keypoint (a positive multiple of 3 numbers, got {kp?.Length ?? 0})");
                    if (_kp.Count > 0 && kp.Length != _kp[0].Length)
                        throw JsonInput.Bad(source, where(), $"'keypoints' holds {kp.Length / 3} keypoints, the first annotation {_kp[0].Length / 3}");
                    if (numKp < 0) for (var j = 2; j < kp.Length; j += 3) if (kp[j] > 0) numKp = Math.Max(numKp, 0) + 1;
                    _kp.Add(kp);
                    _numKp.Add(Math.Max(numKp, 0));
                }
                index++;
            }
        }

        /// <summary>
        /// iscrowd as pycocotools uses it, both as a truth value (ignore) and through int() (the crowd IoU):
        /// true/false, integers and integer strings such as "1" agree on both; values where the two disagree
        /// ("0", 0.5) or where int() raises (null, "yes", lists) are refused.
        /// </summary>
        private static bool Crowd(ref Utf8JsonReader r, string source, int index)
        {
            switch (r.TokenType)
            {
                case JsonTokenType.True: return true;
                case JsonTokenType.False: return false;
                case JsonTokenType.Number when r.TryGetDouble(out var c) && double.IsFinite(c) && Math.Floor(c) == c: return c != 0;
                case JsonTokenType.String:
                {
                    var s = (r.GetString() ?? "").Trim().Replace("_", "", StringComparison.Ordinal);
                    if (long.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v))
                    {
                        if (v != 0) return true;
                        throw JsonInput.Bad(source, $"annotations[{index}]", "'iscrowd' is the string \"0\": pycocotools treats it as ignored (a non-empty string is true) but not as crowd (int(\"0\") is 0); write 0 or 1");
                    }
                    break;
                }
            }
            var what = JsonInput.Describe(r.TokenType);
            if (r.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject) JsonInput.SkipValue(ref r);
            throw JsonInput.Bad(source, $"annotations[{index}]", $"'iscrowd' is {what} that pycocotools cannot use as both a truth value and an integer; write 0 or 1");
        }

        private static string Where(int index, long id, bool hasId) => hasId ? $"annotations[{index}] (id {id})" : $"annotations[{index}]";

        public void Finish(CocoGroundTruth gt, string source)
        {
            var n = _id.Count;
            gt.Count = n;
            gt.AnnId = _id.ToArray();
            gt.Img = new int[n];
            gt.Cat = new int[n];
            var seen = new HashSet<long>(n);
            for (var i = 0; i < n; i++)
            {
                if (!seen.Add(_id[i])) throw JsonInput.Bad(source, $"annotations[{i}] (id {_id[i]})", "duplicate annotation id (pycocotools would silently evaluate another annotation in its place)");
                // ids match as in Python dicts: equal values of the same type (the string "1" is not the integer 1)
                if (_imgName[i] is { } name
                        ? gt.ImageNameIndex is null || !gt.ImageNameIndex.TryGetValue(name, out gt.Img[i])
                        : !gt.ImageIndex.TryGetValue(_img[i], out gt.Img[i]))
                    throw JsonInput.Bad(source, $"annotations[{i}] (id {_id[i]})", $"image_id {(_imgName[i] is { } nm ? JsonSerializer.Serialize(nm) : _img[i].ToString(System.Globalization.CultureInfo.InvariantCulture))} is not in 'images'");
                if (!gt.CategoryIndex.TryGetValue(_cat[i], out gt.Cat[i])) throw JsonInput.Bad(source, $"annotations[{i}] (id {_id[i]})", $"category_id {_cat[i]} is not in 'categories'");
            }
            gt.X = _x.ToArray(); gt.Y = _y.ToArray(); gt.W = _w.ToArray(); gt.H = _h.ToArray(); gt.Area = _area.ToArray();
            gt.Crowd = _crowd.ToArray();
            gt.CrowdCount = gt.Crowd.Count(c => c);
            gt.HasBox = _hasBox.ToArray();
            if (withSegmentation) gt.Segm = _segm.ToArray();
            if (withKeypoints) { gt.Keypoints = _kp.ToArray(); gt.NumKeypoints = _numKp.ToArray(); gt.AreaMissingAt = _areaMissingAt; }
        }
    }

    /// <summary>
    /// Ground truth built in memory from per-image targets (box annotations only), as if read from a COCO
    /// file listing these images and categories with annotation ids 1..n in the given order.
    /// </summary>
    public static CocoGroundTruth FromTargets(IEnumerable<CocoImageTarget> targets, IEnumerable<CocoCategory> categories, string source = "in-memory ground truth")
    {
        var gt = new CocoGroundTruth(source);
        var list = targets.ToList();
        var images = list.Select(t => new CocoImage(t.ImageId, t.Width, t.Height)).OrderBy(i => i.Id).ToList();
        for (var i = 0; i < images.Count; i++)
            if (!gt.ImageIndex.TryAdd(images[i].Id, i)) throw new ArgumentException($"duplicate image id {images[i].Id}", nameof(targets));
        var cats = categories.OrderBy(c => c.Id).ToList();
        for (var i = 0; i < cats.Count; i++)
            if (!gt.CategoryIndex.TryAdd(cats[i].Id, i)) throw new ArgumentException($"duplicate category id {cats[i].Id}", nameof(categories));
        gt.Images = images;
        gt.Categories = cats;
        var n = list.Sum(t => t.Boxes.Count);
        gt.Count = n;
        gt.AnnId = new long[n]; gt.Img = new int[n]; gt.Cat = new int[n];
        gt.X = new double[n]; gt.Y = new double[n]; gt.W = new double[n]; gt.H = new double[n]; gt.Area = new double[n];
        gt.Crowd = new bool[n]; gt.HasBox = new bool[n];
        var k = 0;
        foreach (var t in list)
        {
            var img = gt.ImageIndex[t.ImageId];
            foreach (var b in t.Boxes)
            {
                if (!gt.CategoryIndex.TryGetValue(b.CategoryId, out var cat)) throw new ArgumentException($"image {t.ImageId}: category {b.CategoryId} is not among the categories", nameof(targets));
                gt.AnnId[k] = k + 1; gt.Img[k] = img; gt.Cat[k] = cat;
                gt.X[k] = b.X; gt.Y[k] = b.Y; gt.W[k] = b.Width; gt.H[k] = b.Height;
                gt.Area[k] = b.Area ?? b.Width * b.Height;
                gt.Crowd[k] = b.Crowd; gt.HasBox[k] = true;
                k++;
            }
        }
        gt.CrowdCount = gt.Crowd.Count(c => c);
        return gt;
    }

    /// <summary>This ground truth limited to <paramref name="imageIds"/> (box annotations; masks and keypoints are not carried over), as if the other images were not in the file.</summary>
    public CocoGroundTruth Restrict(IReadOnlySet<long> imageIds)
    {
        var targets = Images.Where(i => imageIds.Contains(i.Id)).ToDictionary(i => i.Id, i => new List<CocoBoxTarget>());
        var ids = targets.Keys.ToDictionary(k => k, k => new List<long>());
        for (var k = 0; k < Count; k++)
        {
            var img = Images[Img[k]];
            if (targets.TryGetValue(img.Id, out var list))
            {
                list.Add(new CocoBoxTarget(Categories[Cat[k]].Id, X[k], Y[k], W[k], H[k], Crowd[k], Area[k]));
                ids[img.Id].Add(AnnId[k]);
            }
        }
        var kept = Images.Where(i => targets.ContainsKey(i.Id)).ToList();
        var gt = FromTargets(kept.Select(i => new CocoImageTarget(i.Id, i.Width, i.Height, targets[i.Id])), Categories, Source);
        gt.AnnId = kept.SelectMany(i => ids[i.Id]).ToArray(); // the file's annotation ids (pycocotools treats id 0 specially)
        return gt;
    }

    internal bool[] HasBox = [];
    internal double[][]? Keypoints;
    internal int[]? NumKeypoints;
}

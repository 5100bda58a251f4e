using System.Runtime.CompilerServices;
using System.Text.Json;
using Dyno.Metrics.Masks;

namespace Dyno.Metrics.Detection;

// Dyno.Metrics.Segmentation (the semantic-segmentation metrics) would otherwise hide the mask type.
using Segmentation = Dyno.Metrics.Masks.Segmentation;

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
/// with a box, area = width × height; without one, area and box come from the mask. Large files are
/// parsed in parallel chunks split at top-level records (each split is verified by the reader).
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
    internal double[][]? Keypoints;

    /// <summary>Reads a results file against <paramref name="gt"/>.</summary>
    public static CocoDetections Load(string path, CocoGroundTruth gt, CocoIouType iouType = CocoIouType.Bbox, BadRecordPolicy policy = BadRecordPolicy.Error) =>
        Parse(JsonInput.ReadFile(path), path, gt, iouType, policy, ownsBuffer: true);

    /// <summary>
    /// Parses results from UTF-8 JSON bytes; <paramref name="source"/> names it in errors. Large inputs
    /// are split in place: a few separator bytes of <paramref name="data"/> are changed while parsing
    /// and restored before returning, so the buffer must not be read concurrently.
    /// </summary>
    public static CocoDetections Parse(byte[] data, string source, CocoGroundTruth gt, CocoIouType iouType = CocoIouType.Bbox, BadRecordPolicy policy = BadRecordPolicy.Error) =>
        Parse(data, source, gt, iouType, policy, ownsBuffer: false);

    /// <summary>
    /// <paramref name="ownsBuffer"/>: <paramref name="data"/> is never changed after this call, so compressed
    /// RLE strings can stay slices of it (<see cref="CompressedRleSlice"/>) instead of copies.
    /// </summary>
    internal static CocoDetections Parse(byte[] data, string source, CocoGroundTruth gt, CocoIouType iouType, BadRecordPolicy policy, bool ownsBuffer) =>
        Resolve(ParseRaw(data, source, iouType, ownsBuffer), source, gt, iouType, policy);

    /// <summary>
    /// Reads a ground-truth file and a results file concurrently (the results in parallel chunks) and
    /// checks the results against the ground truth.
    /// </summary>
    public static (CocoGroundTruth Gt, CocoDetections Dt) LoadPair(string gtPath, string dtPath, CocoIouType iouType = CocoIouType.Bbox, BadRecordPolicy policy = BadRecordPolicy.Error)
    {
        var gtTask = Task.Run(() => CocoGroundTruth.Load(gtPath, iouType));
        RawChunk[] raw;
        try
        {
            raw = ParseRaw(JsonInput.ReadFile(dtPath), dtPath, iouType, ownsBuffer: true);
        }
        catch
        {
            // a bad ground truth is reported before a bad results file
            gtTask.GetAwaiter().GetResult();
            throw;
        }
        var gt = gtTask.GetAwaiter().GetResult();
        return (gt, Resolve(raw, dtPath, gt, iouType, policy));
    }

    /// <summary>
    /// Box detections built in memory, checked against <paramref name="gt"/> as a results file would be
    /// (area = width × height, as pycocotools' <c>loadRes</c>); the order given is the file order.
    /// </summary>
    public static CocoDetections FromPredictions(IEnumerable<(long ImageId, CocoBoxPrediction Box)> predictions, CocoGroundTruth gt, string source = "in-memory detections")
    {
        var chunk = new RawChunk(0) { BoxBranch = true, EndedCleanly = true };
        foreach (var (image, b) in predictions)
        {
            chunk.Img.Add(image); chunk.Cat.Add(b.CategoryId); chunk.Score.Add(b.Score);
            chunk.X.Add(b.X); chunk.Y.Add(b.Y); chunk.W.Add(b.Width); chunk.H.Add(b.Height);
        }
        return Resolve([chunk], source, gt, CocoIouType.Bbox, BadRecordPolicy.Error);
    }

    /// <summary>Records of one chunk of the file, ids not yet checked.</summary>
    internal sealed class RawChunk(int capacity)
    {
        public readonly List<long> Img = new(capacity), Cat = new(capacity);
        public readonly List<double> Score = new(capacity), X = new(capacity), Y = new(capacity), W = new(capacity), H = new(capacity);
        public List<Segmentation?>? Segm;
        public List<double[]?>? Keypoints;
        public List<string?>? SegmError;
        public List<string?>? ImgName;  // string image ids (null entries: integer ids), created at the first string
        public bool? BoxBranch;
        public bool EndedCleanly;
        public int Count => Img.Count;
    }

    private static string ImgText(RawChunk c, int j) =>
        c.ImgName?[j] is { } n ? JsonSerializer.Serialize(n) : c.Img[j].ToString(System.Globalization.CultureInfo.InvariantCulture);

        internal static RawChunk[] ParseRaw(byte[] data, string source, CocoIouType iouType, bool ownsBuffer = false)
    {
        // the strict parser for bbox records and for segm records with the common mask shapes
        RawChunk? Fast(int from, int to, bool final) => iouType switch
        {
            CocoIouType.Bbox => FastResultsParser.TryParse(data.AsSpan(from, to - from), final),
            CocoIouType.Segm => FastResultsParser.TryParse(data.AsSpan(from, to - from), final, true, ownsBuffer ? data : null, from),
            _ => null,
        };
        var start = JsonInput.BodyStart(data);
        var body = data.Length - start;
        var parts = body < (4 << 20) ? 1 : Math.Min(16, 2 * Environment.ProcessorCount);
        var splits = parts > 1 ? FindSplits(data, start, parts) : [];
        if (splits.Count > 0)
        {
            // Chunk i > 0 is data[comma before split i, comma before split i+1) with that first comma
            // turned into '[' in place (restored below). A chunk must end after a complete record at
            // depth 1; chunk 0 starts from the true beginning, so by induction every split is proven
            // to be a boundary between top-level records. Anything else falls back to one sequential parse.
            var commas = splits.Select(p => LastComma(data, p)).ToArray();
            var chunks = new RawChunk?[splits.Count + 1];
            var failed = false;
            foreach (var c in commas) data[c] = (byte)'[';
            try
            {
                Parallelism.For(0, chunks.Length, i =>
                {
                    try
                    {
                        var from = i == 0 ? start : commas[i - 1];
                        var to = i < commas.Length ? commas[i] : data.Length;
                        var span = data.AsSpan(from, to - from);
                        var chunk = Fast(from, to, i == commas.Length)
                            ?? ParseChunk(span, source, iouType, isFinalBlock: i == commas.Length);
                        if (!chunk.EndedCleanly) failed = true;
                        chunks[i] = chunk;
                    }
                    catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException)
                    {
                        failed = true; // the sequential parse below reports it with exact positions
                    }
                });
            }
            finally
            {
                foreach (var c in commas) data[c] = (byte)',';
            }
            if (!failed && chunks.All(c => c!.BoxBranch is null || c.BoxBranch == chunks[0]!.BoxBranch))
                return chunks.Select(c => c!).ToArray();
        }
        try
        {
            var all = data.AsSpan(start);
            return [Fast(start, data.Length, true) ?? ParseChunk(all, source, iouType, isFinalBlock: true)];
        }
        catch (JsonException e)
        {
            throw JsonInput.Malformed(source, data, e);
        }
    }

    /// <summary>Candidate split points: the '{' of a "}, {" at roughly equal distances (verified while parsing).</summary>
    private static List<int> FindSplits(byte[] data, int start, int parts)
    {
        var splits = new List<int>();
        var len = data.Length - start;
        for (var p = 1; p < parts; p++)
        {
            var i = Math.Max(start + (int)((long)len * p / parts), splits.Count > 0 ? splits[^1] + 1 : 0);
            while (true)
            {
                var close = data.AsSpan(i).IndexOf((byte)'}');
                if (close < 0) return splits;
                var j = i + close + 1;
                while (j < data.Length && IsSpace(data[j])) j++;
                if (j < data.Length && data[j] == (byte)',')
                {
                    j++;
                    while (j < data.Length && IsSpace(data[j])) j++;
                    if (j < data.Length && data[j] == (byte)'{')
                    {
                        // a record starts with a key: '{' then '"' (inside a string that quote would be escaped)
                        var k = j + 1;
                        while (k < data.Length && IsSpace(data[k])) k++;
                        if (k < data.Length && data[k] == (byte)'"') { splits.Add(j); break; }
                    }
                }
                i = i + close + 1;
            }
        }
        return splits;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t';

    private static int LastComma(byte[] data, int split)
    {
        var j = split - 1;
        while (data[j] != (byte)',') j--;
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static RawChunk ParseChunk(ReadOnlySpan<byte> span, string source, CocoIouType iouType, bool isFinalBlock)
    {
        var wantSegm = iouType == CocoIouType.Segm;
        var wantKp = iouType == CocoIouType.Keypoints;
        var c = new RawChunk(Math.Max(16, span.Length / 90));
        var reader = new Utf8JsonReader(span, isFinalBlock, new JsonReaderState(JsonInput.ReaderOptions));
        var sawEnd = false;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            throw JsonInput.Bad(source, "top level", $"is {JsonInput.Describe(reader.TokenType)}; a COCO results file is a list of detections");
        var index = 0;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndArray) { sawEnd = true; break; }
            ref var r = ref reader;
            if (r.TokenType != JsonTokenType.StartObject) throw JsonInput.Bad(source, $"[{index}]", $"is {JsonInput.Describe(r.TokenType)}, expected an object");
            long imgId = 0, catId = 0;
            string? imgName = null;
            bool hasImg = false, hasCat = false, hasBox = false, boxOk = true, sawSegm = false, sawScore = false;
            double x = 0, y = 0, w = 0, h = 0, s = double.NaN;
            var boxN = 0;
            Segmentation? segm = null;
            string? segmError = null;
            double[]? kp = null;
            var boxBranch = c.BoxBranch;
            // the mask is needed for segm evaluation, and to derive box and area when there is no box
            var keepSegm = wantSegm || (boxBranch == false && !wantKp);
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                if (r.ValueTextEquals("image_id"u8))
                {
                    r.Read();
                    if (r.TokenType == JsonTokenType.String) { imgName = r.GetString()!; hasImg = true; }
                    else { imgName = null; hasImg = JsonInput.TryId(ref r, out imgId); if (!hasImg) throw JsonInput.Bad(source, $"[{index}]", "'image_id' is neither an integer nor a string"); }
                }
                else if (r.ValueTextEquals("category_id"u8)) { r.Read(); hasCat = JsonInput.TryId(ref r, out catId); if (!hasCat) throw JsonInput.Bad(source, $"[{index}]", "'category_id' is not an integer"); }
                else if (r.ValueTextEquals("bbox"u8))
                {
                    r.Read();
                    if (r.TokenType == JsonTokenType.StartArray && boxBranch != false)
                    {
                        boxOk = JsonInput.TryBox(ref r, out x, out y, out w, out h, out boxN);
                        hasBox = boxN > 0 || boxBranch == true;
                    }
                    else JsonInput.SkipValue(ref r);
                }
                else if (r.ValueTextEquals("score"u8)) { r.Read(); sawScore = true; s = JsonInput.Number(ref r); }
                else if (wantKp && r.ValueTextEquals("keypoints"u8))
                {
                    r.Read();
                    kp = JsonInput.ReadNumbers(ref r);
                    if (kp is null || kp.Length == 0 || kp.Length % 3 != 0)
                        throw JsonInput.Bad(source, $"[{index}]", $"'keypoints' must be finite numbers, x, y, visibility per keypoint (a positive multiple of 3, got {kp?.Length ?? 0})");
                }
                else if (r.ValueTextEquals("segmentation"u8))
                {
                    r.Read();
                    sawSegm = true;
                    if (keepSegm || boxBranch is null) segm = JsonInput.ReadSegmentation(ref r, out segmError);
                    else JsonInput.SkipValue(ref r);
                }
                else { r.Read(); JsonInput.SkipValue(ref r); }
            }
            if (!hasImg) throw JsonInput.Bad(source, $"[{index}]", "no 'image_id'");
            if (!hasCat) throw JsonInput.Bad(source, $"[{index}]", "no 'category_id'");
            string Where() => $"[{index}] (image_id {(imgName is null ? imgId.ToString(System.Globalization.CultureInfo.InvariantCulture) : JsonSerializer.Serialize(imgName))}, category_id {catId})";
            // pycocotools' loadRes picks the branch from the first record: a non-empty 'bbox' or not
            c.BoxBranch ??= hasBox;
            if (c.BoxBranch == true && !hasBox) throw JsonInput.Bad(source, Where(), "no 'bbox' (the first record has one, so every record needs one)");
            if (c.BoxBranch == false && !sawSegm && !wantKp) throw JsonInput.Bad(source, Where(), "neither 'bbox' nor 'segmentation'");
            if (wantKp && kp is null) throw DynoInputException.Naming(JsonInput.Bad(source, Where(), "no 'keypoints' (needed for CocoIouType.Keypoints)"), "CocoIouType.Keypoints");
            if (c.BoxBranch == true && (!boxOk || boxN != 4)) throw JsonInput.Bad(source, Where(), boxN == 4 ? "'bbox' has a non-finite number" : $"'bbox' is not [x, y, width, height] ({boxN} numbers)");
            if (!sawScore) throw JsonInput.Bad(source, Where(), "no 'score'");
            if (imgName is not null && c.ImgName is null) { c.ImgName = new List<string?>(c.Img.Count + 16); for (var q = 0; q < c.Img.Count; q++) c.ImgName.Add(null); }
            c.ImgName?.Add(imgName);
            c.Img.Add(imgId); c.Cat.Add(catId); c.Score.Add(s);
            c.X.Add(x); c.Y.Add(y); c.W.Add(w); c.H.Add(h);
            if (wantSegm || (c.BoxBranch == false && !wantKp))
            {
                (c.Segm ??= []).Add(segm);
                (c.SegmError ??= []).Add(segmError);
            }
            if (wantKp) (c.Keypoints ??= []).Add(kp);
            index++;
        }
        if (isFinalBlock)
        {
            if (!sawEnd) throw new JsonException("the list of detections is not closed");
            if (reader.Read()) throw JsonInput.Bad(source, "after the top-level list", "unexpected extra content");
            c.EndedCleanly = true;
        }
        else
        {
            // a partial chunk must stop between top-level records: depth 1, after a '}', only spaces left
            var rest = span[(int)reader.BytesConsumed..];
            c.EndedCleanly = !sawEnd && reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.EndObject && rest.TrimStart(" \t\r\n"u8).IsEmpty;
        }
        return c;
    }

    private static CocoDetections Resolve(RawChunk[] chunks, string source, CocoGroundTruth gt, CocoIouType iouType, BadRecordPolicy policy)
    {
        var d = new CocoDetections(source);
        var wantSegm = iouType == CocoIouType.Segm;
        var boxBranch = chunks[0].BoxBranch ?? true;
        var total = chunks.Sum(c => c.Count);
        var img = new int[total];
        var cat = new int[total];
        var reason = new string?[total];
        var offsets = new int[chunks.Length];
        for (var i = 1; i < chunks.Length; i++) offsets[i] = offsets[i - 1] + chunks[i - 1].Count;
        Parallelism.For(0, chunks.Length, ci =>
        {
            var c = chunks[ci];
            var o = offsets[ci];
            for (var j = 0; j < c.Count; j++)
            {
                string? skip = null;
                // ids match as in Python: equal values of the same type (the string "1" is not the integer 1)
                if (c.ImgName?[j] is { } name
                        ? gt.ImageNameIndex is null || !gt.ImageNameIndex.TryGetValue(name, out img[o + j])
                        : !gt.ImageIndex.TryGetValue(c.Img[j], out img[o + j]))
                    skip = "unknown image_id";
                else if (!gt.CategoryIndex.TryGetValue(c.Cat[j], out cat[o + j])) skip = "unknown category_id";
                else if (double.IsNaN(c.Score[j])) skip = "score is not a finite number";
                else if (boxBranch && (c.W[j] < 0 || c.H[j] < 0)) skip = "negative box width or height";
                else if (c.SegmError is not null && c.SegmError[j] is { } se) skip = "bad segmentation: " + se;
                else if (c.Keypoints is not null && gt.Keypoints is { Length: > 0 } gk && c.Keypoints[j]!.Length != gk[0].Length)
                    skip = $"keypoints: {c.Keypoints[j]!.Length / 3} keypoints where the ground truth has {gk[0].Length / 3}";
                reason[o + j] = skip;
            }
        });

        var keep = new List<int>(0);
        var skipped = 0;
        for (var ci = 0; ci < chunks.Length; ci++)
        {
            var c = chunks[ci];
            for (var j = 0; j < c.Count; j++)
            {
                var g = offsets[ci] + j;
                if (reason[g] is not { } skip) continue;
                if (policy == BadRecordPolicy.Error)
                {
                    var detail = skip switch
                    {
                        "unknown image_id" => $"image_id {ImgText(c, j)} is not in the ground truth" + (gt.HasStringImageIds == (c.ImgName?[j] is null) ? (gt.HasStringImageIds ? " (its image ids are strings)" : " (its image ids are integers)") : ""),
                        "unknown category_id" => $"category_id {c.Cat[j]} is not in the ground truth's categories",
                        "negative box width or height" => $"negative box size (width {c.W[j]}, height {c.H[j]})",
                        _ => skip,
                    };
                    throw DynoInputException.Naming(JsonInput.Bad(source, $"[{g}] (image_id {ImgText(c, j)}, category_id {c.Cat[j]})", detail + " (use BadRecordPolicy.Skip to skip and count such records)"), "BadRecordPolicy.Skip");
                }
                d._skipped[skip] = d._skipped.GetValueOrDefault(skip) + 1;
                skipped++;
            }
        }

        var n = total - skipped;
        d.Count = n;
        d.Img = new int[n]; d.Cat = new int[n]; d.Score = new double[n];
        d.X = new double[n]; d.Y = new double[n]; d.W = new double[n]; d.H = new double[n]; d.Area = new double[n];
        var wantKp = iouType == CocoIouType.Keypoints;
        var withMask = wantSegm || (!boxBranch && !wantKp);
        if (wantSegm) d.Segm = new Segmentation?[n];
        if (wantKp) d.Keypoints = new double[n][];
        var outOffsets = new int[chunks.Length];
        for (var ci = 1; ci < chunks.Length; ci++)
        {
            var kept = 0;
            for (var j = 0; j < chunks[ci - 1].Count; j++) if (reason[offsets[ci - 1] + j] is null) kept++;
            outOffsets[ci] = outOffsets[ci - 1] + kept;
        }
        Parallelism.For(0, chunks.Length, ci =>
        {
            var c = chunks[ci];
            var k = outOffsets[ci];
            var masks = new MaskSet();
            for (var j = 0; j < c.Count; j++)
            {
                var g = offsets[ci] + j;
                if (reason[g] is not null) continue;
                d.Img[k] = img[g]; d.Cat[k] = cat[g]; d.Score[k] = c.Score[j];
                double x = c.X[j], y = c.Y[j], w = c.W[j], h = c.H[j], area;
                Segmentation? segm = withMask ? c.Segm![j] : null;
                if (wantKp) d.Keypoints![k] = c.Keypoints![j]!;
                if (wantKp && !boxBranch)
                {
                    // loadRes' keypoints branch: box and area from the keypoints' extent
                    var kp = c.Keypoints![j]!;
                    double x0 = double.PositiveInfinity, x1 = double.NegativeInfinity, y0 = double.PositiveInfinity, y1 = double.NegativeInfinity;
                    for (var q = 0; q < kp.Length; q += 3)
                    {
                        x0 = Math.Min(x0, kp[q]); x1 = Math.Max(x1, kp[q]);
                        y0 = Math.Min(y0, kp[q + 1]); y1 = Math.Max(y1, kp[q + 1]);
                    }
                    (x, y, w, h) = (x0, y0, x1 - x0, y1 - y0);
                    area = (x1 - x0) * (y1 - y0);
                }
                else if (boxBranch)
                {
                    area = w * h;
                    // loadRes gives a box-only result the box as its polygon
                    if (wantSegm && segm is null) segm = new PolygonSegmentation([[x, y, x, y + h, x + w, y + h, x + w, y]]);
                }
                else
                {
                    // loadRes: area and box from the mask. An RLE string is decoded here to check it and
                    // again per image by the evaluator, instead of keeping every decoded mask (4 bytes a
                    // run); a polygon is rasterised once and kept as its compressed string.
                    var image = gt.Images[img[g]];
                    masks.Clear();
                    try
                    {
                        if (segm is RleSegmentation or CompressedRleSlice) masks.Add(segm, image.Height, image.Width);
                        else
                        {
                            var rle = segm!.ToRle(image.Height, image.Width);
                            masks.Add(rle.Counts, rle.Height, rle.Width);
                            segm = new RleSegmentation(rle.Height, rle.Width, null, MaskApi.ToCompressedBytes(rle.Counts));
                        }
                    }
                    catch (Exception e) when (e is InvalidDataException or ArgumentException)
                    {
                        throw JsonInput.Bad(source, $"[{g}] (image_id {ImgText(c, j)}, category_id {c.Cat[j]})", "bad segmentation: " + e.Message);
                    }
                    area = masks.Area(0);
                    (x, y, w, h) = masks.Box(0);
                }
                d.X[k] = x; d.Y[k] = y; d.W[k] = w; d.H[k] = h; d.Area[k] = area;
                if (wantSegm) d.Segm![k] = segm;
                k++;
            }
        });
        return d;
    }
}

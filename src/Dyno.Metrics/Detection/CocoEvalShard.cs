using System.Text;
using System.Text.Json;

namespace Dyno.Metrics.Detection;

/// <summary>
/// The mergeable state of a COCO evaluation over a subset of images: for each category, every kept
/// detection's score, image, rank and match outcome per area range and IoU threshold, and the count of
/// non-ignored ground truth. Shards over disjoint images merge into exactly the result of one run,
/// because pycocotools' accumulate only depends on these, ordered by image id then rank.
/// </summary>
public sealed class CocoEvalShard
{
    // Version 2 appends a SHA-256 of everything before it: a shard with one flipped byte is refused, never merged.
    private const string Magic = "DYNO-COCO-SHARD/2";
    private const string MagicV1 = "DYNO-COCO-SHARD/1";
    private const int HashBytes = 32;

    private CocoEvalShard(CocoEvaluator.EvalState state, IReadOnlyList<CocoCategory> categories, long[] images, CocoCounts counts)
    {
        State = state;
        Categories = categories;
        Images = images;
        Counts = counts;
    }

    internal CocoEvaluator.EvalState State { get; }

    /// <summary>Categories, sorted by id.</summary>
    public IReadOnlyList<CocoCategory> Categories { get; }

    /// <summary>Ids of the images this shard evaluated, ascending.</summary>
    public IReadOnlyList<long> Images { get; }

    /// <summary>What this shard evaluated.</summary>
    public CocoCounts Counts { get; }

    /// <summary>
    /// Evaluates part <paramref name="part"/> of <paramref name="parts"/> of the ground truth's images
    /// (contiguous blocks of the ids in ascending order); detections on other images are left to the other parts.
    /// </summary>
    public static CocoEvalShard Evaluate(CocoGroundTruth gt, CocoDetections dt, CocoEvalOptions? options = null, int part = 0, int parts = 1)
    {
        if (parts < 1 || part < 0 || part >= parts) throw new DynoInputException($"part {part} of {parts} does not exist (parts are 0..{parts - 1})");
        if (gt.HasStringImageIds) throw DynoInputException.Naming(new InvalidDataException($"{gt.Source}: string image ids cannot be written to a shard (shards record integer image ids); evaluate without CocoEvalShard"), "CocoEvalShard");
        var n = gt.Images.Count;
        var include = new bool[n];
        var ids = new List<long>();
        for (var i = 0; i < n; i++)
        {
            if ((long)i * parts / n != part) continue;
            include[i] = true;
            ids.Add(gt.Images[i].Id);
        }
        var state = CocoEvaluator.EvaluateImages(gt, dt, options ?? new CocoEvalOptions(), include);
        var dets = 0;
        for (var i = 0; i < dt.Count; i++) if (include[dt.Img[i]]) dets++;
        int anns = 0, crowd = 0;
        for (var i = 0; i < gt.Count; i++)
        {
            if (!include[gt.Img[i]]) continue;
            anns++;
            if (gt.Crowd[i]) crowd++;
        }
        var counts = new CocoCounts
        {
            Images = ids.Count,
            Categories = gt.Categories.Count,
            GtAnnotations = anns,
            GtCrowd = crowd,
            Detections = dets,
            Skipped = dt.Skipped.Count > 0 ? dt.Skipped : null,
        };
        return new CocoEvalShard(state, gt.Categories, ids.ToArray(), counts);
    }

    /// <summary>The summary of this shard alone (for a single shard covering all images: the full result).</summary>
    public CocoEvalResult Summarize() => CocoEvaluator.Summarize(State, Categories, Counts);

    /// <summary>
    /// Merges shards over disjoint images that share the protocol and categories; the result equals
    /// one evaluation of all their images together.
    /// </summary>
    public static CocoEvalShard Merge(IReadOnlyList<CocoEvalShard> shards)
    {
        if (shards.Count == 0) throw new DynoInputException("nothing to merge");
        var first = shards[0];
        var protocol = ProtocolKey(first.State);
        var seen = new HashSet<long>();
        foreach (var s in shards)
        {
            if (ProtocolKey(s.State) != protocol) throw new InvalidDataException("shards were evaluated with different protocols (IoU type, thresholds, maxDets, area ranges or use-cats)");
            if (!s.Categories.Select(c => c.Id).SequenceEqual(first.Categories.Select(c => c.Id)))
                throw new InvalidDataException("shards have different category lists");
            foreach (var id in s.Images)
                if (!seen.Add(id)) throw new InvalidDataException($"image {id} is in more than one shard");
        }
        var images = seen.Order().ToArray();
        var index = new Dictionary<long, int>(images.Length);
        for (var i = 0; i < images.Length; i++) index[images[i]] = i;
        var A = first.State.Options.AreaRanges.Count;
        var T = first.State.IouThr.Length;
        var AT = A * T;
        var K = first.State.Categories.Length;
        var cats = new CocoEvaluator.CategoryState[K];
        Parallelism.For(0, K, k =>
        {
            var n = shards.Sum(s => s.State.Categories[k].Count);
            var merged = new CocoEvaluator.CategoryState
            {
                Count = n, Capacity = n, Score = new double[n], Image = new int[n], Rank = new int[n], Status = new byte[n * AT], NumPos = new long[A],
            };
            var keys = new long[n];
            var src = new (int Shard, int Index)[n];
            var j = 0;
            for (var si = 0; si < shards.Count; si++)
            {
                var c = shards[si].State.Categories[k];
                merged.NumGt += c.NumGt;
                merged.NumDt += c.NumDt;
                for (var a = 0; a < A; a++) merged.NumPos[a] += c.NumPos[a];
                var ids = shards[si].State.ImageIds;
                for (var i = 0; i < c.Count; i++, j++)
                {
                    keys[j] = (long)index[ids[c.Image[i]]] * (int.MaxValue + 1L) + c.Rank[i];
                    src[j] = (si, i);
                }
            }
            // one run lists a category's detections by image id, then by rank within the image
            Array.Sort(keys, src);
            for (j = 0; j < n; j++)
            {
                var (si, i) = src[j];
                var c = shards[si].State.Categories[k];
                merged.Score[j] = c.Score[i];
                merged.Image[j] = index[shards[si].State.ImageIds[c.Image[i]]];
                merged.Rank[j] = c.Rank[i];
                for (var q = 0; q < AT; q++) merged.Status[q * n + j] = c.Status[q * c.Capacity + i];
            }
            cats[k] = merged;
        });
        var state = new CocoEvaluator.EvalState
        {
            Options = first.State.Options, IouThr = first.State.IouThr, MaxDets = first.State.MaxDets, Categories = cats, ImageIds = images,
        };
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in shards)
            foreach (var (r, c) in s.Counts.Skipped ?? new Dictionary<string, int>())
                skipped[r] = skipped.GetValueOrDefault(r) + c;
        var counts = new CocoCounts
        {
            Images = images.Length,
            Categories = first.Categories.Count,
            GtAnnotations = shards.Sum(s => s.Counts.GtAnnotations),
            GtCrowd = shards.Sum(s => s.Counts.GtCrowd),
            Detections = shards.Sum(s => s.Counts.Detections),
            Skipped = skipped.Count > 0 ? skipped : null,
        };
        return new CocoEvalShard(state, first.Categories, images, counts);
    }

    private static string ProtocolKey(CocoEvaluator.EvalState s) =>
        JsonSerializer.Serialize(new Header { IouType = s.Options.IouType.ToString(), IouThresholds = s.IouThr, RecallThresholds = s.Options.RecallThresholds.ToArray(),
            MaxDets = s.MaxDets, AreaRanges = s.Options.AreaRanges.Select(a => new HeaderArea(a.Label, a.Min, a.Max)).ToArray(), UseCats = s.Options.UseCats });

    private sealed record HeaderArea(string Label, double Min, double Max);

    private sealed class Header
    {
        public string Format { get; set; } = Magic;
        public string IouType { get; set; } = "";
        public double[] IouThresholds { get; set; } = [];
        public double[] RecallThresholds { get; set; } = [];
        public int[] MaxDets { get; set; } = [];
        public HeaderArea[] AreaRanges { get; set; } = [];
        public bool UseCats { get; set; }
        public long[] CategoryIds { get; set; } = [];
        public string[] CategoryNames { get; set; } = [];
        public long[] Images { get; set; } = [];
        public int GtAnnotations { get; set; }
        public int GtCrowd { get; set; }
        public int Detections { get; set; }
        public Dictionary<string, int>? Skipped { get; set; }
    }

    /// <summary>Writes the shard (a JSON header, then the per-category arrays, little-endian binary, then a SHA-256 of all of it).</summary>
    public void Save(Stream stream)
    {
        using var body = new MemoryStream();
        SaveBody(body);
        var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
        stream.Write(bytes);
        stream.Write(System.Security.Cryptography.SHA256.HashData(bytes));
    }

    private void SaveBody(Stream stream)
    {
        var s = State;
        var header = new Header
        {
            IouType = s.Options.IouType.ToString(), IouThresholds = s.IouThr, RecallThresholds = s.Options.RecallThresholds.ToArray(), MaxDets = s.MaxDets,
            AreaRanges = s.Options.AreaRanges.Select(a => new HeaderArea(a.Label, a.Min, a.Max)).ToArray(), UseCats = s.Options.UseCats,
            CategoryIds = Categories.Select(c => c.Id).ToArray(), CategoryNames = Categories.Select(c => c.Name).ToArray(), Images = Images.ToArray(),
            GtAnnotations = Counts.GtAnnotations, GtCrowd = Counts.GtCrowd, Detections = Counts.Detections,
            Skipped = Counts.Skipped?.ToDictionary(),
        };
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(JsonSerializer.Serialize(header));
        var AT = s.Options.AreaRanges.Count * s.IouThr.Length;
        w.Write(s.Categories.Length);
        foreach (var c in s.Categories)
        {
            w.Write(c.Count); w.Write(c.NumGt); w.Write(c.NumDt);
            foreach (var p in c.NumPos) w.Write(p);
            for (var i = 0; i < c.Count; i++) { w.Write(c.Score[i]); w.Write(s.ImageIds[c.Image[i]]); w.Write(c.Rank[i]); }
            for (var q = 0; q < AT; q++) w.Write(c.Status, q * c.Capacity, c.Count);
        }
    }

    /// <summary>Reads a shard written by <see cref="Save"/>; <paramref name="source"/> names it in errors.</summary>
    public static CocoEvalShard Load(Stream stream, string source)
    {
        using var all = new MemoryStream();
        stream.CopyTo(all);
        var data = all.GetBuffer().AsSpan(0, (int)all.Length);
        var magic = Encoding.UTF8.GetBytes(Magic);
        if (data.Length < 1 + magic.Length || data[0] != magic.Length || !data.Slice(1, magic.Length).SequenceEqual(magic))
        {
            var v1 = Encoding.UTF8.GetBytes(MagicV1);
            if (data.Length > v1.Length && data[0] == v1.Length && data.Slice(1, v1.Length).SequenceEqual(v1))
                throw DynoInputException.Naming(new InvalidDataException($"{source}: a shard written by an older dyno without a checksum; re-run CocoEvalShard.Save to write it again"), "CocoEvalShard.Save");
            throw DynoInputException.Naming(new InvalidDataException($"{source}: not a dyno COCO shard (written by CocoEvalShard.Save)"), "CocoEvalShard.Save");
        }
        if (data.Length < 1 + magic.Length + HashBytes
            || !System.Security.Cryptography.SHA256.HashData(data[..^HashBytes]).AsSpan().SequenceEqual(data[^HashBytes..]))
            throw DynoInputException.Naming(new InvalidDataException($"{source}: the shard's checksum does not match its content (corrupted or truncated); write it again with CocoEvalShard.Save"), "CocoEvalShard.Save");
        using var body = new MemoryStream(all.GetBuffer(), 0, data.Length - HashBytes, writable: false);
        return LoadBody(body, source);
    }

    private static CocoEvalShard LoadBody(MemoryStream stream, string source)
    {
        try
        {
            using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            if (r.ReadString() != Magic) throw DynoInputException.Naming(new InvalidDataException($"{source}: not a dyno COCO shard (written by CocoEvalShard.Save)"), "CocoEvalShard.Save");
            var h = JsonSerializer.Deserialize<Header>(r.ReadString()) ?? throw new InvalidDataException($"{source}: empty shard header");
            var options = new CocoEvalOptions
            {
                IouType = Enum.Parse<CocoIouType>(h.IouType), IouThresholds = h.IouThresholds, RecallThresholds = h.RecallThresholds, MaxDets = h.MaxDets,
                AreaRanges = h.AreaRanges.Select(a => new AreaRange(a.Label, a.Min, a.Max)).ToArray(), UseCats = h.UseCats,
            };
            var index = new Dictionary<long, int>();
            for (var i = 0; i < h.Images.Length; i++) index[h.Images[i]] = i;
            var A = h.AreaRanges.Length;
            var AT = A * h.IouThresholds.Length;
            var K = r.ReadInt32();
            if (K != (h.UseCats ? h.CategoryIds.Length : 1)) throw new InvalidDataException($"{source}: {K} category states for {h.CategoryIds.Length} categories");
            var cats = new CocoEvaluator.CategoryState[K];
            for (var k = 0; k < K; k++)
            {
                var n = r.ReadInt32();
                if (n < 0 || (long)n * (20 + AT) > stream.Length - stream.Position)
                    throw new InvalidDataException($"{source}: category state {k} declares {n} detections, more than the file holds");
                var c = new CocoEvaluator.CategoryState
                {
                    Count = n, Capacity = n, NumGt = r.ReadInt32(), NumDt = r.ReadInt32(), NumPos = new long[A],
                    Score = new double[n], Image = new int[n], Rank = new int[n], Status = new byte[n * AT],
                };
                for (var a = 0; a < A; a++) c.NumPos[a] = r.ReadInt64();
                for (var i = 0; i < n; i++)
                {
                    c.Score[i] = r.ReadDouble();
                    var id = r.ReadInt64();
                    c.Image[i] = index.TryGetValue(id, out var ix) ? ix : throw new InvalidDataException($"{source}: detection on image {id}, which the shard does not list");
                    c.Rank[i] = r.ReadInt32();
                }
                for (var q = 0; q < AT; q++)
                    if (r.Read(c.Status, q * n, n) != n) throw new EndOfStreamException();
                cats[k] = c;
            }
            var state = new CocoEvaluator.EvalState { Options = options, IouThr = h.IouThresholds, MaxDets = h.MaxDets, Categories = cats, ImageIds = h.Images };
            var categories = h.CategoryIds.Select((id, i) => new CocoCategory(id, h.CategoryNames[i])).ToArray();
            var counts = new CocoCounts
            {
                Images = h.Images.Length, Categories = categories.Length, GtAnnotations = h.GtAnnotations, GtCrowd = h.GtCrowd, Detections = h.Detections, Skipped = h.Skipped,
            };
            if (stream.Position != stream.Length) throw new InvalidDataException($"{source}: {stream.Length - stream.Position} bytes after the last category state");
            return new CocoEvalShard(state, categories, h.Images, counts);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or ArgumentException or FormatException or NullReferenceException or IndexOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException($"{source}: truncated or corrupt shard ({e.Message})");
        }
    }

    /// <summary>Reads a shard file.</summary>
    public static CocoEvalShard Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        using var f = File.OpenRead(path);
        return Load(f, path);
    }
}

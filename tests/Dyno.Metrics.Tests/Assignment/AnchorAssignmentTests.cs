using System.Text.Json;
using Dyno.Metrics.Assignment;
using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Tests.Assignment;

public class AnchorAssignmentTests
{
    private static readonly JsonElement Reference = Load();

    private static JsonElement Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture("assignment", "torchvision_reference.json")));
        return doc.RootElement.Clone();
    }

    internal static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    private static double[] Doubles(string key) => Reference.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static Box[] Boxes(double[] flat) =>
        Enumerable.Range(0, flat.Length / 4).Select(i => new Box(flat[4 * i], flat[4 * i + 1], flat[4 * i + 2], flat[4 * i + 3])).ToArray();

    private static readonly AnchorGenerator TwoLevels = AnchorGenerator.Create([8, 16], [32, 64], [0.5, 1, 2]);

    [Fact]
    public void AnchorsEqualTorchvisionAnchorGenerator()
    {
        var expected = Boxes(Doubles("anchors_100x76"));
        var set = TwoLevels.Generate(100, 76);
        Assert.Equal(expected, set.Anchors);
        Assert.Equal([0, 13 * 10 * 3], set.LevelStart);
        Assert.Equal([13, 7], set.GridWidth);
    }

    [Fact]
    public void ThresholdAssignmentEqualsTorchvisionMatcher()
    {
        var anchors = TwoLevels.Generate(100, 76).Anchors;
        var gt = Boxes(Doubles("gt"));
        var strict = new IouAssigner(0.7, 0.3, BestAnchorPositive: false).Assign(anchors, gt);
        Assert.Equal(Reference.GetProperty("matches_strict").EnumerateArray().Select(v => v.GetInt32()), strict.MatchedGt);

        // With the best-anchor rule the positive anchors are the same; the GT an anchor is given may differ
        // (mmdet gives it the GT whose best it is, torchvision keeps the anchor's own argmax).
        var low = new IouAssigner().Assign(anchors, gt);
        var tv = Reference.GetProperty("matches_low_quality").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.Equal(tv.Select(m => m >= 0 ? 1 : m), low.MatchedGt.Select(m => m >= 0 ? 1 : m));
    }

    [Fact]
    public void GridSparseAssignmentEqualsDenseScan()
    {
        var rng = new Random(9);
        foreach (var gen in new[] { AnchorGenerator.Create([8, 16, 32], [32, 64, 128], [0.5, 1, 2], [1, 1.26]),
                     AnchorGenerator.Create([4, 8], [10, 20], [1, 3]) with { CenterOffset = 0.5, RoundBaseAnchors = false } })
        for (var trial = 0; trial < 40; trial++)
        {
            int w = rng.Next(20, 300), h = rng.Next(20, 300);
            var set = gen.Generate(w, h);
            // Boxes of all sizes, some sticking out of the image or entirely outside it; duplicates make ties.
            var gt = Enumerable.Range(0, rng.Next(0, 12)).Select(_ =>
            {
                double x = rng.NextDouble() * (w + 60) - 30, y = rng.NextDouble() * (h + 60) - 30;
                return new Box(x, y, x + 1 + rng.NextDouble() * w / 2, y + 1 + rng.NextDouble() * h / 2);
            }).ToList();
            if (gt.Count > 1) gt.Add(gt[0]);
            var labels = gt.Select((_, i) => i % 3).ToArray();
            foreach (var assigner in new[] { new IouAssigner(), new IouAssigner(0.5, 0.4, MinPositiveIou: 0.2), new IouAssigner(BestAnchorPositive: false) })
            {
                var dense = assigner.Assign(set.Anchors.AsSpan(), gt.ToArray(), labels);
                var sparse = assigner.Assign(set, gt.ToArray(), labels);
                Assert.Equal(dense.MatchedGt, sparse.MatchedGt);
                Assert.Equal(dense.Labels, sparse.Labels);
                Assert.Equal(dense.MaxIou, sparse.MaxIou);
                Assert.Equal(dense.GtMaxIou, sparse.GtMaxIou);
                Assert.Equal(dense.PositivesPerGt, sparse.PositivesPerGt);
            }
        }
    }

    [Fact]
    public void HandWorkedThreeOutcomes()
    {
        Box[] anchors = [new(0, 0, 10, 10), new(0, 0, 10, 20), new(0, 0, 10, 40), new(50, 50, 60, 60), new(1, 0, 11, 10)];
        Box[] gt = [new(0, 0, 10, 10)];
        var r = new IouAssigner(BestAnchorPositive: false).Assign(anchors, gt, [7]);
        // IoUs: 1, 0.5, 0.25, 0, 9/11 = 0.818.
        Assert.Equal([0, AnchorAssignment.Ignored, AnchorAssignment.Negative, AnchorAssignment.Negative, 0], r.MatchedGt);
        Assert.Equal([7, -1, -1, -1, 7], r.Labels);
        Assert.Equal([2], r.PositivesPerGt);
        Assert.Equal((2, 2, 1), (r.Positives, r.Negatives, r.IgnoredCount));

        // A GT that no anchor reaches 0.7 still gets its best anchor(s), all ties.
        var small = new IouAssigner().Assign(anchors.AsSpan(0, 4), [new Box(0, 0, 10, 5)]);
        Assert.Equal([0, AnchorAssignment.Negative, AnchorAssignment.Negative, AnchorAssignment.Negative], small.MatchedGt);
        Assert.Equal(0.5, small.GtMaxIou[0]);
        Assert.All(new IouAssigner().Assign(anchors, []).MatchedGt, m => Assert.Equal(AnchorAssignment.Negative, m));
    }

    [Fact]
    public void SmallCocoFixtureMatchesTorchvisionBasedReference()
    {
        var options = new AnchorAnalysisOptions(AnchorGenerator.Create([8, 16, 32], [32, 64, 128], [0.5, 1, 2]), new IouAssigner());
        var r = AnchorAnalysis.Analyze(Fixture("coco", "small_gt.json"), options);
        var e = Reference.GetProperty("small_gt");
        Assert.Equal(200, r.Images);
        Assert.Equal(e.GetProperty("gt_boxes").GetInt32(), r.GtBoxes);
        Assert.Equal(19, r.SkippedCrowd);
        Assert.Equal(e.GetProperty("positive").GetInt64(), r.AssignmentCounts.Positive);
        Assert.Equal(e.GetProperty("negative").GetInt64(), r.AssignmentCounts.Negative);
        Assert.Equal(e.GetProperty("ignored").GetInt64(), r.AssignmentCounts.Ignored);
        Assert.Equal(e.GetProperty("total").GetInt64(), r.AssignmentCounts.Total);
        Assert.Equal(e.GetProperty("bpr").GetDouble(), r.Bpr, 15);
        Assert.Equal(e.GetProperty("bpr_iou_only").GetDouble(), r.BprIouOnly, 15);
        Assert.Equal(e.GetProperty("mean_best_iou").GetDouble(), r.MeanBestIou, 12);
        Assert.Equal(e.GetProperty("positives_per_gt_mean").GetDouble(), r.PositivesPerGt.Mean, 12);
        Assert.Equal(e.GetProperty("zero").GetInt32(), r.PositivesPerGt.Zero);
        Assert.Equal(e.GetProperty("max").GetInt32(), r.PositivesPerGt.Max);
        Assert.Null(r.Fit);
    }

    [Fact]
    public void YoloDirectoryReadsLabelsWithImageSizesFromHeaders()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-yolo-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "images", "train"));
            Directory.CreateDirectory(Path.Combine(dir.FullName, "labels", "train"));
            File.WriteAllBytes(Path.Combine(dir.FullName, "images", "train", "a.png"), Png(200, 100));
            File.WriteAllText(Path.Combine(dir.FullName, "labels", "train", "a.txt"), "3 0.5 0.5 0.2 0.4\n\n1 0.1 0.1 0.3 0.1 0.3 0.3\n");
            File.WriteAllBytes(Path.Combine(dir.FullName, "images", "train", "b.png"), Png(64, 64));
            var set = GroundTruthReader.Read(dir.FullName);
            Assert.Equal(2, set.Images.Count);
            var a = set.Images[0];
            Assert.Equal((200, 100), (a.Width, a.Height));
            Assert.Equal([new Box(80, 30, 120, 70), new Box(20, 10, 60, 30)], a.Boxes);
            Assert.Equal([3, 1], a.Labels);
            Assert.Empty(set.Images[1].Boxes);

            File.WriteAllText(Path.Combine(dir.FullName, "labels", "train", "b.txt"), "0 0.5 0.5 x 0.1\n");
            var e = Assert.Throws<InvalidDataException>(() => GroundTruthReader.Read(dir.FullName));
            Assert.Contains("b.txt:1", e.Message);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void BadCocoReferencesAreNamed()
    {
        var f = Path.GetTempFileName();
        try
        {
            File.WriteAllText(f, """{"images":[{"id":1,"width":10,"height":10}],"annotations":[{"id":5,"image_id":2,"bbox":[0,0,1,1],"category_id":1}]}""");
            var e = Assert.Throws<InvalidDataException>(() => GroundTruthReader.Read(f));
            Assert.Contains("annotation id 5", e.Message);
            Assert.Contains("image id 2", e.Message);
        }
        finally
        {
            File.Delete(f);
        }
    }

    // The smallest valid-looking PNG header: signature + IHDR with the size.
    private static byte[] Png(int w, int h)
    {
        var b = new byte[33];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(b, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(16), w);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(20), h);
        return b;
    }
}

using System.Text.Json;
using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

/// <summary>
/// The streaming COCO metric: random batch splits merged equal one pass, and both equal pycocotools on the
/// adversarial tiny/small fixtures (crowd regions, duplicate boxes, tied scores, the maxDets cut).
/// </summary>
public sealed class CocoDetectionMetricTests
{
    private static Dictionary<string, double> Expected(string name) =>
        JsonDocument.Parse(File.ReadAllBytes(CocoEvaluatorTests.Fixture($"expected_{name}.json"))).RootElement.GetProperty("stats")
            .EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());

    /// <summary>Per image: its ground-truth boxes and its detections, in file order.</summary>
    private static (CocoGroundTruth Gt, List<(CocoImageTarget Target, List<CocoBoxPrediction> Dets)> Images) Split(string name)
    {
        var gt = CocoGroundTruth.Load(CocoEvaluatorTests.Fixture($"{name}_gt.json"));
        var dt = CocoDetections.Load(CocoEvaluatorTests.Fixture($"{name}_dt.json"), gt);
        var boxes = gt.Images.Select(_ => new List<CocoBoxTarget>()).ToArray();
        for (var k = 0; k < gt.Count; k++)
            boxes[gt.Img[k]].Add(new CocoBoxTarget(gt.Categories[gt.Cat[k]].Id, gt.X[k], gt.Y[k], gt.W[k], gt.H[k], gt.Crowd[k], gt.Area[k]));
        var dets = gt.Images.Select(_ => new List<CocoBoxPrediction>()).ToArray();
        for (var k = 0; k < dt.Count; k++)
            dets[dt.Img[k]].Add(new CocoBoxPrediction(gt.Categories[dt.Cat[k]].Id, dt.X[k], dt.Y[k], dt.W[k], dt.H[k], dt.Score[k]));
        return (gt, gt.Images.Select((im, i) => (new CocoImageTarget(im.Id, im.Width, im.Height, boxes[i]), dets[i])).ToList());
    }

    [Theory]
    [InlineData("tiny", 1)]
    [InlineData("tiny", 2)]
    [InlineData("small", 3)]
    [InlineData("small", 4)]
    public void Random_batches_merged_equal_one_pass_and_pycocotools(string name, int seed)
    {
        var (gt, images) = Split(name);
        var expected = Expected(name);
        var rng = new Random(seed);
        var order = images.OrderBy(_ => rng.Next()).ToList();

        // ground truth given with each image, split over 1..4 metrics (like per-thread shards), merged
        var parts = Enumerable.Range(0, 1 + rng.Next(4)).Select(_ => new CocoDetectionMetric(gt.Categories)).ToArray();
        foreach (var (target, dets) in order) parts[rng.Next(parts.Length)].Update(target, dets);
        for (var i = 1; i < parts.Length; i++) parts[0].Merge(parts[i]);
        var streamed = parts[0].Compute().Stats;

        // a fixed ground truth (the file), detections image by image
        var fixedGt = new CocoDetectionMetric(gt);
        foreach (var (target, dets) in order) fixedGt.Update(target.ImageId, dets);
        var fromFile = fixedGt.Compute().Stats;

        var onePass = CocoEvaluator.Evaluate(gt, CocoDetections.Load(CocoEvaluatorTests.Fixture($"{name}_dt.json"), gt)).Stats;
        foreach (var (k, v) in expected)
        {
            Assert.Equal(v, onePass[k]);
            Assert.Equal(v, fromFile[k]);
            Assert.Equal(v, streamed[k]);
        }
    }

    [Fact]
    public void Reset_forgets_and_misuse_is_refused()
    {
        var (gt, images) = Split("tiny");
        var m = new CocoDetectionMetric(gt.Categories);
        m.Update(images[0].Target, images[0].Dets);
        Assert.ThrowsAny<ArgumentException>(() => m.Update(images[0].Target, images[0].Dets)); // same image twice
        Assert.Throws<InvalidOperationException>(() => m.Update(images[0].Target.ImageId, images[0].Dets)); // no fixed ground truth
        Assert.ThrowsAny<ArgumentException>(() => m.Update(images[1].Target with { Boxes = [new CocoBoxTarget(9999, 0, 0, 1, 1)] }, []));
        m.Reset();
        Assert.Equal(0, m.Images);
        m.Update(images[0].Target, images[0].Dets);
        Assert.Equal(1, m.Images);
    }

    /// <summary>The docs/val.md sample, compiled: a COCO metric fed batch by batch from in-memory boxes, the 12 stats.</summary>
    [Fact]
    public void Docs_sample_updates_batch_by_batch_and_prints_the_12_stats()
    {
        var metric = new CocoDetectionMetric([new CocoCategory(1, "circle"), new CocoCategory(2, "square")]);
        CocoBoxTarget[] truth = [new(1, 10, 10, 50, 50), new(2, 100, 40, 30, 60)];
        CocoBoxPrediction[] found = [new(1, 12, 11, 48, 50, 0.9), new(2, 101, 42, 30, 58, 0.8), new(2, 0, 0, 5, 5, 0.3)];
        metric.Update(new CocoImageTarget(1, 640, 480, truth), found);
        metric.Update(new CocoImageTarget(2, 640, 480, []), [new(1, 5, 5, 20, 20, 0.2)]);
        var stats = metric.Compute().Stats;
        foreach (var (name, value) in stats) Console.WriteLine($"{name,-6} {value:F3}");
        Assert.Equal(12, stats.Count);
        Assert.Equal(1.0, stats["AP50"], 12); // pycocotools divides by tp + fp + np.spacing(1): a perfect AP is 1 - 1 ulp
    }
}

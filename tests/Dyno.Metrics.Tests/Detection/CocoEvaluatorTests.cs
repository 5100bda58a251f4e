using System.Text.Json;
using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

public class CocoEvaluatorTests
{
    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "coco", name);

    private static readonly string[] StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    private static CocoEvalResult Run(string gt, string dt, CocoIouType type = CocoIouType.Bbox)
    {
        var g = CocoGroundTruth.Load(Fixture(gt), type == CocoIouType.Segm);
        var d = CocoDetections.Load(Fixture(dt), g, type);
        return CocoEvaluator.Evaluate(g, d, new CocoEvalOptions { IouType = type });
    }

    private static void AssertMatches(CocoEvalResult r, JsonElement expected)
    {
        Assert.Equal(StatNames, r.Stats.Keys);
        foreach (var name in StatNames)
        {
            var want = expected.GetProperty("stats").GetProperty(name).GetDouble();
            Assert.True(Math.Abs(r.Stats[name] - want) <= 1e-12, $"{name}: {r.Stats[name]:R} vs pycocotools {want:R}");
            Assert.Equal(want, r.Stats[name]); // and in fact to the last bit
        }
        if (expected.TryGetProperty("per_category", out var perCat))
        {
            foreach (var c in perCat.EnumerateObject())
            {
                var mine = r.PerCategory.Single(x => x.Id == long.Parse(c.Name));
                foreach (var (key, value) in new[] { ("AP", mine.AP), ("AP50", mine.AP50), ("AP75", mine.AP75) })
                {
                    if (!c.Value.TryGetProperty(key, out var e)) continue;
                    Assert.True(Math.Abs(value - e.GetDouble()) <= 1e-12, $"category {c.Name} {key}: {value:R} vs {e.GetDouble():R}");
                }
            }
        }
        if (expected.TryGetProperty("ap_per_iou_threshold", out var perIou))
            foreach (var t in perIou.EnumerateObject())
                Assert.True(Math.Abs(r.ApPerIouThreshold[t.Name] - t.Value.GetDouble()) <= 1e-12, $"AP@{t.Name}");
    }

    private static JsonElement Expected(string file) => JsonDocument.Parse(File.ReadAllBytes(Fixture(file))).RootElement;

    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    public void Bbox_equals_pycocotools_on_synthetic_sets(string name) =>
        AssertMatches(Run($"{name}_gt.json", $"{name}_dt.json"), Expected($"expected_{name}.json"));

    [Fact]
    public void Bbox_equals_pycocotools_on_real_val2014()
    {
        var r = Run("real/instances_val2014_100.json", "real/instances_val2014_fakebbox100_results.json");
        AssertMatches(r, Expected("real/expected_real.json").GetProperty("cases").GetProperty("val2014_100_bbox"));
    }

    [Fact]
    public void Segm_equals_pycocotools_on_real_val2014()
    {
        var r = Run("real/instances_val2014_100.json", "real/instances_val2014_fakesegm100_results.json", CocoIouType.Segm);
        AssertMatches(r, Expected("real/expected_real.json").GetProperty("cases").GetProperty("val2014_100_segm"));
    }

    [Fact]
    public void Iou_thresholds_are_numpy_linspace_bits()
    {
        var t = CocoEvalOptions.CocoIouThresholds;
        Assert.Equal(0.8999999999999999, t[8]);
        Assert.Equal(0.75, t[5]);
        Assert.Equal(0.95, t[9]);
    }

    [Fact]
    public void Counts_describe_the_input()
    {
        var r = Run("tiny_gt.json", "tiny_dt.json");
        Assert.Equal(10, r.Counts.Images);
        Assert.Equal(40, r.Counts.GtAnnotations);
        Assert.Equal(4, r.Counts.GtCrowd);
        Assert.Equal(311, r.Counts.Detections);
        Assert.True(r.Protocol.CocoDefault);
    }
}

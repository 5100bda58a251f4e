using System.Text.Json;
using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

/// <summary>LVIS federated evaluation against lvis-api's LVISEval on tests/fixtures/coco/lvis (make_lvis.py).</summary>
public class LvisEvaluatorTests
{
    private static readonly string[] StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf", "AR@300", "ARs@300", "ARm@300", "ARl@300"];

    private static string Fixture(string name) => CocoEvaluatorTests.Fixture(Path.Combine("lvis", name));

    [Theory]
    [InlineData("bbox", CocoIouType.Bbox)]
    [InlineData("segm", CocoIouType.Segm)]
    public void Every_summary_number_equals_lvis_api(string name, CocoIouType type)
    {
        var gt = CocoGroundTruth.Load(Fixture("lvis_gt.json"), type);
        var dt = CocoDetections.Load(Fixture($"lvis_dt_{name}.json"), gt, type);
        var r = LvisEvaluator.Evaluate(gt, dt, type);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Fixture("expected_lvis.json")));
        var want = doc.RootElement.GetProperty(name);
        Assert.Equal(StatNames, r.Stats.Keys);
        Assert.Equal(StatNames, want.EnumerateObject().Select(p => p.Name));
        foreach (var s in StatNames)
        {
            var e = want.GetProperty(s).GetDouble();
            Assert.True(Math.Abs(r.Stats[s] - e) <= 1e-12, $"{name} {s}: {r.Stats[s]:R} vs lvis-api {e:R}");
            Assert.Equal(e, r.Stats[s]); // to the last bit
        }
        Assert.Equal("lvis", r.Protocol.Name);
        Assert.Equal([300], r.Protocol.MaxDets);
        // the never-annotated category (id 90) is undefined, not 0
        Assert.Equal(-1, r.PerCategory.Single(c => c.Id == 90).AP);
    }

    [Fact]
    public void The_federated_rules_change_the_numbers()
    {
        // the same files under plain COCO rules (maxDets 300) give another AP: the fixture exercises the rules
        var gt = CocoGroundTruth.Load(Fixture("lvis_gt.json"));
        var dt = CocoDetections.Load(Fixture("lvis_dt_bbox.json"), gt);
        var coco = CocoEvaluator.Evaluate(gt, dt, new CocoEvalOptions { MaxDets = [300] });
        var lvis = LvisEvaluator.Evaluate(gt, dt);
        Assert.NotEqual(coco.Stats["AP"], lvis.Stats["AP"]);
        Assert.True(lvis.Counts.Detections < dt.Count); // dropped: over 300 per image, zero area, neither positive nor negative
    }

    [Fact]
    public void A_coco_file_without_lvis_fields_is_refused_naming_the_file()
    {
        var gt = CocoGroundTruth.Load(CocoEvaluatorTests.Fixture("tiny_gt.json"));
        var dt = CocoDetections.Load(CocoEvaluatorTests.Fixture("tiny_dt.json"), gt);
        var e = Assert.Throws<InvalidDataException>(() => LvisEvaluator.Evaluate(gt, dt));
        Assert.Contains("tiny_gt.json", e.Message);
        Assert.Contains("neg_category_ids", e.Message);
    }

    [Theory]
    [InlineData("", "no 'frequency'")]
    [InlineData(",\"frequency\":\"x\"", "'frequency' is 'x'")]
    public void Categories_need_a_frequency(string frequency, string message)
    {
        var json = "{\"images\":[{\"id\":1,\"width\":10,\"height\":10,\"neg_category_ids\":[],\"not_exhaustive_category_ids\":[]}],"
            + "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":3,\"bbox\":[0,0,2,2],\"area\":4}],"
            + "\"categories\":[{\"id\":3,\"name\":\"c\"" + frequency + "}]}";
        var gt = CocoGroundTruth.Parse(System.Text.Encoding.UTF8.GetBytes(json), "g.json");
        var dt = CocoDetections.Parse("[]"u8.ToArray(), "d.json", gt);
        var e = Assert.Throws<InvalidDataException>(() => LvisEvaluator.Evaluate(gt, dt));
        Assert.StartsWith("g.json: categories (id 3): " + message, e.Message);
    }

    [Fact]
    public void Keypoints_are_not_an_lvis_type() =>
        Assert.ThrowsAny<ArgumentException>(() => LvisEvaluator.Options(CocoIouType.Keypoints));
}

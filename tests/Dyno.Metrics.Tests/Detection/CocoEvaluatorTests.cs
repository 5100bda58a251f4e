using System.Text.Json;
using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

public class CocoEvaluatorTests
{
    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "coco", name);

    private static readonly string[] StatNames = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    private static CocoEvalResult Run(string gt, string dt, CocoIouType type = CocoIouType.Bbox)
    {
        var g = CocoGroundTruth.Load(Fixture(gt), type);
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

public class CocoProtocolOptionTests
{
    private static (CocoGroundTruth, CocoDetections) Tiny()
    {
        var gt = CocoGroundTruth.Load(CocoEvaluatorTests.Fixture("tiny_gt.json"));
        return (gt, CocoDetections.Load(CocoEvaluatorTests.Fixture("tiny_dt.json"), gt));
    }

    [Fact]
    public void Split_over_subsets_is_coco_eval_on_those_categories()
    {
        var (gt, dt) = Tiny();
        var r = CocoEvaluator.Evaluate(gt, dt);
        var all = gt.Categories.Select(c => c.Id).ToArray();
        var s = CocoEvaluator.Split(r, all, []);
        Assert.Equal(r.Stats["AP"], s.APBase);
        Assert.Equal(r.Stats["AP50"], s.AP50Base);
        Assert.Equal(-1, s.APNovel);
        Assert.Equal(-1, s.APHarmonic);
        var person = r.PerCategory.Single(c => c.Name == "person");
        var tv = r.PerCategory.Single(c => c.Name == "tv");
        s = CocoEvaluator.Split(r, [person.Id], [tv.Id]);
        Assert.Equal(person.AP, s.APBase);
        Assert.Equal(tv.AP, s.APNovel);
        Assert.Equal(2 * person.AP * tv.AP / (person.AP + tv.AP), s.APHarmonic);
        Assert.ThrowsAny<ArgumentException>(() => CocoEvaluator.Split(r, [person.Id], [person.Id]));
    }

    [Fact]
    public void Class_agnostic_matching_lets_a_wrong_label_match()
    {
        var gtJson = "{\"images\":[{\"id\":1,\"width\":100,\"height\":100}],\"categories\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"}]," +
                     "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[10,10,50,50],\"area\":2500,\"iscrowd\":0}]}";
        var gt = CocoGroundTruth.Parse(System.Text.Encoding.UTF8.GetBytes(gtJson), "gt");
        var dt = CocoDetections.Parse(System.Text.Encoding.UTF8.GetBytes("[{\"image_id\":1,\"category_id\":2,\"bbox\":[10,10,50,50],\"score\":0.9}]"), "dt", gt);
        Assert.Equal(0.0, CocoEvaluator.Evaluate(gt, dt).Stats["AP"]);
        var agnostic = CocoEvaluator.Evaluate(gt, dt, new CocoEvalOptions { UseCats = false });
        Assert.Equal(1 / (1 + 2.220446049250313e-16), agnostic.Stats["AP"]); // pycocotools: tp / (tp + fp + np.spacing(1))
        Assert.Empty(agnostic.PerCategory);
    }

    [Fact]
    public void Custom_max_dets_name_the_recall_keys_and_drive_the_headline()
    {
        var (gt, dt) = Tiny();
        var r = CocoEvaluator.Evaluate(gt, dt, new CocoEvalOptions { MaxDets = [20, 1, 10] });
        Assert.Equal(["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR20", "ARs", "ARm", "ARl"], r.Stats.Keys);
        Assert.Equal([1, 10, 20], r.Protocol.MaxDets);
        Assert.False(r.Protocol.CocoDefault);
        // no image of tiny has more than 20 detections of one category above the cut that matters: same AP
        var d = CocoEvaluator.Evaluate(gt, dt);
        Assert.Equal(d.Stats["AR1"], r.Stats["AR1"]);
        Assert.Equal(d.Stats["AR10"], r.Stats["AR10"]);
    }
}

public class CocoOperatingPointTests
{
    [Fact]
    public void Precision_recall_f1_at_and_at_best_threshold()
    {
        var gtJson = "{\"images\":[{\"id\":1,\"width\":100,\"height\":100}],\"categories\":[{\"id\":1,\"name\":\"a\"}]," +
                     "\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0}," +
                     "{\"id\":2,\"image_id\":1,\"category_id\":1,\"bbox\":[50,50,10,10],\"area\":100,\"iscrowd\":0}]}";
        var gt = CocoGroundTruth.Parse(System.Text.Encoding.UTF8.GetBytes(gtJson), "gt");
        // 0.9: hit, 0.8: miss, 0.7: hit, 0.7: duplicate of the first (FP)
        var dt = CocoDetections.Parse(System.Text.Encoding.UTF8.GetBytes(
            "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.9},{\"image_id\":1,\"category_id\":1,\"bbox\":[80,80,5,5],\"score\":0.8}," +
            "{\"image_id\":1,\"category_id\":1,\"bbox\":[50,50,10,10],\"score\":0.7},{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.7}]"), "dt", gt);
        var op = CocoEvaluator.Evaluate(gt, dt, new CocoEvalOptions { ScoreThreshold = 0.85 }).OperatingPoints!;
        Assert.Equal(0.5, op.IouThreshold);
        Assert.Equal((1L, 0L, 1L), (op.AtThreshold.Tp, op.AtThreshold.Fp, op.AtThreshold.Fn));
        Assert.Equal(1.0, op.AtThreshold.Precision);
        Assert.Equal(0.5, op.AtThreshold.Recall);
        // at 0.9: P 1, R .5, F1 2/3; at 0.8: P .5, R .5; at 0.7 (both 0.7s together): P .5, R 1, F1 2/3 → first best kept
        Assert.Equal(0.9, op.BestF1.Threshold);
        Assert.Equal(2.0 / 3.0, op.BestF1.F1, 15);
        Assert.Single(op.PerCategory);
        Assert.Equal(101, op.Curve.Count);
        Assert.Equal((1L, 0L), (op.Curve[85].Tp, op.Curve[85].Fp));   // score >= 0.85
        Assert.Equal((1L, 1L), (op.Curve[75].Tp, op.Curve[75].Fp));   // >= 0.75
        Assert.Equal((2L, 2L), (op.Curve[50].Tp, op.Curve[50].Fp));   // >= 0.5: everything
        Assert.Equal((0L, 0L), (op.Curve[100].Tp, op.Curve[100].Fp)); // >= 1
    }
}

public class CocoKeypointTests
{
    private static string Kp(IEnumerable<double> v) => "[" + string.Join(",", v.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";

    [Fact]
    public void Oks_follows_compute_oks_and_keypoint_params()
    {
        const double area = 2000, c = 0.723;
        var sig = CocoEvalOptions.CocoKeypointSigmas;
        var gtKp = Enumerable.Range(0, 17).SelectMany(i => new double[] { 50 + i, 60 + i, 2 }).ToArray();
        // every keypoint off by c · 2σ · sqrt(area): each term is exp(−c²/2), so OKS = exp(−c²/2) ≈ 0.77
        var dtKp = Enumerable.Range(0, 17).SelectMany(i => new double[] { 50 + i + c * 2 * sig[i] * Math.Sqrt(area), 60 + i, 1 }).ToArray();
        var hidden = Enumerable.Range(0, 17).SelectMany(i => new double[] { 0, 0, 0 }).ToArray();
        var gtJson = "{\"images\":[{\"id\":1,\"width\":200,\"height\":200}],\"categories\":[{\"id\":1,\"name\":\"person\"}],\"annotations\":[" +
                     $"{{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[40,50,40,50],\"area\":{area},\"iscrowd\":0,\"num_keypoints\":17,\"keypoints\":{Kp(gtKp)}}}," +
                     $"{{\"id\":2,\"image_id\":1,\"category_id\":1,\"bbox\":[150,150,20,20],\"area\":400,\"iscrowd\":0,\"num_keypoints\":0,\"keypoints\":{Kp(hidden)}}}]}}";
        var gt = CocoGroundTruth.Parse(System.Text.Encoding.UTF8.GetBytes(gtJson), "gt", CocoIouType.Keypoints);
        var dt = CocoDetections.Parse(System.Text.Encoding.UTF8.GetBytes($"[{{\"image_id\":1,\"category_id\":1,\"keypoints\":{Kp(dtKp)},\"score\":0.9}}]"), "dt", gt, CocoIouType.Keypoints);
        var vars = sig.Select(v => v * 2 * (v * 2)).ToArray();
        var oks = CocoEvaluator.Oks(dtKp, gtKp, 40, 50, 40, 50, area, vars);
        Assert.Equal(Math.Exp(-c * c / 2), oks, 9);
        // no labelled ground-truth keypoints: distance to the box grown by its size on each side
        Assert.Equal(1.0, CocoEvaluator.Oks(dtKp, hidden, 0, 0, 100, 100, area, vars), 12);

        var r = CocoEvaluator.Evaluate(gt, dt, CocoEvalOptions.CocoKeypoints);
        Assert.Equal(["AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"], r.Stats.Keys);
        var one = 1 / (1 + 2.220446049250313e-16);
        Assert.Equal(0.6 * one, r.Stats["AP"], 12);   // OKS 0.77 passes 0.50 ... 0.75: 6 of 10 thresholds
        Assert.Equal(one, r.Stats["AP50"], 12);
        Assert.Equal(one, r.Stats["AP75"], 12);
        Assert.Equal(r.Stats["AP"], r.Stats["APm"]);
        Assert.Equal(-1, r.Stats["APl"]);
        Assert.Equal(0.6, r.Stats["AR"], 12);          // the num_keypoints == 0 person is ignored
        Assert.Equal("keypoints", r.Protocol.IouType);
        Assert.True(r.Protocol.CocoDefault);
    }
}

public class VocEvaluatorTests
{
    [Fact]
    public void Voc_ap_follows_voc_eval()
    {
        var gtJson = "{\"images\":[{\"id\":1},{\"id\":2}],\"categories\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"}],\"annotations\":[" +
                     "{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0}," +
                     "{\"id\":2,\"image_id\":1,\"category_id\":1,\"bbox\":[20,20,10,10],\"area\":100,\"iscrowd\":0}," +
                     "{\"id\":3,\"image_id\":2,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":1}]}";
        var gt = CocoGroundTruth.Parse(System.Text.Encoding.UTF8.GetBytes(gtJson), "gt");
        // hit A; A again (its best match is taken: FP, no second choice); the difficult one (ignored); B
        var dt = CocoDetections.Parse(System.Text.Encoding.UTF8.GetBytes(
            "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.9},{\"image_id\":1,\"category_id\":1,\"bbox\":[1,0,10,10],\"score\":0.8}," +
            "{\"image_id\":2,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.7},{\"image_id\":1,\"category_id\":1,\"bbox\":[21,20,10,10],\"score\":0.6}]"), "dt", gt);
        var r = VocEvaluator.Evaluate(gt, dt);
        var a = r.PerCategory[0];
        // rec/prec: (.5, 1), (.5, .5), (1, 2/3)
        Assert.Equal((6 + 5 * (2.0 / 3)) / 11, a.Ap11Point, 12);
        Assert.Equal(0.5 + 0.5 * (2.0 / 3), a.ApAllPoint, 12);
        Assert.Equal(2, a.NumGt);
        Assert.Equal(-1, r.PerCategory[1].Ap11Point);
        Assert.Equal(a.ApAllPoint, r.MeanApAllPoint);
    }
}

public class DetectionConfusionMatrixTests
{
    [Fact]
    public void Counts_class_confusions_misses_and_false_alarms()
    {
        var gtJson = "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"}],\"annotations\":[" +
                     "{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0}," +
                     "{\"id\":2,\"image_id\":1,\"category_id\":1,\"bbox\":[50,50,10,10],\"area\":100,\"iscrowd\":0}," +
                     "{\"id\":3,\"image_id\":1,\"category_id\":2,\"bbox\":[80,0,10,10],\"area\":100,\"iscrowd\":1}]}";
        var gt = CocoGroundTruth.Parse(System.Text.Encoding.UTF8.GetBytes(gtJson), "gt");
        var dt = CocoDetections.Parse(System.Text.Encoding.UTF8.GetBytes(
            "[{\"image_id\":1,\"category_id\":2,\"bbox\":[0,0,10,10],\"score\":0.9}," +   // a seen as b
            "{\"image_id\":1,\"category_id\":1,\"bbox\":[1,0,10,10],\"score\":0.8}," +    // duplicate on a: already taken → false alarm
            "{\"image_id\":1,\"category_id\":1,\"bbox\":[30,30,5,5],\"score\":0.7}," +    // nothing there → false alarm
            "{\"image_id\":1,\"category_id\":2,\"bbox\":[80,0,10,10],\"score\":0.1}]"), "dt", gt); // below the score threshold
        var m = DetectionConfusionMatrix.Compute(gt, dt);
        Assert.Equal(["a", "b", "background"], m.Labels);
        Assert.Equal([0L, 0, 2], m.Counts[0]); // predicted a: two false alarms
        Assert.Equal([1L, 0, 0], m.Counts[1]); // predicted b on a true a
        Assert.Equal([1L, 0, 0], m.Counts[2]); // the second a was missed; crowd b is left out
    }
}

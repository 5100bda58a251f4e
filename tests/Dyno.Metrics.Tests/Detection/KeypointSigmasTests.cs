using System.Text.Json;
using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

/// <summary>Keypoints with other skeletons and sigmas: pycocotools with params.kpt_oks_sigmas set, and faster-coco-eval's CrowdPose test values.</summary>
public class KeypointSigmasTests
{
    private static readonly string[] KpNames = ["AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl"];

    private static string Fixture(string name) => CocoEvaluatorTests.Fixture(Path.Combine("crowdpose", name));

    private static JsonElement Expected(string file, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Fixture(file)));
        return doc.RootElement.GetProperty(name).GetProperty("stats").Clone();
    }

    private static double[] CustomSigmas() =>
        File.ReadAllLines(Fixture("sigmas_custom.txt")).Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => double.Parse(l, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static void AssertStats(CocoEvalResult r, JsonElement want, IEnumerable<string> names)
    {
        Assert.Equal(names, r.Stats.Keys);
        foreach (var n in names)
        {
            var e = want.GetProperty(n).GetDouble();
            Assert.True(Math.Abs(r.Stats[n] - e) <= 1e-12, $"{n}: {r.Stats[n]:R} vs {e:R}");
            Assert.Equal(e, r.Stats[n]);
        }
    }

    [Theory]
    [InlineData("synth14_gt.json", "synth14_dt.json", "expected_synth14.json", "crowdpose_sigmas", false)]
    [InlineData("synth14_gt.json", "synth14_dt.json", "expected_synth14.json", "custom_sigmas", true)]
    [InlineData("crowdpose_gt_area.json", "example_crowdpose_preds.json", "expected.json", "pycocotools_crowdpose_sigmas", false)]
    [InlineData("crowdpose_gt_area.json", "example_crowdpose_preds.json", "expected.json", "pycocotools_custom_sigmas", true)]
    public void Custom_sigmas_equal_pycocotools(string gtFile, string dtFile, string expected, string name, bool custom)
    {
        var gt = CocoGroundTruth.Load(Fixture(gtFile), CocoIouType.Keypoints);
        var dt = CocoDetections.Load(Fixture(dtFile), gt, CocoIouType.Keypoints);
        var sigmas = custom ? CustomSigmas() : CocoEvalOptions.CrowdPoseKeypointSigmas;
        var r = CocoEvaluator.Evaluate(gt, dt, CocoEvalOptions.CocoKeypoints with { KeypointSigmas = sigmas });
        AssertStats(r, Expected(expected, name), KpNames);
        Assert.Equal(sigmas, r.Protocol.KeypointSigmas);
        Assert.False(r.Protocol.CocoDefault);
    }

    [Fact]
    public void CrowdPose_protocol_equals_faster_coco_eval_test_values()
    {
        // faster-coco-eval tests/test_crowdpose.py: keypoints_crowd, CrowdPose sigmas, use_area=False, on its example files (no 'area')
        var gt = CocoGroundTruth.Load(Fixture("example_crowdpose_val.json"), CocoIouType.Keypoints);
        var dt = CocoDetections.Load(Fixture("example_crowdpose_preds.json"), gt, CocoIouType.Keypoints);
        var r = CrowdPoseEvaluator.Evaluate(gt, dt);
        AssertStats(r, Expected("expected.json", "faster_coco_eval_crowdpose"), ["AP_all", "AP_50", "AP_75", "AR_all", "AR_50", "AR_75", "AP_easy", "AP_medium", "AP_hard"]);
        Assert.Equal("crowdpose", r.Protocol.Name);
    }

    [Fact]
    public void A_skeleton_that_does_not_fit_the_sigmas_names_the_file_and_annotation()
    {
        var gt = CocoGroundTruth.Load(Fixture("synth14_gt.json"), CocoIouType.Keypoints);
        var dt = CocoDetections.Load(Fixture("synth14_dt.json"), gt, CocoIouType.Keypoints);
        var e = Assert.Throws<InvalidDataException>(() => CocoEvaluator.Evaluate(gt, dt, CocoEvalOptions.CocoKeypoints));
        Assert.Contains("synth14_gt.json: annotation id 1: 14 keypoints, but COCO's 17 sigmas are for 17", e.Message);
    }

    [Fact]
    public void Without_area_only_the_crowdpose_scale_is_accepted()
    {
        var gt = CocoGroundTruth.Load(Fixture("example_crowdpose_val.json"), CocoIouType.Keypoints);
        var dt = CocoDetections.Load(Fixture("example_crowdpose_preds.json"), gt, CocoIouType.Keypoints);
        var e = Assert.Throws<InvalidDataException>(() => CocoEvaluator.Evaluate(gt, dt, CocoEvalOptions.CocoKeypoints with { KeypointSigmas = CocoEvalOptions.CrowdPoseKeypointSigmas }));
        Assert.Contains("example_crowdpose_val.json: annotations[0] (id 165388): no finite 'area'", e.Message);
    }

    [Fact]
    public void Detections_with_another_skeleton_are_refused_at_their_record()
    {
        var gt = CocoGroundTruth.Load(Fixture("synth14_gt.json"), CocoIouType.Keypoints);
        var kp = string.Join(",", Enumerable.Repeat("1,2,1", 17));
        var e = Assert.Throws<InvalidDataException>(() => CocoDetections.Parse(System.Text.Encoding.UTF8.GetBytes($"[{{\"image_id\":1000,\"category_id\":1,\"keypoints\":[{kp}],\"score\":0.5}}]"), "d.json", gt, CocoIouType.Keypoints));
        Assert.Contains("d.json: [0]", e.Message);
        Assert.Contains("17 keypoints where the ground truth has 14", e.Message);
    }

    // expected values: Python 3.11 round(x, digits), which rounds the exact binary value
    [Theory]
    [InlineData(0.125, 4, 0.125)]
    [InlineData(2.675, 2, 2.67)]     // binary 2.67499999...
    [InlineData(0.98015, 4, 0.9801)]
    [InlineData(0.41165, 4, 0.4117)]
    [InlineData(0.00005, 4, 0.0001)] // binary 5.0000000000000002e-05, above the tie
    [InlineData(0.00015, 4, 0.0001)] // binary 1.4999999999999999e-04, below it
    public void Python_round(double x, int digits, double want) => Assert.Equal(want, CrowdPoseEvaluator.PythonRound(x, digits));
}

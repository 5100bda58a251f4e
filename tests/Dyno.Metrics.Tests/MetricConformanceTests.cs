using System.Text.Json;
using Dyno.Metrics.Classification;
using Dyno.Metrics.Detection;
using Dyno.Metrics.Segmentation;
using Dyno.Metrics.Tests.Classification;
using Dyno.Metrics.Tests.Detection;
using Dyno.Metrics.Tests.Tracking;
using Dyno.Metrics.Tracking;

namespace Dyno.Metrics.Tests;

/// <summary>
/// Every streaming metric under <see cref="MetricConformance"/>: any split merged equals one pass (same
/// bits), and the one pass equals the reference tool's fixture (scikit-learn, numpy/mmsegmentation,
/// TrackEval, pycocotools).
/// </summary>
public sealed class MetricConformanceTests
{
    private static string Fixtures(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    public static TheoryData<string> ClassificationCases() => SklearnExpectedTests.ClassificationCases();

    public static TheoryData<string> MultiLabelCases() => SklearnExpectedTests.MultiLabelCases();

    [Theory]
    [MemberData(nameof(ClassificationCases))]
    public void Classification_splits_merge_to_one_pass_and_scikit_learn(string name)
    {
        var c = SklearnExpectedTests.Case("classification", name);
        var y = c.GetProperty("y_true").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Action<ClassificationAccumulator, int> update;
        if (c.GetProperty("y_pred").ValueKind != JsonValueKind.Null)
        {
            var pred = c.GetProperty("y_pred").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            update = (m, i) => m.Update(y[i], pred[i]);
        }
        else
        {
            var scores = c.GetProperty("scores").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
            update = (m, i) => m.Update(y[i], scores[i]);
        }
        var r = MetricConformance.Check<ClassificationAccumulator, ClassificationReport>(() => SklearnExpectedTests.Create(c), y.Length, update, Fingerprint);
        SklearnExpectedTests.AssertMatches(name, r);
    }

    /// <summary>The whole report, confusion counts included, with the log loss apart (see below).</summary>
    private static string Fingerprint(ClassificationReport r) =>
        MetricConformance.Fingerprint(r with { LogLoss = LogLossRounded(r.LogLoss) }) + MetricConformance.Fingerprint(r.Confusion.ToRows(ConfusionNormalization.None));

    /// <summary>
    /// The log loss is a compensated (Neumaier) sum, and merging adds two compensated sums, so a split may
    /// move it by an ulp or two; it must still agree to 1e-14 relative (every other figure is bit-equal).
    /// </summary>
    private static double LogLossRounded(double x) => double.IsFinite(x) && x != 0 ? Math.Round(x, 13 - (int)Math.Floor(Math.Log10(Math.Abs(x)))) : x;

    [Theory]
    [MemberData(nameof(MultiLabelCases))]
    public void Multi_label_splits_merge_to_one_pass_and_scikit_learn(string name)
    {
        var c = SklearnExpectedTests.Case("multilabel", name);
        var yt = c.GetProperty("y_true").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32() != 0).ToArray()).ToArray();
        var yp = c.GetProperty("y_pred").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32() != 0).ToArray()).ToArray();
        var labels = c.GetProperty("num_labels").GetInt32();
        var beta = c.GetProperty("beta").GetDouble();
        var r = MetricConformance.Check<MultiLabelAccumulator, MultiLabelReport>(() => new MultiLabelAccumulator(labels, beta), yt.Length,
            (m, i) => m.Update(Target.Of(yt[i]), Prediction.Of(yp[i])));
        SklearnExpectedTests.AssertMultiLabelMatches(name, r);
    }

    [Fact]
    public void Segmentation_splits_merge_to_one_pass_and_the_numpy_reference()
    {
        var pixels = JsonDocument.Parse(File.ReadAllBytes(Fixtures("segmentation", "pixels.json"))).RootElement;
        var expected = JsonDocument.Parse(File.ReadAllBytes(Fixtures("segmentation", "expected.json"))).RootElement;
        int[] Map(string key) => pixels.GetProperty(key).GetProperty("pixels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var names = pixels.EnumerateObject().Select(p => p.Name).Where(n => n.StartsWith("gt/", StringComparison.Ordinal)).Select(n => n[3..]).ToArray();
        var images = names.Select(n => (Name: n, Gt: Map("gt/" + n), Pred: Map("pred/" + n))).ToArray();
        Assert.Equal(5, images.Length);
        var classes = expected.GetProperty("num_classes").GetInt32();

        var r = MetricConformance.Check<SegmentationAccumulator, SegmentationReport>(() => new SegmentationAccumulator(classes, new SegmentationOptions { PerImage = true }), images.Length,
            (m, i) => m.Update(Target.Of(images[i].Gt), Prediction.Of(images[i].Pred), images[i].Name),
            r => MetricConformance.Fingerprint(r) + MetricConformance.Fingerprint(r.Confusion.ToRows(ConfusionNormalization.None)));

        Assert.Equal(expected.GetProperty("pixels").GetInt64(), r.Pixels);
        Assert.Equal(expected.GetProperty("ignored_pixels").GetInt64(), r.IgnoredPixels);
        SklearnExpectedTests.Near(expected.GetProperty("miou").GetDouble(), r.Dataset.MIoU, "miou");
        SklearnExpectedTests.Near(expected.GetProperty("dice").GetDouble(), r.Dataset.Dice, "dice");
        SklearnExpectedTests.Near(expected.GetProperty("pixel_accuracy").GetDouble(), r.Dataset.PixelAccuracy, "pixel_accuracy");
        SklearnExpectedTests.Near(expected.GetProperty("mean_accuracy").GetDouble(), r.Dataset.MeanAccuracy, "mean_accuracy");
        SklearnExpectedTests.Near(expected.GetProperty("fwiou").GetDouble(), r.Dataset.FwIoU, "fwiou");
        var cm = expected.GetProperty("confusion_matrix").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.Equal(cm, r.Confusion.ToRows(ConfusionNormalization.None));
    }

    [Fact]
    public void Tracking_splits_merge_to_one_pass_and_TrackEval()
    {
        var seqs = new[] { MotFixtures.Tud("TUD-Campus"), MotFixtures.Tud("TUD-Stadtmitte") };
        var r = MetricConformance.Check<MotMetric, MotEvaluation>(() => new MotMetric(), seqs.Length,
            (m, i) => m.Update(new MotSequenceTarget(seqs[i].Name, seqs[i].Gt, seqs[i].NumFrames), seqs[i].Pred));
        var exp = MotFixtures.Load("expected_tud.json").GetProperty("computed").GetProperty("trackeval").GetProperty("results");
        foreach (var s in r.Sequences.Append(r.Combined))
            TrackEvalAssert.Matches(exp.GetProperty(s.Name), s.Clear, s.Identity, s.Hota, s.Name);
        Assert.Equal(MetricConformance.Fingerprint(MotEvaluator.Evaluate(seqs)), MetricConformance.Fingerprint(r));
    }

    [Theory]
    [InlineData("bbox")]
    [InlineData("segm")]
    public void Coco_over_a_fixed_ground_truth_splits_merge_to_one_pass_and_pycocotools(string iouType)
    {
        var type = iouType == "segm" ? CocoIouType.Segm : CocoIouType.Bbox;
        var gt = CocoGroundTruth.Load(CocoEvaluatorTests.Fixture("real/instances_val2014_100.json"), type);
        var expected = JsonDocument.Parse(File.ReadAllBytes(CocoEvaluatorTests.Fixture("real/expected_real.json"))).RootElement
            .GetProperty("cases").GetProperty($"val2014_100_{iouType}").GetProperty("stats");
        if (type == CocoIouType.Bbox)
        {
            var dt = CocoDetections.Load(CocoEvaluatorTests.Fixture("real/instances_val2014_fakebbox100_results.json"), gt);
            var perImage = gt.Images.Select(_ => new List<CocoBoxPrediction>()).ToArray();
            for (var k = 0; k < dt.Count; k++)
                perImage[dt.Img[k]].Add(new CocoBoxPrediction(gt.Categories[dt.Cat[k]].Id, dt.X[k], dt.Y[k], dt.W[k], dt.H[k], dt.Score[k]));
            var r = MetricConformance.Check<CocoDetectionMetric, CocoEvalResult>(() => new CocoDetectionMetric(gt), gt.Images.Count,
                (m, i) => m.Update(gt.Images[i].Id, perImage[i]), r => MetricConformance.Fingerprint(r.Stats));
            foreach (var p in expected.EnumerateObject()) Assert.Equal(p.Value.GetDouble(), r.Stats[p.Name]);
        }
        else
        {
            // Masks have no in-memory builder yet: the file-level evaluator is checked against the same fixture.
            var dt = CocoDetections.Load(CocoEvaluatorTests.Fixture("real/instances_val2014_fakesegm100_results.json"), gt, type);
            var r = CocoEvaluator.Evaluate(gt, dt, new CocoEvalOptions { IouType = type });
            foreach (var p in expected.EnumerateObject()) Assert.Equal(p.Value.GetDouble(), r.Stats[p.Name]);
        }
    }
}

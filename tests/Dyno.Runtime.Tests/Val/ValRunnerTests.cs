using Dyno.Runtime.Val;

namespace Dyno.Runtime.Tests.Val;

/// <summary>dyno val's engine against the reference pipeline's metrics (ONNX Runtime, torchvision NMS, pycocotools).</summary>
public sealed class ValRunnerTests
{
    private static readonly ValOptions OneThread = new() { IntraOpThreads = 1, InterOpThreads = 1, Workers = 1 };

    public static TheoryData<string> Detectors => new() { "shapes_det_n_v8", "shapes_det_n_v5", "shapes_det_n_e2e", "shapes_det_s_v8", "shapes_det_s_v5", "shapes_det_s_e2e" };

    [Theory]
    [MemberData(nameof(Detectors))]
    public void Detection_stats_equal_the_reference(string model)
    {
        var data = ValDatasets.ReadCoco(ValFixtures.Path_("det", "instances_val.json"), ValFixtures.Path_("det", "images"));
        var run = ValRunner.Detect(ValFixtures.Model(model), data, new PreprocessOptions { Width = 320, Height = 320 }, OneThread);
        using var expected = ValFixtures.Json("expected", $"det_{model}_stats.json");
        Assert.Equal(200, run.Images);
        var worst = 0.0;
        foreach (var p in expected.RootElement.GetProperty("stats").EnumerateObject())
        {
            var got = run.Detection!.Stats[p.Name];
            worst = Math.Max(worst, Math.Abs(got - p.Value.GetDouble()));
            Assert.True(Math.Abs(got - p.Value.GetDouble()) <= 1e-4, $"{model} {p.Name}: {got:R} vs reference {p.Value.GetDouble():R}");
        }
        Console.WriteLine($"{model}: max |stat - reference| = {worst:G3}");
    }

    [Fact]
    public void Yolo_yaml_dataset_reads_labels_beside_the_images()
    {
        var data = ValDatasets.ReadYolo(ValFixtures.Path_("det", "shapes.yaml"));
        Assert.Equal(["circle", "square", "triangle", "cross", "ring"], data.Names);
        Assert.Equal(200, data.Samples.Count);
        Assert.EndsWith(Path.Combine("det", "labels", "shapes_000001.txt"), data.Samples[0].LabelPath);
        var run = ValRunner.Detect(ValFixtures.Model("shapes_det_n_v8"), data, new PreprocessOptions { Width = 320, Height = 320 }, OneThread);
        using var expected = ValFixtures.Json("expected", "det_shapes_det_n_v8_stats.json");
        // YOLO labels hold the boxes rounded to 6 normalised decimals, so AP moves in the 4th decimal at most
        Assert.Equal(1322, run.GroundTruth!.Count);
        Assert.True(Math.Abs(run.Detection!.Stats["AP"] - expected.RootElement.GetProperty("stats").GetProperty("AP").GetDouble()) < 1e-3);
    }

    [Fact]
    public void Classification_metrics_equal_the_reference()
    {
        var data = ValDatasets.ReadImageFolder(ValFixtures.Path_("cls"));
        Assert.Equal(["circle", "cross", "ring", "square", "triangle"], data.Names);
        var pre = new PreprocessOptions { Width = 64, Height = 64, Mode = ResizeMode.Stretch, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };
        var run = ValRunner.Classify(ValFixtures.Model("shapes_cls"), data, pre, OneThread with { TopK = [2, 5] });
        using var expected = ValFixtures.Json("expected", "cls_metrics.json");
        var m = expected.RootElement;
        var r = run.Classification!;
        Assert.Equal(ScoreKind.Logits, run.Scores);
        Assert.Equal(300, r.Samples);
        Assert.Equal(m.GetProperty("top1").GetDouble(), r.Accuracy);
        Assert.Equal(m.GetProperty("top2").GetDouble(), r.TopK.Single(t => t.K == 2).Accuracy);
        Assert.Equal(m.GetProperty("macro").GetProperty("f1").GetDouble(), r.Macro.F1, 15);
        var perClass = data.Names.Select(n => m.GetProperty("per_class").GetProperty(n)).ToArray();
        for (var c = 0; c < 5; c++)
        {
            Assert.Equal(perClass[c].GetProperty("precision").GetDouble(), r.PerClass[c].Precision, 15);
            Assert.Equal(perClass[c].GetProperty("recall").GetDouble(), r.PerClass[c].Recall, 15);
            Assert.Equal(perClass[c].GetProperty("f1").GetDouble(), r.PerClass[c].F1, 15);
        }
        var cm = m.GetProperty("confusion_matrix").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        Assert.Equal(cm, r.Confusion.ToRows().Select(row => row.Select(v => (long)v).ToArray()).ToArray());
    }

    [Fact]
    public void Segmentation_metrics_equal_the_reference()
    {
        var data = ValDatasets.ReadSegmentation(ValFixtures.Path_("seg"));
        var run = ValRunner.Segment(ValFixtures.Model("shapes_seg"), data, new PreprocessOptions { Width = 256, Height = 256, Mode = ResizeMode.Stretch }, OneThread);
        using var expected = ValFixtures.Json("expected", "seg_metrics.json");
        var m = expected.RootElement;
        var r = run.Segmentation!;
        Assert.Equal(30, r.Images);
        Assert.True(Math.Abs(m.GetProperty("mIoU").GetDouble() - r.Dataset.MIoU) <= 1e-12, $"mIoU {r.Dataset.MIoU} vs {m.GetProperty("mIoU")}");
        Assert.True(Math.Abs(m.GetProperty("mDice").GetDouble() - r.Dataset.Dice) <= 1e-12);
        Assert.True(Math.Abs(m.GetProperty("aAcc").GetDouble() - r.Dataset.PixelAccuracy) <= 1e-12);
        for (var c = 0; c < 6; c++)
        {
            var e = m.GetProperty("per_class").GetProperty(run.Names[c]);
            Assert.Equal(e.GetProperty("intersect").GetInt64(), r.PerClass[c].Intersection);
            Assert.Equal(e.GetProperty("union").GetInt64(), r.PerClass[c].Union);
            Assert.True(Math.Abs(e.GetProperty("IoU").GetDouble() - r.PerClass[c].Iou) <= 1e-12, $"class {c}: {r.PerClass[c].Iou} vs {e.GetProperty("IoU")}");
        }
    }
}

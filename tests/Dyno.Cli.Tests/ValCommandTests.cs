using System.Text.Json;

namespace Dyno.Cli.Tests;

/// <summary><c>dyno val</c> end to end, on the shapes val fixtures (tests/fixtures/val).</summary>
public sealed class ValCommandTests
{
    private static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "fixtures", "val");
            if (Directory.Exists(p)) return p;
        }
        throw new DirectoryNotFoundException("tests/fixtures/val");
    }

    private static string F(params string[] parts) => Path.Combine([Root(), .. parts]);

    private static JsonElement Expected(string file) => JsonDocument.Parse(File.ReadAllBytes(F("expected", file))).RootElement;

    [Fact]
    public void Detection_json_contract_and_rescoring_the_saved_predictions_gives_the_same_stats()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-val-");
        try
        {
            var pred = Path.Combine(dir.FullName, "pred.json");
            var (code, stdout, stderr) = DynoProcess.Run("val", F("models", "shapes_det_s_v5.onnx"), "--data", F("det", "instances_val.json"),
                "--images", F("det", "images"), "--threads", "1", "--save-predictions", pred, "--format", "json");
            Assert.True(code == 0, stderr);
            var doc = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal("val", doc.GetProperty("kind").GetString());
            Assert.Equal(1, doc.GetProperty("schema").GetInt32());
            Assert.Equal("detection", doc.GetProperty("task").GetString());
            Assert.Equal("yolov5", doc.GetProperty("decode").GetProperty("layout").GetString());
            Assert.Equal(pred, doc.GetProperty("predictions").GetString());
            var model = doc.GetProperty("model");
            Assert.Equal(330_523, model.GetProperty("params").GetInt64());
            Assert.Equal(225_082_400, model.GetProperty("dense_macs").GetInt64());
            var speed = doc.GetProperty("speed");
            foreach (var k in new[] { "preprocess_ms", "inference_ms", "postprocess_ms", "images_per_s" }) Assert.True(speed.GetProperty(k).GetDouble() > 0, k);
            Assert.True(speed.GetProperty("peak_rss_bytes").GetInt64() > 10_000_000);
            var expected = Expected("det_shapes_det_s_v5_stats.json").GetProperty("stats");
            foreach (var p in expected.EnumerateObject()) Assert.Equal(p.Value.GetDouble(), doc.GetProperty("stats").GetProperty(p.Name).GetDouble());

            var (code2, stdout2, stderr2) = DynoProcess.Run("eval", "det", "--gt", F("det", "instances_val.json"), "--dt", pred, "--format", "json");
            Assert.True(code2 == 0, stderr2);
            var again = JsonDocument.Parse(stdout2).RootElement.GetProperty("stats");
            foreach (var p in doc.GetProperty("stats").EnumerateObject()) Assert.Equal(p.Value.GetDouble(), again.GetProperty(p.Name).GetDouble());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Classification_and_segmentation_from_their_folders_with_task_inferred()
    {
        var (code, stdout, stderr) = DynoProcess.Run("val", F("models", "shapes_cls.onnx"), "--data", F("cls"), "--threads", "1", "--top-k", "2", "--format", "json");
        Assert.True(code == 0, stderr);
        var cls = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("classification", cls.GetProperty("task").GetString());
        Assert.Equal(Expected("cls_metrics.json").GetProperty("top1").GetDouble(), cls.GetProperty("metrics").GetProperty("top1").GetDouble());
        Assert.Equal(Expected("cls_metrics.json").GetProperty("top2").GetDouble(), cls.GetProperty("metrics").GetProperty("top2").GetDouble());

        (code, stdout, stderr) = DynoProcess.Run("val", F("models", "shapes_seg.onnx"), "--data", F("seg"), "--threads", "1", "--format", "json");
        Assert.True(code == 0, stderr);
        var seg = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("segmentation", seg.GetProperty("task").GetString());
        Assert.True(Math.Abs(Expected("seg_metrics.json").GetProperty("mIoU").GetDouble() - seg.GetProperty("metrics").GetProperty("miou").GetDouble()) <= 1e-12);
    }

    [Fact]
    public void Bad_inputs_are_one_line_errors_with_exit_2()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-val-bad-");
        try
        {
            // a corrupt image names the file; --lenient skips and counts it
            var images = Directory.CreateDirectory(Path.Combine(dir.FullName, "images"));
            foreach (var f in Directory.GetFiles(F("det", "images")).Order().Take(3)) File.Copy(f, Path.Combine(images.FullName, Path.GetFileName(f)));
            File.WriteAllBytes(Path.Combine(images.FullName, "shapes_000002.jpg"), [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]);
            var labels = Directory.CreateDirectory(Path.Combine(dir.FullName, "labels"));
            foreach (var f in Directory.GetFiles(F("det", "labels")).Order().Take(3)) File.Copy(f, Path.Combine(labels.FullName, Path.GetFileName(f)));
            var yaml = Path.Combine(dir.FullName, "data.yaml");
            File.WriteAllText(yaml, "path: .\nval: images\nnames: [circle, square, triangle, cross, ring]\n");
            var (code, _, stderr) = DynoProcess.Run("val", F("models", "shapes_det_n_v8.onnx"), "--data", yaml, "--threads", "1");
            Assert.Equal(2, code);
            Assert.Contains("shapes_000002.jpg", stderr);
            Assert.Single(stderr.Trim().Split('\n'));
            var (code2, stdout2, stderr2) = DynoProcess.Run("val", F("models", "shapes_det_n_v8.onnx"), "--data", yaml, "--threads", "1", "--lenient", "--format", "json");
            Assert.True(code2 == 0, stderr2);
            Assert.Equal(2, JsonDocument.Parse(stdout2).RootElement.GetProperty("images").GetInt32());
            Assert.Equal(1, JsonDocument.Parse(stdout2).RootElement.GetProperty("skipped_images").GetInt32());

            // class count differs between model and data
            File.WriteAllText(yaml, "path: .\nval: images\nnames: [circle, square, triangle]\n");
            (code, _, stderr) = DynoProcess.Run("val", F("models", "shapes_det_n_v8.onnx"), "--data", yaml);
            Assert.Equal(2, code);
            Assert.Contains("5 classes", stderr);
            Assert.Contains("has 3", stderr);

            // outputs that match no decoder list the outputs and the decoders tried
            File.WriteAllText(yaml, "path: .\nval: images\nnames: [circle, square, triangle, cross, ring]\n");
            (code, _, stderr) = DynoProcess.Run("val", F("models", "shapes_cls.onnx"), "--data", yaml, "--task", "det");
            Assert.Equal(2, code);
            Assert.Contains("logits [1, 5]", stderr);
            Assert.Contains("yolov8", stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

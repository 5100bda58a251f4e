using System.Text.Json;

namespace Dyno.Cli.Tests.Commands;

/// <summary>Runs the real <c>dyno</c> (out of process, so stdout is exactly what a user sees).</summary>
public class EvalDetCommandTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "coco", name);

    private static (int Code, string Stdout, string Stderr) Dyno(params string[] args) => DynoProcess.Run(args);

    [Fact]
    public void Json_contract_matches_pycocotools()
    {
        var (code, stdout, _) = Dyno("eval", "det", "--gt", Fixture("tiny_gt.json"), "--dt", Fixture("tiny_dt.json"), "--format", "json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var stats = doc.RootElement.GetProperty("stats");
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Fixture("expected_tiny.json")));
        string[] names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];
        Assert.Equal(names, stats.EnumerateObject().Select(p => p.Name));
        foreach (var n in names)
            Assert.Equal(expected.RootElement.GetProperty("stats").GetProperty(n).GetDouble(), stats.GetProperty(n).GetDouble());
        Assert.Equal(8, doc.RootElement.GetProperty("per_category").GetArrayLength());
        var protocol = doc.RootElement.GetProperty("protocol");
        Assert.Equal("bbox", protocol.GetProperty("iou_type").GetString());
        Assert.True(protocol.GetProperty("coco_default").GetBoolean());
    }

    [Fact]
    public void Bad_input_is_one_line_and_exit_2()
    {
        var (code, stdout, stderr) = Dyno("eval", "det", "--gt", Fixture("tiny_gt.json"), "--dt", Fixture("nope.json"), "--format", "json");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("dyno: error: ", stderr);
        Assert.Contains("nope.json", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));

        var bad = Path.Combine(Path.GetTempPath(), $"dyno-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(bad, "[{\"image_id\": 316716, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"score\": 0.5},\n {\"image_id\": 316716,,}]");
        try
        {
            (code, _, stderr) = Dyno("eval", "det", "--gt", Fixture("tiny_gt.json"), "--dt", bad);
            Assert.Equal(2, code);
            Assert.Contains("malformed JSON at line 2, byte", stderr);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Theory]
    [InlineData("ab c", "byte 0x20 at offset 2")]
    [InlineData("PPPP1", "decodes past the 640x480 mask (307200 pixels) at run 0")]
    [InlineData("0oooooooo", "longer than 7 characters")]
    public void Compressed_rle_outside_the_mask_is_one_line_naming_the_detection(string counts, string message)
    {
        var bad = Path.Combine(Path.GetTempPath(), $"dyno-badrle-{Guid.NewGuid():N}.json");
        File.WriteAllText(bad, "[{\"image_id\": 316716, \"category_id\": 1, \"score\": 0.5, " +
                               $"\"segmentation\": {{\"size\": [640, 480], \"counts\": \"{counts}\"}}}}]");
        try
        {
            var (code, stdout, stderr) = Dyno("eval", "det", "--gt", Fixture("tiny_gt.json"), "--dt", bad, "--iou-type", "segm", "--format", "json");
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.StartsWith("dyno: error: ", stderr);
            Assert.Contains(Path.GetFileName(bad), stderr);
            Assert.Contains("image_id 316716", stderr);
            Assert.Contains(message, stderr);
            Assert.Single(stderr.TrimEnd().Split('\n'));
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Fact]
    public void Lvis_protocol_prints_lvis_api_keys_and_values()
    {
        var lvis = Path.Combine(AppContext.BaseDirectory, "fixtures", "coco", "lvis");
        var (code, stdout, _) = Dyno("eval", "det", "--gt", Path.Combine(lvis, "lvis_gt.json"), "--dt", Path.Combine(lvis, "lvis_dt_bbox.json"), "--protocol", "lvis", "--format", "json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(lvis, "expected_lvis.json")));
        var want = expected.RootElement.GetProperty("bbox");
        var stats = doc.RootElement.GetProperty("stats");
        Assert.Equal(want.EnumerateObject().Select(p => p.Name), stats.EnumerateObject().Select(p => p.Name));
        foreach (var p in want.EnumerateObject()) Assert.Equal(p.Value.GetDouble(), stats.GetProperty(p.Name).GetDouble());
        Assert.Equal("lvis", doc.RootElement.GetProperty("protocol").GetProperty("name").GetString());

        var (tcode, table, _) = Dyno("eval", "det", "--gt", Path.Combine(lvis, "lvis_gt.json"), "--dt", Path.Combine(lvis, "lvis_dt_bbox.json"), "--protocol", "lvis", "--quiet");
        Assert.Equal(0, tcode);
        Assert.Contains("LVIS bbox summary", table);
        Assert.Contains("APr", table);
    }

    [Fact]
    public void Lvis_protocol_on_a_coco_file_is_one_line_naming_it()
    {
        var (code, stdout, stderr) = Dyno("eval", "det", "--gt", Fixture("tiny_gt.json"), "--dt", Fixture("tiny_dt.json"), "--protocol", "lvis", "--format", "json");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("dyno: error: ", stderr);
        Assert.Contains("tiny_gt.json: images (id ", stderr);
        Assert.Contains("no 'neg_category_ids'", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));

        (code, _, stderr) = Dyno("eval", "det", "--gt", Fixture("tiny_gt.json"), "--dt", Fixture("tiny_dt.json"), "--protocol", "lvis", "--max-dets", "100");
        Assert.Equal(2, code);
        Assert.Contains("--max-dets cannot be combined with --protocol lvis", stderr);
    }

    private static string CrowdPose(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "coco", "crowdpose", name);

    [Theory]
    [InlineData("crowdpose", "crowdpose_sigmas")]
    [InlineData("FILE", "custom_sigmas")]
    [InlineData("JSON", "custom_sigmas")]
    public void Kpt_sigmas_preset_file_or_json_list_equal_pycocotools(string spec, string name)
    {
        var json = Path.Combine(Path.GetTempPath(), $"dyno-sigmas-{Guid.NewGuid():N}.json");
        var values = File.ReadAllLines(CrowdPose("sigmas_custom.txt")).Where(l => l.Length > 0 && l[0] != '#');
        File.WriteAllText(json, "[" + string.Join(", ", values) + "]");
        try
        {
            var arg = spec switch { "FILE" => CrowdPose("sigmas_custom.txt"), "JSON" => json, _ => spec };
            var (code, stdout, _) = Dyno("eval", "det", "--gt", CrowdPose("synth14_gt.json"), "--dt", CrowdPose("synth14_dt.json"), "--iou-type", "keypoints", "--kpt-sigmas", arg, "--format", "json");
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(stdout);
            using var expected = JsonDocument.Parse(File.ReadAllBytes(CrowdPose("expected_synth14.json")));
            foreach (var p in expected.RootElement.GetProperty(name).GetProperty("stats").EnumerateObject())
                Assert.Equal(p.Value.GetDouble(), doc.RootElement.GetProperty("stats").GetProperty(p.Name).GetDouble());
            Assert.Equal(14, doc.RootElement.GetProperty("protocol").GetProperty("keypoint_sigmas").GetArrayLength());
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public void Crowdpose_protocol_prints_faster_coco_eval_keys()
    {
        var (code, stdout, _) = Dyno("eval", "det", "--gt", CrowdPose("example_crowdpose_val.json"), "--dt", CrowdPose("example_crowdpose_preds.json"), "--iou-type", "keypoints", "--protocol", "crowdpose", "--format", "json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        using var expected = JsonDocument.Parse(File.ReadAllBytes(CrowdPose("expected.json")));
        var want = expected.RootElement.GetProperty("faster_coco_eval_crowdpose").GetProperty("stats");
        var stats = doc.RootElement.GetProperty("stats");
        Assert.Equal(want.EnumerateObject().Select(p => p.Name), stats.EnumerateObject().Select(p => p.Name));
        foreach (var p in want.EnumerateObject()) Assert.Equal(p.Value.GetDouble(), stats.GetProperty(p.Name).GetDouble());
    }

    [Fact]
    public void Keypoint_errors_are_one_line_exit_2()
    {
        // 14 keypoints with COCO's 17 sigmas
        var (code, stdout, stderr) = Dyno("eval", "det", "--gt", CrowdPose("synth14_gt.json"), "--dt", CrowdPose("synth14_dt.json"), "--iou-type", "keypoints", "--format", "json");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("dyno: error: ", stderr);
        Assert.Contains("synth14_gt.json: annotation id 1: 14 keypoints", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));

        var bad = Path.Combine(Path.GetTempPath(), $"dyno-sigmas-{Guid.NewGuid():N}.txt");
        File.WriteAllText(bad, "0.05\n\nabc\n");
        try
        {
            (code, _, stderr) = Dyno("eval", "det", "--gt", CrowdPose("synth14_gt.json"), "--dt", CrowdPose("synth14_dt.json"), "--iou-type", "keypoints", "--kpt-sigmas", bad);
            Assert.Equal(2, code);
            Assert.Contains(bad + ": line 3: 'abc' is not a positive number", stderr);
        }
        finally
        {
            File.Delete(bad);
        }
        (code, _, stderr) = Dyno("eval", "det", "--gt", CrowdPose("synth14_gt.json"), "--dt", CrowdPose("synth14_dt.json"), "--kpt-sigmas", "crowdpose");
        Assert.Equal(2, code);
        Assert.Contains("--kpt-sigmas needs --iou-type keypoints", stderr);
    }

    [Fact]
    public void Boundary_iou_type_and_dilation_ratio()
    {
        using var expected = JsonDocument.Parse(File.ReadAllBytes(Fixture("boundary/expected_boundary.json")));
        var want = expected.RootElement.GetProperty("cases").GetProperty("tiny").GetProperty("stats");
        var (code, stdout, _) = Dyno("eval", "det", "--gt", Fixture("tiny_gt.json"), "--dt", Fixture("tiny_dt.json"), "--iou-type", "boundary", "--format", "json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        foreach (var p in want.EnumerateObject()) Assert.Equal(p.Value.GetDouble(), doc.RootElement.GetProperty("stats").GetProperty(p.Name).GetDouble());
        Assert.Equal("boundary", doc.RootElement.GetProperty("protocol").GetProperty("iou_type").GetString());
        Assert.Equal(0.02, doc.RootElement.GetProperty("protocol").GetProperty("boundary_dilation_ratio").GetDouble());

        string stderr;
        (code, _, stderr) = Dyno("eval", "det", "--gt", Fixture("tiny_gt.json"), "--dt", Fixture("tiny_dt.json"), "--dilation-ratio", "0.01");
        Assert.Equal(2, code);
        Assert.Contains("--dilation-ratio needs --iou-type boundary", stderr);
    }

    [Fact]
    public void String_image_ids_are_evaluated_and_mixed_ids_are_one_line_errors()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"dyno-strid-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var gt = Path.Combine(dir, "gt.json");
            var dt = Path.Combine(dir, "dt.json");
            File.WriteAllText(gt, "{\"images\":[{\"id\":\"frame_b\",\"width\":20,\"height\":20},{\"id\":\"frame_a\",\"width\":20,\"height\":20}],"
                + "\"annotations\":[{\"id\":1,\"image_id\":\"frame_a\",\"category_id\":1,\"bbox\":[0,0,4,4],\"area\":16}],\"categories\":[{\"id\":1,\"name\":\"c\"}]}");
            File.WriteAllText(dt, "[{\"image_id\":\"frame_a\",\"category_id\":1,\"bbox\":[0,0,4,4],\"score\":0.9}]");
            var (code, stdout, _) = Dyno("eval", "det", "--gt", gt, "--dt", dt, "--format", "json");
            Assert.Equal(0, code);
            using (var doc = JsonDocument.Parse(stdout)) Assert.True(Math.Abs(doc.RootElement.GetProperty("stats").GetProperty("AP").GetDouble() - 1) < 1e-12);

            File.WriteAllText(gt, "{\"images\":[{\"id\":\"frame_b\",\"width\":20,\"height\":20},{\"id\":3,\"width\":20,\"height\":20}],\"annotations\":[],\"categories\":[]}");
            string stderr;
            (code, stdout, stderr) = Dyno("eval", "det", "--gt", gt, "--dt", dt, "--format", "json");
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.StartsWith("dyno: error: " + gt + ": images: image ids mix strings", stderr);
            Assert.Single(stderr.TrimEnd().Split('\n'));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

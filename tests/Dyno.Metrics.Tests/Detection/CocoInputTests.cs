using System.Globalization;
using System.Text;
using Dyno.Metrics.Detection;

namespace Dyno.Metrics.Tests.Detection;

public class CocoInputTests
{
    private static CocoGroundTruth TinyGt() => CocoGroundTruth.Load(CocoEvaluatorTests.Fixture("tiny_gt.json"));

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static InvalidDataException ParseFails(string dtJson, CocoGroundTruth? gt = null) =>
        Assert.Throws<InvalidDataException>(() => CocoDetections.Parse(Utf8(dtJson), "dt.json", gt ?? TinyGt()));

    [Fact]
    public void Malformed_json_names_line_and_byte()
    {
        var e = ParseFails("[\n{\"image_id\": 316716, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": 0.5},\n{\"image_id\": 316716 \"category_id\": 1}]");
        Assert.Contains("dt.json: malformed JSON at line 3, byte", e.Message);
    }

    [Fact]
    public void Nan_literal_is_called_what_it_is()
    {
        var e = ParseFails("[{\"image_id\": 316716, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": NaN}]");
        Assert.Contains("line 1", e.Message);
        Assert.Contains("NaN", e.Message);
    }

    [Fact]
    public void Unknown_image_is_an_error_naming_the_record()
    {
        var e = ParseFails("[{\"image_id\": 316716, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": 0.5}, {\"image_id\": 7, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": 0.5}]");
        Assert.Contains("[1] (image_id 7, category_id 1)", e.Message);
        Assert.Contains("not in the ground truth", e.Message);
    }

    [Theory]
    [InlineData("\"category_id\": 999, \"bbox\": [1,2,3,4], \"score\": 0.5", "category_id 999")]
    [InlineData("\"category_id\": 1, \"bbox\": [1,2,-3,4], \"score\": 0.5", "negative box size")]
    [InlineData("\"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": null", "score is not a finite number")]
    [InlineData("\"category_id\": 1, \"bbox\": [1,2,3], \"score\": 0.5", "not [x, y, width, height]")]
    [InlineData("\"category_id\": 1, \"bbox\": [1,2,3,4]", "no 'score'")]
    public void Bad_records_are_errors(string fields, string expected)
    {
        var e = ParseFails("[{\"image_id\": 316716, " + fields + "}]");
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("dt.json: [0]", e.Message);
    }

    [Fact]
    public void Lenient_skips_and_counts_by_reason()
    {
        var json = "[{\"image_id\": 316716, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": 0.5}," +
                   "{\"image_id\": 5, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": 0.5}," +
                   "{\"image_id\": 316716, \"category_id\": 999, \"bbox\": [1,2,3,4], \"score\": 0.5}," +
                   "{\"image_id\": 316716, \"category_id\": 1, \"bbox\": [1,2,-3,4], \"score\": 0.5}," +
                   "{\"image_id\": 316716, \"category_id\": 1, \"bbox\": [1,2,3,4], \"score\": null}]";
        var d = CocoDetections.Parse(Utf8(json), "dt.json", TinyGt(), policy: BadRecordPolicy.Skip);
        Assert.Equal(1, d.Count);
        Assert.Equal(1, d.Skipped["unknown image_id"]);
        Assert.Equal(1, d.Skipped["unknown category_id"]);
        Assert.Equal(1, d.Skipped["negative box width or height"]);
        Assert.Equal(1, d.Skipped["score is not a finite number"]);
    }

    [Fact]
    public void Ground_truth_errors_name_the_annotation()
    {
        var e = Assert.Throws<InvalidDataException>(() => CocoGroundTruth.Parse(Utf8(
            "{\"images\":[{\"id\":1,\"width\":10,\"height\":10}],\"categories\":[{\"id\":1,\"name\":\"a\"}]," +
            "\"annotations\":[{\"id\":5,\"image_id\":2,\"category_id\":1,\"bbox\":[0,0,1,1],\"area\":1,\"iscrowd\":0}]}"), "gt.json"));
        Assert.Equal("gt.json: annotations[0] (id 5): image_id 2 is not in 'images'", e.Message);
        e = Assert.Throws<InvalidDataException>(() => CocoGroundTruth.Parse(Utf8(
            "{\"images\":[{\"id\":1}],\"categories\":[{\"id\":1}],\"annotations\":[{\"id\":5,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,-1,1],\"area\":1}]}"), "gt.json"));
        Assert.Contains("negative box size", e.Message);
    }

    [Fact]
    public void Empty_results_give_zero_not_minus_one()
    {
        var gt = TinyGt();
        var r = CocoEvaluator.Evaluate(gt, CocoDetections.Parse(Utf8("[]"), "dt.json", gt));
        Assert.Equal(0.0, r.Stats["AP"]);
        Assert.Equal(0.0, r.Stats["AR100"]);
    }

    [Theory]
    [InlineData("x}, {\\\"image_id\\\": 1}, {y", true)]
    [InlineData("}, {", false)] // a split candidate inside a string passes the local check: the reader's verification must catch it
    public void Parallel_chunked_parse_equals_sequential_parse(string noteText, bool expectChunks)
    {
        // > 4 MiB so the parser splits it; odd spacing and a string field holding "}, {" to tempt the splitter
        var gt = TinyGt();
        var images = gt.Images.Select(i => i.Id).ToArray();
        var cats = gt.Categories.Select(c => c.Id).ToArray();
        var rng = new Random(7);
        var sb = new StringBuilder("[\n");
        for (var i = 0; i < 60000; i++)
        {
            if (i > 0) sb.Append(i % 3 == 0 ? ",\n  " : ",");
            var note = i % 5 == 0 ? ", \"note\": \"" + noteText + "\"" : "";
            sb.Append(CultureInfo.InvariantCulture, $"{{\"image_id\": {images[rng.Next(images.Length)]}, \"category_id\": {cats[rng.Next(cats.Length)]}{note}, ");
            sb.Append(CultureInfo.InvariantCulture, $"\"bbox\": [{rng.NextDouble() * 300:R}, {rng.NextDouble() * 300:R}, {rng.Next(1, 200)}.5, {rng.NextDouble() * 100:R}], \"score\": {rng.NextDouble():R}}}");
        }
        sb.Append("\n]\n");
        var bytes = Utf8(sb.ToString());
        Assert.True(bytes.Length > 4 << 20);
        var chunks = CocoDetections.ParseRaw(bytes, "dt.json", CocoIouType.Bbox);
        if (expectChunks) Assert.True(chunks.Length > 1);
        var parallel = CocoDetections.Parse(bytes, "dt.json", gt);
        var single = CocoDetections.Parse(bytes[..], "dt.json", gt);
        Assert.Equal(60000, parallel.Count);
        var seq = CocoDetections.ParseRaw(Encoding.UTF8.GetBytes(" " + sb), "dt.json", CocoIouType.Bbox);
        Assert.Equal(60000, seq.Sum(c => c.Count));
        Assert.Equal(single.Score, parallel.Score);
        Assert.Equal(single.X, parallel.X);
        Assert.Equal(single.Img, parallel.Img);
        // the number parser agrees with the runtime's correctly rounded one
        var flat = chunks.SelectMany(c => c.Score).ToArray();
        Assert.Equal(parallel.Score, flat);
    }

    [Theory]
    [InlineData("0.46750298142433167")]
    [InlineData("32.49")]
    [InlineData("-0.0")]
    [InlineData("1e-7")]
    [InlineData("123456789012345678901234567890")]
    [InlineData("2.2250738585072014E-308")]
    [InlineData("0.1e23")]
    [InlineData("9007199254740993")]
    public void Fast_number_parse_is_correctly_rounded(string text) =>
        Assert.Equal(double.Parse(text, CultureInfo.InvariantCulture), FastNumber.Parse(Utf8(text)));
}

public class FastResultsParserTests
{
    [Theory]
    [InlineData("small_dt.json")]
    [InlineData("real/instances_val2014_fakebbox100_results.json")]
    public void Fast_path_equals_the_reader_on_real_files(string file)
    {
        var bytes = File.ReadAllBytes(CocoEvaluatorTests.Fixture(file));
        var fast = FastResultsParser.TryParse(bytes, isFinalBlock: true);
        Assert.NotNull(fast);
        var slow = CocoDetections.ParseChunk(bytes, file, CocoIouType.Bbox, isFinalBlock: true);
        Assert.Equal(slow.Img, fast.Img);
        Assert.Equal(slow.Cat, fast.Cat);
        Assert.Equal(slow.Score, fast.Score);
        Assert.Equal(slow.X, fast.X);
        Assert.Equal(slow.Y, fast.Y);
        Assert.Equal(slow.W, fast.W);
        Assert.Equal(slow.H, fast.H);
    }

    [Theory]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]", true)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5, \"extra\": [1, 2]}]", true)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5,}]", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 05}]", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": .5}]", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 1e999}]", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3], \"score\": 0.5}]", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": null}]", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}] x", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": 0.5 0.6}]", false)]
    [InlineData("[{\"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4], \"score\": -}]", false)]
    public void Fast_path_accepts_only_plain_valid_records(string json, bool accepted) =>
        Assert.Equal(accepted, FastResultsParser.TryParse(System.Text.Encoding.UTF8.GetBytes(json), isFinalBlock: true) is not null);
}

public class CocoSegmInputTests
{
    [Fact]
    public void A_broken_rle_string_is_reported_with_its_record()
    {
        var gt = CocoGroundTruth.Load(CocoEvaluatorTests.Fixture("tiny_gt.json"), CocoIouType.Segm);
        var e = Assert.Throws<InvalidDataException>(() => CocoDetections.Parse(System.Text.Encoding.UTF8.GetBytes(
            "[{\"image_id\": 316716, \"category_id\": 1, \"segmentation\": {\"size\": [640, 480], \"counts\": \"P\"}, \"score\": 0.5}]"), "dt.json", gt, CocoIouType.Segm));
        Assert.StartsWith("dt.json: [0] (image_id 316716, category_id 1): bad segmentation", e.Message);
    }
}

public class YoloFormatTests
{
    [Fact]
    public void Yolo_folders_evaluate_like_the_equivalent_coco_files()
    {
        var root = Path.Combine(Path.GetTempPath(), $"dyno-yolo-{Guid.NewGuid():N}");
        var labels = Directory.CreateDirectory(Path.Combine(root, "labels")).FullName;
        var preds = Directory.CreateDirectory(Path.Combine(root, "preds")).FullName;
        try
        {
            // 200x100 images; boxes chosen so normalised values are exact
            File.WriteAllText(Path.Combine(labels, "a.txt"), "0 0.25 0.5 0.25 0.5\n1 0.75 0.5 0.125 0.25\n");
            File.WriteAllText(Path.Combine(labels, "b.txt"), "0 0.5 0.5 0.5 0.5\n");
            File.WriteAllText(Path.Combine(preds, "a.txt"), "0 0.25 0.5 0.25 0.5 0.9\n1 0.5 0.5 0.125 0.25 0.8\n");
            File.WriteAllText(Path.Combine(preds, "b.txt"), "0 0.5 0.5 0.5 0.375 0.7\n");
            var (gt, dt) = YoloFormat.Load(labels, preds, _ => (200, 100), ["cat", "dog"]);
            Assert.Equal(["cat", "dog"], gt.Categories.Select(c => c.Name));
            var yolo = CocoEvaluator.Evaluate(gt, dt);

            var cocoGt = "{\"images\":[{\"id\":1,\"width\":200,\"height\":100},{\"id\":2,\"width\":200,\"height\":100}],\"categories\":[{\"id\":1,\"name\":\"cat\"},{\"id\":2,\"name\":\"dog\"}],\"annotations\":[" +
                         "{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[25,25,50,50],\"area\":2500,\"iscrowd\":0}," +
                         "{\"id\":2,\"image_id\":1,\"category_id\":2,\"bbox\":[137.5,37.5,25,25],\"area\":625,\"iscrowd\":0}," +
                         "{\"id\":3,\"image_id\":2,\"category_id\":1,\"bbox\":[50,25,100,50],\"area\":5000,\"iscrowd\":0}]}";
            var g2 = CocoGroundTruth.Parse(System.Text.Encoding.UTF8.GetBytes(cocoGt), "gt");
            var d2 = CocoDetections.Parse(System.Text.Encoding.UTF8.GetBytes(
                "[{\"image_id\":1,\"category_id\":1,\"bbox\":[25,25,50,50],\"score\":0.9},{\"image_id\":1,\"category_id\":2,\"bbox\":[87.5,37.5,25,25],\"score\":0.8}," +
                "{\"image_id\":2,\"category_id\":1,\"bbox\":[50,31.25,100,37.5],\"score\":0.7}]"), "dt", g2);
            Assert.Equal(CocoEvaluator.Evaluate(g2, d2).Stats, yolo.Stats);

            File.WriteAllText(Path.Combine(preds, "zzz.txt"), "0 0.5 0.5 0.1 0.1 0.5\n");
            Assert.Throws<InvalidDataException>(() => YoloFormat.Load(labels, preds, _ => (200, 100)));
            // with the image list (as from --images), "zzz" is a background image: its detection is a false positive
            var (g3, d3) = YoloFormat.Load(labels, preds, _ => (200, 100), imageStems: ["a", "b", "zzz"]);
            Assert.Equal(3, g3.Images.Count);
            Assert.Equal(4, d3.Count);
            File.WriteAllText(Path.Combine(preds, "zzz.txt"), "");
            File.WriteAllText(Path.Combine(labels, "c.txt"), "0 0.5 0.5\n");
            var e = Assert.Throws<InvalidDataException>(() => YoloFormat.Load(labels, preds, _ => (200, 100)));
            Assert.Contains("c.txt: line 1: 3 fields", e.Message);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Image_sizes_come_from_headers()
    {
        var png = Path.Combine(Path.GetTempPath(), $"dyno-{Guid.NewGuid():N}.png");
        try
        {
            byte[] header = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 2, 128, 0, 0, 1, 224, 8, 2, 0, 0, 0];
            File.WriteAllBytes(png, header);
            Assert.Equal((640, 480), YoloFormat.ReadImageSize(png));
            // a minimal JPEG: SOI, an APP0 segment, then SOF0 with height 427 and width 640
            byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 17, 8, 0x01, 0xAB, 0x02, 0x80, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            File.WriteAllBytes(png, jpeg);
            Assert.Equal((640, 427), YoloFormat.ReadImageSize(png));
        }
        finally
        {
            File.Delete(png);
        }
    }
}

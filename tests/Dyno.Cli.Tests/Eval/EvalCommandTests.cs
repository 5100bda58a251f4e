using Dyno.Metrics.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dyno.Cli.Inputs;
using Dyno.Metrics.Classification;

namespace Dyno.Cli.Tests.Eval;

/// <summary>End-to-end <c>dyno eval cls</c> and <c>dyno eval seg</c> on the committed fixtures, through the real command line.</summary>
public sealed class EvalCommandTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");
    private readonly string _tmp = Directory.CreateTempSubdirectory("dyno-eval-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private JsonElement RunJson(params string[] args)
    {
        var outFile = Path.Combine(_tmp, $"out-{Guid.NewGuid():N}.json");
        var rc = Program.Main([.. args, "--format", "json", "--out", outFile, "--quiet"]);
        Assert.Equal(0, rc);
        return JsonDocument.Parse(File.ReadAllText(outFile)).RootElement;
    }

    private static void Near(double expected, double actual, string what, double rel = 1e-12) =>
        Assert.True(Math.Abs(expected - actual) <= rel * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    private static JsonElement Case(string name)
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "classification", "expected.json"))).RootElement;
        return root.GetProperty("classification").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
    }

    private string WriteCsv(JsonElement c, bool names)
    {
        var n = c.GetProperty("num_classes").GetInt32();
        var sb = new StringBuilder("label," + string.Join(',', Enumerable.Range(0, n).Select(i => $"score_{i}")) + "\r\n");
        var labels = c.GetProperty("y_true").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var scores = c.GetProperty("scores").EnumerateArray().ToArray();
        for (var i = 0; i < labels.Length; i++)
            sb.Append(names ? $"class{labels[i]}" : labels[i].ToString(CultureInfo.InvariantCulture)).Append(',')
              .AppendJoin(',', scores[i].EnumerateArray().Select(v => v.GetDouble().ToString("R", CultureInfo.InvariantCulture))).Append("\r\n");
        var path = Path.Combine(_tmp, c.GetProperty("name").GetString() + ".csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Theory]
    [InlineData("dirichlet_probabilities", false)]
    [InlineData("logits_10_classes", true)]
    [InlineData("class_absent_with_scores", false)]
    public void Cls_csv_matches_sklearn(string name, bool logits)
    {
        var c = Case(name);
        var e = c.GetProperty("expected");
        var csv = WriteCsv(c, names: false);
        var ks = c.GetProperty("top_k").EnumerateArray().Select(k => k.GetInt32().ToString(CultureInfo.InvariantCulture)).ToArray();
        string[] args = ["eval", "cls", csv, "--ece-bins", c.GetProperty("ece_bins").GetInt32().ToString(CultureInfo.InvariantCulture), "--top-k", .. ks];
        var j = RunJson(logits ? [.. args, "--logits"] : args);
        var m = j.GetProperty("metrics");
        Near(e.GetProperty("accuracy").GetDouble(), m.GetProperty("top1").GetDouble(), "top1");
        foreach (var k in ks) Near(e.GetProperty("top" + k).GetDouble(), m.GetProperty("top" + k).GetDouble(), "top" + k);
        foreach (var key in new[] { "precision_macro", "recall_macro", "f1_macro", "f1_micro", "f1_weighted", "balanced_accuracy",
                     "auc_ovr_macro", "auc_ovr_weighted", "ap_ovr_macro", "log_loss", "ece", "ece_equal_mass", "mce" })
            Near(e.GetProperty(key).GetDouble(), m.GetProperty(key).GetDouble(), key);
        var cm = e.GetProperty("confusion_matrix");
        var got = j.GetProperty("confusion_matrix").GetProperty("counts");
        Assert.Equal(cm.GetRawText().Replace(" ", "").Replace("\n", ""), got.GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        Assert.Equal(c.GetProperty("num_classes").GetInt32(), j.GetProperty("per_class").GetArrayLength());
    }

    [Fact]
    public void Cls_jsonl_with_class_names_equals_csv()
    {
        var c = Case("dirichlet_probabilities");
        var n = c.GetProperty("num_classes").GetInt32();
        var names = Path.Combine(_tmp, "names.txt");
        File.WriteAllLines(names, Enumerable.Range(0, n).Select(i => $"class{i}"));
        var jsonl = Path.Combine(_tmp, "d.jsonl");
        var labels = c.GetProperty("y_true").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var scores = c.GetProperty("scores").EnumerateArray().ToArray();
        File.WriteAllLines(jsonl, labels.Select((l, i) => $"{{\"id\": {i}, \"label\": \"class{l}\", \"scores\": {JsonSerializer.Serialize(scores[i].EnumerateArray().Select(v => v.GetDouble()))}}}"));
        var a = RunJson("eval", "cls", jsonl, "--classes", names).GetProperty("metrics").GetRawText();
        var b = RunJson("eval", "cls", WriteCsv(c, names: true), "--classes", names).GetProperty("metrics").GetRawText();
        Assert.Equal(a, b);
        Near(c.GetProperty("expected").GetProperty("f1_macro").GetDouble(), JsonDocument.Parse(a).RootElement.GetProperty("f1_macro").GetDouble(), "f1_macro");
    }

    [Fact]
    public void Cls_writes_the_reliability_chart_and_markdown_tables()
    {
        var csv = WriteCsv(Case("dirichlet_probabilities"), names: false);
        var svg = Path.Combine(_tmp, "rel.svg");
        var md = Path.Combine(_tmp, "out.md");
        Assert.Equal(0, Program.Main(["eval", "cls", csv, "--reliability-svg", svg, "--format", "md", "--out", md, "--quiet"]));
        var chart = File.ReadAllText(svg);
        Assert.StartsWith("<svg", chart);
        Assert.Contains("ECE", chart);
        var text = File.ReadAllText(md);
        Assert.Contains("| f1_macro |", text);
        Assert.Contains("### Reliability diagram", text);
    }

    [Fact]
    public void Cls_label_pred_csv_matches_sklearn_doc_example()
    {
        var csv = Path.Combine(_tmp, "lp.csv");
        File.WriteAllText(csv, "label,pred\n0,0\n1,2\n2,1\n0,0\n1,0\n2,1\n");
        var m = RunJson("eval", "cls", csv).GetProperty("metrics");
        Near(0.2222222222222222, m.GetProperty("precision_macro").GetDouble(), "precision_macro");
        Near(0.26666666666666666, m.GetProperty("f1_macro").GetDouble(), "f1_macro");
        Near(1.0 / 3, m.GetProperty("top1").GetDouble(), "top1");
    }

    [Fact]
    public void Cls_bad_rows_name_the_file_and_line_and_exit_2()
    {
        var csv = Path.Combine(_tmp, "bad.csv");
        File.WriteAllText(csv, "label,score_0,score_1\n0,0.9,0.1\n1,0.2,oops\n");
        var e = Assert.Throws<LineException>(() => ClassificationFile.Evaluate(csv, null, null, new ClassificationOptions()));
        Assert.Contains($"{csv}:3", e.Message);
        Assert.Contains("score_1", e.Message);
        Assert.Equal(2, Program.Main(["eval", "cls", csv, "--quiet", "--format", "json", "--out", Path.Combine(_tmp, "x.json")]));
        File.WriteAllText(csv, "label,score_0,score_1\n0,0.9,0.1\n5,0.2,0.8\n");
        Assert.Contains("outside the classes 0..1", Assert.Throws<LineException>(() => ClassificationFile.Evaluate(csv, null, null, new ClassificationOptions())).Message);
        File.WriteAllText(csv, "label,score_0,score_1\n0,0.9,0.1\n1,0.2\n");
        Assert.Contains("1 scores, expected 2", Assert.Throws<LineException>(() => ClassificationFile.Evaluate(csv, null, null, new ClassificationOptions())).Message);
    }

    [Fact]
    public void Large_files_span_several_read_blocks_with_bom_and_crlf()
    {
        // ~17.5 MB: more than one 16 MB block, so lines are split across block boundaries.
        var path = Path.Combine(_tmp, "big.csv");
        const int rows = 3_500_000;
        using (var w = new StreamWriter(path, false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true)))
        {
            w.Write("label,pred\r\n");
            for (var i = 0; i < rows; i++) w.Write($"{i % 7},{(i % 5 == 0 ? (i + 1) % 7 : i % 7)}\r\n");
        }
        Assert.True(new FileInfo(path).Length > 16 << 20);
        var r = ClassificationFile.Evaluate(path, null, null, new ClassificationOptions()).SingleLabel!;
        Assert.Equal(rows, r.Samples);
        Assert.Equal(0.8, r.Accuracy, 12);
        Assert.Equal(7, r.NumClasses);
    }

    [Fact]
    public void Cls_multilabel_jsonl()
    {
        var jsonl = Path.Combine(_tmp, "ml.jsonl");
        // scikit-learn's multilabel_edges case from expected.json.
        File.WriteAllLines(jsonl, [
            "{\"labels\": [0, 3], \"pred\": [0, 2]}", "{\"labels\": [3], \"pred\": [3]}", "{\"labels\": [], \"pred\": []}",
            "{\"labels\": [0, 1], \"pred\": [0]}", "{\"labels\": [1], \"pred\": []}"]);
        var m = RunJson("eval", "cls", jsonl, "--num-classes", "4").GetProperty("metrics");
        Near(0.4, m.GetProperty("subset_accuracy").GetDouble(), "subset_accuracy");
        Near(0.2, m.GetProperty("hamming_loss").GetDouble(), "hamming_loss");
        Near(0.6, m.GetProperty("f1_micro").GetDouble(), "f1_micro");
        Near(0.41666666666666663, m.GetProperty("f1_macro").GetDouble(), "f1_macro");
        Near(0.4333333333333333, m.GetProperty("f1_samples").GetDouble(), "f1_samples");
    }

    [Fact]
    public void Seg_folders_match_numpy_reference()
    {
        var dir = Path.Combine(Fixtures, "segmentation");
        var e = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected.json"))).RootElement;
        var j = RunJson("eval", "seg", "--gt", Path.Combine(dir, "gt"), "--pred", Path.Combine(dir, "pred"), "--num-classes", "4", "--per-image");
        Assert.Equal(e.GetProperty("pixels").GetInt64(), j.GetProperty("pixels").GetInt64());
        Assert.Equal(e.GetProperty("ignored_pixels").GetInt64(), j.GetProperty("ignored_pixels").GetInt64());
        foreach (var key in new[] { "miou", "dice", "pixel_accuracy", "mean_accuracy", "fwiou" })
            Near(e.GetProperty(key).GetDouble(), j.GetProperty("metrics").GetProperty(key).GetDouble(), key, 1e-15);
        Assert.Equal(e.GetProperty("confusion_matrix").GetRawText().Replace(" ", "").Replace("\n", ""),
            j.GetProperty("confusion_matrix").GetProperty("counts").GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        Assert.Equal(5, j.GetProperty("per_image").GetArrayLength());
        Assert.Equal("dataset", j.GetProperty("averaging").GetString());
    }

    [Fact]
    public void Seg_missing_prediction_and_bad_labels_exit_2()
    {
        var dir = Path.Combine(Fixtures, "segmentation");
        var pred = Path.Combine(_tmp, "pred");
        Directory.CreateDirectory(pred);
        File.Copy(Path.Combine(dir, "pred", "a_gray8.png"), Path.Combine(pred, "a_gray8.png"));
        Assert.Equal(2, Program.Main(["eval", "seg", "--gt", Path.Combine(dir, "gt"), "--pred", pred, "--num-classes", "4", "-q", "-f", "json", "-o", Path.Combine(_tmp, "x.json")]));
        // Labels 0..3 with only 3 classes: the ground truth holds a label that is not a class.
        Assert.Equal(2, Program.Main(["eval", "seg", "--gt", Path.Combine(dir, "gt"), "--pred", Path.Combine(dir, "pred"), "--num-classes", "3", "-q", "-f", "json", "-o", Path.Combine(_tmp, "x.json")]));
        Assert.False(File.Exists(Path.Combine(_tmp, "x.json")));
    }
}

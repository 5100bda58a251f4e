using System.Globalization;
using System.Text.Json;

namespace Dyno.Cli.Tests.Inputs;

/// <summary>
/// Ultralytics dataset YAMLs wherever dyno takes class names (<c>--names</c>, <c>--classes</c>), read with a YAML
/// parser: <c>names</c> as a list or an index map, <c>nc</c> checked, <c>path</c>/<c>val</c> resolved.
/// </summary>
public sealed class DataYamlTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("dyno-datayaml-");

    private static string Det(params string[] parts)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "fixtures", "val", "det");
            if (Directory.Exists(p)) return Path.Combine([p, .. parts]);
        }
        throw new DirectoryNotFoundException("tests/fixtures/val/det");
    }

    public void Dispose() => dir.Delete(recursive: true);

    private string Write(string name, string text)
    {
        var p = Path.Combine(dir.FullName, name);
        File.WriteAllText(p, text);
        return p;
    }

    /// <summary>YOLO predictions from the shapes labels: every third box dropped, a confidence falling with the line number.</summary>
    private string Predictions()
    {
        var preds = Directory.CreateDirectory(Path.Combine(dir.FullName, "preds"));
        foreach (var f in Directory.GetFiles(Det("labels"), "*.txt"))
        {
            var lines = File.ReadAllLines(f).Where(l => l.Trim().Length > 0).Select((l, i) => (l, i)).Where(x => x.i % 3 != 2)
                .Select(x => x.l.Trim() + " " + (0.95 - 0.01 * x.i).ToString("0.00", CultureInfo.InvariantCulture));
            File.WriteAllLines(Path.Combine(preds.FullName, Path.GetFileName(f)), lines);
        }
        return preds.FullName;
    }

    private static JsonElement Json(string stdout) => JsonDocument.Parse(stdout).RootElement;

    [Fact]
    public void Eval_det_yolo_takes_names_and_image_sizes_from_the_ultralytics_yaml()
    {
        var preds = Predictions();
        // The shapes fixture's own data.yaml (index-map names, nc, path, train, val, comments).
        var fromYaml = DynoProcess.Run("eval", "det", "--input-format", "yolo", "--gt", Det("labels"), "--dt", preds, "--names", Det("shapes.yaml"), "--format", "json");
        Assert.True(fromYaml.Code == 0, fromYaml.Stderr);
        var names = Write("names.txt", "circle\nsquare\ntriangle\ncross\nring\n");
        var fromText = DynoProcess.Run("eval", "det", "--input-format", "yolo", "--gt", Det("labels"), "--dt", preds, "--names", names, "--images", Det("images"), "--format", "json");
        Assert.True(fromText.Code == 0, fromText.Stderr);
        var a = Json(fromYaml.Stdout);
        var b = Json(fromText.Stdout);
        Assert.Equal(["circle", "square", "triangle", "cross", "ring"], a.GetProperty("per_category").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));
        foreach (var p in b.GetProperty("stats").EnumerateObject()) Assert.Equal(p.Value.GetDouble(), a.GetProperty("stats").GetProperty(p.Name).GetDouble());
        var ap = a.GetProperty("stats").GetProperty("AP").GetDouble();
        Assert.True(ap is > 0.3 and < 1, $"AP {ap}");

        // Ultralytics' own layout (as coco8.yaml): list names, a relative path, an empty test split, a download script.
        var listYaml = Write("data.yaml", $"""
            # Ultralytics YOLO, shapes dataset
            path: {Det()} # dataset root dir
            train: images # train images (relative to 'path')
            val: images # val images (relative to 'path')
            test: # test images (optional)

            nc: 5
            names: ['circle', 'square', 'triangle', 'cross', 'ring']

            download: |
              from ultralytics.utils.downloads import download
              download(['https://example.invalid/shapes.zip'])
            """);
        var fromList = DynoProcess.Run("eval", "det", "--input-format", "yolo", "--gt", Det("labels"), "--dt", preds, "--names", listYaml, "--format", "json");
        Assert.True(fromList.Code == 0, fromList.Stderr);
        Assert.Equal(ap, Json(fromList.Stdout).GetProperty("stats").GetProperty("AP").GetDouble());
    }

    [Fact]
    public void A_yaml_that_disagrees_with_itself_is_one_line_naming_the_file()
    {
        var preds = Predictions();
        var badNc = Write("bad_nc.yaml", "path: .\nval: images\nnc: 80\nnames:\n  0: circle\n  1: square\n");
        var r = DynoProcess.Run("eval", "det", "--input-format", "yolo", "--gt", Det("labels"), "--dt", preds, "--names", badNc, "--images", Det("images"));
        Assert.Equal(2, r.Code);
        Assert.Equal($"dyno: error: {badNc}: 'nc' is 80 but 'names' lists 2 classes", r.Stderr.Trim());

        var gap = Write("gap.yaml", "names:\n  0: circle\n  2: triangle\n");
        r = DynoProcess.Run("eval", "det", "--input-format", "yolo", "--gt", Det("labels"), "--dt", preds, "--names", gap, "--images", Det("images"));
        Assert.Equal(2, r.Code);
        Assert.Contains("names indices must be 0..1", r.Stderr, StringComparison.Ordinal);
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));

        // Too few names for the labels: the YAML's lines are no longer mistaken for class names.
        var few = Write("few.yaml", "path: .\ntrain: images\nval: images\nnames: [circle, square]\n");
        r = DynoProcess.Run("eval", "det", "--input-format", "yolo", "--gt", Det("labels"), "--dt", preds, "--names", few, "--images", Det("images"));
        Assert.Equal(2, r.Code);
        Assert.StartsWith("dyno: error: ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_cls_classes_read_from_a_data_yaml()
    {
        var csv = Write("preds.csv", "label,pred\ncat,cat\ndog,dog\ncat,dog\nbird,bird\nbird,cat\n");
        var yaml = Write("cls.yaml", "path: ../datasets/pets\ntrain: train\nval: val\nnames:\n  0: cat\n  1: dog\n  2: bird\n");
        var text = Write("classes.txt", "cat\ndog\nbird\n");
        var y = DynoProcess.Run("eval", "cls", csv, "--classes", yaml, "--format", "json");
        var t = DynoProcess.Run("eval", "cls", csv, "--classes", text, "--format", "json");
        Assert.True(y.Code == 0, y.Stderr);
        Assert.True(t.Code == 0, t.Stderr);
        Assert.Equal(t.Stdout, y.Stdout);
        Assert.Contains("\"bird\"", y.Stdout, StringComparison.Ordinal);
    }
}

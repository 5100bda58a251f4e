using System.Text.Json;
using Dyno.Cli.Commands;
using Dyno.Cli.Infrastructure;
using Dyno.Reports;
using Dyno.Results;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Models;

namespace Dyno.Cli.Tests;

/// <summary>
/// Console tables at 80, 100 and 120 columns (issue 16): no line wider than the terminal, and no number or name split
/// across lines — every cell of every shown row appears whole on one line (or cut with an ellipsis, said in a note).
/// </summary>
public sealed class TableFitTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");
    private static readonly int[] Widths = [80, 100, 120];

    private static void AssertFits(string output, int width, string what)
    {
        foreach (var line in output.Split('\n'))
            Assert.True(line.TrimEnd('\r').Length <= width, $"{what} at {width}: line of {line.Length} columns: {line}");
    }

    /// <summary>The table lines of a rendered table: each data row is one line, and each expected cell is whole in it.</summary>
    private static void AssertCellsWhole(string output, IEnumerable<string> cells, string what)
    {
        var lines = output.Split('\n');
        foreach (var cell in cells)
            Assert.True(lines.Any(l => l.Contains(cell, StringComparison.Ordinal)), $"{what}: '{cell}' is not whole on any line:\n{output}");
    }

    private static string RunAt(int width, params string[] args)
    {
        var (code, stdout, stderr) = DynoProcess.RunWithEnvironment(new Dictionary<string, string> { ["COLUMNS"] = width.ToString(System.Globalization.CultureInfo.InvariantCulture) }, args);
        Assert.True(code == 0, stderr);
        return stdout;
    }

    [Fact]
    public void Profile_fits_and_the_model_path_is_not_right_aligned_across_the_screen()
    {
        foreach (var w in Widths)
        {
            var text = RunAt(w, "profile", Path.Combine(Fixtures, "models", "squeezenet1_1_op13.onnx"));
            AssertFits(text, w, "profile");
            // numbers of the per-layer table are never cut: the FLOPs of the first Conv appear whole
            AssertCellsWhole(text, ["FLOPs", "% FLOPs", "43,369,920", "788,544"], $"profile at {w}");
            var modelLine = text.Split('\n').First(l => l.Contains("│ model ", StringComparison.Ordinal));
            var value = modelLine.Split('│')[2];
            Assert.False(value.StartsWith("  ", StringComparison.Ordinal), $"model path right-aligned: {modelLine}");
        }
    }

    [Fact]
    public void Eval_det_fits_and_drops_area_columns_before_cutting_names()
    {
        foreach (var w in Widths)
        {
            var text = RunAt(w, "eval", "det", "--gt", Path.Combine(Fixtures, "coco", "tiny_gt.json"), "--dt", Path.Combine(Fixtures, "coco", "tiny_dt.json"), "--confusion");
            AssertFits(text, w, "eval det");
            AssertCellsWhole(text, ["0.6076142905499341", "surfboard", "potted plant", "person"], $"eval det at {w}");
            if (w == 80) Assert.Contains("left out", text);
        }
    }

    [Fact]
    public void Eval_mot_fits_and_sequence_names_are_whole()
    {
        foreach (var w in Widths)
        {
            var text = RunAt(w, "eval", "mot", "--gt", Path.Combine(Fixtures, "mot"), "--pred", Path.Combine(Fixtures, "mot"));
            AssertFits(text, w, "eval mot");
            AssertCellsWhole(text, ["TUD-Campus", "TUD-Stadtmitte", "COMBINED", "HOTA", "MOTA", "IDF1"], $"eval mot at {w}");
        }
    }

    [Fact]
    public void Bench_tables_fit()
    {
        var result = InferenceBenchmark.Run(ModelSource.Embedded("resnet18"), new BenchOptions
        {
            IntraOpThreads = 1, Iterations = 3, MaxWarmupSeconds = 0.5, InputPool = 1, ProfileIterations = 2,
        });
        var output = new CommandOutput(ResultKinds.Bench, result, Dyno.Reports.Presenters.BenchPresenter.Instance.Tables(result));
        foreach (var w in Widths)
        {
            var text = output.RenderPlainTables(w);
            AssertFits(text, w, "bench");
            var p50 = output.Tables[1].Rows.Single(r => r[0] == "p50")[1];
            AssertCellsWhole(text, [p50, "Samples/s", "peak RSS"], $"bench at {w}");
            // wrapped prose (the cold-start breakdown) wraps at spaces: each of its figures is whole
            foreach (var word in output.Tables[0].Rows.Single(r => r[0] == "cold start (ms)")[1].Split(' '))
                AssertCellsWhole(text, [word], $"bench at {w}");
        }
    }

    [Fact]
    public void A_wide_confusion_matrix_becomes_its_top_confusions()
    {
        var labels = Enumerable.Range(0, 60).Select(i => $"class{i}").ToList();
        var counts = new double[60, 60];
        for (var i = 0; i < 60; i++) { counts[i, i] = 50; counts[i, (i + 1) % 60] = i; }
        var matrix = new ResultTable("Confusion matrix", [new("true \\ pred"), .. labels.Select(l => new ResultColumn(l, ColumnAlign.Right))],
            labels.Select((l, i) => (IReadOnlyList<string>)[l, .. Enumerable.Range(0, 60).Select(j => counts[i, j].ToString(System.Globalization.CultureInfo.InvariantCulture))]).ToList())
        {
            WhenTooWide = ConfusionList.Build("Top confusions", "true", "predicted", labels, labels, (i, j) => counts[i, j]),
        };
        var (fitted, _) = TableFitter.Fit(matrix, 80);
        Assert.Equal("Top confusions", fitted.Title);
        Assert.Equal(ConfusionList.Top, fitted.Rows.Count);
        Assert.Equal(["class59", "class0", "59"], fitted.Rows[0]);
        Assert.Equal(["class58", "class59", "58"], fitted.Rows[1]);
    }

    [Fact]
    public void Piped_tables_are_at_most_120_columns_by_default()
    {
        var (code, stdout, _) = DynoProcess.Run("eval", "mot", "--gt", Path.Combine(Fixtures, "mot"), "--pred", Path.Combine(Fixtures, "mot"));
        Assert.Equal(0, code);
        AssertFits(stdout, 120, "piped eval mot");
    }
}

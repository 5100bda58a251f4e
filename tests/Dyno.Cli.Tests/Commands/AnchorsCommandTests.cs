using System.Text.Json;

namespace Dyno.Cli.Tests.Commands;

[Collection("Console")]
public class AnchorsCommandTests
{
    private static readonly string Gt = Path.Combine(AppContext.BaseDirectory, "fixtures", "coco", "small_gt.json");

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            var code = Program.Main(args);
            return (code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    [Fact]
    public void JsonHasTheContractKeys()
    {
        var (code, stdout, stderr) = Run("anchors", "--gt", Gt, "--format", "json", "--fit", "9", "--evolve", "50");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(0.9823728813559321, root.GetProperty("bpr").GetDouble(), 15);
        Assert.Equal(3, root.GetProperty("anchors").GetArrayLength());
        Assert.Equal(8, root.GetProperty("anchors")[0].GetProperty("stride").GetInt32());
        Assert.Equal(9.740338983050847, root.GetProperty("positives_per_gt").GetProperty("mean").GetDouble(), 12);
        var counts = root.GetProperty("assignment_counts");
        Assert.Equal(14367, counts.GetProperty("positive").GetInt64());
        Assert.Equal(3535857, counts.GetProperty("negative").GetInt64());
        Assert.Equal(31578, counts.GetProperty("ignored").GetInt64());
        var fit = root.GetProperty("fit");
        Assert.Equal(9, fit.GetProperty("anchors").GetArrayLength());
        Assert.StartsWith("anchors:\n  - [", fit.GetProperty("yaml").GetString());
        Assert.True(fit.GetProperty("mean_best_iou").GetDouble() >= fit.GetProperty("kmeans_mean_best_iou").GetDouble());
    }

    [Fact]
    public void BadInputIsOneLineExitTwo()
    {
        var (code, _, err) = Run("anchors", "--gt", Gt, "--sizes", "32,64");
        Assert.Equal(2, code);
        Assert.StartsWith("dyno: error: anchors: 2 sizes for 3 strides", err);
        (code, _, err) = Run("anchors", "--gt", "/nonexistent/gt.json");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/gt.json", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }
}

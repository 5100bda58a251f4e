using System.Text.Json;

namespace Dyno.Cli.Tests;

/// <summary>`dyno eval mot` end to end, run as a child process (stdout must hold only the JSON document).</summary>
public class EvalMotCommandTests
{
    private static string Fixtures => Path.Combine(AppContext.BaseDirectory, "fixtures", "mot");

    private static (int Code, string Stdout, string Stderr) Dyno(params string[] args) => DynoProcess.Run(args);

    [Fact]
    public void JsonContractOnTud()
    {
        var (code, stdout, _) = Dyno("eval", "mot", "--gt", Fixtures, "--pred", Fixtures, "--format", "json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        string[] keys = ["MOTA", "MOTP", "IDF1", "IDP", "IDR", "HOTA", "DetA", "AssA", "LocA", "FP", "FN", "IDSW", "Frag", "MT", "PT", "ML"];
        var m = root.GetProperty("metrics");
        foreach (var k in keys) Assert.True(m.TryGetProperty(k, out _), $"metrics.{k} missing");
        var per = root.GetProperty("per_sequence");
        Assert.Equal(["TUD-Campus", "TUD-Stadtmitte"], per.EnumerateObject().Select(p => p.Name).ToArray());
        foreach (var seq in per.EnumerateObject())
            foreach (var k in keys) Assert.True(seq.Value.TryGetProperty(k, out _), $"{seq.Name}.{k} missing");

        // TrackEval's combined values (expected_tud.json).
        Assert.Equal(0.5551155115511551, m.GetProperty("MOTA").GetDouble(), 1e-9);
        Assert.Equal(0.6698229455064297, m.GetProperty("MOTP").GetDouble(), 1e-9);
        Assert.Equal(0.6242960579243765, m.GetProperty("IDF1").GetDouble(), 1e-9);
        Assert.Equal(0.3999570912884786, m.GetProperty("HOTA").GetDouble(), 1e-9);
        Assert.Equal(0.3976832912424188, m.GetProperty("DetA").GetDouble(), 1e-9);
        Assert.Equal(0.4124495298453543, m.GetProperty("AssA").GetDouble(), 1e-9);
        Assert.Equal(0.7324802580659768, m.GetProperty("LocA").GetDouble(), 1e-9);
        Assert.Equal(58, m.GetProperty("FP").GetInt32());
        Assert.Equal(602, m.GetProperty("FN").GetInt32());
        Assert.Equal(14, m.GetProperty("IDSW").GetInt32());
        Assert.Equal(13, m.GetProperty("Frag").GetInt32());
        Assert.Equal(19, root.GetProperty("hota_per_alpha").GetProperty("HOTA").GetArrayLength());
    }

    [Fact]
    public void PyMotMetricsConventionWithDistanceMotp()
    {
        var campus = Path.Combine(Fixtures, "TUD-Campus");
        var (code, stdout, _) = Dyno("eval", "mot", "--gt", Path.Combine(campus, "gt.txt"), "--pred", Path.Combine(campus, "test.txt"),
            "--clear", "motmetrics", "--motp", "distance", "-f", "json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var m = doc.RootElement.GetProperty("per_sequence").GetProperty("TUD-Campus");
        Assert.Equal(0.2772010846394618, m.GetProperty("MOTP").GetDouble(), 1e-9);
        Assert.Equal(0.5264623955431755, m.GetProperty("MOTA").GetDouble(), 1e-9);
        Assert.Equal(0.5576592082616179, m.GetProperty("IDF1").GetDouble(), 1e-9);
    }

    [Fact]
    public void MissingPredictionsIsAOneLineErrorWithExitCode2()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            var (code, stdout, stderr) = Dyno("eval", "mot", "--gt", Fixtures, "--pred", dir.FullName, "-f", "json");
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.StartsWith("dyno: error: ", stderr);
            Assert.Contains("TUD-Campus", stderr);
            Assert.Single(stderr.Trim().Split('\n'));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void MalformedRowNamesFileAndLine()
    {
        var dir = Directory.CreateTempSubdirectory();
        try
        {
            var gt = Path.Combine(dir.FullName, "gt.txt");
            var pred = Path.Combine(dir.FullName, "pred.txt");
            File.WriteAllText(gt, "1,1,10,10,20,20,1,-1,-1,-1\n2,1,abc,10,20,20,1,-1,-1,-1\n");
            File.WriteAllText(pred, "1,1,10,10,20,20,1,-1,-1,-1\n");
            var (code, _, stderr) = Dyno("eval", "mot", "--gt", gt, "--pred", pred);
            Assert.Equal(2, code);
            Assert.Contains("gt.txt: line 2: field 3 'abc'", stderr);
        }
        finally { dir.Delete(true); }
    }
}

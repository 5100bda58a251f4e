using System.Text.Json;

namespace Dyno.Cli.Tests;

public class HardwareCommandTests
{
    [Fact]
    public void ProfileWithHardwareAddsRooflineAndMemory()
    {
        var chart = Path.Combine(Directory.CreateTempSubdirectory("dyno-roof").FullName, "roofline.svg");
        var (code, stdout, stderr) = DynoProcess.Run("profile", "--example", "resnet18", "--hardware", "h100", "--precision", "fp16",
            "--roofline-chart", chart, "--format", "json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var roof = doc.RootElement.GetProperty("roofline");
        Assert.Equal("h100-sxm", roof.GetProperty("hardware").GetString());
        Assert.Equal(989.4e12 / 3350e9, roof.GetProperty("ridge_point").GetDouble(), 1e-9);
        Assert.Equal(65, roof.GetProperty("nodes").GetArrayLength());
        Assert.True(roof.GetProperty("totals").GetProperty("min_time_seconds").GetDouble() > 0);
        var mem = doc.RootElement.GetProperty("memory");
        Assert.True(mem.GetProperty("peak_activation_bytes").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(mem.GetProperty("peak_node").GetString()));
        var svg = File.ReadAllText(chart);
        Assert.Contains("<svg", svg, StringComparison.Ordinal);
        Assert.True(svg.Length > 10_000, "the chart has content");
    }

    [Fact]
    public void FitAnswersForADeviceAndRejectsABadBatch()
    {
        var (code, stdout, stderr) = DynoProcess.Run("fit", "--example", "resnet50", "--hardware", "jetson-orin-nano", "--precision", "fp16", "--batch", "8", "--format", "json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.True(doc.RootElement.GetProperty("fits").GetBoolean());
        var results = doc.RootElement.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        Assert.Equal(25_507_944L * 2, results[0].GetProperty("weight_bytes").GetInt64());
        Assert.True(results[1].GetProperty("peak_activation_bytes").GetInt64() > 7 * results[0].GetProperty("peak_activation_bytes").GetInt64());

        var bad = DynoProcess.Run("fit", "--example", "vit_b_16", "--hardware", "h100", "--batch", "4");
        Assert.Equal(2, bad.Code);
        Assert.Contains("cannot reshape", bad.Stderr, StringComparison.Ordinal);
        var unknown = DynoProcess.Run("fit", "--example", "resnet18", "--hardware", "tpu-v9");
        Assert.Equal(2, unknown.Code);
        Assert.Contains("unknown hardware 'tpu-v9'", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void FitTakesTheOldDeviceSpellingWithAWarning()
    {
        var (code, stdout, stderr) = DynoProcess.Run("fit", "--example", "resnet18", "--device", "h100", "--format", "json");
        Assert.True(code == 0, stderr);
        Assert.Contains("dyno: warning: --device is deprecated; use --hardware h100", stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("h100-sxm", doc.RootElement.GetProperty("device").GetString());
        var none = DynoProcess.Run("fit", "--example", "resnet18");
        Assert.Equal(2, none.Code);
        Assert.Equal("dyno: error: --hardware is required (a device from 'dyno hardware list')", none.Stderr.Trim());
        var help = DynoProcess.Run("fit", "--help");
        Assert.Contains("--hardware", help.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("--device", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void HardwareListAndShow()
    {
        var (code, stdout, _) = DynoProcess.Run("hardware", "list", "--format", "json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.True(doc.RootElement.GetProperty("devices").GetArrayLength() >= 13);
        var show = DynoProcess.Run("hardware", "show", "hi3519av100", "--format", "md");
        Assert.Equal(0, show.Code);
        Assert.Contains("1.7 TOPS", show.Stdout, StringComparison.Ordinal);
    }
}

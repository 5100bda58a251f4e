using System.Text.Json;

namespace Dyno.Cli.Tests;

public class BenchCommandTests
{
    private static string Squeezenet => Path.Combine(AppContext.BaseDirectory, "fixtures", "models", "squeezenet1_1_op13.onnx");

    [Fact]
    public void JsonOnStdoutHasTheContractKeys()
    {
        var (code, stdout, stderr) = DynoProcess.Run("bench", Squeezenet, "--threads", "1", "--iterations", "5", "--no-calibration", "--format", "json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout); // nothing else on stdout
        var root = doc.RootElement;
        foreach (var key in new[] { "cold_start_ms", "latency_ms", "throughput", "peak_rss_bytes", "ops", "utilization", "environment" })
            Assert.True(root.TryGetProperty(key, out _), key);
        Assert.Equal(5, root.GetProperty("latency_ms").GetProperty("count").GetInt32());
        Assert.Equal("1.31.1", root.GetProperty("environment").GetProperty("onnx_runtime").GetString());
    }

    [Theory]
    [InlineData("--batch", "0", "--batch")]
    [InlineData("--scenario", "server", "--qps")]
    [InlineData("--provider", "nosuch", "not available")]
    public void BadOptionsAreOneLineErrorsWithExitCode2(string option, string value, string expected)
    {
        var (code, _, stderr) = DynoProcess.Run("bench", Squeezenet, option, value, "--iterations", "1", "--no-calibration", "--quiet");
        Assert.Equal(2, code);
        Assert.StartsWith("dyno: error: ", stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }
}

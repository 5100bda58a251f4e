using System.Text.Json;
using Dyno.Runtime.Calibration;

namespace Dyno.Cli.Tests;

/// <summary>Roofs measured on a busy machine: never cached silently, and every result that uses them says so.</summary>
public class CalibrationDegradedTests
{

    private static string Squeezenet => Path.Combine(AppContext.BaseDirectory, "fixtures", "models", "squeezenet1_1_op13.onnx");

    /// <summary>A cache as the old calibrate wrote it on this busy 2-core machine: load 21.33, GEMM on 2 threads below 1.</summary>
    private static string BusyCache() => CalibrationCache.Write(CalibrationCache.Roofs(
        [new GemmRoof("float32", 1, 1024, 57.24e9), new GemmRoof("float32", Math.Max(2, System.Environment.ProcessorCount), 1024, 43.05e9)],
        harnessOverheadUs: 0.1, loadAverage: 21.33));

    [Fact]
    public void Bench_and_calibrate_cached_say_the_roofs_are_degraded()
    {
        var cache = BusyCache();
        try
        {
            var env = CalibrationCache.Environment(cache);
            var (code, stdout, stderr) = DynoProcess.RunWithEnvironment(env, "bench", Squeezenet, "--threads", "1", "--iterations", "5", "--format", "json");
            Assert.True(code == 0, stderr);
            var warnings = JsonDocument.Parse(stdout).RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
            var w = Assert.Single(warnings, w => w.StartsWith("the machine roofs", StringComparison.Ordinal));
            Assert.Contains("the machine was busy (load average 21.33", w, StringComparison.Ordinal);
            Assert.Contains("is slower than on 1", w, StringComparison.Ordinal);
            Assert.Contains("dyno: warning: the machine roofs (GEMM FLOP/s, triad bandwidth) were measured unreliably", stderr, StringComparison.Ordinal);

            var cached = DynoProcess.RunWithEnvironment(env, "calibrate", "--cached", "--format", "json");
            Assert.True(cached.Code == 0, cached.Stderr);
            var doc = JsonDocument.Parse(cached.Stdout).RootElement;
            Assert.True(doc.GetProperty("degraded").GetBoolean());
            Assert.Equal(2, doc.GetProperty("degraded_reasons").GetArrayLength());
            Assert.Contains("dyno: warning: the cached roofs are degraded", cached.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(cache, true);
        }
    }
}

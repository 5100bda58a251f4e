using System.Text.Json;
using Dyno.Runtime.Calibration;
using Dyno.Runtime.Environment;

namespace Dyno.Cli.Tests;

/// <summary>Roofs measured on a busy machine: never cached silently, and every result that uses them says so.</summary>
public class CalibrationDegradedTests
{
    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static string Squeezenet => Path.Combine(AppContext.BaseDirectory, "fixtures", "models", "squeezenet1_1_op13.onnx");

    /// <summary>A cache as the old calibrate wrote it on this busy 2-core machine: load 21.33, GEMM on 2 threads below 1.</summary>
    private static string BusyCache()
    {
        var dir = Directory.CreateTempSubdirectory("dyno-busy-cal-").FullName;
        var env = EnvironmentInfo.Capture();
        var c = new CalibrationResult
        {
            CpuModel = env.CpuModel, LogicalCores = env.LogicalCores, OnnxRuntime = env.OnnxRuntime, MeasuredAt = DateTimeOffset.UtcNow,
            Gemm = [new GemmRoof("float32", 1, 1024, 57.24e9), new GemmRoof("float32", Math.Max(2, env.LogicalCores), 1024, 43.05e9)],
            Triad = [new TriadRoof(1, 1 << 27, 10e9)],
            Harness = new HarnessOverhead { IdentityLatencyUs = 1, BareRunUs = 1, OverheadUs = 0.1 },
            LoadAverage = 21.33,
        };
        var path = Path.Combine(dir, "dyno", "calibration.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(c, SnakeCase));
        return dir;
    }

    [Fact]
    public void Bench_and_calibrate_cached_say_the_roofs_are_degraded()
    {
        var cache = BusyCache();
        try
        {
            var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cache };
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

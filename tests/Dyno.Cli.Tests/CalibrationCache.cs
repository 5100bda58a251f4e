using System.Text.Json;
using Dyno.Runtime.Calibration;
using Dyno.Runtime.Environment;

namespace Dyno.Cli.Tests;

/// <summary>
/// Calibration caches of known roofs, each in a temporary <c>XDG_CACHE_HOME</c> that a <c>dyno</c> child process is given,
/// so a test's output does not depend on whether (or how well) this machine was ever calibrated.
/// </summary>
internal static class CalibrationCache
{
    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Roofs taken as this machine's (its CPU, core count and ONNX Runtime): the given GEMM roofs, a 10 GB/s triad at 1 thread.</summary>
    public static CalibrationResult Roofs(IReadOnlyList<GemmRoof> gemm, double harnessOverheadUs = 0, double? loadAverage = null)
    {
        var env = EnvironmentInfo.Capture();
        return new CalibrationResult
        {
            CpuModel = env.CpuModel, LogicalCores = env.LogicalCores, OnnxRuntime = env.OnnxRuntime, MeasuredAt = DateTimeOffset.UtcNow,
            Gemm = gemm, Triad = [new TriadRoof(1, 1 << 27, 10e9)],
            Harness = new HarnessOverhead { IdentityLatencyUs = 1, BareRunUs = 1, OverheadUs = harnessOverheadUs },
            LoadAverage = loadAverage,
        };
    }

    /// <summary>Writes <paramref name="calibration"/> as the cache of a new temporary XDG_CACHE_HOME and returns that folder (the caller deletes it).</summary>
    public static string Write(CalibrationResult calibration)
    {
        var dir = Directory.CreateTempSubdirectory("dyno-cal-").FullName;
        var path = Path.Combine(dir, "dyno", "calibration.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(calibration, SnakeCase));
        return dir;
    }

    /// <summary>The environment that points a <c>dyno</c> child process at the cache in <paramref name="dir"/>.</summary>
    public static Dictionary<string, string> Environment(string dir) => new() { ["XDG_CACHE_HOME"] = dir };
}

using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Dyno.Runtime.Environment;

/// <summary>The machine and software a measurement was taken on.</summary>
public sealed record EnvironmentInfo
{
    public required string CpuModel { get; init; }
    public required int LogicalCores { get; init; }

    /// <summary>Current CPU frequency in MHz as the kernel reports it (null where not readable).</summary>
    public double? CpuMhz { get; init; }

    /// <summary>cpufreq scaling governor (null where the machine exposes none, e.g. most VMs).</summary>
    public string? FrequencyGovernor { get; init; }

    /// <summary>SIMD extensions relevant to ONNX Runtime's kernels (avx2, fma, avx512f, ...).</summary>
    public required IReadOnlyList<string> Simd { get; init; }

    public required string Os { get; init; }
    public required string Architecture { get; init; }
    public required string Dotnet { get; init; }
    public required string OnnxRuntime { get; init; }
    public required IReadOnlyList<string> AvailableProviders { get; init; }

    /// <summary>1-, 5- and 15-minute load averages when the run started: other work on the machine skews timings.</summary>
    public IReadOnlyList<double>? LoadAverage { get; init; }

    /// <summary>Captures the current environment.</summary>
    public static EnvironmentInfo Capture()
    {
        var cpuinfo = ReadText("/proc/cpuinfo");
        string? Field(string name) => cpuinfo?.Split('\n').Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Trim() == name)?[1].Trim();
        var flags = (Field("flags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        string[] simd = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile"];
        double? mhz = double.TryParse(Field("cpu MHz"), NumberStyles.Float, CultureInfo.InvariantCulture, out var m) ? m : null;
        var load = ReadText("/proc/loadavg")?.Split(' ').Take(3)
            .Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToList();
        return new EnvironmentInfo
        {
            CpuModel = Field("model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
            LogicalCores = System.Environment.ProcessorCount,
            CpuMhz = mhz,
            FrequencyGovernor = ReadText("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")?.Trim(),
            Simd = simd.Where(flags.Contains).ToList(),
            Os = RuntimeInformation.OSDescription,
            Architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
            Dotnet = RuntimeInformation.FrameworkDescription,
            OnnxRuntime = OrtEnv.Instance().GetVersionString(),
            AvailableProviders = OrtEnv.Instance().GetAvailableProviders(),
            LoadAverage = load is { Count: 3 } && load.All(double.IsFinite) ? load : null,
        };
    }

    private static string? ReadText(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>Resident memory of this process, from /proc/self/status (Linux) or the runtime elsewhere.</summary>
public static class ProcessMemory
{
    /// <summary>Current resident set size in bytes.</summary>
    public static long Rss() => Read("VmRSS:") ?? System.Environment.WorkingSet;

    /// <summary>Peak resident set size (high-water mark) in bytes.</summary>
    public static long PeakRss() => Read("VmHWM:") ?? System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;

    private static long? Read(string key)
    {
        try
        {
            if (!File.Exists("/proc/self/status")) return null;
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
                }
        }
        catch (IOException)
        {
        }
        return null;
    }
}

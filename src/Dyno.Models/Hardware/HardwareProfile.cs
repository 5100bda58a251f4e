using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dyno.Models.Hardware;

/// <summary>Numeric precisions a hardware profile quotes peaks for.</summary>
public enum Precision { Fp64, Fp32, Tf32, Fp16, Bf16, Int8, Int4 }

/// <summary>
/// A device's datasheet roofs: dense peak FLOP/s per precision, memory bandwidth and size, and where each
/// figure comes from. Units: TFLOP/s (TOPS for integers), GB/s and GB (10^9 bytes).
/// </summary>
public sealed record HardwareProfile
{
    public required string Name { get; init; }
    public IReadOnlyList<string> Aliases { get; init; } = [];
    public required string Title { get; init; }
    public string Kind { get; init; } = "";
    public required IReadOnlyDictionary<string, double> PeakTflops { get; init; }
    public required double MemoryBandwidthGbps { get; init; }
    public required double MemoryGb { get; init; }
    public required string Source { get; init; }
    public IReadOnlyList<string>? Estimated { get; init; }

    /// <summary>Peak FLOP/s (or OP/s) at <paramref name="p"/>, or null when the device does not support it.</summary>
    public double? PeakFlops(Precision p) => PeakTflops.TryGetValue(Key(p), out var t) ? t * 1e12 : null;

    public double BandwidthBytesPerSecond => MemoryBandwidthGbps * 1e9;
    public double MemoryBytes => MemoryGb * 1e9;

    /// <summary>The ridge point at <paramref name="p"/>: the arithmetic intensity (FLOP/byte) where compute and memory roofs meet.</summary>
    public double? Ridge(Precision p) => PeakFlops(p) / BandwidthBytesPerSecond;

    public static string Key(Precision p) => p.ToString().ToLowerInvariant();

    /// <summary>Parses a precision name (fp32, fp16, bf16, tf32, int8, int4, fp64).</summary>
    public static Precision ParsePrecision(string s) => s.ToLowerInvariant() switch
    {
        "fp64" or "float64" or "double" => Precision.Fp64,
        "fp32" or "float32" or "float" => Precision.Fp32,
        "tf32" => Precision.Tf32,
        "fp16" or "float16" or "half" => Precision.Fp16,
        "bf16" or "bfloat16" => Precision.Bf16,
        "int8" or "i8" => Precision.Int8,
        "int4" or "i4" => Precision.Int4,
        _ => throw new DynoInputException($"unknown precision '{s}' (use fp64, fp32, tf32, fp16, bf16, int8 or int4)"),
    };

    /// <summary>Bits per element of a precision (TF32 is stored as FP32).</summary>
    public static int Bits(Precision p) => p switch
    {
        Precision.Fp64 => 64,
        Precision.Fp32 or Precision.Tf32 => 32,
        Precision.Fp16 or Precision.Bf16 => 16,
        Precision.Int8 => 8,
        _ => 4,
    };
}

/// <summary>The built-in device database (docs/hardware.md), optionally extended by user JSON files of the same shape.</summary>
public sealed class HardwareDatabase
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly List<HardwareProfile> _devices;

    private HardwareDatabase(List<HardwareProfile> devices) => _devices = devices;

    public IReadOnlyList<HardwareProfile> Devices => _devices;

    /// <summary>The devices shipped with Dyno.</summary>
    public static HardwareDatabase BuiltIn()
    {
        using var s = typeof(HardwareDatabase).Assembly.GetManifestResourceStream("Dyno.Models.Hardware.hardware.json")!;
        return new HardwareDatabase(Parse(s, "built-in hardware.json"));
    }

    /// <summary>Adds (or replaces, by name) the devices in a user JSON file: <c>{"devices": [...]}</c> or a single device object.</summary>
    public HardwareDatabase With(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such hardware file", path);
        using var s = File.OpenRead(path);
        var added = Parse(s, path);
        var merged = _devices.Where(d => added.All(a => !string.Equals(a.Name, d.Name, StringComparison.OrdinalIgnoreCase))).Concat(added).ToList();
        return new HardwareDatabase(merged);
    }

    /// <summary>Finds a device by name or alias (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No device has that name.</exception>
    public HardwareProfile Find(string name) =>
        _devices.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase)
                                     || d.Aliases.Any(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase)))
        ?? throw new DynoInputException($"unknown hardware '{name}'; known: {string.Join(", ", _devices.Select(d => d.Name))} (or add a device file with HardwareDatabase.With)", "HardwareDatabase.With");

    private static List<HardwareProfile> Parse(Stream s, string what)
    {
        try
        {
            using var doc = JsonDocument.Parse(s, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var list = doc.RootElement.TryGetProperty("devices", out var devices)
                ? devices.EnumerateArray().Select(e => e.Deserialize<HardwareProfile>(Json)!).ToList()
                : [doc.RootElement.Deserialize<HardwareProfile>(Json)!];
            for (var i = 0; i < list.Count; i++)
            {
                var d = list[i];
                if (d is null) throw new InvalidDataException($"{what}: device #{i} is null");
                if (!(d.MemoryBandwidthGbps is > 0 and < 1e9) || d.PeakTflops is null || d.PeakTflops.Count == 0 || d.PeakTflops.Values.Any(v => !(v is > 0 and < 1e9)))
                    throw new InvalidDataException($"{what}: device #{i} '{d.Name}' needs positive memory_bandwidth_gbps and peak_tflops");
                foreach (var k in d.PeakTflops.Keys) _ = HardwareProfile.ParsePrecision(k);
            }
            return list;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what}: invalid hardware JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine}: {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{what}: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // JsonElement of the wrong kind, e.g. "devices": "x" or a list at the top level
            throw new InvalidDataException($"{what}: not a hardware file (an object with 'devices': [...] or one device object): {e.Message}");
        }
    }
}

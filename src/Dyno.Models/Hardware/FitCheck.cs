using Dyno.Models.Analysis;
using Dyno.Models.Onnx;

namespace Dyno.Models.Hardware;

/// <summary>Assumptions of a fit check; the defaults are documented in docs/hardware.md.</summary>
public sealed record FitOptions
{
    /// <summary>Bytes the runtime itself needs (context, kernels, workspaces, the OS share on unified memory); null = by device kind.</summary>
    public long? RuntimeOverheadBytes { get; init; }

    /// <summary>Safety margin as a fraction of the total (0.10 = 10%).</summary>
    public double SafetyMargin { get; init; } = 0.10;

    /// <summary>The default runtime overhead for a kind of device.</summary>
    public static long DefaultOverhead(string kind) => kind switch
    {
        "gpu" => 1L << 30,                 // CUDA context + cuBLAS/cuDNN workspaces
        "edge-gpu" => 1536L << 20,         // Linux + CUDA context on unified memory
        "soc" => 2L << 30,                 // the OS's share of unified memory
        "cpu" or "cpu-core" => 256L << 20, // runtime, allocator arenas
        _ => 0,                            // NPUs with dedicated parameter memory
    };
}

/// <summary>Whether a model fits a device: weights + peak activations + runtime overhead, plus a margin.</summary>
public sealed record FitReport
{
    public required string Device { get; init; }
    public required string Precision { get; init; }
    public int Batch { get; init; }
    public long WeightBytes { get; init; }
    public long PeakActivationBytes { get; init; }
    public string? PeakNode { get; init; }
    public long RuntimeOverheadBytes { get; init; }
    public double SafetyMargin { get; init; }

    /// <summary>(weights + activations + overhead) × (1 + margin).</summary>
    public long RequiredBytes { get; init; }
    public long DeviceMemoryBytes { get; init; }
    public bool Fits { get; init; }

    /// <summary>Required ÷ device memory.</summary>
    public double Utilization { get; init; }

    /// <summary>Largest batch that fits, extrapolating activations linearly from batch 1 (null when even batch 1 does not fit).</summary>
    public long? MaxBatchEstimate { get; init; }

    /// <summary>Weight bytes at each storage precision.</summary>
    public required IReadOnlyDictionary<string, long> ModelSize { get; init; }
    public bool Partial { get; init; }
}

/// <summary>The result of <c>dyno fit</c>: the check at batch 1 and, when asked, at a larger batch.</summary>
/// <param name="Device">The device's database name.</param>
/// <param name="Precision">The precision checked (<c>fp16</c>...).</param>
/// <param name="Fits">Whether the last check (the largest batch) fits.</param>
/// <param name="Results">The checks, batch 1 first.</param>
public sealed record FitResult(string Device, string Precision, bool Fits, IReadOnlyList<FitReport> Results);

/// <summary>Checks a profiled model against a device's memory.</summary>
public static class FitCheck
{
    /// <summary>Weight bytes if every floating-point initializer were stored with <paramref name="bits"/> bits.</summary>
    public static long WeightBytesAt(ModelProfile p, int bits) =>
        p.WeightsByDtype.Sum(d => IsFloatName(d.Dtype) ? d.Elements * bits / 8 : d.Bytes)
        + (p.Totals.ConstantWeights > 0 ? p.Totals.ConstantWeightBytes : 0);

    /// <summary>Model size at FP32, FP16, INT8 and INT4 storage.</summary>
    public static IReadOnlyDictionary<string, long> ModelSizes(ModelProfile p) => new Dictionary<string, long>
    {
        ["fp32"] = WeightBytesAt(p, 32), ["fp16"] = WeightBytesAt(p, 16), ["int8"] = WeightBytesAt(p, 8), ["int4"] = WeightBytesAt(p, 4),
    };

    /// <summary>
    /// Checks <paramref name="atBatch"/> (the profile at the batch to check) against <paramref name="hw"/>;
    /// <paramref name="atBatch1"/> is the same model at batch 1, for the max-batch estimate.
    /// </summary>
    public static FitReport Check(ModelProfile atBatch, ModelProfile atBatch1, int batch, HardwareProfile hw, Precision precision, FitOptions? options = null)
    {
        options ??= new FitOptions();
        var bits = HardwareProfile.Bits(precision);
        var key = HardwareProfile.Key(precision);
        var weights = WeightBytesAt(atBatch, bits);
        var act = PeakAt(atBatch.Memory!, key, bits);
        var act1 = PeakAt(atBatch1.Memory!, key, bits);
        var overhead = options.RuntimeOverheadBytes ?? FitOptions.DefaultOverhead(hw.Kind);
        var m = options.SafetyMargin;
        var required = (long)Math.Ceiling((weights + act + overhead) * (1 + m));
        var device = (long)hw.MemoryBytes;
        long? maxBatch = null;
        var free = device / (1 + m) - weights - overhead;
        if (act1 > 0 && free >= act1) maxBatch = (long)Math.Floor(free / act1);
        return new FitReport
        {
            Device = hw.Name, Precision = key, Batch = batch, WeightBytes = weights, PeakActivationBytes = act, PeakNode = atBatch.Memory!.PeakNode,
            RuntimeOverheadBytes = overhead, SafetyMargin = m, RequiredBytes = required, DeviceMemoryBytes = device, Fits = required <= device,
            Utilization = device > 0 ? (double)required / device : double.PositiveInfinity, MaxBatchEstimate = maxBatch,
            ModelSize = ModelSizes(atBatch), Partial = atBatch.Totals.Partial || atBatch.Memory!.Partial,
        };
    }

    private static long PeakAt(MemoryPlan plan, string key, int bits) =>
        plan.PeakByPrecision is not null && plan.PeakByPrecision.TryGetValue(key, out var v) ? v
        : bits == 32 ? plan.PeakActivationBytes : plan.PeakByPrecision!["fp16"] * bits / 16;

    private static bool IsFloatName(string dtype) => dtype is "float32" or "float64" or "float16" or "bfloat16" || dtype.StartsWith("float8", StringComparison.Ordinal);
}

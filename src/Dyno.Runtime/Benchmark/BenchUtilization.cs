using Dyno.Models.Hardware;
using Dyno.Models.Transformers;

namespace Dyno.Runtime.Benchmark;

/// <summary>
/// Utilization figures added to a finished benchmark: model FLOPs utilization (MFU, PaLM's definition) from a
/// transformer configuration, and the achieved rates as shares of a hardware profile's datasheet roofs.
/// </summary>
public static class BenchUtilization
{
    /// <summary>How <see cref="ModelFlopsUtilization"/> is computed, as the document states it.</summary>
    public const string MfuDefinition = "model FLOPs (2 x matmul MACs of the forward pass at this batch and sequence length, from the transformer configuration) per second at the median latency, divided by the measured GEMM roof (and the datasheet peak of a hardware profile, when given); PaLM's MFU uses the training FLOPs 6N + 12LHQT per token, given as training_equivalent_flops_per_second";

    /// <summary>
    /// MFU of <paramref name="result"/> for the transformer <paramref name="config"/> (named <paramref name="modelName"/>
    /// in the document) at the benchmark's first batch size and <paramref name="sequenceLength"/> tokens (default: the
    /// last dimension of the model's first input); against the measured GEMM roof and, with <paramref name="device"/>,
    /// its datasheet peak at <paramref name="precision"/>.
    /// </summary>
    /// <exception cref="DynoInputException">No sequence length is given and the first input has none.</exception>
    public static ModelFlopsUtilization ModelFlops(BenchResult result, TransformerConfig config, string modelName, int? sequenceLength = null,
        HardwareProfile? device = null, Precision precision = Precision.Fp32)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(config);
        var batch = result.Settings.Batches[0];
        var seq = sequenceLength ?? (result.Model.Inputs.Count > 0 && result.Model.Inputs[0].Shape.Count > 0 ? (int)result.Model.Inputs[0].Shape[^1] : 0);
        if (seq <= 0) throw new DynoInputException("sequenceLength is needed: the model's first input has no sequence dimension", "sequenceLength");
        var estimate = LlmCalculator.Estimate(config, LlmScenario.Resolve(config, new LlmWorkload { Seq = seq, Batch = batch }, precision));
        var seconds = result.LatencyMs.P50 / 1000;
        var modelFlops = estimate.FlopsPrefill / seconds;
        var tokens = (double)batch * seq / seconds;
        double? peak = device?.PeakFlops(precision);
        return new ModelFlopsUtilization
        {
            Model = modelName, Seq = seq, Batch = batch, ModelFlopsPerInference = estimate.FlopsPrefill, ModelFlopsPerSecond = modelFlops,
            TokensPerSecond = tokens, TrainingEquivalentFlopsPerSecond = estimate.TrainingFlopsPerToken * tokens,
            MfuVsMeasuredRoof = result.Utilization.GemmRoofFlopsPerSecond is { } roof ? modelFlops / roof : null,
            MfuVsDatasheet = peak is { } p ? modelFlops / p : null,
            Definition = MfuDefinition,
        };
    }

    /// <summary><paramref name="result"/> with <see cref="UtilizationReport.Mfu"/> set (see <see cref="ModelFlops"/>).</summary>
    public static BenchResult WithModelFlops(BenchResult result, TransformerConfig config, string modelName, int? sequenceLength = null,
        HardwareProfile? device = null, Precision precision = Precision.Fp32)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result with { Utilization = result.Utilization with { Mfu = ModelFlops(result, config, modelName, sequenceLength, device, precision) } };
    }

    /// <summary>
    /// <paramref name="result"/> with <paramref name="device"/>'s datasheet roofs at <paramref name="precision"/> and the
    /// achieved FLOP/s and bytes/s as shares of them.
    /// </summary>
    /// <exception cref="DynoInputException">The device quotes no peak at that precision.</exception>
    public static BenchResult WithDatasheet(BenchResult result, HardwareProfile device, Precision precision)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(device);
        var peak = device.PeakFlops(precision)
            ?? throw new DynoInputException($"{device.Name} has no {HardwareProfile.Key(precision)} peak (it quotes {string.Join(", ", device.PeakTflops.Keys)})");
        var u = result.Utilization;
        return result with
        {
            Utilization = u with
            {
                Hardware = device.Name, HardwarePrecision = precision, DatasheetPeakFlopsPerSecond = peak,
                DatasheetBandwidthBytesPerSecond = device.BandwidthBytesPerSecond, DatasheetFlopsUtilization = u.AchievedFlopsPerSecond / peak,
                DatasheetBandwidthUtilization = u.AchievedBytesPerSecond / device.BandwidthBytesPerSecond,
            },
        };
    }
}

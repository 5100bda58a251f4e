using Dyno.Models.Hardware;
using Dyno.Models.Transformers;
using Dyno.Runtime.Benchmark;

namespace Dyno.Runtime.Tests;

/// <summary>MFU and datasheet utilization of a benchmark (moved from the CLI's BenchMfuTests with the code, issue 12).</summary>
public class BenchUtilizationTests
{
    private static BenchResult BenchBert() => InferenceBenchmark.Run(ModelSource.Embedded("bert_base_like"), new BenchOptions
    {
        Iterations = 5, MaxWarmupSeconds = 0.5, ProfileOps = false, InputPool = 1,
    });

    [Fact]
    public void TransformerBenchmarkReportsModelFlopsUtilization()
    {
        var device = HardwareDatabase.BuiltIn().Find("x86-avx512-core");
        var r = BenchUtilization.WithModelFlops(BenchBert(), TransformerConfig.Preset("bert-base"), "bert-base", device: device, precision: Precision.Fp32);
        var mfu = r.Utilization.Mfu!;
        // Model FLOPs of BERT-base at seq 128 = 2 x 11,174,215,680 matmul MACs (the same as dyno profile's dense MACs).
        Assert.Equal(22_348_431_360, mfu.ModelFlopsPerInference);
        Assert.Equal(128, mfu.Seq);
        Assert.Equal("bert-base", mfu.Model);
        var p50 = r.LatencyMs.P50;
        Assert.Equal(22_348_431_360 / (p50 / 1000), mfu.ModelFlopsPerSecond, 1e-6 * 22_348_431_360 / (p50 / 1000));
        // x86-avx512-core's fp32 datasheet peak is 0.16 TFLOP/s (src/Dyno.Models/Hardware/hardware.json): the ratio from
        // the independently known FLOPs and the measured median, not from the result's own FLOP/s.
        var expectedMfu = 22_348_431_360 / (p50 / 1000) / 160e9;
        Assert.Equal(expectedMfu, mfu.MfuVsDatasheet!.Value, 1e-9 * expectedMfu);

        var d = BenchUtilization.WithDatasheet(r, device, Precision.Fp32).Utilization;
        Assert.Equal(160e9, d.DatasheetPeakFlopsPerSecond!.Value, 1e-3);
        Assert.Equal(d.AchievedFlopsPerSecond / 160e9, d.DatasheetFlopsUtilization!.Value, 1e-12);
        Assert.Equal(Precision.Fp32, d.HardwarePrecision);
        Assert.Same(mfu, d.Mfu);
        // the enum keeps the JSON word it had as a string
        using var json = System.Text.Json.JsonDocument.Parse(Dyno.Results.DynoJson.Serialize(d));
        Assert.Equal("fp32", json.RootElement.GetProperty("hardware_precision").GetString());
    }

    [Fact]
    public void Refusals_name_the_parameter()
    {
        var r = BenchBert();
        var flat = r with { Model = r.Model with { Inputs = [] } };
        var e = Assert.Throws<DynoInputException>(() => BenchUtilization.ModelFlops(flat, TransformerConfig.Preset("bert-base"), "bert-base"));
        Assert.Equal("sequenceLength", e.ParamName);
        var noInt4 = HardwareDatabase.BuiltIn().Find("x86-avx512-core");
        if (noInt4.PeakFlops(Precision.Int4) is null)
            Assert.Throws<DynoInputException>(() => BenchUtilization.WithDatasheet(r, noInt4, Precision.Int4));
    }
}
